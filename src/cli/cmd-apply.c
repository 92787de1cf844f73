/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport apply LINE --tree DIR: put a line's series into a tree. */
#include <stdio.h>
#include <string.h>

#include "engines/apply.h"
#include "engines/quilt.h"
#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "base/transaction.h"
#include "base/json.h"
#include "model/fixpack.h"
#include "model/hunk-report.h"
#include "report/apply-report.h"

static char *opt_tree;
static gboolean opt_check, opt_commit, opt_quilt, opt_files, opt_three_way, opt_force;
static gboolean opt_signoff, opt_recover;
static int opt_fuzz;

static GOptionEntry entries[] = {
  { "tree", 't', 0, G_OPTION_ARG_FILENAME, &opt_tree, "Tree to patch (git work tree or unpacked source)", "DIR" },
  { "check", 0, 0, G_OPTION_ARG_NONE, &opt_check, "Only say whether and how the series applies", NULL },
  { "commit", 0, 0, G_OPTION_ARG_NONE, &opt_commit, "One commit per patch (default in a git work tree)", NULL },
  { "quilt", 0, 0, G_OPTION_ARG_NONE, &opt_quilt, "Also add the patches to debian/patches, series and .pc", NULL },
  { "files", 0, 0, G_OPTION_ARG_NONE, &opt_files, "Only change files, even in a git work tree", NULL },
  { "3way", '3', 0, G_OPTION_ARG_NONE, &opt_three_way, "Merge through the preimage blob when a hunk does not fit", NULL },
  BP_OPTION_REPO ("Repository holding preimage blobs for --3way"),
  { "fuzz", 0, 0, G_OPTION_ARG_INT, &opt_fuzz, "Allow dropping up to N context lines (reported)", "N" },
  { "force", 'f', 0, G_OPTION_ARG_NONE, &opt_force, "Accept a dirty tree or a tree of another line", NULL },
  { "signoff", 's', 0, G_OPTION_ARG_NONE, &opt_signoff, "Add your Signed-off-by to each commit", NULL },
  BP_OPTION_PACK,
  BP_OPTION_JSON ("Report as JSON"),
  { "recover", 0, 0, G_OPTION_ARG_NONE, &opt_recover, "Only finish or undo an interrupted apply in --tree, then exit", NULL },
  { NULL }
};

static char *
tree_version (const char *tree)
{
  g_autofree char *path = g_build_filename (tree, "VERSION", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strstrip (g_steal_pointer (&text));
}

/* Print REPORT as the user asked: JSON, or the hunks and, unless it
 * failed (main prints the error), the message. */
static void
print_report (const BpApplyReport *report)
{
  if (bp_opt.json)
    {
      g_autoptr(JsonNode) root = bp_apply_report_json (report);
      bp_json_print (root);
      return;
    }
  g_autofree char *hunks = bp_apply_report_hunks_text (report);
  fputs (hunks, stdout);
  if (g_strcmp0 (report->result, "failed") != 0)
    printf ("%s\n", report->message);
}

static gboolean
not_affected (const char *line, const char *why)
{
  g_autofree char *msg = g_strdup_printf ("%s: not affected, nothing to apply", why);
  BpApplyReport report = { line, opt_tree, "none", opt_check, "not-affected", msg, NULL };
  print_report (&report);
  return TRUE;
}

/* --recover: roll an interrupted apply back (or forward), nothing else. */
static gboolean
recover_only (int argc, GError **error)
{
  if (opt_tree == NULL)
    return bp_usage (error, "--recover needs --tree DIR (see --help)");
  if (argc > 2 || opt_check || opt_commit || opt_quilt || opt_files || opt_force)
    return bp_usage (error, "--recover takes only --tree DIR");
  if (!g_file_test (opt_tree, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE,
                   "--tree %s: no such directory", opt_tree);
      return FALSE;
    }
  gboolean pending = bp_transaction_pending (opt_tree);
  if (!bp_transaction_recover (opt_tree, error))
    return FALSE;
  if (!pending)
    printf ("%s: no interrupted apply to recover\n", opt_tree);
  return TRUE;
}

/* The options that go together, or a usage error. */
static gboolean
check_options (int argc, GError **error)
{
  if (argc != 2)
    return bp_usage (error, "give exactly one LINE (e.g. 10.2) (see --help)");
  if (opt_tree == NULL)
    return bp_usage (error, "--tree DIR is required (see --help)");
  if (opt_commit + opt_quilt + opt_files > 1)
    return bp_usage (error, "--commit, --quilt and --files exclude each other");
  if (opt_fuzz < 0)
    return bp_usage (error, "--fuzz takes a number of lines >= 0");
  if (!g_file_test (opt_tree, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE,
                   "--tree %s: no such directory; give the top of a QEMU source tree", opt_tree);
      return FALSE;
    }
  return TRUE;
}

/* The line NAME names for the tree ("auto": the one serving its VERSION),
 * checked against the tree's own line.  NULL with *DONE when there is
 * nothing to apply (reported), NULL with an error when refused. */
static BpFixLine *
choose_line (BpFixPack *pack, const char *name, gboolean *done, GError **error)
{
  g_autofree char *version = tree_version (opt_tree);
  BpFixLine *serving = version ? bp_fixpack_line_for_version (pack, version) : NULL;
  BpFixLine *line = NULL;
  *done = FALSE;
  if (strcmp (name, "auto") == 0)
    {
      if (serving == NULL)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE,
                       "--tree %s: %s; name the LINE instead of auto", opt_tree,
                       version ? "no line of the pack serves its VERSION" : "it has no VERSION file");
          return NULL;
        }
      line = serving;
    }
  else if ((line = bp_fixpack_get_line (pack, name, error)) == NULL)
    return NULL;

  /* The tree's own line first: a series meant for another line gets the same
   * check whatever that line's verdict. */
  if (serving && serving != line)
    {
      if (serving->verdict == BP_VERDICT_NOT_AFFECTED)
        {
          g_autofree char *why = g_strdup_printf ("%s is QEMU %s (line %s)", opt_tree, version, serving->name);
          *done = not_affected (serving->name, why);
          return NULL;
        }
      if (!opt_force)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE,
                       "%s is QEMU %s, served by line %s, not %s: run `backport apply %s --tree %s` "
                       "(or --force)", opt_tree, version, serving->name, line->name, serving->name, opt_tree);
          return NULL;
        }
    }
  if (line->verdict == BP_VERDICT_NOT_AFFECTED)
    {
      g_autofree char *why = g_strdup_printf ("line %s", line->name);
      *done = not_affected (line->name, why);
      return NULL;
    }
  return line;
}

