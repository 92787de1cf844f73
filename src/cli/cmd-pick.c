/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport pick: any upstream fix onto any stable line.
 *
 * Exit codes: 0 every pick applied, present or not needed; 1 some pick
 * needs a human; 2 usage; 3 bad input (no such commit, file or target). */
#include <stdio.h>
#include <unistd.h>

#include <git2.h>

#include "base/bp-error.h"
#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "engines/pick/pick-input.h"
#include "engines/pick/pick-run.h"
#include "report/pick-report.h"
#include "report/report.h"

static char *opt_onto, *opt_tree, *opt_branch, *opt_trailer;
static gboolean opt_signoff, opt_force, opt_quilt, opt_check;

static GOptionEntry entries[] = {
  BP_OPTION_REPO ("Repository holding the picks and --onto (default: .)"),
  { "onto", 0, 0, G_OPTION_ARG_STRING, &opt_onto, "Pick onto this revision, in the object database only", "REV" },
  { "tree", 0, 0, G_OPTION_ARG_FILENAME, &opt_tree, "Pick into this tree (git work tree or plain tree)", "DIR" },
  { "branch", 0, 0, G_OPTION_ARG_STRING, &opt_branch, "With --onto: one commit per applied pick on this new branch", "NAME" },
  { "trailer", 0, 0, G_OPTION_ARG_STRING, &opt_trailer, "Pick only the range's commits whose message matches", "REGEX" },
  { "quilt", 0, 0, G_OPTION_ARG_NONE, &opt_quilt, "With --tree: keep Debian's debian/patches and .pc", NULL },
  { "check", 0, 0, G_OPTION_ARG_NONE, &opt_check, "Compile each applied pick with the target tree's own build", NULL },
  { "signoff", 0, 0, G_OPTION_ARG_NONE, &opt_signoff, "Add your Signed-off-by to each commit", NULL },
  { "force", 0, 0, G_OPTION_ARG_NONE, &opt_force, "Pick not-needed fixes too; let --branch move an existing branch", NULL },
  BP_OPTION_JSON ("Print JSON"),
  { NULL }
};

static void
on_progress (const char *message, gpointer data)
{
  if (isatty (2))   /* a script reads the report, or the exit code */
    fprintf (stderr, "%s\n", message);
}

/* The options that go together, and --trailer compiled, or a usage error. */
static gboolean
check_options (int argc, GRegex **trailer, GError **error)
{
  if (argc < 2)
    return bp_usage (error, "name at least one PICK (a commit, a range A..B or a patch file)");
  if ((opt_onto == NULL) == (opt_tree == NULL))
    return bp_usage (error, "give one target: --onto REV (with --repo) or --tree DIR");
  if (opt_branch && opt_onto == NULL)
    return bp_usage (error, "--branch goes with --onto REV");
  if (opt_quilt && opt_tree == NULL)
    return bp_usage (error, "--quilt goes with --tree DIR");
  if (opt_trailer)
    {
      g_autoptr(GError) local = NULL;
      *trailer = g_regex_new (opt_trailer, G_REGEX_MULTILINE, 0, &local);
      if (*trailer == NULL)
        return bp_usage (error, "--trailer '%s': %s", opt_trailer, local->message);
    }

  return TRUE;
}

/* Print the queue's results; exit 1 (through ERROR) when some pick needs a human. */
static gboolean
finish (GPtrArray *results, GError **error)
{
  gboolean done = bp_pick_results_all_done (results);
  if (bp_opt.json)
    {
      g_autoptr(JsonNode) root = bp_pick_report_json (results, opt_branch, done ? BP_EXIT_OK : BP_EXIT_FOUND);
      bp_json_print (root);
    }
  else
    {
      g_autofree char *text = bp_pick_report_text (results);
      fputs (text, stdout);
    }
  if (done)
    return TRUE;
  guint n = 0;
  for (guint i = 0; i < results->len; i++)
    n += ((BpPickResult *) results->pdata[i])->verdict == BP_PICK_NEEDS_HUMAN;
  g_set_error (error, BP_EXIT_ERROR, BP_EXIT_FOUND, "%u of %u picks need a human", n, results->len);
  return FALSE;
}

BP_CMD (pick)
{
  opt_onto = opt_tree = opt_branch = opt_trailer = NULL;
  opt_signoff = opt_force = opt_quilt = opt_check = FALSE;
  g_autoptr(GOptionContext) context = g_option_context_new ("PICK... - pick fixes onto a stable line");
  g_option_context_set_summary (context,
    "PICK is a commit (id or ref), a range A..B (oldest first; filter with --trailer),\n"
    "or a patch/mail file.  Picks are a queue: each goes onto the result of the ones before.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  g_autoptr(GRegex) trailer = NULL;
  if (!check_options (argc, &trailer, error))
    return FALSE;

  bp_git_require ();
  g_autoptr(git_repository) repo = NULL;
  const char *repo_dir = bp_opt.repo ? bp_opt.repo : (opt_onto ? "." : NULL);
  if (repo_dir && git_repository_open_ext (&repo, repo_dir, bp_opt.repo ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0, NULL) != 0)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_MISSING, "%s is not a git repository; give --repo DIR", repo_dir);
      return FALSE;
    }
  /* A history cut off would answer "not in the target" for what is only
   * beyond the cut. */
  if (repo && git_repository_is_shallow (repo) == 1)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_MISSING,
                   "%s is a shallow clone: pick reads the fixes and the target's history, which it cuts off; "
                   "run `git -C %s fetch --unshallow` (or clone without --depth)", repo_dir, repo_dir);
      return FALSE;
    }
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_pick_item_free);
  for (int i = 1; i < argc; i++)
    if (!bp_pick_input_add (repo, argv[i], trailer, items, error))
      {
        bp_cmd_hint (error, BP_PICK_ERROR, BP_PICK_ERROR_DAMAGED,
                     " with `backport import FILE --tree DIR -o FIXED`");
        bp_cmd_hint (error, BP_PICK_ERROR, BP_PICK_ERROR_NO_REPO, " (give --repo DIR)");
        return FALSE;
      }

  BpPickOptions options = {
    .onto = opt_onto, .tree_dir = opt_tree, .quilt = opt_quilt, .branch = opt_branch,
    .force = opt_force, .signoff = opt_signoff, .check = opt_check, .progress = on_progress,
  };
  g_autoptr(GPtrArray) results = bp_pick_run (repo, g_steal_pointer (&items), &options, cancellable, error);
  if (results == NULL)
    {
      bp_cmd_hint (error, BP_PICK_ERROR, BP_PICK_ERROR_EXISTS, "; choose another name, or pass --force to move it");
      if (opt_tree)
        bp_cmd_hint_apply (error, opt_tree);
      return FALSE;
    }
  return finish (results, error);
}

BP_COMPLETE (pick)
{
  if (!bp_complete_options (c, entries) && bp_complete_arg_index (c, entries) >= 1)
    printf ("__FILES__\n");
}
