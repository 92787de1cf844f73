/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport bisect: find the first bad commit with git's algorithm and a
 * predicate (repro by default: the commit that made QEMU map private guest
 * RAM by file).  Progress on stderr, the answer on stdout (or --json), a log
 * that --replay (and `git bisect replay`) reads back. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-glib/json-glib.h>

#include "bisect-predicate.h"
#include "bisect.h"
#include "bp-commands.h"
#include "bp-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (git_repository, git_repository_free)

static char *opt_repo = NULL;
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
static gboolean opt_json = FALSE;

static GOptionEntry entries[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository to bisect (default: .)", "DIR" },
  { "good", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_good, "A good revision (repeatable)", "REV" },
  { "bad", 0, 0, G_OPTION_ARG_STRING, &opt_bad, "The bad revision", "REV" },
  { "predicate", 0, 0, G_OPTION_ARG_STRING, &opt_predicate,
    "repro (default), content or run", "NAME" },
  { "run", 0, 0, G_OPTION_ARG_STRING, &opt_run,
    "run: shell command; exit 0 good, 125 skip, 1-127 bad, 128+ abort", "CMD" },
  { "path", 0, 0, G_OPTION_ARG_STRING, &opt_path, "content: file to test", "PATH" },
  { "pattern", 0, 0, G_OPTION_ARG_STRING, &opt_pattern,
    "content: regular expression; bad when it matches", "REGEX" },
  { "invert", 0, 0, G_OPTION_ARG_NONE, &opt_invert, "content: bad when the pattern does NOT match", NULL },
  { "first-parent", 0, 0, G_OPTION_ARG_NONE, &opt_first_parent, "Follow only first parents", NULL },
  { "log", 0, 0, G_OPTION_ARG_FILENAME, &opt_log, "Write a bisect log (git bisect log format)", "FILE" },
  { "replay", 0, 0, G_OPTION_ARG_FILENAME, &opt_replay,
    "Replay a bisect log, then carry on with the predicate", "FILE" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the result as JSON", NULL },
  { NULL },
};

static volatile sig_atomic_t interrupted = 0;

static void
on_signal (int sig)
{
  interrupted = sig;
}

typedef struct {
  git_oid commit;
  BpVerdict verdict;
  char *evidence;
  gboolean replayed;
  int left;
  int steps;
} Step;

static void
step_clear (gpointer p)
{
  g_free (((Step *) p)->evidence);
}

static char *
subject_of (git_repository *repo, const git_oid *oid)
{
  git_commit *c = NULL;
  if (git_commit_lookup (&c, repo, oid) < 0)
    return g_strdup ("");
  char *s = g_strdup (git_commit_summary (c) ? git_commit_summary (c) : "");
  git_commit_free (c);
  return s;
}

static char *
hex_of (const git_oid *oid)
{
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, oid);
  return g_strdup (hex);
}

/* ---- the log, in `git bisect log` form --------------------------------- */

typedef struct {
  FILE *f;
  git_repository *repo;
} Log;

static void
log_mark (Log *log, const git_oid *oid, BpVerdict verdict, const char *evidence)
{
  if (log->f == NULL)
    return;
  g_autofree char *hex = hex_of (oid);
  g_autofree char *subject = subject_of (log->repo, oid);
  fprintf (log->f, "# %s: [%s] %s\n", bp_verdict_name (verdict), hex, subject);
  if (evidence)
    fprintf (log->f, "#   %s\n", evidence);
  fprintf (log->f, "git bisect %s %s\n", bp_verdict_name (verdict), hex);
  fflush (log->f);
}

