/* SPDX-License-Identifier: GPL-2.0-or-later */
/* patch-id.c against `git patch-id --stable` on real patches: commits made
 * here with the git CLI (several files, whitespace changes, no newline at end
 * of file, new and renamed files), the fix pack's mails, and the real QEMU
 * culprit when the QEMU mirror is on this machine. */
#include <string.h>

#include <glib/gstdio.h>

#include "base/history-git.h"
#include "model/patch-id.h"

/* A QEMU clone holding the culprit, when the machine has one (no network
 * here reaches a QEMU repository): BP_TEST_QEMU_REPO=DIR. */
#define QEMU_CULPRIT "fb32965b6dd8a001815593642a5146fbd2e85651"

static char *repo_dir;

/* Run a shell command; return its stdout (NULL when it failed). */
static char *
sh (const char *cmd)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv[] = { "sh", "-c", cmd, NULL };
  if (!g_spawn_sync (repo_dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, &status, NULL))
    return NULL;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("`%s` failed: %s", cmd, err);
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* The first word of `git patch-id --stable` on the output of CMD. */
static char *
git_patch_id (const char *cmd)
{
  g_autofree char *full = g_strdup_printf ("%s | git patch-id --stable", cmd);
  g_autofree char *out = sh (full);
  g_assert_nonnull (out);
  g_assert_cmpuint (strlen (out), >=, 40);
  return g_strndup (out, 40);
}

