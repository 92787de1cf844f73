/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A read-only commit-graph reader (see bisect-graph.h).  Layout of one file:
 *   header   "CGPH", version 1, hash version 1 (SHA-1), chunk count, base count
 *   table    (chunks + 1) x { be32 id, be64 offset }, the last id 0
 *   OIDF     256 x be32: commits whose first byte is <= i
 *   OIDL     N x 20: the ids, sorted
 *   CDAT     N x { tree[20], be32 parent1, be32 parent2, be32 gen<<2|time_hi, be32 time_lo }
 *   EDGE     be32 entries: parents after the first of octopus merges, the
 *            last with the high bit set
 * Parent positions count over the whole chain, base layer first. */
#include "engines/bisect/bisect-graph.h"

#include <string.h>

#define SIG_CGPH 0x43475048u
#define CHUNK_OIDF 0x4f494446u
#define CHUNK_OIDL 0x4f49444cu
#define CHUNK_CDAT 0x43444154u
#define CHUNK_EDGE 0x45444745u
#define PARENT_NONE 0x70000000u
#define PARENT_EXTRA 0x80000000u
#define CDAT_WIDTH (GIT_OID_RAWSZ + 16)

typedef struct {
  GMappedFile *file;
  const guint8 *fanout;
  const guint8 *oids;
  const guint8 *cdat;
  const guint8 *edges;
  gsize n_edges;
  guint32 n;
  guint32 base;         /* commits in the layers below this one */
} Layer;

/* One object directory's graph: a file, or a chain of layers. */
typedef struct {
  GArray *layers;       /* Layer, base first */
  guint32 total;
} Chain;

struct BpCommitGraph {
  GPtrArray *chains;    /* Chain* */
};

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
be64 (const guint8 *p)
{
  return ((guint64) be32 (p) << 32) | be32 (p + 4);
}

static void
chain_free (gpointer p)
{
  Chain *c = p;
  for (guint i = 0; i < c->layers->len; i++)
    g_mapped_file_unref (g_array_index (c->layers, Layer, i).file);
  g_array_unref (c->layers);
  g_free (c);
}

/* Map PATH as layer number INDEX of a chain; FALSE when it is not a
 * commit-graph this reader understands. */
static gboolean
layer_open (const char *path, guint index, guint32 base, Layer *out)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, NULL);
  if (file == NULL)
    return FALSE;
  const guint8 *d = (const guint8 *) g_mapped_file_get_contents (file);
  gsize size = g_mapped_file_get_length (file);
  if (d == NULL || size < 8 + 12 || be32 (d) != SIG_CGPH || d[4] != 1 || d[5] != 1 || d[7] != index)
    return FALSE;
  guint chunks = d[6];
  if (size < 8 + (gsize) (chunks + 1) * 12)
    return FALSE;
  Layer l = { 0 };
  gsize oidl_size = 0, cdat_size = 0;
  for (guint i = 0; i < chunks; i++)
    {
      const guint8 *e = d + 8 + i * 12;
      guint64 off = be64 (e + 4), next = be64 (e + 16);
      if (off > size || next > size || next < off)
        return FALSE;
      switch (be32 (e))
        {
        case CHUNK_OIDF:
          if (next - off != 256 * 4)
            return FALSE;
          l.fanout = d + off;
          break;
        case CHUNK_OIDL:
          l.oids = d + off;
          oidl_size = next - off;
          break;
        case CHUNK_CDAT:
          l.cdat = d + off;
          cdat_size = next - off;
          break;
        case CHUNK_EDGE:
          l.edges = d + off;
          l.n_edges = (next - off) / 4;
          break;
        default:
          break;
        }
    }
  if (l.fanout == NULL || l.oids == NULL || l.cdat == NULL)
    return FALSE;
  l.n = be32 (l.fanout + 255 * 4);
  if (oidl_size < (gsize) l.n * GIT_OID_RAWSZ || cdat_size < (gsize) l.n * CDAT_WIDTH)
    return FALSE;
  l.base = base;
  l.file = g_steal_pointer (&file);
  *out = l;
  return TRUE;
}

/* The graph of one object directory, or NULL. */
static Chain *
chain_open (const char *objects)
{
  Chain *c = g_new0 (Chain, 1);
  c->layers = g_array_new (FALSE, FALSE, sizeof (Layer));
  g_autofree char *single = g_build_filename (objects, "info", "commit-graph", NULL);
  g_autofree char *chain_file = g_build_filename (objects, "info", "commit-graphs",
                                                  "commit-graph-chain", NULL);
  g_autofree char *text = NULL;
  Layer l;
  if (g_file_get_contents (chain_file, &text, NULL, NULL))
    {
      /* git prefers the chain when both exist */
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] && lines[i][0]; i++)
        {
          g_autofree char *name = g_strdup_printf ("graph-%s.graph", g_strstrip (lines[i]));
          g_autofree char *path = g_build_filename (objects, "info", "commit-graphs", name, NULL);
          if (!layer_open (path, c->layers->len, c->total, &l))
            {
              chain_free (c);
              return NULL;
            }
          g_array_append_val (c->layers, l);
          c->total += l.n;
        }
    }
  else if (layer_open (single, 0, 0, &l))
    {
      g_array_append_val (c->layers, l);
      c->total = l.n;
    }
  if (c->layers->len == 0)
    {
      chain_free (c);
      return NULL;
    }
  return c;
}

