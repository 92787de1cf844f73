/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bisection driver: ask bp_bisect_next() what to test, run the
 * predicate, mark, until the first bad commit (or only skipped suspects)
 * is left.  Replays the marks of a `git bisect log` first, writes one as it
 * goes, stops on SIGINT/SIGTERM between steps, and refuses a predicate that
 * skips everything.  The outcome carries the evidence for the first bad
 * commit and its parent, every step, and the counts; it becomes JSON with
 * bp_bisect_outcome_to_json().
 *
 * Progress ("Bisecting: N revisions left...", the commit, the verdict) goes
 * to the caller's callback one line at a time; nothing is printed here. */
#pragma once

#include <gio/gio.h>
#include <git2.h>
#include <json-glib/json-glib.h>

#include "engines/bisect/bisect-predicate.h"
#include "engines/bisect/bisect.h"

/* One mark of a replayed log. */
typedef struct {
  BpBisectVerdict verdict;
  char *rev;
} BpBisectMark;

/* A GArray of BpBisectMark that frees the revisions. */
GArray *bp_bisect_marks_new (void);

/* Read a `git bisect log` FILE: the endpoints from `start` (and the first
 * bad/good lines before the bisection could start) into BAD (replaced) and
 * GOODS (appended, g_free'd strings), --first-parent into FIRST_PARENT, then
 * the marks in order into MARKS.  BP_BISECT_ERROR_REPLAY on anything else. */
gboolean bp_bisect_log_parse (const char *file, char **bad, GPtrArray *goods,
                              gboolean *first_parent, GArray *marks, GError **error);

typedef void (*BpBisectProgress) (const char *line, const char *message, gpointer user_data);

typedef struct {
  const char *log;              /* write a `git bisect log` here (NULL: none) */
  const char *replay;           /* the log MARKS came from (for messages) */
  GArray *replay_marks;         /* BpBisectMark, applied before testing (NULL: none) */
  gint64 started;               /* g_get_monotonic_time () when the work began; 0: on entry */
  const char *line;             /* passed to PROGRESS as is */
  BpBisectProgress progress;    /* one line of progress, no newline (NULL: quiet) */
  gpointer progress_data;
  /* git bisect run has no bound on skips, nor has this by default: */
  gboolean limit_skips;         /* TRUE: stop with BP_BISECT_ERROR_TOO_MANY_SKIPS ... */
  int max_skips;                /* ... when the predicate skips more than this many commits */
  /* A run whose every test was skipped: FALSE fails with
   * BP_BISECT_ERROR_ALL_SKIPPED; TRUE ends as AMBIGUOUS with decided 0 and
   * every candidate a suspect, as git lists them. */
  gboolean all_skipped_outcome;
} BpBisectRunOptions;

typedef enum {
  BP_BISECT_OUTCOME_FOUND,
  BP_BISECT_OUTCOME_AMBIGUOUS,  /* only skipped commits left: see suspects */
} BpBisectOutcomeKind;

typedef struct {
  char *commit;                 /* hex */
  char *subject;
  BpBisectVerdict verdict;
  char *evidence;
  gboolean replayed;            /* from the replayed log, not tested */
  int left;                     /* tested: revisions left after this one */
  int steps;                    /* tested: roughly this many steps to go */
  double seconds;               /* tested: time the predicate took (0 when cached) */
} BpBisectStep;

typedef struct {
  char *repo;                   /* git_repository_path */
  char *bad;                    /* hex, as resolved */
  GPtrArray *goods;             /* hex */
  gboolean first_parent;
  char *predicate;              /* its name */
  guint range;                  /* candidates at the start */
  BpBisectOutcomeKind kind;
  /* FOUND: */
  char *first_bad;              /* hex */
  char *first_bad_subject;
  BpBisectVerdict first_bad_verdict;
  char *first_bad_evidence;     /* NULL: given as --bad and not evaluated */
  char *parent;                 /* hex of the first parent; NULL: a root */
  BpBisectVerdict parent_verdict;
  char *parent_evidence;        /* NULL: not evaluated */
  /* AMBIGUOUS: */
  GPtrArray *suspects;          /* hex, in git's order */
  GArray *steps;                /* BpBisectStep */
  guint tested;
  guint evaluations;
  guint cache_hits;
  double seconds;
  guint decided;                /* good and bad verdicts, replayed ones included */
  guint skipped;                /* skip verdicts of the predicate (not replayed) */
} BpBisectOutcome;

void bp_bisect_outcome_free (BpBisectOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpBisectOutcome, bp_bisect_outcome_free)

/* Run B to the end with PRED (both on REPO).  NULL with an error when a
 * replayed mark or the predicate fails, a signal arrives, the predicate
 * skips everything, or the log cannot be written.  An ambiguous end is an
 * outcome, not an error. */
BpBisectOutcome *bp_bisect_run (git_repository *repo, BpBisect *b, BpBisectPredicate *pred,
                                const BpBisectRunOptions *options, GCancellable *cancellable,
                                GError **error);

/* "N commits tested, predicate 'P' evaluated N times (N cache hits), S s" */
char *bp_bisect_outcome_summary (const BpBisectOutcome *outcome);

/* The result as `backport bisect --json` prints it. */
JsonNode *bp_bisect_outcome_to_json (const BpBisectOutcome *outcome);