static void
log_start (Log *log, BpBisect *b)
{
  if (log->f == NULL)
    return;
  fprintf (log->f, "# backport bisect log: replay with `backport bisect --replay FILE`"
                   " or `git bisect replay FILE`\n");
  g_autofree char *bad = hex_of (bp_bisect_bad (b));
  g_autofree char *bad_subject = subject_of (log->repo, bp_bisect_bad (b));
  fprintf (log->f, "# bad: [%s] %s\n", bad, bad_subject);
  GArray *goods = bp_bisect_goods (b);
  for (guint i = 0; i < goods->len; i++)
    {
      g_autofree char *g = hex_of (&g_array_index (goods, git_oid, i));
      g_autofree char *s = subject_of (log->repo, &g_array_index (goods, git_oid, i));
      fprintf (log->f, "# good: [%s] %s\n", g, s);
    }
  fprintf (log->f, "git bisect start%s '%s'", bp_bisect_first_parent (b) ? " '--first-parent'" : "", bad);
  for (guint i = 0; i < goods->len; i++)
    {
      g_autofree char *g = hex_of (&g_array_index (goods, git_oid, i));
      fprintf (log->f, " '%s'", g);
    }
  fprintf (log->f, "\n");
  fflush (log->f);
}

/* ---- replay ------------------------------------------------------------ */

typedef struct {
  BpVerdict verdict;
  char *rev;
} Mark;

static void
mark_clear (gpointer p)
{
  g_free (((Mark *) p)->rev);
}

/* Read a `git bisect log`: endpoints from `start` (and the first bad/good
 * lines before the bisection could start), then marks in order. */
static gboolean
parse_log (const char *file, char **bad, GPtrArray *goods, gboolean *first_parent,
           GArray *marks, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (file, &text, NULL, &local))
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY, "cannot read --replay %s: %s",
                   file, local->message);
      return FALSE;
    }
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint n = 0; lines[n]; n++)
    {
      char *line = g_strstrip (lines[n]);
      if (line[0] == '\0' || line[0] == '#')
        continue;
      g_auto(GStrv) argv = NULL;
      int argc = 0;
      if (!g_shell_parse_argv (line, &argc, &argv, NULL) || argc < 3
          || strcmp (argv[0], "git") != 0 || strcmp (argv[1], "bisect") != 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "%s:%u: not a bisect log line: %s", file, n + 1, line);
          return FALSE;
        }
      const char *cmd = argv[2];
      if (strcmp (cmd, "start") == 0)
        {
          gboolean revs_seen = FALSE;
          for (int i = 3; i < argc; i++)
            {
              if (strcmp (argv[i], "--first-parent") == 0)
                *first_parent = TRUE;
              else if (strcmp (argv[i], "--no-checkout") == 0)
                continue;
              else if (strcmp (argv[i], "--") == 0)
                {
                  if (i + 1 < argc)
                    {
                      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                                   "%s:%u: path-limited bisection is not supported", file, n + 1);
                      return FALSE;
                    }
                }
              else if (argv[i][0] == '-')
                {
                  g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                               "%s:%u: unsupported option %s", file, n + 1, argv[i]);
                  return FALSE;
                }
              else if (!revs_seen && *bad == NULL)
                {
                  *bad = g_strdup (argv[i]);
                  revs_seen = TRUE;
                }
              else
                g_ptr_array_add (goods, g_strdup (argv[i]));
            }
          continue;
        }
      BpVerdict v;
      if (strcmp (cmd, "good") == 0 || strcmp (cmd, "old") == 0)
        v = BP_VERDICT_GOOD;
      else if (strcmp (cmd, "bad") == 0 || strcmp (cmd, "new") == 0)
        v = BP_VERDICT_BAD;
      else if (strcmp (cmd, "skip") == 0)
        v = BP_VERDICT_SKIP;
      else
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "%s:%u: unknown bisect command '%s'", file, n + 1, cmd);
          return FALSE;
        }
      if (argc < 4)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "%s:%u: 'git bisect %s' without a commit", file, n + 1, cmd);
          return FALSE;
        }
      for (int i = 3; i < argc; i++)
        {
          gboolean started = *bad != NULL && goods->len > 0;
          if (!started && v == BP_VERDICT_BAD)
            {
              g_free (*bad);
              *bad = g_strdup (argv[i]);
            }
          else if (!started && v == BP_VERDICT_GOOD)
            g_ptr_array_add (goods, g_strdup (argv[i]));
          else
            {
              Mark m = { v, g_strdup (argv[i]) };
              g_array_append_val (marks, m);
            }
        }
    }
  if (*bad == NULL || goods->len == 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                   "--replay %s names no bad and good commits to start from", file);
      return FALSE;
    }
  return TRUE;
}

