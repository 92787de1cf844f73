/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `pick --check`: compile what a pick touches with the target tree's own
 * build, before and after the pick (the check engine: the tree's configure
 * and ninja, only the touched objects).  A pick that breaks the build needs
 * a human; one the machine cannot build is said so and stays applied.
 * Onto a revision, the target's tree is exported to the cache first. */
#pragma once

#include "engines/pick/pick.h"

typedef struct {
  const char *tree_dir;      /* the directory picked into, or NULL ... */
  git_repository *repo;      /* ... the repository and */
  const git_oid *tree;       /* the target's tree before this pick */
  const git_oid *attr_commit;  /* for the export's .gitattributes */
  const char *cache_dir;     /* exports and build dirs; NULL: $XDG_CACHE_HOME/backport */
} BpPickCheckTarget;

/* Check R (applied; R->diff is its change against the target).  Sets
 * R->check; a pick that breaks the build becomes needs-human with the
 * compiler's first error.  FALSE only on cancel. */
gboolean bp_pick_check (BpPickResult *r, const BpPickCheckTarget *target, GCancellable *cancellable,
                        GError **error);
