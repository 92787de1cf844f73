/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verify result model: exit rules, JSON round trip (what --merge reads),
 * the matrix and report.md, and the GitLab pipeline text. */
#include <string.h>

#include "report/ci-gitlab.h"
#include "report/verify-model.h"

static GPtrArray *
sample (void)
{
  GPtrArray *reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_line_report_free);
  BpLineReport *a = bp_line_report_new ("10.2", "affected");
  a->has_tree = TRUE;
  a->tree_kind = g_strdup ("debian");
  a->tree_version = g_strdup ("10.2.2");
  bp_line_report_set (a, BP_STEP_TREE, BP_STEP_PASS, "debian 10.2.2", NULL, NULL);
  bp_line_report_set (a, BP_STEP_APPLY, BP_STEP_PASS, "applies (exact)", "hunk 1 at 74", NULL);
  JsonNode *ev = json_node_new (JSON_NODE_VALUE);
  json_node_set_int (ev, 8);
  bp_line_report_set (a, BP_STEP_REPRO, BP_STEP_PASS, "bug -> clean", "stale 8/16 | lost 8/16", ev);
  g_ptr_array_add (reports, a);
  BpLineReport *b = bp_line_report_new ("11.0", "affected");
  bp_line_report_set (b, BP_STEP_TREE, BP_STEP_SKIP, "no tree: use --tree 11.0=DIR", NULL, NULL);
  g_ptr_array_add (reports, b);
  return reports;
}

static void
test_exit_rules (void)
{
  g_autoptr(GPtrArray) r = sample ();
  g_assert_cmpint (bp_verify_outcome (r, FALSE), ==, BP_VERIFY_PROVEN);
  /* a skipped step on a line with a tree is not a proof under --strict */
  g_assert_cmpint (bp_verify_outcome (r, TRUE), ==, BP_VERIFY_FAILED);
  BpLineReport *a = g_ptr_array_index (r, 0);
  bp_line_report_set (a, BP_STEP_CHECK, BP_STEP_FAIL, "the series breaks the build", "error: x", NULL);
  g_assert_cmpint (bp_verify_outcome (r, FALSE), ==, BP_VERIFY_FAILED);
  a->has_tree = FALSE;
  g_assert_cmpint (bp_verify_outcome (r, FALSE), ==, BP_VERIFY_NOTHING);
}

static void
test_json_round_trip (void)
{
  g_autoptr(GPtrArray) r = sample ();
  g_autoptr(JsonNode) doc = bp_verify_to_json (r, NULL, 0);
  g_autoptr(GPtrArray) back = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_line_report_free);
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_verify_from_json (doc, "doc.json", back, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  g_autofree char *m1 = bp_verify_matrix (r);
  g_autofree char *m2 = bp_verify_matrix (back);
  g_assert_cmpstr (m1, ==, m2);
  BpLineReport *a = g_ptr_array_index (back, 0);
  g_assert_true (a->has_tree);
  g_assert_cmpstr (a->tree_version, ==, "10.2.2");
  g_assert_cmpint (json_node_get_int (a->steps[BP_STEP_REPRO].evidence), ==, 8);

  /* a document that is not ours */
  g_autoptr(JsonNode) bad = json_from_string ("{\"lines\": [{\"line\": \"10.2\"}]}", NULL);
  g_autoptr(GError) e2 = NULL;
  g_assert_false (bp_verify_from_json (bad, "bad.json", back, &e2));
  g_assert_nonnull (strstr (e2->message, "bad.json: line 1"));
}

static void
test_matrix_and_markdown (void)
{
  g_autoptr(GPtrArray) r = sample ();
  BpLineReport *a = g_ptr_array_index (r, 0);
  bp_line_report_set (a, BP_STEP_CHECK, BP_STEP_FAIL, "the series breaks the build",
                      "hw/vfio/container.c:90: error: implicit declaration of 'vfio_container_can_dma_map_fil'", NULL);
  g_autofree char *m = bp_verify_matrix (r);
  g_assert_true (g_str_has_prefix (m, "LINE"));
  g_assert_nonnull (strstr (m, "FAIL: the series breaks the build"));
  g_assert_nonnull (strstr (m, "no tree: use --tree 11.0=DIR"));
  g_autofree char *md = bp_verify_markdown (r, "backport verify");
  g_assert_nonnull (strstr (md, "| 10.2 | affected |"));
  /* details go verbatim into code blocks; cells are escaped for tables */
  g_assert_nonnull (strstr (md, "```\nstale 8/16 | lost 8/16\n```"));
  g_assert_nonnull (strstr (md, "```\nhw/vfio/container.c:90: error: implicit declaration"));
}

static void
test_gitlab (void)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  g_ptr_array_add (lines, "10.2");
  g_ptr_array_add (lines, "10.0");
  const char *args[] = { "--tree", "10.2=/srv/trees/qemu 10.2", NULL };
  g_autofree char *y = bp_ci_gitlab_pipeline (lines, args, NULL);
  g_assert_nonnull (strstr (y, "parallel:\n    matrix:\n      - LINE:\n          - \"10.2\"\n          - \"10.0\"\n"));
  g_assert_nonnull (strstr (y, "--json --tree '10.2=/srv/trees/qemu 10.2' > \\\"verify-$LINE.json\\\""));
  g_assert_nonnull (strstr (y, "verify --merge verify-*.json"));
  g_assert_null (strstr (y, "image:"));
  g_autofree char *y2 = bp_ci_gitlab_pipeline (lines, NULL, "debian:bookworm");
  g_assert_nonnull (strstr (y2, "image: debian:bookworm"));
  g_assert_nonnull (strstr (y2, "sh tools/install-deps.sh"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/verify-model/exit-rules", test_exit_rules);
  g_test_add_func ("/verify-model/json-round-trip", test_json_round_trip);
  g_test_add_func ("/verify-model/matrix-markdown", test_matrix_and_markdown);
  g_test_add_func ("/verify-model/gitlab", test_gitlab);
  return g_test_run ();
}
