/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compile a line's series with the tree's own build: see build.h.  This
 * file runs the steps of a check in order; build-private.h says which file
 * does each step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "base/test-pause.h"
#include "engines/apply.h"
#include "engines/build/build-private.h"

G_DEFINE_QUARK (bp-build-error-quark, bp_build_error)

#define DEFAULT_TIMEOUT 1800

const char *
bp_compile_status_to_string (BpCompileStatus status)
{
  switch (status)
    {
    case BP_COMPILE_OK: return "ok";
    case BP_COMPILE_FAILED: return "error";
    case BP_COMPILE_ABSENT: return "absent";
    case BP_COMPILE_NOT_BUILT: return "not-built";
    }
  return "?";
}

const char *
bp_check_verdict_to_string (BpCheckVerdict verdict)
{
  switch (verdict)
    {
    case BP_CHECK_COMPILES: return "compiles";
    case BP_CHECK_SERIES_BREAKS: return "series-breaks-build";
    case BP_CHECK_ALREADY_BROKEN: return "already-broken";
    case BP_CHECK_DOES_NOT_APPLY: return "does-not-apply";
    }
  return "?";
}

static void
compile_result_free (BpCompileResult *r)
{
  if (r == NULL)
    return;
  g_free (r->file);
  g_free (r->object);
  g_free (r->before.output);
  g_free (r->after.output);
  g_clear_pointer (&r->new_warnings, g_ptr_array_unref);
  g_free (r);
}

void
bp_check_result_free (BpCheckResult *result)
{
  if (result == NULL)
    return;
  g_free (result->line);
  g_free (result->tree);
  g_free (result->version);
  g_free (result->build_system);
  g_free (result->work_dir);
  g_free (result->build_dir);
  g_free (result->scratch_dir);
  g_free (result->configure_args);
  g_clear_pointer (&result->touched, g_ptr_array_unref);
  g_clear_pointer (&result->results, g_ptr_array_unref);
  g_free (result->apply_message);
  g_clear_pointer (&result->apply_reports, g_ptr_array_unref);
  g_free (result);
}

void
bp_build_check_progress (BpBuildCheck *ck, const char *format, ...)
{
  if (ck->progress == NULL)
    return;
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  ck->progress (ck->line->name, msg, ck->progress_data);
}

double
bp_build_seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

char *
bp_build_read_trimmed (const char *path)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strdup (g_strstrip (text));
}

void
bp_build_add_unique (GPtrArray *array, const char *text)
{
  for (guint i = 0; i < array->len; i++)
    if (strcmp (array->pdata[i], text) == 0)
      return;
  g_ptr_array_add (array, g_strdup (text));
}

/* Files the series changes in the scratch tree, from the apply engine's
 * reports; files it creates or deletes from the diffs. */
static GPtrArray *
touched_files (BpFixLine *line, GPtrArray *reports)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; reports && i < reports->len; i++)
    {
      BpHunkReport *r = reports->pdata[i];
      if (r->file)
        bp_build_add_unique (files, r->file);
    }
  for (guint p = 0; line->patches && p < line->patches->len; p++)
    {
      BpPatch *patch = line->patches->pdata[p];
      for (guint f = 0; patch->files && f < patch->files->len; f++)
        {
          BpFileDiff *fd = patch->files->pdata[f];
          /* A rename or a created/deleted file has no hunk to report. */
          if (files->len == 0 || fd->old_path == NULL || fd->new_path == NULL
              || g_strcmp0 (fd->old_path, fd->new_path) != 0)
            {
              if (fd->new_path)
                bp_build_add_unique (files, fd->new_path);
              if (fd->old_path && fd->new_path == NULL)
                bp_build_add_unique (files, fd->old_path);
            }
        }
    }
  return files;
}

static gboolean
is_source_file (const char *path)
{
  static const char *const exts[] = { ".c", ".cc", ".cpp", ".cxx", ".m", ".S", ".s", ".rs", NULL };
  for (const char *const *e = exts; *e; e++)
    if (g_str_has_suffix (path, *e))
      return TRUE;
  return FALSE;
}

static gboolean
is_header_file (const char *path)
{
  return g_str_has_suffix (path, ".h") || g_str_has_suffix (path, ".hpp") || g_str_has_suffix (path, ".inc")
         || g_str_has_suffix (path, ".c.inc") || g_str_has_suffix (path, ".h.inc");
}

static GHashTable *
wanted_paths (BpBuildCheck *ck, GPtrArray *touched)
{
  GHashTable *wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < touched->len; i++)
    g_hash_table_insert (wanted, g_build_filename (ck->src, touched->pdata[i], NULL),
                         g_strdup (touched->pdata[i]));
  return wanted;
}

