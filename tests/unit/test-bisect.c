/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bisection algorithm on hand-made graphs, against what git's bisect.c
 * does on the same shapes, and the definition finder of the repro predicate. */
#include <string.h>

#include "engines/bisect/bisect-predicate.h"
#include "engines/bisect/bisect.h"
#include "debian-trees.h"

static git_oid
oid_n (int n)
{
  git_oid o;
  memset (&o, 0, sizeof o);
  o.id[0] = (unsigned char) (n + 1);
  o.id[19] = 0x5a;
  return o;
}

/* A linear history 0..n-1 (0 oldest), bad = n-1, parent of 0 is a good. */
static BpBisect *
linear (int n, int **parents_out)
{
  BpBisectNode *nodes = g_new0 (BpBisectNode, n);
  int *parents = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      parents[i] = i - 1;
      nodes[i].oid = oid_n (i);
      nodes[i].date = 1000 + i;
      nodes[i].n_parents = 1;
      nodes[i].parents = &parents[i];
    }
  BpBisect *b = bp_bisect_new_from_nodes (nodes, n, n - 1, FALSE);
  g_free (nodes);
  *parents_out = parents;
  return b;
}

static int
node_of (const git_oid *o)
{
  return o->id[0] - 1;
}

static void
test_estimate_steps (void)
{
  /* git's estimate_bisect_steps() */
  g_assert_cmpint (bp_bisect_estimate_steps (1), ==, 0);
  g_assert_cmpint (bp_bisect_estimate_steps (2), ==, 0);
  g_assert_cmpint (bp_bisect_estimate_steps (3), ==, 1);
  g_assert_cmpint (bp_bisect_estimate_steps (4), ==, 1);
  g_assert_cmpint (bp_bisect_estimate_steps (5), ==, 1);
  g_assert_cmpint (bp_bisect_estimate_steps (6), ==, 2);
  g_assert_cmpint (bp_bisect_estimate_steps (1024), ==, 9);
  g_assert_cmpint (bp_bisect_estimate_steps (2906), ==, 11);
}

static void
test_linear_halves (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (9, &parents);
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_TEST);
  /* weights 1..9: the first within one of 9/2 is weight 4, node 3 */
  g_assert_cmpint (node_of (&next.commit), ==, 3);
  g_assert_cmpint (next.left, ==, 4);
  g_assert_cmpint (next.all, ==, 9);

  /* culprit is node 6: walk to it */
  int culprit = 6, tests = 0;
  for (;;)
    {
      bp_bisect_next_clear (&next);
      g_assert_true (bp_bisect_next (b, &next, NULL));
      if (next.kind != BP_BISECT_TEST)
        break;
      int n = node_of (&next.commit);
      g_assert_true (bp_bisect_mark (b, &next.commit, n >= culprit ? BP_VERDICT_BAD : BP_VERDICT_GOOD, NULL));
      tests++;
    }
  g_assert_cmpint (next.kind, ==, BP_BISECT_FOUND);
  g_assert_cmpint (node_of (&next.commit), ==, culprit);
  g_assert_cmpint (tests, <=, 4);
}

static void
test_big_range_halfway (void)
{
  /* 4000 candidates: git 2.29+ takes a weight within 4000/1024 of half at
   * once, so the first one met oldest-first, weight 1999 (node 1998) */
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (4000, &parents);
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_TEST);
  g_assert_cmpint (next.left, ==, 4000 - 1999 - 1);
}

static void
test_skips_ambiguous (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (4, &parents);
  /* good below 0; skip 0, 1, 2: only the bad one can be decided */
  for (int i = 0; i < 3; i++)
    {
      git_oid o = oid_n (i);
      g_assert_true (bp_bisect_mark (b, &o, BP_VERDICT_SKIP, NULL));
    }
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_AMBIGUOUS);
  g_assert_cmpuint (next.suspects->len, ==, 4);
  /* git lists the skipped ones by distance (desc), then id, then bad */
  g_assert_cmpint (node_of (&g_array_index (next.suspects, git_oid, 3)), ==, 3);
  g_assert_cmpint (node_of (&g_array_index (next.suspects, git_oid, 0)), ==, 1);
}

static void
test_skip_moves_away (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (20, &parents);
  g_auto(BpBisectNext) first = { 0 };
  g_assert_true (bp_bisect_next (b, &first, NULL));
  g_assert_true (bp_bisect_mark (b, &first.commit, BP_VERDICT_SKIP, NULL));
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_TEST);
  g_assert_false (git_oid_equal (&next.commit, &first.commit));
}

