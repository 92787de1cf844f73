/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The apply engine on synthetic trees: all-or-nothing (a failing last hunk of
 * a multi-patch series leaves files, .git, debian/patches and .pc byte for
 * byte as they were), 3-way merge and its conflicts, commits with the right
 * metadata, quilt bookkeeping, and refusal of unsafe input. */
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/transaction.h"
#include "engines/apply.h"
#include "model/patch.h"

static char *
tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("bp-apply-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
write_file (const char *dir, const char *rel, const char *text)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_mkdir_with_parents (parent, 0755);
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *dir, const char *rel)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static void
run (const char *dir, const char *cmd)
{
  g_autofree char *full = g_strdup_printf ("sh -c 'cd \"%s\" && %s' ", dir, cmd);
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_spawn_command_line_sync (full, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", cmd, out, err);
}

/* Every file under DIR (including .git) as "path mode\n" + content, sorted. */
static void
snapshot_walk (const char *root, const char *rel, GPtrArray *out)
{
  g_autofree char *dir = g_build_filename (root, rel, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *r = *rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *p = g_build_filename (root, r, NULL);
      struct stat st;
      g_assert_cmpint (lstat (p, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          g_ptr_array_add (out, g_strdup_printf ("%s/ %o", r, st.st_mode & 07777));
          snapshot_walk (root, r, out);
        }
      else if (S_ISLNK (st.st_mode))
        {
          g_autofree char *target = g_file_read_link (p, NULL);
          g_ptr_array_add (out, g_strdup_printf ("%s -> %s", r, target));
        }
      else
        {
          g_autofree char *text = NULL;
          gsize len;
          g_assert_true (g_file_get_contents (p, &text, &len, NULL));
          g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) text, len);
          g_ptr_array_add (out, g_strdup_printf ("%s %o %" G_GSIZE_FORMAT " %s", r, st.st_mode & 07777, len, sum));
        }
    }
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char **) a, *(char **) b);
}

static char *
snapshot (const char *root)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_free);
  snapshot_walk (root, "", entries);
  g_ptr_array_sort (entries, cmp_str);
  g_ptr_array_add (entries, NULL);
  return g_strjoinv ("\n", (char **) entries->pdata);
}

static const char *base_c =
  "#include <stdio.h>\n\nint one(void)\n{\n    return 1;\n}\n\nint two(void)\n{\n    return 2;\n}\n\n"
  "int three(void)\n{\n    return 3;\n}\n";

static BpPatch *
mail (const char *subject, const char *diff)
{
  g_autofree char *text = g_strdup_printf (
    "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
    "From: Ann Author <ann@example.org>\nDate: Wed, 27 May 2026 10:11:00 +0000\n"
    "Subject: [PATCH] %s\n\nWhy it matters.\n\nSigned-off-by: Ann Author <ann@example.org>\n---\n%s",
    subject, diff);
  g_autoptr(GError) error = NULL;
  BpPatch *p = bp_patch_parse (text, strlen (text), subject, &error);
  g_assert_no_error (error);
  return p;
}

static const char *diff_one =
  "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -3,4 +3,4 @@\n int one(void)\n {\n-    return 1;\n+    return 11;\n }\n";
static const char *diff_new_file =
  "diff --git a/dir/new.c b/dir/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/dir/new.c\n@@ -0,0 +1,2 @@\n+int x;\n+int y;\n";
static const char *diff_two_ok_three_bad =
  "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -8,4 +8,4 @@\n int two(void)\n {\n-    return 2;\n+    return 22;\n }\n"
  "@@ -13,4 +13,4 @@\n int three(void)\n {\n-    return 333;\n+    return 3333;\n }\n";

static GPtrArray *
series (gboolean last_fails)
{
  GPtrArray *patches = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  g_ptr_array_add (patches, mail ("one", diff_one));
  g_ptr_array_add (patches, mail ("new file", diff_new_file));
  if (last_fails)
    g_ptr_array_add (patches, mail ("two and three", diff_two_ok_three_bad));
  return patches;
}

static GPtrArray *
names (guint n)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (a, g_strdup_printf ("000%u-p.patch", i + 1));
  return a;
}

