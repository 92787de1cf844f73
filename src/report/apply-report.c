/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport apply` says: see apply-report.h. */
#include "model/hunk-report.h"
#include "report/apply-report.h"

char *
bp_apply_report_hunks_text (const BpApplyReport *r)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; r->reports && i < r->reports->len; i++)
    {
      g_autofree char *text = bp_hunk_report_to_text (r->reports->pdata[i]);
      g_string_append_printf (out, "%s\n", text);
    }
  return g_string_free (out, FALSE);
}

JsonNode *
bp_apply_report_json (const BpApplyReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "line");
  json_builder_add_string_value (b, r->line);
  json_builder_set_member_name (b, "tree");
  json_builder_add_string_value (b, r->tree);
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, r->target);
  json_builder_set_member_name (b, "check");
  json_builder_add_boolean_value (b, r->check);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, r->result);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, r->message);
  json_builder_set_member_name (b, "hunks");
  json_builder_begin_array (b);
  for (guint i = 0; r->reports && i < r->reports->len; i++)
    bp_hunk_report_to_json (b, r->reports->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
