/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The apply engine.  Two phases, so that a failure changes nothing:
 *   1. compute: every patch of the series is applied in memory, file by file,
 *      on an overlay of the tree (hunks placed by locate.c, 3-way merged
 *      through git_merge_file when asked and the preimage blob is known);
 *   2. write: only when every hunk found its place, the results go to disk
 *      through one transaction (base/transaction.c): the files, the quilt
 *      bookkeeping (debian/patches, series, .pc), then the index and the ref,
 *      which the transaction guards so that a failure puts all of them back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <git2.h>
#include <glib/gstdio.h>

#include "engines/apply.h"
#include "engines/locate.h"
#include "engines/quilt.h"
#include "base/bp-git.h"
#include "base/path-safety.h"
#include "base/test-pause.h"
#include "base/transaction.h"

G_DEFINE_QUARK (bp-apply-error-quark, bp_apply_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_repository, git_repository_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_index, git_index_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_object, git_object_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_blob, git_blob_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_tree, git_tree_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_commit, git_commit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_reference, git_reference_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_signature, git_signature_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_status_list, git_status_list_free)

/* Files of a tree we are willing to read (a QEMU source file is < 1 MiB). */
#define MAX_TREE_FILE (64 * 1024 * 1024)

static gboolean
git_fail (GError **error, const char *what)
{
  return bp_git_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_FAILED, what);
}


/* A failed write into the repository.  libgit2 does not always say that
 * the disk is full (its last message can be a stale one, or a later read
 * finds the object missing), so look: no errno of its own, but a file
 * system with next to nothing left is the likely cause. */
#define FULL_DISK_MARGIN (1024 * 1024)
static gboolean
git_write_fail (git_repository *repo, GError **error, const char *what)
{
  int e = errno;
  struct statvfs vfs;
  if (e == ENOSPC || e == EDQUOT
      || (statvfs (git_repository_path (repo), &vfs) == 0
          && ((guint64) vfs.f_bavail * vfs.f_frsize < FULL_DISK_MARGIN || vfs.f_favail == 0)))
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NO_SPACE,
                   "%s in %s: no space left on device", what, git_repository_path (repo));
      return FALSE;
    }
  return git_fail (error, what);
}
/* ---- path safety ---------------------------------------------------- */

gboolean
bp_apply_path_is_safe (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (bp_path_is_safe (path, &local))
    return TRUE;
  g_set_error_literal (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE, local->message);
  return FALSE;
}

/* Every existing directory on the way to PATH must resolve inside TREE_REAL,
 * and PATH itself must not be a symlink. */
static gboolean
check_no_escape (const char *tree_real, const char *rel, GError **error)
{
  if (!bp_apply_path_is_safe (rel, error))
    return FALSE;
  g_auto(GStrv) parts = g_strsplit (rel, "/", -1);
  g_autofree char *cur = g_strdup (tree_real);
  for (guint i = 0; parts[i]; i++)
    {
      g_autofree char *next = g_build_filename (cur, parts[i], NULL);
      struct stat st;
      if (lstat (next, &st) != 0)
        return TRUE;  /* does not exist yet: created inside the checked parent */
      if (S_ISLNK (st.st_mode))
        {
          if (parts[i + 1] == NULL)
            {
              g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE,
                           "refusing to patch '%s': it is a symlink", rel);
              return FALSE;
            }
          g_autofree char *real = realpath (next, NULL);
          gsize n = strlen (tree_real);
          if (real == NULL || strncmp (real, tree_real, n) != 0 || (real[n] != '/' && real[n] != '\0'))
            {
              g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE,
                           "refusing to write '%s': '%s' is a symlink leading out of the tree",
                           rel, parts[i]);
              return FALSE;
            }
        }
      g_free (cur);
      cur = g_steal_pointer (&next);
    }
  return TRUE;
}

/* ---- the in-memory overlay -------------------------------------------- */

typedef struct {
  char *rel;
  GBytes *content;   /* NULL: absent */
  guint mode;
} FileVersion;

static void
file_version_free (FileVersion *v)
{
  g_free (v->rel);
  g_clear_pointer (&v->content, g_bytes_unref);
  g_free (v);
}

/* What one patch did to one file. */
typedef struct {
  char *old_rel, *new_rel;
  GBytes *before;    /* NULL: the file did not exist */
  GBytes *after;     /* NULL: the patch deletes it */
  guint mode;        /* mode of the result (0644 / 0755) */
} FileChange;

static void
file_change_free (FileChange *c)
{
  g_free (c->old_rel);
  g_free (c->new_rel);
  g_clear_pointer (&c->before, g_bytes_unref);
  g_clear_pointer (&c->after, g_bytes_unref);
  g_free (c);
}

typedef struct {
  const char *tree;        /* as given */
  char *tree_real;         /* realpath */
  git_repository *repo;    /* the tree's repository, or NULL */
  git_repository *odb_repo;  /* where preimage blobs are looked up (3-way), or NULL */
  GHashTable *overlay;     /* rel -> FileVersion* */
  const BpApplyOptions *options;
} Ctx;

static FileVersion *
overlay_get (Ctx *ctx, const char *rel, GError **error)
{
  FileVersion *v = g_hash_table_lookup (ctx->overlay, rel);
  if (v)
    return v;
  if (!check_no_escape (ctx->tree_real, rel, error))
    return NULL;
  v = g_new0 (FileVersion, 1);
  v->rel = g_strdup (rel);
  g_autofree char *path = g_build_filename (ctx->tree_real, rel, NULL);
  struct stat st;
  if (lstat (path, &st) == 0)
    {
      if (!S_ISREG (st.st_mode) || st.st_size > MAX_TREE_FILE)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE,
                       "refusing to patch '%s': not a regular file of sane size", rel);
          file_version_free (v);
          return NULL;
        }
      g_autofree char *data = NULL;
      gsize len;
      if (!g_file_get_contents (path, &data, &len, error))
        {
          file_version_free (v);
          return NULL;
        }
      v->content = g_bytes_new_take (g_steal_pointer (&data), len);
      v->mode = st.st_mode & 0777;
    }
  g_hash_table_insert (ctx->overlay, v->rel, v);
  return v;
}