static char *
git_tree (void)
{
  char *dir = tmpdir ();
  write_file (dir, "f.c", base_c);
  write_file (dir, "README", "readme\n");
  run (dir, "git init -q -b main . && git config user.name \"Bea Backporter\" && "
            "git config user.email bea@example.org && git add -A && git commit -qm base");
  return dir;
}

static void
test_atomic_git (void)
{
  g_autofree char *dir = git_tree ();
  g_autofree char *before = snapshot (dir);
  g_autoptr(GPtrArray) patches = series (TRUE);
  g_autoptr(GPtrArray) n = names (patches->len);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_AUTO };
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = bp_apply_patches (patches, n, NULL, "https://example.org/p", dir, &opts, &reports, NULL, &error);
  g_assert_false (ok);
  g_assert_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY);
  g_assert_nonnull (strstr (error->message, "0003-p.patch: f.c hunk #2"));
  /* The reports say what would have applied and which hunk failed. */
  g_assert_cmpuint (reports->len, ==, 4);
  BpHunkReport *last = reports->pdata[3];
  g_assert_cmpint (last->how, ==, BP_HUNK_FAILED);
  g_assert_cmpuint (last->hunk, ==, 2);
  g_autofree char *after = snapshot (dir);
  g_assert_cmpstr (before, ==, after);
  run (dir, "rm -rf \"$PWD\"");
}

static void
test_commits (void)
{
  g_autofree char *dir = git_tree ();
  g_autoptr(GPtrArray) patches = series (FALSE);
  g_autoptr(GPtrArray) n = names (patches->len);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_AUTO, .signoff = TRUE };
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_apply_patches (patches, n, NULL, "https://example.org/p", dir, &opts, NULL, NULL, &error));
  g_assert_no_error (error);
  run (dir, "test \"$(git rev-list --count HEAD)\" = 3");
  run (dir, "test -z \"$(git status --porcelain)\"");
  run (dir, "git log -1 --format=%an%n%ae%n%aI%n%cn HEAD~1 | tr \"\\n\" \"|\" | grep -qx \"Ann Author|ann@example.org|2026-05-27T10:11:00+00:00|Bea Backporter|\"");
  run (dir, "git log -1 --format=%B HEAD | grep -qx \"(backported from https://example.org/p by backport)\"");
  run (dir, "git log -1 --format=%B HEAD | tail -n 2 | head -n 1 | grep -qx \"Signed-off-by: Bea Backporter <bea@example.org>\"");
  run (dir, "grep -q \"return 11\" f.c && test -f dir/new.c");

  /* With a known upstream id: the cherry-pick trailer instead. */
  g_autofree char *dir2 = git_tree ();
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  g_ptr_array_add (one, mail ("one", diff_one));
  opts.signoff = FALSE;
  g_assert_true (bp_apply_patches (one, NULL, "0123456789abcdef0123456789abcdef01234567", "https://x", dir2,
                                   &opts, NULL, NULL, &error));
  run (dir2, "git log -1 --format=%B | tail -n 2 | grep -qx \"(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)\"");
  run (dir, "rm -rf \"$PWD\"");
  run (dir2, "rm -rf \"$PWD\"");
}

static void
test_dirty_refused (void)
{
  g_autofree char *dir = git_tree ();
  write_file (dir, "README", "changed\n");
  g_autoptr(GPtrArray) patches = series (FALSE);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_AUTO };
  g_autoptr(GError) error = NULL;
  g_assert_false (bp_apply_patches (patches, NULL, NULL, NULL, dir, &opts, NULL, NULL, &error));
  g_assert_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DIRTY);
  g_clear_error (&error);
  opts.force = TRUE;
  opts.target = BP_APPLY_TARGET_FILES;
  g_assert_true (bp_apply_patches (patches, NULL, NULL, NULL, dir, &opts, NULL, NULL, &error));
  g_assert_no_error (error);
  run (dir, "rm -rf \"$PWD\"");
}

static char *
quilt_tree (void)
{
  char *dir = tmpdir ();
  write_file (dir, "f.c", base_c);
  write_file (dir, "debian/patches/series", "old.patch\n");
  write_file (dir, "debian/patches/old.patch", "--- a/README\n+++ b/README\n@@ -0,0 +1 @@\n+readme\n");
  write_file (dir, "README", "readme\n");
  write_file (dir, ".pc/applied-patches", "old.patch\n");
  write_file (dir, ".pc/.version", "2\n");
  write_file (dir, ".pc/.quilt_patches", "debian/patches\n");
  write_file (dir, ".pc/.quilt_series", "series\n");
  write_file (dir, ".pc/old.patch/README", "");
  write_file (dir, ".pc/old.patch/.timestamp", "");
  return dir;
}

