/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Commits straight from the packs: see commit-reader.h.  The packs
 * themselves (index lookups, entries, deltas) are pack-file.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gio/gio.h>

#include "base/history-git.h"
#include "engines/status/commit-reader.h"
#include "engines/status/pack-file.h"

#define OBJ_COMMIT 1
#define RELEASE_STEP (4u << 20)   /* give pages back every 4 MiB of pack read */
#define THREADED_MIN 4096         /* below this, one thread */
#define SINGLE_RELEASE 128        /* single objects read between giving pages back */

typedef struct {
  guint64 key;     /* pack << 48 | offset */
  guint index;
} Item;

typedef struct Worker {
  const BpCommitReader *r;
  const Item *items;
  guint n;
  BpCommitFunc func;
  gpointer user_data;
  z_stream z;
  GArray *fallback;     /* guint: indexes into items left to libgit2 */
  gboolean refused;
  guint failed;
} Worker;

struct BpCommitReader {
  git_odb *odb;
  GStrv dirs;              /* the object directories whose packs are read */
  GArray *packs;           /* BpPackFile */
  Worker *single;          /* for single objects (bp_commit_reader_object) */
  guint since_release;     /* single objects read since pages were given back */
};

#define KEY_OFFSET(key) ((key) & ((G_GUINT64_CONSTANT (1) << 48) - 1))
#define KEY_PACK(r, key) (&g_array_index ((r)->packs, BpPackFile, (guint) ((key) >> 48)))

static void
open_packs (BpCommitReader *r, const char *objects_dir)
{
  g_autofree char *dir_path = g_build_filename (objects_dir, "pack", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  for (const char *name; dir && (name = g_dir_read_name (dir));)
    {
      if (!g_str_has_suffix (name, ".idx") || r->packs->len >= 0xffff)
        continue;
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      BpPackFile pk = { 0 };
      if (bp_pack_file_open (path, &pk) && pk.pack_size < G_GUINT64_CONSTANT (1) << 48)
        g_array_append_val (r->packs, pk);
      else
        bp_pack_file_clear (&pk);
    }
}

BpCommitReader *
bp_commit_reader_new (git_odb *odb, const char *const *object_dirs)
{
  BpCommitReader *r = g_new0 (BpCommitReader, 1);
  r->odb = odb;
  r->dirs = g_strdupv ((char **) object_dirs);
  r->packs = g_array_new (FALSE, TRUE, sizeof (BpPackFile));
  g_array_set_clear_func (r->packs, bp_pack_file_clear);
  for (guint i = 0; r->dirs[i]; i++)
    open_packs (r, r->dirs[i]);
  return r;
}

/* PATH made absolute (against BASE) with its symlinks resolved, as the
 * kernel names mapped files; as given when it cannot be resolved. */
static char *
real_dir (const char *path, const char *base)
{
  g_autofree char *abs = g_canonicalize_filename (path, base);
  char *real = realpath (abs, NULL);
  if (real == NULL)
    return g_steal_pointer (&abs);
  char *dup = g_strdup (real);
  free (real);
  return dup;
}

GStrv
bp_object_dirs (const char *objects_dir)
{
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (dirs, real_dir (objects_dir, NULL));
  /* objects/info/alternates: one directory a line, relative to the objects
   * directory; alternates may have their own (git allows 5 levels) */
  for (guint i = 0; i < dirs->len && dirs->len < 16; i++)
    {
      g_autofree char *file = g_build_filename (g_ptr_array_index (dirs, i), "info", "alternates", NULL);
      g_autofree char *text = NULL;
      if (!g_file_get_contents (file, &text, NULL, NULL))
        continue;
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint l = 0; lines[l]; l++)
        {
          char *line = g_strstrip (lines[l]);
          if (!*line || *line == '#')
            continue;
          g_autofree char *dir = real_dir (line, g_ptr_array_index (dirs, i));
          gboolean seen = FALSE;
          for (guint k = 0; k < dirs->len; k++)
            seen |= strcmp (g_ptr_array_index (dirs, k), dir) == 0;
          if (!seen && g_file_test (dir, G_FILE_TEST_IS_DIR))
            g_ptr_array_add (dirs, g_steal_pointer (&dir));
        }
    }
  g_ptr_array_add (dirs, NULL);
  return (GStrv) g_ptr_array_steal (dirs, NULL);
}

