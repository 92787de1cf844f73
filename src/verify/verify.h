/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport verify: every step for every line, on real trees.
 *
 * Per line, on a scratch copy of its tree (never the tree itself):
 *   status  what the tree is (verdict, evidence), against the pack's verdict
 *   apply   the series, hunk by hunk (how each hunk was placed)
 *   check   compile the touched files before and after, with the tree's build
 *   repro   the tree's own vfio_container_dma_map decision driving the
 *           reproducer, before (bug) and after (clean) the series
 *   bisect  with a repository: from the last unaffected release to the first
 *           affected one, expecting the pack's culprit
 * A not-affected line is proven so (status: culprit absent; repro: the
 * decision has no by-file path for private RAM) and skips the rest. */
#pragma once

#include <gio/gio.h>

#include "model/fixpack.h"
#include "sources/trees.h"
#include "report/verify-model.h"

typedef void (*BpVerifyProgress) (const char *line, const char *message, gpointer user_data);

/* The words for what would give LINE a tree (REMEDY: BpTreeRemedy flags):
 * the command's own options. */
typedef char *(*BpVerifyTreeRemedy) (const char *line, guint remedy);

typedef struct {
  const char *cache_dir;        /* NULL: $XDG_CACHE_HOME/backport */
  const char *repo;             /* a QEMU clone: trees from tags, and bisect */
  gboolean keep;                /* keep scratch copies (paths in the report) */
  guint build_jobs;             /* ninja -j for check; 0: processors */
  BpVerifyProgress progress;
  gpointer progress_data;
  BpVerifyTreeRemedy tree_remedy;  /* NULL: a missing tree's reason alone */
} BpVerifyOptions;

/* Verify LINE on TREE (TREE->kind NONE gives a "no tree" row).  Never fails
 * as a whole: each step records its own outcome. */
BpLineReport *bp_verify_line (BpFixLine *line, BpTree *tree, const BpVerifyOptions *options,
                              GCancellable *cancellable);

/* The bisection verify runs with a repository: good = the newest release
 * before the first release containing the culprit, bad = that release.
 * Sets the BISECT step of every affected line in REPORTS; N/A elsewhere. */
void bp_verify_bisect (BpFixPack *pack, GPtrArray *reports, const BpVerifyOptions *options,
                       GCancellable *cancellable);

/* Remove the scratch copies and reproducer directories that runs killed
 * before they could clean up left (in the cache and TMPDIR; those of live
 * runs stay).  Returns how many; their paths are added to NAMES. */
guint bp_verify_sweep_scratch (const BpVerifyOptions *options, GString *names);