static void
test_merge_weights (void)
{
  /*   0 - 1 - 3 (merge of 1 and 2) - 4
   *    \- 2 -/
   * bad = 4; 0's parent is good. */
  int p0[] = { -1 }, p1[] = { 0 }, p2[] = { 0 }, p3[] = { 1, 2 }, p4[] = { 3 };
  BpBisectNode nodes[] = {
    { oid_n (0), 100, 1, p0 }, { oid_n (1), 101, 1, p1 }, { oid_n (2), 102, 1, p2 },
    { oid_n (3), 103, 2, p3 }, { oid_n (4), 104, 1, p4 },
  };
  g_autoptr(BpBisect) b = bp_bisect_new_from_nodes (nodes, 5, 4, FALSE);
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  /* weights: 0:1 1:2 2:2 3:4 (counted through both parents) 4:5; N = 5:
   * 1 has weight 2, 2*2-5 = -1: half-way, and first in date order */
  g_assert_cmpint (node_of (&next.commit), ==, 1);
  g_assert_cmpint (next.left, ==, 2);

  /* first parent: 0 - 1 - 3 - 4 only */
  g_autoptr(BpBisect) fp = bp_bisect_new_from_nodes (nodes, 5, 4, TRUE);
  g_auto(BpBisectNext) fnext = { 0 };
  g_assert_true (bp_bisect_next (fp, &fnext, NULL));
  g_assert_cmpint (fnext.all, ==, 4);
  g_assert_cmpint (node_of (&fnext.commit), ==, 1);
}

static void
test_mark_outside (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (3, &parents);
  git_oid o = oid_n (42);
  g_autoptr(GError) error = NULL;
  g_assert_false (bp_bisect_mark (b, &o, BP_VERDICT_GOOD, &error));
  g_assert_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_RANGE);
  /* a skip outside is remembered (git switches to its skip mode) */
  g_assert_true (bp_bisect_mark (b, &o, BP_VERDICT_SKIP, NULL));
}

static void
test_source_defines (void)
{
  const char *def = "static void helper(void)\n{\n    vfio_container_dma_map(c, 0, 0, NULL, false, mr);\n}\n\n"
                    "int vfio_container_dma_map(VFIOContainerBase *bcontainer,\n"
                    "                           hwaddr iova, ram_addr_t size)\n{\n    return 0;\n}\n";
  const char *decl = "int vfio_container_dma_map(VFIOContainerBase *bcontainer,\n    hwaddr iova);\n"
                     "void f(void)\n{\n    vfio_container_dma_map(a, b);\n}\n";
  const char *gnu = "int\nvfio_container_dma_map (VFIOContainer *c)\n{\n}\n";
  const char *other = "int vfio_container_dma_map_file(int x)\n{\n}\n";
  g_assert_true (bp_bisect_source_defines (def, strlen (def), "vfio_container_dma_map"));
  g_assert_false (bp_bisect_source_defines (decl, strlen (decl), "vfio_container_dma_map"));
  g_assert_true (bp_bisect_source_defines (gnu, strlen (gnu), "vfio_container_dma_map"));
  g_assert_false (bp_bisect_source_defines (other, strlen (other), "vfio_container_dma_map"));
}

static void
test_real_trees (void)
{
  /* 10.0 defines it in container-base.c; 10.2 in container.c, and its
   * container-legacy.c (10.1's container.c) does not define it. */
  const struct { const char *version, *path; gboolean defines; } cases[] = {
    { "10.0.13", "hw/vfio/container-base.c", TRUE },
    { "10.0.13", "hw/vfio/container.c", FALSE },
    { "10.2.2", "hw/vfio/container.c", TRUE },
    { "10.2.2", "hw/vfio/container-legacy.c", FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = debian_tree_file (cases[i].version, cases[i].path);
      if (path == NULL)
        return;
      g_autofree char *text = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (path, &text, &len, NULL));
      g_assert_cmpint (bp_bisect_source_defines (text, len, "vfio_container_dma_map"), ==,
                       cases[i].defines);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bisect/estimate-steps", test_estimate_steps);
  g_test_add_func ("/bisect/linear-halves", test_linear_halves);
  g_test_add_func ("/bisect/big-range-halfway", test_big_range_halfway);
  g_test_add_func ("/bisect/skips-ambiguous", test_skips_ambiguous);
  g_test_add_func ("/bisect/skip-moves-away", test_skip_moves_away);
  g_test_add_func ("/bisect/merge-weights", test_merge_weights);
  g_test_add_func ("/bisect/mark-outside", test_mark_outside);
  g_test_add_func ("/bisect/source-defines", test_source_defines);
  g_test_add_func ("/bisect/real-trees", test_real_trees);
  return g_test_run ();
}