static guint
mode_from_git (const char *mode, guint fallback)
{
  if (mode == NULL)
    return fallback;
  guint64 m = g_ascii_strtoull (mode, NULL, 8);
  return (m & 0111) ? 0755 : 0644;
}


/* A symlink a patch creates must point inside the tree: no absolute
 * target, no ".." above the top, and no existing symlink on the way that
 * leads out (what the link names is read by every later build). */
static gboolean
symlink_target_ok (Ctx *ctx, const char *patch_name, const char *rel, GBytes *target, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (target, &len);
  g_autofree char *text = g_strndup (data, len);
  gboolean ok = len > 0 && strlen (text) == len && strchr (text, '\n') == NULL && text[0] != '/';
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  g_autofree char *dir = g_path_get_dirname (rel);
  g_auto(GStrv) base = g_strsplit (strcmp (dir, ".") ? dir : "", "/", -1);
  g_auto(GStrv) parts = g_strsplit (text, "/", -1);
  for (guint i = 0; base[i]; i++)
    if (*base[i])
      g_ptr_array_add (stack, base[i]);
  for (guint i = 0; ok && parts[i]; i++)
    {
      if (*parts[i] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") != 0)
        g_ptr_array_add (stack, parts[i]);
      else if (stack->len)
        g_ptr_array_remove_index (stack, stack->len - 1);
      else
        ok = FALSE;
    }
  if (ok)
    {
      /* The part of the target that exists must resolve inside the tree. */
      g_autofree char *abs = g_strdup (ctx->tree_real);
      for (guint i = 0; i < stack->len; i++)
        {
          g_autofree char *next = g_build_filename (abs, stack->pdata[i], NULL);
          if (!g_file_test (next, G_FILE_TEST_EXISTS) && !g_file_test (next, G_FILE_TEST_IS_SYMLINK))
            break;
          g_free (abs);
          abs = g_steal_pointer (&next);
        }
      g_autofree char *real = realpath (abs, NULL);
      gsize n = strlen (ctx->tree_real);
      ok = real && strncmp (real, ctx->tree_real, n) == 0 && (real[n] == '/' || real[n] == '\0');
    }
  if (!ok)
    g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE,
                 "%s: refusing to create the symlink %s -> %s: it points outside the tree",
                 patch_name, rel, text);
  return ok;
}
static BpLines *
lines_from_bytes (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &len) : "";
  return bp_lines_new_from_text (data, len);
}

static GBytes *
bytes_from_lines (const BpLines *lines)
{
  gsize len;
  char *text = bp_lines_to_text (lines, &len);
  return g_bytes_new_take (text, len);
}

/* Apply FILE to the preimage blob it names, then merge the result into the
 * tree's version of the file.  TRUE with *MERGED set when the merge is clean. */
static gboolean
three_way (Ctx *ctx, const BpFileDiff *file, const char *rel, GBytes *ours,
           GBytes **merged, char **why)
{
  if (ctx->odb_repo == NULL || file->old_blob == NULL)
    {
      *why = g_strdup (ctx->odb_repo ? "the patch names no preimage blob"
                                     : "no object store to find the preimage blob in");
      return FALSE;
    }
  git_oid oid;
  gsize n = strlen (file->old_blob);
  g_autoptr(git_object) obj = NULL;
  if (git_oid_fromstrn (&oid, file->old_blob, n) != 0
      || git_object_lookup_prefix (&obj, ctx->odb_repo, &oid, n, GIT_OBJECT_BLOB) != 0)
    {
      *why = g_strdup_printf ("preimage blob %s is not in the object store", file->old_blob);
      return FALSE;
    }
  git_blob *blob = (git_blob *) obj;
  g_autoptr(BpLines) base = bp_lines_new_from_text (git_blob_rawcontent (blob),
                                                     git_blob_rawsize (blob));
  g_autoptr(GError) local = NULL;
  g_autoptr(BpLines) theirs = bp_locate_apply_file (base, file, "", rel, 0, NULL, &local);
  if (theirs == NULL)
    {
      *why = g_strdup_printf ("the patch does not apply to its own preimage %s", file->old_blob);
      return FALSE;
    }
  gsize base_len, theirs_len, ours_len;
  g_autofree char *base_text = bp_lines_to_text (base, &base_len);
  g_autofree char *theirs_text = bp_lines_to_text (theirs, &theirs_len);
  const char *ours_text = ours ? g_bytes_get_data (ours, &ours_len) : "";
  if (!ours)
    ours_len = 0;
  git_merge_file_input in_base = GIT_MERGE_FILE_INPUT_INIT, in_ours = GIT_MERGE_FILE_INPUT_INIT,
                       in_theirs = GIT_MERGE_FILE_INPUT_INIT;
  in_base.ptr = base_text, in_base.size = base_len, in_base.path = rel;
  in_ours.ptr = ours_text, in_ours.size = ours_len, in_ours.path = rel;
  in_theirs.ptr = theirs_text, in_theirs.size = theirs_len, in_theirs.path = rel;
  git_merge_file_options opts = GIT_MERGE_FILE_OPTIONS_INIT;
  opts.ancestor_label = "preimage";
  opts.our_label = "tree";
  opts.their_label = "patch";
  git_merge_file_result result = { 0 };
  if (git_merge_file (&result, &in_base, &in_ours, &in_theirs, &opts) != 0)
    {
      *why = g_strdup ("git_merge_file failed");
      return FALSE;
    }
  if (!result.automergeable)
    {
      /* Name where the conflict is: the first conflict marker's line. */
      guint line = 1, at = 0;
      for (gsize i = 0; i < result.len; i++)
        {
          if ((i == 0 || result.ptr[i - 1] == '\n') && result.len - i >= 7
              && strncmp (result.ptr + i, "<<<<<<<", 7) == 0)
            {
              at = line;
              break;
            }
          if (result.ptr[i] == '\n')
            line++;
        }
      *why = g_strdup_printf ("3-way merge through preimage %s conflicts near line %u", file->old_blob, at);
      git_merge_file_result_free (&result);
      return FALSE;
    }
  *merged = g_bytes_new (result.ptr, result.len);
  git_merge_file_result_free (&result);
  return TRUE;
}

