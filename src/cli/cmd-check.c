/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport check: compile a line's series against a tree with the tree's
 * own build, before and after the series (build.h and build-*.c do the work). */
#include <stdio.h>
#include <string.h>


#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "engines/build/build.h"
#include "report/check-report.h"
#include "model/fixpack.h"
#include "report/report.h"

static char *opt_tree;
static char *opt_build_dir;
static gboolean opt_keep;
static int opt_jobs;
static int opt_timeout;
static gboolean opt_all;
static char **opt_tree_for;

static GOptionEntry entries[] = {
  BP_OPTION_PACK,
  { "tree", 't', 0, G_OPTION_ARG_FILENAME, &opt_tree, "Source tree to compile against (never written)", "DIR" },
  { "build-dir", 'B', 0, G_OPTION_ARG_FILENAME, &opt_build_dir,
    "Work directory for the scratch copy and the configured build (default: cached per tree; "
    "with --all, one subdirectory per line)", "DIR" },
  { "keep", 'k', 0, G_OPTION_ARG_NONE, &opt_keep, "Leave the patched scratch copy and the objects in place", NULL },
  { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt_jobs, "Parallel jobs in all (default: number of processors)", "N" },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, "Deadline of each step in seconds (default 1800)", "SECONDS" },
  BP_OPTION_JSON ("Print the result as JSON"),
  { "all", 'a', 0, G_OPTION_ARG_NONE, &opt_all, "Check every line given a tree with --tree-for", NULL },
  { "tree-for", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_tree_for, "Tree for a line (repeatable)", "LINE=DIR" },
  { NULL },
};

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

/* 0 compiles, 1 the series breaks the build (or does not apply), 3 the
 * tree cannot be built or is broken before the series. */
static int
exit_of (BpCheckOutcome outcome)
{
  switch (outcome)
    {
    case BP_CHECK_OUTCOME_COMPILES: return BP_EXIT_OK;
    case BP_CHECK_OUTCOME_BREAKS: return BP_EXIT_FOUND;
    case BP_CHECK_OUTCOME_CANNOT: return BP_EXIT_MISSING;
    }
  return BP_EXIT_MISSING;
}

static void
print_text (const BpCheckJob *job)
{
  printf ("== line %s: %s", job->line->name, job->tree);
  if (job->error)
    {
      g_autofree char *s = bp_check_job_sentence (job);
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
                  bp_compile_result_after_status (c), c->object ? c->object : "-");
        }
      for (guint i = 0; i < r->results->len; i++)
        {
          BpCompileResult *c = r->results->pdata[i];
          if (c->before.status == BP_COMPILE_FAILED)
            printf ("--- %s before the series (compiler output):\n%s", c->file, c->before.output);
          if (bp_compile_result_breaks (c))
            printf ("--- %s with the series (compiler output):\n%s", c->file, c->after.output);
        }
    }
  if (opt_keep && r->scratch_dir)
    printf ("kept: patched copy in %s, objects in %s/objects\n", r->scratch_dir, r->work_dir);
  g_autofree char *s = bp_check_job_sentence (job);
  printf ("result: %s\n", s);
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
    if (((BpCheckJob *) jobs->pdata[i])->line == line)
      return bp_usage (error, "line %s is given twice", name);
  g_ptr_array_add (jobs, bp_check_job_new (line, tree));
  return TRUE;
}

/* --all/--tree-for LINE=DIR...: one job per line, each in BUILD_DIR/LINE. */
static gboolean
jobs_from_tree_for (GPtrArray *jobs, BpFixPack *pack, char **tree_for, const char *build_dir, GError **error)
{
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
  for (guint i = 0; build_dir && i < jobs->len; i++)
    {
      BpCheckJob *job = jobs->pdata[i];
      job->work_dir = g_build_filename (build_dir, job->line->name, NULL);
    }
  return TRUE;
}

