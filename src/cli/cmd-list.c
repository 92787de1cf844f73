/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport list: the fix packs, their lines, verdicts and patch counts. */
#include <stdio.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "model/fixpack.h"
#include "report/report.h"


static GOptionEntry entries[] = {
  BP_OPTION_JSON ("Print JSON"),
  { NULL }
};

BP_CMD (list)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- list fix packs and their stable lines");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return bp_usage (error, "unexpected argument '%s'", argv[1]);

  g_autoptr(GPtrArray) packs = bp_fixpack_load_all (error);
  if (packs == NULL)
    return FALSE;

  if (bp_opt.json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "packs");
      json_builder_begin_array (b);
      for (guint i = 0; i < packs->len; i++)
        {
          const BpFixPack *pack = g_ptr_array_index (packs, i);
          json_builder_begin_object (b);
          bp_json_add_pack_identity (b, pack);
          json_builder_set_member_name (b, "lines");
          json_builder_begin_array (b);
          for (guint j = 0; j < pack->lines->len; j++)
            bp_json_add_line (b, g_ptr_array_index (pack->lines, j), FALSE);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      bp_json_print (root);
      return TRUE;
    }

  for (guint i = 0; i < packs->len; i++)
    {
      const BpFixPack *pack = g_ptr_array_index (packs, i);
      printf ("fix pack %s %u: %s\n", pack->name, pack->version, pack->subject);
      printf ("  culprit  %.12s (\"%s\")\n", pack->culprit_id, pack->culprit_subject ? pack->culprit_subject : "");
      printf ("  upstream %s\n", pack->upstream_id ? pack->upstream_id : "unknown (carried by the posting's identity)");
      printf ("\n  %-6s %-13s %-7s %-26s %s\n", "LINE", "VERDICT", "PATCHES", "FILE", "BASE");
      for (guint j = 0; j < pack->lines->len; j++)
        {
          const BpFixLine *line = g_ptr_array_index (pack->lines, j);
          printf ("  %-6s %-13s %-7u %-26s %s\n", line->name, bp_verdict_to_string (line->verdict),
                  line->patches->len, line->file ? line->file : "-", line->base);
          if (line->needs_human)
            printf ("         needs a human: %s\n", line->needs_human);
          if (line->fixed_by)
            printf ("         fixed by %s\n", line->fixed_by);
        }
      if (i + 1 < packs->len)
        printf ("\n");
    }
  return TRUE;
}

BP_COMPLETE (list)
{
  bp_complete_options (c, entries);
}
