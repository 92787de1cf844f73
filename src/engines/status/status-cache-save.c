/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing the status index (layout in status-cache.c): the ids sorted
 * again, every index renumbered, the whole file written to a temporary and
 * renamed, so a reader sees the old file or the new one, never half. */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "engines/status/status-cache.h"

static void
put32 (GByteArray *b, guint32 v)
{
  guint8 q[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (b, q, 4);
}

static void
put64 (GByteArray *b, guint64 v)
{
  put32 (b, (guint32) v);
  put32 (b, (guint32) (v >> 32));
}

static int
index_cmp (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const GArray *oids = user_data;
  return git_oid_cmp (&g_array_index (oids, git_oid, *(const guint32 *) a),
                      &g_array_index (oids, git_oid, *(const guint32 *) b));
}

/* ORDER[new] = old index: the sorted part merged with the sorted tail. */
static guint32 *
sorted_order (const BpStatusCache *c)
{
  guint32 n = c->oids->len, tail = n - c->n_sorted;
  g_autofree guint32 *t = g_new (guint32, tail + 1);
  for (guint32 i = 0; i < tail; i++)
    t[i] = c->n_sorted + i;
  g_qsort_with_data (t, (gint) tail, sizeof *t, index_cmp, c->oids);
  guint32 *order = g_new (guint32, n + 1);
  guint32 a = 0, b = 0;
  for (guint32 k = 0; k < n; k++)
    {
      gboolean take_a = b == tail || (a < c->n_sorted && index_cmp (&a, &t[b], c->oids) < 0);
      order[k] = take_a ? a++ : t[b++];
    }
  return order;
}

static void
put_commits (GByteArray *b, const BpStatusCache *c, const guint32 *order, const guint32 *renum,
             GByteArray *links, GByteArray *parents, guint32 *n_links, guint32 *n_parents)
{
  for (guint32 k = 0; k < c->oids->len; k++)
    g_byte_array_append (b, g_array_index (c->oids, git_oid, order[k]).id, 20);
  for (guint32 k = 0; k < c->oids->len; k++)
    {
      const BpCacheCommit *cc = &g_array_index (c->commits, BpCacheCommit, order[k]);
      put64 (b, (guint64) cc->author_time);
      put32 (b, cc->subject_hash);
      put32 (b, *n_links);
      put32 (b, *n_parents);
      guint8 q[8] = { cc->n_links & 0xff, cc->n_links >> 8, cc->n_parents & 0xff, cc->n_parents >> 8,
                      cc->flags, cc->examined, 0, 0 };
      g_byte_array_append (b, q, 8);
      for (guint l = 0; l < cc->n_links; l++)
        {
          const BpCacheLink *link = &g_array_index (c->links, BpCacheLink, cc->first_link + l);
          put32 (links, link->kind);
          g_byte_array_append (links, link->target.id, 20);
        }
      for (guint p = 0; p < cc->n_parents; p++)
        put32 (parents, renum[g_array_index (c->parents, guint32, cc->first_parent + p)]);
      *n_links += cc->n_links;
      *n_parents += cc->n_parents;
    }
}

static guint32
put_keyed (GByteArray *b, GHashTable *table, guint shift, const guint32 *renum, gboolean pids)
{
  GHashTableIter it;
  gpointer key, value;
  guint32 n = 0;
  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      guint64 k = (guint64) *(gint64 *) key;
      put32 (b, renum[k >> shift]);
      put32 (b, (guint32) (k & ((1u << shift) - 1)));
      if (pids)
        g_byte_array_append (b, ((const git_oid *) value)->id, 20);
      else
        put32 (b, GPOINTER_TO_UINT (value));
      n++;
    }
  return n;
}

static guint32
put_notes (GByteArray *b, GHashTable *notes, const guint32 *renum)
{
  GHashTableIter it;
  gpointer key, value;
  guint32 n = 0;
  g_hash_table_iter_init (&it, notes);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const BpCacheNoteKey *k = key;
      guint32 len = (guint32) strlen (value);
      put32 (b, k->commit == BP_CACHE_NONE ? BP_CACHE_NONE : renum[k->commit]);
      put64 (b, k->key);
      put32 (b, len);
      g_byte_array_append (b, value, len);
      n++;
    }
  return n;
}

