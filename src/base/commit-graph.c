/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading git's commit-graph: see commit-graph.h.
 *
 * Layout of one file (all numbers big-endian):
 *   "CGPH" version(1)=1 hash-version(1)=1 chunks(1)=C bases(1)=B
 *   (C + 1) x { id(4) offset(8) }, the last with id 0 marking the end
 *   OIDF  256 x u32: commits whose first byte is <= i
 *   OIDL  N x 20: the ids, sorted
 *   CDAT  N x { tree(20) parent1(4) parent2(4) level:30|time-high:2 (4) time-low(4) }
 *         parent 0x70000000: none; parent2 with the high bit set: index
 *         into EDGE, whose list ends at the entry with the high bit set
 *   EDGE  optional: the third and later parents of octopus merges
 *   trailer: SHA-1 of everything before it
 * Positions are global across a chain: a layer's commits follow its bases'. */
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "base/commit-graph.h"

#define HASH_LEN 20
#define CDAT_LEN (HASH_LEN + 16)
#define PARENT_NONE 0x70000000u
#define PARENT_EDGE 0x80000000u
#define LEVEL_MAX 0x3fffffffu

typedef struct {
  GMappedFile *file;
  const guint8 *data;
  gsize size;
  const guint8 *fanout, *oids, *cdat, *edges;
  guint32 n, n_edges;
  guint32 first;          /* global position of this layer's first commit */
} Layer;

struct BpCommitGraph {
  GArray *layers;         /* Layer, bases first */
  guint32 n;
  gboolean has_levels;
};

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
be64 (const guint8 *p)
{
  return (guint64) be32 (p) << 32 | be32 (p + 4);
}

static void
layer_clear (gpointer p)
{
  Layer *l = p;
  g_clear_pointer (&l->file, g_mapped_file_unref);
}

void
bp_commit_graph_free (BpCommitGraph *graph)
{
  if (graph == NULL)
    return;
  g_array_unref (graph->layers);
  g_free (graph);
}

/* The trailing SHA-1 covers the whole file before it. */
static gboolean
checksum_ok (const guint8 *data, gsize size)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sum, data, (gssize) (size - HASH_LEN));
  guint8 digest[HASH_LEN];
  gsize len = sizeof digest;
  g_checksum_get_digest (sum, digest, &len);
  return memcmp (digest, data + size - HASH_LEN, HASH_LEN) == 0;
}

/* The chunk table: find OIDF, OIDL, CDAT and EDGE, all inside the file. */
static const char *
read_chunks (Layer *l, guint n_chunks)
{
  gsize table = 8, end_of_data = l->size - HASH_LEN;
  if (table + (gsize) (n_chunks + 1) * 12 > end_of_data)
    return "its chunk table is cut off";
  gsize oidf_len = 0, oidl_len = 0, cdat_len = 0, edge_len = 0;
  for (guint i = 0; i < n_chunks; i++)
    {
      const guint8 *e = l->data + table + i * 12;
      guint32 id = be32 (e);
      guint64 start = be64 (e + 4), stop = be64 (e + 16);
      if (id == 0 || start < table + (gsize) (n_chunks + 1) * 12 || stop < start || stop > end_of_data)
        return "its chunk table points outside the file";
      const guint8 *at = l->data + start;
      gsize len = (gsize) (stop - start);
      if (id == 0x4f494446) /* OIDF */
        l->fanout = at, oidf_len = len;
      else if (id == 0x4f49444c) /* OIDL */
        l->oids = at, oidl_len = len;
      else if (id == 0x43444154) /* CDAT */
        l->cdat = at, cdat_len = len;
      else if (id == 0x45444745) /* EDGE */
        l->edges = at, edge_len = len;
    }
  if (be32 (l->data + table + n_chunks * 12) != 0)
    return "its chunk table does not end";
  if (l->fanout == NULL || l->oids == NULL || l->cdat == NULL || oidf_len != 256 * 4)
    return "a required chunk (OIDF, OIDL, CDAT) is missing";
  l->n = be32 (l->fanout + 255 * 4);
  if (oidl_len != (gsize) l->n * HASH_LEN || cdat_len != (gsize) l->n * CDAT_LEN || edge_len % 4)
    return "its chunks do not agree on the number of commits";
  l->n_edges = (guint32) (edge_len / 4);
  return NULL;
}

