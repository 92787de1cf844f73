/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tree per line from a git repository: the line's newest release tag
 * (sources/release-tags.h), or its stable-X.Y branch where that is newer,
 * exported into the cache by commit id. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "sources/release-tags.h"
#include "sources/git-export.h"
#include "sources/trees-private.h"

typedef struct {
  guint v[3];
  char *ref;           /* "v10.1.3" or "stable-10.1" */
  git_oid commit;
} GitPick;

static void
git_pick_free (GitPick *p)
{
  g_free (p->ref);
  g_free (p);
}

static char *
commit_version (git_repository *repo, const git_oid *id)
{
  g_autoptr(git_commit) commit = NULL;
  g_autoptr(git_tree) tree = NULL;
  g_autoptr(git_tree_entry) entry = NULL;
  g_autoptr(git_blob) blob = NULL;
  if (git_commit_lookup (&commit, repo, id) != 0 || git_commit_tree (&tree, commit) != 0
      || git_tree_entry_bypath (&entry, tree, "VERSION") != 0
      || git_blob_lookup (&blob, repo, git_tree_entry_id (entry)) != 0)
    return NULL;
  char *v = g_strndup (git_blob_rawcontent (blob), git_blob_rawsize (blob));
  return g_strstrip (v);
}

/* Pick a commit per line: newest release tag, or the stable-X.Y branch
 * when it is a descendant of that tag (newer), or the only one there is. */
static GHashTable *
git_picks (BpTreesCtx *c, git_repository *repo, GError **error)
{
  g_autoptr(GHashTable) picks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) git_pick_free);
  g_autoptr(GPtrArray) tags = bp_release_tags_by_line (repo, error);
  if (tags == NULL)
    return NULL;
  for (guint i = 0; i < tags->len; i++)
    {
      const BpReleaseTag *t = tags->pdata[i];
      if (!bp_trees_pack_has_line (c->pack, t->line))
        continue;
      GitPick *p = g_new0 (GitPick, 1);
      memcpy (p->v, t->version, sizeof p->v);
      p->ref = g_strdup (t->tag);
      git_oid_cpy (&p->commit, &t->commit);
      g_hash_table_insert (picks, g_strdup (t->line), p);
    }

  /* stable-X.Y: local branch first, then remote-tracking ones */
  for (guint i = 0; i < c->pack->lines->len; i++)
    {
      const char *line = ((BpFixLine *) c->pack->lines->pdata[i])->name;
      g_autofree char *local = g_strdup_printf ("refs/heads/stable-%s", line);
      g_autofree char *glob = g_strdup_printf ("refs/remotes/*/stable-%s", line);
      g_autoptr(git_reference) ref = NULL;
      if (git_reference_lookup (&ref, repo, local) != 0)
        {
          git_reference_iterator *it = NULL;
          if (git_reference_iterator_glob_new (&it, repo, glob) == 0)
            {
              git_reference *r = NULL;
              while (ref == NULL && git_reference_next (&r, it) == 0)
                ref = r;
              git_reference_iterator_free (it);
            }
        }
      if (ref == NULL)
        continue;
      g_autoptr(git_object) obj = NULL;
      if (git_reference_peel (&obj, ref, GIT_OBJECT_COMMIT) != 0)
        continue;
      const git_oid *tip = git_object_id (obj);
      GitPick *tag = g_hash_table_lookup (picks, line);
      if (tag && (git_oid_equal (tip, &tag->commit) || git_graph_descendant_of (repo, tip, &tag->commit) != 1))
        continue;
      g_autofree char *version = commit_version (repo, tip);
      if (g_strcmp0 (bp_trees_line_of_version (c->pack, version), line) != 0)
        continue;   /* a branch whose VERSION serves another line is not this line's */
      GitPick *p = g_new0 (GitPick, 1);
      p->ref = g_strdup (git_reference_shorthand (ref));
      git_oid_cpy (&p->commit, tip);
      g_hash_table_insert (picks, g_strdup (line), p);
    }
  return g_steal_pointer (&picks);
}

