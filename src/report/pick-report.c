/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `backport pick` output.  See pick-report.h. */
#include <string.h>

#include "report/pick-report.h"
#include "report/report.h"

/* The pick's name in the table: the commit's short id, or the file. */
static char *
short_name (const BpPickItem *item)
{
  if (item->commit)
    return g_strndup (item->commit, 10);
  return g_path_get_basename (item->label);
}

/* SUBJECT cut to WIDTH characters (UTF-8 aware), with an ellipsis. */
static char *
cut (const char *subject, glong width)
{
  if (subject == NULL)
    return g_strdup ("");
  if (g_utf8_strlen (subject, -1) <= width)
    return g_strdup (subject);
  g_autofree char *head = g_utf8_substring (subject, 0, width - 1);
  return g_strconcat (head, "…", NULL);
}

/* How a pick went, in one cell. */
static char *
how_cell (const BpPickResult *r)
{
  switch (r->verdict)
    {
    case BP_PICK_APPLIED:
      if (r->check)
        return g_strdup_printf ("%s; %s", r->how ? r->how : "", r->check);
      return g_strdup (r->how ? r->how : "");
    case BP_PICK_NEEDS_HUMAN:
      return g_strdup (r->why ? r->why : "");
    case BP_PICK_PRESENT:
    case BP_PICK_NOT_NEEDED:
      {
        g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
        for (guint i = 0; i < r->evidence->len; i++)
          {
            const BpPickEvidence *e = r->evidence->pdata[i];
            g_ptr_array_add (parts, g_strdup_printf ("%s: %s", e->how, e->detail ? e->detail : ""));
          }
        g_ptr_array_add (parts, NULL);
        return g_strjoinv ("; ", (char **) parts->pdata);
      }
    }
  return g_strdup ("");
}

char *
bp_pick_report_text (GPtrArray *results)
{
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "%-10s  %-50s  %-11s  %s\n", "PICK", "SUBJECT", "VERDICT", "HOW");
  for (guint i = 0; i < results->len; i++)
    {
      const BpPickResult *r = results->pdata[i];
      g_autofree char *name = short_name (r->item);
      g_autofree char *subject = cut (r->item->patch->subject, 50);
      g_autofree char *how = how_cell (r);
      /* printf pads by bytes; pad the subject by characters. */
      glong pad = 50 - g_utf8_strlen (subject, -1);
      g_string_append_printf (out, "%-10s  %s%*s  %-11s  %s\n", name, subject, (int) MAX (pad, 0), "",
                              bp_pick_verdict_to_string (r->verdict), how);
    }
  for (guint i = 0; i < results->len; i++)
    {
      const BpPickResult *r = results->pdata[i];
      if (r->verdict != BP_PICK_NEEDS_HUMAN)
        continue;
      g_autofree char *name = short_name (r->item);
      g_string_append_printf (out, "\n%s needs a human: %s\n", name, r->why ? r->why : "");
      if (r->conflict)
        g_string_append (out, r->conflict);
    }
  const BpPickResult *last = results->len ? results->pdata[results->len - 1] : NULL;
  if (last && last->tree)
    g_string_append_printf (out, "tree %s\n", last->tree);
  return g_string_free (out, FALSE);
}

static void
add_hunks (JsonBuilder *b, GPtrArray *hunks)
{
  json_builder_begin_array (b);
  for (guint i = 0; i < hunks->len; i++)
    {
      const BpHunkReport *h = hunks->pdata[i];
      json_builder_begin_object (b);
      bp_json_add_string (b, "file", h->file);
      json_builder_set_member_name (b, "hunk");
      json_builder_add_int_value (b, h->hunk);
      bp_json_add_string (b, "how", bp_hunk_match_to_string (h->how));
      json_builder_set_member_name (b, "stated_line");
      json_builder_add_int_value (b, h->stated_line);
      json_builder_set_member_name (b, "applied_line");
      json_builder_add_int_value (b, h->applied_line);
      json_builder_set_member_name (b, "offset");
      json_builder_add_int_value (b, h->offset);
      bp_json_add_string (b, "detail", h->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_pick (JsonBuilder *b, const BpPickResult *r)
{
  const BpPickItem *item = r->item;
  json_builder_begin_object (b);
  bp_json_add_string (b, "pick", item->label);
  bp_json_add_string (b, "commit", item->commit);
  bp_json_add_string (b, "subject", item->patch->subject);
  bp_json_add_string (b, "verdict", bp_pick_verdict_to_string (r->verdict));
  bp_json_add_string (b, "how", r->how);
  bp_json_add_string (b, "why", r->why);
  json_builder_set_member_name (b, "fixes");
  json_builder_begin_array (b);
  for (guint i = 0; item->fixes && i < item->fixes->len; i++)
    json_builder_add_string_value (b, item->fixes->pdata[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "evidence");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->evidence->len; i++)
    {
      const BpPickEvidence *e = r->evidence->pdata[i];
      json_builder_begin_object (b);
      bp_json_add_string (b, "how", e->how);
      bp_json_add_string (b, "commit", e->commit);
      bp_json_add_string (b, "detail", e->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->placements->len; i++)
    {
      const BpPickPlacement *p = r->placements->pdata[i];
      json_builder_begin_object (b);
      bp_json_add_string (b, "fix_path", p->fix_path);
      bp_json_add_string (b, "target_path", p->target_path);
      bp_json_add_string (b, "why", p->why);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "hunks");
  add_hunks (b, r->hunks);
  bp_json_add_string (b, "conflict", r->conflict);
  bp_json_add_string (b, "note", r->note);
  bp_json_add_string (b, "tree", r->tree);
  bp_json_add_string (b, "made_commit", r->commit);
  bp_json_add_string (b, "check", r->check);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->seconds);
  json_builder_end_object (b);
}

JsonNode *
bp_pick_report_json (GPtrArray *results, const char *branch, int exit_code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "picks");
  json_builder_begin_array (b);
  for (guint i = 0; i < results->len; i++)
    add_pick (b, results->pdata[i]);
  json_builder_end_array (b);
  const BpPickResult *last = results->len ? results->pdata[results->len - 1] : NULL;
  bp_json_add_string (b, "tree", last ? last->tree : NULL);
  bp_json_add_string (b, "branch", branch);
  json_builder_set_member_name (b, "exit");
  json_builder_add_int_value (b, exit_code);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
