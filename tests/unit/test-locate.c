/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hunk locator on synthetic files: exact, offset (nearest first),
 * whitespace drift, ambiguity refused, fuzz only when asked, and the
 * section-header hint when a hunk's function is not in the file. */
#include <string.h>

#include "engines/apply.h"
#include "engines/locate.h"
#include "model/patch.h"

/* "l1\nl2\n...lN\n" with optional overrides. */
static BpLines *
numbered (guint n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 1; i <= n; i++)
    g_string_append_printf (s, "line %u\n", i);
  BpLines *lines = bp_lines_new_from_text (s->str, s->len);
  g_string_free (s, TRUE);
  return lines;
}

static GPtrArray *
parse (const char *diff)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *files = bp_diff_parse (diff, strlen (diff), "test", &error);
  g_assert_no_error (error);
  g_assert_nonnull (files);
  return files;
}

static const char *diff_10 =
  "--- a/f.c\n"
  "+++ b/f.c\n"
  "@@ -9,5 +9,5 @@\n"
  " line 9\n"
  " line 10\n"
  "-line 11\n"
  "+LINE ELEVEN\n"
  " line 12\n"
  " line 13\n";

static char *
apply_text (BpLines *lines, const char *diff, guint fuzz, GPtrArray *reports, GError **error)
{
  g_autoptr(GPtrArray) files = parse (diff);
  g_autoptr(BpLines) out = bp_locate_apply_file (lines, files->pdata[0], "p", "f.c", fuzz, reports, error);
  return out ? bp_lines_to_text (out, NULL) : NULL;
}

static void
test_exact (void)
{
  g_autoptr(BpLines) lines = numbered (30);
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = apply_text (lines, diff_10, 0, reports, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "line 10\nLINE ELEVEN\nline 12\n"));
  g_assert_null (strstr (text, "line 11\n"));
  g_assert_cmpuint (reports->len, ==, 1);
  BpHunkReport *r = reports->pdata[0];
  g_assert_cmpint (r->how, ==, BP_HUNK_EXACT);
  g_assert_cmpuint (r->applied_line, ==, 9);
  g_assert_cmpint (r->offset, ==, 0);
}

static void
test_offset (void)
{
  /* Seven lines inserted before the hunk: found 7 lines further down. */
  g_autoptr(BpLines) lines = numbered (30);
  for (int i = 0; i < 7; i++)
    g_ptr_array_insert (lines->lines, 0, g_strdup ("new at top"));
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = apply_text (lines, diff_10, 0, reports, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "line 10\nLINE ELEVEN\nline 12\n"));
  BpHunkReport *r = reports->pdata[0];
  g_assert_cmpint (r->how, ==, BP_HUNK_OFFSET);
  g_assert_cmpint (r->offset, ==, 7);
  g_assert_cmpuint (r->applied_line, ==, 16);

  /* Lines removed above: negative offset. */
  g_autoptr(BpLines) fewer = numbered (30);
  g_ptr_array_remove_range (fewer->lines, 0, 4);
  g_ptr_array_unref (reports);
  reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autofree char *text2 = apply_text (fewer, diff_10, 0, reports, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((BpHunkReport *) reports->pdata[0])->offset, ==, -4);
}

static void
test_nearest_first (void)
{
  /* The block occurs at line 9 + 3 and at line 9 - 6 (after edits): the
   * nearer one wins, as in git apply. */
  g_autoptr(BpLines) lines = numbered (40);
  /* Make a copy of lines 9..13 at index 20 (line 21): distance 12 */
  for (int i = 0; i < 5; i++)
    g_ptr_array_insert (lines->lines, 20 + i, g_strdup_printf ("line %d", 9 + i));
  /* and shift the original down by 2 */
  g_ptr_array_insert (lines->lines, 0, g_strdup ("x"));
  g_ptr_array_insert (lines->lines, 0, g_strdup ("y"));
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = apply_text (lines, diff_10, 0, reports, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((BpHunkReport *) reports->pdata[0])->offset, ==, 2);
}

static void
test_ambiguous (void)
{
  /* The hunk's text at stated-3 and stated+3: same distance, refused. */
  g_autoptr(BpLines) lines = numbered (40);
  g_autoptr(GPtrArray) block = g_ptr_array_new_with_free_func (g_free);
  /* Replace lines 9..13 by filler, then put the block at lines 6 and 12. */
  for (int i = 8; i < 13; i++)
    {
      g_free (lines->lines->pdata[i]);
      lines->lines->pdata[i] = g_strdup ("filler");
    }
  for (int k = 0; k < 2; k++)
    {
      int at = k == 0 ? 5 : 11;   /* 0-based: line 6 and line 12 */
      for (int i = 0; i < 5; i++)
        {
          g_free (lines->lines->pdata[at + i]);
          lines->lines->pdata[at + i] = g_strdup_printf ("line %d", 9 + i);
        }
    }
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = apply_text (lines, diff_10, 0, reports, &error);
  g_assert_null (text);
  g_assert_error (error, BP_LOCATE_ERROR, BP_LOCATE_ERROR_AMBIGUOUS);
  g_assert_nonnull (strstr (error->message, "hunk #1"));
  g_assert_nonnull (strstr (error->message, "lines 6 and 12"));
  BpHunkReport *r = reports->pdata[0];
  g_assert_cmpint (r->how, ==, BP_HUNK_FAILED);
  g_assert_nonnull (r->detail);
}

