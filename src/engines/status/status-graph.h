/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The commit graph of one status run: every commit reachable from the
 * scanned refs, as node numbers.
 *
 * Nodes below n_cg are positions in git's commit-graph file, whose parents
 * and levels are read from it; the others ("extra" nodes: commits newer
 * than the file, or all of them when there is none) carry parents given by
 * the caller (from the status index or from reading the commit).  Nothing
 * here reads an object. */
#pragma once

#include <glib.h>
#include <git2.h>

#include "base/commit-graph.h"

#define BP_NODE_NONE G_MAXUINT32

typedef struct {
  const BpCommitGraph *cg;    /* NULL: every node is extra */
  guint32 n_cg;
  GArray *extra_oids;         /* git_oid, node n_cg + i */
  GArray *extra_first;        /* guint32 per extra: first parent in extra_parents, or NONE (unknown yet) */
  GArray *extra_count;        /* guint32 per extra: number of parents */
  GArray *extra_parents;      /* guint32 nodes */
  guint32 *slots;             /* open addressing over extra_oids: index + 1, 0 empty */
  guint32 cap;
  GByteArray *reach;          /* per node: 1 when reachable from a scanned ref */
  GArray *csr_first;          /* guint32 per node: its parents in csr, once expanded */
  GArray *csr_count;          /* guint16 per node */
  GArray *csr;                /* guint32 nodes */
  GArray *order;              /* reachable nodes, every parent before its children */
} BpStatusGraph;

void bp_status_graph_init (BpStatusGraph *g, const BpCommitGraph *cg);
void bp_status_graph_clear (BpStatusGraph *g);

guint32 bp_status_graph_size (const BpStatusGraph *g);

/* The node of OID: its commit-graph position, else its extra node (added
 * when ADD; BP_NODE_NONE otherwise). */
guint32 bp_status_graph_node (BpStatusGraph *g, const git_oid *oid, gboolean add);

void bp_status_graph_oid (const BpStatusGraph *g, guint32 node, git_oid *out);

/* TRUE when the parents of NODE are known (always for commit-graph nodes). */
gboolean bp_status_graph_has_parents (const BpStatusGraph *g, guint32 node);

/* Record the parents of extra node NODE (nodes). */
void bp_status_graph_set_parents (BpStatusGraph *g, guint32 node, const guint32 *parents, guint n);

/* Append the parents of NODE to OUT (guint32 nodes); known parents only. */
void bp_status_graph_parents (const BpStatusGraph *g, guint32 node, GArray *out);

/* The parents of a reachable NODE (after bp_status_graph_mark), *N of them. */
const guint32 *bp_status_graph_parents_of (const BpStatusGraph *g, guint32 node, guint *n);

/* Mark everything reachable from the nodes of TIPS whose parents are known;
 * the nodes met whose parents are not known yet are appended to
 * UNEXPANDED (each once).  Call again after setting their parents. */
void bp_status_graph_mark (BpStatusGraph *g, const guint32 *tips, guint n_tips, GArray *unexpanded);

gboolean bp_status_graph_reachable (const BpStatusGraph *g, guint32 node);

/* Fill g->order: the reachable nodes, parents first (by the commit-graph's
 * levels when every reachable node has one, else depth first). */
void bp_status_graph_sort (BpStatusGraph *g);
