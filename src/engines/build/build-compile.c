/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compiling the objects before and after the series (at the same time when
 * only C sources change), and judging the runs: new warnings, the verdict. */
#include <string.h>

#include <glib/gstdio.h>

#include "engines/build/build-private.h"

/* The compiler's output with the scratch copy's paths made tree-relative. */
static char *
clean_diagnostics (BpBuildCheck *ck, const BpCompileEntry *e, const char *output)
{
  g_autofree char *abs_prefix = g_strconcat (ck->src, "/", NULL);
  g_autofree char *a = bp_build_replace_all (output, abs_prefix, "");
  /* Relative spelling as meson writes it ("../src/"). */
  g_autofree char *rel = NULL;
  if (g_str_has_prefix (ck->src, ck->work) && g_str_has_prefix (e->directory, ck->work))
    {
      const char *dsub = e->directory + strlen (ck->work);
      guint depth = 0;
      for (const char *p = dsub; *p; p++)
        if (*p == '/' && p[1] && p[1] != '/')
          depth++;
      GString *r = g_string_new (NULL);
      for (guint i = 0; i < depth; i++)
        g_string_append (r, "../");
      g_string_append (r, ck->src + strlen (ck->work) + 1);
      g_string_append_c (r, '/');
      rel = g_string_free (r, FALSE);
    }
  g_autofree char *b = rel ? bp_build_replace_all (a, rel, "") : g_steal_pointer (&a);
  return e->shadow_of ? bp_build_replace_all (b, e->rel, e->shadow_of) : g_steal_pointer (&b);
}

static gboolean
compile_entry (BpBuildCheck *ck, const BpCompileEntry *e, const char *phase, BpCompileRun *run, GPtrArray **deps,
               GCancellable *cancellable, GError **error)
{
  g_autofree char *src_file = g_build_filename (ck->src, e->rel, NULL);
  if (!g_file_test (src_file, G_FILE_TEST_EXISTS))
    {
      run->status = BP_COMPILE_ABSENT;
      return TRUE;
    }
  g_autofree char *flat = g_strdelimit (g_strdup (e->output), "/", '_');
  g_autofree char *obj = g_strdup_printf ("%s/%s.%s.o", ck->objects, flat, phase);
  g_autofree char *depfile = g_strdup_printf ("%s/%s.%s.d", ck->objects, flat, phase);
  g_unlink (depfile);
  g_autoptr(GPtrArray) argv = bp_build_compiler_argv (e, obj, depfile);

  gint64 start = g_get_monotonic_time ();
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) local = NULL;
  if (!bp_build_run ((const char *const *) argv->pdata, e->directory, ck->timeout, &out, &status,
                     cancellable, &local))
    {
      if (g_error_matches (local, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT))
        g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT,
                     "compiling %s ran past its deadline of %u s and was killed",
                     e->rel, ck->timeout);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  run->seconds = bp_build_seconds_since (start);
  run->status = status == 0 ? BP_COMPILE_OK : BP_COMPILE_FAILED;
  g_free (run->output);
  run->output = clean_diagnostics (ck, e, out);
  *deps = bp_build_depfile_entries (ck, depfile);
  return TRUE;
}

/* One compile of a check: an entry (or its shadow) in a phase. */
typedef struct {
  BpBuildCheck *ck;
  BpCompileEntry *e;
  const char *phase;      /* "before" / "after" */
  BpCompileRun *run;
  GPtrArray *deps;
  GCancellable *cancellable;
  GError *error;
  gboolean ok;
} CompileTask;

static void
compile_task_free (CompileTask *t)
{
  g_clear_pointer (&t->deps, g_ptr_array_unref);
  g_clear_error (&t->error);
  g_free (t);
}

static gpointer
compile_task_thread (gpointer data)
{
  CompileTask *t = data;
  t->ok = compile_entry (t->ck, t->e, t->phase, t->run, &t->deps, t->cancellable, &t->error);
  return NULL;
}

/* Run TASKS, up to ck->jobs at once; then, one by one, generate what a
 * compile found missing and compile it again. */
