/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Option parsing shared by every cmd-*.c file. */
#include <string.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "base/bp-error.h"
#include "base/transaction.h"
#include "engines/apply.h"
#include "engines/quilt.h"
#include "model/fixpack.h"
#include "model/patch.h"
#include "sources/trees.h"

gboolean
bp_cmd_parse (GOptionContext *context, int *argc, char ***argv, GError **error)
{
  bp_common_options_clear ();
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

void
bp_cmd_hint_apply (GError **error, const char *tree)
{
  bp_cmd_hint (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DIRTY, ", or pass --force");
  bp_cmd_hint (error, BP_APPLY_ERROR, BP_APPLY_ERROR_DIRTY_FILE, ", or pass --files to change the files without commits");
  bp_cmd_hint (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_GIT, "; drop --commit");
  bp_cmd_hint (error, BP_QUILT_ERROR, BP_QUILT_ERROR_NOT_PUSHED, " (or pass --force)");
  bp_cmd_hint (error, BP_QUILT_ERROR, BP_QUILT_ERROR_NOT_DEBIAN, " for --quilt");
  bp_cmd_hint (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE, " (--tree)");
  g_autofree char *recover = g_strdup_printf (" (if it was interrupted: `backport apply --recover --tree %s`)", tree);
  bp_cmd_hint (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_BUSY, recover);
  bp_cmd_hint_damaged_patch (error);
}

void
bp_cmd_hint_damaged_patch (GError **error)
{
  bp_cmd_hint (error, BP_PATCH_ERROR, BP_PATCH_ERROR_CORRUPT, "; `backport import --tree DIR` repairs a damaged patch");
}

char *
bp_cmd_tree_remedy (const char *line, guint remedy)
{
  g_autoptr(GPtrArray) ways = g_ptr_array_new_with_free_func (g_free);
  if (remedy & BP_TREE_REMEDY_REPO)
    g_ptr_array_add (ways, g_strdup ("--repo DIR"));
  if (remedy & BP_TREE_REMEDY_TREE)
    g_ptr_array_add (ways, g_strdup_printf ("--tree %s=DIR", line));
  g_ptr_array_add (ways, NULL);
  g_autofree char *use = ways->len > 1 ? g_strjoinv (" or ", (char **) ways->pdata) : NULL;
  if (remedy & BP_TREE_REMEDY_ONLINE)
    return use ? g_strdup_printf ("run once without --offline, or use %s", use) : g_strdup ("run once without --offline");
  return use ? g_strdup_printf ("use %s", use) : NULL;
}

BpFixPack *
bp_cmd_load_pack (const char *name, GError **error)
{
  BpFixPack *pack = bp_fixpack_load_default (name, error);
  bp_cmd_hint_damaged_patch (error);
  bp_cmd_hint (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_SEVERAL, ": name one with --pack");
  if (pack == NULL && name && strchr (name, '/'))
    bp_cmd_hint (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND, " (--pack)");
  return pack;
}
