/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The patch parser on the pack's real patches and on bad input. */
#include <string.h>

#include <glib/gstdio.h>

#include "model/patch.h"
#include "sources/import.h"

static char *
pack_patch_path (const char *line)
{
  g_autofree char *dir = g_build_filename (g_getenv ("BP_SOURCE_DIR"), "patches",
                                           "vfio-map-file-private", line, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".patch"))
      return g_build_filename (dir, name, NULL);
  g_assert_not_reached ();
}

static void
test_pack_patches (void)
{
  const char *lines[] = { "10.1", "10.2", "11.0" };
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autofree char *path = pack_patch_path (lines[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(BpPatch) p = bp_patch_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (p->author_name, ==, "Chenyi Qiang");
      g_assert_cmpstr (p->author_email, ==, "chenyi.qiang@intel.com");
      g_assert_nonnull (p->date);
      g_assert_cmpint (g_date_time_get_year (p->date), ==, 2026);
      g_assert_cmpstr (p->subject, ==, "vfio/container: Use dma_map_file() only for shared RAM and RAM devices");
      g_autoptr(GPtrArray) fixes = bp_patch_trailers (p, "Fixes");
      g_assert_cmpuint (fixes->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (fixes, 0), ==, "fb32965b6dd8 (\"vfio/iommufd: use IOMMU_IOAS_MAP_FILE\")");
      g_autoptr(GPtrArray) rb = bp_patch_trailers (p, "reviewed-by");
      g_assert_cmpuint (rb->len, ==, 2);
      /* UTF-8 survives: Cédric */
      g_autoptr(GPtrArray) sb = bp_patch_trailers (p, "Suggested-by");
      g_assert_cmpstr (g_ptr_array_index (sb, 0), ==, "Cédric Le Goater <clg@redhat.com>");
      g_assert_cmpuint (p->files->len, ==, 1);
      BpFileDiff *f = g_ptr_array_index (p->files, 0);
      g_assert_cmpstr (f->new_path, ==, strcmp (lines[i], "10.1") == 0 ? "hw/vfio/container-base.c" : "hw/vfio/container.c");
      g_assert_cmpuint (f->hunks->len, ==, 1);
      BpHunk *h = g_ptr_array_index (f->hunks, 0);
      g_assert_cmpuint (h->old_count, ==, 15);
      g_assert_cmpuint (h->new_count, ==, 43);
      guint add = 0, del = 0;
      for (guint j = 0; j < h->lines->len; j++)
        {
          BpDiffLine *l = g_ptr_array_index (h->lines, j);
          add += l->kind == '+';
          del += l->kind == '-';
        }
      g_assert_cmpuint (add, ==, 31);
      g_assert_cmpuint (del, ==, 3);
      g_assert_true (g_str_has_prefix (p->diff, "diff --git "));
      g_assert_null (strstr (p->diff, "\n-- \n"));     /* signature is not diff */
      g_assert_true (strstr (p->notes, "1 file changed") != NULL);
      if (strcmp (lines[i], "10.1") == 0)
        g_assert_nonnull (strstr (p->message, "(backport: adapted to hw/vfio/container-base.c"));
    }
}

static void
test_round_trip (void)
{
  g_autofree char *path = pack_patch_path ("10.2");
  g_autoptr(BpPatch) p = bp_patch_load (path, NULL);
  g_autofree char *mail = bp_patch_to_mail (p, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BpPatch) q = bp_patch_parse (mail, strlen (mail), "round-trip", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q->subject, ==, p->subject);
  g_assert_cmpstr (q->author_name, ==, p->author_name);
  g_assert_cmpstr (q->message, ==, p->message);
  g_assert_cmpstr (q->diff, ==, p->diff);
  g_assert_true (g_date_time_equal (q->date, p->date));
}

static void
expect_error (const char *text, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BpPatch) p = bp_patch_parse (text, strlen (text), "input.patch", &error);
  g_assert_null (p);
  g_assert_error (error, BP_PATCH_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' lacks '%s'", error->message, needle);
}

static void
test_bad_input (void)
{
  /* what the web archive did to the seed: context lines lost their ' ' */
  expect_error ("diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\nint a;\n-int b;\n+int c;\nint d;\nint e;\n",
                BP_PATCH_ERROR_CORRUPT, "input.patch:5: corrupt hunk");
  expect_error ("diff --git a/../etc/passwd b/../etc/passwd\n--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n",
                BP_PATCH_ERROR_UNSAFE_PATH, "'..'");
  expect_error ("diff --git a/x b/x\nsimilarity index 100%\nrename from x\nrename to /etc/x\n",
                BP_PATCH_ERROR_UNSAFE_PATH, "refusing path '/etc/x'");
}

static void
test_absolute_and_binary (void)
{
  expect_error ("diff --git a/logo.png b/logo.png\nindex 1111111..2222222 100644\nGIT binary patch\nliteral 5\nabcde\n",
                BP_PATCH_ERROR_BINARY, "binary patch for 'logo.png'");
  expect_error ("hello\nthis is no patch\n", BP_PATCH_ERROR_PARSE, "input.patch");
  expect_error ("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n",
                BP_PATCH_ERROR_CORRUPT, "hunk ends early");
  g_autofree char *big = g_malloc (BP_PATCH_MAX_SIZE + 2);
  memset (big, 'a', BP_PATCH_MAX_SIZE + 1);
  big[BP_PATCH_MAX_SIZE + 1] = '\0';
  expect_error (big, BP_PATCH_ERROR_TOO_LARGE, "limit");
}

#define MAIL_HEAD "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n" \
  "From: A <a@example.org>\nSubject: [PATCH] x: y\nMIME-Version: 1.0\n"
#define MAIL_DIFF "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+caf\xe9\n"

/* The body's first added line of the one file of P. */
static const char *
first_added (const BpPatch *p)
{
  const BpHunk *h = g_ptr_array_index (((BpFileDiff *) g_ptr_array_index (p->files, 0))->hunks, 0);
  return ((BpDiffLine *) g_ptr_array_index (h->lines, 1))->text;
}

static void
test_charsets (void)
{
  /* charset=UTF-8 with a Latin-1 byte: kept exactly, as git am does */
  const char *utf8 = MAIL_HEAD "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
                     "msg\n---\n" MAIL_DIFF;
  g_autoptr(GError) error = NULL;
  g_autoptr(BpPatch) p = bp_patch_parse (utf8, strlen (utf8), "u.patch", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first_added (p), ==, "caf\xe9");
  g_assert_nonnull (strstr (p->diff, "+caf\xe9\n"));
  /* charset=ISO-8859-1: converted to UTF-8 */
  const char *latin = MAIL_HEAD "Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
                      "msg\n---\n" MAIL_DIFF;
  g_autoptr(BpPatch) q = bp_patch_parse (latin, strlen (latin), "l.patch", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first_added (q), ==, "caf\xc3\xa9");
  /* a base64 body that decodes to NUL bytes is no text patch */
  g_autofree char *b64 = g_base64_encode ((const guchar *) "msg\n---\n\0diff", 14);
  g_autofree char *nul = g_strdup_printf (MAIL_HEAD "Content-Type: text/plain; charset=UTF-8\n"
                                          "Content-Transfer-Encoding: base64\n\n%s\n", b64);
  expect_error (nul, BP_PATCH_ERROR_PARSE, "NUL bytes");
}

static void
test_counts_too_small (void)
{
  /* the counts end after the context; the hunk's lines go on */
  expect_error ("diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n a\n b\n-c\n+d\n",
                BP_PATCH_ERROR_CORRUPT, "input.patch:7: the hunk \"@@ -1,2 +1,2 @@\" has ended by its counts");
  /* a line number that would wrap a guint (apply reported "stated 1638612992") */
  expect_error ("diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -3700000000000000,1 +1 @@\n-a\n+b\n",
                BP_PATCH_ERROR_CORRUPT, "input.patch:4: malformed hunk header");
  expect_error ("diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ - -1 +1 @@\n-a\n+b\n",
                BP_PATCH_ERROR_CORRUPT, "malformed hunk header");
  /* a signature after the hunk is not more of it */
  const char *ok = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n-- \n2.43.0\n\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BpPatch) p = bp_patch_parse (ok, strlen (ok), "sig.patch", &error);
  g_assert_no_error (error);
}

