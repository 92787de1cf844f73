/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the parts of src/repro/: not for users of the reproducer. */
#pragma once

#include "engines/repro/guest-ram.h"
#include "engines/repro/repro.h"

/* Tier 1: a forked device process that holds only what PATH gives it (the
 * fd, or the pid and address) DMAs into RAM, which bp_repro_run opened.
 * Fills the counters, PFNs and timing of RESULT. */
gboolean bp_repro_tier1_run (const BpReproConfig *config, BpGuestRam *ram, BpDmaPath path,
                             BpReproResult *result, GError **error);

/* The tree policy for CONFIG (tree_dir, or repo_dir + rev): find the file
 * that defines vfio_container_dma_map, and ask bp_repro_tree_decision. */
gboolean bp_repro_tree_policy (const BpReproConfig *config, gboolean share, BpDmaPath *path,
                               char **evidence, GError **error);
