/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What to say about a check: verdicts, sentences, JSON (see check-report.h). */
#include <string.h>

#include "engines/apply.h"
#include "engines/build/build-private.h"
#include "report/check-report.h"
#include "report/report.h"

/* ------------------------------------------------------------------ */
/* What to say.                                                        */

const char *
bp_check_job_verdict (const BpCheckJob *job)
{
  if (job->error)
    return g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "interrupted" : "cannot-build";
  return bp_check_verdict_to_string (job->result->verdict);
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
            failed |= bp_compile_result_breaks (c) && !bp_compile_result_warns_anew (c);
            warned += bp_compile_result_warns_anew (c) ? c->new_warnings->len : 0;
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
add_job_json (JsonBuilder *b, const BpCheckJob *job, BpCheckExitOf exit_of)
{
  json_builder_begin_object (b);
  bp_json_add_string (b, "line", job->line->name);
  bp_json_add_string (b, "tree", job->tree);
  bp_json_add_string (b, "verdict", bp_check_job_verdict (job));
  json_builder_set_member_name (b, "exit");
  json_builder_add_int_value (b, exit_of (bp_check_job_outcome (job)));
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
bp_check_jobs_to_json (GPtrArray *jobs, BpCheckExitOf exit_of, int exit_code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "lines");
  json_builder_begin_array (b);
  for (guint i = 0; i < jobs->len; i++)
    add_job_json (b, jobs->pdata[i], exit_of);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "exit");
  json_builder_add_int_value (b, exit_code);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