static BpHunkReport *
three_way_report (const char *patch_name, const char *rel, guint index, const BpHunk *hunk,
                  const char *blob)
{
  BpHunkReport *r = g_new0 (BpHunkReport, 1);
  r->patch = g_strdup (patch_name);
  r->file = g_strdup (rel);
  r->hunk = index;
  r->stated_line = hunk->old_start;
  r->how = BP_HUNK_THREE_WAY;
  r->detail = g_strdup_printf ("merged through preimage %s", blob);
  return r;
}

/* The section of a failed hunk names a function its file does not define:
 * look for the definition beside it (10.1 keeps vfio_container_dma_map in
 * hw/vfio/container-base.c, while its container.c is the legacy container). */
/* g_ptr_array_sort hands the compare function pointers to the elements. */
static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static char *
find_function_nearby (Ctx *ctx, const char *rel, const char *fn)
{
  g_autofree char *dir_rel = g_path_get_dirname (rel);
  g_autofree char *dir = g_build_filename (ctx->tree_real, dir_rel, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  while (d && (name = g_dir_read_name (d)))
    {
      if (!g_str_has_suffix (name, ".c") || g_strcmp0 (name, strrchr (rel, '/') ? strrchr (rel, '/') + 1 : rel) == 0)
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;
      gsize len;
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || !g_file_get_contents (path, &text, &len, NULL)
          || strstr (text, fn) == NULL)
        continue;
      g_autoptr(BpLines) lines = bp_lines_new_from_text (text, len);
      if (bp_locate_has_function (lines, fn))
        g_ptr_array_add (found, strcmp (dir_rel, ".") ? g_build_filename (dir_rel, name, NULL) : g_strdup (name));
    }
  if (found->len == 0)
    return NULL;
  g_ptr_array_sort (found, compare_paths);
  g_ptr_array_add (found, NULL);
  return g_strjoinv (", ", (char **) found->pdata);
}

/* Set ERROR from a locator failure: does-not-apply or ambiguous. */
static void
set_hunk_error (GError **error, GError *local)
{
  int code = g_error_matches (local, BP_LOCATE_ERROR, BP_LOCATE_ERROR_AMBIGUOUS)
               ? BP_APPLY_ERROR_AMBIGUOUS : BP_APPLY_ERROR_DOES_NOT_APPLY;
  g_set_error_literal (error, BP_APPLY_ERROR, code, local->message);
}

/* A hunk of FILE found no place in BEFORE: name the functions it mentions
 * that REL lacks, and where they are defined instead, in LOCAL's message
 * and in the failed hunk's report (the last of REPORTS after FIRST). */
static void
explain_failure (Ctx *ctx, const char *rel, const BpFileDiff *file, GBytes *before,
                 GPtrArray *reports, guint first_report, GError *local)
{
  BpHunkReport *failed = reports->len > first_report ? reports->pdata[reports->len - 1] : NULL;
  const BpHunk *fh = failed && failed->hunk && failed->hunk <= file->hunks->len
                       ? file->hunks->pdata[failed->hunk - 1] : NULL;
  if (fh == NULL)
    return;
  /* Functions the hunk names: its section's, and any its old lines
   * define.  Those this file lacks: where are they defined? */
  g_autoptr(GPtrArray) fns = g_ptr_array_new_with_free_func (g_free);
  char *sfn = bp_locate_section_function (fh->section);
  if (sfn)
    g_ptr_array_add (fns, sfn);
  for (guint k = 0; k < fh->lines->len; k++)
    {
      const BpDiffLine *dl = fh->lines->pdata[k];
      if (dl->kind == '+' || dl->text[0] == '\0' || g_ascii_isspace (dl->text[0])
          || g_str_has_suffix (dl->text, ";"))
        continue;
      char *dfn = bp_locate_section_function (dl->text);
      if (dfn && !g_ptr_array_find_with_equal_func (fns, dfn, g_str_equal, NULL))
        g_ptr_array_add (fns, dfn);
      else
        g_free (dfn);
    }
  g_autoptr(BpLines) cur = lines_from_bytes (before);
  for (guint k = 0; k < fns->len; k++)
    {
      const char *fn = fns->pdata[k];
      if (bp_locate_has_function (cur, fn))
        continue;
      g_autofree char *elsewhere = find_function_nearby (ctx, rel, fn);
      g_autofree char *more = elsewhere
        ? g_strdup_printf ("%s() is defined in %s, not in %s", fn, elsewhere, rel)
        : g_strdup_printf ("%s() is not defined in %s", fn, rel);
      g_autofree char *msg = g_strdup_printf ("%s; %s", local->message, more);
      g_free (local->message);
      local->message = g_steal_pointer (&msg);
      g_autofree char *d = g_strdup_printf ("%s; %s", failed->detail, more);
      g_free (failed->detail);
      failed->detail = g_steal_pointer (&d);
    }
}