/* The apply engine said no (taking APPLY_ERROR and REPORTS): a series that
 * does not apply is the check's finding; anything else is an error. */
static gboolean
does_not_apply (BpCheckResult *res, GError *apply_error, GPtrArray *reports, GError **error)
{
  g_autoptr(GError) local = apply_error;
  g_autoptr(GPtrArray) hunks = reports;
  if (local->domain != BP_APPLY_ERROR
      || (local->code != BP_APPLY_ERROR_DOES_NOT_APPLY && local->code != BP_APPLY_ERROR_AMBIGUOUS
          && local->code != BP_APPLY_ERROR_CONFLICT))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  res->verdict = BP_CHECK_DOES_NOT_APPLY;
  res->apply_message = g_strdup (local->message);
  res->apply_reports = g_steal_pointer (&hunks);
  return TRUE;
}

/* The work directory and its parts, by canonical path: compile_commands.json
 * has canonical paths, so must ours be. */
static gboolean
make_work_dirs (BpBuildCheck *ck, GError **error)
{
  BpCheckResult *res = ck->res;
  if (g_mkdir_with_parents (ck->work, 0755) != 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "cannot create %s: %s", ck->work,
                   g_strerror (errno));
      return FALSE;
    }
  char *real = realpath (ck->work, NULL);
  if (real)
    {
      g_free (ck->work);
      ck->work = g_strdup (real);
      free (real);
    }
  ck->src = g_build_filename (ck->work, "src", NULL);
  ck->build = g_build_filename (ck->work, "build", NULL);
  ck->objects = g_build_filename (ck->work, "objects", NULL);
  res->work_dir = g_strdup (ck->work);
  res->build_dir = g_strdup (ck->build);
  res->scratch_dir = g_strdup (ck->src);
  return TRUE;
}

/* A result "not built" for each touched file without an object; an error
 * when none has one: nothing could be checked. */
static gboolean
note_unbuilt (BpCheckResult *res, GPtrArray *entries, GError **error)
{
  for (guint i = 0; i < res->touched->len; i++)
    {
      const char *f = res->touched->pdata[i];
      gboolean built = FALSE;
      for (guint k = 0; k < entries->len && !built; k++)
        built = strcmp (((BpCompileEntry *) entries->pdata[k])->rel, f) == 0;
      if (!built)
        {
          BpCompileResult *r = g_new0 (BpCompileResult, 1);
          r->file = g_strdup (f);
          r->before.status = r->after.status = BP_COMPILE_NOT_BUILT;
          g_ptr_array_add (res->results, r);
        }
    }
  if (entries->len > 0)
    return TRUE;
  gboolean any_source = FALSE;
  for (guint i = 0; i < res->touched->len; i++)
    any_source |= is_source_file (res->touched->pdata[i]);
  g_ptr_array_add (res->touched, NULL);
  g_autofree char *list = g_strjoinv (", ", (char **) res->touched->pdata);
  g_ptr_array_remove_index (res->touched, res->touched->len - 1);
  g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NO_OBJECT,
               "none of the files the series touches (%s) is compiled in this configuration (%s)%s",
               list, res->configure_args,
               any_source ? "" : "; headers are only checked through the .c files of the series");
  return FALSE;
}

/* When the series changes only C sources, the compiles before and after it
 * run at the same time: the unpatched text from a copy beside each file.
 * *TOGETHER comes in as whether jobs allow it, and goes out as whether it
 * is done so. */
