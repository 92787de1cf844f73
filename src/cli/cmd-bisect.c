/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport bisect: find the first bad commit with git's algorithm and a
 * predicate (repro by default: the commit that made QEMU map private guest
 * RAM by file).  Progress on stderr, the answer on stdout (or --json), a log
 * that --replay (and `git bisect replay`) reads back. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "engines/bisect/bisect-predicate.h"
#include "engines/bisect/bisect-run.h"
#include "engines/bisect/bisect.h"
#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "base/bp-git.h"
#include "base/git-autoptr.h"


static char **opt_good = NULL;
static char *opt_bad = NULL;
static char *opt_predicate = NULL;
static char *opt_run = NULL;
static char *opt_path = NULL;
static char *opt_pattern = NULL;
static gboolean opt_invert = FALSE;
static gboolean opt_first_parent = FALSE;
static char *opt_log = NULL;
static char *opt_replay = NULL;
static char **opt_paths = NULL;
static gboolean opt_submodules = FALSE;
static int opt_max_skips = -1;

static GOptionEntry entries[] = {
  BP_OPTION_REPO ("Repository to bisect (default: .)"),
  { "good", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_good, "A good revision (repeatable)", "REV" },
  { "bad", 0, 0, G_OPTION_ARG_STRING, &opt_bad, "The bad revision", "REV" },
  { "predicate", 0, 0, G_OPTION_ARG_STRING, &opt_predicate,
    "repro (default), content or run", "NAME" },
  { "run", 0, 0, G_OPTION_ARG_STRING, &opt_run,
    "run: shell command; exit 0 good, 125 skip, 1-127 bad, 128+ abort", "CMD" },
  { "paths", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_paths,
    "run: export only files matching GLOB (repeatable; * crosses '/', a directory means all below)", "GLOB" },
  { "submodules", 0, 0, G_OPTION_ARG_NONE, &opt_submodules,
    "run: check submodules out from the repository's own modules/ (default: empty directories)", NULL },
  { "max-skips", 0, 0, G_OPTION_ARG_INT, &opt_max_skips,
    "Give up (exit 3) when the predicate skips more than N commits (default: no bound, as git)", "N" },
  { "path", 0, 0, G_OPTION_ARG_STRING, &opt_path, "content: file to test", "PATH" },
  { "pattern", 0, 0, G_OPTION_ARG_STRING, &opt_pattern,
    "content: regular expression; bad when it matches", "REGEX" },
  { "invert", 0, 0, G_OPTION_ARG_NONE, &opt_invert, "content: bad when the pattern does NOT match", NULL },
  { "first-parent", 0, 0, G_OPTION_ARG_NONE, &opt_first_parent, "Follow only first parents", NULL },
  { "log", 0, 0, G_OPTION_ARG_FILENAME, &opt_log, "Write a bisect log (git bisect log format)", "FILE" },
  { "replay", 0, 0, G_OPTION_ARG_FILENAME, &opt_replay,
    "Replay a bisect log, then carry on with the predicate", "FILE" },
  BP_OPTION_JSON ("Print the result as JSON"),
  { NULL },
};

/* ---- output ------------------------------------------------------------ */

/* git log's view of the first bad commit. */
static void
print_commit (git_repository *repo, const char *hex)
{
  git_commit *c = NULL;
  git_oid oid;
  if (git_oid_fromstr (&oid, hex) < 0 || git_commit_lookup (&c, repo, &oid) < 0)
    {
      printf ("commit %s\n", hex);
      return;
    }
  const git_signature *a = git_commit_author (c);
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (a->when.time);
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (a->when.offset * 60);
  g_autoptr(GDateTime) local = dt ? g_date_time_to_timezone (dt, tz) : NULL;
  g_autofree char *date = local ? g_date_time_format (local, "%a %b %-d %H:%M:%S %Y %z") : g_strdup ("");
  printf ("commit %s\nAuthor: %s <%s>\nDate:   %s\n\n", hex, a->name, a->email, date);
  g_auto(GStrv) lines = g_strsplit (git_commit_message (c), "\n", -1);
  guint n = g_strv_length (lines);
  while (n > 0 && lines[n - 1][0] == '\0')
    n--;
  for (guint i = 0; i < n; i++)
    printf (lines[i][0] ? "    %s\n" : "\n", lines[i]);
  git_commit_free (c);
}

static void
on_progress (const char *line, const char *message, gpointer data)
{
  fprintf (stderr, "%s\n", message);
}

/* ---- the command ------------------------------------------------------- */

