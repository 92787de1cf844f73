/* SPDX-License-Identifier: GPL-2.0-or-later */
/* git's bisection algorithm (git bisect.c, 2.39 and later), rewritten on
 * plain arrays.  The choices follow git's rules one for one:
 *
 *  - the candidate list is in the order git's limited revision walk emits it
 *    (committer date, newest first; ties in the order commits were queued),
 *    then reversed;
 *  - weights: 1 for a commit without candidate parents, parent's + 1 along
 *    single-parent strands, a full reachability count for merges; the first
 *    commit whose weight is within one (or 0.1% of the range) of half is
 *    taken at once;
 *  - otherwise the best max(min(w, N - w)), first one in list order;
 *  - once anything was skipped: all candidates sorted by that distance
 *    (descending, then by id), and when the best is skipped, git's
 *    pseudo-random skip_away() among the untested ones. */
#include "engines/bisect/bisect-private.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (bp-bisect-error-quark, bp_bisect_error)

typedef struct {
  git_oid oid;
  gint64 date;
  guint n_parents;
  int *parents;         /* index or -1 */
} Node;

struct BpBisect {
  Node *nodes;
  guint n;
  gboolean first_parent;
  int bad;
  GArray *goods;        /* git_oid: the goods given at start */
  git_oid bad_given;
  guint8 *uninteresting; /* marked good, or an ancestor of a good */
  guint8 *skipped;
  guint n_skipped_total; /* every skip git would remember, in range or not */
  GHashTable *index;    /* git_oid* -> index + 1 */
  /* scratch, per step */
  int *order;           /* candidates, oldest first (git's reversed list) */
  int *weight;
  guint *stamp;
  guint stamp_gen;
  guint8 *in_list;
  int *stack;           /* count_distance: each node pushed once */
};

const char *
bp_verdict_name (BpBisectVerdict verdict)
{
  switch (verdict)
    {
    case BP_VERDICT_GOOD: return "good";
    case BP_VERDICT_BAD: return "bad";
    case BP_VERDICT_SKIP: return "skip";
    }
  return "?";
}

void
bp_bisect_next_clear (BpBisectNext *next)
{
  g_clear_pointer (&next->suspects, g_array_unref);
}

guint
bp_oid_hash (gconstpointer key)
{
  guint h;
  memcpy (&h, ((const git_oid *) key)->id, sizeof h);
  return h;
}

gboolean
bp_oid_equal (gconstpointer a, gconstpointer b)
{
  return git_oid_equal (a, b);
}

int
bp_bisect_estimate_steps (int all)
{
  if (all < 3)
    return 0;
  int n = 0;
  for (unsigned v = (unsigned) all; v > 1; v >>= 1)
    n++;
  int e = 1 << n;
  int x = all - e;
  return (e < 3 * x) ? n : n - 1;
}

BpBisect *
bp_bisect_new_from_nodes (const BpBisectNode *nodes, guint n, int bad, gboolean first_parent)
{
  g_return_val_if_fail (bad >= 0 && (guint) bad < n, NULL);
  BpBisect *b = g_new0 (BpBisect, 1);
  b->n = n;
  b->nodes = g_new0 (Node, n);
  b->index = g_hash_table_new (bp_oid_hash, bp_oid_equal);
  for (guint i = 0; i < n; i++)
    {
      b->nodes[i].oid = nodes[i].oid;
      b->nodes[i].date = nodes[i].date;
      b->nodes[i].n_parents = nodes[i].n_parents;
      b->nodes[i].parents = g_new (int, MAX (nodes[i].n_parents, 1));
      memcpy (b->nodes[i].parents, nodes[i].parents, nodes[i].n_parents * sizeof (int));
    }
  for (guint i = 0; i < n; i++)
    g_hash_table_insert (b->index, &b->nodes[i].oid, GINT_TO_POINTER (i + 1));
  b->first_parent = first_parent;
  b->bad = bad;
  b->bad_given = nodes[bad].oid;
  b->goods = g_array_new (FALSE, FALSE, sizeof (git_oid));
  b->uninteresting = g_new0 (guint8, n);
  b->skipped = g_new0 (guint8, n);
  b->order = g_new (int, n);
  b->weight = g_new (int, n);
  b->stamp = g_new0 (guint, n);
  b->in_list = g_new0 (guint8, n);
  b->stack = g_new (int, n);
  return b;
}