/* LINE (NULL: the one serving TREE's VERSION) against TREE. */
static gboolean
job_for_tree (GPtrArray *jobs, BpFixPack *pack, const char *line_name, const char *tree, const char *build_dir,
              GError **error)
{
  if (tree == NULL)
    return bp_usage (error, "give the tree to compile against with --tree DIR");
  if (line_name == NULL)
    {
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
    ((BpCheckJob *) jobs->pdata[0])->work_dir = g_strdup (build_dir);
  return TRUE;
}

static void
print_jobs (GPtrArray *jobs, int exit_code)
{
  if (bp_opt.json)
    {
      g_autoptr(JsonNode) root = bp_check_jobs_to_json (jobs, exit_of, exit_code);
      bp_json_print (root);
      return;
    }
  for (guint i = 0; i < jobs->len; i++)
    print_text (jobs->pdata[i]);
  if (jobs->len <= 1)
    return;
  printf ("\n%-6s  %-20s  %-10s  %s\n", "LINE", "VERDICT", "TIME", "TREE");
  for (guint i = 0; i < jobs->len; i++)
    {
      BpCheckJob *job = jobs->pdata[i];
      g_autofree char *secs = job->result ? g_strdup_printf ("%.1f s", job->result->seconds) : g_strdup ("-");
      printf ("%-6s  %-20s  %-10s  %s\n", job->line->name, bp_check_job_verdict (job), secs, job->tree);
    }
}

/* Print the jobs, and the one-line error main turns into the exit code. */
static gboolean
finish (GPtrArray *jobs, GCancellable *cancellable, GError **error)
{
  for (guint i = 0; i < jobs->len; i++)
    {
      BpCheckJob *job = jobs->pdata[i];
      bp_cmd_hint (&job->error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT, " (see --timeout)");
      bp_cmd_hint (&job->error, BP_BUILD_ERROR, BP_BUILD_ERROR_BUSY, "; use --build-dir for a separate one");
      bp_cmd_hint (&job->error, BP_BUILD_ERROR, BP_BUILD_ERROR_NESTED, ": give --build-dir outside the tree");
    }
  guint n_found = 0, n_missing = 0;
  for (guint i = 0; i < jobs->len; i++)
    {
      int code = exit_of (bp_check_job_outcome (jobs->pdata[i]));
      n_found += code == BP_EXIT_FOUND;
      n_missing += code == BP_EXIT_MISSING;
    }
  int exit_code = n_found ? BP_EXIT_FOUND : n_missing ? BP_EXIT_MISSING : BP_EXIT_OK;
  print_jobs (jobs, exit_code);
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
      g_autofree char *s = bp_check_job_sentence (jobs->pdata[0]);
      g_set_error (error, BP_EXIT_ERROR, exit_code, "line %s: %s", ((BpCheckJob *) jobs->pdata[0])->line->name, s);
    }
  else
    g_set_error (error, BP_EXIT_ERROR, exit_code, "%u of %u lines break the build or do not apply, %u cannot be built",
                 n_found, jobs->len, n_missing);
  return FALSE;
}

BP_CMD (check)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("[LINE] --tree DIR | --all --tree-for LINE=DIR...");
  g_option_context_set_summary (context,
      "Compile a line's series against a tree with the tree's own build: the touched objects are\n"
      "compiled before and after the series, in a scratch copy and a cached build directory.\n"
      "Exit 0 the series compiles, 1 it breaks the build (or does not apply), 3 cannot build.");
  g_option_context_add_main_entries (context, entries, NULL);
  opt_tree = opt_build_dir = NULL;
  opt_keep = opt_all = FALSE;
  opt_jobs = opt_timeout = 0;
  opt_tree_for = NULL;
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  g_autofree char *tree = opt_tree;
  g_autofree char *build_dir = opt_build_dir;
  g_auto(GStrv) tree_for = opt_tree_for;
  if (opt_jobs < 0 || opt_timeout < 0)
    return bp_usage (error, "--jobs and --timeout take a positive number");
  if (argc > 2)
    return bp_usage (error, "one LINE at a time (or --all with --tree-for LINE=DIR)");
  const char *line_name = argc == 2 ? argv[1] : NULL;
  if ((opt_all || tree_for) && (line_name || tree))
    return bp_usage (error, "--all takes its trees from --tree-for LINE=DIR, not LINE or --tree");

  g_autoptr(BpFixPack) pack = bp_cmd_load_pack (bp_opt.pack, error);
  if (pack == NULL)
    return FALSE;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_check_job_free);
  if (!(opt_all || tree_for ? jobs_from_tree_for (jobs, pack, tree_for, build_dir, error)
                            : job_for_tree (jobs, pack, line_name, tree, build_dir, error)))
    return FALSE;

  start_time = g_get_monotonic_time ();
  BpCheckOptions options = {
    .keep = opt_keep, .jobs = (guint) opt_jobs, .timeout = (guint) opt_timeout, .progress = progress,
  };
  /* Builds run in their own process groups: a ^C reaches only us, and
   * main.c's cancel stops them. */
  bp_build_check_lines (jobs, &options, cancellable);
  return finish (jobs, cancellable, error);
}

BP_COMPLETE (check)
{
  if (!bp_complete_options (c, entries) && bp_complete_arg_index (c, entries) == 1)
    bp_complete_lines (c);
}
