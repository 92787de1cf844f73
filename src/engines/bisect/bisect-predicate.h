/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Predicates for bisection: given a commit, good, bad or skip, with a line
 * of evidence.  One kind per file:
 *   bisect-predicate-content.c  a pattern on the blob at a path
 *   bisect-predicate-run.c      any command, `git bisect run` exit codes, in a
 *                               private checkout outside the user's tree
 *   bisect-predicate-repro.c    the reproducer's tree policy on the file that
 *                               defines vfio_container_dma_map
 * Results are cached by the object they depend on (blob or tree id), so
 * commits whose relevant content did not change cost nothing. */
#pragma once

#include <gio/gio.h>
#include <git2.h>

#include "engines/bisect/bisect.h"

typedef struct BpBisectPredicate BpBisectPredicate;

struct BpBisectPredicate {
  const char *name;
  git_repository *repo;            /* borrowed */
  GHashTable *cache;               /* git_oid* -> CachedVerdict (bisect-predicate.c) */
  guint evaluations;               /* real evaluations */
  guint cache_hits;
  /* Decide for COMMIT: the object the answer depends on goes in KEY
   * (zero: do not cache); then, unless cached, EVALUATE. */
  gboolean (*key) (BpBisectPredicate *self, git_commit *commit, git_oid *key, GError **error);
  gboolean (*evaluate) (BpBisectPredicate *self, git_commit *commit, const git_oid *key,
                        BpBisectVerdict *verdict, char **evidence, GCancellable *cancellable,
                        GError **error);
  void (*finalize) (BpBisectPredicate *self);
};

/* Verdict for COMMIT, from the cache when the key object was seen before.
 * FALSE with an error aborts the bisection. */
gboolean bp_bisect_predicate_test (BpBisectPredicate *self, git_commit *commit,
                                   BpBisectVerdict *verdict, char **evidence,
                                   GCancellable *cancellable, GError **error);

void bp_bisect_predicate_free (BpBisectPredicate *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpBisectPredicate, bp_bisect_predicate_free)

/* For the implementations: allocate SIZE bytes (>= sizeof BpBisectPredicate). */
BpBisectPredicate *bp_bisect_predicate_alloc (gsize size, const char *name, git_repository *repo);

/* content: bad when REGEX (GRegex, multi-line: ^ and $ match at lines)
 * matches the blob at PATH; INVERT makes a match good.  A missing file does
 * not match. */
BpBisectPredicate *bp_bisect_predicate_content_new (git_repository *repo, const char *path,
                                                    const char *regex, gboolean invert,
                                                    GError **error);

/* run: COMMAND through /bin/sh -c in a temporary checkout (created outside
 * the user's tree, updated per step, removed by free).  Exit 0 good, 125
 * skip, 1..127 bad, 128 and above (or a signal) aborts.  Its output goes to
 * our stderr. */
BpBisectPredicate *bp_bisect_predicate_run_new (git_repository *repo, const char *command,
                                                GError **error);
/* Where the run predicate checks commits out. */
const char *bp_bisect_predicate_run_dir (BpBisectPredicate *self);

/* repro: the reproducer's tree policy (bp_repro_tree_decision) on the file
 * defining vfio_container_dma_map in the commit's tree, for private
 * (share=off) RAM: by file is bad, by address good, no function or a
 * decision that does not compile is skip. */
BpBisectPredicate *bp_bisect_predicate_repro_new (git_repository *repo, GError **error);
/* Keep its compiled decisions under CACHE_DIR/repro (verify --cache); NULL: the default. */
void bp_bisect_predicate_repro_set_cache_dir (BpBisectPredicate *self, const char *cache_dir);

/* Helpers shared by the implementations. */
/* Blob id at PATH in COMMIT's tree; FALSE (no error) when absent. */
gboolean bp_bisect_blob_at (git_commit *commit, const char *path, git_oid *out, GError **error);
/* Does SOURCE define (not declare or call) the C function NAME? */
gboolean bp_bisect_source_defines (const char *source, gsize len, const char *name);