void
bp_bisect_free (BpBisect *b)
{
  if (b == NULL)
    return;
  for (guint i = 0; i < b->n; i++)
    g_free (b->nodes[i].parents);
  g_free (b->nodes);
  g_hash_table_unref (b->index);
  g_array_unref (b->goods);
  g_free (b->uninteresting);
  g_free (b->skipped);
  g_free (b->order);
  g_free (b->weight);
  g_free (b->stamp);
  g_free (b->in_list);
  g_free (b->stack);
  g_free (b);
}

const git_oid *
bp_bisect_bad (BpBisect *b)
{
  return &b->bad_given;
}

GArray *
bp_bisect_goods (BpBisect *b)
{
  return b->goods;
}

gboolean
bp_bisect_first_parent (BpBisect *b)
{
  return b->first_parent;
}

guint
bp_bisect_range_size (BpBisect *b)
{
  return b->n;
}

static int
lookup (BpBisect *b, const git_oid *oid)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (b->index, oid)) - 1;
}

/* ---- git's limited walk order ------------------------------------------ */

static gboolean
q_before (const BpQItem *a, const BpQItem *b)
{
  if (a->date != b->date)
    return a->date > b->date;
  return a->seq < b->seq;
}

void
bp_q_push (GArray *heap, BpQItem item)
{
  g_array_append_val (heap, item);
  BpQItem *h = (BpQItem *) heap->data;
  guint i = heap->len - 1;
  while (i > 0)
    {
      guint p = (i - 1) / 2;
      if (!q_before (&h[i], &h[p]))
        break;
      BpQItem t = h[i]; h[i] = h[p]; h[p] = t;
      i = p;
    }
}

BpQItem
bp_q_pop (GArray *heap)
{
  BpQItem *h = (BpQItem *) heap->data;
  BpQItem top = h[0];
  h[0] = h[heap->len - 1];
  g_array_set_size (heap, heap->len - 1);
  h = (BpQItem *) heap->data;
  guint i = 0, n = heap->len;
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && q_before (&h[l], &h[m]))
        m = l;
      if (r < n && q_before (&h[r], &h[m]))
        m = r;
      if (m == i)
        break;
      BpQItem t = h[i]; h[i] = h[m]; h[m] = t;
      i = m;
    }
  return top;
}

static gboolean
interesting (BpBisect *b, int node)
{
  return node >= 0 && !b->uninteresting[node];
}

/* Fill b->order with the current candidates, oldest first; returns how many. */
static guint
collect_candidates (BpBisect *b)
{
  g_autoptr(GArray) heap = g_array_new (FALSE, FALSE, sizeof (BpQItem));
  g_autofree int *newest_first = g_new (int, b->n);
  memset (b->in_list, 0, b->n);
  guint seq = 0, count = 0;
  b->in_list[b->bad] = 1;  /* "SEEN" */
  bp_q_push (heap, (BpQItem) { b->bad, b->nodes[b->bad].date, seq++ });
  while (heap->len > 0)
    {
      BpQItem it = bp_q_pop (heap);
      newest_first[count++] = it.node;
      const Node *c = &b->nodes[it.node];
      for (guint i = 0; i < c->n_parents; i++)
        {
          int p = c->parents[i];
          if (interesting (b, p) && !b->in_list[p])
            {
              b->in_list[p] = 1;
              bp_q_push (heap, (BpQItem) { p, b->nodes[p].date, seq++ });
            }
          if (b->first_parent)
            break;
        }
    }
  for (guint i = 0; i < count; i++)
    b->order[i] = newest_first[count - 1 - i];
  return count;
}

/* ---- weights (git's do_find_bisection) --------------------------------- */

static int
count_interesting_parents (BpBisect *b, int node)
{
  const Node *c = &b->nodes[node];
  int count = 0;
  for (guint i = 0; i < c->n_parents; i++)
    {
      if (interesting (b, c->parents[i]))
        count++;
      if (b->first_parent)
        break;
    }
  return count;
}

/* Number of candidates reachable from NODE, itself included. */
static int
count_distance (BpBisect *b, int node)
{
  if (++b->stamp_gen == 0)
    {
      memset (b->stamp, 0, b->n * sizeof (guint));
      b->stamp_gen = 1;
    }
  int *stack = b->stack;
  int top = 0;
  stack[top++] = node;
  b->stamp[node] = b->stamp_gen;
  int nr = 0;
  while (top > 0)
    {
      int c = stack[--top];
      nr++;
      const Node *cn = &b->nodes[c];
      for (guint i = 0; i < cn->n_parents; i++)
        {
          int p = cn->parents[i];
          if (!interesting (b, p) || b->stamp[p] == b->stamp_gen)
            continue;
          b->stamp[p] = b->stamp_gen;
          stack[top++] = p;
        }
    }
  return nr;
}

