/* SPDX-License-Identifier: GPL-2.0-or-later */
/* patch-content.c: is a patch's change in a file, by content alone.  Each
 * state on a small C file, whitespace and trivial lines, lines the patch
 * keeps, new and deleted files, and a patch over two files. */
#include <string.h>

#include "model/patch-content.h"

#define BEFORE \
  "int f(void)\n" \
  "{\n" \
  "    int fd = open_it();\n" \
  "    if (fd >= 0 && use_file) {\n" \
  "        return by_file(fd);\n" \
  "    }\n" \
  "    return by_address();\n" \
  "}\n"

#define AFTER \
  "static bool can_use_file(int fd)\n" \
  "{\n" \
  "    return fd >= 0 && shared;\n" \
  "}\n" \
  "\n" \
  "int f(void)\n" \
  "{\n" \
  "    int fd = open_it();\n" \
  "    if (can_use_file(fd)) {\n" \
  "        return by_file(fd);\n" \
  "    }\n" \
  "    return by_address();\n" \
  "}\n"

static const char *diff_text =
  "diff --git a/f.c b/f.c\n"
  "--- a/f.c\n"
  "+++ b/f.c\n"
  "@@ -1,8 +1,13 @@\n"
  "+static bool can_use_file(int fd)\n"
  "+{\n"
  "+    return fd >= 0 && shared;\n"
  "+}\n"
  "+\n"
  " int f(void)\n"
  " {\n"
  "     int fd = open_it();\n"
  "-    if (fd >= 0 && use_file) {\n"
  "+    if (can_use_file(fd)) {\n"
  "         return by_file(fd);\n"
  "     }\n"
  "     return by_address();\n"
  " }\n";

