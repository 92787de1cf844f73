/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "model/hunk-report.h"

const char *
bp_hunk_match_to_string (BpHunkMatch how)
{
  switch (how)
    {
    case BP_HUNK_EXACT: return "exact";
    case BP_HUNK_OFFSET: return "offset";
    case BP_HUNK_WHITESPACE: return "whitespace";
    case BP_HUNK_FUZZ: return "fuzz";
    case BP_HUNK_THREE_WAY: return "3-way";
    case BP_HUNK_CONTEXT: return "context";
    case BP_HUNK_FUNCTION: return "function";
    case BP_HUNK_ALREADY: return "already";
    case BP_HUNK_FAILED: return "failed";
    }
  return "?";
}

void
bp_hunk_report_free (BpHunkReport *report)
{
  if (report == NULL)
    return;
  g_free (report->patch);
  g_free (report->file);
  g_free (report->detail);
  g_free (report);
}

gboolean
bp_hunk_reports_already_applied (GPtrArray *reports)
{
  if (reports == NULL || reports->len == 0)
    return FALSE;
  for (guint i = 0; i < reports->len; i++)
    if (((BpHunkReport *) reports->pdata[i])->how != BP_HUNK_ALREADY)
      return FALSE;
  return TRUE;
}

char *
bp_hunk_report_to_text (const BpHunkReport *r)
{
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "%s: %s hunk #%u: ", r->patch, r->file, r->hunk);
  switch (r->how)
    {
    case BP_HUNK_EXACT:
      g_string_append_printf (out, "exact at line %u", r->applied_line);
      break;
    case BP_HUNK_OFFSET:
    case BP_HUNK_WHITESPACE:
    case BP_HUNK_FUZZ:
    case BP_HUNK_CONTEXT:
    case BP_HUNK_FUNCTION:
      g_string_append_printf (out, "%s at line %u (stated %u, offset %+d", bp_hunk_match_to_string (r->how),
                              r->applied_line, r->stated_line, r->offset);
      if (r->fuzz)
        g_string_append_printf (out, ", fuzz %u", r->fuzz);
      g_string_append_c (out, ')');
      break;
    case BP_HUNK_THREE_WAY:
      g_string_append_printf (out, "3-way merged (stated line %u)", r->stated_line);
      break;
    case BP_HUNK_ALREADY:
      g_string_append_printf (out, "already applied at line %u", r->applied_line);
      break;
    case BP_HUNK_FAILED:
      g_string_append_printf (out, "FAILED (stated line %u)", r->stated_line);
      break;
    }
  if (r->detail)
    g_string_append_printf (out, ": %s", r->detail);
  return g_string_free (out, FALSE);
}

void
bp_hunk_report_to_json (JsonBuilder *b, const BpHunkReport *r)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "patch");
  json_builder_add_string_value (b, r->patch);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, r->file);
  json_builder_set_member_name (b, "hunk");
  json_builder_add_int_value (b, r->hunk);
  json_builder_set_member_name (b, "stated_line");
  json_builder_add_int_value (b, r->stated_line);
  json_builder_set_member_name (b, "applied_line");
  json_builder_add_int_value (b, r->applied_line);
  json_builder_set_member_name (b, "how");
  json_builder_add_string_value (b, bp_hunk_match_to_string (r->how));
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, r->offset);
  json_builder_set_member_name (b, "fuzz");
  json_builder_add_int_value (b, r->fuzz);
  json_builder_set_member_name (b, "detail");
  if (r->detail)
    json_builder_add_string_value (b, r->detail);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
}
