/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport export LINE --format quilt|dep3|mbox|rpm [--output DIR] */
#include <stdio.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "engines/export.h"
#include "model/fixpack.h"

static char *opt_format;
static char *opt_output;

static GOptionEntry entries[] = {
  { "format", 'f', 0, G_OPTION_ARG_STRING, &opt_format, "quilt, dep3, mbox or rpm", "FORMAT" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
    "Directory to write to (quilt/dep3: DIR/patches/; default .; mbox/rpm: stdout only when absent)", "DIR" },
  BP_OPTION_PACK,
  { NULL }
};

BP_CMD (export)
{
  g_clear_pointer (&opt_format, g_free);
  g_clear_pointer (&opt_output, g_free);
  g_autoptr(GOptionContext) context = g_option_context_new ("LINE --format FORMAT - write a line's series for a distribution");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return bp_usage (error, "give one LINE, e.g. `backport export 10.2 --format dep3`");
  BpExportFormat format;
  if (opt_format == NULL || !bp_export_format_from_string (opt_format, &format))
    return bp_usage (error, "--format must be quilt, dep3, mbox or rpm%s%s",
                     opt_format ? ", not " : "", opt_format ? opt_format : "");

  g_autoptr(BpFixPack) pack = bp_cmd_load_pack (bp_opt.pack, error);
  if (pack == NULL)
    return FALSE;
  BpFixLine *line = bp_fixpack_get_line (pack, argv[1], error);
  if (line == NULL)
    return FALSE;

  g_autoptr(GPtrArray) written = NULL;
  g_autofree char *text = NULL;
  if (!bp_export (line, format, opt_output, &written, &text, error))
    return FALSE;
  if (text && (format == BP_EXPORT_RPM || opt_output == NULL))
    fputs (text, stdout);
  for (guint i = 0; i < written->len; i++)
    fprintf (stderr, "wrote %s\n", (char *) g_ptr_array_index (written, i));
  return TRUE;
}

BP_COMPLETE (export)
{
  if (!bp_complete_options (c, entries) && bp_complete_arg_index (c, entries) == 1)
    bp_complete_lines (c);
}