/* Apply one file diff of one patch to the overlay; record the change. */
static gboolean
apply_file (Ctx *ctx, const char *patch_name, const BpFileDiff *file, GPtrArray *changes,
            GPtrArray *reports, GError **error)
{
  const char *old_rel = file->old_path, *new_rel = file->new_path;
  const char *rel = new_rel ? new_rel : old_rel;
  if (rel == NULL)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE, "%s: a file diff names no path",
                   patch_name);
      return FALSE;
    }
  if ((old_rel && !bp_apply_path_is_safe (old_rel, error))
      || (new_rel && !bp_apply_path_is_safe (new_rel, error)))
    return FALSE;
  if (file->is_binary)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_BINARY,
                   "%s: binary patch for %s refused; backport applies text patches only",
                   patch_name, rel);
      return FALSE;
    }
  FileVersion *src = NULL;
  if (old_rel)
    {
      src = overlay_get (ctx, old_rel, error);
      if (src == NULL)
        return FALSE;
      if (src->content == NULL)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY,
                       "%s: %s is not in the tree%s", patch_name, old_rel,
                       file->hunks->len ? "" : " (nothing to rename or delete)");
          return FALSE;
        }
    }
  FileVersion *dst = overlay_get (ctx, rel, error);
  if (dst == NULL)
    return FALSE;
  if (old_rel == NULL && dst->content != NULL)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY,
                   "%s: creates %s, which already exists in the tree", patch_name, rel);
      return FALSE;
    }
  if (old_rel && new_rel && strcmp (old_rel, new_rel) != 0 && dst->content != NULL)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY,
                   "%s: renames %s to %s, which already exists", patch_name, old_rel, new_rel);
      return FALSE;
    }

  GBytes *before = src ? src->content : NULL;
  g_autoptr(BpLines) lines = lines_from_bytes (before);
  guint first_report = reports->len;
  g_autoptr(GError) local = NULL;
  g_autoptr(BpLines) result = bp_locate_apply_file (lines, file, patch_name, rel, 0, reports, &local);
  g_autoptr(GBytes) after = NULL;
  if (result == NULL && ctx->options->three_way)
    {
      g_autofree char *why = NULL;
      g_autoptr(GBytes) merged = NULL;
      if (three_way (ctx, file, old_rel ? old_rel : rel, before, &merged, &why))
        {
          /* Replace this file's reports with 3-way ones. */
          g_ptr_array_remove_range (reports, first_report, reports->len - first_report);
          for (guint h = 0; h < file->hunks->len; h++)
            g_ptr_array_add (reports, three_way_report (patch_name, rel, h + 1, file->hunks->pdata[h],
                                                        file->old_blob));
          after = g_steal_pointer (&merged);
          g_clear_error (&local);
        }
      else
        {
          BpHunkReport *failed = reports->pdata[reports->len - 1];
          g_autofree char *old_detail = g_steal_pointer (&failed->detail);
          failed->detail = g_strdup_printf ("%s; %s", old_detail ? old_detail : "does not apply", why);
          gboolean conflict = strstr (why, "conflicts") != NULL;
          g_set_error (error, BP_APPLY_ERROR,
                       conflict ? BP_APPLY_ERROR_CONFLICT : BP_APPLY_ERROR_DOES_NOT_APPLY,
                       "%s; %s", local->message, why);
          return FALSE;
        }
    }
  if (result == NULL && after == NULL && ctx->options->fuzz > 0)
    {
      g_ptr_array_remove_range (reports, first_report, reports->len - first_report);
      g_clear_error (&local);
      result = bp_locate_apply_file (lines, file, patch_name, rel, ctx->options->fuzz, reports, &local);
    }
  if (result == NULL && after == NULL)
    {
      explain_failure (ctx, rel, file, before, reports, first_report, local);
      set_hunk_error (error, local);
      return FALSE;
    }
  if (after == NULL)
    after = bytes_from_lines (result);

  gboolean deleted = new_rel == NULL;
  if (deleted && g_bytes_get_size (after) != 0)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY,
                   "%s: deletes %s, but the tree's copy has more than the patch removes",
                   patch_name, rel);
      return FALSE;
    }

  FileChange *change = g_new0 (FileChange, 1);
  change->old_rel = g_strdup (old_rel);
  change->new_rel = g_strdup (new_rel);
  change->before = before ? g_bytes_ref (before) : NULL;
  change->after = deleted ? NULL : g_bytes_ref (after);
  gboolean symlink = file->new_mode && g_ascii_strtoull (file->new_mode, NULL, 8) == BP_TRANSACTION_SYMLINK;
  if (symlink && !deleted && !symlink_target_ok (ctx, patch_name, rel, after, error))
    {
      file_change_free (change);
      return FALSE;
    }
  change->mode = symlink ? BP_TRANSACTION_SYMLINK
                         : mode_from_git (file->new_mode, src && src->mode ? (src->mode & 0111 ? 0755 : 0644) : 0644);
  g_ptr_array_add (changes, change);

  /* Update the overlay for the next patches. */
  if (src && old_rel && new_rel && strcmp (old_rel, new_rel) != 0)
    g_clear_pointer (&src->content, g_bytes_unref);
  g_clear_pointer (&dst->content, g_bytes_unref);
  dst->content = deleted ? NULL : g_bytes_ref (after);
  dst->mode = change->mode;
  return TRUE;
}


/* A symlink the patch created is there, pointing where the patch says:
 * then the path is absent before the patch. */
static gboolean
unapply_symlink (Ctx *ctx, const BpFileDiff *file)
{
  if (file->old_path || !file->new_path || file->hunks->len != 1)
    return FALSE;
  const BpHunk *h = file->hunks->pdata[0];
  const BpDiffLine *l = h->lines->len == 1 ? h->lines->pdata[0] : NULL;
  g_autofree char *path = g_build_filename (ctx->tree_real, file->new_path, NULL);
  g_autofree char *target = g_file_read_link (path, NULL);
  if (l == NULL || l->kind != '+' || g_strcmp0 (target, l->text) != 0)
    return FALSE;
  FileVersion *v = g_new0 (FileVersion, 1);
  v->rel = g_strdup (file->new_path);
  g_hash_table_replace (ctx->overlay, v->rel, v);
  return TRUE;
}

