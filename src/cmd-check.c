/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport check: compile a line's series against a tree with the tree's
 * own build, before and after the series (build.c does the work). */
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "apply.h"
#include "bp-commands.h"
#include "bp-error.h"
#include "build.h"
#include "fixpack.h"

static char *opt_pack;
static char *opt_tree;
static char *opt_build_dir;
static gboolean opt_keep;
static int opt_jobs;
static int opt_timeout;
static gboolean opt_json;
static gboolean opt_all;
static char **opt_tree_for;

static GOptionEntry entries[] = {
  { "pack", 0, 0, G_OPTION_ARG_STRING, &opt_pack, "Fix pack (when there are several)", "NAME" },
  { "tree", 't', 0, G_OPTION_ARG_FILENAME, &opt_tree, "Source tree to compile against (never written)", "DIR" },
  { "build-dir", 'B', 0, G_OPTION_ARG_FILENAME, &opt_build_dir,
    "Work directory for the scratch copy and the configured build (default: cached per tree; "
    "with --all, one subdirectory per line)", "DIR" },
  { "keep", 'k', 0, G_OPTION_ARG_NONE, &opt_keep, "Leave the patched scratch copy and the objects in place", NULL },
  { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt_jobs, "Parallel jobs in all (default: number of processors)", "N" },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, "Deadline of each step in seconds (default 1800)", "SECONDS" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the result as JSON", NULL },
  { "all", 'a', 0, G_OPTION_ARG_NONE, &opt_all, "Check every line given a tree with --tree-for", NULL },
  { "tree-for", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_tree_for, "Tree for a line (repeatable)", "LINE=DIR" },
  { NULL },
};

typedef struct {
  BpFixLine *line;
  char *tree;
  char *work_dir;          /* NULL: default */
  BpCheckResult *result;
  GError *error;
} Job;

static void
job_free (Job *job)
{
  g_free (job->tree);
  g_free (job->work_dir);
  g_clear_pointer (&job->result, bp_check_result_free);
  g_clear_error (&job->error);
  g_free (job);
}

typedef struct {
  GPtrArray *jobs;         /* Job* */
  guint next;              /* first job not started */
  guint running;
  guint parallel;          /* lines at once */
  guint ninja_jobs;        /* ninja -j of each line */
  guint timeout;
  gboolean keep;
  GCancellable *cancellable;
  GMainLoop *loop;
} Runner;

static G_LOCK_DEFINE (progress);
static gint64 start_time;

static void
progress (const char *line, const char *message, gpointer data)
{
  G_LOCK (progress);
  fprintf (stderr, "check %s [%5.1f s]: %s\n", line,
           (double) (g_get_monotonic_time () - start_time) / G_USEC_PER_SEC, message);
  fflush (stderr);
  G_UNLOCK (progress);
}

static void
job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  Runner *runner = g_object_get_data (G_OBJECT (task), "runner");
  BpCheckOptions options = {
    .work_dir = job->work_dir,
    .keep = runner->keep,
    .jobs = runner->ninja_jobs,
    .timeout = runner->timeout,
    .progress = progress,
  };
  job->result = bp_build_check (job->line, job->tree, &options, cancellable, &job->error);
  g_task_return_boolean (task, TRUE);
}

static void start_jobs (Runner *runner);

static void
job_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Runner *runner = data;
  runner->running--;
  start_jobs (runner);
  if (runner->running == 0 && runner->next >= runner->jobs->len)
    g_main_loop_quit (runner->loop);
}

static void
start_jobs (Runner *runner)
{
  while (runner->running < runner->parallel && runner->next < runner->jobs->len)
    {
      Job *job = runner->jobs->pdata[runner->next++];
      g_autoptr(GTask) task = g_task_new (NULL, runner->cancellable, job_done, runner);
      g_object_set_data (G_OBJECT (task), "runner", runner);
      g_task_set_task_data (task, job, NULL);
      runner->running++;
      g_task_run_in_thread (task, job_thread);
    }
}

