/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run's commit graph: see status-graph.h. */
#include <string.h>

#include "engines/status/status-graph.h"

enum { UNREACHED = 0, EXPANDED = 1, PENDING = 2 };

static void csr_add (BpStatusGraph *g, guint32 v, GArray *parents);

void
bp_status_graph_init (BpStatusGraph *g, const BpCommitGraph *cg)
{
  memset (g, 0, sizeof *g);
  g->cg = cg;
  g->n_cg = cg ? bp_commit_graph_size (cg) : 0;
  g->extra_oids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  g->extra_first = g_array_new (FALSE, FALSE, sizeof (guint32));
  g->extra_count = g_array_new (FALSE, FALSE, sizeof (guint32));
  g->extra_parents = g_array_new (FALSE, FALSE, sizeof (guint32));
  g->csr_first = g_array_new (FALSE, FALSE, sizeof (guint32));
  g->csr_count = g_array_new (FALSE, TRUE, sizeof (guint16));
  g->csr = g_array_new (FALSE, FALSE, sizeof (guint32));
  g->reach = g_byte_array_new ();
  g_byte_array_set_size (g->reach, g->n_cg);
  if (g->n_cg)
    memset (g->reach->data, 0, g->n_cg);
}

void
bp_status_graph_clear (BpStatusGraph *g)
{
  g_clear_pointer (&g->extra_oids, g_array_unref);
  g_clear_pointer (&g->extra_first, g_array_unref);
  g_clear_pointer (&g->extra_count, g_array_unref);
  g_clear_pointer (&g->extra_parents, g_array_unref);
  g_clear_pointer (&g->slots, g_free);
  g_clear_pointer (&g->reach, g_byte_array_unref);
  g_clear_pointer (&g->csr_first, g_array_unref);
  g_clear_pointer (&g->csr_count, g_array_unref);
  g_clear_pointer (&g->csr, g_array_unref);
  g_clear_pointer (&g->order, g_array_unref);
}

guint32
bp_status_graph_size (const BpStatusGraph *g)
{
  return g->n_cg + g->extra_oids->len;
}

static guint32
oid_hash (const git_oid *oid)
{
  guint32 h;
  memcpy (&h, oid->id, sizeof h);
  return h;
}

static void
grow_slots (BpStatusGraph *g)
{
  guint32 ncap = g->cap ? g->cap * 2 : 1 << 10;
  guint32 *ns = g_new0 (guint32, ncap);
  for (guint32 i = 0; i < g->extra_oids->len; i++)
    {
      guint32 j = oid_hash (&g_array_index (g->extra_oids, git_oid, i)) & (ncap - 1);
      while (ns[j])
        j = (j + 1) & (ncap - 1);
      ns[j] = i + 1;
    }
  g_free (g->slots);
  g->slots = ns;
  g->cap = ncap;
}

guint32
bp_status_graph_node (BpStatusGraph *g, const git_oid *oid, gboolean add)
{
  guint32 pos;
  if (g->cg && bp_commit_graph_lookup (g->cg, oid, &pos))
    return pos;
  if (add && (g->extra_oids->len + 1) * 2 > g->cap)
    grow_slots (g);
  if (g->cap == 0)
    return BP_NODE_NONE;
  guint32 j = oid_hash (oid) & (g->cap - 1);
  while (g->slots[j])
    {
      guint32 i = g->slots[j] - 1;
      if (git_oid_equal (&g_array_index (g->extra_oids, git_oid, i), oid))
        return g->n_cg + i;
      j = (j + 1) & (g->cap - 1);
    }
  if (!add)
    return BP_NODE_NONE;
  guint32 none = BP_NODE_NONE, zero = 0;
  g_array_append_val (g->extra_oids, *oid);
  g_array_append_val (g->extra_first, none);
  g_array_append_val (g->extra_count, zero);
  g_byte_array_append (g->reach, (const guint8 *) "", 1);
  g->reach->data[g->reach->len - 1] = UNREACHED;
  g->slots[j] = g->extra_oids->len;
  return g->n_cg + g->extra_oids->len - 1;
}

void
bp_status_graph_oid (const BpStatusGraph *g, guint32 node, git_oid *out)
{
  if (node < g->n_cg)
    bp_commit_graph_oid (g->cg, node, out);
  else
    git_oid_cpy (out, &g_array_index (g->extra_oids, git_oid, node - g->n_cg));
}

gboolean
bp_status_graph_has_parents (const BpStatusGraph *g, guint32 node)
{
  return node < g->n_cg || g_array_index (g->extra_first, guint32, node - g->n_cg) != BP_NODE_NONE;
}

void
bp_status_graph_set_parents (BpStatusGraph *g, guint32 node, const guint32 *parents, guint n)
{
  g_return_if_fail (node >= g->n_cg);
  guint32 first = g->extra_parents->len;
  g_array_append_vals (g->extra_parents, parents, n);
  g_array_index (g->extra_first, guint32, node - g->n_cg) = first;
  g_array_index (g->extra_count, guint32, node - g->n_cg) = n;
}

void
bp_status_graph_parents (const BpStatusGraph *g, guint32 node, GArray *out)
{
  if (node < g->n_cg)
    {
      bp_commit_graph_parents (g->cg, node, out);
      return;
    }
  guint32 first = g_array_index (g->extra_first, guint32, node - g->n_cg);
  if (first == BP_NODE_NONE)
    return;
  g_array_append_vals (out, &g_array_index (g->extra_parents, guint32, first),
                       g_array_index (g->extra_count, guint32, node - g->n_cg));
}