/* Undo one file diff on the overlay; its hunks' reports go to REPORTS. */
static gboolean
unapply_file (Ctx *ctx, const char *patch_name, const BpFileDiff *file, GPtrArray *reports)
{
  if (file->is_binary || (file->old_path == NULL && file->new_path == NULL))
    return FALSE;
  if (file->new_mode && g_ascii_strtoull (file->new_mode, NULL, 8) == BP_TRANSACTION_SYMLINK)
    return unapply_symlink (ctx, file);
  g_autoptr(BpFileDiff) reverse = bp_locate_reverse (file);
  const char *now_rel = file->new_path ? file->new_path : file->old_path;
  FileVersion *now = overlay_get (ctx, now_rel, NULL);
  if (now == NULL || (file->new_path ? now->content == NULL : now->content != NULL))
    return FALSE;  /* what the patch made is not what is there */
  g_autoptr(BpLines) lines = lines_from_bytes (now->content);
  g_autoptr(BpLines) before = bp_locate_apply_file (lines, reverse, patch_name, now_rel, 0, reports, NULL);
  if (before == NULL)
    return FALSE;
  g_autoptr(GBytes) bytes = bytes_from_lines (before);
  if (file->old_path == NULL)
    {
      if (g_bytes_get_size (bytes) != 0)
        return FALSE;
      g_clear_pointer (&now->content, g_bytes_unref);
      return TRUE;
    }
  FileVersion *old = now;
  if (file->new_path && strcmp (file->old_path, file->new_path) != 0)
    {
      old = overlay_get (ctx, file->old_path, NULL);
      if (old == NULL || old->content != NULL)
        return FALSE;
      g_clear_pointer (&now->content, g_bytes_unref);
    }
  g_clear_pointer (&old->content, g_bytes_unref);
  old->content = g_steal_pointer (&bytes);
  return TRUE;
}

/* Whether the whole series is in the tree already: undoing it, last patch
 * first, fits exactly.  Then REPORTS holds one "already" report per hunk,
 * in the series' order. */
static gboolean
series_already_applied (Ctx *ctx, GPtrArray *patches, GPtrArray *patch_names, GPtrArray *reports)
{
  g_autoptr(GHashTable) overlay = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                          (GDestroyNotify) file_version_free);
  GHashTable *forward = ctx->overlay;
  ctx->overlay = overlay;
  g_autoptr(GPtrArray) per_patch = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  gboolean ok = TRUE;
  for (guint p = patches->len; ok && p-- > 0;)
    {
      const BpPatch *patch = patches->pdata[p];
      const char *name = patch_names && p < patch_names->len ? patch_names->pdata[p] : patch->source;
      GPtrArray *mine = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
      g_ptr_array_insert (per_patch, 0, mine);
      /* the files of one patch are distinct paths: undo them in order */
      for (guint f = 0; ok && patch->files && f < patch->files->len; f++)
        ok = unapply_file (ctx, name, patch->files->pdata[f], mine);
      ok = ok && patch->files && patch->files->len > 0;
    }
  ctx->overlay = forward;
  if (!ok)
    return FALSE;
  g_ptr_array_set_size (reports, 0);
  for (guint p = 0; p < per_patch->len; p++)
    {
      GPtrArray *mine = per_patch->pdata[p];
      for (guint i = 0; i < mine->len; i++)
        {
          BpHunkReport *r = mine->pdata[i];
          mine->pdata[i] = NULL;
          r->how = BP_HUNK_ALREADY;
          g_clear_pointer (&r->detail, g_free);
          g_ptr_array_add (reports, r);
        }
    }
  return TRUE;
}

/* A hunk did not fit, ERROR says which.  If the reason is that the series
 * is already in the tree, that is success with nothing to do. */
static gboolean
already_applied_instead (Ctx *ctx, GPtrArray *patches, GPtrArray *patch_names, GPtrArray *reports,
                         GError **error)
{
  gboolean hunk_failure = error && *error && (*error)->domain == BP_APPLY_ERROR
                          && ((*error)->code == BP_APPLY_ERROR_DOES_NOT_APPLY
                              || (*error)->code == BP_APPLY_ERROR_AMBIGUOUS
                              || (*error)->code == BP_APPLY_ERROR_CONFLICT);
  if (!hunk_failure || !series_already_applied (ctx, patches, patch_names, reports))
    return FALSE;
  g_clear_error (error);
  return TRUE;
}
/* ---- git targets ------------------------------------------------------- */

static gboolean
git_is_dirty (git_repository *repo, gboolean *dirty, GError **error)
{
  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  g_autoptr(git_status_list) list = NULL;
  if (git_status_list_new (&list, repo, &opts) != 0)
    return git_fail (error, "cannot read the status of the work tree");
  *dirty = git_status_list_entrycount (list) > 0;
  return TRUE;
}

static char *
commit_message (const BpPatch *patch, const char *upstream_id, const char *link,
                const git_signature *committer, gboolean signoff)
{
  GString *msg = g_string_new (patch->subject ? patch->subject : "backported patch");
  g_string_append (msg, "\n\n");
  if (patch->message && *patch->message)
    {
      g_autofree char *body = g_strdup (patch->message);
      g_strchomp (body);
      g_string_append (msg, body);
      g_string_append_c (msg, '\n');
    }
  if (upstream_id)
    g_string_append_printf (msg, "(cherry picked from commit %s)\n", upstream_id);
  else if (link)
    g_string_append_printf (msg, "(backported from %s by backport)\n", link);
  if (signoff && committer)
    {
      g_autofree char *sob = g_strdup_printf ("Signed-off-by: %s <%s>\n", committer->name, committer->email);
      if (!g_str_has_suffix (msg->str, sob))
        g_string_append (msg, sob);
    }
  return g_string_free (msg, FALSE);
}


/* --force accepts a dirty work tree, but our commits are built from HEAD
 * plus the series: a file the series touches must be as HEAD has it, or the
 * user's own edit would go into the fix's commit under the fix's author. */
