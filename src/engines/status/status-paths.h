/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The files a fix pack is about (the lines' files, the patches' files, the
 * culprit's files in the function's directory) and their blob ids in any
 * tree, read with as few tree objects as possible: each directory below the
 * root remembers, per tree id, the ids found under it, and most commits
 * share those trees. */
#pragma once

#include <glib.h>
#include <git2.h>

#include "engines/status/commit-reader.h"

typedef struct BpPathSet BpPathSet;

BpPathSet *bp_path_set_new (BpCommitReader *reader);
void bp_path_set_free (BpPathSet *ps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPathSet, bp_path_set_free)

/* Add PATH ("hw/x/y.c"); a path already there is not added twice. */
void bp_path_set_add (BpPathSet *ps, const char *path);

guint bp_path_set_size (const BpPathSet *ps);

/* The paths, sorted, one a line: what identifies the set. */
char *bp_path_set_key (const BpPathSet *ps);

/* Fill OUT[0 .. size) with the blob ids of the paths in the tree TREE (zero
 * ids for paths it lacks).  FALSE with *MISSING set when a tree object is
 * not in the object store. */
gboolean bp_path_set_resolve (BpPathSet *ps, const git_oid *tree, git_oid *out, git_oid *missing);
