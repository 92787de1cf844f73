/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The whole of `backport verify` as one library call: a tree for every
 * line, every step on every line (in worker processes when several lines
 * run at once, see verify-worker.h), then the bisection with a repository.
 * The caller prints and decides the exit code. */
#pragma once

#include "model/fixpack.h"
#include "sources/trees.h"
#include "verify/verify.h"

typedef struct {
  const BpTreesOptions *trees;    /* where the trees come from (lines: NULL, filled here) */
  BpTreesProgress trees_progress;
  BpVerifyOptions verify;
  guint jobs;                     /* lines at once; 0: the number of processors */
} BpVerifyPlan;

/* The reports (BpLineReport*) of LINES (names; NULL: every line of PACK),
 * in the pack's order.  NULL with an error for bad input (a --tree that is
 * not its line's, an unusable cache) or on cancel. */
GPtrArray *bp_verify_pipeline (BpFixPack *pack, const char *const *lines, const BpVerifyPlan *plan,
                               GCancellable *cancellable, GError **error);