/* Fanout counts rise, ids are sorted and match their fanout bucket. */
static const char *
check_ids (const Layer *l)
{
  guint32 prev = 0;
  for (guint b = 0; b < 256; b++)
    {
      guint32 count = be32 (l->fanout + b * 4);
      if (count < prev)
        return "its fanout is not sorted";
      for (guint32 i = prev; i < count; i++)
        if (l->oids[(gsize) i * HASH_LEN] != b)
          return "an id is in the wrong fanout bucket";
      prev = count;
    }
  for (guint32 i = 1; i < l->n; i++)
    if (memcmp (l->oids + (gsize) (i - 1) * HASH_LEN, l->oids + (gsize) i * HASH_LEN, HASH_LEN) >= 0)
      return "its ids are not sorted";
  return NULL;
}

/* Every parent names a commit of this layer or its bases; every edge list
 * ends inside EDGE. */
static const char *
check_parents (const Layer *l, gboolean *levels)
{
  guint32 limit = l->first + l->n;
  for (guint32 i = 0; i < l->n; i++)
    {
      const guint8 *c = l->cdat + (gsize) i * CDAT_LEN;
      guint32 p1 = be32 (c + HASH_LEN), p2 = be32 (c + HASH_LEN + 4);
      if (p1 != PARENT_NONE && p1 >= limit)
        return "a parent position is out of range";
      if (p2 & PARENT_EDGE)
        {
          guint32 e = p2 & ~PARENT_EDGE;
          for (;; e++)
            {
              if (e >= l->n_edges)
                return "an octopus edge list runs past EDGE";
              guint32 v = be32 (l->edges + (gsize) e * 4);
              if ((v & ~PARENT_EDGE) >= limit)
                return "an octopus parent is out of range";
              if (v & PARENT_EDGE)
                break;
            }
        }
      else if (p2 != PARENT_NONE && p2 >= limit)
        return "a parent position is out of range";
      guint32 level = be32 (c + HASH_LEN + 8) >> 2;
      if (level == 0 || level >= LEVEL_MAX)
        *levels = FALSE;
    }
  return NULL;
}

/* "dev:inode:size:mtime-ns:trailer" of a file: it changes with any rewrite. */
static char *
file_stamp (const char *path, const Layer *l)
{
  GStatBuf st;
  if (g_stat (path, &st) < 0)
    return g_strdup ("");
  GString *s = g_string_new (NULL);
  g_string_printf (s, "%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ":%" G_GINT64_FORMAT ".%09ld:",
                   (guint64) st.st_dev, (guint64) st.st_ino, (guint64) st.st_size, (gint64) st.st_mtim.tv_sec,
                   (long) st.st_mtim.tv_nsec);
  for (guint i = 0; i < HASH_LEN; i++)
    g_string_append_printf (s, "%02x", l->data[l->size - HASH_LEN + i]);
  return g_string_free (s, FALSE);
}

static const char *
open_layer (const char *path, guint index, Layer *l, gboolean *levels, const char *trusted, GString *stamp,
            GError **io_error)
{
  l->file = g_mapped_file_new (path, FALSE, io_error);
  if (l->file == NULL)
    return "it cannot be read";
  l->data = (const guint8 *) g_mapped_file_get_contents (l->file);
  l->size = g_mapped_file_get_length (l->file);
  if (l->size < 8 + 12 + HASH_LEN || memcmp (l->data, "CGPH", 4) != 0)
    return "it is not a commit-graph file";
  if (l->data[4] != 1 || l->data[5] != 1)
    return "it has another version or hash (only SHA-1 version 1 is read)";
  if (l->data[7] != index)
    return "its base count does not match the chain";
  const char *why = read_chunks (l, l->data[6]);
  if (why == NULL)
    why = check_ids (l);
  if (why == NULL)
    why = check_parents (l, levels);
  if (why)
    return why;
  g_autofree char *mine = file_stamp (path, l);
  g_string_append_printf (stamp, "%s;", mine);
  /* hashing 8 MB costs more than the rest of a warm run: a file validated
   * before, unchanged since (same inode, size, time and checksum), is not
   * hashed again */
  if ((trusted == NULL || strstr (trusted, mine) == NULL) && !checksum_ok (l->data, l->size))
    return "its checksum does not match (the file is damaged)";
  return NULL;
}

