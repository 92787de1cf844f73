/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Option parsing shared by every cmd-*.c file. */
#include "cli/bp-commands.h"
#include "base/bp-error.h"

gboolean
bp_cmd_parse (GOptionContext *context, int *argc, char ***argv, GError **error)
{
  g_option_context_set_help_enabled (context, TRUE);
  g_autoptr(GError) local = NULL;
  if (!g_option_context_parse (context, argc, argv, &local))
    return bp_usage (error, "%s (see --help)", local->message);
  return TRUE;
}
