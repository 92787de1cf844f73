/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport apply LINE --tree DIR: put a line's series into a tree. */
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "engines/apply.h"
#include "engines/quilt.h"
#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "base/bp-error.h"
#include "base/transaction.h"
#include "model/fixpack.h"

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

static void
print_reports (GPtrArray *reports)
{
  for (guint i = 0; reports && i < reports->len; i++)
    {
      g_autofree char *text = bp_hunk_report_to_text (reports->pdata[i]);
      printf ("%s\n", text);
    }
}

static void
print_json (const char *line, const char *tree, const char *target, const char *result,
            const char *message, GPtrArray *reports)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "line");
  json_builder_add_string_value (b, line);
  json_builder_set_member_name (b, "tree");
  json_builder_add_string_value (b, tree);
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, target);
  json_builder_set_member_name (b, "check");
  json_builder_add_boolean_value (b, opt_check);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, result);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "hunks");
  json_builder_begin_array (b);
  for (guint i = 0; reports && i < reports->len; i++)
    bp_hunk_report_to_json (b, reports->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static gboolean
not_affected (const char *line, const char *why)
{
  g_autofree char *msg = g_strdup_printf ("%s: not affected, nothing to apply", why);
  if (bp_opt.json)
    print_json (line, opt_tree, "none", "not-affected", msg, NULL);
  else
    printf ("%s\n", msg);
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

  g_autoptr(BpFixPack) pack = bp_cmd_load_pack (bp_opt.pack, error);
  if (pack == NULL)
    return FALSE;
  g_autofree char *version = tree_version (opt_tree);
  BpFixLine *serving = version ? bp_fixpack_line_for_version (pack, version) : NULL;
  const char *name = argv[1];
  BpFixLine *line = NULL;
  if (strcmp (name, "auto") == 0)
    {
      if (serving == NULL)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE,
                       "--tree %s: %s; name the LINE instead of auto", opt_tree,
                       version ? "no line of the pack serves its VERSION" : "it has no VERSION file");
          return FALSE;
        }
      line = serving;
    }
  else if ((line = bp_fixpack_get_line (pack, name, error)) == NULL)
    return FALSE;

  /* The tree's own line first: a series meant for another line gets the same
   * check whatever that line's verdict. */
  if (serving && serving != line)
    {
      if (serving->verdict == BP_VERDICT_NOT_AFFECTED)
        {
          g_autofree char *why = g_strdup_printf ("%s is QEMU %s (line %s)", opt_tree, version, serving->name);
          return not_affected (serving->name, why);
        }
      if (!opt_force)
        {
          g_set_error (error, BP_APPLY_ERROR, BP_APPLY_ERROR_NOT_A_TREE,
                       "%s is QEMU %s, served by line %s, not %s: run `backport apply %s --tree %s` "
                       "(or --force)", opt_tree, version, serving->name, line->name, serving->name, opt_tree);
          return FALSE;
        }
    }
  if (line->verdict == BP_VERDICT_NOT_AFFECTED)
    {
      g_autofree char *why = g_strdup_printf ("line %s", line->name);
      return not_affected (line->name, why);
    }

  BpApplyOptions options = { 0 };
  options.target = opt_quilt ? BP_APPLY_TARGET_QUILT
                 : opt_commit ? BP_APPLY_TARGET_COMMIT
                 : opt_files ? BP_APPLY_TARGET_FILES : BP_APPLY_TARGET_AUTO;
  options.check_only = opt_check;
  options.three_way = opt_three_way;
  options.fuzz = opt_fuzz;
  options.force = opt_force;
  options.signoff = opt_signoff;
  options.object_repo = bp_opt.repo;
  g_autofree char *dotgit = g_build_filename (opt_tree, ".git", NULL);
  const char *target = opt_quilt ? "quilt" : opt_commit ? "commit" : opt_files ? "files"
                     : g_file_test (dotgit, G_FILE_TEST_EXISTS) ? "commit" : "files";

  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GError) local = NULL;
  gboolean ok = bp_apply_series (line, opt_tree, &options, &reports, cancellable, &local);
  bp_cmd_hint_apply (&local, opt_tree);
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
  if (bp_opt.json)
    print_json (line->name, opt_tree, target,
                already ? "already-applied" : ok ? (opt_check ? "applies" : "applied") : "failed",
                msg, reports);
  else
    {
      print_reports (reports);
      if (ok)
        printf ("%s\n", msg);
    }
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