static void
write_file (const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (repo_dir, name, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
commit (const char *msg)
{
  g_autofree char *cmd = g_strdup_printf ("git add -A && git commit -q -m '%s'", msg);
  g_autofree char *out = sh (cmd);
  g_assert_nonnull (out);
}

static void
setup_repo (void)
{
  g_autofree char *out = sh ("git init -q . && git config user.name T && git config user.email t@example.org");
  g_assert_nonnull (out);
  GString *big = g_string_new (NULL);
  for (int i = 0; i < 60; i++)
    g_string_append_printf (big, "int f%d (void)\n{\n    return %d;\n}\n\n", i, i);
  write_file ("a.c", big->str);
  write_file ("dir/b.c", "one\ntwo\nthree\n");
  write_file ("noeol.txt", "last line without newline");
  commit ("root");

  /* two files, hunks far apart, whitespace-only changes */
  g_autofree char *a2 = g_strdup (big->str);
  char *pos = strstr (a2, "return 3;");
  memcpy (pos, "return 7;", 9);
  pos = strstr (a2, "return 50;");
  memcpy (pos, "return 51;", 10);
  write_file ("a.c", a2);
  write_file ("dir/b.c", "one\n  two\nthree\nfour\n");
  write_file ("noeol.txt", "last line changed, still no newline");
  commit ("several files");

  /* a pure rename */
  g_free (out);
  out = sh ("git mv noeol.txt moved.txt");
  g_assert_nonnull (out);
  commit ("pure rename");

  /* a new file and a rename with a change */
  write_file ("new.h", "#pragma once\nint g (void);\n");
  g_free (out);
  out = sh ("git mv dir/b.c dir/c.c");
  g_assert_nonnull (out);
  write_file ("dir/c.c", "one\n  two\nthree\nfour\nfive\n");
  commit ("new file and rename");
  g_string_free (big, TRUE);
}

static void
test_commits (void)
{
  g_autoptr(git_repository) repo = NULL;
  g_assert_cmpint (git_repository_open (&repo, repo_dir), ==, 0);
  g_autofree char *revs = sh ("git rev-list HEAD");
  g_assert_nonnull (revs);
  g_auto(GStrv) ids = g_strsplit (g_strstrip (revs), "\n", -1);
  g_assert_cmpuint (g_strv_length (ids), ==, 4);
  for (guint i = 0; ids[i]; i++)
    {
      g_autofree char *show = g_strdup_printf ("git show %s", ids[i]);
      g_autofree char *expect = git_patch_id (show);
      g_autofree char *text = sh (show);

      git_oid got;
      g_autoptr(GError) error = NULL;
      g_assert_true (bp_patch_id_from_text (text, strlen (text), &got, &error));
      g_assert_cmpstr (git_oid_tostr_s (&got), ==, expect);

      if (i == 0)
        continue; /* rename with changes: see patch-id.h, libgit2 scores similarity differently */
      git_oid cid;
      g_assert_cmpint (git_oid_fromstr (&cid, ids[i]), ==, 0);
      g_assert_true (bp_patch_id_from_commit (repo, &cid, &got, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (git_oid_tostr_s (&got), ==, expect);
    }
}

/* The patch-id of a change undone: what `git diff -M C C~1` hashes to, and
 * what a real `git revert` of it has (status finds reverts by it). */
static void
test_reverse (void)
{
  g_autoptr(git_repository) repo = NULL;
  g_assert_cmpint (git_repository_open (&repo, repo_dir), ==, 0);
  g_autofree char *revs = sh ("git rev-list HEAD");
  g_assert_nonnull (revs);
  g_auto(GStrv) ids = g_strsplit (g_strstrip (revs), "\n", -1);
  for (guint i = 1; ids[i] && ids[i + 1]; i++)   /* not the rename with changes (patch-id.h), nor the root */
    {
      g_autofree char *show = g_strdup_printf ("git diff -M %s %s~1", ids[i], ids[i]);
      g_autofree char *expect = git_patch_id (show);
      git_oid cid, got;
      g_autoptr(GError) error = NULL;
      g_assert_cmpint (git_oid_fromstr (&cid, ids[i]), ==, 0);
      g_assert_true (bp_patch_id_from_commit_reverse (repo, &cid, &got, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (git_oid_tostr_s (&got), ==, expect);
    }
  /* a real revert of "several files", made where it applies cleanly */
  g_autofree char *made = sh ("git checkout -q -b reverted HEAD~2 && git revert --no-edit HEAD >/dev/null && "
                              "git rev-parse HEAD HEAD~1 && git checkout -q - && git branch -q -D reverted");
  g_assert_nonnull (made);
  g_auto(GStrv) pair = g_strsplit (g_strstrip (made), "\n", -1);
  git_oid revert, original, forward, undone;
  g_assert_cmpint (git_oid_fromstr (&revert, pair[0]), ==, 0);
  g_assert_cmpint (git_oid_fromstr (&original, pair[1]), ==, 0);
  g_assert_true (bp_patch_id_from_commit (repo, &revert, &forward, NULL));
  g_assert_true (bp_patch_id_from_commit_reverse (repo, &original, &undone, NULL));
  g_assert_true (git_oid_equal (&forward, &undone));
  g_assert_true (bp_patch_id_from_commit (repo, &original, &forward, NULL));
  g_assert_false (git_oid_equal (&forward, &undone));
}

static void
test_format_patch (void)
{
  /* the same change as a mail: the message and diffstat are skipped and the
   * "-- " signature ends the patch */
  g_autofree char *expect = git_patch_id ("git show HEAD~2");
  g_autofree char *mail = sh ("git format-patch -1 --stdout HEAD~2");
  git_oid got;
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_patch_id_from_text (mail, strlen (mail), &got, &error));
  g_assert_cmpstr (git_oid_tostr_s (&got), ==, expect);

  /* moved hunks keep the patch-id; a changed context line does not */
  g_autofree char *moved = NULL;
  {
    g_autoptr(GRegex) re = g_regex_new ("^@@ -([0-9]+)", G_REGEX_MULTILINE, 0, NULL);
    moved = g_regex_replace (re, mail, -1, 0, "@@ -\\1", 0, NULL);
    g_autoptr(GRegex) re2 = g_regex_new ("^@@ -1,3 \\+1,4 @@", G_REGEX_MULTILINE, 0, NULL);
    char *m2 = g_regex_replace_literal (re2, moved, -1, 0, "@@ -40,3 +41,4 @@", 0, NULL);
    g_free (moved);
    moved = m2;
  }
  git_oid got2;
  g_assert_true (bp_patch_id_from_text (moved, strlen (moved), &got2, &error));
  g_assert_true (git_oid_equal (&got, &got2));
  g_autofree char *drift = g_strdup (mail);
  char *ctx = strstr (drift, "\n one\n");
  g_assert_nonnull (ctx);
  ctx[2] = 'O';
  g_assert_true (bp_patch_id_from_text (drift, strlen (drift), &got2, &error));
  g_assert_false (git_oid_equal (&got, &got2));

  g_assert_false (bp_patch_id_from_text ("just a message\n", 15, &got2, &error));
  g_assert_error (error, BP_PATCH_ID_ERROR, BP_PATCH_ID_ERROR_EMPTY);
}

static void
test_pack_mails (void)
{
  const char *src = g_getenv ("BP_SOURCE_DIR");
  g_autofree char *root = g_build_filename (src ? src : ".", "patches", NULL);
  g_autofree char *list = NULL;
  {
    g_autofree char *cmd = g_strdup_printf ("find '%s' -name '*.patch' 2>/dev/null | sort", root);
    list = sh (cmd);
  }
  g_auto(GStrv) files = g_strsplit (list ? g_strstrip (list) : "", "\n", -1);
  guint n = 0;
  for (guint i = 0; files[i]; i++)
    {
      if (!files[i][0])
        continue;
      g_autofree char *cat = g_strdup_printf ("cat '%s'", files[i]);
      g_autofree char *expect = git_patch_id (cat);
      g_autofree char *text = NULL;
      gsize len;
      g_assert_true (g_file_get_contents (files[i], &text, &len, NULL));
      git_oid got;
      g_autoptr(GError) error = NULL;
      g_assert_true (bp_patch_id_from_text (text, len, &got, &error));
      g_assert_cmpstr (git_oid_tostr_s (&got), ==, expect);
      n++;
    }
  if (n == 0)
    g_test_skip ("no fix pack patches in the source tree yet");
}

static void
test_qemu_culprit (void)
{
  const char *qemu = g_getenv ("BP_TEST_QEMU_REPO");
  if (qemu == NULL)
    {
      g_test_skip ("no QEMU clone: set BP_TEST_QEMU_REPO=DIR to a clone holding " QEMU_CULPRIT);
      return;
    }
  g_autoptr(git_repository) repo = NULL;
  g_assert_cmpint (git_repository_open_ext (&repo, qemu, 0, NULL), ==, 0);
  git_oid cid, got;
  g_assert_cmpint (git_oid_fromstr (&cid, QEMU_CULPRIT), ==, 0);
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_patch_id_from_commit (repo, &cid, &got, &error));
  g_autofree char *show = g_strdup_printf ("git -C '%s' show " QEMU_CULPRIT, qemu);
  g_autofree char *expect = git_patch_id (show);
  g_assert_cmpstr (git_oid_tostr_s (&got), ==, expect);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  git_libgit2_init ();
  repo_dir = g_dir_make_tmp ("bp-patch-id-XXXXXX", NULL);
  g_assert_nonnull (repo_dir);
  setup_repo ();
  g_test_add_func ("/patch-id/commits", test_commits);
  g_test_add_func ("/patch-id/format-patch", test_format_patch);
  g_test_add_func ("/patch-id/reverse", test_reverse);
  g_test_add_func ("/patch-id/pack-mails", test_pack_mails);
  g_test_add_func ("/patch-id/qemu-culprit", test_qemu_culprit);
  int rc = g_test_run ();
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", repo_dir);
  g_free (sh (rm));
  g_free (repo_dir);
  git_libgit2_shutdown ();
  return rc;
}
