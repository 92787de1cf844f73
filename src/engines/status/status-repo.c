/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Opening the repository for a scan: read-only (nothing in it is written),
 * and refusing what libgit2 1.5 cannot walk, with what to do about it. */
#include <string.h>

#include "base/history-git.h"
#include "engines/status/status-scan.h"

gboolean
bp_scan_git_fail (GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  const git_error *e = git_error_last ();
  if (e && e->message)
    g_set_error (error, BP_HISTORY_ERROR, code, "%s: %s", msg, e->message);
  else
    g_set_error_literal (error, BP_HISTORY_ERROR, code, msg);
  return FALSE;
}

static void
special_clear (gpointer p)
{
  BpSpecial *s = p;
  g_free (s->how);
  g_free (s->detail);
  g_free (s->first_tag);
  g_free (s->subject);
}

static void
target_clear (gpointer p)
{
  g_free (((BpPidTarget *) p)->label);
}

static void
scan_ref_clear (gpointer p)
{
  BpScanRef *r = p;
  g_free (r->name);
  g_free (r->refname);
  g_free (r->kind);
}

void
bp_scan_init (BpScan *s, BpFixPack *pack, const char *path)
{
  memset (s, 0, sizeof *s);
  s->pack = pack;
  s->path = path;
  s->refs = g_array_new (FALSE, TRUE, sizeof (BpScanRef));
  g_array_set_clear_func (s->refs, scan_ref_clear);
  s->targets = g_array_new (FALSE, TRUE, sizeof (BpPidTarget));
  g_array_set_clear_func (s->targets, target_clear);
  s->specials = g_array_new (FALSE, TRUE, sizeof (BpSpecial));
  g_array_set_clear_func (s->specials, special_clear);
  s->fact = g_array_new (FALSE, FALSE, sizeof (guint32));
  s->touching = g_array_new (FALSE, FALSE, sizeof (guint32));
  s->linked = g_array_new (FALSE, FALSE, sizeof (guint32));
  s->trees = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
}

void
bp_scan_clear (BpScan *s)
{
  bp_status_graph_clear (&s->graph);
  g_clear_pointer (&s->reader, bp_commit_reader_free);
  g_clear_pointer (&s->cache, bp_status_cache_free);
  g_clear_pointer (&s->cg, bp_commit_graph_free);
  g_clear_pointer (&s->paths, bp_path_set_free);
  g_clear_pointer (&s->refs, g_array_unref);
  g_clear_pointer (&s->targets, g_array_unref);
  g_clear_pointer (&s->specials, g_array_unref);
  g_clear_pointer (&s->fact, g_array_unref);
  g_clear_pointer (&s->touching, g_array_unref);
  g_clear_pointer (&s->linked, g_array_unref);
  g_clear_pointer (&s->trees, g_hash_table_unref);
  g_clear_pointer (&s->objects_dir, g_free);
  g_clear_pointer (&s->graph_note, g_free);
  g_clear_pointer (&s->cache_note, g_free);
  g_clear_pointer (&s->objects, git_repository_free);
  g_clear_pointer (&s->odb, git_odb_free);
  g_clear_pointer (&s->repo, git_repository_free);
}

/* Refuse what libgit2 1.5 cannot read, saying what to do. */
static gboolean
check_clone_kind (git_repository *repo, const char *path, GError **error)
{
  const char *gitdir = git_repository_commondir (repo);
  g_autofree char *shallow = g_build_filename (gitdir, "shallow", NULL);
  if (git_repository_is_shallow (repo) == 1 || g_file_test (shallow, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_SHALLOW,
                   "%s is a shallow clone: its history is cut off and libgit2 cannot walk it; "
                   "run `git -C %s fetch --unshallow` (or clone without --depth)", path, path);
      return FALSE;
    }
  g_autoptr(git_config) cfg = NULL;
  if (git_repository_config_snapshot (&cfg, repo) < 0)
    return TRUE;
  git_buf buf = GIT_BUF_INIT;
  gboolean partial = git_config_get_string_buf (&buf, cfg, "extensions.partialclone") == 0;
  git_buf_dispose (&buf);
  /* remote.*.promisor, matched by hand: libgit2's glob iterator leaks its regex matches */
  git_config_iterator *it = NULL;
  if (!partial && git_config_iterator_new (&it, cfg) == 0)
    {
      git_config_entry *entry;
      int promisor = 0;
      while (git_config_next (&entry, it) == 0)
        if (g_ascii_strncasecmp (entry->name, "remote.", 7) == 0 && g_str_has_suffix (entry->name, ".promisor")
            && git_config_parse_bool (&promisor, entry->value) == 0 && promisor)
          partial = TRUE;
      git_config_iterator_free (it);
    }
  if (partial)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_PARTIAL,
                   "%s is a partial clone (promisor remote): objects are missing and libgit2 "
                   "cannot fetch them; run `git -C %s fetch --refetch --no-filter` "
                   "(or clone without --filter)", path, path);
      return FALSE;
    }
  return TRUE;
}

gboolean
bp_status_open_repo (BpScan *s, GError **error)
{
  const char *path = s->path;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_A_REPO,
                   "%s: no such directory (a QEMU git clone)", path);
      return FALSE;
    }
  if (git_repository_open_ext (&s->repo, path, 0, NULL) < 0)
    {
      const git_error *e = git_error_last ();
      const char *msg = e && e->message ? e->message : "";
      if (strstr (msg, "partialclone") || strstr (msg, "extension"))
        g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_PARTIAL,
                     "%s uses a repository extension libgit2 cannot read (%s); if it is a partial "
                     "clone, run `git -C %s fetch --refetch --no-filter` or clone without --filter",
                     path, msg, path);
      else
        g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_A_REPO,
                     "%s is not a git repository (a QEMU clone)", path);
      return FALSE;
    }
  if (!check_clone_kind (s->repo, path, error))
    return FALSE;
  if (git_repository_odb (&s->odb, s->repo) < 0)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot open the object store", path);
  s->objects_dir = g_build_filename (git_repository_commondir (s->repo), "objects", NULL);
  return TRUE;
}