/* ---- output ------------------------------------------------------------ */

static void
print_commit (git_repository *repo, const git_oid *oid)
{
  git_commit *c = NULL;
  g_autofree char *hex = hex_of (oid);
  if (git_commit_lookup (&c, repo, oid) < 0)
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

static JsonNode *
step_json (git_repository *repo, const Step *s)
{
  g_autoptr(JsonBuilder) jb = json_builder_new ();
  g_autofree char *hex = hex_of (&s->commit);
  g_autofree char *subject = subject_of (repo, &s->commit);
  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "commit");
  json_builder_add_string_value (jb, hex);
  json_builder_set_member_name (jb, "subject");
  json_builder_add_string_value (jb, subject);
  json_builder_set_member_name (jb, "verdict");
  json_builder_add_string_value (jb, bp_verdict_name (s->verdict));
  json_builder_set_member_name (jb, "evidence");
  json_builder_add_string_value (jb, s->evidence ? s->evidence : "");
  json_builder_set_member_name (jb, "replayed");
  json_builder_add_boolean_value (jb, s->replayed);
  if (!s->replayed)
    {
      json_builder_set_member_name (jb, "left");
      json_builder_add_int_value (jb, s->left);
      json_builder_set_member_name (jb, "steps");
      json_builder_add_int_value (jb, s->steps);
    }
  json_builder_end_object (jb);
  return json_builder_get_root (jb);
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
      return bp_bisect_predicate_run_new (repo, opt_run, error);
    }
  if (opt_run)
    {
      bp_usage (error, "--run goes with --predicate run, not %s", name);
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

static gboolean
check_interrupted (GError **error)
{
  if (!interrupted)
    return TRUE;
  g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ABORT, "interrupted by signal %d",
               (int) interrupted);
  return FALSE;
}

/* Evidence for a commit the run never tested (the given bad commit, the
 * culprit's parent): ask the predicate when that is cheap. */
