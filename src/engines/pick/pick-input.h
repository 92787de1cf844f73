/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the user names as picks, turned into BpPickItems:
 *   a commit of the repository (an id or a ref): its change against its
 *   first parent, binary files and mode changes included, renames found as
 *   git finds them;
 *   a range A..B: its commits oldest first, merges left out, optionally only
 *   those whose message matches a regular expression (e.g. '^Cc: qemu-stable');
 *   a patch or mail file: through import's parser (an mbox gives one pick
 *   per message); blob ids of its index lines are resolved in the
 *   repository when it has them, so the 3-way merge can use them. */
#pragma once

#include "engines/pick/pick.h"

/* Append the items PICK names to ITEMS.  REPO may be NULL (then only files
 * are accepted).  TRAILER (may be NULL) filters ranges. */
gboolean bp_pick_input_add (git_repository *repo, const char *pick, const GRegex *trailer,
                            GPtrArray *items, GError **error);

/* The item for COMMIT of REPO. */
BpPickItem *bp_pick_item_from_commit (git_repository *repo, const git_oid *commit,
                                      const char *label, GError **error);

/* The items of a patch or mail file, as import parses it. */
gboolean bp_pick_items_from_file (git_repository *repo, const char *path, GPtrArray *items,
                                  GError **error);
