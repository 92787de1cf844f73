/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport status: per line, tag and branch, is the culprit there, is the
 * fix there, and the verdict with its evidence.
 *
 * Exit codes: 0 when no scanned ref is affected with the fix missing and none
 * is unknown; 1 when one is affected (the check found the problem:
 * DESIGN.md), or unknown without --unknown-ok (0 promises "nothing
 * affected", which an unknown ref does not show); 2 usage; 3 bad or missing
 * input (not a repository, not a QEMU tree, unknown ref, shallow or partial
 * clone, missing objects, a --tree whose code cannot be read). */
#include <stdio.h>
#include <string.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "base/bp-error.h"
#include "model/fixpack.h"
#include "engines/status/history.h"
#include "report/report.h"

static char *opt_tree;
static char **opt_refs;
static gboolean opt_unknown_ok;

static GOptionEntry entries[] = {
  BP_OPTION_REPO ("QEMU git repository (default: the current directory)"),
  { "tree", 0, 0, G_OPTION_ARG_FILENAME, &opt_tree, "Plain QEMU source tree (no history)", "DIR" },
  { "refs", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_refs,
    "Refs to scan (globs on full or short names, or revisions; repeatable; "
    "default: tags v*, branches stable-*, staging-*, master, main)", "PATTERN" },
  BP_OPTION_PACK,
  BP_OPTION_JSON ("Print JSON"),
  { "unknown-ok", 0, 0, G_OPTION_ARG_NONE, &opt_unknown_ok,
    "Exit 0 even when some ref is unknown (its code cannot be read)", NULL },
  BP_OPTION_CACHE ("Where the status index is kept (default $XDG_CACHE_HOME/backport; the index goes to DIR/status/)"),
  { NULL }
};

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

static void
print_json (const BpStatusReport *report, const BpFixPack *pack)
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
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  bp_json_print (root);
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

static void
print_text (const BpStatusReport *report, const BpFixPack *pack)
{
  printf ("%s: fix pack %s, culprit %.12s", report->path, pack->name, pack->culprit_id);
  if (report->culprit_first_tag)
    printf (" (first in %s)", report->culprit_first_tag);
  if (report->fix_first_tag)
    printf (", fix first in %s", report->fix_first_tag);
  printf ("\n");
  if (report->history)
    printf ("%u refs, %u commits (%u read, the rest from the status index), %u patch-id candidates, %.2f s\n",
            report->n_refs, report->n_commits, report->n_read, report->n_candidates, report->seconds);
  if (report->history_note)
    printf ("note: %s\n", report->history_note);

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
            printf ("\nline %s (pack: %s)\n", current->name, bp_verdict_to_string (current->verdict));
          else
            printf ("\nno pack line\n");
          printf ("  %-24s %-9s %-26s %-22s %s\n", "REF", "VERSION", "VERDICT", "CULPRIT", "FIX");
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
      printf ("  %-24s %-9s %-26s %-22s %s\n", r->name, r->version ? r->version : "?", verdict,
              report->history ? culprit : (r->culprit_present ? "content" : "-"), fix);
      if (r->verdict == BP_STATUS_UNKNOWN || !report->history || (r->verdict == BP_STATUS_AFFECTED && r->fix_in_history))
        printf ("    why: %s\n", r->why);
    }
}

/* Exit 1 for affected refs, and for unknown ones unless --unknown-ok; exit 3
 * when a --tree's code cannot be read. */
static gboolean
verdict_exit (const BpStatusReport *report, GError **error)
{
  guint affected = 0, unknown = 0;
  const BpRefStatus *unreadable = NULL;
  for (guint i = 0; i < report->refs->len; i++)
    {
      const BpRefStatus *r = g_ptr_array_index (report->refs, i);
      affected += r->verdict == BP_STATUS_AFFECTED;
      unknown += r->verdict == BP_STATUS_UNKNOWN;
      if (r->probe.state == BP_PROBE_UNREADABLE && unreadable == NULL)
        unreadable = r;
    }
  if (!report->history && unreadable)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_MISSING,
                   "%s: unknown: %s (restore the file, or give --tree a whole QEMU source tree)",
                   report->path, unreadable->probe.detail);
      return FALSE;
    }
  if (affected)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_FOUND, "%u of %u refs are affected with the fix missing%s",
                   affected, report->refs->len, unknown && !opt_unknown_ok ? ", and some are unknown" : "");
      return FALSE;
    }
  if (unknown && !opt_unknown_ok)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_FOUND,
                   "%u of %u refs are unknown (the probe cannot read their code: see \"why\"); "
                   "--unknown-ok accepts that", unknown, report->refs->len);
      return FALSE;
    }
  return TRUE;
}

BP_CMD (status)
{
  g_clear_pointer (&opt_tree, g_free);
  g_clear_pointer (&opt_refs, g_strfreev);
  opt_unknown_ok = FALSE;
  g_autoptr(GOptionContext) context = g_option_context_new ("[PATTERN...] - where the bug lives and where it is fixed");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "For each tag and branch of a QEMU repository (or one plain source tree):\n"
    "is the culprit there, is the fix there, what the code says, and the verdict:\n"
    "not-affected, affected (fix missing), fixed (by which commit) or unknown (why).\n"
    "The code decides: a ref whose code shows the bug is affected even when a fix\n"
    "commit is in its history (reverted, or only partly applied).\n\n"
    "Exit status: 0 nothing affected and nothing unknown, 1 some ref is affected\n"
    "with the fix missing (or unknown, without --unknown-ok), 2 usage, 3 unusable\n"
    "input (not a repository or QEMU tree, unknown ref, shallow or partial clone,\n"
    "missing objects, a tree whose code cannot be read).");
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (bp_opt.repo && opt_tree)
    return bp_usage (error, "--repo and --tree exclude each other");

  /* patterns: --refs values (comma or space separated) and the arguments */
  g_autoptr(GPtrArray) patterns = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; opt_refs && opt_refs[i]; i++)
    {
      g_auto(GStrv) parts = g_strsplit_set (opt_refs[i], ", \t", -1);
      for (guint j = 0; parts[j]; j++)
        if (parts[j][0])
          g_ptr_array_add (patterns, g_strdup (parts[j]));
    }
  for (int i = 1; i < argc; i++)
    g_ptr_array_add (patterns, g_strdup (argv[i]));
  g_ptr_array_add (patterns, NULL);
  if (opt_tree && patterns->len > 1)
    return bp_usage (error, "--refs needs a repository, not --tree");

  g_autoptr(BpFixPack) pack = bp_cmd_load_pack (bp_opt.pack, error);
  if (pack == NULL)
    return FALSE;

  g_autoptr(BpStatusReport) report = NULL;
  BpHistoryOptions options = { .cache_dir = bp_opt.cache };
  if (opt_tree)
    report = bp_history_scan_tree (opt_tree, pack, error);
  else
    report = bp_history_scan_repo_with (bp_opt.repo ? bp_opt.repo : ".", pack,
                                        (const char *const *) patterns->pdata, &options, error);
  if (report == NULL)
    {
      bp_cmd_hint (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NO_REFS, "; name some with --refs");
      if (!opt_tree)
        bp_cmd_hint (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_A_REPO,
                     ": give --repo a QEMU clone, or --tree an unpacked source");
      else
        bp_cmd_hint (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_QEMU, " (--tree)");
      return FALSE;
    }
  if (report->cache_note)
    fprintf (stderr, "backport status: %s\n", report->cache_note);

  if (bp_opt.json)
    print_json (report, pack);
  else
    print_text (report, pack);
  fflush (stdout);
  return verdict_exit (report, error);
}
