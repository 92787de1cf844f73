/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Walks over git's commit-graph (base/commit-graph.h) that never inflate a
 * commit: what libgit2 1.5 does by parsing every commit object (40 ms for
 * a merge base between a stable branch and master on QEMU's history, a
 * fraction of a millisecond here).  Commits are graph positions; callers
 * fall back to libgit2 when a commit is not in the graph (newer than it). */
#pragma once

#include "base/commit-graph.h"

/* The merge base of A and B (git's paint-down, in topological-level order
 * so that it may stop early): the first common ancestor found, which is the
 * best one unless the history has criss-cross merges.  FALSE when they
 * have none, or when the graph has no levels (git older than 2.18 wrote it). */
gboolean bp_commit_graph_merge_base (const BpCommitGraph *graph, guint32 a, guint32 b, guint32 *base);

/* The commits reachable from FROM and not from HIDE (HIDE may be
 * G_MAXUINT32: none), FROM's side of `git rev-list FROM ^HIDE`, in the
 * order they are reached (newest level first).  NULL when the graph has no
 * levels. */
GArray *bp_commit_graph_range (const BpCommitGraph *graph, guint32 from, guint32 hide);

/* The graph of REPO's object store (or of an alternate it borrows from),
 * opened once per process; NULL when there is none to use.  Its checksum
 * (hashing 8 MB on QEMU's history) is checked once per file: the stamp of
 * a validated file is kept under CACHE_DIR (NULL: $XDG_CACHE_HOME/backport),
 * and a file with that stamp (inode, size, time, checksum) is trusted. */
BpCommitGraph *bp_commit_graph_for_repo (git_repository *repo, const char *cache_dir);