static gboolean
run_compile_tasks (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *tasks, guint *n, guint m, GCancellable *cancellable,
                   GError **error)
{
  for (guint i = 0; i < tasks->len; i += ck->jobs)
    {
      guint end = MIN (tasks->len, i + ck->jobs);
      g_autoptr(GPtrArray) threads = g_ptr_array_new ();
      for (guint k = i; k < end; k++)
        {
          CompileTask *t = tasks->pdata[k];
          (*n)++;
          bp_build_check_progress (ck, "compiling %u of %u: %s (%s the series)", *n, m,
                          t->e->shadow_of ? t->e->shadow_of : t->e->rel,
                          strcmp (t->phase, "after") == 0 ? "with" : "before");
          if (end - i == 1)
            compile_task_thread (t);
          else
            g_ptr_array_add (threads, g_thread_new ("bp-compile", compile_task_thread, t));
        }
      for (guint k = 0; k < threads->len; k++)
        g_thread_join (threads->pdata[k]);
      for (guint k = i; k < end; k++)
        {
          CompileTask *t = tasks->pdata[k];
          if (!t->ok)
            {
              g_propagate_error (error, g_steal_pointer (&t->error));
              return FALSE;
            }
        }
    }
  for (guint i = 0; i < tasks->len; i++)
    {
      CompileTask *t = tasks->pdata[i];
      for (guint attempt = 0; attempt < 2; attempt++)
        {
          gboolean again = FALSE;
          if (!bp_build_headers_follow_up (ck, h, t->e, t->run, t->deps, &again, cancellable, error))
            return FALSE;
          if (!again)
            break;
          g_clear_pointer (&t->deps, g_ptr_array_unref);
          if (!compile_entry (ck, t->e, t->phase, t->run, &t->deps, cancellable, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* "warning: text [-Wflag]" without its location, to compare runs. */
static char *
warning_key (const char *line)
{
  const char *w = strstr (line, ": warning: ");
  if (w == NULL)
    return NULL;
  /* The file name stays (up to its first ':'), the line number goes. */
  const char *colon = strchr (line, ':');
  return g_strdup_printf ("%.*s%s", (int) (colon - line), line, w);
}

GPtrArray *
bp_build_new_warnings (const char *before, const char *after)
{
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) bl = g_strsplit (before ? before : "", "\n", -1);
  for (char **l = bl; *l; l++)
    {
      char *k = warning_key (*l);
      if (k)
        {
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, k));
          g_hash_table_replace (counts, k, GUINT_TO_POINTER (n + 1));
        }
    }
  GPtrArray *added = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) al = g_strsplit (after ? after : "", "\n", -1);
  for (char **l = al; *l; l++)
    {
      g_autofree char *k = warning_key (*l);
      if (k == NULL)
        continue;
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, k));
      if (n > 0)
        g_hash_table_replace (counts, g_strdup (k), GUINT_TO_POINTER (n - 1));
      else
        g_ptr_array_add (added, g_strdup (*l));
    }
  return added;
}

BpCheckVerdict
bp_build_verdict_of (GPtrArray *results)
{
  gboolean breaks = FALSE, broken = FALSE;
  for (guint i = 0; i < results->len; i++)
    {
      BpCompileResult *r = results->pdata[i];
      if (r->object == NULL)
        continue;
      if (r->after.status == BP_COMPILE_FAILED && r->before.status != BP_COMPILE_FAILED)
        breaks = TRUE;
      else if (r->after.status == BP_COMPILE_OK && r->new_warnings && r->new_warnings->len > 0)
        breaks = TRUE;
      else if (r->after.status == BP_COMPILE_FAILED)
        broken = TRUE;
    }
  if (breaks)
    return BP_CHECK_SERIES_BREAKS;
  if (broken)
    return BP_CHECK_ALREADY_BROKEN;
  return BP_CHECK_COMPILES;
}

static BpCompileResult *
result_for (BpBuildCheck *ck, BpCompileEntry *e)
{
  for (guint k = 0; k < ck->res->results->len; k++)
    {
      BpCompileResult *c = ck->res->results->pdata[k];
      if (g_strcmp0 (c->object, e->output) == 0)
        return c;
    }
  BpCompileResult *r = g_new0 (BpCompileResult, 1);
  r->file = g_strdup (e->shadow_of ? e->shadow_of : e->rel);
  r->object = g_strdup (e->output);
  r->before.status = BP_COMPILE_ABSENT;
  r->after.status = BP_COMPILE_ABSENT;
  g_ptr_array_add (ck->res->results, r);
  return r;
}

