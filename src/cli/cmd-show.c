/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport show LINE: a line's series and its notes. */
#include <stdio.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "model/fixpack.h"
#include "report/report.h"


static GOptionEntry entries[] = {
  BP_OPTION_PACK,
  BP_OPTION_JSON ("Print JSON"),
  { NULL }
};

static void
count_changes (const BpPatch *p, guint *add, guint *del)
{
  *add = *del = 0;
  for (guint i = 0; i < p->files->len; i++)
    {
      const BpFileDiff *f = g_ptr_array_index (p->files, i);
      for (guint j = 0; j < f->hunks->len; j++)
        {
          const BpHunk *h = g_ptr_array_index (f->hunks, j);
          for (guint k = 0; k < h->lines->len; k++)
            {
              char kind = ((const BpDiffLine *) g_ptr_array_index (h->lines, k))->kind;
              *add += kind == '+';
              *del += kind == '-';
            }
        }
    }
}

static void
print_json (BpFixPack *pack, BpFixLine *line)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  bp_json_add_pack_identity (b, pack);
  json_builder_set_member_name (b, "line");
  bp_json_add_line (b, line, TRUE);
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  bp_json_print (root);
}

static void
print_text (BpFixPack *pack, BpFixLine *line)
{
  printf ("line %s of fix pack %s %u: %s\n", line->name, pack->name, pack->version,
          bp_verdict_to_string (line->verdict));
  printf ("  file      %s\n", line->file ? line->file : "-");
  if (line->api)
    printf ("  API era   %s\n", line->api);
  printf ("  base      %s\n", line->base);
  if (line->needs_human)
    printf ("  needs a human: %s\n", line->needs_human);
  if (line->fixed_by)
    printf ("  fixed by  %s\n", line->fixed_by);
  if (line->evidence)
    printf ("  evidence  %s\n", line->evidence);
  if (line->note)
    printf ("  note      %s\n", line->note);
  if (line->patches->len == 0)
    {
      printf ("  series    none: %s\n", line->needs_human ? "its series needs a human first"
                                       : "nothing to apply on this line");
      return;
    }
  printf ("\nseries (%s/series):\n", line->dir);
  for (guint i = 0; i < line->patches->len; i++)
    {
      const BpPatch *p = g_ptr_array_index (line->patches, i);
      g_autofree char *author = bp_patch_author (p);
      g_autofree char *date = p->date ? g_date_time_format (p->date, "%Y-%m-%d") : g_strdup ("-");
      guint add, del;
      count_changes (p, &add, &del);
      printf ("  %u. %s\n     %s\n     %s, %s, %u file(s), +%u -%u\n", i + 1,
              (char *) g_ptr_array_index (line->patch_names, i), p->subject, author, date,
              p->files->len, add, del);
      g_autoptr(GPtrArray) fixes = bp_patch_trailers (p, "Fixes");
      for (guint j = 0; j < fixes->len; j++)
        printf ("     Fixes: %s\n", (char *) g_ptr_array_index (fixes, j));
    }
}

BP_CMD (show)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("LINE - show a line's series and notes");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return bp_usage (error, "give one LINE, e.g. `backport show 10.2`");

  g_autoptr(BpFixPack) pack = bp_cmd_load_pack (bp_opt.pack, error);
  if (pack == NULL)
    return FALSE;
  BpFixLine *line = bp_fixpack_get_line (pack, argv[1], error);
  if (line == NULL)
    return FALSE;

  if (bp_opt.json)
    print_json (pack, line);
  else
    print_text (pack, line);
  return TRUE;
}

BP_COMPLETE (show)
{
  if (!bp_complete_options (c, entries) && bp_complete_arg_index (c, entries) == 1)
    bp_complete_lines (c);
}
