/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tier 2 of the reproducer: the real kernel path through /dev/iommu and the
 * iommufd test mock (CONFIG_IOMMUFD_TEST): IOAS, mock domain, access object,
 * IOMMU_IOAS_MAP_FILE vs IOMMU_IOAS_MAP, ACCESS_RW, MD_CHECK_MAP. */
#pragma once

#include "engines/repro/repro.h"

/* TRUE when /dev/iommu opens and answers IOMMU_TEST_CMD; else REASON says why
 * ("no /dev/iommu", "kernel without CONFIG_IOMMUFD_TEST"). */
gboolean bp_repro_tier2_available (char **reason);

/* Map guest RAM described by CONFIG through PATH, let the guest write, then
 * read, check and write through the mock device.  Fills the counters of RESULT. */
gboolean bp_repro_tier2_run (const BpReproConfig *config, BpDmaPath path,
                             BpReproResult *result, GError **error);