static void
add_task (BpBuildCheck *ck, GPtrArray *tasks, BpCompileEntry *e, gboolean after, GCancellable *cancellable)
{
  BpCompileResult *r = result_for (ck, e);
  CompileTask *t = g_new0 (CompileTask, 1);
  t->ck = ck;
  t->e = e;
  t->phase = after ? "after" : "before";
  t->run = after ? &r->after : &r->before;
  t->cancellable = cancellable;
  g_ptr_array_add (tasks, t);
}

void
bp_build_remove_shadows (BpBuildCheck *ck, GPtrArray *shadows)
{
  for (guint i = 0; i < shadows->len; i++)
    {
      g_autofree char *path = g_build_filename (ck->src, ((BpCompileEntry *) shadows->pdata[i])->rel, NULL);
      g_unlink (path);
    }
  g_ptr_array_set_size (shadows, 0);
}

gboolean
bp_build_compile_all (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *entries, gboolean after, guint *n, guint m,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_task_free);
  for (guint i = 0; i < entries->len; i++)
    add_task (ck, tasks, entries->pdata[i], after, cancellable);
  return run_compile_tasks (ck, h, tasks, n, m, cancellable, error);
}

/* The unpatched text of E's file as a copy beside it (same directory, so
 * the same quoted includes), and an entry that compiles that copy: then
 * the compiles before and after the series can run at the same time.
 * NULL when the command does not name the file plainly. */
BpCompileEntry *
bp_build_shadow_entry (BpBuildCheck *ck, const BpCompileEntry *e, GError **error)
{
  guint found = 0;
  for (guint i = 0; e->argv[i]; i++)
    found += strcmp (e->argv[i], e->file_arg) == 0;
  if (found != 1)
    return NULL;
  g_autofree char *rdir = g_path_get_dirname (e->rel);
  g_autofree char *base = g_path_get_basename (e->rel);
  g_autofree char *shadow_base = g_strconcat (".bp-before.", base, NULL);
  g_autofree char *arg_dir = g_path_get_dirname (e->file_arg);

  BpCompileEntry *s = g_new0 (BpCompileEntry, 1);
  s->rel = strcmp (rdir, ".") == 0 ? g_strdup (shadow_base) : g_build_filename (rdir, shadow_base, NULL);
  s->shadow_of = g_strdup (e->rel);
  s->directory = g_strdup (e->directory);
  s->output = g_strdup (e->output);
  s->file_arg = g_build_filename (arg_dir, shadow_base, NULL);
  s->argv = g_strdupv (e->argv);
  for (guint i = 0; s->argv[i]; i++)
    if (strcmp (s->argv[i], e->file_arg) == 0)
      {
        g_free (s->argv[i]);
        s->argv[i] = g_strdup (s->file_arg);
      }
  g_autofree char *from = g_build_filename (ck->src, e->rel, NULL);
  g_autofree char *to = g_build_filename (ck->src, s->rel, NULL);
  if (g_file_test (from, G_FILE_TEST_IS_REGULAR) && !bp_build_copy_file (from, to, TRUE, error))
    {
      bp_compile_entry_free (s);
      return NULL;
    }
  return s;
}

/* Compile each of SHADOWS (the unpatched copies) and ENTRIES (the patched
 * files) at the same time, then remove the shadows. */
gboolean
bp_build_compile_pairs (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *shadows, GPtrArray *entries, guint *n,
                        guint m, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_task_free);
  for (guint i = 0; i < entries->len; i++)
    {
      add_task (ck, tasks, shadows->pdata[i], FALSE, cancellable);
      add_task (ck, tasks, entries->pdata[i], TRUE, cancellable);
    }
  gboolean ok = run_compile_tasks (ck, h, tasks, n, m, cancellable, error);
  bp_build_remove_shadows (ck, shadows);
  return ok;
}