static void
test_atomic_quilt (void)
{
  g_autofree char *dir = quilt_tree ();
  g_autofree char *before = snapshot (dir);
  g_autoptr(GPtrArray) patches = series (TRUE);
  g_autoptr(GPtrArray) n = names (patches->len);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_QUILT };
  g_autoptr(GError) error = NULL;
  g_assert_false (bp_apply_patches (patches, n, NULL, NULL, dir, &opts, NULL, NULL, &error));
  g_assert_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY);
  g_autofree char *after = snapshot (dir);
  g_assert_cmpstr (before, ==, after);
  run (dir, "rm -rf \"$PWD\"");
}

static void
test_quilt_bookkeeping (void)
{
  g_autofree char *dir = quilt_tree ();
  g_autoptr(GPtrArray) patches = series (FALSE);
  g_autoptr(GPtrArray) n = names (patches->len);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_QUILT };
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_apply_patches (patches, n, NULL, "https://example.org/p", dir, &opts, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *ser = read_file (dir, "debian/patches/series");
  g_assert_cmpstr (ser, ==, "old.patch\n0001-p.patch\n0002-p.patch\n");
  g_autofree char *applied = read_file (dir, ".pc/applied-patches");
  g_assert_cmpstr (applied, ==, ser);
  g_autofree char *backup = read_file (dir, ".pc/0001-p.patch/f.c");
  g_assert_cmpstr (backup, ==, base_c);
  g_autofree char *new_backup = read_file (dir, ".pc/0002-p.patch/dir/new.c");
  g_assert_cmpstr (new_backup, ==, "");
  g_autofree char *p1 = read_file (dir, "debian/patches/0001-p.patch");
  g_assert_true (g_str_has_prefix (p1, "Description: one\n"));
  g_assert_nonnull (strstr (p1, "\nOrigin: backport, https://example.org/p\n"));
  g_assert_nonnull (strstr (p1, "\n---\ndiff --git a/f.c b/f.c\n"));
  g_autofree char *quilt = g_find_program_in_path ("quilt");
  if (quilt)
    run (dir, "export QUILT_PATCHES=debian/patches; quilt pop -a -q >/dev/null && test ! -e dir/new.c && "
              "grep -q \"return 1;\" f.c && quilt push -a -q >/dev/null && grep -q \"return 11;\" f.c && "
              "test -f dir/new.c");
  else
    g_test_message ("quilt not installed: pop/push not exercised here");
  run (dir, "rm -rf \"$PWD\"");
}