/* The apply engine's options from ours, and the target it will use. */
static const char *
apply_options (BpApplyOptions *options)
{
  *options = (BpApplyOptions) {
    .target = opt_quilt ? BP_APPLY_TARGET_QUILT : opt_commit ? BP_APPLY_TARGET_COMMIT
              : opt_files ? BP_APPLY_TARGET_FILES : BP_APPLY_TARGET_AUTO,
    .check_only = opt_check, .three_way = opt_three_way, .fuzz = opt_fuzz, .force = opt_force,
    .signoff = opt_signoff, .object_repo = bp_opt.repo,
  };
  g_autofree char *dotgit = g_build_filename (opt_tree, ".git", NULL);
  return opt_quilt ? "quilt" : opt_commit ? "commit" : opt_files ? "files"
       : g_file_test (dotgit, G_FILE_TEST_EXISTS) ? "commit" : "files";
}

/* What became of the apply: printed, and the error main turns into the
 * exit code (1 for a series that does not fit, else its own). */
static gboolean
finish (BpFixLine *line, const char *target, gboolean ok, GPtrArray *reports, GError *local, GError **error)
{
  guint n = line->patches->len;
  g_autofree char *msg = NULL;
  gboolean already = ok && bp_hunk_reports_already_applied (reports);
  if (already)
    msg = g_strdup_printf ("line %s: already applied (every hunk's result is present) in %s; nothing changed",
                           line->name, opt_tree);
  else if (ok)
    msg = opt_check ? g_strdup_printf ("line %s: the series (%u patch%s) applies to %s; nothing changed",
                                       line->name, n, n == 1 ? "" : "es", opt_tree)
                    : g_strdup_printf ("line %s: applied %u patch%s to %s (%s)", line->name, n,
                                       n == 1 ? "" : "es", opt_tree, target);
  else
    msg = g_strdup_printf ("line %s: %s; %s unchanged", line->name, local->message, opt_tree);
  BpApplyReport report = { line->name, opt_tree, target, opt_check,
                           already ? "already-applied" : ok ? (opt_check ? "applies" : "applied") : "failed",
                           msg, reports };
  print_report (&report);
  g_autofree char *debian_patches = g_build_filename (opt_tree, "debian", "patches", NULL);
  if (ok && !already && !opt_check && strcmp (target, "files") == 0 && g_file_test (debian_patches, G_FILE_TEST_IS_DIR))
    fprintf (stderr, "backport apply: note: %s is a Debian source; the change is not in debian/patches, "
             "so dpkg-source -b will refuse it: use --quilt to record it\n", opt_tree);
  if (ok)
    return TRUE;
  g_set_error_literal (error, local->domain, local->code, msg);
  if ((local->domain == BP_APPLY_ERROR
       && (local->code == BP_APPLY_ERROR_DOES_NOT_APPLY || local->code == BP_APPLY_ERROR_AMBIGUOUS
           || local->code == BP_APPLY_ERROR_CONFLICT))
      || g_error_matches (local, BP_QUILT_ERROR, BP_QUILT_ERROR_EXISTS))
    {
      GError *e = *error;
      *error = NULL;
      return bp_error_exit (error, e, BP_EXIT_FOUND);
    }
  return FALSE;
}

BP_CMD (apply)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("LINE - apply a line's series to a tree");
  g_option_context_set_summary (context,
    "LINE is a stable line of the fix pack (10.2, 10.1, ...) or \"auto\" (from the tree's VERSION).\n"
    "A git work tree gets one commit per patch; a plain tree gets its files changed\n"
    "(with --quilt, also debian/patches, series and .pc).  All patches apply or nothing changes.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (opt_recover)
    return recover_only (argc, error);
  if (!check_options (argc, error))
    return FALSE;
  g_autoptr(BpFixPack) pack = bp_cmd_load_pack (bp_opt.pack, error);
  if (pack == NULL)
    return FALSE;
  gboolean done;
  BpFixLine *line = choose_line (pack, argv[1], &done, error);
  if (line == NULL)
    return done;

  BpApplyOptions options;
  const char *target = apply_options (&options);
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GError) local = NULL;
  gboolean ok = bp_apply_series (line, opt_tree, &options, &reports, cancellable, &local);
  bp_cmd_hint_apply (&local, opt_tree);
  return finish (line, target, ok, reports, local, error);
}

BP_COMPLETE (apply)
{
  if (bp_complete_options (c, entries) || bp_complete_arg_index (c, entries) != 1)
    return;
  bp_complete_lines (c);
  bp_complete_word (c, "auto");
}