void
bp_status_graph_mark (BpStatusGraph *g, const guint32 *tips, guint n_tips, GArray *unexpanded)
{
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) parents = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < n_tips; i++)
    {
      /* a tip is expanded even when it was marked before (it was pending) */
      if (g->reach->data[tips[i]] == EXPANDED)
        continue;
      g->reach->data[tips[i]] = UNREACHED;
      g_array_append_val (stack, tips[i]);
    }
  while (stack->len)
    {
      guint32 v = g_array_index (stack, guint32, stack->len - 1);
      g_array_set_size (stack, stack->len - 1);
      if (g->reach->data[v] != UNREACHED)
        continue;
      if (!bp_status_graph_has_parents (g, v))
        {
          g->reach->data[v] = PENDING;
          g_array_append_val (unexpanded, v);
          continue;
        }
      g->reach->data[v] = EXPANDED;
      guint32 buf[16];
      guint n = v < g->n_cg ? bp_commit_graph_parents_into (g->cg, v, buf, G_N_ELEMENTS (buf)) : G_MAXUINT;
      g_array_set_size (parents, 0);
      if (n <= G_N_ELEMENTS (buf))
        g_array_append_vals (parents, buf, n);
      else
        bp_status_graph_parents (g, v, parents);
      csr_add (g, v, parents);
      for (guint p = 0; p < parents->len; p++)
        if (g->reach->data[g_array_index (parents, guint32, p)] == UNREACHED)
          g_array_append_val (stack, g_array_index (parents, guint32, p));
    }
}

/* Keep the parents of V (just expanded) where the later passes read them. */
static void
csr_add (BpStatusGraph *g, guint32 v, GArray *parents)
{
  guint32 n = bp_status_graph_size (g);
  if (g->csr_first->len < n)
    {
      guint32 old = g->csr_first->len;
      g_array_set_size (g->csr_first, n);
      g_array_set_size (g->csr_count, n);
      for (guint32 i = old; i < n; i++)
        g_array_index (g->csr_first, guint32, i) = BP_NODE_NONE;
    }
  g_array_index (g->csr_first, guint32, v) = g->csr->len;
  g_array_index (g->csr_count, guint16, v) = (guint16) parents->len;
  g_array_append_vals (g->csr, parents->data, parents->len);
}

const guint32 *
bp_status_graph_parents_of (const BpStatusGraph *g, guint32 node, guint *n)
{
  if (node >= g->csr_first->len || g_array_index (g->csr_first, guint32, node) == BP_NODE_NONE)
    {
      *n = 0;
      return NULL;
    }
  *n = g_array_index (g->csr_count, guint16, node);
  return &g_array_index (g->csr, guint32, g_array_index (g->csr_first, guint32, node));
}

gboolean
bp_status_graph_reachable (const BpStatusGraph *g, guint32 node)
{
  return node < g->reach->len && g->reach->data[node] != UNREACHED;
}

/* Counting sort by topological level: a parent's level is below its child's. */
static gboolean
sort_by_level (BpStatusGraph *g)
{
  if (g->cg == NULL || !bp_commit_graph_has_levels (g->cg))
    return FALSE;
  guint32 n = bp_status_graph_size (g), max_level = 0;
  for (guint32 v = g->n_cg; v < n; v++)
    if (g->reach->data[v])
      return FALSE;   /* an extra node has no level */
  for (guint32 v = 0; v < g->n_cg; v++)
    if (g->reach->data[v])
      max_level = MAX (max_level, bp_commit_graph_level (g->cg, v));
  g_autofree guint32 *start = g_new0 (guint32, (gsize) max_level + 2);
  guint32 count = 0;
  for (guint32 v = 0; v < g->n_cg; v++)
    if (g->reach->data[v])
      start[bp_commit_graph_level (g->cg, v) + 1]++, count++;
  for (guint32 l = 1; l <= max_level + 1; l++)
    start[l] += start[l - 1];
  g_array_set_size (g->order, count);
  guint32 *order = (guint32 *) g->order->data;
  for (guint32 v = 0; v < g->n_cg; v++)
    if (g->reach->data[v])
      order[start[bp_commit_graph_level (g->cg, v)]++] = v;
  return TRUE;
}

/* Depth first, iteratively: a node is emitted after all its parents. */
static void
sort_depth_first (BpStatusGraph *g)
{
  guint32 n = bp_status_graph_size (g);
  g_autofree guint8 *state = g_new0 (guint8, n);   /* 0 new, 1 open, 2 done */
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint32 root = 0; root < n; root++)
    {
      if (state[root] || !g->reach->data[root])
        continue;
      g_array_append_val (stack, root);
      while (stack->len)
        {
          guint32 v = g_array_index (stack, guint32, stack->len - 1);
          if (state[v] == 2)
            {
              g_array_set_size (stack, stack->len - 1);
              continue;
            }
          gboolean pushed = FALSE;
          if (state[v] == 0)
            {
              state[v] = 1;
              guint np;
              const guint32 *ps = bp_status_graph_parents_of (g, v, &np);
              for (guint p = 0; p < np; p++)
                {
                  guint32 pv = ps[p];
                  if (state[pv] == 0)
                    {
                      g_array_append_val (stack, pv);
                      pushed = TRUE;
                    }
                }
            }
          if (!pushed)
            {
              state[v] = 2;
              g_array_append_val (g->order, v);
              g_array_set_size (stack, stack->len - 1);
            }
        }
    }
}

void
bp_status_graph_sort (BpStatusGraph *g)
{
  g_clear_pointer (&g->order, g_array_unref);
  g->order = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (!sort_by_level (g))
    sort_depth_first (g);
}
