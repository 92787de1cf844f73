/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Apply a line's series to a tree: a git work tree (commits) or a plain
 * unpacked tree (files, optionally quilt bookkeeping).  All or nothing. */
#pragma once

#include <gio/gio.h>
#include "model/fixpack.h"
#include "model/hunk-report.h"

#define BP_APPLY_ERROR (bp_apply_error_quark ())
GQuark bp_apply_error_quark (void);

typedef enum {
  BP_APPLY_ERROR_DOES_NOT_APPLY,  /* a hunk found no place: exit 1 */
  BP_APPLY_ERROR_AMBIGUOUS,       /* a hunk fits two places equally well: exit 1 */
  BP_APPLY_ERROR_CONFLICT,        /* 3-way merge left conflicts: exit 1 */
  BP_APPLY_ERROR_DIRTY,           /* tree has uncommitted changes (no --force) */
  BP_APPLY_ERROR_UNSAFE,          /* path escapes the tree */
  BP_APPLY_ERROR_NOT_A_TREE,      /* TREE is not a directory we can patch */
  BP_APPLY_ERROR_FAILED,          /* I/O or libgit2 failure */
  BP_APPLY_ERROR_BINARY,          /* a binary patch: refused */
  BP_APPLY_ERROR_NO_SPACE,        /* the file system is full */
  BP_APPLY_ERROR_NOT_GIT,         /* commits asked for in a tree that is no git work tree */
  BP_APPLY_ERROR_DIRTY_FILE,      /* a file the series changes has uncommitted changes:
                                     forcing does not fold them into our commits */
} BpApplyErrorCode;

typedef enum {
  BP_APPLY_TARGET_AUTO,    /* git work tree -> commits; else files */
  BP_APPLY_TARGET_FILES,   /* only change files (also in a git tree) */
  BP_APPLY_TARGET_COMMIT,  /* one commit per patch on the current branch */
  BP_APPLY_TARGET_QUILT,   /* files + debian/patches + series + .pc */
} BpApplyTarget;

typedef struct {
  BpApplyTarget target;
  gboolean check_only;     /* report, change nothing */
  gboolean three_way;      /* allow 3-way merge through the preimage blob */
  guint fuzz;              /* context lines that may be dropped (0: none) */
  gboolean force;          /* accept a dirty tree */
  gboolean signoff;        /* add the backporter's Signed-off-by */
  const char *object_repo; /* 3-way: repository holding the preimage blobs
                              (NULL: the tree's own, if it is a git work tree) */
  const char *bug;         /* --quilt: the bug the fix closes, for the DEP-3 header
                              (bp_apply_series: the pack's, when NULL) */
} BpApplyOptions;

/* Apply LINE's series to TREE.  On success REPORTS (if non-NULL) gets the
 * per-hunk reports (BpHunkReport*).  On failure the tree, index, refs,
 * debian/patches and .pc are exactly as before, and REPORTS still says which
 * hunk failed and why. */
gboolean bp_apply_series (BpFixLine *line, const char *tree, const BpApplyOptions *options,
                          GPtrArray **reports, GCancellable *cancellable, GError **error);

/* The same for any list of patches (BpPatch*), e.g. an imported one. */
gboolean bp_apply_patches (GPtrArray *patches, GPtrArray *patch_names, const char *upstream_id,
                           const char *link, const char *tree, const BpApplyOptions *options,
                           GPtrArray **reports, GCancellable *cancellable, GError **error);

/* A patch path is safe: relative, no "." / ".." / empty component, no ".git". */
gboolean bp_apply_path_is_safe (const char *path, GError **error);
