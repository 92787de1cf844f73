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
#include "cli/complete.h"
#include "report/status-report.h"
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

/* The refs asked for: --refs values (comma or space separated) and the
 * arguments, NULL-terminated. */
static GPtrArray *
ref_patterns (int argc, char **argv)
{
  GPtrArray *patterns = g_ptr_array_new_with_free_func (g_free);
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
  return patterns;
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

  g_autoptr(GPtrArray) patterns = ref_patterns (argc, argv);
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
    {
      g_autoptr(JsonNode) root = bp_status_report_json (report, pack);
      bp_json_print (root);
    }
  else
    {
      g_autofree char *text = bp_status_report_text (report, pack);
      fputs (text, stdout);
    }
  fflush (stdout);
  return verdict_exit (report, error);
}

BP_COMPLETE (status)
{
  bp_complete_options (c, entries);
}