static BpTree *
git_tree_for_line (BpTreesCtx *c, git_repository *repo, GHashTable *picks, const char *line, GError **error)
{
  BpTree *t = bp_tree_new (line);
  GitPick *p = g_hash_table_lookup (picks, line);
  if (p == NULL)
    {
      t->missing = g_strdup_printf ("no v%s.N tag or stable-%s branch in %s (`git -C %s fetch --tags QEMU-REMOTE` "
                                    "brings QEMU's release tags)", line, line, c->opts->repo, c->opts->repo);
      return t;
    }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, &p->commit);
  t->ref = g_strdup (p->ref);
  t->commit = g_strdup (hex);
  g_autofree char *dest = g_build_filename (c->git_dir, hex, NULL);
  g_autofree char *stamp = g_strconcat (dest, ".stamp", NULL);
  g_autofree char *version = bp_trees_read_version (dest);
  if (version && g_file_test (stamp, G_FILE_TEST_EXISTS))
    t->cached = TRUE;
  else
    {
      bp_trees_report (&c->reporter, line, "exporting %s (%.12s) from %s", p->ref, hex, c->opts->repo);
      g_autofree char *tmp = g_strdup_printf ("%s.tmp-%d", dest, (int) getpid ());
      if (!bp_trees_rm_rf (tmp, error))
        {
          bp_tree_free (t);
          return NULL;
        }
      g_autoptr(GError) local = NULL;
      if (!bp_trees_export_commit_id (repo, &p->commit, tmp, c->cancellable, &local))
        {
          bp_trees_rm_rf (tmp, NULL);
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              bp_tree_free (t);
              return NULL;
            }
          t->missing = g_strdup_printf ("exporting %s from %s failed: %s", p->ref, c->opts->repo, local->message);
          t->remedy = BP_TREE_REMEDY_TREE;
          return t;
        }
      g_autofree char *theirs = bp_trees_read_version (dest);
      if (theirs && g_file_test (stamp, G_FILE_TEST_EXISTS))
        {
          /* another run exported the same commit meanwhile: keep theirs */
          if (!bp_trees_rm_rf (tmp, error))
            {
              bp_tree_free (t);
              return NULL;
            }
        }
      else
        {
          /* a half-made export (no stamp) is replaced */
          g_unlink (stamp);
          if (!bp_trees_rm_rf (dest, error))
            {
              bp_tree_free (t);
              return NULL;
            }
          if (g_rename (tmp, dest) != 0)
            {
              int err = errno;
              g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "rename %s: %s", tmp, g_strerror (err));
              bp_trees_rm_rf (tmp, NULL);
              bp_tree_free (t);
              return NULL;
            }
          g_autofree char *exported = bp_trees_read_version (dest);
          g_autoptr(GKeyFile) kf = g_key_file_new ();
          g_autofree char *now = bp_trees_now_iso8601 ();
          g_key_file_set_string (kf, "tree", "kind", "git");
          g_key_file_set_string (kf, "tree", "commit", hex);
          g_key_file_set_string (kf, "tree", "ref", p->ref);
          g_key_file_set_string (kf, "tree", "version", exported ? exported : "");
          g_key_file_set_string (kf, "tree", "exported", now);
          if (!bp_trees_write_keyfile (kf, stamp, error))
            {
              bp_tree_free (t);
              return NULL;
            }
          c->set->exports++;
        }
      g_free (version);
      version = bp_trees_read_version (dest);
    }
  if (version == NULL || g_strcmp0 (bp_trees_line_of_version (c->pack, version), line) != 0)
    {
      t->missing = g_strdup_printf ("%s (%.12s) has VERSION %s, which is not line %s",
                                    p->ref, hex, version ? version : "(none)", line);
      t->remedy = BP_TREE_REMEDY_TREE;
      t->cached = FALSE;
      return t;
    }
  t->kind = BP_TREE_GIT;
  t->path = g_steal_pointer (&dest);
  t->version = g_steal_pointer (&version);
  t->origin = g_strdup_printf ("git %s (%s)", p->ref, hex);
  return t;
}

gboolean
bp_trees_git_lines (BpTreesCtx *c, GPtrArray *pending, GError **error)
{
  BpTreeSet *set = c->set;
  bp_git_require ();
  g_autoptr(git_repository) repo = NULL;
  if (git_repository_open_ext (&repo, c->opts->repo, 0, NULL) != 0)
    {
      bp_trees_git_fail (error, c->opts->repo);
      g_prefix_error (error, "--repo %s is not a git repository we can read: ", c->opts->repo);
      return FALSE;
    }
  /* exports only read; whatever libgit2 might write stays in memory */
  if (!bp_git_objects_in_memory (repo, BP_TREES_ERROR, BP_TREES_ERROR_REPO, error))
    return FALSE;
  if (!bp_trees_mkdirs (c->git_dir, error))
    {
      g_clear_pointer (&repo, git_repository_free);
      return FALSE;
    }
  bp_trees_sweep_stale (c->git_dir, ".tmp-");
  gboolean ok = TRUE;
  g_autoptr(GHashTable) picks = git_picks (c, repo, error);
  ok = picks != NULL;
  for (guint i = 0; ok && i < pending->len; i++)
    {
      BpTree *t = pending->pdata[i];
      BpTree *got = git_tree_for_line (c, repo, picks, t->line, error);
      if (got == NULL)
        ok = FALSE;
      else
        {
          /* move the result into the slot */
          for (guint k = 0; k < set->trees->len; k++)
            if (set->trees->pdata[k] == t)
              {
                set->trees->pdata[k] = got;
                pending->pdata[i] = got;
                bp_tree_free (t);
              }
        }
    }
  g_clear_pointer (&picks, g_hash_table_unref);
  g_clear_pointer (&repo, git_repository_free);
  return ok;
}