static gboolean
on_signal (gpointer data)
{
  Runner *runner = data;
  G_LOCK (progress);
  fprintf (stderr, "check: interrupted, stopping every build it started\n");
  G_UNLOCK (progress);
  g_cancellable_cancel (runner->cancellable);
  return G_SOURCE_CONTINUE;
}

/* Exit code of one line: 0 compiles, 1 the series breaks it (or does not
 * apply), 3 cannot build. */
static int
job_exit (const Job *job)
{
  if (job->error)
    return BP_EXIT_MISSING;
  switch (job->result->verdict)
    {
    case BP_CHECK_COMPILES: return BP_EXIT_OK;
    case BP_CHECK_SERIES_BREAKS:
    case BP_CHECK_DOES_NOT_APPLY: return BP_EXIT_FOUND;
    case BP_CHECK_ALREADY_BROKEN: return BP_EXIT_MISSING;
    }
  return BP_EXIT_MISSING;
}

static const char *
job_verdict (const Job *job)
{
  if (job->error)
    return g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "interrupted" : "cannot-build";
  return bp_check_verdict_to_string (job->result->verdict);
}

static gboolean
result_warns_anew (const BpCompileResult *c)
{
  return c->after.status == BP_COMPILE_OK && c->new_warnings && c->new_warnings->len > 0;
}

static gboolean
result_breaks (const BpCompileResult *c)
{
  return (c->after.status == BP_COMPILE_FAILED && c->before.status != BP_COMPILE_FAILED)
         || result_warns_anew (c);
}

static const char *
after_status (const BpCompileResult *c)
{
  return result_warns_anew (c) ? "warnings" : bp_compile_status_to_string (c->after.status);
}

static char *
job_sentence (const Job *job)
{
  if (g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup ("interrupted");
  if (job->error)
    return g_strdup_printf ("cannot build: %s", job->error->message);
  BpCheckResult *r = job->result;
  GString *files = g_string_new (NULL);
  for (guint i = 0; i < r->results->len; i++)
    {
      BpCompileResult *c = r->results->pdata[i];
      gboolean pick = r->verdict == BP_CHECK_SERIES_BREAKS ? result_breaks (c)
                                                           : c->before.status == BP_COMPILE_FAILED;
      if (pick && !strstr (files->str, c->file))
        g_string_append_printf (files, "%s%s", files->len ? ", " : "", c->file);
    }
  g_autofree char *list = g_string_free (files, FALSE);
  switch (r->verdict)
    {
    case BP_CHECK_COMPILES:
      return g_strdup_printf ("the series compiles (%u object%s, %.1f s)", r->results->len,
                              r->results->len == 1 ? "" : "s", r->seconds);
    case BP_CHECK_SERIES_BREAKS:
      {
        guint warned = 0;
        gboolean failed = FALSE;
        for (guint i = 0; i < r->results->len; i++)
          {
            BpCompileResult *c = r->results->pdata[i];
            failed |= result_breaks (c) && !result_warns_anew (c);
            warned += result_warns_anew (c) ? c->new_warnings->len : 0;
          }
        if (failed)
          return g_strdup_printf ("the series breaks the build: %s compiles before the series and fails with it",
                                  list);
        return g_strdup_printf ("the series breaks the build: %s gains %u new warning%s with it (errors under "
                                "-Werror, which QEMU's git builds use)", list, warned, warned == 1 ? "" : "s");
      }
    case BP_CHECK_ALREADY_BROKEN:
      return g_strdup_printf ("already broken before the series: %s does not compile unpatched", list);
    case BP_CHECK_DOES_NOT_APPLY:
      return g_strdup_printf ("the series does not apply: %s", r->apply_message);
    }
  return g_strdup ("?");
}

static void
print_text (const Job *job)
{
  printf ("== line %s: %s", job->line->name, job->tree);
  if (job->error)
    {
      g_autofree char *s = job_sentence (job);
      printf ("\n%s\n", s);
      return;
    }
  BpCheckResult *r = job->result;
  if (r->version)
    printf (" (QEMU %s)", r->version);
  g_autofree char *how = r->configured_now ? g_strdup_printf ("configured now in %.1f s", r->configure_seconds)
                                            : g_strdup ("configured before, reused");
  printf ("\n");
  if (r->configure_args)
    printf ("build: %s (%s)\n", r->build_dir, how);
  if (r->verdict != BP_CHECK_DOES_NOT_APPLY)
    {
      printf ("headers: %u ninja step%s in %.1f s\n", r->header_steps, r->header_steps == 1 ? "" : "s",
              r->header_seconds);
      guint w = 4;
      for (guint i = 0; i < r->results->len; i++)
        w = MAX (w, strlen (((BpCompileResult *) r->results->pdata[i])->file));
      printf ("%-*s  %-9s  %-9s  %s\n", (int) w, "FILE", "BEFORE", "AFTER", "OBJECT");
      for (guint i = 0; i < r->results->len; i++)
        {
          BpCompileResult *c = r->results->pdata[i];
          printf ("%-*s  %-9s  %-9s  %s\n", (int) w, c->file, bp_compile_status_to_string (c->before.status),
                  after_status (c), c->object ? c->object : "-");
        }
      for (guint i = 0; i < r->results->len; i++)
        {
          BpCompileResult *c = r->results->pdata[i];
          if (c->before.status == BP_COMPILE_FAILED)
            printf ("--- %s before the series (compiler output):\n%s", c->file, c->before.output);
          if (result_breaks (c))
            printf ("--- %s with the series (compiler output):\n%s", c->file, c->after.output);
        }
    }
  if (opt_keep && r->scratch_dir)
    printf ("kept: patched copy in %s, objects in %s/objects\n", r->scratch_dir, r->work_dir);
  g_autofree char *s = job_sentence (job);
  printf ("result: %s\n", s);
}

/* json-glib takes no NULL string: NULL becomes null. */
static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_run (JsonBuilder *b, const char *name, const BpCompileRun *run)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  add_string (b, "status", bp_compile_status_to_string (run->status));
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, run->seconds);
  add_string (b, "diagnostics", run->output ? run->output : "");
  json_builder_end_object (b);
}