static void
test_three_way (void)
{
  /* The tree changed the lines right around the hunk since the patch was
   * made; the preimage blob is in the repository. */
  g_autofree char *dir = git_tree ();
  /* Preimage: base_c.  The tree now has a changed comment near one(). */
  write_file (dir, "f.c",
              "#include <stdio.h>\n\nint one(void) /* first */\n{\n    return 1;\n}\n\n"
              "int two(void)\n{\n    return 2;\n}\n\nint three(void)\n{\n    return 3;\n}\n");
  run (dir, "git commit -qam drift");
  g_autofree char *blob = NULL;
  {
    g_autofree char *cmd = g_strdup_printf ("sh -c 'cd \"%s\" && git rev-parse --short=10 HEAD~1:f.c'", dir);
    g_spawn_command_line_sync (cmd, &blob, NULL, NULL, NULL);
    g_strstrip (blob);
  }
  /* Hunk whose context ("{" then "return 1;") no longer matches: 3-way merges it. */
  g_autofree char *d = g_strdup_printf (
    "diff --git a/f.c b/f.c\nindex %s..1111111111 100644\n--- a/f.c\n+++ b/f.c\n"
    "@@ -3,4 +3,4 @@\n int one(void)\n {\n-    return 1;\n+    return 11;\n }\n", blob);
  g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  g_ptr_array_add (patches, mail ("one", d));
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES };
  g_autoptr(GError) error = NULL;
  g_autofree char *before = snapshot (dir);
  g_autoptr(GPtrArray) reports = NULL;
  g_assert_false (bp_apply_patches (patches, NULL, NULL, NULL, dir, &opts, &reports, NULL, &error));
  g_assert_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY);
  g_clear_error (&error);
  g_clear_pointer (&reports, g_ptr_array_unref);
  opts.three_way = TRUE;
  bp_apply_patches (patches, NULL, NULL, NULL, dir, &opts, &reports, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((BpHunkReport *) reports->pdata[0])->how, ==, BP_HUNK_THREE_WAY);
  g_autofree char *merged = read_file (dir, "f.c");
  g_assert_nonnull (strstr (merged, "int one(void) /* first */\n{\n    return 11;\n"));

  /* A plain tree (no .git) merges through another repository's objects. */
  g_autofree char *plain = tmpdir ();
  write_file (plain, "f.c",
              "#include <stdio.h>\n\nint one(void) /* first */\n{\n    return 1;\n}\n\n"
              "int two(void)\n{\n    return 2;\n}\n\nint three(void)\n{\n    return 3;\n}\n");
  BpApplyOptions popts = { .target = BP_APPLY_TARGET_AUTO, .three_way = TRUE, .object_repo = dir };
  g_clear_pointer (&reports, g_ptr_array_unref);
  g_assert_true (bp_apply_patches (patches, NULL, NULL, NULL, plain, &popts, &reports, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *pmerged = read_file (plain, "f.c");
  g_assert_nonnull (strstr (pmerged, "return 11;"));
  g_autofree char *pgit = g_build_filename (plain, ".git", NULL);
  g_assert_false (g_file_test (pgit, G_FILE_TEST_EXISTS));
  run (plain, "rm -rf \"$PWD\"");

  /* A conflict: the tree changed the very line the patch changes. */
  run (dir, "git checkout -q f.c");
  write_file (dir, "f.c",
              "#include <stdio.h>\n\n/* one */\nint one(void)\n{\n    /* the answer */\n    return 111;\n}\n\n"
              "int two(void)\n{\n    return 2;\n}\n\nint three(void)\n{\n    return 3;\n}\n");
  run (dir, "git commit -qam conflict");
  g_free (before);
  before = snapshot (dir);
  g_clear_pointer (&reports, g_ptr_array_unref);
  g_assert_false (bp_apply_patches (patches, NULL, NULL, NULL, dir, &opts, &reports, NULL, &error));
  g_assert_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "f.c hunk #1"));
  g_assert_nonnull (strstr (error->message, "conflicts"));
  BpHunkReport *r = reports->pdata[0];
  g_assert_cmpint (r->how, ==, BP_HUNK_FAILED);
  g_assert_cmpuint (r->hunk, ==, 1);
  g_assert_nonnull (strstr (r->detail, "3-way"));
  g_autofree char *after = snapshot (dir);
  g_assert_cmpstr (before, ==, after);
  run (dir, "rm -rf \"$PWD\"");
}

static void
expect_unsafe (const char *dir, const char *diff, int code)
{
  g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  g_autoptr(GError) perr = NULL;
  g_autofree char *text = g_strdup_printf ("From: A <a@b>\nSubject: x\n\nx\n---\n%s", diff);
  BpPatch *p = bp_patch_parse (text, strlen (text), "t", &perr);
  if (p == NULL)
    {
      /* The parser refuses it already: that is fine too. */
      g_assert_true (perr->domain == BP_PATCH_ERROR);
      return;
    }
  g_ptr_array_add (patches, p);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES };
  g_autofree char *before = snapshot (dir);
  g_autoptr(GError) error = NULL;
  g_assert_false (bp_apply_patches (patches, NULL, NULL, NULL, dir, &opts, NULL, NULL, &error));
  g_assert_error (error, BP_APPLY_ERROR, code);
  g_autofree char *after = snapshot (dir);
  g_assert_cmpstr (before, ==, after);
}

