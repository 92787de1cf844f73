/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Option parsing shared by every cmd-*.c file. */
#include <string.h>

#include "cli/bp-commands.h"
#include "base/bp-error.h"
#include "model/fixpack.h"

gboolean
bp_cmd_parse (GOptionContext *context, int *argc, char ***argv, GError **error)
{
  g_option_context_set_help_enabled (context, TRUE);
  g_autoptr(GError) local = NULL;
  if (!g_option_context_parse (context, argc, argv, &local))
    return bp_usage (error, "%s (see --help)", local->message);
  return TRUE;
}

void
bp_cmd_hint (GError **error, GQuark domain, int code, const char *hint)
{
  if (error == NULL || *error == NULL || !g_error_matches (*error, domain, code))
    return;
  char *msg = g_strconcat ((*error)->message, hint, NULL);
  g_free ((*error)->message);
  (*error)->message = msg;
}

BpFixPack *
bp_cmd_load_pack (const char *name, GError **error)
{
  BpFixPack *pack = bp_fixpack_load_default (name, error);
  bp_cmd_hint (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_SEVERAL, ": name one with --pack");
  if (pack == NULL && name && strchr (name, '/'))
    bp_cmd_hint (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND, " (--pack)");
  return pack;
}