static void
test_plain_diff (void)
{
  const char *text = "--- a/x.c\t2026-01-01\n+++ b/x.c\t2026-01-02\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BpPatch) p = bp_patch_parse (text, strlen (text), "plain.diff", &error);
  g_assert_no_error (error);
  g_assert_null (p->subject);
  BpFileDiff *f = g_ptr_array_index (p->files, 0);
  g_assert_cmpstr (f->old_path, ==, "x.c");
  BpHunk *h = g_ptr_array_index (f->hunks, 0);
  g_assert_cmpuint (h->lines->len, ==, 3);
  g_assert_true (((BpDiffLine *) g_ptr_array_index (h->lines, 2))->no_newline);
}

/* What the fuzzers found (bench/fuzz.sh), each kept as a case. */
static void
test_fuzz_found (void)
{
  g_autoptr(GError) error = NULL;
  /* a message line "From the kernel log:" is no mbox boundary */
  const char *from = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
                     "From: A <a@example.org>\nSubject: [PATCH] x: y\n\nFrom the kernel log:\nboom\n---\n"
                     "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n";
  g_autoptr(BpPatch) p = bp_patch_parse (from, strlen (from), "from.patch", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->message, ==, "From the kernel log:\nboom");
  g_autoptr(GPtrArray) imported = bp_import_parse (from, strlen (from), "from.patch", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (imported->len, ==, 1);
  g_assert_false (((BpImported *) imported->pdata[0])->damaged);

  /* a plain diff with a preamble and no final newline: the preamble is
   * notes, and the mail written back splits the same way */
  const char *plain = "diff -- junk\nIndex: x.c\n=====\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b";
  g_autoptr(BpPatch) q = bp_patch_parse (plain, strlen (plain), "plain.diff", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q->notes, ==, "diff -- junk");
  g_assert_cmpstr (q->diff, ==, "Index: x.c\n=====\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n");
  g_autofree char *mail = bp_patch_to_mail (q, NULL);
  g_autoptr(BpPatch) back = bp_patch_parse (mail, strlen (mail), "back", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->diff, ==, q->diff);

  /* the notes' first line keeps its indent: " Index: ..." is a diffstat-like
   * line, not a header, also once written back */
  const char *indented = "From: A <a@example.org>\nSubject: x\n\nm\n---\n Index: 3 +\n\n"
                         "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n";
  g_autoptr(BpPatch) r = bp_patch_parse (indented, strlen (indented), "ind.patch", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->notes, ==, " Index: 3 +");

  /* format-patch's signature ends the diff: a second mail after it is not
   * folded into the first */
  const char *two = "From: A <a@example.org>\nSubject: x\n\nm\n---\n"
                    "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n-- \n2.39.5\n\n"
                    "Subject: y\n\ndiff --git a/y.c b/y.c\n--- a/y.c\n+++ b/y.c\n@@ -1 +1 @@\n-a\n+b\n";
  g_autoptr(BpPatch) s = bp_patch_parse (two, strlen (two), "two.patch", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (s->files->len, ==, 1);

  /* the message keeps its first line's indent: an indented "diff --git" in
   * it is prose, and stays prose once written back (g_strstrip made it the
   * diff) */
  const char *ind2 = "From: A <a@example.org>\nSubject: x\n\n\n   diff --git a/t b/t is prose\n---\n"
                     "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n";
  g_autoptr(BpPatch) m = bp_patch_parse (ind2, strlen (ind2), "ind2.patch", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->message, ==, "   diff --git a/t b/t is prose");
  g_autofree char *mail2 = bp_patch_to_mail (m, NULL);
  g_autoptr(BpPatch) back2 = bp_patch_parse (mail2, strlen (mail2), "back2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back2->diff, ==, m->diff);

  /* a stated line billions of lines past the file (a count that wrapped):
   * the repair searches from the file's end, at once (it took minutes) */
  g_autofree char *tree = g_dir_make_tmp ("bp-test-patch-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *xc = g_build_filename (tree, "x.c", NULL);
  g_assert_true (g_file_set_contents (xc, "int a;\n{\n    return 1;\n}\n", -1, NULL));
  const char *far = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -3700000000000000,3 +2,3 @@\n{\n-return 1;\n+return 2;\n}\n";
  g_autoptr(GPtrArray) farimp = bp_import_parse (far, strlen (far), "far", &error);
  g_assert_no_error (error);
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (bp_import_repair (farimp->pdata[0], tree, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (((BpImported *) farimp->pdata[0])->patch->diff, "@@ -2,3 +2,3 @@"));
  g_unlink (xc);
  g_rmdir (tree);

  /* damaged text whose "diff --git" names no a/ and b/ path: refused */
  const char *nopath = "diff --git a/hw/vfio/io/container.c\n@@ -0,0 +1 @@\n+int b;\nx\n";
  g_autoptr(GPtrArray) none = bp_import_parse (nopath, strlen (nopath), "nopath", &error);
  g_assert_null (none);
  g_assert_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "names no path"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/patch/pack-patches", test_pack_patches);
  g_test_add_func ("/patch/round-trip", test_round_trip);
  g_test_add_func ("/patch/bad-input", test_bad_input);
  g_test_add_func ("/patch/absolute-binary", test_absolute_and_binary);
  g_test_add_func ("/patch/plain-diff", test_plain_diff);
  g_test_add_func ("/patch/charsets", test_charsets);
  g_test_add_func ("/patch/counts-too-small", test_counts_too_small);
  g_test_add_func ("/patch/fuzz-found", test_fuzz_found);
  return g_test_run ();
}
