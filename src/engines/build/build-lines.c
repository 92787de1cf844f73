/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checking several lines at once, and the outcome of a line (see build.h). */
#include <string.h>

#include "engines/build/build-private.h"

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
/* Outcomes.                                                           */

BpCheckOutcome
bp_check_job_outcome (const BpCheckJob *job)
{
  if (job->error)
    return BP_CHECK_OUTCOME_CANNOT;
  switch (job->result->verdict)
    {
    case BP_CHECK_COMPILES: return BP_CHECK_OUTCOME_COMPILES;
    case BP_CHECK_SERIES_BREAKS:
    case BP_CHECK_DOES_NOT_APPLY: return BP_CHECK_OUTCOME_BREAKS;
    case BP_CHECK_ALREADY_BROKEN: return BP_CHECK_OUTCOME_CANNOT;
    }
  return BP_CHECK_OUTCOME_CANNOT;
}

gboolean
bp_compile_result_warns_anew (const BpCompileResult *c)
{
  return c->after.status == BP_COMPILE_OK && c->new_warnings && c->new_warnings->len > 0;
}

gboolean
bp_compile_result_breaks (const BpCompileResult *c)
{
  return (c->after.status == BP_COMPILE_FAILED && c->before.status != BP_COMPILE_FAILED)
         || bp_compile_result_warns_anew (c);
}

const char *
bp_compile_result_after_status (const BpCompileResult *c)
{
  return bp_compile_result_warns_anew (c) ? "warnings" : bp_compile_status_to_string (c->after.status);
}

