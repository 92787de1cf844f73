/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bisection driver (see bisect-run.h): the loop around bp_bisect_next()
 * and a predicate, the log `git bisect replay` reads, and the outcome. */
#include "engines/bisect/bisect-run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t interrupted = 0;

static void
on_signal (int sig)
{
  interrupted = sig;
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

static void
progress (const BpBisectRunOptions *o, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
progress (const BpBisectRunOptions *o, const char *fmt, ...)
{
  if (o->progress == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  o->progress (o->line, msg, o->progress_data);
}

/* ---- the log, in `git bisect log` form --------------------------------- */

typedef struct {
  FILE *f;
  git_repository *repo;
} Log;

static void
log_close (Log *log)
{
  if (log->f)
    fclose (log->f);
  log->f = NULL;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Log, log_close)

static void
log_mark (Log *log, const git_oid *oid, BpBisectVerdict verdict, const char *evidence)
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

static void
mark_clear (gpointer p)
{
  g_free (((BpBisectMark *) p)->rev);
}

GArray *
bp_bisect_marks_new (void)
{
  GArray *marks = g_array_new (FALSE, FALSE, sizeof (BpBisectMark));
  g_array_set_clear_func (marks, mark_clear);
  return marks;
}

gboolean
bp_bisect_log_parse (const char *file, char **bad, GPtrArray *goods, gboolean *first_parent,
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
      BpBisectVerdict v;
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
              BpBisectMark m = { v, g_strdup (argv[i]) };
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

/* ---- the outcome ------------------------------------------------------- */

static void
step_clear (gpointer p)
{
  BpBisectStep *s = p;
  g_free (s->commit);
  g_free (s->subject);
  g_free (s->evidence);
}

void
bp_bisect_outcome_free (BpBisectOutcome *o)
{
  if (o == NULL)
    return;
  g_free (o->repo);
  g_free (o->bad);
  g_clear_pointer (&o->goods, g_ptr_array_unref);
  g_free (o->predicate);
  g_free (o->first_bad);
  g_free (o->first_bad_subject);
  g_free (o->first_bad_evidence);
  g_free (o->parent);
  g_free (o->parent_evidence);
  g_clear_pointer (&o->suspects, g_ptr_array_unref);
  g_clear_pointer (&o->steps, g_array_unref);
  g_free (o);
}

/* A step of the run, with the commit still as an id (for the lookups). */
typedef struct {
  git_oid oid;
  BpBisectStep s;
} RunStep;

static void
run_step_clear (gpointer p)
{
  step_clear (&((RunStep *) p)->s);
}

/* Evidence for a commit the run never tested (the given bad commit, the
 * culprit's parent): ask the predicate when that is cheap. */
static char *
evidence_for (BpBisectPredicate *pred, GHashTable *seen, git_repository *repo,
              const git_oid *oid, BpBisectVerdict *verdict, GCancellable *cancellable)
{
  RunStep *s = g_hash_table_lookup (seen, oid);
  if (s)
    {
      *verdict = s->s.verdict;
      return g_strdup (s->s.evidence);
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

static void
append_step (GArray *steps, git_repository *repo, const git_oid *oid, BpBisectVerdict verdict,
             char *evidence /* taken */, gboolean replayed, int left, int n_steps)
{
  RunStep rs = { *oid, { hex_of (oid), subject_of (repo, oid), verdict, evidence, replayed, left, n_steps } };
  g_array_append_val (steps, rs);
}

/* Restores SIGINT and SIGTERM when it goes out of scope. */
typedef struct {
  gboolean set;
  struct sigaction old_int, old_term;
} Signals;

static void
signals_restore (Signals *s)
{
  if (!s->set)
    return;
  sigaction (SIGINT, &s->old_int, NULL);
  sigaction (SIGTERM, &s->old_term, NULL);
  s->set = FALSE;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Signals, signals_restore)

/* Replay OPTS' marks, then test until the end.  Fills STEPS, NEXT and
 * COUNTS: tested, decided (good or bad, replayed included), skipped. */
static gboolean
drive (git_repository *repo, BpBisect *b, BpBisectPredicate *pred, const BpBisectRunOptions *o,
       Log *log, GArray *steps, BpBisectNext *next, guint counts[3],
       GCancellable *cancellable, GError **error)
{
  g_auto(Signals) sig = { FALSE };
  struct sigaction sa = { 0 };
  sa.sa_handler = on_signal;
  interrupted = 0;
  sigaction (SIGINT, &sa, &sig.old_int);
  sigaction (SIGTERM, &sa, &sig.old_term);
  sig.set = TRUE;

  if (pred->note)
    progress (o, "%s", pred->note);
  guint replayed_decisions = 0;
  for (guint i = 0; o->replay_marks && i < o->replay_marks->len; i++)
    {
      const BpBisectMark *m = &g_array_index (o->replay_marks, BpBisectMark, i);
      git_object *obj = NULL;
      if (git_revparse_single (&obj, repo, m->rev) < 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "--replay %s: unknown commit %s", o->replay, m->rev);
          return FALSE;
        }
      git_oid oid = *git_object_id (obj);
      git_object_free (obj);
      gboolean ok = bp_bisect_mark (b, &oid, m->verdict, error);
      append_step (steps, repo, &oid, m->verdict, g_strdup ("from the replayed log"), TRUE, 0, 0);
      log_mark (log, &oid, m->verdict, NULL);
      g_autofree char *hex = hex_of (&oid);
      progress (o, "replayed: %s %s", bp_verdict_name (m->verdict), hex);
      if (!ok)
        return FALSE;
      if (m->verdict != BP_VERDICT_SKIP)
        replayed_decisions++;
    }

  guint decided = replayed_decisions, tested = 0, skipped = 0;
  for (;;)
    {
      bp_bisect_next_clear (next);
      if (!bp_bisect_next (b, next, error))
        return FALSE;
      if (next->kind != BP_BISECT_TEST)
        break;
      g_autofree char *hex = hex_of (&next->commit);
      g_autofree char *subject = subject_of (repo, &next->commit);
      progress (o, "Bisecting: %d revision%s left to test after this (roughly %d step%s)",
                next->left, next->left == 1 ? "" : "s", next->steps, next->steps == 1 ? "" : "s");
      progress (o, "[%s] %s", hex, subject);
      git_commit *commit = NULL;
      if (git_commit_lookup (&commit, repo, &next->commit) < 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "reading commit %s", hex);
          return FALSE;
        }
      BpBisectVerdict verdict;
      char *evidence = NULL;
      guint evals_before = pred->evaluations;
      gint64 t0 = g_get_monotonic_time ();
      gboolean ok = bp_bisect_predicate_test (pred, commit, &verdict, &evidence, cancellable, error)
                    && check_interrupted (error);
      git_commit_free (commit);
      if (!ok)
        return FALSE;
      tested++;
      progress (o, "  %s%s: %s", bp_verdict_name (verdict),
                pred->evaluations == evals_before ? " (cached)" : "", evidence);
      append_step (steps, repo, &next->commit, verdict, evidence, FALSE, next->left, next->steps);
      g_array_index (steps, RunStep, steps->len - 1).s.seconds =
        (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC;
      log_mark (log, &next->commit, verdict, evidence);
      if (!bp_bisect_mark (b, &next->commit, verdict, error))
        return FALSE;
      if (verdict != BP_VERDICT_SKIP)
        decided++;
      else if (++skipped > (guint) MAX (o->max_skips, 0) && o->limit_skips)
        {
          /* git has no such bound: only when asked */
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_TOO_MANY_SKIPS,
                       "predicate '%s' skipped %u commits, more than the %d allowed (last: %s)",
                       pred->name, skipped, o->max_skips, evidence);
          return FALSE;
        }
    }
  counts[0] = tested;
  counts[1] = decided;
  counts[2] = skipped;
  return TRUE;
}

BpBisectOutcome *
bp_bisect_run (git_repository *repo, BpBisect *b, BpBisectPredicate *pred,
               const BpBisectRunOptions *o, GCancellable *cancellable, GError **error)
{
  gint64 started = o->started ? o->started : g_get_monotonic_time ();
  g_auto(Log) log = { NULL, repo };
  if (o->log)
    {
      log.f = fopen (o->log, "w");
      if (log.f == NULL)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "cannot write --log %s: %s", o->log, g_strerror (errno));
          return NULL;
        }
    }
  log_start (&log, b);

  g_autoptr(GArray) steps = g_array_new (FALSE, TRUE, sizeof (RunStep));
  g_array_set_clear_func (steps, run_step_clear);
  g_auto(BpBisectNext) next = { 0 };
  guint counts[3] = { 0, 0, 0 };
  if (!drive (repo, b, pred, o, &log, steps, &next, counts, cancellable, error))
    return NULL;
  guint tested = counts[0], decided = counts[1];

  if (next.kind == BP_BISECT_AMBIGUOUS && decided == 0 && tested > 0 && !o->all_skipped_outcome)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ALL_SKIPPED,
                   "predicate '%s' skipped every commit it tested (%u): %s", pred->name, tested,
                   g_array_index (steps, RunStep, steps->len - 1).s.evidence);
      return NULL;
    }

  g_autoptr(GHashTable) seen = g_hash_table_new (bp_oid_hash, bp_oid_equal);
  for (guint i = 0; i < steps->len; i++)
    {
      RunStep *s = &g_array_index (steps, RunStep, i);
      g_hash_table_replace (seen, &s->oid, s);
    }

  g_autoptr(BpBisectOutcome) out = g_new0 (BpBisectOutcome, 1);
  out->seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  out->kind = next.kind == BP_BISECT_FOUND ? BP_BISECT_OUTCOME_FOUND : BP_BISECT_OUTCOME_AMBIGUOUS;
  out->first_bad = hex_of (&next.commit);
  out->first_bad_subject = subject_of (repo, &next.commit);
  out->first_bad_verdict = BP_VERDICT_BAD;
  out->parent_verdict = BP_VERDICT_GOOD;
  if (next.kind == BP_BISECT_FOUND)
    {
      out->first_bad_evidence = evidence_for (pred, seen, repo, &next.commit,
                                              &out->first_bad_verdict, cancellable);
      git_commit *c = NULL;
      if (git_commit_lookup (&c, repo, &next.commit) == 0)
        {
          if (git_commit_parentcount (c) > 0)
            {
              out->parent = hex_of (git_commit_parent_id (c, 0));
              out->parent_evidence = evidence_for (pred, seen, repo, git_commit_parent_id (c, 0),
                                                   &out->parent_verdict, cancellable);
            }
          git_commit_free (c);
        }
    }
  out->suspects = g_ptr_array_new_with_free_func (g_free);
  if (next.kind == BP_BISECT_AMBIGUOUS)
    for (guint i = 0; i < next.suspects->len; i++)
      g_ptr_array_add (out->suspects, hex_of (&g_array_index (next.suspects, git_oid, i)));

  if (log.f)
    {
      if (next.kind == BP_BISECT_FOUND)
        fprintf (log.f, "# first bad commit: [%s] %s\n", out->first_bad, out->first_bad_subject);
      else
        {
          fprintf (log.f, "# only skipped commits left to test\n");
          for (guint i = 0; i < next.suspects->len; i++)
            {
              g_autofree char *s = subject_of (repo, &g_array_index (next.suspects, git_oid, i));
              fprintf (log.f, "# possible first bad commit: [%s] %s\n",
                       (char *) g_ptr_array_index (out->suspects, i), s);
            }
        }
      log_close (&log);
    }

  out->repo = g_strdup (git_repository_path (repo));
  out->bad = hex_of (bp_bisect_bad (b));
  out->goods = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < bp_bisect_goods (b)->len; i++)
    g_ptr_array_add (out->goods, hex_of (&g_array_index (bp_bisect_goods (b), git_oid, i)));
  out->first_parent = bp_bisect_first_parent (b);
  out->predicate = g_strdup (pred->name);
  out->range = bp_bisect_range_size (b);
  out->steps = g_array_sized_new (FALSE, TRUE, sizeof (BpBisectStep), steps->len);
  g_array_set_clear_func (out->steps, step_clear);
  for (guint i = 0; i < steps->len; i++)
    {
      RunStep *rs = &g_array_index (steps, RunStep, i);
      g_array_append_val (out->steps, rs->s);
      memset (&rs->s, 0, sizeof rs->s);   /* moved */
    }
  out->tested = tested;
  out->evaluations = pred->evaluations;
  out->cache_hits = pred->cache_hits;
  out->decided = decided;
  out->skipped = counts[2];
  return g_steal_pointer (&out);
}

