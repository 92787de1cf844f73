/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The content probe at a ref of a repository: blobs from the ref's tree,
 * never a checkout.  A file that should hold the function but is a symlink,
 * a directory or over the read limit is "unreadable", not absent. */
#include <string.h>

#include "base/history-git.h"
#include "engines/status/status-probe.h"
#include "engines/status/status-scan.h"

typedef struct {
  BpProbeState state;
  gboolean partial;
  char *detail;
  char *file;     /* the generic probe's file (the specific one knows its own) */
} Memo;

static void
memo_free (gpointer p)
{
  Memo *m = p;
  g_free (m->detail);
  g_free (m->file);
  g_free (m);
}

GHashTable *
bp_status_probe_memo_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, memo_free);
}

/* The blob at PATH in TREE: TRUE with *OUT NULL when there is none, or
 * with *WHY set when the entry is there but no file the probe may read. */
static gboolean
blob_at (BpScan *s, git_tree *tree, const char *path, git_blob **out, char **why, GError **error)
{
  *out = NULL;
  g_autoptr(git_tree_entry) entry = NULL;
  if (git_tree_entry_bypath (&entry, tree, path) < 0)
    return TRUE;
  git_filemode_t mode = git_tree_entry_filemode (entry);
  if (mode == GIT_FILEMODE_LINK || mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT)
    {
      *why = g_strdup_printf ("%s is %s, not a file", path, mode == GIT_FILEMODE_LINK ? "a symlink"
                              : mode == GIT_FILEMODE_TREE ? "a directory" : "a submodule");
      return TRUE;
    }
  if (git_blob_lookup (out, s->objects, git_tree_entry_id (entry)) < 0)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT, "%s: blob %s (%s) is missing", s->path,
                             git_oid_tostr_s (git_tree_entry_id (entry)), path);
  if (git_blob_rawsize (*out) > BP_STATUS_READ_MAX)
    {
      *why = g_strdup_printf ("%s is over %u MiB", path, BP_STATUS_READ_MAX >> 20);
      g_clear_pointer (out, git_blob_free);
    }
  return TRUE;
}

char *
bp_status_read_version (BpScan *s, git_tree *tree, GError **error)
{
  g_autoptr(git_blob) blob = NULL;
  g_autofree char *why = NULL;
  if (!blob_at (s, tree, "VERSION", &blob, &why, error) || blob == NULL || git_blob_rawsize (blob) > 256)
    return NULL;
  g_autofree char *text = g_strndup (git_blob_rawcontent (blob), (gsize) git_blob_rawsize (blob));
  return g_strdup (g_strstrip (text));
}

/* The specific probe: the first candidate file that defines the function. */
static gboolean
probe_specific (BpScan *s, BpRefStatus *r, git_tree *tree, GHashTable *memo, GError **error)
{
  g_autoptr(GPtrArray) files = bp_status_probe_files (s->pack, r->line);
  g_autofree char *unreadable = NULL;
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autoptr(git_blob) blob = NULL;
      g_autofree char *why = NULL;
      if (!blob_at (s, tree, file, &blob, &why, error))
        return FALSE;
      if (why && unreadable == NULL)
        unreadable = g_steal_pointer (&why);
      if (blob == NULL)
        continue;
      g_autofree char *key = g_strdup (git_oid_tostr_s (git_blob_id (blob)));
      Memo *m = g_hash_table_lookup (memo, key);
      if (m == NULL)
        {
          m = g_new0 (Memo, 1);
          m->state = bp_status_probe_text (git_blob_rawcontent (blob), (gsize) git_blob_rawsize (blob), s->pack,
                                           &m->detail, &m->partial);
          g_hash_table_insert (memo, g_steal_pointer (&key), m);
        }
      if (m->state == BP_PROBE_ABSENT)
        continue;
      r->probe = (BpProbe) { m->state, g_strdup (file), g_strdup (m->detail), m->partial };
      return TRUE;
    }
  if (unreadable)
    {
      r->probe = (BpProbe) { BP_PROBE_UNREADABLE, NULL, g_steal_pointer (&unreadable), FALSE };
      return TRUE;
    }
  g_autoptr(GString) list = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    g_string_append_printf (list, "%s%s", i ? ", " : "", (char *) g_ptr_array_index (files, i));
  r->probe = (BpProbe) { BP_PROBE_ABSENT, NULL,
                         g_strdup_printf ("no definition of %s() in %s", s->pack->function, list->str), FALSE };
  return TRUE;
}

typedef struct {
  BpScan *s;
  git_tree *tree;
} TreeReader;

static char *
read_from_tree (const char *path, gsize *len, gpointer user_data)
{
  TreeReader *tr = user_data;
  g_autoptr(git_blob) blob = NULL;
  g_autofree char *why = NULL;
  if (!blob_at (tr->s, tr->tree, path, &blob, &why, NULL) || blob == NULL)
    return NULL;
  *len = (gsize) git_blob_rawsize (blob);
  return g_memdup2 (git_blob_rawcontent (blob), *len + 1);
}

gboolean
bp_status_probe_tree (BpScan *s, BpRefStatus *r, git_tree *tree, GHashTable *memo, GError **error)
{
  if (bp_status_probe_is_specific (s->pack))
    return probe_specific (s, r, tree, memo, error);
  /* generic: what the patches say depends on the whole tree and the line */
  g_autofree char *key = g_strdup_printf ("%s %s", git_oid_tostr_s (git_tree_id (tree)), r->line ? r->line->name : "-");
  Memo *m = g_hash_table_lookup (memo, key);
  if (m == NULL)
    {
      TreeReader tr = { s, tree };
      BpProbe p = { 0 };
      bp_status_probe_generic (s->pack, r->line, read_from_tree, &tr, &p);
      m = g_new0 (Memo, 1);
      *m = (Memo) { p.state, p.partial, p.detail, p.file };
      g_hash_table_insert (memo, g_steal_pointer (&key), m);
    }
  r->probe = (BpProbe) { m->state, g_strdup (m->file), g_strdup (m->detail), m->partial };
  return TRUE;
}
