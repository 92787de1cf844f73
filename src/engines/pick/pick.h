/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pick any fix onto any tree, the way qemu-stable maintainers pick them.
 *
 * A pick is a commit of a repository (its change against its first parent)
 * or a mail (a format-patch mail, or pasted text through import).  Picks are
 * a queue: each goes onto the result of the ones before it.  For each, in
 * this order:
 *   present      already in the target: the commit is an ancestor, a commit
 *                of the target says "(cherry picked from commit <it>)", one
 *                has its patch-id, or every hunk's result is in the files;
 *   not-needed   every commit its Fixes: trailers name is absent from the
 *                target (unless options->force);
 *   applied      every file found its place; per hunk, how (exact, offset,
 *                whitespace, 3-way through the preimage blob, context fix,
 *                function-anchored), and per file where (renames between
 *                the fix's parent and the target are followed through the
 *                merge base, and a hunk whose section names a function the
 *                file lacks follows that function to the file defining it);
 *   needs-human  which hunk, why, and the conflict as diff3 text.  Nothing is
 *                written for that pick.
 *
 * Targets (pick-target.h): a commit's tree in the object database (nothing
 * but objects is written; with a branch name, one commit per applied pick),
 * or a directory (through the apply engine: git work tree, plain tree, quilt).
 *
 * This module knows nothing of the command line; see src/cli/cmd-pick.c. */
#pragma once

#include <gio/gio.h>
#include <git2.h>

#include "model/hunk-report.h"
#include "model/patch.h"

#define BP_PICK_ERROR (bp_pick_error_quark ())
GQuark bp_pick_error_quark (void);

typedef enum {
  BP_PICK_ERROR_INPUT,      /* a PICK that names no commit, range or readable patch */
  BP_PICK_ERROR_TARGET,     /* the target revision, tree or branch cannot be used */
  BP_PICK_ERROR_EXISTS,     /* the branch exists and --force was not given */
  BP_PICK_ERROR_GIT,        /* libgit2 failed */
  BP_PICK_ERROR_UNSAFE,     /* a path that leaves the tree */
  BP_PICK_ERROR_DAMAGED,    /* a pasted patch lost its whitespace: import it against a tree */
  BP_PICK_ERROR_NO_REPO,    /* a PICK that could only be a commit, and no repository */
} BpPickErrorCode;

typedef enum {
  BP_PICK_PRESENT,
  BP_PICK_NOT_NEEDED,
  BP_PICK_APPLIED,
  BP_PICK_NEEDS_HUMAN,
} BpPickVerdict;

/* "present", "not-needed", "applied", "needs-human" */
const char *bp_pick_verdict_to_string (BpPickVerdict verdict);

/* One file the fix changes, as the pick engine sees it. */
typedef struct {
  char *old_path;          /* in the fix's parent; NULL when the fix creates it */
  char *new_path;          /* in the fix; NULL when the fix deletes it */
  guint old_mode, new_mode;  /* git file modes (0100644, 0100755, 0120000); 0 unknown */
  git_oid pre, post;       /* the file's blobs before and after the fix */
  gboolean has_pre, has_post;
  gboolean binary;
  const BpFileDiff *diff;  /* its hunks (borrowed from the item's patch); NULL when binary */
} BpPickFile;

/* One pick of the queue. */
typedef struct {
  char *label;             /* as the user named it: an id, a ref, a file */
  char *commit;            /* full id when the fix is a commit of the repository */
  char *parent;            /* full id of that commit's first parent (the preimage) */
  BpPatch *patch;          /* subject, author, date, message, diff */
  GPtrArray *files;        /* BpPickFile* */
  GPtrArray *fixes;        /* char*: the Fixes: trailers' ids, resolved to full ids where
                              the repository has them, else as written */
} BpPickItem;

void bp_pick_item_free (BpPickItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPickItem, bp_pick_item_free)

/* Where a file of the fix goes in the target. */
typedef struct {
  char *fix_path;          /* the fix's path */
  char *target_path;       /* where it went (NULL: deleted) */
  char *why;               /* how the target path was found, NULL when the same */
} BpPickPlacement;

/* One piece of evidence for a verdict. */
typedef struct {
  char *how;               /* "ancestry", "cherry-pick", "patch-id", "content", "fixes", "queue" */
  char *commit;            /* full id, or NULL */
  char *detail;            /* one phrase */
} BpPickEvidence;

/* What became of one pick. */
typedef struct {
  BpPickItem *item;        /* owned */
  BpPickVerdict verdict;
  GPtrArray *evidence;     /* BpPickEvidence* */
  GPtrArray *hunks;        /* BpHunkReport* (applied and needs-human) */
  GPtrArray *placements;   /* BpPickPlacement* */
  char *how;               /* one phrase for the table: "exact", "offset 12", "3-way",
                              "context fix in F", "renamed from X"... */
  char *why;               /* needs-human: which hunk and why */
  char *conflict;          /* needs-human: diff3 text, or NULL */
  char *note;              /* for a backport commit: "(backport: context fix in F)" or NULL */
  char *diff;              /* applied: the change as it applies to the target (diff --git);
                              filled when the run's options ask (pick-run.h) */
  char *tree;              /* the target's tree after this pick (hex), NULL when unknown */
  char *commit;            /* --branch: the commit made for it (hex), or NULL */
  char *check;             /* --check: the verdict of the compile check, or NULL */
  double seconds;
} BpPickResult;

BpPickResult *bp_pick_result_new (BpPickItem *item);  /* takes ITEM */
void bp_pick_result_add_placement (BpPickResult *result, const char *fix_path,
                                   const char *target_path, const char *why);
void bp_pick_result_free (BpPickResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPickResult, bp_pick_result_free)

/* Exit code rule for a queue: 0 when every pick is applied, present or not
 * needed; 1 when some pick needs a human. */
gboolean bp_pick_results_all_done (GPtrArray *results);