static BpContentMatch
match (const char *diff, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = bp_diff_parse (diff, strlen (diff), "test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, >=, 1);
  BpContentMatch m;
  bp_content_match_file (g_ptr_array_index (files, 0), text, text ? strlen (text) : 0, &m);
  g_autofree char *said = bp_content_match_describe (&m, "f.c");
  g_test_message ("%s: %s", bp_content_state_to_string (m.state), said);
  return m;
}

static void
test_states (void)
{
  BpContentMatch m = match (diff_text, AFTER);
  g_assert_cmpint (m.state, ==, BP_CONTENT_APPLIED);
  /* "{" and "}" and "" do not count; the three telling added lines do */
  g_assert_cmpuint (m.added, ==, 3);
  g_assert_cmpuint (m.added_present, ==, 3);
  g_assert_cmpuint (m.removed, ==, 1);
  g_assert_cmpuint (m.removed_present, ==, 0);

  m = match (diff_text, BEFORE);
  g_assert_cmpint (m.state, ==, BP_CONTENT_BEFORE);
  g_assert_cmpuint (m.removed_present, ==, 1);

  /* the helper is there, the call site not changed: partial */
  m = match (diff_text, "static bool can_use_file(int fd)\n{\n    return fd >= 0 && shared;\n}\n" BEFORE);
  g_assert_cmpint (m.state, ==, BP_CONTENT_PARTIAL);
  g_assert_cmpuint (m.added_present, ==, 2);

  /* neither side: the code the patch changes is not in this file */
  m = match (diff_text, "int g(void)\n{\n    return 0;\n}\n");
  g_assert_cmpint (m.state, ==, BP_CONTENT_ABSENT);
}

static void
test_whitespace (void)
{
  /* re-indented, tabs for spaces, trailing blanks: still applied */
  const char *text = "static bool can_use_file(int fd)\n{\n\treturn fd>=0&&shared;   \n}\n"
                     "int f(void)\n{\n\tint fd = open_it();\n\tif (can_use_file (fd)) {\n"
                     "\t\treturn by_file(fd);\n\t}\n\treturn by_address();\n}\n";
  g_assert_cmpint (match (diff_text, text).state, ==, BP_CONTENT_APPLIED);
}

static void
test_kept_lines (void)
{
  /* a line removed here and added there (moved) proves nothing either way */
  const char *moved =
    "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,3 @@\n"
    "-int moved_line = 1;\n int keep = 2;\n+int moved_line = 1;\n+int added_line = 3;\n";
  BpContentMatch m = match (moved, "int keep = 2;\nint moved_line = 1;\nint added_line = 3;\n");
  g_assert_cmpuint (m.added, ==, 1);
  g_assert_cmpuint (m.removed, ==, 0);
  g_assert_cmpint (m.state, ==, BP_CONTENT_APPLIED);
  /* a change that only adds lines is "before" where its context is */
  m = match (moved, "int moved_line = 1;\nint keep = 2;\n");
  g_assert_cmpint (m.state, ==, BP_CONTENT_BEFORE);
}

/* The uefi-vars fix (f757d9d90d19) turns g_malloc into g_malloc0 in one
 * function; the same g_malloc line stands in another function, untouched.
 * Line by line that looks half-applied; by the hunk's sides it is applied. */
static void
test_removed_line_elsewhere (void)
{
  const char *fix =
    "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -10,3 +10,3 @@\n"
    "     g_free(uv->buffer);\n"
    "-    uv->buffer = g_malloc(uv->buf_size);\n"
    "+    uv->buffer = g_malloc0(uv->buf_size);\n"
    "     break;\n";
  const char *fixed = "void init(void)\n{\n    uv->buffer = g_malloc(uv->buf_size);\n}\n"
                      "void write(void)\n{\n    g_free(uv->buffer);\n"
                      "    uv->buffer = g_malloc0(uv->buf_size);\n    break;\n}\n";
  g_assert_cmpint (match (fix, fixed).state, ==, BP_CONTENT_APPLIED);
  const char *unfixed = "void init(void)\n{\n    uv->buffer = g_malloc(uv->buf_size);\n}\n"
                        "void write(void)\n{\n    g_free(uv->buffer);\n"
                        "    uv->buffer = g_malloc(uv->buf_size);\n    break;\n}\n";
  g_assert_cmpint (match (fix, unfixed).state, ==, BP_CONTENT_BEFORE);
}

static void
test_new_and_deleted (void)
{
  const char *create = "diff --git a/n.c b/n.c\nnew file mode 100644\n--- /dev/null\n+++ b/n.c\n@@ -0,0 +1,1 @@\n+int n = 1;\n";
  g_assert_cmpint (match (create, NULL).state, ==, BP_CONTENT_BEFORE);
  g_assert_cmpint (match (create, "int n = 1;\n").state, ==, BP_CONTENT_APPLIED);
  const char *delete = "diff --git a/n.c b/n.c\ndeleted file mode 100644\n--- a/n.c\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-int n = 1;\n";
  g_assert_cmpint (match (delete, NULL).state, ==, BP_CONTENT_APPLIED);
  g_assert_cmpint (match (delete, "int n = 1;\n").state, ==, BP_CONTENT_BEFORE);
}

typedef struct {
  const char *a, *b;
} TwoFiles;

static char *
read_two (const char *path, gsize *len, gpointer user_data)
{
  const TwoFiles *t = user_data;
  const char *text = strcmp (path, "a.c") == 0 ? t->a : strcmp (path, "b.c") == 0 ? t->b : NULL;
  if (text == NULL)
    return NULL;
  *len = strlen (text);
  return g_strdup (text);
}

static void
test_patch (void)
{
  const char *mail =
    "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1,2 +1,2 @@\n int a;\n-int old_a = 1;\n+int new_a = 2;\n"
    "diff --git a/b.c b/b.c\n--- a/b.c\n+++ b/b.c\n@@ -1,2 +1,2 @@\n int b;\n-int old_b = 1;\n+int new_b = 2;\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BpPatch) patch = bp_patch_parse (mail, strlen (mail), "two", &error);
  g_assert_no_error (error);
  struct { TwoFiles files; BpContentState want; } cases[] = {
    { { "int a;\nint new_a = 2;\n", "int b;\nint new_b = 2;\n" }, BP_CONTENT_APPLIED },
    { { "int a;\nint old_a = 1;\n", "int b;\nint old_b = 1;\n" }, BP_CONTENT_BEFORE },
    { { "int a;\nint new_a = 2;\n", "int b;\nint old_b = 1;\n" }, BP_CONTENT_PARTIAL },
    { { "int a;\nint old_a = 1;\n", NULL }, BP_CONTENT_BEFORE },   /* b.c absent: still not applied */
    { { NULL, NULL }, BP_CONTENT_ABSENT },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      BpContentMatch m;
      bp_content_match_patch (patch, read_two, &cases[i].files, &m);
      g_assert_cmpint (m.state, ==, cases[i].want);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/patch-content/states", test_states);
  g_test_add_func ("/patch-content/whitespace", test_whitespace);
  g_test_add_func ("/patch-content/kept-lines", test_kept_lines);
  g_test_add_func ("/patch-content/removed-line-elsewhere", test_removed_line_elsewhere);
  g_test_add_func ("/patch-content/new-and-deleted", test_new_and_deleted);
  g_test_add_func ("/patch-content/patch", test_patch);
  return g_test_run ();
}