static BpBisectPredicate *
make_predicate (git_repository *repo, GError **error)
{
  const char *name = opt_predicate;
  if (name == NULL)
    name = opt_run ? "run" : (opt_pattern || opt_path) ? "content" : "repro";
  if (strcmp (name, "run") == 0)
    {
      if (opt_run == NULL)
        {
          bp_usage (error, "--predicate run needs --run CMD");
          return NULL;
        }
      BpRunPredicateOptions ro = { (const char *const *) opt_paths, opt_submodules };
      g_autoptr(GError) local = NULL;
      BpBisectPredicate *p = bp_bisect_predicate_run_new_full (repo, opt_run, &ro, &local);
      if (p == NULL && g_error_matches (local, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE))
        bp_usage (error, "--paths: %s", local->message);
      else if (p == NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      return p;
    }
  if (opt_run || opt_paths || opt_submodules)
    {
      bp_usage (error, "--run, --paths and --submodules go with --predicate run, not %s", name);
      return NULL;
    }
  if (strcmp (name, "content") == 0)
    {
      if (opt_path == NULL || opt_pattern == NULL)
        {
          bp_usage (error, "--predicate content needs --path P and --pattern REGEX");
          return NULL;
        }
      g_autoptr(GError) local = NULL;
      BpBisectPredicate *p = bp_bisect_predicate_content_new (repo, opt_path, opt_pattern,
                                                             opt_invert, &local);
      if (p == NULL)
        bp_usage (error, "%s", local->message);
      return p;
    }
  if (opt_path || opt_pattern || opt_invert)
    {
      bp_usage (error, "--path, --pattern and --invert go with --predicate content, not %s", name);
      return NULL;
    }
  if (strcmp (name, "repro") == 0)
    return bp_bisect_predicate_repro_new (repo, error);
  bp_usage (error, "unknown --predicate '%s': use repro, content or run", name);
  return NULL;
}

/* The answer on stdout, as git bisect prints it. */
static void
print_outcome (git_repository *repo, const BpBisectOutcome *out)
{
  if (bp_opt.json)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      json_generator_set_pretty (gen, TRUE);
      g_autoptr(JsonNode) root = bp_bisect_outcome_to_json (out);
      json_generator_set_root (gen, root);
      g_autofree char *text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
    }
  else if (out->kind == BP_BISECT_OUTCOME_FOUND)
    {
      printf ("%s is the first bad commit\n", out->first_bad);
      print_commit (repo, out->first_bad);
      printf ("\n");
      if (out->first_bad_evidence)
        printf ("evidence: %s: %s\n", bp_verdict_name (out->first_bad_verdict), out->first_bad_evidence);
      else
        printf ("evidence: given as --bad\n");
      if (out->parent_evidence)
        printf ("parent %s: %s: %s\n", out->parent, bp_verdict_name (out->parent_verdict),
                out->parent_evidence);
    }
  else
    {
      printf ("There are only 'skip'ped commits left to test.\n"
              "The first bad commit could be any of:\n");
      for (guint i = 0; i < out->suspects->len; i++)
        printf ("%s\n", (char *) g_ptr_array_index (out->suspects, i));
      printf ("We cannot bisect more!\n");
    }
  fflush (stdout);
}

/* Exit status of an ambiguous end: 1 when some commits were decided, 3 when
 * the predicate decided none (it cannot test this history). */
static gboolean
ambiguous_error (const BpBisectOutcome *out, GError **error)
{
  if (out->decided == 0 && out->steps->len > 0)
    {
      const BpBisectStep *last = &g_array_index (out->steps, BpBisectStep, out->steps->len - 1);
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ALL_SKIPPED,
                   "predicate '%s' skipped every commit it tested (%u) and decided none: %s",
                   out->predicate, out->tested, last->evidence ? last->evidence : "");
      return FALSE;
    }
  g_set_error (error, BP_EXIT_ERROR, BP_EXIT_FOUND,
               "skipped commits leave %u candidates for the first bad commit", out->suspects->len);
  return FALSE;
}

static gboolean
check_options (int argc, char **argv, GError **error)
{
  if (argc > 1)
    return bp_usage (error, "unexpected argument '%s'", argv[1]);
  if (opt_replay && (opt_bad || opt_good))
    return bp_usage (error, "--replay takes the good and bad commits from the log; drop --good/--bad");
  if (!opt_replay && (opt_bad == NULL || opt_good == NULL))
    return bp_usage (error, "give --bad REV and at least one --good REV (or --replay FILE)");
  if (opt_max_skips < -1)
    return bp_usage (error, "--max-skips %d: give a number of commits, 0 or more", opt_max_skips);
  return TRUE;
}