static void
test_unsafe (void)
{
  g_autofree char *outside = tmpdir ();
  g_autofree char *dir = tmpdir ();
  write_file (outside, "victim.c", "a\n");
  write_file (dir, "f.c", base_c);
  g_autofree char *link = g_build_filename (dir, "escape", NULL);
  g_assert_cmpint (symlink (outside, link), ==, 0);
  expect_unsafe (dir, "--- a/escape/victim.c\n+++ b/escape/victim.c\n@@ -1 +1 @@\n-a\n+b\n",
                 BP_APPLY_ERROR_UNSAFE);
  g_autofree char *victim = read_file (outside, "victim.c");
  g_assert_cmpstr (victim, ==, "a\n");
  expect_unsafe (dir, "--- a/../x.c\n+++ b/../x.c\n@@ -1 +1 @@\n-a\n+b\n", BP_APPLY_ERROR_UNSAFE);
  expect_unsafe (dir, "diff --git a/img.png b/img.png\nindex 1111111..2222222 100644\nBinary files a/img.png and b/img.png differ\n",
                 BP_APPLY_ERROR_BINARY);
  g_autoptr(GError) error = NULL;
  g_assert_false (bp_apply_path_is_safe ("/etc/passwd", &error));
  g_clear_error (&error);
  g_assert_false (bp_apply_path_is_safe ("a/../../b", &error));
  g_clear_error (&error);
  g_assert_false (bp_apply_path_is_safe (".git/config", &error));
  g_clear_error (&error);
  g_assert_true (bp_apply_path_is_safe ("hw/vfio/container.c", NULL));
  run (dir, "rm -rf \"$PWD\"");
  run (outside, "rm -rf \"$PWD\"");
}

static void
test_hardlinks_untouched (void)
{
  /* `cp -al` copies share inodes: apply must replace, never write through. */
  g_autofree char *orig = tmpdir ();
  write_file (orig, "f.c", base_c);
  g_autofree char *copy = g_strconcat (orig, "-copy", NULL);
  g_autofree char *cmd = g_strdup_printf ("cp -al \"%s\" \"%s\"", orig, copy);
  run (orig, cmd);
  g_autofree char *copy_f = g_build_filename (copy, "f.c", NULL);
  /* Its permissions are kept (0664 stays 0664). */
  g_assert_cmpint (g_chmod (copy_f, 0664), ==, 0);
  g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  g_ptr_array_add (patches, mail ("one", diff_one));
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES };
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_apply_patches (patches, NULL, NULL, NULL, copy, &opts, NULL, NULL, &error));
  struct stat st;
  g_assert_cmpint (stat (copy_f, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0664);
  g_assert_cmpint (st.st_nlink, ==, 1);
  g_autofree char *a = read_file (orig, "f.c");
  g_autofree char *b = read_file (copy, "f.c");
  g_assert_cmpstr (a, ==, base_c);
  g_assert_nonnull (strstr (b, "return 11;"));
  run (orig, "rm -rf \"$PWD\"");
  run (copy, "rm -rf \"$PWD\"");
}


static void
test_already_applied (void)
{
  g_autofree char *dir = tmpdir ();
  write_file (dir, "f.c", base_c);
  g_autoptr(GPtrArray) patches = series (FALSE);
  g_autoptr(GPtrArray) n = names (patches->len);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES };
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_apply_patches (patches, n, NULL, NULL, dir, &opts, NULL, NULL, &error));
  g_autofree char *once = snapshot (dir);
  g_autoptr(GPtrArray) reports = NULL;
  g_assert_true (bp_apply_patches (patches, n, NULL, NULL, dir, &opts, &reports, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bp_hunk_reports_already_applied (reports));
  g_assert_cmpuint (reports->len, ==, 2);
  g_autofree char *text = bp_hunk_report_to_text (reports->pdata[0]);
  g_assert_cmpstr (text, ==, "0001-p.patch: f.c hunk #1: already applied at line 3");
  g_autofree char *twice = snapshot (dir);
  g_assert_cmpstr (once, ==, twice);
  /* Only part of the series there: an ordinary failure. */
  write_file (dir, "f.c", base_c);
  g_clear_pointer (&reports, g_ptr_array_unref);
  g_assert_false (bp_apply_patches (patches, n, NULL, NULL, dir, &opts, &reports, NULL, &error));
  g_assert_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY);
  run (dir, "rm -rf \"$PWD\"");
}

static const char *diff_link_fmt =
  "diff --git a/%s b/%s\nnew file mode 120000\nindex 0000000..1111111\n--- /dev/null\n+++ b/%s\n"
  "@@ -0,0 +1 @@\n+%s\n\\ No newline at end of file\n";

