/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport: carry a QEMU fix across stable lines and prove it there.
 * This file holds the subcommand table and the global options, nothing else. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "cli/bp-commands.h"
#include "base/bp-error.h"

typedef struct {
  const char *name;
  gboolean (*fn) (int argc, char **argv, GCancellable *cancellable, GError **error);
  const char *summary;
} BpCommand;

static const BpCommand commands[] = {
  { "list", bp_cmd_list, "fix packs and their lines with verdicts" },
  { "show", bp_cmd_show, "a line's series and notes" },
  { "status", bp_cmd_status, "which lines, tags and branches are affected or fixed" },
  { "export", bp_cmd_export, "a line's series as quilt, dep3, mbox or rpm" },
  { "version", bp_cmd_version, "print the program and fix pack versions" },
  { "apply", bp_cmd_apply, "apply a line's series to a tree, all or nothing" },
  { "check", bp_cmd_check, "compile a line's series against a tree with its own build" },
  { "import", bp_cmd_import, "mail, mbox, diff or pasted web text -> clean patches" },
  { "repro", bp_cmd_repro, "reproduce the bug: a device DMAs into dirtied private guest RAM" },
  { "pick", bp_cmd_pick, "pick any fix onto any line: commits, ranges or mails, as a queue" },
  { "pack", bp_cmd_pack, "pack new NAME --from COMMIT|MAIL: a fix pack for any fix" },
  { "bisect", bp_cmd_bisect, "find the first bad commit (git's algorithm, no checkout)" },
  { "verify", bp_cmd_verify, "the main job: every step for every line on real trees" },
  { NULL, NULL, NULL },
};

/* What a bare `backport` runs. */
#define BP_DEFAULT_COMMAND "verify"

static void
usage (FILE *out)
{
  fprintf (out, "Usage: backport [--help] [--version] COMMAND [OPTION...]\n\n"
                "Carry a QEMU fix across stable lines and prove it there.\n\n"
                "Commands:\n");
  for (const BpCommand *c = commands; c->name; c++)
    fprintf (out, "  %-10s %s\n", c->name, c->summary);
  fprintf (out, "\nWith no command, runs `%s`.  `backport COMMAND --help` for a command's options.\n",
           BP_DEFAULT_COMMAND);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("backport");

  const char *name = argc > 1 ? argv[1] : NULL;
  if (name && (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0))
    {
      usage (stdout);
      return BP_EXIT_OK;
    }
  if (name && strcmp (name, "--version") == 0)
    name = "version";

  g_autofree char **sub_argv = NULL;
  int sub_argc;
  if (name == NULL || name[0] == '-')
    {
      /* Bare `backport` (or only options): run the main job, and say so. */
      fprintf (stderr, "backport: no command given, running `backport %s`\n", BP_DEFAULT_COMMAND);
      sub_argc = argc;
      sub_argv = g_new0 (char *, argc + 1);
      sub_argv[0] = (char *) BP_DEFAULT_COMMAND;
      for (int i = 1; i < argc; i++)
        sub_argv[i] = argv[i];
      name = BP_DEFAULT_COMMAND;
    }
  else
    {
      sub_argc = argc - 1;
      sub_argv = g_new0 (char *, argc);
      for (int i = 1; i < argc; i++)
        sub_argv[i - 1] = argv[i];
    }

  const BpCommand *cmd = NULL;
  for (const BpCommand *c = commands; c->name; c++)
    if (strcmp (c->name, name) == 0)
      cmd = c;
  if (cmd == NULL)
    {
      fprintf (stderr, "backport: unknown command '%s'; run `backport --help` for the list\n", name);
      return BP_EXIT_USAGE;
    }

  /* Process-wide set-up, once, here: libgit2 for every command. */
  git_libgit2_init ();
  /* libgit2 re-hashes every object it reads unless told not to: git itself
   * does not, and on QEMU's history that doubles the cost of a walk. */
  git_libgit2_opts (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  if (!cmd->fn (sub_argc, sub_argv, cancellable, &error))
    {
      int code = bp_error_exit_code (error);
      if (error && error->message && error->message[0])
        fprintf (stderr, "backport %s: %s\n", cmd->name, error->message);
      git_libgit2_shutdown ();
      return code;
    }
  git_libgit2_shutdown ();
  return BP_EXIT_OK;
}
