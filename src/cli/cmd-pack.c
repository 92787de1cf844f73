/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport pack new NAME --from COMMIT|MAIL: a fix pack for any fix.
 *
 * Exit codes: 0 the pack is written, every line carried; 1 written, but a
 * line needs a human (recorded in it as needs-human=, and listed); 2 usage; 3 bad input (no such fix, no culprit, no
 * release tags, a pack of that name exists). */
#include <stdio.h>
#include <unistd.h>

#include <git2.h>

#include "base/bp-error.h"
#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "engines/pack/pack-new.h"
#include "report/report.h"

static char *opt_from, *opt_lines, *opt_packs, *opt_culprit;
static gboolean opt_force;

static GOptionEntry entries[] = {
  { "from", 0, 0, G_OPTION_ARG_FILENAME, &opt_from, "The fix: a commit of --repo, or a patch/mail file", "COMMIT|MAIL" },
  BP_OPTION_REPO ("The QEMU repository: release tags, culprit, picks (default: .)"),
  { "lines", 0, 0, G_OPTION_ARG_STRING, &opt_lines, "Lines to carry (default: the culprit's first, the one before, all later)", "X.Y,..." },
  { "packs", 0, 0, G_OPTION_ARG_FILENAME, &opt_packs, "Write the pack here (default: $XDG_DATA_HOME/backport/packs)", "DIR" },
  { "culprit", 0, 0, G_OPTION_ARG_STRING, &opt_culprit, "The commit that brought the bug (default: the Fixes: trailer)", "COMMIT" },
  { "force", 0, 0, G_OPTION_ARG_NONE, &opt_force, "Replace a pack of that name", NULL },
  BP_OPTION_JSON ("Print JSON"),
  { NULL }
};

static void
on_progress (const char *message, gpointer data)
{
  if (isatty (2))   /* a script reads the table, or the exit code */
    fprintf (stderr, "%s\n", message);
}

static void
print_json (const BpPackNewResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  bp_json_add_string (b, "dir", r->dir);
  bp_json_add_string (b, "culprit", r->culprit);
  json_builder_set_member_name (b, "lines");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->lines->len; i++)
    {
      const BpPackNewLine *l = r->lines->pdata[i];
      json_builder_begin_object (b);
      bp_json_add_string (b, "line", l->line);
      bp_json_add_string (b, "tag", l->tag);
      bp_json_add_string (b, "verdict", l->verdict);
      bp_json_add_string (b, "how", l->how);
      bp_json_add_string (b, "fixed_by", l->fixed_by);
      json_builder_set_member_name (b, "needs_human");
      json_builder_add_boolean_value (b, l->needs_human);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  bp_json_print (root);
}

static void
print_text (const char *name, const BpPackNewResult *r)
{
  printf ("fix pack %s written to %s (culprit %.12s)\n\n%-6s %-10s %-13s %s\n", name, r->dir, r->culprit,
          "LINE", "TAG", "VERDICT", "HOW");
  for (guint i = 0; i < r->lines->len; i++)
    {
      const BpPackNewLine *l = r->lines->pdata[i];
      printf ("%-6s %-10s %-13s %s\n", l->line, l->tag, l->verdict, l->how ? l->how : "");
    }
}

BP_CMD (pack)
{
  opt_from = opt_lines = opt_packs = opt_culprit = NULL;
  opt_force = FALSE;
  g_autoptr(GOptionContext) context = g_option_context_new ("new NAME --from COMMIT|MAIL - make a fix pack for any fix");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc < 2 || g_strcmp0 (argv[1], "new") != 0)
    return bp_usage (error, "the subcommand is `pack new NAME --from COMMIT|MAIL`");
  if (argc != 3)
    return bp_usage (error, "pack new takes one NAME");
  if (opt_from == NULL)
    return bp_usage (error, "pack new needs --from COMMIT|MAIL");
  const char *repo_dir = bp_opt.repo ? bp_opt.repo : ".";
  bp_git_require ();
  g_autoptr(git_repository) repo = NULL;
  if (git_repository_open_ext (&repo, repo_dir, bp_opt.repo ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0, NULL) != 0)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_MISSING,
                   "%s is not a git repository; give --repo DIR (release tags and the culprit come from it)", repo_dir);
      return FALSE;
    }
  g_auto(GStrv) lines = opt_lines ? g_strsplit (opt_lines, ",", -1) : NULL;
  BpPackNewOptions o = {
    .name = argv[2], .from = opt_from, .packs_dir = opt_packs, .lines = (const char *const *) lines,
    .culprit = opt_culprit, .force = opt_force, .progress = on_progress,
  };
  g_autoptr(BpPackNewResult) r = bp_pack_new (repo, &o, cancellable, error);
  if (r == NULL)
    {
      bp_cmd_hint (error, BP_PACK_ERROR, BP_PACK_ERROR_EXISTS, "; pass --force to replace it");
      bp_cmd_hint (error, BP_PACK_ERROR, BP_PACK_ERROR_NO_CULPRIT, " with --culprit COMMIT");
      return FALSE;
    }
  if (bp_opt.json)
    print_json (r);
  else
    print_text (argv[2], r);
  /* written, but a line is not carried: as pick says of a queue, exit 1 */
  guint human = 0;
  for (guint i = 0; i < r->lines->len; i++)
    human += ((const BpPackNewLine *) r->lines->pdata[i])->needs_human;
  if (human)
    {
      g_set_error (error, BP_EXIT_ERROR, BP_EXIT_FOUND,
                   "pack %s written, but %u of %u lines need a human: pick the fix onto them by hand "
                   "and put the patch in the line's series", argv[2], human, r->lines->len);
      return FALSE;
    }
  return TRUE;
}

BP_COMPLETE (pack)
{
  if (!bp_complete_options (c, entries) && bp_complete_arg_index (c, entries) == 1)
    bp_complete_word (c, "new");
}
