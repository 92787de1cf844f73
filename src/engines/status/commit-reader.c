/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Commits straight from the packs: see commit-reader.h.
 *
 * Pack index v2: "\377tOc" 2, fanout[256], ids[n], crc[n], offset32[n]
 * (high bit: index into offset64), offset64[], two checksums.  Pack entry:
 * type and size in a varint (type in bits 4-6 of the first byte), then the
 * zlib stream; an OFS_DELTA entry has the distance back to its base first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <gio/gio.h>

#include "base/history-git.h"
#include "engines/status/commit-reader.h"

#define OBJ_COMMIT 1
#define OBJ_OFS_DELTA 6
#define MAX_OBJECT (64u << 20)    /* no commit is this big; larger goes through libgit2 */
#define MAX_DEPTH 64
#define RELEASE_STEP (16u << 20)  /* give pages back every 16 MiB read */
#define THREADED_MIN 4096         /* below this, one thread */

typedef struct {
  GMappedFile *idx_file, *pack_file;
  const guint8 *fanout, *ids, *ofs32, *ofs64;
  guint32 n, n_big;
  const guint8 *pack;
  gsize pack_size;
} Pack;

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
  GStrv dirs;      /* the object directories whose packs are read */
  GArray *packs;   /* Pack */
  struct Worker *single;   /* for single objects (bp_commit_reader_object) */
  guint since_release;     /* single objects read since pages were given back */
};

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
pack_clear (gpointer p)
{
  Pack *pk = p;
  g_clear_pointer (&pk->idx_file, g_mapped_file_unref);
  g_clear_pointer (&pk->pack_file, g_mapped_file_unref);
}

/* Map IDX and its .pack; FALSE (the pack is left to libgit2) if either
 * is not what it should be. */
static gboolean
pack_open (const char *idx_path, Pack *pk)
{
  g_autofree char *base = g_strndup (idx_path, strlen (idx_path) - 4);
  g_autofree char *pack_path = g_strconcat (base, ".pack", NULL);
  pk->idx_file = g_mapped_file_new (idx_path, FALSE, NULL);
  pk->pack_file = pk->idx_file ? g_mapped_file_new (pack_path, FALSE, NULL) : NULL;
  if (pk->pack_file == NULL)
    return FALSE;
  const guint8 *idx = (const guint8 *) g_mapped_file_get_contents (pk->idx_file);
  gsize size = g_mapped_file_get_length (pk->idx_file);
  if (size < 8 + 1024 + 40 || memcmp (idx, "\377tOc", 4) != 0 || be32 (idx + 4) != 2)
    return FALSE;
  pk->fanout = idx + 8;
  pk->n = be32 (pk->fanout + 255 * 4);
  gsize fixed = 8 + 1024 + (gsize) pk->n * 28 + 40;
  if (size < fixed || (size - fixed) % 8)
    return FALSE;
  pk->ids = pk->fanout + 1024;
  pk->ofs32 = pk->ids + (gsize) pk->n * 24;   /* after ids and crcs */
  pk->ofs64 = pk->ofs32 + (gsize) pk->n * 4;
  pk->n_big = (guint32) ((size - fixed) / 8);
  pk->pack = (const guint8 *) g_mapped_file_get_contents (pk->pack_file);
  pk->pack_size = g_mapped_file_get_length (pk->pack_file);
  return pk->pack_size >= 12 + 20 && memcmp (pk->pack, "PACK", 4) == 0;
}

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
      Pack pk = { 0 };
      if (pack_open (path, &pk))
        g_array_append_val (r->packs, pk);
      else
        pack_clear (&pk);
    }
}