static gboolean
make_shadows (BpBuildCheck *ck, GPtrArray *entries, GPtrArray *shadows, gboolean *together, GError **error)
{
  for (guint i = 0; i < ck->res->touched->len; i++)
    *together &= is_source_file (ck->res->touched->pdata[i]);
  for (guint i = 0; *together && i < entries->len; i++)
    {
      g_autoptr(GError) local = NULL;
      BpCompileEntry *shadow = bp_build_shadow_entry (ck, entries->pdata[i], &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (shadow)
        g_ptr_array_add (shadows, shadow);
      else
        *together = FALSE;
    }
  return TRUE;
}

/* Inputs of generated files (trace-events, qapi, meson.build) may have
 * changed: let ninja regenerate what depends on them, and when the build
 * itself was regenerated, read the objects again (a new file may have one). */
static gboolean
regenerate (BpBuildCheck *ck, BpBuildHeaders *headers, GHashTable *wanted, const char *cc_json, gint64 cc_mtime,
            GPtrArray **entries, guint n, guint *m, GCancellable *cancellable, GError **error)
{
  gboolean other_inputs = FALSE;
  for (guint i = 0; i < ck->res->touched->len; i++)
    {
      const char *f = ck->res->touched->pdata[i];
      other_inputs |= !is_source_file (f) && !is_header_file (f);
    }
  if (!other_inputs)
    return TRUE;
  if (!bp_build_headers_build (ck, headers, headers->needed, cancellable, error))
    return FALSE;
  if (bp_build_file_mtime (cc_json) == cc_mtime)
    return TRUE;
  g_autoptr(GPtrArray) again = bp_build_load_compile_entries (ck, wanted, error);
  if (again == NULL)
    return FALSE;
  g_clear_pointer (entries, g_ptr_array_unref);
  *entries = g_steal_pointer (&again);
  *m = n + (*entries)->len;
  return bp_build_headers_load (ck, *entries, headers, cancellable, error)
         && bp_build_headers_prepare (ck, headers, *entries, cancellable, error);
}

/* Put the tree's own text back over what the series wrote in the cache. */
static void
unpatch_cache (BpBuildCheck *ck, GPtrArray *touched)
{
  for (guint i = 0; i < touched->len; i++)
    {
      const char *f = touched->pdata[i];
      g_autofree char *s = g_build_filename (ck->tree, f, NULL);
      g_autofree char *d = g_build_filename (ck->src, f, NULL);
      g_autoptr(GError) local = NULL;
      if (g_file_test (s, G_FILE_TEST_IS_REGULAR))
        bp_build_copy_file (s, d, FALSE, &local);
      else
        g_unlink (d);
    }
  bp_build_rm_rf (ck->objects, NULL);
}

static gboolean
run_check (BpBuildCheck *ck, GCancellable *cancellable, GError **error)
{
  BpCheckResult *res = ck->res;
  gint64 start = g_get_monotonic_time ();

  if (!bp_build_check_prerequisites (ck, cancellable, error) || !make_work_dirs (ck, error))
    return FALSE;

  g_auto(BpBuildLock) lock = bp_build_take_lock (ck, cancellable, error);
  if (lock < 0)
    return FALSE;
  bp_test_pause ("check-locked");

  /* 1. The scratch copy. */
  gint64 t = g_get_monotonic_time ();
  BpSyncStats stats = { .can_link = TRUE };
  if (!bp_build_sync_dir (ck->tree, ck->src, TRUE, &stats, cancellable, error))
    return FALSE;
  bp_build_check_progress (ck, "scratch copy %s ready in %.1f s (%u placed%s, %u refreshed, %u removed)", ck->src,
                  bp_build_seconds_since (t), stats.placed, stats.can_link ? " as hard links" : " as copies",
                  stats.refreshed, stats.removed);
  bp_test_pause ("check-synced");

  /* 2. Where does the series go?  Nothing is written yet. */
  BpApplyOptions check_opts = { .target = BP_APPLY_TARGET_FILES, .check_only = TRUE };
  g_autoptr(GPtrArray) dry_reports = NULL;
  g_autoptr(GError) apply_error = NULL;
  if (!bp_apply_series (ck->line, ck->src, &check_opts, &dry_reports, cancellable, &apply_error))
    {
      res->seconds = bp_build_seconds_since (start);
      return does_not_apply (res, g_steal_pointer (&apply_error), g_steal_pointer (&dry_reports), error);
    }
  res->touched = touched_files (ck->line, dry_reports);

  /* 3. Configure (once per work directory). */
  if (!bp_build_configure (ck, cancellable, error))
    return FALSE;
  bp_test_pause ("check-configured");

  /* 4. The objects of the touched files. */
  g_autoptr(GHashTable) wanted = wanted_paths (ck, res->touched);
  g_autofree char *cc_json = g_build_filename (ck->build, "compile_commands.json", NULL);
  gint64 cc_mtime = bp_build_file_mtime (cc_json);
  t = g_get_monotonic_time ();
  g_autoptr(GPtrArray) entries = bp_build_load_compile_entries (ck, wanted, error);
  if (entries == NULL)
    return FALSE;
  bp_build_check_progress (ck, "%u object%s to compile, from compile_commands.json in %.1f s", entries->len,
                  entries->len == 1 ? "" : "s", bp_build_seconds_since (t));
  if (!note_unbuilt (res, entries, error))
    return FALSE;

  /* 5. Private copies of what the series will write, then the unpatched compile. */
  for (guint i = 0; i < res->touched->len; i++)
    if (!bp_build_unshare_file (ck->tree, ck->src, res->touched->pdata[i], error))
      return FALSE;
  g_mkdir_with_parents (ck->objects, 0755);
  g_auto(BpBuildHeaders) headers = { 0 };
  if (!bp_build_headers_load (ck, entries, &headers, cancellable, error)
      || !bp_build_headers_prepare (ck, &headers, entries, cancellable, error))
    return FALSE;
  guint n = 0, m = entries->len * 2;

  /* When the series changes only C sources, the compiles before and after
   * it run at the same time: the unpatched text from a copy beside each file. */
  gboolean together = ck->jobs >= 2;
  g_autoptr(GPtrArray) shadows = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_compile_entry_free);
  if (!make_shadows (ck, entries, shadows, &together, error))
    return FALSE;
  if (!together)
    {
      bp_build_remove_shadows (ck, shadows);
      if (!bp_build_compile_all (ck, &headers, entries, FALSE, &n, m, cancellable, error))
        return FALSE;
    }

  bp_test_pause ("check-before");
  /* 6. Apply for real (files only: no quilt bookkeeping, no commits). */
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES };
  g_autoptr(GPtrArray) reports = NULL;
  if (!bp_apply_series (ck->line, ck->src, &opts, &reports, cancellable, &apply_error))
    {
      res->seconds = bp_build_seconds_since (start);
      return does_not_apply (res, g_steal_pointer (&apply_error), g_steal_pointer (&reports), error);
    }
  res->apply_reports = g_steal_pointer (&reports);
  bp_test_pause ("check-applied");

  /* 7. Inputs of generated files (trace-events, qapi, meson.build) may have
   * changed: let ninja regenerate what depends on them. */
  if (!regenerate (ck, &headers, wanted, cc_json, cc_mtime, &entries, n, &m, cancellable, error))
    return FALSE;
  if (together)
    {
      if (!bp_build_compile_pairs (ck, &headers, shadows, entries, &n, m, cancellable, error))
        return FALSE;
    }
  else if (!bp_build_compile_all (ck, &headers, entries, TRUE, &n, m, cancellable, error))
    return FALSE;

  for (guint i = 0; i < res->results->len; i++)
    {
      BpCompileResult *r = res->results->pdata[i];
      r->new_warnings = bp_build_new_warnings (r->before.output, r->after.output);
    }
  res->verdict = bp_build_verdict_of (res->results);
  res->seconds = bp_build_seconds_since (start);

  bp_test_pause ("check-compiled");
  /* 8. Leave the cache unpatched unless asked to keep the result. */
  if (!ck->keep)
    unpatch_cache (ck, res->touched);
  return TRUE;
}