static gboolean
git_touched_files_clean (Ctx *ctx, GPtrArray *all_changes, GError **error)
{
  for (guint p = 0; p < all_changes->len; p++)
    {
      GPtrArray *changes = all_changes->pdata[p];
      for (guint i = 0; i < changes->len; i++)
        {
          const FileChange *c = changes->pdata[i];
          const char *paths[2] = { c->old_rel, c->new_rel };
          for (guint k = 0; k < 2; k++)
            {
              unsigned int flags = 0;
              if (paths[k] == NULL || git_status_file (&flags, ctx->repo, paths[k]) != 0
                  || flags == GIT_STATUS_CURRENT)
                continue;  /* absent everywhere, or as HEAD has it */
              g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DIRTY_FILE,
                           "%s has uncommitted changes in %s, which the series changes; commit or "
                           "stash them first (forcing never puts your edits into the series' commits)",
                           ctx->tree, paths[k]);
              return FALSE;
            }
        }
    }
  return TRUE;
}
/* Build one commit per patch on top of HEAD (objects only; no ref moves). */
static gboolean
git_make_commits (Ctx *ctx, GPtrArray *patches, GPtrArray *all_changes, const char *upstream_id,
                  const char *link, git_oid *tip, gboolean *have_tip, GError **error)
{
  git_repository *repo = ctx->repo;
  g_autoptr(git_signature) committer = NULL;
  if (git_signature_default (&committer, repo) != 0)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_FAILED,
                   "no committer identity in %s: set user.name and user.email (git config)", ctx->tree);
      return FALSE;
    }
  g_autoptr(git_commit) parent = NULL;
  g_autoptr(git_tree) parent_tree = NULL;
  git_oid head_oid;
  if (git_reference_name_to_id (&head_oid, repo, "HEAD") == 0)
    {
      if (git_commit_lookup (&parent, repo, &head_oid) != 0 || git_commit_tree (&parent_tree, parent) != 0)
        return git_fail (error, "cannot read HEAD");
    }
  g_autoptr(git_index) index = NULL;
  if (git_index_new (&index) != 0)
    return git_fail (error, "cannot create an index");
  if (parent_tree && git_index_read_tree (index, parent_tree) != 0)
    return git_fail (error, "cannot read HEAD's tree");

  for (guint p = 0; p < patches->len; p++)
    {
      const BpPatch *patch = patches->pdata[p];
      GPtrArray *changes = all_changes->pdata[p];
      for (guint i = 0; i < changes->len; i++)
        {
          const FileChange *c = changes->pdata[i];
          if (c->old_rel && (c->new_rel == NULL || strcmp (c->old_rel, c->new_rel) != 0))
            git_index_remove_bypath (index, c->old_rel);
          if (c->new_rel && c->after)
            {
              git_index_entry entry = { 0 };
              entry.mode = c->mode == BP_TRANSACTION_SYMLINK ? GIT_FILEMODE_LINK
                           : c->mode & 0111 ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
              entry.path = c->new_rel;
              gsize len;
              const void *data = g_bytes_get_data (c->after, &len);
              if (git_blob_create_from_buffer (&entry.id, repo, data, len) != 0
                  || git_index_add (index, &entry) != 0)
                return git_write_fail (repo, error, "cannot store a blob");
            }
        }
      git_oid tree_oid, commit_oid;
      g_autoptr(git_tree) tree = NULL;
      if (git_index_write_tree_to (&tree_oid, index, repo) != 0
          || git_tree_lookup (&tree, repo, &tree_oid) != 0)
        return git_write_fail (repo, error, "cannot write a tree");

      g_autoptr(git_signature) author = NULL;
      if (patch->author_name && patch->author_email)
        {
          gint64 when = patch->date ? g_date_time_to_unix (patch->date) : (gint64) time (NULL);
          int tz = patch->date ? (int) (g_date_time_get_utc_offset (patch->date) / G_TIME_SPAN_MINUTE) : 0;
          if (git_signature_new (&author, patch->author_name, patch->author_email, when, tz) != 0)
            return git_fail (error, "bad author in patch");
        }
      g_autofree char *msg = commit_message (patch, upstream_id, link, committer,
                                             ctx->options->signoff);
      const git_commit *parents[1] = { parent };
      if (git_commit_create (&commit_oid, repo, NULL, author ? author : committer, committer,
                             NULL, msg, tree, parent ? 1 : 0, parents) != 0)
        return git_write_fail (repo, error, "cannot create a commit");
      g_clear_pointer (&parent, git_commit_free);
      if (git_commit_lookup (&parent, repo, &commit_oid) != 0)
        return git_write_fail (repo, error, "cannot read back a commit");
      *tip = commit_oid;
      *have_tip = TRUE;
    }
  return TRUE;
}

static gboolean
git_move_head (git_repository *repo, const git_oid *tip, const char *log, GError **error)
{
  g_autoptr(git_reference) head = NULL;
  int r = git_reference_lookup (&head, repo, "HEAD");
  if (r != 0)
    return git_fail (error, "cannot read HEAD");
  if (git_reference_type (head) == GIT_REFERENCE_SYMBOLIC)
    {
      g_autoptr(git_reference) created = NULL;
      if (git_reference_create (&created, repo, git_reference_symbolic_target (head), tip, 1, log) != 0)
        return git_write_fail (repo, error, "cannot move the branch");
      return TRUE;
    }
  if (git_repository_set_head_detached (repo, tip) != 0)
    return git_write_fail (repo, error, "cannot move HEAD");
  return TRUE;
}

