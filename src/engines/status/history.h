/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where does the bug live and where is it fixed: for every tag and branch of
 * a QEMU repository (or one plain source tree), is the culprit there, is the
 * fix there, what does the code say, and which pack line serves it.
 *
 * On a repository this is one pass over the commit graph: every commit
 * reachable from the scanned refs is read once (its raw object: parents and
 * message), the commits that matter (the culprit, its picks and patch-id
 * twins; the fix by upstream id, trailers, picks and patch-id) are marked,
 * and reachability of each from each ref is one bitmask propagation in
 * topological order.  Blobs are read only for the content probe at each
 * ref (VERSION and the file holding the function); nothing is checked out. */
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
  BP_PROBE_ABSENT,  /* the function is in none of the candidate files */
  BP_PROBE_CLEAN,   /* the function has no by-file branch at all */
  BP_PROBE_BUGGY,   /* it maps by file without a shared-RAM check */
  BP_PROBE_FIXED,   /* the by-file path is guarded by a shared-RAM check */
} BpProbeState;

const char *bp_probe_state_to_string (BpProbeState state);

typedef struct {
  BpProbeState state;
  char *file;       /* the file holding the function, NULL when absent */
  char *detail;     /* what was seen, one phrase */
} BpProbe;

/* One piece of evidence: a commit (or a Debian patch) and how it was found. */
typedef struct {
  char *how;        /* "id" (the culprit or upstream id itself), "cherry-pick",
                       "patch-id", "trailers", "debian-patch" */
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
  gboolean fix_present;         /* by history (or a carried Debian patch) */
  GPtrArray *fix_evidence;      /* BpEvidence* */
  BpProbe probe;
  BpStatusVerdict verdict;
  char *fixed_by;   /* commit id (or debian/patches/X) when known */
  char *why;        /* one sentence */
} BpRefStatus;

typedef struct {
  char *path;               /* repository or tree, as given */
  gboolean history;         /* FALSE in tree mode: no history evidence */
  char *history_note;       /* why history evidence is unavailable or partial, or NULL */
  guint n_refs;
  guint n_commits;          /* commits read in the pass */
  guint n_candidates;       /* commits whose patch-id was computed */
  double seconds;
  char *culprit_first_tag;  /* first tag containing the culprit or a pick of it */
  char *fix_first_tag;      /* first tag containing a fix commit */
  GPtrArray *refs;          /* BpRefStatus*, by line (newest first, no line last),
                               then branches before tags, newest version first */
} BpStatusReport;

void bp_status_report_free (BpStatusReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpStatusReport, bp_status_report_free)

/* The default ref patterns: tags v*, branches stable-*, staging-*, master,
 * main (local and remote-tracking). */
extern const char *const bp_history_default_patterns[];

/* Scan the repository at PATH.  PATTERNS (NULL: the defaults) are globs
 * matched against full and short ref names; one without glob characters
 * may also be any revision (a commit id, HEAD~3).  A pattern that matches
 * nothing is an error (BP_HISTORY_ERROR_UNKNOWN_REF). */
BpStatusReport *bp_history_scan_repo (const char *path, BpFixPack *pack,
                                      const char *const *patterns, GError **error);

/* Look at one plain source tree: VERSION, the content probe and
 * debian/patches (applied per .pc/applied-patches, else series). */
BpStatusReport *bp_history_scan_tree (const char *dir, BpFixPack *pack, GError **error);

/* The content probe on one file's text: is FUNCTION there, does it map by
 * file, is that guarded by HELPER or a qemu_ram_is_shared() check. */
BpProbeState bp_history_probe_text (const char *text, gsize len, const BpFixPack *pack,
                                    char **detail);