/* Exactly half-way (within one), or for big ranges within ~0.1% of it:
 * git 2.29 and later take e.g. [4996, 5004] of 10000 as half-way. */
static gboolean
approx_halfway (int weight, int nr)
{
  int diff = 2 * weight - nr;
  if (diff >= -1 && diff <= 1)
    return TRUE;
  return abs (diff) < nr / 1024;
}

/* Returns the position in b->order of the pick (find_all FALSE) or -1 when
 * all weights were computed (find_all TRUE, or no shortcut taken). */
static int
do_find_bisection (BpBisect *b, guint nr, gboolean find_all)
{
  guint counted = 0;
  for (guint k = 0; k < nr; k++)
    {
      int c = b->order[k];
      switch (count_interesting_parents (b, c))
        {
        case 0:
          b->weight[c] = 1;
          counted++;
          break;
        case 1:
          b->weight[c] = -1;
          break;
        default:
          b->weight[c] = -2;
          break;
        }
    }

  for (guint k = 0; k < nr; k++)
    {
      int c = b->order[k];
      if (b->weight[c] != -2)
        continue;
      b->weight[c] = count_distance (b, c);
      if (!find_all && approx_halfway (b->weight[c], (int) nr))
        return (int) k;
      counted++;
    }

  while (counted < nr)
    {
      for (guint k = 0; k < nr; k++)
        {
          int c = b->order[k];
          if (b->weight[c] >= 0)
            continue;
          const Node *cn = &b->nodes[c];
          int known = -1;
          for (guint i = 0; i < cn->n_parents; i++)
            {
              int p = cn->parents[i];
              if (interesting (b, p) && b->weight[p] >= 0)
                {
                  known = p;
                  break;
                }
              if (b->first_parent)
                break;
            }
          if (known < 0)
            continue;
          b->weight[c] = b->weight[known] + 1;
          counted++;
          if (!find_all && approx_halfway (b->weight[c], (int) nr))
            return (int) k;
        }
    }
  return -1;
}

static int
distance_of (BpBisect *b, int node, int nr)
{
  int d = b->weight[node];
  return nr - d < d ? nr - d : d;
}

typedef struct {
  int node;
  int distance;
  const git_oid *oid;
} Dist;

static int
compare_dist (gconstpointer a_, gconstpointer b_)
{
  const Dist *a = a_, *b = b_;
  if (a->distance != b->distance)
    return b->distance - a->distance;
  return git_oid_cmp (a->oid, b->oid);
}

/* git's get_prn(), sqrti() and skip_away(), bit for bit. */
#define PRN_MODULO 32768

static unsigned
get_prn (unsigned count)
{
  count = count * 1103515245u + 12345u;
  return (count / 65536) % PRN_MODULO;
}

static int
sqrti (int val)
{
  if (!val)
    return 0;
  float d, x = (float) val;
  do
    {
      float y = (x + (float) val / x) / 2;
      d = (y > x) ? y - x : x - y;
      x = y;
    }
  while (d >= 0.5);
  return (int) x;
}

static int
skip_away_index (int count)
{
  int prn = (int) get_prn ((unsigned) count);
  /* git computes count * prn in int; keep its two's-complement wrap. */
  gint32 prod = (gint32) (guint32) ((gint64) count * prn);
  return (prod / PRN_MODULO) * sqrti (prn) / sqrti (PRN_MODULO);
}

