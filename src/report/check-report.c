/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checking several lines at once, and what to say about the results: exit
 * codes, verdicts, sentences, JSON (see build.h). */
#include <string.h>

#include "engines/apply.h"
#include "base/bp-error.h"
#include "engines/build/build-private.h"
#include "report/report.h"

BpCheckJob *
bp_check_job_new (BpFixLine *line, const char *tree)
{
  BpCheckJob *job = g_new0 (BpCheckJob, 1);
  job->line = line;
  job->tree = g_strdup (tree);
  return job;
}

void
bp_check_job_free (BpCheckJob *job)
{
  if (job == NULL)
    return;
  g_free (job->tree);
  g_free (job->work_dir);
  g_clear_pointer (&job->result, bp_check_result_free);
  g_clear_error (&job->error);
  g_free (job);
}

/* ------------------------------------------------------------------ */
/* Several lines at once.                                              */

typedef struct {
  GPtrArray *jobs;         /* BpCheckJob* */
  guint next;              /* first job not started */
  guint running;
  guint parallel;          /* lines at once */
  BpCheckOptions options;  /* of each line: ninja -j, timeout, progress */
  GCancellable *cancellable;
  GMainLoop *loop;
} Runner;

static void
job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BpCheckJob *job = data;
  Runner *runner = g_object_get_data (G_OBJECT (task), "runner");
  BpCheckOptions options = runner->options;
  options.work_dir = job->work_dir;
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
      BpCheckJob *job = runner->jobs->pdata[runner->next++];
      g_autoptr(GTask) task = g_task_new (NULL, runner->cancellable, job_done, runner);
      g_object_set_data (G_OBJECT (task), "runner", runner);
      g_task_set_task_data (task, job, NULL);
      runner->running++;
      g_task_run_in_thread (task, job_thread);
    }
}

void
bp_build_check_lines (GPtrArray *jobs, const BpCheckOptions *options, GCancellable *cancellable)
{
  BpCheckOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;
  guint total_jobs = options->jobs > 0 ? options->jobs : g_get_num_processors ();
  guint parallel = MAX (1u, MIN (jobs->len, total_jobs));
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Runner runner = {
    .jobs = jobs,
    .parallel = parallel,
    .options = *options,
    .cancellable = cancellable,
    .loop = loop,
  };
  runner.options.jobs = MAX (1u, total_jobs / parallel);
  runner.options.work_dir = NULL;
  start_jobs (&runner);
  g_main_loop_run (loop);
}

/* ------------------------------------------------------------------ */
/* What to say.                                                        */

int
bp_check_job_exit (const BpCheckJob *job)
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

int
bp_check_jobs_exit (GPtrArray *jobs, guint *n_found, guint *n_missing)
{
  guint found = 0, missing = 0;
  for (guint i = 0; i < jobs->len; i++)
    {
      int code = bp_check_job_exit (jobs->pdata[i]);
      found += code == BP_EXIT_FOUND;
      missing += code == BP_EXIT_MISSING;
    }
  if (n_found)
    *n_found = found;
  if (n_missing)
    *n_missing = missing;
  return found ? BP_EXIT_FOUND : missing ? BP_EXIT_MISSING : BP_EXIT_OK;
}

const char *
bp_check_job_verdict (const BpCheckJob *job)
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

gboolean
bp_compile_result_breaks (const BpCompileResult *c)
{
  return (c->after.status == BP_COMPILE_FAILED && c->before.status != BP_COMPILE_FAILED)
         || result_warns_anew (c);
}

const char *
bp_compile_result_after_status (const BpCompileResult *c)
{
  return result_warns_anew (c) ? "warnings" : bp_compile_status_to_string (c->after.status);
}

char *
bp_check_job_sentence (const BpCheckJob *job)
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
      gboolean pick = r->verdict == BP_CHECK_SERIES_BREAKS ? bp_compile_result_breaks (c)
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
            failed |= bp_compile_result_breaks (c) && !result_warns_anew (c);
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

/* ------------------------------------------------------------------ */
/* JSON.                                                               */

static void
add_run (JsonBuilder *b, const char *name, const BpCompileRun *run)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  bp_json_add_string (b, "status", bp_compile_status_to_string (run->status));
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, run->seconds);
  bp_json_add_string (b, "diagnostics", run->output ? run->output : "");
  json_builder_end_object (b);
}

static void
add_job_json (JsonBuilder *b, const BpCheckJob *job)
{
  json_builder_begin_object (b);
  bp_json_add_string (b, "line", job->line->name);
  bp_json_add_string (b, "tree", job->tree);
  bp_json_add_string (b, "verdict", bp_check_job_verdict (job));
  json_builder_set_member_name (b, "exit");
  json_builder_add_int_value (b, bp_check_job_exit (job));
  g_autofree char *sentence = bp_check_job_sentence (job);
  bp_json_add_string (b, "summary", sentence);
  if (job->error)
    {
      bp_json_add_string (b, "error", job->error->message);
      json_builder_end_object (b);
      return;
    }
  BpCheckResult *r = job->result;
  bp_json_add_string (b, "version", r->version);
  bp_json_add_string (b, "build_system", r->build_system);
  bp_json_add_string (b, "work_dir", r->work_dir);
  bp_json_add_string (b, "build_dir", r->build_dir);
  json_builder_set_member_name (b, "configure");
  json_builder_begin_object (b);
  bp_json_add_string (b, "args", r->configure_args);
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
      bp_json_add_string (b, "file", c->file);
      bp_json_add_string (b, "object", c->object);
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
  bp_json_add_string (b, "error", r->apply_message);
  json_builder_set_member_name (b, "hunks");
  json_builder_begin_array (b);
  for (guint i = 0; r->apply_reports && i < r->apply_reports->len; i++)
    {
      bp_hunk_report_to_json (b, r->apply_reports->pdata[i]);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

JsonNode *
bp_check_jobs_to_json (GPtrArray *jobs, int exit_code)
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
  return json_builder_get_root (b);
}