/* The repository to bisect, or why not (another user's, not a repository). */
static git_repository *
open_repo (const char *repo_dir, GError **error)
{
  git_repository *repo_raw = NULL;
  int rc = git_repository_open_ext (&repo_raw, repo_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
  GStatBuf st;
  /* libgit2 1.5.1 reports an owner it distrusts as a missing safe.directory */
  if (rc == GIT_EOWNER || (rc < 0 && g_stat (repo_dir, &st) == 0 && st.st_uid != geteuid ()))
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REV,
                   "--repo %s belongs to another user, which git refuses too: trust it with "
                   "`git config --global --add safe.directory %s`", repo_dir, repo_dir);
      return NULL;
    }
  if (rc < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REV,
                   "--repo %s is not a git repository", repo_dir);
      return NULL;
    }
  return repo_raw;
}

/* bad and good from the options, or from a replayed log (--replay). */
static gboolean
bounds (char **bad, GPtrArray *goods, gboolean *first_parent, GArray *marks, GError **error)
{
  if (opt_replay && !bp_bisect_log_parse (opt_replay, bad, goods, first_parent, marks, error))
    return FALSE;
  for (guint i = 0; !opt_replay && opt_good[i]; i++)
    g_ptr_array_add (goods, g_strdup (opt_good[i]));
  g_ptr_array_add (goods, NULL);
  return TRUE;
}

BP_CMD (bisect)
{
  g_autoptr(GOptionContext) context =
    g_option_context_new ("- find the first bad commit (git's bisection, no checkout)");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Predicates: repro (default): the reproducer's tree policy on the file that defines\n"
    "vfio_container_dma_map, read from each commit's tree; by file for private RAM is bad.\n"
    "content: --path P --pattern REGEX, bad when it matches (--invert: when it does not).\n"
    "run: --run CMD in one scratch tree outside your tree, where each step writes only\n"
    "the files that changed; exit 0 good, 125 skip, 1-127 bad, 128 and above aborts.\n"
    "--paths GLOB exports only what the command reads; --submodules checks submodules\n"
    "out from the repository's own modules/ (else they are empty directories).\n"
    "Results are cached by blob (content, repro) or tree (run; the matching files with\n"
    "--paths).  Skips are handled as git does, with no bound unless --max-skips N.\n"
    "Nothing is written into the repository: a read-only one works.\n\n"
    "Exit status: 0 the first bad commit was found; 1 skipped commits leave several\n"
    "candidates (listed, as git does); 2 usage; 3 bad input (unknown revision, good not\n"
    "an ancestor of bad, shallow clone, a predicate that skips everything, more skips\n"
    "than --max-skips, or a predicate that aborts).");
  if (!bp_cmd_parse (context, &argc, &argv, error) || !check_options (argc, argv, error))
    return FALSE;

  bp_git_require ();   /* main.c's set-up: no re-hashing of every object read */
  gint64 started = g_get_monotonic_time ();
  g_autoptr(git_repository) repo = open_repo (bp_opt.repo ? bp_opt.repo : ".", error);
  if (repo == NULL)
    return FALSE;

  g_autofree char *bad = g_strdup (opt_bad);
  g_autoptr(GPtrArray) goods = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) marks = bp_bisect_marks_new ();
  gboolean first_parent = opt_first_parent;
  if (!bounds (&bad, goods, &first_parent, marks, error))
    return FALSE;

  g_autoptr(BpBisectPredicate) pred = make_predicate (repo, error);
  if (pred == NULL)
    return FALSE;
  g_autoptr(BpBisect) b = bp_bisect_new (repo, bad, (const char *const *) goods->pdata,
                                         first_parent, error);
  if (b == NULL)
    return FALSE;

  BpBisectRunOptions run = {
    .log = opt_log,
    .replay = opt_replay,
    .replay_marks = marks,
    .started = started,
    .progress = on_progress,
    .limit_skips = opt_max_skips >= 0,
    .max_skips = opt_max_skips,
    .all_skipped_outcome = TRUE,
  };
  g_autoptr(BpBisectOutcome) out = bp_bisect_run (repo, b, pred, &run, cancellable, error);
  if (out == NULL)
    return FALSE;

  g_autofree char *summary = bp_bisect_outcome_summary (out);
  fprintf (stderr, "%s\n", summary);
  print_outcome (repo, out);
  if (out->kind == BP_BISECT_OUTCOME_AMBIGUOUS)
    return ambiguous_error (out, error);
  return TRUE;
}

BP_COMPLETE (bisect)
{
  bp_complete_options (c, entries);
}
