/* SPDX-License-Identifier: GPL-2.0-or-later */
/* git's bisection algorithm, on libgit2.
 *
 * Candidates are the commits reachable from the bad commit and from no good
 * one.  Each step picks the candidate that best halves them by weight (the
 * number of candidates it reaches, merges included), exactly as git's
 * bisect.c does: the same walk order, the same early "half-way" shortcut,
 * the same skip handling (git's pseudo-random skip_away over the candidates
 * sorted by distance), so that a run makes the same choices as
 * `git bisect run` on the same history.
 *
 * This module knows nothing of predicates or the command line: the caller
 * asks bp_bisect_next() what to test and reports with bp_bisect_mark()
 * (bisect-run.h drives that loop with a predicate). */
#pragma once

#include <git2.h>
#include <glib.h>

#define BP_BISECT_ERROR (bp_bisect_error_quark ())
GQuark bp_bisect_error_quark (void);

typedef enum {
  BP_BISECT_ERROR_REV,           /* a revision that does not name a commit */
  BP_BISECT_ERROR_NOT_ANCESTOR,  /* a good commit is not an ancestor of the bad one */
  BP_BISECT_ERROR_SHALLOW,       /* shallow clone: history is incomplete */
  BP_BISECT_ERROR_RANGE,         /* a commit marked outside the bisection range */
  BP_BISECT_ERROR_ALL_SKIPPED,   /* the predicate could not decide any commit */
  BP_BISECT_ERROR_ABORT,         /* the predicate asked to stop (run: exit >= 128) */
  BP_BISECT_ERROR_REPLAY,        /* a log that cannot be replayed */
  BP_BISECT_ERROR_GIT,           /* libgit2 failed */
  BP_BISECT_ERROR_BAD_SKIPPED,   /* the bad commit itself was skipped */
  BP_BISECT_ERROR_TOO_MANY_SKIPS, /* more skips than the caller allowed */
} BpBisectErrorCode;

typedef enum {
  BP_VERDICT_GOOD,
  BP_VERDICT_BAD,
  BP_VERDICT_SKIP,
} BpBisectVerdict;

const char *bp_verdict_name (BpBisectVerdict verdict);

typedef enum {
  BP_BISECT_TEST,       /* test `commit` next */
  BP_BISECT_FOUND,      /* `commit` is the first bad commit */
  BP_BISECT_AMBIGUOUS,  /* only skipped commits left: `suspects` could be it */
} BpBisectNextKind;

typedef struct {
  BpBisectNextKind kind;
  git_oid commit;
  int left;             /* TEST: revisions left to test after this one */
  int steps;            /* TEST: roughly this many steps to go */
  int all;              /* candidates now */
  GArray *suspects;     /* AMBIGUOUS: git_oid, in git's order (skipped, then bad) */
} BpBisectNext;

void bp_bisect_next_clear (BpBisectNext *next);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpBisectNext, bp_bisect_next_clear)

typedef struct BpBisect BpBisect;

/* One commit of a history given as plain data (for tests and for the
 * libgit2 constructor).  parents[] index into the same array; -1 is a parent
 * outside the range (known good). */
typedef struct {
  git_oid oid;
  gint64 date;          /* committer time: git walks in this order */
  guint n_parents;
  const int *parents;
} BpBisectNode;

/* Bisection over NODES (the candidates; node BAD is the bad commit). */
BpBisect *bp_bisect_new_from_nodes (const BpBisectNode *nodes, guint n, int bad,
                                    gboolean first_parent);

/* Bisection of REPO between BAD and GOODS (revisions, any syntax libgit2
 * parses).  Refuses shallow repositories, unknown revisions, and goods that
 * are not ancestors of bad. */
BpBisect *bp_bisect_new (git_repository *repo, const char *bad,
                         const char *const *goods, gboolean first_parent,
                         GError **error);

void bp_bisect_free (BpBisect *bisect);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpBisect, bp_bisect_free)

/* The resolved endpoints (for logs). */
const git_oid *bp_bisect_bad (BpBisect *bisect);
GArray *bp_bisect_goods (BpBisect *bisect);   /* git_oid, borrowed */
gboolean bp_bisect_first_parent (BpBisect *bisect);
guint bp_bisect_range_size (BpBisect *bisect); /* candidates at the start */

/* What next: a commit to test, the answer, or the skipped suspects.
 * FALSE with BP_BISECT_ERROR_BAD_SKIPPED when the bad commit was skipped. */
gboolean bp_bisect_next (BpBisect *bisect, BpBisectNext *next, GError **error);

/* Record a verdict for OID, which must lie in the range (a skip outside it
 * is remembered, as git does).  GOOD removes it and its ancestors, BAD makes
 * it the new bad commit. */
gboolean bp_bisect_mark (BpBisect *bisect, const git_oid *oid, BpBisectVerdict verdict,
                         GError **error);

/* git's estimate of the steps left for ALL candidates. */
int bp_bisect_estimate_steps (int all);

/* Hash table helpers for git_oid keys. */
guint bp_oid_hash (gconstpointer oid);
gboolean bp_oid_equal (gconstpointer a, gconstpointer b);
