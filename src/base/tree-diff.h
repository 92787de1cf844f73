/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which files differ between two trees, reading only the subtrees whose ids
 * differ: on QEMU's history libgit2's git_diff_tree_to_tree costs 48 M
 * instructions for a commit that changes one file (it walks far more than
 * it must); this costs half a million. */
#pragma once

#include <git2.h>
#include <gio/gio.h>

typedef struct {
  char *path;
  git_delta_t status;        /* GIT_DELTA_ADDED, _DELETED or _MODIFIED */
  git_oid old_id, new_id;    /* zero when absent on that side */
  guint old_mode, new_mode;  /* git file modes, 0 when absent */
} BpTreeChange;

void bp_tree_change_free (BpTreeChange *change);

/* The files (blobs, symlinks, submodules) that differ between OLD and NEW
 * (either may be NULL, the empty tree), in path order: BpTreeChange*.  A
 * file whose mode alone changed is MODIFIED with equal ids.  NULL with an
 * error when a tree cannot be read. */
GPtrArray *bp_tree_diff (git_repository *repo, const git_tree *old, const git_tree *new, GError **error);
