/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Walks over the commit-graph.  See commit-graph-walk.h. */
#include <string.h>

#include "base/commit-graph-walk.h"

/* ---- a max-heap of positions by (level, commit time) ------------------------ */

typedef struct {
  const BpCommitGraph *graph;
  GArray *items;    /* guint32 */
} Heap;

static gboolean
above (const Heap *h, guint32 a, guint32 b)
{
  guint32 la = bp_commit_graph_level (h->graph, a), lb = bp_commit_graph_level (h->graph, b);
  if (la != lb)
    return la > lb;
  return bp_commit_graph_commit_time (h->graph, a) > bp_commit_graph_commit_time (h->graph, b);
}

static void
heap_push (Heap *h, guint32 pos)
{
  g_array_append_val (h->items, pos);
  guint32 *v = (guint32 *) (void *) h->items->data;
  for (guint i = h->items->len - 1; i > 0;)
    {
      guint up = (i - 1) / 2;
      if (!above (h, v[i], v[up]))
        break;
      guint32 t = v[i];
      v[i] = v[up];
      v[up] = t;
      i = up;
    }
}

static guint32
heap_pop (Heap *h)
{
  guint32 *v = (guint32 *) (void *) h->items->data;
  guint32 top = v[0];
  v[0] = v[h->items->len - 1];
  g_array_set_size (h->items, h->items->len - 1);
  guint n = h->items->len;
  for (guint i = 0;;)
    {
      guint l = 2 * i + 1, r = l + 1, best = i;
      if (l < n && above (h, v[l], v[best]))
        best = l;
      if (r < n && above (h, v[r], v[best]))
        best = r;
      if (best == i)
        break;
      guint32 t = v[i];
      v[i] = v[best];
      v[best] = t;
      i = best;
    }
  return top;
}

/* ---- the walks -------------------------------------------------------------- */

enum { SIDE_A = 1, SIDE_B = 2, STALE = 4, QUEUED = 8 };

gboolean
bp_commit_graph_merge_base (const BpCommitGraph *graph, guint32 a, guint32 b, guint32 *base)
{
  if (!bp_commit_graph_has_levels (graph))
    return FALSE;
  if (a == b)
    {
      *base = a;
      return TRUE;
    }
  g_autofree guint8 *flags = g_malloc0 (bp_commit_graph_size (graph));
  Heap h = { graph, g_array_new (FALSE, FALSE, sizeof (guint32)) };
  flags[a] |= SIDE_A;
  flags[b] |= SIDE_B;
  heap_push (&h, a);
  heap_push (&h, b);
  gboolean found = FALSE;
  guint32 parents[16];
  while (h.items->len)
    {
      guint32 pos = heap_pop (&h);
      guint8 f = flags[pos] & (SIDE_A | SIDE_B | STALE);
      if ((f & (SIDE_A | SIDE_B)) == (SIDE_A | SIDE_B) && !(f & STALE))
        {
          if (!found)
            {
              *base = pos;
              found = TRUE;
            }
          f |= STALE;
          flags[pos] |= STALE;
        }
      guint n = bp_commit_graph_parents_into (graph, pos, parents, G_N_ELEMENTS (parents));
      for (guint i = 0; i < MIN (n, G_N_ELEMENTS (parents)); i++)
        {
          guint32 p = parents[i];
          if ((flags[p] & f) == f)
            continue;
          flags[p] |= f;
          heap_push (&h, p);
        }
      if (found)
        break;   /* the first found has the highest level: git's best base */
    }
  g_array_unref (h.items);
  return found;
}