void
bp_commit_reader_free (BpCommitReader *reader)
{
  if (reader == NULL)
    return;
  if (reader->single)
    inflateEnd (&reader->single->z);
  g_free (reader->single);
  g_array_unref (reader->packs);
  g_strfreev (reader->dirs);
  g_free (reader);
}

/* Where OID is: its pack and offset, or FALSE. */
static gboolean
locate (const BpCommitReader *r, const git_oid *oid, guint64 *key)
{
  for (guint i = 0; i < r->packs->len; i++)
    {
      guint64 ofs;
      if (bp_pack_file_find (&g_array_index (r->packs, BpPackFile, i), oid, &ofs))
        {
          *key = (guint64) i << 48 | ofs;
          return TRUE;
        }
    }
  return FALSE;
}

/* Give back the pages of every index (and with PACKS, every pack). */
static void
release_all (BpCommitReader *r, gboolean packs)
{
  for (guint p = 0; p < r->packs->len; p++)
    bp_pack_file_release (&g_array_index (r->packs, BpPackFile, p), 0, packs ? G_MAXUINT64 : 0, TRUE);
}

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  guint last_pack = G_MAXUINT;
  guint64 released = 0;
  for (guint i = 0; i < w->n && !w->refused; i++)
    {
      guint pack_index = (guint) (w->items[i].key >> 48);
      guint64 ofs = KEY_OFFSET (w->items[i].key);
      const BpPackFile *pk = KEY_PACK (w->r, w->items[i].key);
      if (pack_index != last_pack)
        last_pack = pack_index, released = ofs;
      else if (ofs - released > RELEASE_STEP)
        {
          bp_pack_file_release (pk, released, ofs, FALSE);
          released = ofs;
        }
      int type = 0;
      gsize size = 0;
      g_autofree guint8 *data = bp_pack_file_read (pk, &w->z, ofs, &type, &size);
      if (data == NULL || type != OBJ_COMMIT)
        {
          g_array_append_val (w->fallback, i);
          continue;
        }
      if (!w->func (w->items[i].index, (const char *) data, size, w->user_data))
        {
          w->refused = TRUE;
          w->failed = w->items[i].index;
        }
    }
  return NULL;
}

static int
item_cmp (gconstpointer a, gconstpointer b)
{
  guint64 x = ((const Item *) a)->key, y = ((const Item *) b)->key;
  return x < y ? -1 : x > y;
}

/* Through libgit2: what the packs could not give. */
static BpCommitReadResult
read_one_odb (BpCommitReader *r, const git_oid *oid, guint index, BpCommitFunc func, gpointer user_data)
{
  g_autoptr(git_odb_object) obj = NULL;
  if (git_odb_read (&obj, r->odb, oid) < 0)
    return BP_COMMIT_READ_MISSING;
  if (git_odb_object_type (obj) != GIT_OBJECT_COMMIT)
    return BP_COMMIT_READ_NOT_COMMIT;
  if (!func (index, git_odb_object_data (obj), git_odb_object_size (obj), user_data))
    return BP_COMMIT_READ_REFUSED;
  return BP_COMMIT_READ_OK;
}

/* Run the located items on one or two workers; what they leave goes to
 * LEFT (indexes into OIDS). */
static gboolean
run_workers (BpCommitReader *r, GArray *items, BpCommitFunc func, gpointer user_data, GArray *left,
             guint *failed)
{
  guint n_workers = items->len >= THREADED_MIN && g_get_num_processors () >= 2 ? 2 : 1;
  Worker workers[2] = { 0 };
  GThread *threads[2] = { NULL, NULL };
  gboolean refused = FALSE;
  for (guint t = 0; t < n_workers; t++)
    {
      Worker *w = &workers[t];
      guint from = items->len * t / n_workers, to = items->len * (t + 1) / n_workers;
      *w = (Worker) { .r = r, .items = &g_array_index (items, Item, from), .n = to - from,
                      .func = func, .user_data = user_data,
                      .fallback = g_array_new (FALSE, FALSE, sizeof (guint)) };
      if (inflateInit (&w->z) != Z_OK)
        w->n = 0;   /* all of it goes to libgit2 below */
      if (t > 0)
        threads[t] = g_thread_new ("bp-commit-reader", worker_run, w);
    }
  worker_run (&workers[0]);
  for (guint t = 0; t < n_workers; t++)
    {
      Worker *w = &workers[t];
      if (threads[t])
        g_thread_join (threads[t]);
      if (w->refused && !refused)
        refused = TRUE, *failed = w->failed;
      guint from = items->len * t / n_workers;
      for (guint k = 0; k < w->fallback->len; k++)
        g_array_append_val (left, g_array_index (items, Item, from + g_array_index (w->fallback, guint, k)).index);
      if (w->n == 0)
        for (guint k = from; k < items->len * (t + 1) / n_workers; k++)
          g_array_append_val (left, g_array_index (items, Item, k).index);
      inflateEnd (&w->z);
      g_array_unref (w->fallback);
    }
  return !refused;
}