static GByteArray *
serialise (const BpStatusCache *c)
{
  g_autofree guint32 *order = sorted_order (c);
  g_autofree guint32 *renum = g_new (guint32, c->oids->len + 1);
  for (guint32 k = 0; k < c->oids->len; k++)
    renum[order[k]] = k;
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) links = g_byte_array_new ();
  g_autoptr(GByteArray) parents = g_byte_array_new ();
  g_autoptr(GByteArray) touches = g_byte_array_new ();
  g_autoptr(GByteArray) pids = g_byte_array_new ();
  g_autoptr(GByteArray) notes = g_byte_array_new ();
  guint32 n_links = 0, n_parents = 0;
  put_commits (body, c, order, renum, links, parents, &n_links, &n_parents);
  guint32 n_touches = put_keyed (touches, c->touches, 3, renum, FALSE);
  guint32 n_pids = put_keyed (pids, c->pids, 1, renum, TRUE);
  guint32 n_notes = put_notes (notes, c->notes, renum);

  GByteArray *out = g_byte_array_sized_new (body->len + links->len + parents->len + 1024);
  g_byte_array_append (out, (const guint8 *) "BPSTIDX\n", 8);
  guint32 path_len = (guint32) strlen (c->repo);
  guint32 head[] = { 1, c->oids->len, n_links, n_parents, n_touches, n_pids, n_notes, path_len };
  for (guint i = 0; i < G_N_ELEMENTS (head); i++)
    put32 (out, head[i]);
  g_byte_array_append (out, (const guint8 *) c->repo, path_len);
  for (guint s = 0; s < BP_CACHE_SECTIONS; s++)
    {
      put64 (out, c->sections[s].fingerprint);
      put64 (out, (guint64) c->sections[s].last_used);
    }
  GByteArray *parts[] = { body, links, parents, touches, pids, notes };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    g_byte_array_append (out, parts[i]->data, parts[i]->len);
  put32 (out, (guint32) crc32 (0, out->data, out->len));
  return out;
}

/* The repository an index file serves, from its header; NULL if unreadable. */
static char *
file_repo (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, NULL);
  guint8 head[8 + 32];
  gsize got = 0;
  if (in == NULL || !g_input_stream_read_all (G_INPUT_STREAM (in), head, sizeof head, &got, NULL, NULL)
      || got != sizeof head || memcmp (head, "BPSTIDX\n", 8) != 0)
    return NULL;
  guint32 len = (guint32) head[36] | (guint32) head[37] << 8 | (guint32) head[38] << 16 | (guint32) head[39] << 24;
  if (len == 0 || len > 4096)
    return NULL;
  g_autofree char *repo = g_malloc0 (len + 1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), repo, len, &got, NULL, NULL) || got != len)
    return NULL;
  return g_steal_pointer (&repo);
}

/* Index files whose repository is gone are of no use to anyone. */
static void
prune (const char *dir, const char *self)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *name; d && (name = g_dir_read_name (d));)
    {
      if (!g_str_has_suffix (name, ".idx"))
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (strcmp (path, self) == 0)
        continue;
      g_autofree char *repo = file_repo (path);
      if (repo && !g_file_test (repo, G_FILE_TEST_IS_DIR))
        g_unlink (path);
    }
}

gboolean
bp_status_cache_save (BpStatusCache *c, GError **error)
{
  if (!c->dirty)
    return TRUE;
  g_autofree char *dir = g_path_get_dirname (c->file);
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "cannot create %s: %s", dir, g_strerror (e));
      return FALSE;
    }
  g_autoptr(GByteArray) data = serialise (c);
  if (!g_file_set_contents_full (c->file, (const char *) data->data, data->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;
  c->dirty = FALSE;
  prune (dir, c->file);
  return TRUE;
}
