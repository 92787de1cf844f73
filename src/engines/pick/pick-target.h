/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tree a pick goes onto, read-only: a tree object of a repository, or a
 * directory on disk (read through the same path-safety rules as apply: no
 * path leaves the tree, no symlink is followed out of it, no file over the
 * size limit is read). */
#pragma once

#include <gio/gio.h>
#include <git2.h>

typedef struct BpPickTarget BpPickTarget;

/* TREE of REPO (borrowed; both must outlive the target). */
BpPickTarget *bp_pick_target_new_tree (git_repository *repo, git_tree *tree);
/* The directory DIR. */
BpPickTarget *bp_pick_target_new_dir (const char *dir, GError **error);
void bp_pick_target_free (BpPickTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPickTarget, bp_pick_target_free)

/* The file at PATH: *CONTENT NULL when it is absent (TRUE returned).
 * MODE (may be NULL) gets its git mode; OID (may be NULL) its blob id when
 * the target is a tree.  FALSE with an error for a path that cannot be read
 * (a directory, a symlink out of the tree, a device, too large). */
gboolean bp_pick_target_read (BpPickTarget *target, const char *path, GBytes **content,
                              guint *mode, git_oid *oid, GError **error);

/* Whether PATH names a file (or a symlink) in the target. */
gboolean bp_pick_target_exists (BpPickTarget *target, const char *path);

/* The names of the files (not directories) in directory DIR ("" for the
 * top), sorted; empty when DIR is not there. */
GPtrArray *bp_pick_target_list (BpPickTarget *target, const char *dir);

/* The target's tree, or NULL for a directory. */
git_tree *bp_pick_target_tree (BpPickTarget *target);