BpCommitReadResult
bp_commit_reader_read (BpCommitReader *reader, const git_oid *oids, guint n,
                       BpCommitFunc func, gpointer user_data, guint *failed)
{
  g_autoptr(GArray) items = g_array_sized_new (FALSE, FALSE, sizeof (Item), n);
  g_autoptr(GArray) left = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < n; i++)
    {
      Item it = { .index = i };
      if (locate (reader, &oids[i], &it.key))
        g_array_append_val (items, it);
      else
        g_array_append_val (left, i);
      if (i % 8192 == 8191)   /* the lookups touch the indexes all over: page cache, not ours */
        release_all (reader, FALSE);
    }
  g_array_sort (items, item_cmp);
  if (n >= THREADED_MIN)
    release_all (reader, FALSE);
  if (items->len && !run_workers (reader, items, func, user_data, left, failed))
    return BP_COMMIT_READ_REFUSED;
  for (guint k = 0; k < left->len; k++)
    {
      guint i = g_array_index (left, guint, k);
      BpCommitReadResult rc = read_one_odb (reader, &oids[i], i, func, user_data);
      if (rc != BP_COMMIT_READ_OK)
        {
          *failed = i;
          return rc;
        }
    }
  /* what was read is page cache now, not this process's memory */
  if (items->len >= THREADED_MIN)
    release_all (reader, TRUE);
  return BP_COMMIT_READ_OK;
}

guint8 *
bp_commit_reader_object (BpCommitReader *reader, const git_oid *oid, git_object_t *type, gsize *len)
{
  guint64 key;
  if (reader->single == NULL)
    {
      reader->single = g_new0 (Worker, 1);
      reader->single->r = reader;
      if (inflateInit (&reader->single->z) != Z_OK)
        reader->single->r = NULL;
    }
  if (reader->single->r && locate (reader, oid, &key))
    {
      int t = 0;
      guint8 *data = bp_pack_file_read (KEY_PACK (reader, key), &reader->single->z, KEY_OFFSET (key), &t, len);
      if (data && t >= 1 && t <= 4)
        {
          *type = (git_object_t) t;   /* git's and libgit2's numbers agree: commit 1 .. tag 4 */
          if (++reader->since_release > SINGLE_RELEASE)   /* a delta chain touches many pages */
            {
              release_all (reader, TRUE);
              reader->since_release = 0;
            }
          return data;
        }
      g_free (data);
    }
  g_autoptr(git_odb_object) obj = NULL;
  if (git_odb_read (&obj, reader->odb, oid) < 0)
    return NULL;
  *type = git_odb_object_type (obj);
  *len = git_odb_object_size (obj);
  return g_memdup2 (git_odb_object_data (obj), *len + 1);
}

void
bp_commit_reader_release (BpCommitReader *reader)
{
  release_all (reader, TRUE);
  /* libgit2 maps the same packs and indexes, and keeps what it touched */
  g_autofree char *maps = NULL;
  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return;
  g_auto(GStrv) lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *path = strchr (lines[i], '/');
      guint64 from, to;
      char perms[8];
      gboolean ours = FALSE;
      for (guint d = 0; path && reader->dirs[d] && !ours; d++)
        ours = g_str_has_prefix (path, reader->dirs[d]) && strstr (path + strlen (reader->dirs[d]), "/pack/pack-");
      if (!ours
          || sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x %7s", &from, &to, perms) != 3
          || perms[1] == 'w')
        continue;
      madvise ((void *) (guintptr) from, (gsize) (to - from), MADV_DONTNEED);
    }
}

gboolean
bp_commit_reader_has (BpCommitReader *reader, const git_oid *oid)
{
  guint64 key;
  return locate (reader, oid, &key) || git_odb_exists (reader->odb, oid);
}
