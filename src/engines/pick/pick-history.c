/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Is a commit in the target's history?  See pick-history.h. */
#include <string.h>

#include "base/bp-git.h"
#include "base/commit-graph-walk.h"
#include "base/git-autoptr.h"
#include "base/tree-diff.h"
#include "engines/pick/pick-history.h"
#include "model/patch-id.h"

#define PICKED_FROM "cherry picked from commit "

struct BpPickHistory {
  git_repository *repo;
  git_oid target;
  GHashTable *patch_ids;   /* git_oid* commit -> git_oid* patch-id (NULL: none) */
  GHashTable *bases;       /* git_oid* reference -> git_oid* merge base with the target (NULL: none) */
  GHashTable *own;         /* git_oid* reference -> GHashTable (set) of its commits since the base */
  GHashTable *regions;     /* git_oid* hidden -> GArray of git_oid: the target's commits it lacks */
  GError *broken;          /* the first object the history lacks (a corrupt or incomplete repository) */
};

BpPickEvidence *
bp_pick_evidence_new (const char *how, const char *commit, const char *detail)
{
  BpPickEvidence *e = g_new0 (BpPickEvidence, 1);
  e->how = g_strdup (how);
  e->commit = g_strdup (commit);
  e->detail = g_strdup (detail);
  return e;
}

void
bp_pick_evidence_free (BpPickEvidence *e)
{
  if (e == NULL)
    return;
  g_free (e->how);
  g_free (e->commit);
  g_free (e->detail);
  g_free (e);
}

BpPickHistory *
bp_pick_history_new (git_repository *repo, const git_oid *target)
{
  BpPickHistory *h = g_new0 (BpPickHistory, 1);
  h->repo = repo;
  h->target = *target;
  h->patch_ids = g_hash_table_new_full (bp_git_oid_hash, bp_git_oid_equal, g_free, g_free);
  h->bases = g_hash_table_new_full (bp_git_oid_hash, bp_git_oid_equal, g_free, g_free);
  h->own = g_hash_table_new_full (bp_git_oid_hash, bp_git_oid_equal, g_free,
                                  (GDestroyNotify) g_hash_table_unref);
  h->regions = g_hash_table_new_full (bp_git_oid_hash, bp_git_oid_equal, g_free,
                                      (GDestroyNotify) g_array_unref);
  return h;
}

void
bp_pick_history_free (BpPickHistory *h)
{
  if (h == NULL)
    return;
  g_hash_table_unref (h->patch_ids);
  g_hash_table_unref (h->bases);
  g_hash_table_unref (h->own);
  g_hash_table_unref (h->regions);
  g_clear_error (&h->broken);
  g_free (h);
}

/* A libgit2 call on the history failed: unless it only found nothing (no
 * merge base), an object the history needs is missing, and no answer drawn
 * from that history can be trusted.  The first such failure is kept. */
static void
note_broken (BpPickHistory *h)
{
  const git_error *e = git_error_last ();
  if (h->broken || (e && e->klass == GIT_ERROR_MERGE))
    return;
  /* taken now: the next libgit2 call may reuse the buffer */
  g_autofree char *what = g_strdup (e && e->message && *e->message ? e->message : "an object is missing");
  const char *dir = git_repository_workdir (h->repo) ? git_repository_workdir (h->repo) : git_repository_path (h->repo);
  g_autofree char *where = g_strdup (dir);
  if (strlen (where) > 1 && where[strlen (where) - 1] == '/')
    where[strlen (where) - 1] = '\0';
  g_autofree char *mend = git_repository_is_shallow (h->repo) == 1
    ? g_strdup_printf ("a shallow clone: run `git -C %s fetch --unshallow`", where)
    : g_strdup ("the repository is incomplete: fetch it again, or run `git fsck`");
  g_set_error (&h->broken, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: the target's history cannot be read: %s (%s)",
               where, what, mend);
}

gboolean
bp_pick_history_failed (BpPickHistory *h, GError **error)
{
  if (h == NULL || h->broken == NULL)
    return FALSE;
  if (error && *error == NULL)
    *error = g_error_copy (h->broken);
  return TRUE;
}