GArray *
bp_commit_graph_range (const BpCommitGraph *graph, guint32 from, guint32 hide)
{
  if (!bp_commit_graph_has_levels (graph))
    return NULL;
  enum { SHOWN = 1, HIDDEN = 2 };
  g_autofree guint8 *flags = g_malloc0 (bp_commit_graph_size (graph));
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint32));
  Heap h = { graph, g_array_new (FALSE, FALSE, sizeof (guint32)) };
  flags[from] |= SHOWN;
  heap_push (&h, from);
  if (hide != G_MAXUINT32)
    {
      flags[hide] |= HIDDEN;
      heap_push (&h, hide);
    }
  guint interesting = 1;   /* queued commits not hidden */
  guint32 parents[16];
  while (h.items->len && interesting > 0)
    {
      guint32 pos = heap_pop (&h);
      guint8 f = flags[pos];
      if (!(f & HIDDEN))
        {
          interesting--;
          g_array_append_val (out, pos);
        }
      guint n = bp_commit_graph_parents_into (graph, pos, parents, G_N_ELEMENTS (parents));
      for (guint i = 0; i < MIN (n, G_N_ELEMENTS (parents)); i++)
        {
          guint32 p = parents[i];
          guint8 want = (f & HIDDEN) ? HIDDEN : SHOWN;
          if (flags[p] & want)
            continue;
          gboolean was_queued_interesting = (flags[p] & SHOWN) && !(flags[p] & HIDDEN);
          gboolean queued = flags[p] & (SHOWN | HIDDEN);
          flags[p] |= want;
          if (!queued)
            {
              heap_push (&h, p);
              if (want == SHOWN)
                interesting++;
            }
          else if (want == HIDDEN && was_queued_interesting)
            interesting--;   /* queued as shown, now known hidden */
        }
    }
  g_array_unref (h.items);
  return out;
}

/* One graph per object directory, opened on first use. */
static void
graph_free (gpointer g)
{
  bp_commit_graph_free (g);
}

/* Open the graph of OBJECTS, trusting a stamp kept in TRUST_FILE. */
static BpCommitGraph *
open_trusted (const char *objects, const char *trust_file)
{
  g_autofree char *trusted = NULL, *stamp = NULL, *note = NULL;
  g_file_get_contents (trust_file, &trusted, NULL, NULL);
  BpCommitGraph *graph = bp_commit_graph_open (objects, trusted, &stamp, &note);
  if (graph && g_strcmp0 (trusted, stamp) != 0)
    {
      g_autofree char *dir = g_path_get_dirname (trust_file);
      if (g_mkdir_with_parents (dir, 0755) == 0)
        g_file_set_contents (trust_file, stamp, -1, NULL);   /* a cache: failing to write costs time only */
    }
  return graph;
}

/* The object directories REPO reads: its own, then its alternates'. */
static GPtrArray *
object_dirs (git_repository *repo)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  char *objects = g_build_filename (git_repository_path (repo), "objects", NULL);
  g_ptr_array_add (dirs, objects);
  g_autofree char *alt_file = g_build_filename (objects, "info", "alternates", NULL);
  g_autofree char *alts = NULL;
  if (!g_file_get_contents (alt_file, &alts, NULL, NULL))
    return dirs;
  g_auto(GStrv) lines = g_strsplit (alts, "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l && **l != '#')
      g_ptr_array_add (dirs, g_path_is_absolute (*l) ? g_strdup (*l) : g_build_filename (objects, *l, NULL));
  return dirs;
}

BpCommitGraph *
bp_commit_graph_for_repo (git_repository *repo, const char *cache_dir)
{
  static GHashTable *graphs;   /* objects dir -> BpCommitGraph* or NULL */
  static GMutex lock;
  g_mutex_lock (&lock);
  if (graphs == NULL)
    graphs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, graph_free);
  g_autoptr(GPtrArray) dirs = object_dirs (repo);
  gpointer found = NULL;
  if (!g_hash_table_lookup_extended (graphs, dirs->pdata[0], NULL, &found))
    {
      g_autofree char *cache = cache_dir ? g_strdup (cache_dir)
                                         : g_build_filename (g_get_user_cache_dir (), "backport", NULL);
      /* A clone --shared borrows the objects, and git's graph with them. */
      for (guint i = 0; i < dirs->len && found == NULL; i++)
        {
          g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA1, dirs->pdata[i], -1);
          g_autofree char *trust = g_build_filename (cache, "commit-graph", key, NULL);
          found = open_trusted (dirs->pdata[i], trust);
        }
      g_hash_table_insert (graphs, g_strdup (dirs->pdata[0]), found);
    }
  g_mutex_unlock (&lock);
  return found;
}