BpCommitGraph *
bp_commit_graph_open (git_repository *repo)
{
  g_autofree char *objects = g_build_filename (git_repository_commondir (repo), "objects", NULL);
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (dirs, g_strdup (objects));
  g_autofree char *alt_file = g_build_filename (objects, "info", "alternates", NULL);
  g_autofree char *alt = NULL;
  if (g_file_get_contents (alt_file, &alt, NULL, NULL))
    {
      g_auto(GStrv) lines = g_strsplit (alt, "\n", -1);
      for (guint i = 0; lines[i]; i++)
        {
          char *l = g_strstrip (lines[i]);
          if (l[0] == '\0' || l[0] == '#')
            continue;
          g_ptr_array_add (dirs, g_path_is_absolute (l) ? g_strdup (l)
                                                        : g_build_filename (objects, l, NULL));
        }
    }
  BpCommitGraph *g = g_new0 (BpCommitGraph, 1);
  g->chains = g_ptr_array_new_with_free_func (chain_free);
  for (guint i = 0; i < dirs->len; i++)
    {
      Chain *c = chain_open (g_ptr_array_index (dirs, i));
      if (c)
        g_ptr_array_add (g->chains, c);
    }
  if (g->chains->len == 0)
    {
      bp_commit_graph_free (g);
      return NULL;
    }
  return g;
}

void
bp_commit_graph_free (BpCommitGraph *g)
{
  if (g == NULL)
    return;
  g_ptr_array_unref (g->chains);
  g_free (g);
}

guint
bp_commit_graph_count (BpCommitGraph *g)
{
  guint n = 0;
  for (guint i = 0; i < g->chains->len; i++)
    n += ((Chain *) g_ptr_array_index (g->chains, i))->total;
  return n;
}

/* Position of OID in layer L, or -1. */
static gint64
layer_find (const Layer *l, const git_oid *oid)
{
  guint first = oid->id[0];
  guint32 lo = first ? be32 (l->fanout + (first - 1) * 4) : 0;
  guint32 hi = be32 (l->fanout + first * 4);
  if (hi > l->n || lo > hi)
    return -1;
  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;
      int cmp = memcmp (l->oids + (gsize) mid * GIT_OID_RAWSZ, oid->id, GIT_OID_RAWSZ);
      if (cmp == 0)
        return mid;
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

/* The id at chain-wide position POS; FALSE when out of range. */
static gboolean
chain_oid_at (const Chain *c, guint32 pos, git_oid *out)
{
  for (guint i = 0; i < c->layers->len; i++)
    {
      const Layer *l = &g_array_index (c->layers, Layer, i);
      if (pos >= l->base && pos < l->base + l->n)
        {
          memcpy (out->id, l->oids + (gsize) (pos - l->base) * GIT_OID_RAWSZ, GIT_OID_RAWSZ);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
add_parent (const Chain *c, guint32 pos, GArray *parents)
{
  git_oid p;
  if (!chain_oid_at (c, pos, &p))
    return FALSE;
  g_array_append_val (parents, p);
  return TRUE;
}

/* The entry at POS of layer L: FALSE (PARENTS unchanged) when malformed. */
static gboolean
layer_entry (const Chain *c, const Layer *l, guint32 pos, gint64 *date, GArray *parents)
{
  const guint8 *e = l->cdat + (gsize) pos * CDAT_WIDTH;
  guint32 p1 = be32 (e + GIT_OID_RAWSZ), p2 = be32 (e + GIT_OID_RAWSZ + 4);
  guint32 hi = be32 (e + GIT_OID_RAWSZ + 8), lo = be32 (e + GIT_OID_RAWSZ + 12);
  guint start = parents->len;
  gboolean ok = TRUE;
  if (p1 != PARENT_NONE)
    ok = add_parent (c, p1, parents);
  if (ok && p2 != PARENT_NONE && !(p2 & PARENT_EXTRA))
    ok = add_parent (c, p2, parents);
  else if (ok && p2 != PARENT_NONE)
    {
      /* octopus: the rest of the parents in the EDGE chunk */
      gsize k = p2 & ~PARENT_EXTRA;
      for (;; k++)
        {
          if (l->edges == NULL || k >= l->n_edges)
            {
              ok = FALSE;
              break;
            }
          guint32 v = be32 (l->edges + k * 4);
          if (!(ok = add_parent (c, v & ~PARENT_EXTRA, parents)) || (v & PARENT_EXTRA))
            break;
        }
    }
  if (!ok)
    {
      g_array_set_size (parents, start);
      return FALSE;
    }
  *date = (gint64) (((guint64) (hi & 3) << 32) | lo);
  return TRUE;
}

gboolean
bp_commit_graph_lookup (BpCommitGraph *g, const git_oid *oid, gint64 *date, GArray *parents)
{
  for (guint i = 0; i < g->chains->len; i++)
    {
      const Chain *c = g_ptr_array_index (g->chains, i);
      for (guint k = c->layers->len; k-- > 0;)
        {
          const Layer *l = &g_array_index (c->layers, Layer, k);
          gint64 pos = layer_find (l, oid);
          if (pos >= 0)
            return layer_entry (c, l, (guint32) pos, date, parents);
        }
    }
  return FALSE;
}