char *
bp_bisect_outcome_summary (const BpBisectOutcome *o)
{
  return g_strdup_printf ("%u commit%s tested, predicate '%s' evaluated %u time%s (%u cache hit%s), %.2f s",
                          o->tested, o->tested == 1 ? "" : "s", o->predicate, o->evaluations,
                          o->evaluations == 1 ? "" : "s", o->cache_hits, o->cache_hits == 1 ? "" : "s",
                          o->seconds);
}

static void
add_string_or_null (JsonBuilder *jb, const char *member, const char *value)
{
  json_builder_set_member_name (jb, member);
  if (value)
    json_builder_add_string_value (jb, value);
  else
    json_builder_add_null_value (jb);
}

static JsonNode *
step_json (const BpBisectStep *s)
{
  g_autoptr(JsonBuilder) jb = json_builder_new ();
  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "commit");
  json_builder_add_string_value (jb, s->commit);
  json_builder_set_member_name (jb, "subject");
  json_builder_add_string_value (jb, s->subject);
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
      json_builder_set_member_name (jb, "seconds");
      json_builder_add_double_value (jb, s->seconds);
    }
  json_builder_end_object (jb);
  return json_builder_get_root (jb);
}

JsonNode *
bp_bisect_outcome_to_json (const BpBisectOutcome *o)
{
  g_autoptr(JsonBuilder) jb = json_builder_new ();
  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "repo");
  json_builder_add_string_value (jb, o->repo);
  json_builder_set_member_name (jb, "bad");
  json_builder_add_string_value (jb, o->bad);
  json_builder_set_member_name (jb, "goods");
  json_builder_begin_array (jb);
  for (guint i = 0; i < o->goods->len; i++)
    json_builder_add_string_value (jb, g_ptr_array_index (o->goods, i));
  json_builder_end_array (jb);
  json_builder_set_member_name (jb, "first_parent");
  json_builder_add_boolean_value (jb, o->first_parent);
  json_builder_set_member_name (jb, "predicate");
  json_builder_add_string_value (jb, o->predicate);
  json_builder_set_member_name (jb, "range");
  json_builder_add_int_value (jb, o->range);
  json_builder_set_member_name (jb, "result");
  json_builder_add_string_value (jb, o->kind == BP_BISECT_OUTCOME_FOUND ? "found" : "ambiguous");
  json_builder_set_member_name (jb, "first_bad");
  if (o->kind == BP_BISECT_OUTCOME_FOUND)
    {
      json_builder_begin_object (jb);
      json_builder_set_member_name (jb, "commit");
      json_builder_add_string_value (jb, o->first_bad);
      json_builder_set_member_name (jb, "subject");
      json_builder_add_string_value (jb, o->first_bad_subject);
      add_string_or_null (jb, "evidence", o->first_bad_evidence);
      add_string_or_null (jb, "parent", o->parent);
      add_string_or_null (jb, "parent_evidence", o->parent_evidence);
      json_builder_end_object (jb);
    }
  else
    json_builder_add_null_value (jb);
  json_builder_set_member_name (jb, "suspects");
  json_builder_begin_array (jb);
  for (guint i = 0; i < o->suspects->len; i++)
    json_builder_add_string_value (jb, g_ptr_array_index (o->suspects, i));
  json_builder_end_array (jb);
  json_builder_set_member_name (jb, "steps");
  json_builder_begin_array (jb);
  for (guint i = 0; i < o->steps->len; i++)
    json_builder_add_value (jb, step_json (&g_array_index (o->steps, BpBisectStep, i)));
  json_builder_end_array (jb);
  json_builder_set_member_name (jb, "tested");
  json_builder_add_int_value (jb, o->tested);
  json_builder_set_member_name (jb, "evaluations");
  json_builder_add_int_value (jb, o->evaluations);
  json_builder_set_member_name (jb, "cache_hits");
  json_builder_add_int_value (jb, o->cache_hits);
  json_builder_set_member_name (jb, "seconds");
  json_builder_add_double_value (jb, o->seconds);
  json_builder_end_object (jb);
  return json_builder_get_root (jb);
}
