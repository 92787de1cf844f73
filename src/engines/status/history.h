/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where does the bug live and where is it fixed: for every tag and branch of
 * a QEMU repository (or one plain source tree), is the culprit there, is the
 * fix there, what does the code say, and which pack line serves it.
 *
 * On a repository this is one pass over the commit graph (git's
 * commit-graph file when there is one): the commits that matter (the
 * culprit, its picks and patch-id twins; the fix by upstream id, trailers,
 * picks and patch-id; reverts of either) are marked, and reachability of
 * each from each ref is one bitmask propagation in topological order.  What
 * each commit says is kept in a status index under the cache, so a run reads
 * only the commits that are new since the last one.  Blobs are read only for
 * the content probe at each ref (VERSION and the file holding the function);
 * nothing is checked out and nothing is written into the repository.
 *
 * The content decides: when the code at a ref shows the bug, the ref is
 * affected whatever history says (a fix that was reverted, or only half
 * applied), and the evidence says both. */
#pragma once

#include <glib.h>

#include "model/fixpack.h"

#define BP_HISTORY_ERROR (bp_history_error_quark ())
GQuark bp_history_error_quark (void);

typedef enum {
  BP_HISTORY_ERROR_NOT_A_REPO,     /* not a git repository */
  BP_HISTORY_ERROR_NOT_QEMU,       /* no VERSION / no hw/: not a QEMU tree or history */
  BP_HISTORY_ERROR_SHALLOW,        /* shallow clone: libgit2 1.5 cannot walk it */
  BP_HISTORY_ERROR_PARTIAL,        /* partial (promisor) clone: objects are missing */
  BP_HISTORY_ERROR_UNKNOWN_REF,    /* --refs names nothing */
  BP_HISTORY_ERROR_MISSING_OBJECT, /* a commit, tree or blob is not in the object store */
  BP_HISTORY_ERROR_GIT,            /* any other libgit2 failure */
  BP_HISTORY_ERROR_NO_REFS,        /* none of the default refs is there */
} BpHistoryErrorCode;

typedef enum {
  BP_STATUS_NOT_AFFECTED,
  BP_STATUS_AFFECTED,      /* affected, fix missing */
  BP_STATUS_FIXED,
  BP_STATUS_UNKNOWN,
} BpStatusVerdict;

/* "not-affected", "affected", "fixed", "unknown" */
const char *bp_status_verdict_to_string (BpStatusVerdict verdict);

/* What the code of the function says. */
typedef enum {
  BP_PROBE_ABSENT,     /* the function is in none of the candidate files */
  BP_PROBE_CLEAN,      /* the function has no buggy pattern at all */
  BP_PROBE_BUGGY,      /* it uses the pattern without the fix's guard */
  BP_PROBE_FIXED,      /* the pattern is guarded (or the fix's lines are all there) */
  BP_PROBE_UNREADABLE, /* the file that should hold it cannot be read (missing, empty,
                          a symlink out of the tree, not a regular file, too big) */
} BpProbeState;

/* "absent", "clean", "buggy", "fixed", "unreadable" */
const char *bp_probe_state_to_string (BpProbeState state);

typedef struct {
  BpProbeState state;
  char *file;       /* the file holding the function (or that cannot be read), NULL when absent */
  char *detail;     /* what was seen, one phrase */
  gboolean partial; /* BUGGY, but part of the fix is there (its helper, some of its lines) */
} BpProbe;

/* One piece of evidence: a commit (or a Debian patch) and how it was found. */
typedef struct {
  char *how;        /* "id" (the culprit or upstream id itself), "cherry-pick",
                       "patch-id", "trailers", "revert", "debian-patch" */
  char *commit;     /* full id; NULL for a Debian patch */
  char *subject;    /* the commit's subject, or the patch's path */
  char *detail;     /* e.g. "patch-id of line 10.2's 0001-x.patch", may be NULL */
  char *first_tag;  /* first scanned tag (version order) containing it, or NULL */
} BpEvidence;

