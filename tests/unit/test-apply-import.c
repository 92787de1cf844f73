/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Import's repair on synthetic input: the QEMU-style re-indenter, blank
 * context lines the archive dropped, recounted hunk headers, and refusal
 * of ambiguous matches. */
#include <string.h>

#include <glib/gstdio.h>

#include "sources/import.h"

/* Feed REAL (the true file) to an indenter line by line; at each line, ask
 * what the line without its indentation becomes: it must be the line. */
static void
assert_reindents (const char *real)
{
  g_autoptr(BpIndenter) ind = bp_indenter_new ();
  g_auto(GStrv) lines = g_strsplit (real, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *s = lines[i];
      while (*s == ' ')
        s++;
      g_autofree char *got = bp_indenter_indent (ind, s);
      if (strcmp (got, lines[i]) != 0)
        g_error ("line %u: expected [%s], got [%s]", i + 1, lines[i], got);
      bp_indenter_feed (ind, lines[i]);
    }
}

static void
test_indent_qemu_style (void)
{
  assert_reindents (
    "static bool vfio_container_can_dma_map_file(VFIOContainer *bcontainer,\n"
    "                                            MemoryRegion *mr, int *fd)\n"
    "{\n"
    "    VFIOIOMMUClass *vioc = VFIO_IOMMU_GET_CLASS(bcontainer);\n"
    "\n"
    "    if (!vioc->dma_map_file || !rb) {\n"
    "        return false;\n"
    "    } else if (x) {\n"
    "        y = foo(a, bar(b,\n"
    "                       c),\n"
    "                d);\n"
    "    }\n"
    "\n"
    "    /*\n"
    "     * A comment\n"
    "     */\n"
    "    if (z)\n"
    "        return true;\n"
    "    switch (k) {\n"
    "    case 1:\n"
    "        break;\n"
    "    default:\n"
    "        return false;\n"
    "    }\n"
    "#ifdef CONFIG_X\n"
    "    return qemu_ram_is_shared(rb) || memory_region_is_ram_device(mr);\n"
    "#endif\n"
    "}\n");
}

static char *
write_tree (const char *content)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("bp-import-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "a.c", NULL);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  return dir;
}

static void
remove_tree (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "a.c", NULL);
  g_unlink (path);
  g_rmdir (dir);
}

static const char *tree_c =
  "int x;\n\nint f(void)\n{\n    int a;\n\n    a = 1;\n    return a;\n}\n";

static void
test_repair_blank_lines_and_recount (void)
{
  /* Leading whitespace gone, the blank context line gone, counts stale. */
  const char *damaged =
    "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -4,5 +4,7 @@ int f(void)\n"
    "{\nint a;\n-a = 1;\n+a = 2;\n+if (a) {\n+a++;\n+}\nreturn a;\n";
  g_autofree char *dir = write_tree (tree_c);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) imported = bp_import_parse (damaged, strlen (damaged), "t", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (imported->len, ==, 1);
  BpImported *imp = imported->pdata[0];
  g_assert_true (imp->damaged);
  g_assert_true (bp_import_repair (imp, dir, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (imp->patch->diff, ==,
                   "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -4,5 +4,8 @@ int f(void)\n"
                   " {\n     int a;\n \n-    a = 1;\n+    a = 2;\n+    if (a) {\n+        a++;\n+    }\n     return a;\n");
  remove_tree (dir);
}

static void
test_repair_ambiguous (void)
{
  const char *tree = "x;\n{\n    return 1;\n}\ny;\n{\n    return 1;\n}\n";
  const char *damaged = "--- a/a.c\n+++ b/a.c\n@@ -4,3 +4,3 @@\n{\n-return 1;\n+return 2;\n}\n";
  g_autofree char *dir = write_tree (tree);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) imported = bp_import_parse (damaged, strlen (damaged), "t", &error);
  g_assert_no_error (error);
  BpImported *imp = imported->pdata[0];
  g_assert_false (bp_import_repair (imp, dir, &error));
  g_assert_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_AMBIGUOUS);
  g_assert_nonnull (strstr (error->message, "lines 2 and 6"));
  remove_tree (dir);
}

static void
test_clean_patch_untouched (void)
{
  const char *clean = "--- a/a.c\n+++ b/a.c\n@@ -7,2 +7,2 @@\n-    a = 1;\n+    a = 3;\n     return a;\n";
  g_autofree char *dir = write_tree (tree_c);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) imported = bp_import_parse (clean, strlen (clean), "t", &error);
  g_assert_no_error (error);
  BpImported *imp = imported->pdata[0];
  g_assert_false (imp->damaged);
  g_assert_true (bp_import_repair (imp, dir, &error));
  g_assert_cmpstr (imp->patch->diff, ==, clean);
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/import/indent-qemu-style", test_indent_qemu_style);
  g_test_add_func ("/import/repair-blank-lines-recount", test_repair_blank_lines_and_recount);
  g_test_add_func ("/import/repair-ambiguous", test_repair_ambiguous);
  g_test_add_func ("/import/clean-patch-untouched", test_clean_patch_untouched);
  return g_test_run ();
}
