/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report/report.h"

#include <stdio.h>

void
bp_json_add_pack_identity (JsonBuilder *b, const BpFixPack *pack)
{
  bp_json_add_string (b, "pack", pack->name);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, pack->version);
  bp_json_add_string (b, "subject", pack->subject);
  bp_json_add_string (b, "author", pack->author);
  bp_json_add_string (b, "date", pack->date);
  bp_json_add_string (b, "posting", pack->posting);
  bp_json_add_string (b, "bug", pack->bug);
  bp_json_add_string (b, "upstream", pack->upstream_id);
  json_builder_set_member_name (b, "culprit");
  json_builder_begin_object (b);
  bp_json_add_string (b, "id", pack->culprit_id);
  bp_json_add_string (b, "subject", pack->culprit_subject);
  json_builder_end_object (b);
  bp_json_add_string (b, "function", pack->function);
  bp_json_add_string (b, "reproducer", pack->reproducer);
  json_builder_set_member_name (b, "trailers");
  json_builder_begin_array (b);
  for (guint i = 0; i < pack->trailers->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (pack->trailers, i));
  json_builder_end_array (b);
}

void
bp_json_add_line (JsonBuilder *b, const BpFixLine *line, gboolean details)
{
  json_builder_begin_object (b);
  bp_json_add_string (b, "line", line->name);
  bp_json_add_string (b, "verdict", bp_verdict_to_string (line->verdict));
  bp_json_add_string (b, "file", line->file);
  bp_json_add_string (b, "api", line->api);
  bp_json_add_string (b, "needs_human", line->needs_human);
  bp_json_add_string (b, "fixed_by", line->fixed_by);
  bp_json_add_string (b, "base", line->base);
  bp_json_add_string (b, "evidence", line->evidence);
  bp_json_add_string (b, "note", line->note);
  json_builder_set_member_name (b, "patches");
  json_builder_begin_array (b);
  for (guint i = 0; i < line->patches->len; i++)
    {
      const BpPatch *p = g_ptr_array_index (line->patches, i);
      if (!details)
        {
          json_builder_add_string_value (b, g_ptr_array_index (line->patch_names, i));
          continue;
        }
      json_builder_begin_object (b);
      bp_json_add_string (b, "file", g_ptr_array_index (line->patch_names, i));
      bp_json_add_string (b, "subject", p->subject);
      g_autofree char *author = bp_patch_author (p);
      bp_json_add_string (b, "author", author);
      g_autofree char *date = p->date ? g_date_time_format_iso8601 (p->date) : NULL;
      bp_json_add_string (b, "date", date);
      bp_json_add_string (b, "message", p->message);
      json_builder_set_member_name (b, "files");
      json_builder_begin_array (b);
      for (guint j = 0; j < p->files->len; j++)
        {
          const BpFileDiff *f = g_ptr_array_index (p->files, j);
          json_builder_add_string_value (b, f->new_path ? f->new_path : f->old_path);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}