BpCheckResult *
bp_build_check (BpFixLine *line, const char *tree, const BpCheckOptions *options,
                GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (line != NULL && tree != NULL, NULL);
  BpCheckOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;

  if (!g_file_test (tree, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NOT_A_TREE,
                   "%s is not a directory: give the unpacked source tree", tree);
      return NULL;
    }
  g_autoptr(BpCheckResult) res = g_new0 (BpCheckResult, 1);
  res->line = g_strdup (line->name);
  res->tree = g_strdup (tree);
  g_autofree char *vpath = g_build_filename (tree, "VERSION", NULL);
  res->version = bp_build_read_trimmed (vpath);
  res->results = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_result_free);
  res->touched = NULL;

  BpBuildCheck ck = {
    .line = line,
    .tree = g_canonicalize_filename (tree, NULL),
    .jobs = options->jobs ? options->jobs : g_get_num_processors (),
    .timeout = options->timeout ? options->timeout : DEFAULT_TIMEOUT,
    .keep = options->keep,
    .progress = options->progress,
    .progress_data = options->progress_data,
    .res = res,
  };
  g_autofree char *ck_tree = ck.tree;

  if (!bp_build_detect_system (ck.tree, tree, &ck.system, error))
    return NULL;
  res->build_system = g_strdup (ck.system == BP_BUILD_QEMU ? "qemu" : "meson");
  ck.work = options->work_dir ? g_canonicalize_filename (options->work_dir, NULL)
                              : bp_build_default_work_dir (ck.tree);
  if (!bp_build_work_dir_apart (ck.tree, ck.work, error))
    {
      g_free (ck.work);
      return NULL;
    }

  gboolean ok = run_check (&ck, cancellable, error);
  g_free (ck.work);
  g_free (ck.src);
  g_free (ck.build);
  g_free (ck.objects);
  if (!ok)
    return NULL;
  if (res->touched == NULL)
    res->touched = g_ptr_array_new_with_free_func (g_free);
  return g_steal_pointer (&res);
}