/* The patch-id of COMMIT, computed once; FALSE when it has none. */
static gboolean
patch_id (BpPickHistory *h, const git_oid *commit, git_oid *out)
{
  gpointer found;
  if (!g_hash_table_lookup_extended (h->patch_ids, commit, NULL, &found))
    {
      git_oid id;
      found = bp_patch_id_from_commit (h->repo, commit, &id, NULL) ? g_memdup2 (&id, sizeof id) : NULL;
      g_hash_table_insert (h->patch_ids, bp_git_oid_dup (commit), found);
    }
  if (found)
    *out = *(git_oid *) found;
  return found != NULL;
}

/* The paths COMMIT changes against its first parent. */
static GPtrArray *
touched_paths (git_repository *repo, git_commit *commit)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(git_tree) tree = NULL, ptree = NULL;
  g_autoptr(git_commit) parent = NULL;
  if (git_commit_tree (&tree, commit) != 0)
    return paths;
  if (git_commit_parentcount (commit) > 0
      && (git_commit_parent (&parent, commit, 0) != 0 || git_commit_tree (&ptree, parent) != 0))
    return paths;
  g_autoptr(GPtrArray) changes = bp_tree_diff (repo, ptree, tree, NULL);
  for (guint i = 0; changes && i < changes->len; i++)
    g_ptr_array_add (paths, g_strdup (((BpTreeChange *) changes->pdata[i])->path));
  return paths;
}

static gboolean
entry_at (git_tree *tree, const char *path, git_oid *out)
{
  g_autoptr(git_tree_entry) e = NULL;
  if (tree == NULL || git_tree_entry_bypath (&e, tree, path) != 0)
    return FALSE;
  *out = *git_tree_entry_id (e);
  return TRUE;
}

/* Does COMMIT change any of PATHS (its tree against its first parent's)? */
static gboolean
touches_any (git_commit *commit, GPtrArray *paths)
{
  g_autoptr(git_tree) tree = NULL, ptree = NULL;
  g_autoptr(git_commit) parent = NULL;
  if (git_commit_parentcount (commit) != 1 || git_commit_tree (&tree, commit) != 0
      || git_commit_parent (&parent, commit, 0) != 0 || git_commit_tree (&ptree, parent) != 0)
    return FALSE;
  for (guint i = 0; i < paths->len; i++)
    {
      git_oid a, b;
      gboolean ha = entry_at (tree, paths->pdata[i], &a), hb = entry_at (ptree, paths->pdata[i], &b);
      if (ha != hb || (ha && !git_oid_equal (&a, &b)))
        return TRUE;
    }
  return FALSE;
}

/* Does MESSAGE carry "(cherry picked from commit HEX)"? */
static gboolean
names_pick_of (const char *message, const char *hex)
{
  for (const char *p = strstr (message, PICKED_FROM); p; p = strstr (p + 1, PICKED_FROM))
    if (strncmp (p + strlen (PICKED_FROM), hex, GIT_OID_HEXSZ) == 0)
      return TRUE;
  return FALSE;
}

/* The commits reachable from PUSH and not from HIDE (HIDE may be NULL):
 * through git's commit-graph when it has both, else libgit2's walk. */
static GArray *
walk (BpPickHistory *h, const git_oid *push, const git_oid *hide)
{
  git_repository *repo = h->repo;
  BpCommitGraph *graph = bp_commit_graph_for_repo (repo, NULL);
  guint32 from, not = G_MAXUINT32;
  if (graph && bp_commit_graph_lookup (graph, push, &from)
      && (hide == NULL || bp_commit_graph_lookup (graph, hide, &not)))
    {
      g_autoptr(GArray) pos = bp_commit_graph_range (graph, from, not);
      if (pos)
        {
          GArray *ids = g_array_sized_new (FALSE, FALSE, sizeof (git_oid), pos->len);
          for (guint i = 0; i < pos->len; i++)
            {
              git_oid id;
              bp_commit_graph_oid (graph, g_array_index (pos, guint32, i), &id);
              g_array_append_val (ids, id);
            }
          return ids;
        }
    }
  GArray *out = g_array_new (FALSE, FALSE, sizeof (git_oid));
  g_autoptr(git_revwalk) w = NULL;
  if (git_revwalk_new (&w, repo) != 0 || git_revwalk_push (w, push) != 0
      || (hide && git_revwalk_hide (w, hide) != 0))
    {
      note_broken (h);
      return out;
    }
  git_oid next;
  int rc;
  while ((rc = git_revwalk_next (&next, w)) == 0)
    g_array_append_val (out, next);
  if (rc < 0 && rc != GIT_ITEROVER)
    note_broken (h);   /* a commit of the history is missing: the walk stopped short */
  return out;
}

