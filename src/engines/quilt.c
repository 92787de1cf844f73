/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include <git2.h>

#include "engines/quilt.h"
#include "base/path-safety.h"
#include "base/read-limited.h"
#include "model/dep3.h"

/* quilt's bookkeeping files, read with the patch limit */
#define QUILT_FILE_MAX (16 * 1024 * 1024)

G_DEFINE_QUARK (bp-quilt-error-quark, bp_quilt_error)

struct _BpQuilt {
  char *tree;
  char *patches_dir;     /* relative: debian/patches */
  char *series_name;     /* series */
  GString *series;       /* text of the series file, updated in memory */
  GString *applied;      /* text of .pc/applied-patches */
  gboolean have_pc;      /* .pc exists */
  gboolean wrote_pc_meta;
  GPtrArray *added;      /* names added in this run */
};

void
bp_quilt_write_free (BpQuiltWrite *write)
{
  g_free (write->path);
  g_clear_pointer (&write->content, g_bytes_unref);
  g_free (write);
}

void
bp_quilt_free (BpQuilt *q)
{
  g_free (q->tree);
  g_free (q->patches_dir);
  g_free (q->series_name);
  /* bp_quilt_open frees a half-built one when the tree is no Debian source */
  if (q->series)
    g_string_free (q->series, TRUE);
  if (q->applied)
    g_string_free (q->applied, TRUE);
  g_ptr_array_unref (q->added);
  g_free (q);
}

static char *
read_first_line (const char *path)
{
  g_autofree char *text = NULL;
  if ((text = bp_read_file_limited (path, QUILT_FILE_MAX, TRUE, NULL, NULL, NULL)) == NULL)
    return NULL;
  g_strstrip (text);
  return *text ? g_steal_pointer (&text) : NULL;
}

BpQuilt *
bp_quilt_open (const char *tree, GError **error)
{
  g_autoptr(BpQuilt) q = g_new0 (BpQuilt, 1);
  q->tree = g_strdup (tree);
  q->added = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *pc = g_build_filename (tree, ".pc", NULL);
  q->have_pc = g_file_test (pc, G_FILE_TEST_IS_DIR);
  g_autofree char *qp = g_build_filename (pc, ".quilt_patches", NULL);
  g_autofree char *qs = g_build_filename (pc, ".quilt_series", NULL);
  q->patches_dir = read_first_line (qp);
  q->series_name = read_first_line (qs);
  if (q->patches_dir == NULL)
    q->patches_dir = g_strdup ("debian/patches");
  if (q->series_name == NULL)
    q->series_name = g_strdup ("series");
  if (!bp_path_is_safe (q->patches_dir, NULL) || strchr (q->series_name, '/'))
    {
      g_set_error (error, BP_QUILT_ERROR, BP_QUILT_ERROR_UNSAFE,
                   "%s/.pc names a patch directory outside the tree", tree);
      return NULL;
    }
  g_autofree char *dir = g_build_filename (tree, q->patches_dir, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_QUILT_ERROR, BP_QUILT_ERROR_NOT_DEBIAN,
                   "%s has no %s directory: quilt bookkeeping needs an unpacked Debian source", tree,
                   q->patches_dir);
      return NULL;
    }
  g_autofree char *series_path = g_build_filename (dir, q->series_name, NULL);
  g_autofree char *series = NULL;
  if ((series = bp_read_file_limited (series_path, QUILT_FILE_MAX, TRUE, NULL, NULL, NULL)) == NULL)
    series = g_strdup ("");
  q->series = g_string_new (series);
  if (q->series->len && q->series->str[q->series->len - 1] != '\n')
    g_string_append_c (q->series, '\n');
  g_autofree char *applied_path = g_build_filename (pc, "applied-patches", NULL);
  g_autofree char *applied = NULL;
  if ((applied = bp_read_file_limited (applied_path, QUILT_FILE_MAX, TRUE, NULL, NULL, NULL)) == NULL)
    applied = g_strdup ("");
  q->applied = g_string_new (applied);
  if (q->applied->len && q->applied->str[q->applied->len - 1] != '\n')
    g_string_append_c (q->applied, '\n');
  return g_steal_pointer (&q);
}

/* Patch names of a series text: first word of each line, comments skipped. */
static GPtrArray *
series_names (const char *text)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      char *sp = strpbrk (lines[i], " \t");
      g_ptr_array_add (names, sp ? g_strndup (lines[i], sp - lines[i]) : g_strdup (lines[i]));
    }
  return names;
}

gboolean
bp_quilt_check_clean (BpQuilt *q, GError **error)
{
  g_autoptr(GPtrArray) series = series_names (q->series->str);
  g_autoptr(GPtrArray) applied = series_names (q->applied->str);
  if (series->len == 0)
    return TRUE;
  gboolean same = series->len == applied->len;
  for (guint i = 0; same && i < series->len; i++)
    same = strcmp (series->pdata[i], applied->pdata[i]) == 0;
  if (!same)
    {
      g_set_error (error, BP_QUILT_ERROR, BP_QUILT_ERROR_NOT_PUSHED,
                   "%s: %u of the %u patches in %s/%s are applied; run `quilt push -a` first",
                   q->tree, applied->len, series->len, q->patches_dir,
                   q->series_name);
      return FALSE;
    }
  return TRUE;
}