static void
test_whitespace (void)
{
  /* The tree re-indented the context with tabs; the hunk still fits, the
   * tree's own text is kept for context lines. */
  const char *tree = "int f(void)\n{\n\tint a = 1;\n\tint b = 2;\n\treturn a  +  b;\n}\n";
  const char *diff =
    "--- a/f.c\n+++ b/f.c\n@@ -1,6 +1,6 @@\n"
    " int f(void)\n {\n     int a = 1;\n-    int b = 2;\n+    int b = 3;\n     return a + b;\n }\n";
  g_autoptr(BpLines) lines = bp_lines_new_from_text (tree, strlen (tree));
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = apply_text (lines, diff, 0, reports, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "int f(void)\n{\n\tint a = 1;\n    int b = 3;\n\treturn a  +  b;\n}\n");
  g_assert_cmpint (((BpHunkReport *) reports->pdata[0])->how, ==, BP_HUNK_WHITESPACE);
}

static void
test_fuzz_only_when_asked (void)
{
  /* The first context line changed in the tree. */
  g_autoptr(BpLines) lines = numbered (30);
  g_free (lines->lines->pdata[8]);
  lines->lines->pdata[8] = g_strdup ("line nine, changed");
  g_autoptr(GError) error = NULL;
  g_autofree char *none = apply_text (lines, diff_10, 0, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, BP_LOCATE_ERROR, BP_LOCATE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autofree char *text = apply_text (lines, diff_10, 1, reports, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "line nine, changed\nline 10\nLINE ELEVEN\n"));
  BpHunkReport *r = reports->pdata[0];
  g_assert_cmpint (r->how, ==, BP_HUNK_FUZZ);
  g_assert_cmpuint (r->fuzz, ==, 1);
  g_assert_nonnull (strstr (r->detail, "dropped 1 context"));
}

static void
test_two_hunks_and_eof (void)
{
  /* Two hunks: the second follows the first's offset; the last touches a file
   * without a final newline. */
  const char *diff =
    "--- a/f.c\n+++ b/f.c\n"
    "@@ -2,3 +2,3 @@\n line 2\n-line 3\n+line three\n line 4\n"
    "@@ -9,2 +9,3 @@\n line 9\n line 10\n+line 11\n\\ No newline at end of file\n";
  g_autoptr(BpLines) lines = numbered (10);
  lines->final_newline = FALSE;
  g_ptr_array_insert (lines->lines, 0, g_strdup ("inserted"));
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = apply_text (lines, diff, 0, reports, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (text, "line 10\nline 11"));
  g_assert_nonnull (strstr (text, "line 2\nline three\nline 4\n"));
  g_assert_cmpuint (reports->len, ==, 2);
  g_assert_cmpint (((BpHunkReport *) reports->pdata[1])->offset, ==, 1);
}

static void
test_section_hint (void)
{
  /* The 10.1 trap: the hunk's function is not in this file. */
  const char *diff =
    "--- a/f.c\n+++ b/f.c\n@@ -3,3 +3,3 @@ int vfio_container_dma_map(VFIOContainer *c,\n"
    " a\n-b\n+c\n d\n";
  g_autoptr(BpLines) lines = numbered (10);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = apply_text (lines, diff, 0, NULL, &error);
  g_assert_null (text);
  g_assert_nonnull (strstr (error->message, "vfio_container_dma_map(), which is not in f.c"));
  g_autofree char *fn = bp_locate_section_function ("static int foo (int a,");
  g_assert_cmpstr (fn, ==, "foo");

  g_clear_error (&error);
  /* It fits, but the function is elsewhere: applied, with a warning. */
  const char *fits =
    "--- a/f.c\n+++ b/f.c\n@@ -3,3 +3,3 @@ int vfio_container_dma_map(VFIOContainer *c,\n"
    " line 3\n-line 4\n+line four\n line 5\n";
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autofree char *ok = apply_text (lines, fits, 0, reports, &error);
  g_assert_nonnull (ok);
  g_assert_nonnull (strstr (((BpHunkReport *) reports->pdata[0])->detail, "warning: its section names vfio_container_dma_map()"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/locate/exact", test_exact);
  g_test_add_func ("/locate/offset", test_offset);
  g_test_add_func ("/locate/nearest-first", test_nearest_first);
  g_test_add_func ("/locate/ambiguous-refused", test_ambiguous);
  g_test_add_func ("/locate/whitespace-drift", test_whitespace);
  g_test_add_func ("/locate/fuzz-only-when-asked", test_fuzz_only_when_asked);
  g_test_add_func ("/locate/two-hunks-eof", test_two_hunks_and_eof);
  g_test_add_func ("/locate/section-hint", test_section_hint);
  return g_test_run ();
}
