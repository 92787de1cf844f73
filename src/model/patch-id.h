/* SPDX-License-Identifier: GPL-2.0-or-later */
/* git's stable patch-id (`git patch-id --stable`) of a diff: a hash of the
 * change that ignores line numbers, whitespace and the order of the files,
 * so a backport whose hunks moved still has the patch-id of the original. */
#pragma once

#include <glib.h>
#include <git2.h>

#include "model/patch.h"

#define BP_PATCH_ID_ERROR (bp_patch_id_error_quark ())
GQuark bp_patch_id_error_quark (void);

typedef enum {
  BP_PATCH_ID_ERROR_EMPTY,    /* no diff in the input: nothing to hash */
  BP_PATCH_ID_ERROR_GIT,      /* libgit2 could not produce the diff */
} BpPatchIdErrorCode;

/* The patch-id of the first patch in TEXT (a diff, a `git show` or a
 * format-patch mail; leading headers and message are skipped, as git does).
 * FALSE with BP_PATCH_ID_ERROR_EMPTY when TEXT holds no diff. */
gboolean bp_patch_id_from_text (const char *text, gsize len, git_oid *out, GError **error);

/* The patch-id of a parsed patch (its diff text). */
gboolean bp_patch_id_from_patch (const BpPatch *patch, git_oid *out, GError **error);

/* The patch-id of a libgit2 diff, printed the way git prints it. */
gboolean bp_patch_id_from_git_diff (git_diff *diff, git_oid *out, GError **error);

/* The patch-id of COMMIT against its first parent (root commits against the
 * empty tree), with git's defaults: rename detection and the indent
 * heuristic, as `git show COMMIT | git patch-id --stable`.  Merges are
 * refused with BP_PATCH_ID_ERROR_EMPTY (git prints no patch for them).
 *
 * Known difference: for a rename WITH changes, libgit2 scores similarity
 * differently from git ("similarity index 88%" where git says 80%), and that
 * line is hashed, so such a commit gets another id than git gives it.  Pure
 * renames and every other change match git (tests/unit/test-patch-id.c). */
gboolean bp_patch_id_from_commit (git_repository *repo, const git_oid *commit,
                                  git_oid *out, GError **error);

/* The patch-id of COMMIT's change undone (its parent's tree against its
 * own), as bp_patch_id_from_commit() computes it: the patch-id a clean
 * `git revert COMMIT` has.  Merges are refused the same way. */
gboolean bp_patch_id_from_commit_reverse (git_repository *repo, const git_oid *commit,
                                          git_oid *out, GError **error);
