/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state of one status scan of a repository, shared by the steps that
 * make it (private to src/engines/status/):
 *
 *   status-repo.c      open the repository read-only, refuse what libgit2 cannot walk
 *   status-refs.c      the refs to scan (globs, names resolved as git does)
 *   status-walk.c      the graph of every reachable commit, and the facts of
 *                      the commits the index does not know yet (read once)
 *   status-twins.c     patch-ids: the commits that change the pack's files,
 *                      their twins of the culprit and the fix, and reverts
 *   status-evidence.c  the special commits (culprit, fix, revert) by id,
 *                      trailers and picks, and which ref reaches which
 *   status-probe.c     what the code says at each ref
 *   status-decide.c    the verdict from both
 *   history.c          the order of the steps */
#pragma once

#include <glib.h>
#include <git2.h>

#include "base/commit-graph.h"
#include "engines/status/commit-reader.h"
#include "engines/status/history.h"
#include "engines/status/status-cache.h"
#include "engines/status/status-graph.h"
#include "engines/status/status-paths.h"

/* Keys of the index's notes (status-cache.h). */
#define BP_NOTE_VERSION 1                          /* VERSION at a commit ("" when none) */
#define BP_NOTE_FILES 2                            /* the files a commit touches, one a line */
#define BP_NOTE_GRAPH 4                            /* the commit-graph files last validated */
#define BP_NOTE_PROBE(fp) ((guint64) (fp) << 8 | 3) /* the probe's answer for one pack */

typedef struct {
  char *name;                 /* short name, or the revision as given */
  char *refname;              /* full name, NULL for a revision */
  char *kind;                 /* "tag", "branch", "remote", "ref", "commit" */
  git_oid oid;                /* the commit it peels to */
  guint32 node;
} BpScanRef;

typedef enum {
  BP_SPECIAL_CULPRIT,
  BP_SPECIAL_FIX,
  BP_SPECIAL_REVERT,          /* undoes the special in .reverts */
} BpSpecialKind;

typedef struct {
  git_oid oid;
  BpSpecialKind kind;
  char *how;                  /* "id", "trailers", "cherry-pick", "patch-id", "revert" */
  char *detail;
  guint32 node;               /* BP_NODE_NONE: not in the scanned history */
  guint reverts;              /* for a revert: index of the special it undoes */
  char *first_tag;
  char *subject;
} BpSpecial;

typedef struct {
  git_oid pid;
  char *label;                /* "the culprit", "line 10.2's 0001-x.patch" */
  guint32 files_hash;         /* of the files it touches */
  gboolean culprit;
} BpPidTarget;

typedef struct {
  git_repository *repo;
  git_odb *odb;
  git_repository *objects;    /* the same objects, read through the reader (status-odb.c) */
  BpFixPack *pack;
  const char *path;
  char *objects_dir;
  BpCommitGraph *cg;          /* NULL when there is none (or it is not usable) */
  BpStatusCache *cache;
  BpCommitReader *reader;
  BpStatusGraph graph;
  GArray *fact;               /* guint32 per node: its index in the cache */
  GHashTable *trees;          /* node -> git_oid* root tree, for commits read in this run */
  BpPathSet *paths;
  guint section;              /* the cache section of the path set */
  gint64 min_time;            /* a twin is not authored before its original (less a day) */
  GArray *refs;               /* BpScanRef */
  GArray *targets;            /* BpPidTarget */
  GArray *specials;           /* BpSpecial */
  GArray *touching;           /* guint32: nodes that change the pack's files (examined ones) */
  GArray *linked;             /* guint32: nodes whose message picks or reverts (bp_status_find_trailers) */
  guint n_read;               /* commits read from the object store in this run */
  guint n_candidates;         /* commits whose patch-id was compared */
  guint64 probe_fp;           /* what the probe's answers depend on in the pack */
  char *graph_note;
  char *cache_note;
} BpScan;

void bp_scan_init (BpScan *s, BpFixPack *pack, const char *path);
void bp_scan_clear (BpScan *s);
typedef BpScan BpScanAuto;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpScanAuto, bp_scan_clear)

/* Set ERROR in BP_HISTORY_ERROR with CODE and libgit2's last message. */
gboolean bp_scan_git_fail (GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* status-repo.c: open PATH read-only; refuse shallow and partial clones. */
gboolean bp_status_open_repo (BpScan *s, GError **error);

/* status-odb.c: s->objects, a repository whose objects come through s->reader. */
gboolean bp_status_open_objects (BpScan *s, GError **error);

/* status-refs.c: fill s->refs from PATTERNS (NULL or empty: the defaults). */
gboolean bp_status_collect_refs (BpScan *s, const char *const *patterns, GError **error);

/* status-walk.c: the graph of everything reachable from s->refs, and the
 * facts of every commit in it (from the index, or read now). */
gboolean bp_status_walk (BpScan *s, GError **error);

/* The cache facts of NODE (a reachable node). */
BpCacheCommit *bp_scan_facts (const BpScan *s, guint32 node);
guint32 bp_scan_fact_index (const BpScan *s, guint32 node);

/* The root tree of NODE. */
gboolean bp_scan_tree (BpScan *s, guint32 node, git_oid *tree, GError **error);

/* The raw message of a commit (for the few whose subject matches). */
char *bp_scan_message (BpScan *s, const git_oid *oid, gsize *len);

/* 32-bit FNV-1a of a subject line, trailing blanks dropped: what the index keeps. */
guint32 bp_subject_hash (const char *subject, gsize len);

/* status-twins.c */
gboolean bp_status_prepare_targets (BpScan *s, GError **error);
gboolean bp_status_examine (BpScan *s, GError **error);
gboolean bp_status_find_twins (BpScan *s, GError **error);
gboolean bp_status_find_reverts (BpScan *s, GError **error);

/* status-evidence.c */
void bp_status_add_special (BpScan *s, const git_oid *oid, BpSpecialKind kind, const char *how,
                            const char *detail, guint reverts);
gboolean bp_status_find_trailers (BpScan *s, GError **error);
void bp_status_follow_picks (BpScan *s);
/* Which special each ref reaches, first tags, and the report's rows. */
BpStatusReport *bp_status_build_report (BpScan *s, GError **error);

/* status-probe-repo.c: VERSION in TREE (NULL when absent), and what the
 * code in TREE says (the ref's line's file first); MEMO from
 * bp_status_probe_memo_new() keeps answers per blob. */
char *bp_status_read_version (BpScan *s, git_tree *tree, GError **error);
gboolean bp_status_probe_tree (BpScan *s, BpRefStatus *r, git_tree *tree, GHashTable *memo, GError **error);
GHashTable *bp_status_probe_memo_new (void);

/* status-report.c */
BpStatusReport *bp_status_report_new (const char *path);
BpRefStatus *bp_ref_status_new (void);
BpEvidence *bp_evidence_new (const char *how, const char *commit, const char *subject,
                             const char *detail, const char *first_tag);
int bp_status_version_cmp (const char *a, const char *b);
gboolean bp_status_is_release (const char *name);
void bp_status_sort_refs (BpStatusReport *report, const BpFixPack *pack);

/* status-decide.c: the verdict from history (HISTORY: a repository) and content. */
void bp_status_decide (BpRefStatus *r, const BpFixPack *pack, gboolean history);