static char *
evidence_for (BpBisectPredicate *pred, GHashTable *seen, git_repository *repo,
              const git_oid *oid, BpVerdict *verdict, GCancellable *cancellable)
{
  Step *s = g_hash_table_lookup (seen, oid);
  if (s)
    {
      *verdict = s->verdict;
      return g_strdup (s->evidence);
    }
  if (strcmp (pred->name, "run") == 0)
    return NULL;
  git_commit *c = NULL;
  if (git_commit_lookup (&c, repo, oid) < 0)
    return NULL;
  char *ev = NULL;
  if (!bp_bisect_predicate_test (pred, c, verdict, &ev, cancellable, NULL))
    ev = NULL;
  git_commit_free (c);
  return ev;
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
    "run: --run CMD in a temporary checkout outside your tree; exit 0 good, 125 skip,\n"
    "1-127 bad, 128 and above aborts.  Results are cached by blob (tree for run).\n\n"
    "Exit status: 0 the first bad commit was found; 1 skipped commits leave several\n"
    "candidates (listed, as git does); 2 usage; 3 bad input (unknown revision, good not\n"
    "an ancestor of bad, shallow clone, a predicate that skips everything or aborts).");
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return bp_usage (error, "unexpected argument '%s'", argv[1]);
  if (opt_replay && (opt_bad || opt_good))
    return bp_usage (error, "--replay takes the good and bad commits from the log; drop --good/--bad");
  if (!opt_replay && (opt_bad == NULL || opt_good == NULL))
    return bp_usage (error, "give --bad REV and at least one --good REV (or --replay FILE)");

  git_libgit2_init ();
  g_autoptr(GTimer) timer = g_timer_new ();
  const char *repo_dir = opt_repo ? opt_repo : ".";
  git_repository *repo_raw = NULL;
  if (git_repository_open_ext (&repo_raw, repo_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REV,
                   "--repo %s is not a git repository", repo_dir);
      git_libgit2_shutdown ();
      return FALSE;
    }
  g_autoptr(git_repository) repo = repo_raw;

  g_autofree char *bad = g_strdup (opt_bad);
  g_autoptr(GPtrArray) goods = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (Mark));
  g_array_set_clear_func (marks, mark_clear);
  gboolean first_parent = opt_first_parent;
  if (opt_replay)
    {
      if (!parse_log (opt_replay, &bad, goods, &first_parent, marks, error))
        return FALSE;
    }
  else
    for (guint i = 0; opt_good[i]; i++)
      g_ptr_array_add (goods, g_strdup (opt_good[i]));
  g_ptr_array_add (goods, NULL);

  g_autoptr(BpBisectPredicate) pred = make_predicate (repo, error);
  if (pred == NULL)
    return FALSE;
  g_autoptr(BpBisect) b = bp_bisect_new (repo, bad, (const char *const *) goods->pdata,
                                         first_parent, error);
  if (b == NULL)
    return FALSE;

  Log log = { NULL, repo };
  if (opt_log)
    {
      log.f = fopen (opt_log, "w");
      if (log.f == NULL)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "cannot write --log %s: %s", opt_log, g_strerror (errno));
          return FALSE;
        }
    }
  log_start (&log, b);

  struct sigaction sa = { 0 }, old_int, old_term;
  sa.sa_handler = on_signal;
  sigaction (SIGINT, &sa, &old_int);
  sigaction (SIGTERM, &sa, &old_term);

  g_autoptr(GArray) steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (steps, step_clear);
  g_autoptr(GHashTable) seen = g_hash_table_new (bp_oid_hash, bp_oid_equal);
  gboolean ok = TRUE;

  guint replayed_decisions = 0;
  for (guint i = 0; ok && i < marks->len; i++)
    {
      const Mark *m = &g_array_index (marks, Mark, i);
      git_object *obj = NULL;
      if (git_revparse_single (&obj, repo, m->rev) < 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "--replay %s: unknown commit %s", opt_replay, m->rev);
          ok = FALSE;
          break;
        }
      git_oid oid = *git_object_id (obj);
      git_object_free (obj);
      ok = bp_bisect_mark (b, &oid, m->verdict, error);
      Step s = { oid, m->verdict, g_strdup ("from the replayed log"), TRUE, 0, 0 };
      g_array_append_val (steps, s);
      log_mark (&log, &oid, m->verdict, NULL);
      g_autofree char *hex = hex_of (&oid);
      fprintf (stderr, "replayed: %s %s\n", bp_verdict_name (m->verdict), hex);
      if (m->verdict != BP_VERDICT_SKIP)
        replayed_decisions++;
    }

  g_auto(BpBisectNext) next = { 0 };
  guint decided = replayed_decisions, tested = 0, skipped_in_a_row = 0;
  while (ok)
    {
      bp_bisect_next_clear (&next);
      if (!bp_bisect_next (b, &next, error))
        {
          ok = FALSE;
          break;
        }
      if (next.kind != BP_BISECT_TEST)
        break;
      g_autofree char *hex = hex_of (&next.commit);
      g_autofree char *subject = subject_of (repo, &next.commit);
      fprintf (stderr, "Bisecting: %d revision%s left to test after this (roughly %d step%s)\n",
                   next.left, next.left == 1 ? "" : "s", next.steps, next.steps == 1 ? "" : "s");
      fprintf (stderr, "[%s] %s\n", hex, subject);
      git_commit *commit = NULL;
      if (git_commit_lookup (&commit, repo, &next.commit) < 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "reading commit %s", hex);
          ok = FALSE;
          break;
        }
      BpVerdict verdict;
      char *evidence = NULL;
      guint evals_before = pred->evaluations;
      ok = bp_bisect_predicate_test (pred, commit, &verdict, &evidence, cancellable, error)
           && check_interrupted (error);
      git_commit_free (commit);
      if (!ok)
        break;
      tested++;
      fprintf (stderr, "  %s%s: %s\n", bp_verdict_name (verdict),
               pred->evaluations == evals_before ? " (cached)" : "", evidence);
      Step s = { next.commit, verdict, evidence, FALSE, next.left, next.steps };
      g_array_append_val (steps, s);
      log_mark (&log, &next.commit, verdict, evidence);
      ok = bp_bisect_mark (b, &next.commit, verdict, error);
      if (verdict == BP_VERDICT_SKIP)
        skipped_in_a_row++;
      else
        {
          decided++;
          skipped_in_a_row = 0;
        }
      if (ok && decided == 0 && skipped_in_a_row >= 32)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ALL_SKIPPED,
                       "predicate '%s' skipped the first %u commits it tested and decided none (%s)",
                       pred->name, skipped_in_a_row, evidence);
          ok = FALSE;
        }
    }
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  if (!ok)
    return FALSE;

  if (next.kind == BP_BISECT_AMBIGUOUS && decided == 0 && tested > 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ALL_SKIPPED,
                   "predicate '%s' skipped every commit it tested (%u): %s", pred->name, tested,
                   g_array_index (steps, Step, steps->len - 1).evidence);
      return FALSE;
    }

  for (guint i = 0; i < steps->len; i++)
    {
      Step *s = &g_array_index (steps, Step, i);
      g_hash_table_replace (seen, &s->commit, s);
    }
  double seconds = g_timer_elapsed (timer, NULL);
  g_autofree char *first_hex = hex_of (&next.commit);
  g_autofree char *first_subject = subject_of (repo, &next.commit);
  BpVerdict ev_verdict = BP_VERDICT_BAD;
  g_autofree char *first_evidence = NULL;
  g_autofree char *parent_hex = NULL;
  g_autofree char *parent_evidence = NULL;
  BpVerdict parent_verdict = BP_VERDICT_GOOD;
  if (next.kind == BP_BISECT_FOUND)
    {
      first_evidence = evidence_for (pred, seen, repo, &next.commit, &ev_verdict, cancellable);
      git_commit *c = NULL;
      if (git_commit_lookup (&c, repo, &next.commit) == 0)
        {
          if (git_commit_parentcount (c) > 0)
            {
              parent_hex = hex_of (git_commit_parent_id (c, 0));
              parent_evidence = evidence_for (pred, seen, repo, git_commit_parent_id (c, 0),
                                              &parent_verdict, cancellable);
            }
          git_commit_free (c);
        }
    }

  if (log.f)
    {
      if (next.kind == BP_BISECT_FOUND)
        fprintf (log.f, "# first bad commit: [%s] %s\n", first_hex, first_subject);
      else
        {
          fprintf (log.f, "# only skipped commits left to test\n");
          for (guint i = 0; i < next.suspects->len; i++)
            {
              g_autofree char *h = hex_of (&g_array_index (next.suspects, git_oid, i));
              g_autofree char *s = subject_of (repo, &g_array_index (next.suspects, git_oid, i));
              fprintf (log.f, "# possible first bad commit: [%s] %s\n", h, s);
            }
        }
      fclose (log.f);
    }

  fprintf (stderr, "%u commit%s tested, predicate '%s' evaluated %u time%s (%u cache hit%s), %.2f s\n",
           tested, tested == 1 ? "" : "s", pred->name, pred->evaluations,
           pred->evaluations == 1 ? "" : "s", pred->cache_hits, pred->cache_hits == 1 ? "" : "s",
           seconds);

  if (opt_json)
    {
      g_autoptr(JsonBuilder) jb = json_builder_new ();
      g_autofree char *bad_hex = hex_of (bp_bisect_bad (b));
      json_builder_begin_object (jb);
      json_builder_set_member_name (jb, "repo");
      json_builder_add_string_value (jb, git_repository_path (repo));
      json_builder_set_member_name (jb, "bad");
      json_builder_add_string_value (jb, bad_hex);
      json_builder_set_member_name (jb, "goods");
      json_builder_begin_array (jb);
      for (guint i = 0; i < bp_bisect_goods (b)->len; i++)
        {
          g_autofree char *g = hex_of (&g_array_index (bp_bisect_goods (b), git_oid, i));
          json_builder_add_string_value (jb, g);
        }
      json_builder_end_array (jb);
      json_builder_set_member_name (jb, "first_parent");
      json_builder_add_boolean_value (jb, bp_bisect_first_parent (b));
      json_builder_set_member_name (jb, "predicate");
      json_builder_add_string_value (jb, pred->name);
      json_builder_set_member_name (jb, "range");
      json_builder_add_int_value (jb, bp_bisect_range_size (b));
      json_builder_set_member_name (jb, "result");
      json_builder_add_string_value (jb, next.kind == BP_BISECT_FOUND ? "found" : "ambiguous");
      json_builder_set_member_name (jb, "first_bad");
      if (next.kind == BP_BISECT_FOUND)
        {
          json_builder_begin_object (jb);
          json_builder_set_member_name (jb, "commit");
          json_builder_add_string_value (jb, first_hex);
          json_builder_set_member_name (jb, "subject");
          json_builder_add_string_value (jb, first_subject);
          json_builder_set_member_name (jb, "evidence");
          if (first_evidence)
            json_builder_add_string_value (jb, first_evidence);
          else
            json_builder_add_null_value (jb);
          json_builder_set_member_name (jb, "parent");
          if (parent_hex)
            json_builder_add_string_value (jb, parent_hex);
          else
            json_builder_add_null_value (jb);
          json_builder_set_member_name (jb, "parent_evidence");
          if (parent_evidence)
            json_builder_add_string_value (jb, parent_evidence);
          else
            json_builder_add_null_value (jb);
          json_builder_end_object (jb);
        }
      else
        json_builder_add_null_value (jb);
      json_builder_set_member_name (jb, "suspects");
      json_builder_begin_array (jb);
      if (next.kind == BP_BISECT_AMBIGUOUS)
        for (guint i = 0; i < next.suspects->len; i++)
          {
            g_autofree char *h = hex_of (&g_array_index (next.suspects, git_oid, i));
            json_builder_add_string_value (jb, h);
          }
      json_builder_end_array (jb);
      json_builder_set_member_name (jb, "steps");
      json_builder_begin_array (jb);
      for (guint i = 0; i < steps->len; i++)
        json_builder_add_value (jb, step_json (repo, &g_array_index (steps, Step, i)));
      json_builder_end_array (jb);
      json_builder_set_member_name (jb, "tested");
      json_builder_add_int_value (jb, tested);
      json_builder_set_member_name (jb, "evaluations");
      json_builder_add_int_value (jb, pred->evaluations);
      json_builder_set_member_name (jb, "cache_hits");
      json_builder_add_int_value (jb, pred->cache_hits);
      json_builder_set_member_name (jb, "seconds");
      json_builder_add_double_value (jb, seconds);
      json_builder_end_object (jb);
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      json_generator_set_pretty (gen, TRUE);
      g_autoptr(JsonNode) root = json_builder_get_root (jb);
      json_generator_set_root (gen, root);
      g_autofree char *out = json_generator_to_data (gen, NULL);
      printf ("%s\n", out);
    }
  else if (next.kind == BP_BISECT_FOUND)
    {
      printf ("%s is the first bad commit\n", first_hex);
      print_commit (repo, &next.commit);
      printf ("\n");
      if (first_evidence)
        printf ("evidence: %s: %s\n", bp_verdict_name (ev_verdict), first_evidence);
      else
        printf ("evidence: given as --bad\n");
      if (parent_evidence)
        printf ("parent %s: %s: %s\n", parent_hex, bp_verdict_name (parent_verdict), parent_evidence);
    }
  else
    {
      printf ("There are only 'skip'ped commits left to test.\n"
              "The first bad commit could be any of:\n");
      for (guint i = 0; i < next.suspects->len; i++)
        {
          g_autofree char *h = hex_of (&g_array_index (next.suspects, git_oid, i));
          printf ("%s\n", h);
        }
      printf ("We cannot bisect more!\n");
    }
  fflush (stdout);

  if (next.kind == BP_BISECT_AMBIGUOUS)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_FOUND,
                   "skipped commits leave %u candidates for the first bad commit",
                   next.suspects->len);
      return FALSE;
    }
  return TRUE;
}
