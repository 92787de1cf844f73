/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The options several commands share: see cmd-options.h. */
#include "cli/cmd-options.h"

BpCommonOptions bp_opt;

void
bp_common_options_clear (void)
{
  g_clear_pointer (&bp_opt.pack, g_free);
  g_clear_pointer (&bp_opt.repo, g_free);
  g_clear_pointer (&bp_opt.cache, g_free);
  bp_opt.json = FALSE;
}