gboolean
bp_bisect_next (BpBisect *b, BpBisectNext *next, GError **error)
{
  memset (next, 0, sizeof *next);
  guint nr = collect_candidates (b);
  gboolean find_all = b->n_skipped_total > 0;
  int pick = do_find_bisection (b, nr, find_all);
  next->all = (int) nr;

  if (!find_all)
    {
      int best;
      if (pick >= 0)
        best = b->order[pick];
      else
        {
          int best_distance = -1;
          best = b->order[0];
          for (guint k = 0; k < nr; k++)
            {
              int d = distance_of (b, b->order[k], (int) nr);
              if (d > best_distance)
                {
                  best = b->order[k];
                  best_distance = d;
                }
            }
        }
      next->commit = b->nodes[best].oid;
      if (best == b->bad)
        {
          next->kind = BP_BISECT_FOUND;
          return TRUE;
        }
      next->kind = BP_BISECT_TEST;
      next->left = (int) nr - b->weight[best] - 1;
      next->steps = bp_bisect_estimate_steps ((int) nr);
      return TRUE;
    }

  /* Skip mode: every candidate sorted by distance. */
  g_autofree Dist *sorted = g_new (Dist, nr);
  for (guint k = 0; k < nr; k++)
    {
      int c = b->order[k];
      sorted[k] = (Dist) { c, distance_of (b, c, (int) nr), &b->nodes[c].oid };
    }
  qsort (sorted, nr, sizeof (Dist), compare_dist);
  int reaches = b->weight[sorted[0].node];

  /* filter_skipped() + managed_skipped() */
  g_autoptr(GArray) tried = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) untried = g_array_new (FALSE, FALSE, sizeof (int));
  int chosen = -1;
  if (!b->skipped[sorted[0].node])
    chosen = sorted[0].node;
  else
    {
      for (guint k = 0; k < nr; k++)
        {
          int c = sorted[k].node;
          if (b->skipped[c])
            g_array_append_val (tried, c);
          else
            g_array_append_val (untried, c);
        }
      if (untried->len == 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_BAD_SKIPPED,
                       "the bad commit was skipped: nothing left to test");
          return FALSE;
        }
      int count = (int) untried->len;
      int index = skip_away_index (count);
      chosen = g_array_index (untried, int, 0);
      int previous = -1;
      for (int i = 0; i < count; i++)
        {
          int c = g_array_index (untried, int, i);
          if (i == index)
            {
              if (c != b->bad)
                chosen = c;
              else if (previous >= 0)
                chosen = previous;
              break;
            }
          previous = c;
        }
    }

  next->commit = b->nodes[chosen].oid;
  if (chosen == b->bad)
    {
      if (tried->len > 0)
        {
          next->kind = BP_BISECT_AMBIGUOUS;
          next->suspects = g_array_new (FALSE, FALSE, sizeof (git_oid));
          for (guint i = 0; i < tried->len; i++)
            g_array_append_val (next->suspects, b->nodes[g_array_index (tried, int, i)].oid);
          g_array_append_val (next->suspects, b->nodes[b->bad].oid);
        }
      else
        next->kind = BP_BISECT_FOUND;
      return TRUE;
    }
  next->kind = BP_BISECT_TEST;
  next->left = (int) nr - reaches - 1;
  next->steps = bp_bisect_estimate_steps ((int) nr);
  return TRUE;
}

static void
mark_ancestors_uninteresting (BpBisect *b, int node)
{
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (int));
  if (b->uninteresting[node])
    return;
  b->uninteresting[node] = 1;
  g_array_append_val (stack, node);
  while (stack->len > 0)
    {
      int c = g_array_index (stack, int, stack->len - 1);
      g_array_set_size (stack, stack->len - 1);
      const Node *cn = &b->nodes[c];
      for (guint i = 0; i < cn->n_parents; i++)
        {
          int p = cn->parents[i];
          if (p < 0 || b->uninteresting[p])
            continue;
          b->uninteresting[p] = 1;
          g_array_append_val (stack, p);
        }
    }
}

gboolean
bp_bisect_mark (BpBisect *b, const git_oid *oid, BpBisectVerdict verdict, GError **error)
{
  int node = lookup (b, oid);
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, oid);
  if (verdict == BP_VERDICT_SKIP)
    {
      if (node >= 0 && !b->skipped[node])
        b->skipped[node] = 1;
      b->n_skipped_total++;
      return TRUE;
    }
  if (node < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_RANGE,
                   "commit %s is not in the bisection range", hex);
      return FALSE;
    }
  if (verdict == BP_VERDICT_GOOD)
    {
      mark_ancestors_uninteresting (b, node);
      return TRUE;
    }
  /* BAD: the new bad commit must be a candidate of the current bad */
  if (b->uninteresting[node])
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_RANGE,
                   "commit %s was marked bad but is an ancestor of a good commit", hex);
      return FALSE;
    }
  b->bad = node;
  return TRUE;
}

void
bp_bisect_set_goods (BpBisect *b, const git_oid *goods, guint n)
{
  g_array_set_size (b->goods, 0);
  g_array_append_vals (b->goods, goods, n);
}