/* The merge base of REFERENCE and the target, computed once; NULL: none. */
const git_oid *
bp_pick_history_base (BpPickHistory *h, const git_oid *reference)
{
  gpointer found;
  if (!g_hash_table_lookup_extended (h->bases, reference, NULL, &found))
    {
      git_oid base;
      BpCommitGraph *graph = bp_commit_graph_for_repo (h->repo, NULL);
      guint32 a, b, m;
      if (graph && bp_commit_graph_lookup (graph, reference, &a) && bp_commit_graph_lookup (graph, &h->target, &b))
        found = bp_commit_graph_merge_base (graph, a, b, &m)
                  ? (bp_commit_graph_oid (graph, m, &base), bp_git_oid_dup (&base)) : NULL;
      else if (git_merge_base (&base, h->repo, reference, &h->target) == 0)
        found = bp_git_oid_dup (&base);
      else
        note_broken (h);   /* none (found stays NULL), or the history lacks an object */
      g_hash_table_insert (h->bases, bp_git_oid_dup (reference), found);
    }
  return found;
}

/* REFERENCE's own commits since BASE, as a set, computed once. */
static GHashTable *
own_of (BpPickHistory *h, const git_oid *reference, const git_oid *base)
{
  GHashTable *set = g_hash_table_lookup (h->own, reference);
  if (set)
    return set;
  set = g_hash_table_new_full (bp_git_oid_hash, bp_git_oid_equal, g_free, NULL);
  g_autoptr(GArray) commits = walk (h, reference, base);
  for (guint i = 0; i < commits->len; i++)
    g_hash_table_add (set, bp_git_oid_dup (&g_array_index (commits, git_oid, i)));
  g_hash_table_insert (h->own, bp_git_oid_dup (reference), set);
  return set;
}

/* The target's commits that HIDE's history lacks, computed once. */
static GArray *
region_of (BpPickHistory *h, const git_oid *hide)
{
  GArray *region = g_hash_table_lookup (h->regions, hide);
  if (region == NULL)
    {
      region = walk (h, &h->target, hide);
      g_hash_table_insert (h->regions, bp_git_oid_dup (hide), region);
    }
  return region;
}

