/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An incremental exporter: keeps one plain directory equal to a git tree,
 * and moves it from tree to tree by writing only what changed, as git's own
 * checkout does, but without an index and without touching the repository.
 *
 * Each update diffs the tree in the directory against the next one with
 * libgit2 (subtrees with equal ids are skipped whole), then removes what
 * went away (files, symlinks, emptied directories) and writes what is new
 * or changed: regular files with their executable bit (0644/0755 less the
 * umask), symlinks, and mode-only changes.  Content is written as stored
 * (no .gitattributes filters; git's checkout on Linux applies none unless
 * eol=crlf, ident or a filter driver is configured).
 *
 * Gitlinks (submodules) become empty directories, as in a clone that never
 * ran `git submodule update`, unless the options ask for submodules: then
 * each gitlink's commit is exported from the repository's own
 * <gitdir>/modules/<name> (the name from that tree's .gitmodules, the path
 * where it has none), nested ones from that module's modules/ in turn.  A
 * module or commit that is not there leaves the directory empty and is
 * counted in the stats.
 *
 * Only paths matching the options' globs are exported when globs are
 * given, git pathspec style: `*` and `?` match across '/', and a pattern
 * also matches everything under a directory it names ("src/lib").
 *
 * Safety: entry names that git itself refuses (".", "..", ".git", a '/')
 * stop the update with an error; a path component that is not a real
 * directory (a symlink or file left there by whoever uses the directory)
 * is removed before anything is written below it, so nothing is ever
 * written outside the directory.  Files the user of the directory created
 * are left alone unless they stand where the tree puts something.
 *
 * The repository is only read (objects, and the .gitmodules blobs). */
#pragma once

#include <gio/gio.h>
#include <git2.h>
#include <signal.h>

#define BP_TREE_SYNC_ERROR (bp_tree_sync_error_quark ())
GQuark bp_tree_sync_error_quark (void);

typedef enum {
  BP_TREE_SYNC_ERROR_GIT,       /* an object could not be read */
  BP_TREE_SYNC_ERROR_IO,        /* the directory could not be written */
  BP_TREE_SYNC_ERROR_UNSAFE,    /* a tree entry name git would refuse */
  BP_TREE_SYNC_ERROR_PATTERN,   /* a glob that can never match inside a tree */
} BpTreeSyncErrorCode;

typedef struct {
  const char *const *paths;     /* globs, NULL-terminated; NULL: every path */
  gboolean submodules;          /* export gitlinks from <gitdir>/modules */
  /* non-NULL: an update stops (BP_TREE_SYNC_ERROR_IO, "interrupted") soon
   * after this becomes non-zero: a signal handler's flag */
  const volatile sig_atomic_t *stop;
} BpTreeSyncOptions;

typedef struct {
  guint written;                /* files and symlinks (re)written */
  guint removed;                /* files, symlinks and directories removed */
  guint chmods;                 /* mode-only changes */
  guint submodules;             /* gitlinks exported from modules/ */
  guint submodules_missing;     /* gitlinks left empty: module or commit absent */
} BpTreeSyncStats;

typedef struct BpTreeSync BpTreeSync;

/* Keep DEST (an existing, empty directory) in step with trees of REPO
 * (borrowed: it must outlive the result).  OPTIONS may be NULL.  Fails with
 * BP_TREE_SYNC_ERROR_PATTERN on a glob that is empty, absolute, or has a
 * ".." component. */
BpTreeSync *bp_tree_sync_new (git_repository *repo, const char *dest,
                              const BpTreeSyncOptions *options, GError **error);
void bp_tree_sync_free (BpTreeSync *sync);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpTreeSync, bp_tree_sync_free)

/* Make DEST hold TREE (paths filtered, submodules as asked).  The first
 * update writes everything; each later one only the difference.  STATS of
 * this update (may be NULL).  On failure the directory is in between: the
 * next update rewrites everything. */
gboolean bp_tree_sync_update (BpTreeSync *sync, const git_oid *tree, BpTreeSyncStats *stats,
                              GCancellable *cancellable, GError **error);

/* An id for what an update to TREE would write: TREE itself without globs
 * (submodules follow from the gitlink ids inside it), else a digest of the
 * matching entries (path, mode, id), cached per subtree.  Two trees with
 * the same key give the same directory. */
gboolean bp_tree_sync_key (BpTreeSync *sync, const git_oid *tree, git_oid *key, GError **error);

/* Where modules come from: <gitdir>/modules. */
const char *bp_tree_sync_modules_dir (BpTreeSync *sync);

/* Totals over every update so far. */
const BpTreeSyncStats *bp_tree_sync_totals (BpTreeSync *sync);