static gboolean
git_update_index (git_repository *repo, GPtrArray *touched_add, GPtrArray *touched_rm, GError **error)
{
  g_autoptr(git_index) index = NULL;
  if (git_repository_index (&index, repo) != 0)
    return git_fail (error, "cannot open the index");
  /* A path the series both changes and (later) deletes, or deletes and
   * creates again: the index follows what is in the work tree now. */
  const char *workdir = git_repository_workdir (repo);
  for (guint k = 0; k < 2; k++)
    {
      GPtrArray *paths = k ? touched_add : touched_rm;
      for (guint i = 0; i < paths->len; i++)
        {
          g_autofree char *abs = g_build_filename (workdir, paths->pdata[i], NULL);
          struct stat st;
          if (lstat (abs, &st) != 0)
            git_index_remove_bypath (index, paths->pdata[i]);
          else if (git_index_add_bypath (index, paths->pdata[i]) != 0)
            return git_write_fail (repo, error, "cannot update the index");
        }
    }
  if (git_index_write (index) != 0)
    return git_write_fail (repo, error, "cannot write the index");
  return TRUE;
}

/* The repository files the index and ref steps change, so that the
 * transaction puts them back on a failure (or a crash) after the renames:
 * the index, HEAD, the branch HEAD names, and their reflogs. */
static gboolean
guard_git_state (Ctx *ctx, BpTransaction *tx, GError **error)
{
  const char *gitdir = git_repository_path (ctx->repo);
  const char *common = git_repository_commondir (ctx->repo);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (paths, g_build_filename (gitdir, "index", NULL));
  g_ptr_array_add (paths, g_build_filename (gitdir, "HEAD", NULL));
  g_ptr_array_add (paths, g_build_filename (gitdir, "logs", "HEAD", NULL));
  g_autoptr(git_reference) head = NULL;
  if (git_reference_lookup (&head, ctx->repo, "HEAD") == 0
      && git_reference_type (head) == GIT_REFERENCE_SYMBOLIC)
    {
      const char *branch = git_reference_symbolic_target (head);
      g_ptr_array_add (paths, g_build_filename (common, branch, NULL));
      g_ptr_array_add (paths, g_build_filename (common, "logs", branch, NULL));
    }
  for (guint i = 0; i < paths->len; i++)
    if (!bp_transaction_guard (tx, paths->pdata[i], error))
      return FALSE;
  return TRUE;
}

/* Files, then (commit target) the index, then the branch, all in one
 * transaction: a failure anywhere puts back files, index and ref. */
static gboolean
write_phase (Ctx *ctx, BpApplyTarget target, BpTransaction *tx, GPtrArray *index_add,
             GPtrArray *index_rm, const git_oid *tip, GError **error)
{
  gboolean git_steps = target == BP_APPLY_TARGET_COMMIT && ctx->repo;
  if (git_steps && !guard_git_state (ctx, tx, error))
    return FALSE;
  if (!bp_transaction_commit (tx, error))
    return FALSE;
  /* files only (also in a git tree): the user commits */
  if (git_steps)
    {
      if (!git_update_index (ctx->repo, index_add, index_rm, error))
        {
          bp_transaction_abort (tx);
          return FALSE;
        }
      bp_transaction_checkpoint (tx);
      if (tip && !git_move_head (ctx->repo, tip, "backport apply", error))
        {
          bp_transaction_abort (tx);
          return FALSE;
        }
    }
  return bp_transaction_finish (tx, error);
}

/* Stage every file the series changes; note what the index must add and
 * remove. */
static void
stage_files (BpTransaction *tx, GPtrArray *all_changes, GPtrArray *index_add, GPtrArray *index_rm)
{
  for (guint p = 0; p < all_changes->len; p++)
    {
      GPtrArray *changes = all_changes->pdata[p];
      for (guint i = 0; i < changes->len; i++)
        {
          const FileChange *c = changes->pdata[i];
          if (c->old_rel && (c->new_rel == NULL || strcmp (c->old_rel, c->new_rel) != 0))
            {
              bp_transaction_delete (tx, c->old_rel);
              g_ptr_array_add (index_rm, g_strdup (c->old_rel));
            }
          if (c->new_rel)
            {
              bp_transaction_write (tx, c->new_rel, c->after, c->mode);
              g_ptr_array_add (index_add, g_strdup (c->new_rel));
            }
        }
    }
}

/* Stage the quilt bookkeeping of every patch: debian/patches, series, .pc. */
static gboolean
stage_quilt (BpTransaction *tx, BpQuilt *quilt, GPtrArray *patches, GPtrArray *patch_names,
             GPtrArray *all_changes, const char *upstream_id, const char *link, const char *bug,
             GError **error)
{
  for (guint p = 0; p < all_changes->len; p++)
    {
      const BpPatch *patch = patches->pdata[p];
      const char *name = patch_names && p < patch_names->len ? patch_names->pdata[p] : NULL;
      g_autofree char *base = g_path_get_basename (name ? name : patch->source ? patch->source : "backport.patch");
      GPtrArray *changes = all_changes->pdata[p];
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < changes->len; i++)
        {
          const FileChange *c = changes->pdata[i];
          if (c->mode == BP_TRANSACTION_SYMLINK && c->after)
            {
              g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_UNSAFE,
                           "%s: creates the symlink %s, which a 3.0 (quilt) patch cannot carry "
                           "(dpkg-source cannot represent it): apply it as files, not as a quilt patch",
                           base, c->new_rel);
              return FALSE;
            }
          BpQuiltFile *qf = g_new0 (BpQuiltFile, 1);
          qf->old_path = c->old_rel;
          qf->new_path = c->new_rel;
          qf->before = c->before;
          qf->after = c->after;
          g_ptr_array_add (files, qf);
        }
      g_autoptr(GPtrArray) writes = NULL;
      if (!bp_quilt_add_patch (quilt, base, patch, upstream_id, link, bug, files, &writes, error))
        return FALSE;
      for (guint i = 0; i < writes->len; i++)
        {
          BpQuiltWrite *w = writes->pdata[i];
          bp_transaction_write (tx, w->path, w->content, 0);
        }
    }
  return TRUE;
}

/* ---- entry points -------------------------------------------------------- */