/* The files of the graph, bases first: the single file, else the chain. */
static GPtrArray *
graph_files (const char *objects_dir, char **note)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *single = g_build_filename (objects_dir, "info", "commit-graph", NULL);
  if (g_file_test (single, G_FILE_TEST_EXISTS))
    {
      g_ptr_array_add (files, g_steal_pointer (&single));
      return files;
    }
  g_autofree char *dir = g_build_filename (objects_dir, "info", "commit-graphs", NULL);
  g_autofree char *chain = g_build_filename (dir, "commit-graph-chain", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (chain, &text, NULL, NULL))
    return files;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *h = g_strstrip (lines[i]);
      if (!*h)
        continue;
      if (strlen (h) != 2 * HASH_LEN || strspn (h, "0123456789abcdef") != 2 * HASH_LEN)
        {
          *note = g_strdup_printf ("%s: line %u is not a graph id", chain, i + 1);
          g_ptr_array_set_size (files, 0);
          return files;
        }
      g_autofree char *name = g_strdup_printf ("graph-%s.graph", h);
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
    }
  return files;
}

BpCommitGraph *
bp_commit_graph_open (const char *objects_dir, const char *trusted, char **stamp, char **note)
{
  *note = NULL;
  *stamp = NULL;
  g_autoptr(GString) stamps = g_string_new (NULL);
  g_autoptr(GPtrArray) files = graph_files (objects_dir, note);
  if (files->len == 0 || files->len > 255)
    return NULL;
  g_autoptr(GArray) layers = g_array_new (FALSE, TRUE, sizeof (Layer));
  g_array_set_clear_func (layers, layer_clear);
  gboolean levels = TRUE;
  guint32 total = 0;
  for (guint i = 0; i < files->len; i++)
    {
      Layer l = { .first = total };
      g_autoptr(GError) io_error = NULL;
      const char *why = open_layer (g_ptr_array_index (files, i), i, &l, &levels, trusted, stamps, &io_error);
      g_array_append_val (layers, l);   /* owned from here, also on failure */
      if (why)
        {
          *note = g_strdup_printf ("%s is not used: %s%s%s", (char *) g_ptr_array_index (files, i), why,
                                   io_error ? ": " : "", io_error ? io_error->message : "");
          return NULL;
        }
      if (total + (guint64) l.n >= PARENT_NONE)
        {
          *note = g_strdup_printf ("%s is not used: too many commits", (char *) g_ptr_array_index (files, i));
          return NULL;
        }
      total += l.n;
    }
  BpCommitGraph *graph = g_new0 (BpCommitGraph, 1);
  graph->layers = g_steal_pointer (&layers);
  graph->n = total;
  graph->has_levels = levels;
  *stamp = g_string_free (g_steal_pointer (&stamps), FALSE);
  return graph;
}

guint32
bp_commit_graph_size (const BpCommitGraph *graph)
{
  return graph->n;
}

guint
bp_commit_graph_layers (const BpCommitGraph *graph)
{
  return graph->layers->len;
}

static const Layer *
layer_of (const BpCommitGraph *graph, guint32 pos)
{
  const Layer *l = &g_array_index (graph->layers, Layer, 0);
  for (guint i = graph->layers->len; i-- > 1;)
    {
      const Layer *c = &g_array_index (graph->layers, Layer, i);
      if (pos >= c->first)
        return c;
    }
  return l;
}

