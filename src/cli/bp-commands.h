/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One function per subcommand, each in its own src/cmd-<name>.c.
 * argv[0] is the subcommand name; the function parses its own options. */
#pragma once

#include <gio/gio.h>

#define BP_CMD(name) \
  gboolean bp_cmd_##name (int argc, char **argv, GCancellable *cancellable, GError **error)

BP_CMD (export);
BP_CMD (list);
BP_CMD (show);
BP_CMD (status);
BP_CMD (version);
BP_CMD (apply);
BP_CMD (check);
BP_CMD (import);
BP_CMD (repro);
BP_CMD (bisect);
BP_CMD (verify);
BP_CMD (pick);
BP_CMD (pack);

/* Each command's shell completion, beside it in cmd-<name>.c (complete.h). */
#include "cli/complete.h"
BP_COMPLETE (export);
BP_COMPLETE (list);
BP_COMPLETE (show);
BP_COMPLETE (status);
BP_COMPLETE (apply);
BP_COMPLETE (check);
BP_COMPLETE (import);
BP_COMPLETE (repro);
BP_COMPLETE (bisect);
BP_COMPLETE (verify);
BP_COMPLETE (pick);
BP_COMPLETE (pack);

/* Parse a command's options with the common conventions: --help prints the
 * summary, unknown options are usage errors (exit 2). */
gboolean bp_cmd_parse (GOptionContext *context, int *argc, char ***argv, GError **error);

/* The libraries say what is wrong; a command says which of its options
 * mends it: when *ERROR is DOMAIN/CODE, append HINT to its message. */
void bp_cmd_hint (GError **error, GQuark domain, int code, const char *hint);

/* The options that mend the apply engine's refusals of TREE (apply and
 * pick --tree share them: --force, --commit, --quilt, --recover). */
void bp_cmd_hint_apply (GError **error, const char *tree);

/* What gives a line without a tree one (BpTreeRemedy flags), in verify's
 * options: "run once without --offline, or use --repo DIR or --tree 10.2=DIR". */
char *bp_cmd_tree_remedy (const char *line, guint remedy);

/* A damaged patch: `backport import --tree` repairs it. */
void bp_cmd_hint_damaged_patch (GError **error);

/* The fix pack NAME (NULL: the only bundled one), hinting at --pack when
 * there are several. */
struct _BpFixPack *bp_cmd_load_pack (const char *name, GError **error);