static void
ctx_clear (Ctx *ctx)
{
  g_free (ctx->tree_real);
  if (ctx->odb_repo && ctx->odb_repo != ctx->repo)
    git_repository_free (ctx->odb_repo);
  if (ctx->repo)
    git_repository_free (ctx->repo);
  g_clear_pointer (&ctx->overlay, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctx, ctx_clear)

gboolean
bp_apply_patches (GPtrArray *patches, GPtrArray *patch_names, const char *upstream_id,
                  const char *link, const char *tree, const BpApplyOptions *options,
                  GPtrArray **reports_out, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  if (reports_out)
    *reports_out = g_ptr_array_ref (reports);

  if (!g_file_test (tree, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE,
                   "%s is not a directory: it must be the top of a source tree", tree);
      return FALSE;
    }
  if (!bp_transaction_recover (tree, error))  /* a write to TREE interrupted by a crash */
    return FALSE;
  g_auto(Ctx) ctx = { .tree = tree, .options = options };
  ctx.tree_real = realpath (tree, NULL);
  ctx.overlay = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) file_version_free);

  /* Which target? */
  g_autofree char *dotgit = g_build_filename (tree, ".git", NULL);
  /* libgit2 only when needed: its init loads the TLS CA bundle (about 2 ms
   * with Debian's mbedtls build), which a plain tree never uses. */
  if (g_file_test (dotgit, G_FILE_TEST_EXISTS) || options->three_way || options->object_repo
      || options->target == BP_APPLY_TARGET_QUILT)
    bp_git_require ();
  if (g_file_test (dotgit, G_FILE_TEST_EXISTS))
    {
      if (git_repository_open_ext (&ctx.repo, ctx.tree_real, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0)
        {
          git_fail (error, "cannot open the tree's git repository");
          return FALSE;
        }
      if (git_repository_is_bare (ctx.repo))
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE, "%s is a bare repository", tree);
          return FALSE;
        }
    }
  BpApplyTarget target = options->target;
  if (target == BP_APPLY_TARGET_AUTO)
    target = ctx.repo ? BP_APPLY_TARGET_COMMIT : BP_APPLY_TARGET_FILES;
  if (target == BP_APPLY_TARGET_COMMIT && ctx.repo == NULL)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_GIT,
                   "%s is not a git work tree, so commits cannot be made in it", tree);
      return FALSE;
    }
  if (options->object_repo)
    {
      if (git_repository_open_ext (&ctx.odb_repo, options->object_repo, 0, NULL) != 0)
        {
          g_autofree char *what = g_strdup_printf ("cannot open the object store of %s", options->object_repo);
          git_fail (error, what);
          return FALSE;
        }
    }
  else
    ctx.odb_repo = ctx.repo;

  g_autoptr(BpQuilt) quilt = NULL;
  if (target == BP_APPLY_TARGET_QUILT)
    {
      quilt = bp_quilt_open (ctx.tree_real, error);
      if (quilt == NULL)
        return FALSE;
    }

  if (ctx.repo && !options->force && !options->check_only)
    {
      gboolean dirty = FALSE;
      if (!git_is_dirty (ctx.repo, &dirty, error))
        return FALSE;
      if (dirty)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DIRTY,
                       "%s has uncommitted changes; commit or stash them", tree);
          return FALSE;
        }
    }
  if (quilt && !options->force && !bp_quilt_check_clean (quilt, error))
    return FALSE;

  /* Phase 1: compute. */
  g_autoptr(GPtrArray) all_changes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  for (guint p = 0; p < patches->len; p++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      const BpPatch *patch = patches->pdata[p];
      const char *name = patch_names && p < patch_names->len ? patch_names->pdata[p] : patch->source;
      GPtrArray *changes = g_ptr_array_new_with_free_func ((GDestroyNotify) file_change_free);
      g_ptr_array_add (all_changes, changes);
      if (patch->files == NULL || patch->files->len == 0)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY, "%s: has no diff", name);
          return FALSE;
        }
      for (guint f = 0; f < patch->files->len; f++)
        if (!apply_file (&ctx, name, patch->files->pdata[f], changes, reports, error))
          return already_applied_instead (&ctx, patches, patch_names, reports, error);
    }
  if (target == BP_APPLY_TARGET_COMMIT && options->force && !git_touched_files_clean (&ctx, all_changes, error))
    return FALSE;
  if (options->check_only)
    return TRUE;
  bp_test_pause ("apply-computed");
  /* Interrupted before anything is written: stop, and write nothing. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* Phase 2: objects (harmless if we stop here), then files, index, ref. */
  git_oid tip;
  gboolean have_tip = FALSE;
  if (target == BP_APPLY_TARGET_COMMIT
      && !git_make_commits (&ctx, patches, all_changes, upstream_id, link, &tip, &have_tip, error))
    return FALSE;

  g_autoptr(BpTransaction) tx = bp_transaction_begin (ctx.tree_real, error);
  if (tx == NULL)
    return FALSE;
  g_autoptr(GPtrArray) index_add = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) index_rm = g_ptr_array_new_with_free_func (g_free);
  stage_files (tx, all_changes, index_add, index_rm);
  /* The quilt files are staged last, so they keep a later mtime than the
   * sources. */
  if (quilt && !stage_quilt (tx, quilt, patches, patch_names, all_changes, upstream_id, link,
                              options->bug, error))
    return FALSE;
  return write_phase (&ctx, target, tx, index_add, index_rm, have_tip ? &tip : NULL, error);
}

gboolean
bp_apply_series (BpFixLine *line, const char *tree, const BpApplyOptions *options,
                 GPtrArray **reports, GCancellable *cancellable, GError **error)
{
  if (line->patches == NULL || line->patches->len == 0)
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DOES_NOT_APPLY,
                   "line %s carries no series", line->name);
      return FALSE;
    }
  BpApplyOptions opts = *options;
  if (opts.bug == NULL && line->pack)
    opts.bug = line->pack->bug;
  return bp_apply_patches (line->patches, line->patch_names,
                           line->pack ? line->pack->upstream_id : NULL,
                           line->pack ? line->pack->posting : NULL,
                           tree, &opts, reports, cancellable, error);
}
