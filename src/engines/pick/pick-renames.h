/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Follow a file of the fix from the fix's parent to the target through the
 * history: where the two lines of history meet (their merge base), what was
 * the file called, and what is it called in the target?
 *
 * A path keeps its name on a side when the blob there is the same or
 * similar (libgit2's rename signature, 50% as git's default); otherwise the
 * side's renames are looked for among the files that side deleted (fix's
 * side) or added (target's side) since the merge base.  This is what sends
 * a 10.2 fix of hw/vfio/container.c to 10.1's hw/vfio/container-base.c,
 * although 10.1 has a container.c too (the legacy container). */
#pragma once

#include <git2.h>
#include <glib.h>

typedef struct BpPickRenames BpPickRenames;

/* Between the commit PARENT (the fix's parent) and TARGET (a commit; its
 * tree is what paths are looked up in), whose merge base is BASE (NULL:
 * none; then paths are kept).  NULL with an error only when the repository
 * fails. */
BpPickRenames *bp_pick_renames_new (git_repository *repo, const git_oid *parent,
                                    const git_oid *target, const git_oid *base, GError **error);
void bp_pick_renames_free (BpPickRenames *renames);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPickRenames, bp_pick_renames_free)

/* The target's name for the fix parent's PATH, or NULL when the target has
 * no such file.  *WHY (may be NULL) gets one phrase when the name differs. */
char *bp_pick_renames_follow (BpPickRenames *renames, const char *path, char **why,
                              GError **error);

/* The similarity (0-100) of two blobs, as rename detection scores it;
 * 100 for the same id. */
int bp_pick_blob_similarity (git_repository *repo, const git_oid *a, const git_oid *b);
