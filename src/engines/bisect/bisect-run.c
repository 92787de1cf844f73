/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bisection driver (see bisect-run.h): the loop around bp_bisect_next()
 * and a predicate: replay a log first, test, mark, write the log as it goes
 * (bisect-log.c), stop between steps when cancelled (main.c cancels on
 * SIGINT/SIGTERM), and build the outcome
 * (bisect-outcome.c). */
#include "engines/bisect/bisect-log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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


/* A step of the run, with the commit still as an id (for the lookups). */
typedef struct {
  git_oid oid;
  BpBisectStep s;
} RunStep;

static void
run_step_clear (gpointer p)
{
  bp_bisect_step_clear (&((RunStep *) p)->s);
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
  RunStep rs = { *oid, { bp_bisect_hex (oid), bp_bisect_subject (repo, oid), verdict, evidence, replayed, left, n_steps } };
  g_array_append_val (steps, rs);
}

/* Replay OPTS' marks, then test until the end.  Fills STEPS, NEXT and
 * COUNTS: tested, decided (good or bad, replayed included), skipped. */
static gboolean
drive (git_repository *repo, BpBisect *b, BpBisectPredicate *pred, const BpBisectRunOptions *o,
       BpBisectLog *log, GArray *steps, BpBisectNext *next, guint counts[3],
       GCancellable *cancellable, GError **error)
{
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
                       "the bisect log %s names an unknown commit %s", o->replay, m->rev);
          return FALSE;
        }
      git_oid oid = *git_object_id (obj);
      git_object_free (obj);
      gboolean ok = bp_bisect_mark (b, &oid, m->verdict, error);
      append_step (steps, repo, &oid, m->verdict, g_strdup ("from the replayed log"), TRUE, 0, 0);
      bp_bisect_log_mark (log, &oid, m->verdict, NULL);
      g_autofree char *hex = bp_bisect_hex (&oid);
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
      g_autofree char *hex = bp_bisect_hex (&next->commit);
      g_autofree char *subject = bp_bisect_subject (repo, &next->commit);
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
                    && !g_cancellable_set_error_if_cancelled (cancellable, error);
      git_commit_free (commit);
      if (!ok)
        return FALSE;
      tested++;
      progress (o, "  %s%s: %s", bp_verdict_name (verdict),
                pred->evaluations == evals_before ? " (cached)" : "", evidence);
      append_step (steps, repo, &next->commit, verdict, evidence, FALSE, next->left, next->steps);
      g_array_index (steps, RunStep, steps->len - 1).s.seconds =
        (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC;
      bp_bisect_log_mark (log, &next->commit, verdict, evidence);
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
  g_auto(BpBisectLog) log = { NULL, repo };
  if (o->log)
    {
      log.f = fopen (o->log, "w");
      if (log.f == NULL)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "cannot write the bisect log %s: %s", o->log, g_strerror (errno));
          return NULL;
        }
    }
  bp_bisect_log_start (&log, b);

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
  out->first_bad = bp_bisect_hex (&next.commit);
  out->first_bad_subject = bp_bisect_subject (repo, &next.commit);
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
              out->parent = bp_bisect_hex (git_commit_parent_id (c, 0));
              out->parent_evidence = evidence_for (pred, seen, repo, git_commit_parent_id (c, 0),
                                                   &out->parent_verdict, cancellable);
            }
          git_commit_free (c);
        }
    }
  out->suspects = g_ptr_array_new_with_free_func (g_free);
  if (next.kind == BP_BISECT_AMBIGUOUS)
    for (guint i = 0; i < next.suspects->len; i++)
      g_ptr_array_add (out->suspects, bp_bisect_hex (&g_array_index (next.suspects, git_oid, i)));

  bp_bisect_log_finish (&log, out);

  out->repo = g_strdup (git_repository_path (repo));
  out->bad = bp_bisect_hex (bp_bisect_bad (b));
  out->goods = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < bp_bisect_goods (b)->len; i++)
    g_ptr_array_add (out->goods, bp_bisect_hex (&g_array_index (bp_bisect_goods (b), git_oid, i)));
  out->first_parent = bp_bisect_first_parent (b);
  out->predicate = g_strdup (pred->name);
  out->range = bp_bisect_range_size (b);
  out->steps = g_array_sized_new (FALSE, TRUE, sizeof (BpBisectStep), steps->len);
  g_array_set_clear_func (out->steps, bp_bisect_step_clear);
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

