/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TEMPORARY: stands in for tier2.c (branch tier2) until it is merged, so the
 * reproducer links.  Delete this file and its line in src/meson.build when
 * tier2.c lands. */
#include "tier2.h"

gboolean
bp_repro_tier2_available (char **reason)
{
  if (reason)
    *reason = g_strdup ("tier 2 not built");
  return FALSE;
}

gboolean
bp_repro_tier2_run (const BpReproConfig *config, BpDmaPath path, BpReproResult *result, GError **error)
{
  g_set_error_literal (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY, "tier 2 not built");
  return FALSE;
}