typedef struct {
  char *name;       /* short name: v10.1.2, stable-10.1, origin/stable-10.1, or the tree dir */
  char *refname;    /* refs/tags/v10.1.2; NULL in tree mode */
  char *kind;       /* "tag", "branch", "remote", "commit", "tree" */
  char *commit;     /* full id; NULL in tree mode */
  char *version;    /* VERSION at the ref, NULL when absent */
  BpFixLine *line;  /* pack line serving VERSION, or NULL */
  gboolean culprit_present;
  GPtrArray *culprit_evidence;  /* BpEvidence* */
  gboolean fix_present;         /* the fix is in effect: history (or a carried Debian
                                   patch) has it and the code does not contradict it */
  GPtrArray *fix_evidence;      /* BpEvidence* */
  BpProbe probe;
  BpStatusVerdict verdict;
  char *fixed_by;   /* commit id (or debian/patches/X) when known */
  char *why;        /* one sentence */
  gboolean fix_in_history;      /* a fix commit is reachable, in effect or not */
  GPtrArray *revert_evidence;   /* BpEvidence*: reachable reverts of fix (or culprit) commits */
} BpRefStatus;

typedef struct {
  char *path;               /* repository or tree, as given */
  gboolean history;         /* FALSE in tree mode: no history evidence */
  char *history_note;       /* why history evidence is unavailable or partial, or NULL */
  guint n_refs;
  guint n_commits;          /* commits in the pass */
  guint n_candidates;       /* commits whose patch-id was compared */
  double seconds;
  char *culprit_first_tag;  /* first tag containing the culprit or a pick of it */
  char *fix_first_tag;      /* first tag containing a fix commit */
  GPtrArray *refs;          /* BpRefStatus*, by line (newest first, no line last),
                               then branches before tags, newest version first */
  guint n_read;             /* commits whose objects were read (the rest came from the index) */
  char *graph_note;         /* where parents came from ("commit-graph, 1 file", ...) */
  char *cache_note;         /* one line when the status index was corrupt or not writable */
} BpStatusReport;

void bp_status_report_free (BpStatusReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpStatusReport, bp_status_report_free)

/* The default ref patterns: tags v*, branches stable-*, staging-*, master,
 * main (local and remote-tracking). */
extern const char *const bp_history_default_patterns[];

typedef struct {
  const char *cache_dir;    /* NULL: $XDG_CACHE_HOME/backport; the index goes to <cache_dir>/status/ */
} BpHistoryOptions;

/* Scan the repository at PATH.  PATTERNS (NULL: the defaults) are globs
 * matched against full and short ref names (a remote-tracking branch's short
 * name is origin/NAME: a glob on "origin/" takes those), or names resolved
 * as git does (a local branch first, then a tag, then a remote-tracking
 * branch), or any revision (a commit id,
 * HEAD~3).  A pattern that matches nothing is an error
 * (BP_HISTORY_ERROR_UNKNOWN_REF).  OPTIONS may be NULL. */
BpStatusReport *bp_history_scan_repo_with (const char *path, BpFixPack *pack, const char *const *patterns,
                                           const BpHistoryOptions *options, GError **error);

/* The same with the default options. */
BpStatusReport *bp_history_scan_repo (const char *path, BpFixPack *pack,
                                      const char *const *patterns, GError **error);

/* Look at one plain source tree: VERSION, the content probe and
 * debian/patches (applied per .pc/applied-patches, else series).  Reads stay
 * inside the tree (no symlink is followed out of it) and are limited to
 * 16 MiB each; a file that should hold the function but cannot be read
 * gives an "unreadable" probe and the verdict unknown. */
BpStatusReport *bp_history_scan_tree (const char *dir, BpFixPack *pack, GError **error);

/* The content probe on one file's text, for a pack that names its function,
 * bug-pattern and guard (fix.ini): is the function there, does it use the
 * pattern, is that guarded (in the function, or in the helper it calls).
 * A pack without a guard gets BP_PROBE_ABSENT here: its probe is the generic
 * one (model/patch-content.h), which needs the patches. */
BpProbeState bp_history_probe_text (const char *text, gsize len, const BpFixPack *pack,
                                    char **detail);