static gboolean
contains_in (BpPickHistory *h, const char *commit, const char *reference, BpPickEvidence **evidence,
             gboolean *known)
{
  *evidence = NULL;
  *known = FALSE;
  git_oid oid, ref_oid;
  g_autoptr(git_commit) c = NULL;
  if (strlen (commit) != GIT_OID_HEXSZ || git_oid_fromstr (&oid, commit) != 0
      || git_commit_lookup (&c, h->repo, &oid) != 0)
    return FALSE;
  *known = TRUE;
  gboolean ancestor;
  const git_oid *hide = &oid;
  const git_oid *base = NULL;
  if (reference && git_oid_fromstr (&ref_oid, reference) == 0 && (base = bp_pick_history_base (h, &ref_oid)))
    {
      /* The target and REFERENCE share everything up to BASE. */
      ancestor = git_oid_equal (&oid, &ref_oid) ? git_oid_equal (base, &ref_oid)
                                                : !g_hash_table_contains (own_of (h, &ref_oid, base), &oid);
      hide = base;
    }
  else
    {
      int d = git_oid_equal (&oid, &h->target) ? 1 : git_graph_descendant_of (h->repo, &h->target, &oid);
      if (d < 0)
        note_broken (h);
      ancestor = d == 1;
    }
  if (ancestor)
    {
      *evidence = bp_pick_evidence_new ("ancestry", commit, "the target descends from it");
      return TRUE;
    }
  /* Where a pick of it would be: the target's commits since the fork. */
  GArray *region = region_of (h, hide);
  g_autoptr(GPtrArray) paths = NULL;
  git_oid want_id;
  gboolean have_id = FALSE;
  for (guint i = 0; i < region->len; i++)
    {
      const git_oid *next = &g_array_index (region, git_oid, i);
      g_autoptr(git_commit) cand = NULL;
      if (git_commit_lookup (&cand, h->repo, next) != 0)
        {
          note_broken (h);
          continue;
        }
      char hex[GIT_OID_HEXSZ + 1];
      git_oid_tostr (hex, sizeof hex, next);
      if (names_pick_of (git_commit_message (cand), commit))
        {
          g_autofree char *d = g_strdup_printf ("%.12s says it was cherry picked from it", hex);
          *evidence = bp_pick_evidence_new ("cherry-pick", hex, d);
          return TRUE;
        }
      if (paths == NULL)
        paths = touched_paths (h->repo, c);
      if (!touches_any (cand, paths))
        continue;
      if (!have_id && !(have_id = patch_id (h, &oid, &want_id)))
        break;   /* the fix has no patch-id (empty, a merge): no twin to find */
      git_oid got;
      if (patch_id (h, next, &got) && git_oid_equal (&got, &want_id))
        {
          g_autofree char *d = g_strdup_printf ("%.12s has its patch-id %.12s", hex, git_oid_tostr_s (&got));
          *evidence = bp_pick_evidence_new ("patch-id", hex, d);
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
bp_pick_history_contains (BpPickHistory *h, const char *commit, const char *reference,
                          BpPickEvidence **evidence, gboolean *known, GError **error)
{
  if (contains_in (h, commit, reference, evidence, known))
    return TRUE;
  /* "not there" from a history that could not be read whole is no answer */
  bp_pick_history_failed (h, error);
  return FALSE;
}

/* The paths PATCH changes, on either side. */
static GPtrArray *
patch_paths (const BpPatch *patch)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; patch->files && i < patch->files->len; i++)
    {
      const BpFileDiff *f = patch->files->pdata[i];
      if (f->old_path)
        g_ptr_array_add (paths, g_strdup (f->old_path));
      if (f->new_path && g_strcmp0 (f->new_path, f->old_path) != 0)
        g_ptr_array_add (paths, g_strdup (f->new_path));
    }
  return paths;
}

gboolean
bp_pick_history_contains_patch (BpPickHistory *h, const BpPatch *patch, BpPickEvidence **evidence)
{
  *evidence = NULL;
  git_oid want;
  if (patch->date == NULL || !bp_patch_id_from_patch (patch, &want, NULL))
    return FALSE;
  gint64 since = g_date_time_to_unix (patch->date) - 24 * 3600;
  g_autoptr(GPtrArray) paths = patch_paths (patch);
  g_autoptr(git_revwalk) w = NULL;
  /* time order without hidden commits: libgit2 walks it lazily */
  if (git_revwalk_new (&w, h->repo) != 0 || git_revwalk_sorting (w, GIT_SORT_TIME) != 0
      || git_revwalk_push (w, &h->target) != 0)
    return FALSE;
  git_oid next;
  int rc;
  while ((rc = git_revwalk_next (&next, w)) == 0)
    {
      g_autoptr(git_commit) cand = NULL;
      if (git_commit_lookup (&cand, h->repo, &next) != 0)
        {
          note_broken (h);
          continue;
        }
      if (git_commit_time (cand) < since)
        break;
      git_oid got;
      if (!touches_any (cand, paths) || !patch_id (h, &next, &got) || !git_oid_equal (&got, &want))
        continue;
      char hex[GIT_OID_HEXSZ + 1];
      git_oid_tostr (hex, sizeof hex, &next);
      g_autofree char *d = g_strdup_printf ("%.12s has the patch's patch-id %.12s", hex, git_oid_tostr_s (&got));
      *evidence = bp_pick_evidence_new ("patch-id", hex, d);
      return TRUE;
    }
  if (rc < 0 && rc != GIT_ITEROVER)
    note_broken (h);
  return FALSE;
}
