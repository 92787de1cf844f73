/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A git tree written out as `git archive` would, with libgit2 and no
 * checkout: the repository's worktree, index and refs are never touched. */
#pragma once

#include <gio/gio.h>
#include <git2.h>

/* Write the tree of COMMIT in REPO (libgit2, no checkout) to DEST, which must
 * not exist: regular files with their executable bit, symlinks, empty
 * directories for submodules; content filtered as `git archive` does (the
 * commit's .gitattributes: eol, ident; export-ignore honoured). */
gboolean bp_trees_export_commit (const char *repo, const char *commit,
                                 const char *dest, GCancellable *cancellable,
                                 GError **error);

/* The same for the tree TREE_ID of REPO, which need not be a commit's
 * (pick's results); ATTR_COMMIT's .gitattributes filter the content. */
gboolean bp_trees_export_tree (git_repository *repo, const git_oid *tree_id, const git_oid *attr_commit,
                               const char *dest, GCancellable *cancellable, GError **error);