char *
bp_quilt_diff (GPtrArray *files, GError **error)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    {
      const BpQuiltFile *f = files->pdata[i];
      gsize old_len = 0, new_len = 0;
      const void *old_data = f->before ? g_bytes_get_data (f->before, &old_len) : NULL;
      const void *new_data = f->after ? g_bytes_get_data (f->after, &new_len) : NULL;
      const char *old_path = f->old_path ? f->old_path : f->new_path;
      const char *new_path = f->new_path ? f->new_path : f->old_path;
      git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
      opts.context_lines = 3;
      git_patch *patch = NULL;
      git_buf buf = { 0 };
      if (git_patch_from_buffers (&patch, old_data, old_len, old_path, new_data, new_len,
                                  new_path, &opts) != 0
          || git_patch_to_buf (&buf, patch) != 0)
        {
          const git_error *e = git_error_last ();
          g_set_error (error, BP_QUILT_ERROR, BP_QUILT_ERROR_FAILED, "cannot diff %s: %s",
                       new_path, e ? e->message : "libgit2 error");
          git_patch_free (patch);
          g_string_free (out, TRUE);
          return NULL;
        }
      g_string_append_len (out, buf.ptr, buf.size);
      git_buf_dispose (&buf);
      git_patch_free (patch);
    }
  return g_string_free (out, FALSE);
}

static BpQuiltWrite *
write_new (const char *path, const char *text, gsize len)
{
  BpQuiltWrite *w = g_new0 (BpQuiltWrite, 1);
  w->path = g_strdup (path);
  w->content = g_bytes_new (text, len);
  return w;
}

gboolean
bp_quilt_add_patch (BpQuilt *q, const char *name, const BpPatch *patch, const char *upstream_id,
                    const char *link, const char *bug, GPtrArray *files, GPtrArray **writes_out, GError **error)
{
  if (!bp_path_is_safe (name, error) || strchr (name, '/'))
    {
      g_clear_error (error);
      g_set_error (error, BP_QUILT_ERROR, BP_QUILT_ERROR_UNSAFE, "bad patch name '%s'", name);
      return FALSE;
    }
  g_autoptr(GPtrArray) series = series_names (q->series->str);
  g_autofree char *patch_rel = g_build_filename (q->patches_dir, name, NULL);
  g_autofree char *patch_abs = g_build_filename (q->tree, patch_rel, NULL);
  g_autofree char *pc_dir_abs = g_build_filename (q->tree, ".pc", name, NULL);
  for (guint i = 0; i < series->len; i++)
    if (strcmp (series->pdata[i], name) == 0)
      {
        g_set_error (error, BP_QUILT_ERROR, BP_QUILT_ERROR_EXISTS,
                     "%s is already in %s/%s: the fix seems applied already", name,
                     q->patches_dir, q->series_name);
        return FALSE;
      }
  if (g_file_test (patch_abs, G_FILE_TEST_EXISTS) || g_file_test (pc_dir_abs, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BP_QUILT_ERROR, BP_QUILT_ERROR_EXISTS,
                   "%s or .pc/%s already exists; remove it or rename the patch", patch_rel, name);
      return FALSE;
    }

  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_quilt_write_free);
  g_autofree char *diff = bp_quilt_diff (files, error);
  if (diff == NULL)
    return FALSE;
  g_autofree char *header = bp_dep3_header (patch, upstream_id, link, bug);
  g_autofree char *text = g_strconcat (header, diff, NULL);
  g_ptr_array_add (writes, write_new (patch_rel, text, strlen (text)));

  g_string_append_printf (q->series, "%s\n", name);
  g_autofree char *series_rel = g_build_filename (q->patches_dir, q->series_name, NULL);
  g_ptr_array_add (writes, write_new (series_rel, q->series->str, q->series->len));

  /* .pc: what `quilt push` leaves behind. */
  if (!q->have_pc && !q->wrote_pc_meta)
    {
      g_ptr_array_add (writes, write_new (".pc/.version", "2\n", 2));
      g_autofree char *qp = g_strdup_printf ("%s\n", q->patches_dir);
      g_ptr_array_add (writes, write_new (".pc/.quilt_patches", qp, strlen (qp)));
      g_autofree char *qs = g_strdup_printf ("%s\n", q->series_name);
      g_ptr_array_add (writes, write_new (".pc/.quilt_series", qs, strlen (qs)));
      q->wrote_pc_meta = TRUE;
    }
  g_string_append_printf (q->applied, "%s\n", name);
  g_ptr_array_add (writes, write_new (".pc/applied-patches", q->applied->str, q->applied->len));
  for (guint i = 0; i < files->len; i++)
    {
      const BpQuiltFile *f = files->pdata[i];
      const char *paths[2] = { f->old_path, f->new_path };
      for (guint k = 0; k < 2; k++)
        {
          if (paths[k] == NULL || (k == 1 && f->old_path && strcmp (f->old_path, f->new_path) == 0))
            continue;
          g_autofree char *backup = g_build_filename (".pc", name, paths[k], NULL);
          /* The old path's backup is its content before; a new path gets an
           * empty backup, which quilt reads as "did not exist". */
          GBytes *before = k == 0 ? f->before : (f->old_path ? NULL : f->before);
          gsize len = 0;
          const char *data = before ? g_bytes_get_data (before, &len) : "";
          g_ptr_array_add (writes, write_new (backup, data, len));
        }
    }
  g_autofree char *stamp = g_build_filename (".pc", name, ".timestamp", NULL);
  g_ptr_array_add (writes, write_new (stamp, "", 0));
  g_ptr_array_add (q->added, g_strdup (name));
  *writes_out = g_steal_pointer (&writes);
  return TRUE;
}