static void
test_symlink (void)
{
  g_autofree char *dir = tmpdir ();
  write_file (dir, "sub/f.c", base_c);
  g_autofree char *inside = g_strdup_printf (diff_link_fmt, "sub/l.c", "sub/l.c", "sub/l.c", "f.c");
  g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  g_ptr_array_add (patches, mail ("link", inside));
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES };
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_apply_patches (patches, NULL, NULL, NULL, dir, &opts, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *link = g_build_filename (dir, "sub/l.c", NULL);
  g_autofree char *target = g_file_read_link (link, NULL);
  g_assert_cmpstr (target, ==, "f.c");
  const char *bad[] = { "../../etc/passwd", "/etc/passwd", "../sub/../../x" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *d = g_strdup_printf (diff_link_fmt, "sub/m.c", "sub/m.c", "sub/m.c", bad[i]);
      g_autoptr(GPtrArray) p = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
      g_ptr_array_add (p, mail ("bad link", d));
      g_autofree char *before = snapshot (dir);
      g_assert_false (bp_apply_patches (p, NULL, NULL, NULL, dir, &opts, NULL, NULL, &error));
      g_assert_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE);
      g_clear_error (&error);
      g_autofree char *after = snapshot (dir);
      g_assert_cmpstr (before, ==, after);
    }
  run (dir, "rm -rf \"$PWD\"");
}

/* The transaction on its own: the guarded file comes back on abort, and a
 * process killed half-way through the renames is undone by recovery. */
static void
test_transaction (void)
{
  g_autofree char *dir = git_tree ();
  g_autofree char *before = snapshot (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(BpTransaction) t = bp_transaction_begin (dir, &error);
  g_assert_no_error (error);
  g_autoptr(GBytes) text = g_bytes_new_static ("new\n", 4);
  bp_transaction_write (t, "f.c", text, 0);
  bp_transaction_write (t, "a/b/c.c", text, 0755);
  bp_transaction_delete (t, "README");
  g_autofree char *index = g_build_filename (dir, ".git", "index", NULL);
  g_assert_true (bp_transaction_guard (t, index, &error));
  g_assert_false (bp_transaction_guard (t, "/etc/passwd", NULL));
  g_assert_true (bp_transaction_commit (t, &error));
  g_assert_no_error (error);
  write_file (dir, ".git/index", "scribbled\n");
  bp_transaction_abort (t);
  g_autofree char *undone = snapshot (dir);
  g_assert_cmpstr (before, ==, undone);

  pid_t pid = fork ();
  if (pid == 0)
    {
      g_setenv ("BACKPORT_TEST_TRANSACTION", "kill-after:2", TRUE);
      g_autoptr(BpTransaction) c = bp_transaction_begin (dir, NULL);
      bp_transaction_write (c, "f.c", text, 0);
      bp_transaction_write (c, "a/b/c.c", text, 0755);
      bp_transaction_delete (c, "README");
      bp_transaction_commit (c, NULL);
      _exit (0);
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  g_assert_true (bp_transaction_pending (dir));
  g_autofree char *half = snapshot (dir);
  g_assert_cmpstr (before, !=, half);
  g_assert_true (bp_transaction_recover (dir, &error));
  g_assert_no_error (error);
  g_assert_false (bp_transaction_pending (dir));
  g_autofree char *recovered = snapshot (dir);
  g_assert_cmpstr (before, ==, recovered);
  run (dir, "rm -rf \"$PWD\"");
}
int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("GIT_CONFIG_NOSYSTEM", "1", TRUE);
  g_setenv ("HOME", g_get_tmp_dir (), TRUE);
  g_test_add_func ("/apply/atomic-git", test_atomic_git);
  g_test_add_func ("/apply/atomic-quilt", test_atomic_quilt);
  g_test_add_func ("/apply/commits", test_commits);
  g_test_add_func ("/apply/dirty-refused", test_dirty_refused);
  g_test_add_func ("/apply/quilt-bookkeeping", test_quilt_bookkeeping);
  g_test_add_func ("/apply/three-way", test_three_way);
  g_test_add_func ("/apply/unsafe", test_unsafe);
  g_test_add_func ("/apply/hardlinks-untouched", test_hardlinks_untouched);
  g_test_add_func ("/apply/already-applied", test_already_applied);
  g_test_add_func ("/apply/symlink", test_symlink);
  g_test_add_func ("/apply/transaction", test_transaction);
  return g_test_run ();
}
