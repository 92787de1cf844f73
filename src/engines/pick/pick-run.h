/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Run a queue of picks onto a target: verdict, placement and the write of
 * each pick, in order, each onto the result of the ones before.
 *
 * Onto a revision (options->onto): only objects are written (blobs and
 * trees of each result, and with a branch name the commits), never a ref
 * unless a branch is asked for, never an index or a work tree.  With
 * options->in_memory not even objects: they live in memory for the run.
 * Onto a directory (options->tree_dir): each applied pick goes through the
 * apply engine, all or nothing (a git work tree gets a commit per pick; a
 * plain tree its files; with quilt, debian/patches and .pc too). */
#pragma once

#include "engines/pick/pick.h"

typedef void (*BpPickProgress) (const char *message, gpointer user_data);

typedef struct {
  const char *onto;         /* a revision of the repository */
  const char *tree_dir;     /* or a directory */
  gboolean quilt;           /* tree_dir: Debian quilt bookkeeping */
  const char *branch;       /* onto: write a commit per applied pick on this new branch */
  gboolean force;           /* pick not-needed fixes too; let --branch move an existing ref */
  gboolean signoff;         /* the committer's Signed-off-by on each commit */
  gboolean in_memory;       /* write no object into the repository */
  gboolean check;           /* compile each applied pick with the target's own build */
  gboolean want_diff;       /* fill each applied result's diff (always with tree_dir, check) */
  const char *cache_dir;    /* check: exports and build dirs (NULL: $XDG_CACHE_HOME/backport) */
  BpPickProgress progress;
  gpointer progress_data;
} BpPickOptions;

/* Run ITEMS (BpPickItem*, taken) with REPO (may be NULL when every item is
 * a file and the target a directory).  Returns one BpPickResult* per item,
 * or NULL with an error for a target that cannot be used or a store that
 * fails; a pick that does not fit is a result (needs-human), not an error. */
GPtrArray *bp_pick_run (git_repository *repo, GPtrArray *items, const BpPickOptions *options,
                        GCancellable *cancellable, GError **error);

/* The commit message of a backport of ITEM, as qemu-stable writes them: the
 * fix's message, "(cherry picked from commit <id>)", NOTE (may be NULL),
 * then SIGNOFF's Signed-off-by (may be NULL). */
char *bp_pick_commit_message (const BpPickItem *item, const char *note, const char *signoff);
