/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Is a commit in the target's history, by the evidence qemu-stable leaves?
 *   ancestry     the target descends from it;
 *   cherry-pick  a commit of the target says "(cherry picked from commit <it>)";
 *   patch-id     a commit of the target has its patch-id (a pick without -x).
 * Only the target's commits that the commit's own history lacks are read
 * (the stable branch's picks, for a master commit), and of those, patch-ids
 * are computed only for the ones that touch one of the same files. */
#pragma once

#include <git2.h>
#include <glib.h>

#include "engines/pick/pick.h"

typedef struct BpPickHistory BpPickHistory;

/* TARGET: the commit the picks go onto. */
BpPickHistory *bp_pick_history_new (git_repository *repo, const git_oid *target);
void bp_pick_history_free (BpPickHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPickHistory, bp_pick_history_free)

/* Is COMMIT (full hex id) in the target?  TRUE with *EVIDENCE (how,
 * commit, detail) when it is; FALSE when not or when it cannot be told
 * (*KNOWN FALSE then: an id the repository lacks).
 *
 * REFERENCE (may be NULL) is a commit that descends from COMMIT (the fix,
 * when COMMIT is one its Fixes: trailers name), or COMMIT itself.  It makes
 * ancestry cheap on a long history: with B the merge base of REFERENCE and
 * the target, COMMIT is an ancestor of the target exactly when it is not
 * among REFERENCE's own commits since B (a short walk), where libgit2 alone
 * would walk the whole history back to an old COMMIT. */
gboolean bp_pick_history_contains (BpPickHistory *history, const char *commit,
                                   const char *reference, BpPickEvidence **evidence,
                                   gboolean *known, GError **error);

/* Is the change of PATCH, a mail or patch that is no commit here, in the
 * target: a commit of the target with its patch-id.  git am keeps a mail's
 * date as the author date, and a commit is made after it is authored, so
 * only commits made since the mail's date (less a day for clocks) are read,
 * newest first: a recent mail costs a short walk even on QEMU's history.  A
 * patch without a date (a plain diff) is not looked for. */
gboolean bp_pick_history_contains_patch (BpPickHistory *history, const BpPatch *patch,
                                         BpPickEvidence **evidence);

/* The merge base of COMMIT and the target, computed once per queue (NULL:
 * none).  For a fix, the same as its parent's unless the target has it. */
const git_oid *bp_pick_history_base (BpPickHistory *history, const git_oid *commit);

/* TRUE (and ERROR set from it) when reading the target's history failed
 * on an object it lacks: then "not in the target" is no answer.  The
 * answers above already say so through their ERROR. */
gboolean bp_pick_history_failed (BpPickHistory *history, GError **error);

void bp_pick_evidence_free (BpPickEvidence *evidence);
BpPickEvidence *bp_pick_evidence_new (const char *how, const char *commit, const char *detail);