BpCommitReader *
bp_commit_reader_new (git_odb *odb, const char *const *object_dirs)
{
  BpCommitReader *r = g_new0 (BpCommitReader, 1);
  r->odb = odb;
  r->dirs = g_strdupv ((char **) object_dirs);
  r->packs = g_array_new (FALSE, TRUE, sizeof (Pack));
  g_array_set_clear_func (r->packs, pack_clear);
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
  const guint8 *id = oid->id;
  for (guint i = 0; i < r->packs->len; i++)
    {
      const Pack *pk = &g_array_index (r->packs, Pack, i);
      guint32 lo = id[0] ? be32 (pk->fanout + (id[0] - 1) * 4) : 0, hi = be32 (pk->fanout + id[0] * 4);
      while (lo < hi)
        {
          guint32 mid = lo + (hi - lo) / 2;
          int c = memcmp (pk->ids + (gsize) mid * 20, id, 20);
          if (c < 0)
            lo = mid + 1;
          else if (c > 0)
            hi = mid;
          else
            {
              guint64 ofs = be32 (pk->ofs32 + (gsize) mid * 4);
              if (ofs & 0x80000000u)
                {
                  guint32 big = (guint32) (ofs & 0x7fffffffu);
                  if (big >= pk->n_big)
                    return FALSE;
                  ofs = (guint64) be32 (pk->ofs64 + (gsize) big * 8) << 32 | be32 (pk->ofs64 + (gsize) big * 8 + 4);
                }
              if (ofs < 12 || ofs >= pk->pack_size - 20 || ofs >= G_GUINT64_CONSTANT (1) << 48)
                return FALSE;
              *key = (guint64) i << 48 | ofs;
              return TRUE;
            }
        }
    }
  return FALSE;
}

/* ------------------------------------------------------------ one entry */

/* Inflate exactly SIZE bytes from IN (at most AVAIL bytes); NULL if the
 * stream is not that. */
static guint8 *
inflate_exact (z_stream *z, const guint8 *in, gsize avail, gsize size)
{
  g_autofree guint8 *out = g_malloc (size + 1);
  if (inflateReset (z) != Z_OK)
    return NULL;
  z->next_in = (Bytef *) in;
  z->avail_in = (uInt) MIN (avail, (gsize) G_MAXUINT32);
  z->next_out = out;
  z->avail_out = (uInt) size + 1;
  if (inflate (z, Z_FINISH) != Z_STREAM_END || z->total_out != size)
    return NULL;
  return g_steal_pointer (&out);
}

static gboolean
varint (const guint8 **p, const guint8 *end, gsize *value)
{
  gsize v = 0;
  for (guint shift = 0; *p < end && shift < 64; shift += 7)
    {
      guint8 c = *(*p)++;
      v |= (gsize) (c & 0x7f) << shift;
      if (!(c & 0x80))
        {
          *value = v;
          return TRUE;
        }
    }
  return FALSE;
}

/* git's delta format: base size, result size, then copy/insert ops. */
static guint8 *
delta_apply (const guint8 *base, gsize base_len, const guint8 *d, gsize d_len, gsize *out_len)
{
  const guint8 *end = d + d_len;
  gsize src, dst;
  if (!varint (&d, end, &src) || !varint (&d, end, &dst) || src != base_len || dst > MAX_OBJECT)
    return NULL;
  g_autofree guint8 *out = g_malloc (dst + 1);
  gsize pos = 0;
  while (d < end)
    {
      guint8 op = *d++;
      if (op & 0x80)
        {
          gsize off = 0, len = 0;
          for (guint b = 0; b < 4; b++)
            if (op & (1u << b))
              {
                if (d >= end)
                  return NULL;
                off |= (gsize) *d++ << (8 * b);
              }
          for (guint b = 0; b < 3; b++)
            if (op & (0x10u << b))
              {
                if (d >= end)
                  return NULL;
                len |= (gsize) *d++ << (8 * b);
              }
          if (len == 0)
            len = 0x10000;
          if (off > base_len || len > base_len - off || len > dst - pos)
            return NULL;
          memcpy (out + pos, base + off, len);
          pos += len;
        }
      else if (op)
        {
          if (op > (gsize) (end - d) || op > dst - pos)
            return NULL;
          memcpy (out + pos, d, op);
          d += op;
          pos += op;
        }
      else
        return NULL;
    }
  if (pos != dst)
    return NULL;
  *out_len = dst;
  return g_steal_pointer (&out);
}