static void
add_job_json (JsonBuilder *b, const Job *job)
{
  json_builder_begin_object (b);
  add_string (b, "line", job->line->name);
  add_string (b, "tree", job->tree);
  add_string (b, "verdict", job_verdict (job));
  json_builder_set_member_name (b, "exit");
  json_builder_add_int_value (b, job_exit (job));
  g_autofree char *sentence = job_sentence (job);
  add_string (b, "summary", sentence);
  if (job->error)
    {
      add_string (b, "error", job->error->message);
      json_builder_end_object (b);
      return;
    }
  BpCheckResult *r = job->result;
  add_string (b, "version", r->version);
  add_string (b, "build_system", r->build_system);
  add_string (b, "work_dir", r->work_dir);
  add_string (b, "build_dir", r->build_dir);
  json_builder_set_member_name (b, "configure");
  json_builder_begin_object (b);
  add_string (b, "args", r->configure_args);
  json_builder_set_member_name (b, "ran");
  json_builder_add_boolean_value (b, r->configured_now);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->configure_seconds);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "headers");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, r->header_steps);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->header_seconds);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->seconds);
  json_builder_set_member_name (b, "touched");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->touched->len; i++)
    json_builder_add_string_value (b, r->touched->pdata[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->results->len; i++)
    {
      BpCompileResult *c = r->results->pdata[i];
      json_builder_begin_object (b);
      add_string (b, "file", c->file);
      add_string (b, "object", c->object);
      add_run (b, "before", &c->before);
      add_run (b, "after", &c->after);
      json_builder_set_member_name (b, "new_warnings");
      json_builder_begin_array (b);
      for (guint k = 0; c->new_warnings && k < c->new_warnings->len; k++)
        json_builder_add_string_value (b, c->new_warnings->pdata[k]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "apply");
  json_builder_begin_object (b);
  add_string (b, "error", r->apply_message);
  json_builder_set_member_name (b, "hunks");
  json_builder_begin_array (b);
  for (guint i = 0; r->apply_reports && i < r->apply_reports->len; i++)
    {
      BpHunkReport *h = r->apply_reports->pdata[i];
      json_builder_begin_object (b);
      add_string (b, "patch", h->patch);
      add_string (b, "file", h->file);
      json_builder_set_member_name (b, "hunk");
      json_builder_add_int_value (b, h->hunk);
      json_builder_set_member_name (b, "stated_line");
      json_builder_add_int_value (b, h->stated_line);
      json_builder_set_member_name (b, "applied_line");
      json_builder_add_int_value (b, h->applied_line);
      add_string (b, "how", bp_hunk_match_to_string (h->how));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static gboolean
add_job (GPtrArray *jobs, BpFixPack *pack, const char *name, const char *tree, GError **error)
{
  BpFixLine *line = bp_fixpack_get_line (pack, name, error);
  if (line == NULL)
    return FALSE;
  if (line->dir == NULL || line->patches == NULL || line->patches->len == 0)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND,
                   "line %s carries no series (%s): nothing to compile", name, bp_verdict_to_string (line->verdict));
      return FALSE;
    }
  for (guint i = 0; i < jobs->len; i++)
    if (((Job *) jobs->pdata[i])->line == line)
      return bp_usage (error, "line %s is given twice", name);
  Job *job = g_new0 (Job, 1);
  job->line = line;
  job->tree = g_strdup (tree);
  g_ptr_array_add (jobs, job);
  return TRUE;
}

BP_CMD (check)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("[LINE] --tree DIR | --all --tree-for LINE=DIR...");
  g_option_context_set_summary (context,
      "Compile a line's series against a tree with the tree's own build: the touched objects are\n"
      "compiled before and after the series, in a scratch copy and a cached build directory.\n"
      "Exit 0 the series compiles, 1 it breaks the build (or does not apply), 3 cannot build.");
  g_option_context_add_main_entries (context, entries, NULL);
  opt_pack = opt_tree = opt_build_dir = NULL;
  opt_keep = opt_json = opt_all = FALSE;
  opt_jobs = opt_timeout = 0;
  opt_tree_for = NULL;
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  g_autofree char *pack_name = opt_pack;
  g_autofree char *tree = opt_tree;
  g_autofree char *build_dir = opt_build_dir;
  g_auto(GStrv) tree_for = opt_tree_for;

  if (opt_jobs < 0 || opt_timeout < 0)
    return bp_usage (error, "--jobs and --timeout take a positive number");
  if (argc > 2)
    return bp_usage (error, "one LINE at a time (or --all with --tree-for LINE=DIR)");
  const char *line_name = argc == 2 ? argv[1] : NULL;

  g_autoptr(BpFixPack) pack = bp_fixpack_load_default (pack_name, error);
  if (pack == NULL)
    return FALSE;

  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  if (opt_all || tree_for)
    {
      if (line_name || tree)
        return bp_usage (error, "--all takes its trees from --tree-for LINE=DIR, not LINE or --tree");
      if (tree_for == NULL)
        return bp_usage (error, "--all needs at least one --tree-for LINE=DIR");
      for (char **t = tree_for; *t; t++)
        {
          const char *eq = strchr (*t, '=');
          if (eq == NULL || eq == *t || eq[1] == '\0')
            return bp_usage (error, "--tree-for takes LINE=DIR, not '%s'", *t);
          g_autofree char *name = g_strndup (*t, eq - *t);
          if (!add_job (jobs, pack, name, eq + 1, error))
            return FALSE;
        }
      if (build_dir)
        for (guint i = 0; i < jobs->len; i++)
          {
            Job *job = jobs->pdata[i];
            job->work_dir = g_build_filename (build_dir, job->line->name, NULL);
          }
    }
  else
    {
      if (tree == NULL)
        return bp_usage (error, "give the tree to compile against with --tree DIR");
      if (line_name == NULL)
        {
          /* The line serving the tree's VERSION. */
          g_autofree char *vpath = g_build_filename (tree, "VERSION", NULL);
          g_autofree char *version = NULL;
          if (!g_file_get_contents (vpath, &version, NULL, NULL))
            return bp_usage (error, "%s has no VERSION file: name the LINE to check", tree);
          BpFixLine *line = bp_fixpack_line_for_version (pack, g_strstrip (version));
          if (line == NULL)
            return bp_usage (error, "no line of %s serves %s's VERSION %s: name the LINE to check", pack->name,
                             tree, version);
          line_name = line->name;
        }
      if (!add_job (jobs, pack, line_name, tree, error))
        return FALSE;
      if (build_dir)
        ((Job *) jobs->pdata[0])->work_dir = g_strdup (build_dir);
    }

  start_time = g_get_monotonic_time ();
  guint total_jobs = opt_jobs > 0 ? (guint) opt_jobs : g_get_num_processors ();
  guint parallel = MAX (1u, MIN (jobs->len, total_jobs));
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Runner runner = {
    .jobs = jobs,
    .parallel = parallel,
    .ninja_jobs = MAX (1u, total_jobs / parallel),
    .timeout = (guint) opt_timeout,
    .keep = opt_keep,
    .cancellable = cancellable,
    .loop = loop,
  };
  /* Builds run in their own process groups: a ^C reaches only us, and we
   * stop them. */
  guint sigint = g_unix_signal_add (SIGINT, on_signal, &runner);
  guint sigterm = g_unix_signal_add (SIGTERM, on_signal, &runner);
  start_jobs (&runner);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  int exit_code = BP_EXIT_OK;
  guint n_found = 0, n_missing = 0;
  for (guint i = 0; i < jobs->len; i++)
    {
      int code = job_exit (jobs->pdata[i]);
      n_found += code == BP_EXIT_FOUND;
      n_missing += code == BP_EXIT_MISSING;
    }
  exit_code = n_found ? BP_EXIT_FOUND : n_missing ? BP_EXIT_MISSING : BP_EXIT_OK;

  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "lines");
      json_builder_begin_array (b);
      for (guint i = 0; i < jobs->len; i++)
        add_job_json (b, jobs->pdata[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "exit");
      json_builder_add_int_value (b, exit_code);
      json_builder_end_object (b);
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      g_autofree char *text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
    }
  else
    {
      for (guint i = 0; i < jobs->len; i++)
        print_text (jobs->pdata[i]);
      if (jobs->len > 1)
        {
          printf ("\n%-6s  %-20s  %-10s  %s\n", "LINE", "VERDICT", "TIME", "TREE");
          for (guint i = 0; i < jobs->len; i++)
            {
              Job *job = jobs->pdata[i];
              g_autofree char *secs = job->result ? g_strdup_printf ("%.1f s", job->result->seconds) : g_strdup ("-");
              printf ("%-6s  %-20s  %-10s  %s\n", job->line->name, job_verdict (job), secs, job->tree);
            }
        }
    }
  fflush (stdout);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, BP_EXIT_ERROR, BP_EXIT_MISSING, "interrupted; every build it started was stopped");
      return FALSE;
    }
  if (exit_code == BP_EXIT_OK)
    return TRUE;
  /* One line naming what went wrong (the details are on stdout). */
  if (jobs->len == 1)
    {
      g_autofree char *s = job_sentence (jobs->pdata[0]);
      g_set_error (error, BP_EXIT_ERROR, exit_code, "line %s: %s", ((Job *) jobs->pdata[0])->line->name, s);
    }
  else
    g_set_error (error, BP_EXIT_ERROR, exit_code, "%u of %u lines break the build or do not apply, %u cannot be built",
                 n_found, jobs->len, n_missing);
  return FALSE;
}
