/* SPDX-License-Identifier: GPL-2.0-or-later */
/* git's commit-graph file, read-only, for the bisection walk: parents and
 * committer time of a commit without inflating it (the walk over the real
 * QEMU range reads about 3,000 commits; from the graph that is a lookup
 * each).  libgit2 1.5 reads the file only for its own walks and exposes no
 * API for it, so this is a small reader of the documented format
 * (git Documentation/gitformat-commit-graph.txt): a single file
 * objects/info/commit-graph or a split chain under objects/info/commit-graphs/,
 * in the repository's object directory and those its info/alternates name.
 *
 * The graph only ever speeds things up: a commit it does not hold (newer
 * than the last `git commit-graph write`) is read from the object database
 * by the caller, and a file that is missing, of another hash or version, or
 * malformed in any way is not used at all.  The file is mapped, never
 * written. */
#pragma once

#include <git2.h>
#include <glib.h>

typedef struct BpCommitGraph BpCommitGraph;

/* REPO's commit-graph, or NULL when it has none that can be used. */
BpCommitGraph *bp_commit_graph_open (git_repository *repo);
void bp_commit_graph_free (BpCommitGraph *graph);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpCommitGraph, bp_commit_graph_free)

/* Number of commits the graph holds. */
guint bp_commit_graph_count (BpCommitGraph *graph);

/* The commit OID: TRUE with its committer time in DATE and its parents
 * appended to PARENTS (git_oid, in order); FALSE when the graph does not
 * hold it (or its entry is malformed: then read the commit instead). */
gboolean bp_commit_graph_lookup (BpCommitGraph *graph, const git_oid *oid, gint64 *date,
                                 GArray *parents);
