/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where one file of a fix goes in the target, and what the file becomes.
 *
 * The ladder, first success wins:
 *   1. the target has the fix's preimage blob: the result is the fix's
 *      postimage (every hunk exact);
 *   2. with the preimage and postimage blobs, a 3-way merge (base: the
 *      fix's parent, ours: the target, theirs: the fix), as git cherry-pick
 *      merges a file: what git would give, with each hunk labelled by
 *      where the locator would put it (exact, offset) or "3-way";
 *   3. hunk by hunk on the target's text: exact at the stated line, at an
 *      offset (nearest first), ignoring whitespace; then inside the function
 *      the hunk's section names (where the file alone is ambiguous); then a
 *      context fix: the changed lines with the context that still matches,
 *      at one place only (qemu-stable's "context fix in FILE").
 * When a hunk finds no place, the file needs a human: which hunk, why, and
 * the conflict as diff3 text (git's, through the preimage, when it is
 * known; else the hunk against the target's lines where it should go). */
#pragma once

#include <git2.h>
#include <glib.h>

#include "engines/pick/pick.h"

typedef struct {
  git_repository *repo;      /* blobs of the fix (may be NULL: mails) */
  const BpPickFile *file;
  const char *target_path;   /* where the file is in the target */
  GBytes *ours;              /* its content there; NULL when absent */
  guint ours_mode;
  const git_oid *ours_id;    /* its blob id, or NULL */
  const char *patch_name;    /* for the hunk reports */
  const char *fix_label;     /* for diff3 labels: "e54ef98c8a (subject)" */
  gboolean other_file;       /* the target file is not the fix's file (the function it
                                names lives there): no 3-way through the fix's blobs */
} BpPlaceInput;

typedef struct {
  gboolean placed;
  gboolean present;          /* every hunk's result is already there */
  GBytes *result;            /* the file after the fix; NULL: deleted */
  guint mode;
  GPtrArray *hunks;          /* BpHunkReport* */
  char *why;                 /* not placed: which hunk and why */
  char *conflict;            /* not placed: diff3 text, or NULL */
} BpPlaceResult;

void bp_place_result_clear (BpPlaceResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpPlaceResult, bp_place_result_clear)

/* Place IN's file.  FALSE only for an error of the store (a blob that
 * cannot be read); a file that does not fit is placed = FALSE. */
gboolean bp_pick_place_file (const BpPlaceInput *in, BpPlaceResult *out, GError **error);

/* Is every hunk of DIFF's result already in OURS (the fix applied)? */
gboolean bp_pick_place_is_present (const BpFileDiff *diff, GBytes *ours);
