/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport status` prints: see status-report.h. */
#include "base/json.h"
#include "report/status-report.h"

static void
add_evidence (JsonBuilder *b, GPtrArray *evidence)
{
  json_builder_begin_array (b);
  for (guint i = 0; i < evidence->len; i++)
    {
      const BpEvidence *e = g_ptr_array_index (evidence, i);
      json_builder_begin_object (b);
      bp_json_add_string (b, "how", e->how);
      bp_json_add_string (b, "commit", e->commit);
      bp_json_add_string (b, "subject", e->subject);
      bp_json_add_string (b, "detail", e->detail);
      bp_json_add_string (b, "first_tag", e->first_tag);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_ref (JsonBuilder *b, const BpRefStatus *r)
{
  json_builder_begin_object (b);
  bp_json_add_string (b, "ref", r->name);
  bp_json_add_string (b, "refname", r->refname);
  bp_json_add_string (b, "kind", r->kind);
  bp_json_add_string (b, "commit", r->commit);
  bp_json_add_string (b, "version", r->version);
  bp_json_add_string (b, "line", r->line ? r->line->name : NULL);
  bp_json_add_string (b, "verdict", bp_status_verdict_to_string (r->verdict));
  bp_json_add_string (b, "fixed_by", r->fixed_by);
  bp_json_add_string (b, "why", r->why);
  json_builder_set_member_name (b, "culprit");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "present");
  json_builder_add_boolean_value (b, r->culprit_present);
  json_builder_set_member_name (b, "evidence");
  add_evidence (b, r->culprit_evidence);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "fix");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "present");
  json_builder_add_boolean_value (b, r->fix_present);
  json_builder_set_member_name (b, "evidence");
  add_evidence (b, r->fix_evidence);
  json_builder_set_member_name (b, "in_history");
  json_builder_add_boolean_value (b, r->fix_in_history);
  json_builder_set_member_name (b, "reverted_by");
  add_evidence (b, r->revert_evidence);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "probe");
  json_builder_begin_object (b);
  bp_json_add_string (b, "state", bp_probe_state_to_string (r->probe.state));
  bp_json_add_string (b, "file", r->probe.file);
  bp_json_add_string (b, "detail", r->probe.detail);
  json_builder_set_member_name (b, "partial");
  json_builder_add_boolean_value (b, r->probe.partial);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

JsonNode *
bp_status_report_json (const BpStatusReport *report, const BpFixPack *pack)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  bp_json_add_string (b, "pack", pack->name);
  bp_json_add_string (b, "culprit", pack->culprit_id);
  bp_json_add_string (b, "upstream", pack->upstream_id);
  bp_json_add_string (b, report->history ? "repo" : "tree", report->path);
  json_builder_set_member_name (b, "history");
  json_builder_add_boolean_value (b, report->history);
  bp_json_add_string (b, "history_note", report->history_note);
  json_builder_set_member_name (b, "scan");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "refs");
  json_builder_add_int_value (b, report->n_refs);
  json_builder_set_member_name (b, "commits");
  json_builder_add_int_value (b, report->n_commits);
  json_builder_set_member_name (b, "patch_id_candidates");
  json_builder_add_int_value (b, report->n_candidates);
  json_builder_set_member_name (b, "read");
  json_builder_add_int_value (b, report->n_read);
  bp_json_add_string (b, "graph", report->graph_note);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, report->seconds);
  json_builder_end_object (b);
  bp_json_add_string (b, "culprit_first_tag", report->culprit_first_tag);
  bp_json_add_string (b, "fix_first_tag", report->fix_first_tag);

  /* grouped by line, in the report's order (newest line first) */
  json_builder_set_member_name (b, "lines");
  json_builder_begin_array (b);
  const BpFixLine *current = NULL;
  gboolean open = FALSE;
  for (guint i = 0; i < report->refs->len; i++)
    {
      const BpRefStatus *r = g_ptr_array_index (report->refs, i);
      if (!open || r->line != current)
        {
          if (open)
            {
              json_builder_end_array (b);
              json_builder_end_object (b);
            }
          current = r->line;
          open = TRUE;
          json_builder_begin_object (b);
          bp_json_add_string (b, "line", current ? current->name : NULL);
          bp_json_add_string (b, "pack_verdict", current ? bp_verdict_to_string (current->verdict) : NULL);
          json_builder_set_member_name (b, "refs");
          json_builder_begin_array (b);
        }
      add_ref (b, r);
    }
  if (open)
    {
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static char *
short_evidence (GPtrArray *evidence)
{
  if (evidence->len == 0)
    return g_strdup ("-");
  const BpEvidence *e = g_ptr_array_index (evidence, 0);
  if (e->commit)
    return g_strdup_printf ("%s %.12s%s", e->how, e->commit, evidence->len > 1 ? " +" : "");
  return g_strdup_printf ("%s %s", e->how, e->subject);
}

char *
bp_status_report_text (const BpStatusReport *report, const BpFixPack *pack)
{
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "%s: fix pack %s, culprit %.12s", report->path, pack->name, pack->culprit_id);
  if (report->culprit_first_tag)
    g_string_append_printf (out, " (first in %s)", report->culprit_first_tag);
  if (report->fix_first_tag)
    g_string_append_printf (out, ", fix first in %s", report->fix_first_tag);
  g_string_append_printf (out, "\n");
  if (report->history)
    g_string_append_printf (out, "%u refs, %u commits (%u read, the rest from the status index), %u patch-id candidates, %.2f s\n",
            report->n_refs, report->n_commits, report->n_read, report->n_candidates, report->seconds);
  if (report->history_note)
    g_string_append_printf (out, "note: %s\n", report->history_note);

  const BpFixLine *current = NULL;
  gboolean first = TRUE;
  for (guint i = 0; i < report->refs->len; i++)
    {
      const BpRefStatus *r = g_ptr_array_index (report->refs, i);
      if (first || r->line != current)
        {
          current = r->line;
          first = FALSE;
          if (current)
            g_string_append_printf (out, "\nline %s (pack: %s)\n", current->name, bp_verdict_to_string (current->verdict));
          else
            g_string_append_printf (out, "\nno pack line\n");
          g_string_append_printf (out, "  %-24s %-9s %-26s %-22s %s\n", "REF", "VERSION", "VERDICT", "CULPRIT", "FIX");
        }
      g_autofree char *verdict = NULL;
      switch (r->verdict)
        {
        case BP_STATUS_NOT_AFFECTED: verdict = g_strdup ("not affected"); break;
        case BP_STATUS_AFFECTED: verdict = g_strdup ("AFFECTED, fix missing"); break;
        case BP_STATUS_FIXED:
          verdict = r->fixed_by && r->commit ? g_strdup_printf ("fixed by %.12s", r->fixed_by)
                    : r->fixed_by ? g_strdup_printf ("fixed (%s)", r->fixed_by)
                    : g_strdup ("fixed (by content)");
          break;
        case BP_STATUS_UNKNOWN: verdict = g_strdup ("unknown"); break;
        }
      g_autofree char *culprit = short_evidence (r->culprit_evidence);
      g_autofree char *fix = r->fix_evidence->len ? short_evidence (r->fix_evidence)
                             : r->probe.state == BP_PROBE_FIXED ? g_strdup ("content") : g_strdup ("-");
      g_string_append_printf (out, "  %-24s %-9s %-26s %-22s %s\n", r->name, r->version ? r->version : "?", verdict,
              report->history ? culprit : (r->culprit_present ? "content" : "-"), fix);
      if (r->verdict == BP_STATUS_UNKNOWN || !report->history || (r->verdict == BP_STATUS_AFFECTED && r->fix_in_history))
        g_string_append_printf (out, "    why: %s\n", r->why);
    }
  return g_string_free (out, FALSE);
}