/* The object at OFS of PK, fully resolved; NULL to leave it to libgit2. */
static guint8 *
entry_read (Worker *w, const Pack *pk, guint64 ofs, guint depth, int *type, gsize *size)
{
  const guint8 *p = pk->pack + ofs, *end = pk->pack + pk->pack_size - 20;
  if (depth > MAX_DEPTH || p >= end)
    return NULL;
  guint8 c = *p++;
  *type = (c >> 4) & 7;
  gsize len = c & 15;
  for (guint shift = 4; c & 0x80; shift += 7)
    {
      if (p >= end || shift > 57)
        return NULL;
      c = *p++;
      len |= (gsize) (c & 0x7f) << shift;
    }
  if (len > MAX_OBJECT)
    return NULL;
  if (*type >= 1 && *type <= 4)
    {
      *size = len;
      return inflate_exact (&w->z, p, (gsize) (end - p), len);
    }
  if (*type != OBJ_OFS_DELTA)
    return NULL;   /* REF_DELTA (base by id) and anything odd: libgit2 */
  if (p >= end)
    return NULL;
  c = *p++;
  guint64 back = c & 0x7f;
  while (c & 0x80)
    {
      if (p >= end || back > (G_GUINT64_CONSTANT (1) << 48))
        return NULL;
      c = *p++;
      back = ((back + 1) << 7) | (c & 0x7f);
    }
  if (back == 0 || back > ofs)
    return NULL;
  g_autofree guint8 *delta = inflate_exact (&w->z, p, (gsize) (end - p), len);
  gsize base_len;
  g_autofree guint8 *base = delta ? entry_read (w, pk, ofs - back, depth + 1, type, &base_len) : NULL;
  if (base == NULL)
    return NULL;
  return delta_apply (base, base_len, delta, len, size);
}

/* Give the pages of [FROM, TO) of a mapping back: they are only page cache. */
static void
release (const guint8 *map, guint64 from, guint64 to)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  guint64 a = (from + page - 1) / page * page, b = to / page * page;
  if (b > a)
    madvise ((void *) (map + a), (gsize) (b - a), MADV_DONTNEED);
}

/* Give back the pages of every index (and with PACKS, every pack). */
static void
release_all (BpCommitReader *r, gboolean packs)
{
  for (guint p = 0; p < r->packs->len; p++)
    {
      const Pack *pk = &g_array_index (r->packs, Pack, p);
      release (pk->fanout - 8, 0, g_mapped_file_get_length (pk->idx_file));
      if (packs)
        release (pk->pack, 0, pk->pack_size);
    }
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
      guint64 ofs = w->items[i].key & ((G_GUINT64_CONSTANT (1) << 48) - 1);
      const Pack *pk = &g_array_index (w->r->packs, Pack, pack_index);
      if (pack_index != last_pack)
        last_pack = pack_index, released = ofs;
      else if (ofs - released > RELEASE_STEP)
        {
          release (pk->pack, released, ofs);
          released = ofs;
        }
      int type = 0;
      gsize size = 0;
      g_autofree guint8 *data = entry_read (w, pk, ofs, 0, &type, &size);
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
      const Pack *pk = &g_array_index (reader->packs, Pack, (guint) (key >> 48));
      guint8 *data = entry_read (reader->single, pk, key & ((G_GUINT64_CONSTANT (1) << 48) - 1), 0, &t, len);
      if (data && t >= 1 && t <= 4)
        {
          *type = (git_object_t) t;   /* git's and libgit2's numbers agree: commit 1 .. tag 4 */
          if (++reader->since_release > 128)   /* objects: a delta chain touches many pages */
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
