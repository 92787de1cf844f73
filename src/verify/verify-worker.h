/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verify's worker processes, both ends of their protocol.
 *
 * Lines are verified in parallel in processes, not threads: the reproducer
 * forks a device process and changes the machine's huge page pool, which a
 * threaded parent must not do.  A worker is this program started with the
 * single argument BP_VERIFY_WORKER_ARG (main.c hands it to
 * bp_verify_worker_main); it reads one job, a JSON document, on stdin:
 *
 *   {"pack": DIR, "line": "10.2", "tree": {bp_tree_add_json's members},
 *    "cache": DIR|null, "repo": DIR|null, "keep": bool, "build_jobs": N}
 *
 * and writes the line's report on stdout as a `verify --json` document
 * (the one reader, bp_verify_from_json, reads both).  Progress goes to the
 * inherited stderr.  No command line is built or parsed for a worker.
 *
 * Interrupting: the parent sends its workers SIGTERM when cancelled (they
 * cancel their own work, kill their builds' process groups and remove
 * their scratch copies) and SIGKILL only to a worker still there after a
 * grace period. */
#pragma once

#include <gio/gio.h>

#include "model/fixpack.h"
#include "sources/trees.h"
#include "verify/verify.h"

#define BP_VERIFY_WORKER_ARG "--verify-worker"

/* Verify each line of LINES (BpFixLine*) on its tree of TREES, at most JOBS
 * workers at once; the reports go to REPORTS in LINES order.  FALSE when a
 * worker fails to answer, or on cancel (after the workers have ended). */
gboolean bp_verify_workers_run (GPtrArray *lines, BpTreeSet *trees, const BpVerifyOptions *options,
                                guint jobs, GPtrArray *reports, GCancellable *cancellable, GError **error);

/* The worker: one job from IN, its report to OUT; PROGRESS as the
 * parent's would print it (the worker's stderr is the parent's), and the
 * parent's words for a missing tree's remedy. */
gboolean bp_verify_worker_main (GInputStream *in, GOutputStream *out, BpVerifyProgress progress,
                                gpointer progress_data, BpVerifyTreeRemedy tree_remedy,
                                GCancellable *cancellable, GError **error);