gboolean
bp_commit_graph_lookup (const BpCommitGraph *graph, const git_oid *oid, guint32 *pos)
{
  const guint8 *id = oid->id;
  for (guint i = 0; i < graph->layers->len; i++)
    {
      const Layer *l = &g_array_index (graph->layers, Layer, i);
      guint32 lo = id[0] ? be32 (l->fanout + (id[0] - 1) * 4) : 0;
      guint32 hi = be32 (l->fanout + id[0] * 4);
      while (lo < hi)
        {
          guint32 mid = lo + (hi - lo) / 2;
          int c = memcmp (l->oids + (gsize) mid * HASH_LEN, id, HASH_LEN);
          if (c == 0)
            {
              *pos = l->first + mid;
              return TRUE;
            }
          if (c < 0)
            lo = mid + 1;
          else
            hi = mid;
        }
    }
  return FALSE;
}

void
bp_commit_graph_oid (const BpCommitGraph *graph, guint32 pos, git_oid *out)
{
  const Layer *l = layer_of (graph, pos);
  git_oid_fromraw (out, l->oids + (gsize) (pos - l->first) * HASH_LEN);
}

void
bp_commit_graph_parents (const BpCommitGraph *graph, guint32 pos, GArray *parents)
{
  const Layer *l = layer_of (graph, pos);
  const guint8 *c = l->cdat + (gsize) (pos - l->first) * CDAT_LEN;
  guint32 p1 = be32 (c + HASH_LEN), p2 = be32 (c + HASH_LEN + 4);
  if (p1 == PARENT_NONE)
    return;
  g_array_append_val (parents, p1);
  if (p2 == PARENT_NONE)
    return;
  if (!(p2 & PARENT_EDGE))
    {
      g_array_append_val (parents, p2);
      return;
    }
  for (guint32 e = p2 & ~PARENT_EDGE;; e++)   /* bounds checked at open */
    {
      guint32 v = be32 (l->edges + (gsize) e * 4);
      guint32 p = v & ~PARENT_EDGE;
      g_array_append_val (parents, p);
      if (v & PARENT_EDGE)
        break;
    }
}

gboolean
bp_commit_graph_has_levels (const BpCommitGraph *graph)
{
  return graph->has_levels;
}

guint32
bp_commit_graph_level (const BpCommitGraph *graph, guint32 pos)
{
  const Layer *l = layer_of (graph, pos);
  return be32 (l->cdat + (gsize) (pos - l->first) * CDAT_LEN + HASH_LEN + 8) >> 2;
}

gint64
bp_commit_graph_commit_time (const BpCommitGraph *graph, guint32 pos)
{
  const Layer *l = layer_of (graph, pos);
  const guint8 *c = l->cdat + (gsize) (pos - l->first) * CDAT_LEN + HASH_LEN + 8;
  return (gint64) (be32 (c) & 3) << 32 | be32 (c + 4);
}

void
bp_commit_graph_tree (const BpCommitGraph *graph, guint32 pos, git_oid *out)
{
  const Layer *l = layer_of (graph, pos);
  git_oid_fromraw (out, l->cdat + (gsize) (pos - l->first) * CDAT_LEN);
}

void
bp_commit_graph_layer_range (const BpCommitGraph *graph, guint layer, guint32 *first, guint32 *n)
{
  const Layer *l = &g_array_index (graph->layers, Layer, layer);
  *first = l->first;
  *n = l->n;
}

guint
bp_commit_graph_parents_into (const BpCommitGraph *graph, guint32 pos, guint32 *out, guint cap)
{
  const Layer *l = graph->layers->len == 1 ? &g_array_index (graph->layers, Layer, 0) : layer_of (graph, pos);
  const guint8 *c = l->cdat + (gsize) (pos - l->first) * CDAT_LEN;
  guint32 p1 = be32 (c + HASH_LEN), p2 = be32 (c + HASH_LEN + 4);
  guint n = 0;
  if (p1 == PARENT_NONE)
    return 0;
  if (n < cap)
    out[n] = p1;
  n++;
  if (p2 == PARENT_NONE)
    return n;
  if (!(p2 & PARENT_EDGE))
    {
      if (n < cap)
        out[n] = p2;
      return n + 1;
    }
  for (guint32 e = p2 & ~PARENT_EDGE;; e++)   /* bounds checked at open */
    {
      guint32 v = be32 (l->edges + (gsize) e * 4);
      if (n < cap)
        out[n] = v & ~PARENT_EDGE;
      n++;
      if (v & PARENT_EDGE)
        return n;
    }
}
