/* SPDX-License-Identifier: GPL-2.0-or-later */
/* git's commit-graph file, read-only: parents, topological levels
 * (generation numbers v1) and commit times of every commit it holds,
 * without inflating one commit object.  libgit2 1.5 has no public reader,
 * so this follows the documented format (git's
 * Documentation/gitformat-commit-graph.txt): a single
 * objects/info/commit-graph, or a split chain under
 * objects/info/commit-graphs/.
 *
 * Opening validates everything before anything is used: the signature and
 * versions (SHA-1 graphs only), the chunk table, the fanout, the order of
 * the ids, every parent position and edge list, and each file's trailing
 * checksum.  A file that fails any of it is not used at all (the caller
 * falls back to reading objects); a graph that lacks newer commits is
 * "stale" only in that lookups of those commits fail. */
#pragma once

#include <glib.h>
#include <git2.h>

typedef struct BpCommitGraph BpCommitGraph;

#define BP_COMMIT_GRAPH_NONE G_MAXUINT32

/* The commit-graph of the object directory OBJECTS_DIR, or NULL: *NOTE is
 * then NULL when there is none, or says why it is not used.  *STAMP names
 * the files as opened (inode, size, time, checksum); a file whose stamp is
 * in TRUSTED (an earlier *STAMP, or NULL) was validated before and is not
 * hashed again, every other check still runs. */
BpCommitGraph *bp_commit_graph_open (const char *objects_dir, const char *trusted, char **stamp, char **note);
void bp_commit_graph_free (BpCommitGraph *graph);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpCommitGraph, bp_commit_graph_free)

/* Number of commits (positions 0 .. n-1, the ids in sorted order per file). */
guint32 bp_commit_graph_size (const BpCommitGraph *graph);

/* Number of files (1, or the layers of a chain). */
guint bp_commit_graph_layers (const BpCommitGraph *graph);

/* The position of OID, or FALSE when the graph does not hold it. */
gboolean bp_commit_graph_lookup (const BpCommitGraph *graph, const git_oid *oid, guint32 *pos);

void bp_commit_graph_oid (const BpCommitGraph *graph, guint32 pos, git_oid *out);

/* Append the parents of POS (positions, in order) to PARENTS (guint32). */
void bp_commit_graph_parents (const BpCommitGraph *graph, guint32 pos, GArray *parents);

/* TRUE when every commit has a topological level (files written by git
 * before 2.18 store none): then a parent's level is below its child's. */
gboolean bp_commit_graph_has_levels (const BpCommitGraph *graph);

/* The topological level of POS (1 for a root), 0 when unknown. */
guint32 bp_commit_graph_level (const BpCommitGraph *graph, guint32 pos);

/* The committer time of POS, seconds since the epoch. */
gint64 bp_commit_graph_commit_time (const BpCommitGraph *graph, guint32 pos);

/* The root tree of POS. */
void bp_commit_graph_tree (const BpCommitGraph *graph, guint32 pos, git_oid *out);

/* The positions of file LAYER (bases first): ids are sorted within a file. */
void bp_commit_graph_layer_range (const BpCommitGraph *graph, guint layer, guint32 *first, guint32 *n);

/* The parents of POS into OUT (at most CAP of them); returns how many it
 * has (more than CAP: call again with room for all). */
guint bp_commit_graph_parents_into (const BpCommitGraph *graph, guint32 pos, guint32 *out, guint cap);
