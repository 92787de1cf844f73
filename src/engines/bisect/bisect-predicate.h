/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Predicates for bisection: given a commit, good, bad or skip, with a line
 * of evidence.  One kind per file:
 *   bisect-predicate-content.c  a pattern on the blob at a path
 *   bisect-predicate-run.c      any command, `git bisect run` exit codes, in a
 *                               scratch tree outside the user's tree
 * and the reproducer's own, in engines/repro/bisect-predicate-repro.c (it
 * alone knows what the fix is about; this module only declares it).
 * Results are cached by the object they depend on (blob or tree id), so
 * commits whose relevant content did not change cost nothing. */
#pragma once

#include <gio/gio.h>
#include <git2.h>
#include <signal.h>

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
  char *note;                      /* one line on how it works, shown once at the
                                    * start (NULL: none); freed with the predicate */
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

/* run: COMMAND through /bin/sh -c in a scratch tree (a temporary directory
 * outside the user's tree, updated per step with only what changed,
 * removed by free).  Exit 0 good, 125 skip, 1..127 bad, 128 and above (or a
 * signal) aborts.  Its output goes to our stderr.  Cached by tree id, or by
 * the matching files when PATHS are given. */
typedef struct {
  const char *const *paths;        /* globs: export only these (NULL: all) */
  gboolean submodules;             /* check submodules out from <gitdir>/modules */
} BpRunPredicateOptions;

BpBisectPredicate *bp_bisect_predicate_run_new_full (git_repository *repo, const char *command,
                                                     const BpRunPredicateOptions *options,
                                                     GError **error);
/* The same with no options: every path, submodules left empty. */
BpBisectPredicate *bp_bisect_predicate_run_new (git_repository *repo, const char *command,
                                                GError **error);
/* Where the run predicate checks commits out. */
const char *bp_bisect_predicate_run_dir (BpBisectPredicate *self);

/* repro: the reproducer's tree policy on the code the fix is about, read
 * from each commit's tree: bad where the code shows the bug, good where it
 * does not, skip where that code is absent or cannot be judged.  Defined in
 * engines/repro/bisect-predicate-repro.c. */
BpBisectPredicate *bp_bisect_predicate_repro_new (git_repository *repo, GError **error);
/* Keep its compiled decisions under CACHE_DIR/repro (verify --cache); NULL: the default. */
void bp_bisect_predicate_repro_set_cache_dir (BpBisectPredicate *self, const char *cache_dir);

/* Helpers shared by the implementations. */
/* Blob id at PATH in COMMIT's tree; FALSE (no error) when absent. */
gboolean bp_bisect_blob_at (git_commit *commit, const char *path, git_oid *out, GError **error);
/* Does SOURCE define (not declare or call) the C function NAME? */
gboolean bp_bisect_source_defines (const char *source, gsize len, const char *name);
