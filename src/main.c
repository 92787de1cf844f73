/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport: carry a QEMU fix across stable lines and prove it there.
 *
 * This file holds the subcommand table and every process-wide decision:
 * how libgit2 is set up (once, when something needs it), what SIGINT and
 * SIGTERM do (cancel the one GCancellable every command runs with, so each
 * step stops its children and removes its scratch files; a second signal
 * ends the process at once), and which exit code an error means. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <git2.h>

#include "base/bp-error.h"
#include "base/bp-git.h"
#include "cli/bp-commands.h"
#include "verify/verify-worker.h"

typedef struct {
  const char *name;
  gboolean (*fn) (int argc, char **argv, GCancellable *cancellable, GError **error);
  const char *summary;
  void (*complete) (BpCompletion *c);
} BpCommand;

static const BpCommand commands[] = {
  { "list", bp_cmd_list, "fix packs and their lines with verdicts", bp_complete_list },
  { "show", bp_cmd_show, "a line's series and notes", bp_complete_show },
  { "status", bp_cmd_status, "which lines, tags and branches are affected or fixed", bp_complete_status },
  { "export", bp_cmd_export, "a line's series as quilt, dep3, mbox or rpm", bp_complete_export },
  { "version", bp_cmd_version, "print the program and fix pack versions", NULL },
  { "apply", bp_cmd_apply, "apply a line's series to a tree, all or nothing", bp_complete_apply },
  { "check", bp_cmd_check, "compile a line's series against a tree with its own build", bp_complete_check },
  { "import", bp_cmd_import, "mail, mbox, diff or pasted web text -> clean patches", bp_complete_import },
  { "repro", bp_cmd_repro, "reproduce the bug: a device DMAs into dirtied private guest RAM", bp_complete_repro },
  { "pick", bp_cmd_pick, "pick any fix onto any line: commits, ranges or mails, as a queue", bp_complete_pick },
  { "pack", bp_cmd_pack, "pack new NAME --from COMMIT|MAIL: a fix pack for any fix", bp_complete_pack },
  { "bisect", bp_cmd_bisect, "find the first bad commit (git's algorithm, no checkout)", bp_complete_bisect },
  { "verify", bp_cmd_verify, "the main job: every step for every line on real trees", bp_complete_verify },
  { NULL, NULL, NULL, NULL },
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

/* ---- libgit2 ----------------------------------------------------------------- */

static gboolean git_started;

static void
start_git (void)
{
  git_libgit2_init ();
  /* libgit2 re-hashes every object it reads unless told not to: git itself
   * does not, and on QEMU's history that doubles the cost of a walk. */
  git_libgit2_opts (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  git_started = TRUE;
}

/* ---- signals ------------------------------------------------------------------ */

static int signal_pipe[2] = { -1, -1 };
static volatile sig_atomic_t caught;

static void
on_signal (int sig)
{
  if (caught)
    {
      /* The second one: the user means it. */
      signal (sig, SIG_DFL);
      raise (sig);
      return;
    }
  caught = sig;
  int saved = errno;
  if (write (signal_pipe[1], "!", 1) < 0)
    {
      /* nothing more can be done in a handler */
    }
  errno = saved;
}

/* A verify worker's parent died (PR_SET_PDEATHSIG): a first SIGTERM, however
 * often it comes.  The kernel sends it again each time the worker passes to
 * another of the dying parent's threads, and a second SIGTERM would kill the
 * worker before it cleaned up. */
static void
on_parent_death (int sig)
{
  if (caught)
    return;
  caught = SIGTERM;
  int saved = errno;
  if (write (signal_pipe[1], "!", 1) < 0)
    {
      /* nothing more can be done in a handler */
    }
  errno = saved;
}

/* Turns the first SIGINT/SIGTERM/SIGHUP into a cancel of CANCELLABLE: a
 * handler may only write to a pipe; this thread does the rest. */
static gpointer
watch_signals (gpointer cancellable)
{
  char c;
  while (read (signal_pipe[0], &c, 1) < 0 && errno == EINTR)
    ;
  g_cancellable_cancel (cancellable);
  return NULL;
}

static void
catch_signals (GCancellable *cancellable)
{
  if (!g_unix_open_pipe (signal_pipe, FD_CLOEXEC, NULL))
    return;
  g_thread_unref (g_thread_new ("signals", watch_signals, cancellable));
  struct sigaction sa = { 0 };
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    sigaction (sigs[i], &sa, NULL);
}

/* ---- running a command --------------------------------------------------------------- */

static void
worker_progress (const char *line, const char *message, gpointer data)
{
  fprintf (stderr, "[%s] %s\n", line ? line : "verify", message);
}

/* The exit code for how the command ended, and its one line on stderr. */
static int
finish (const char *name, GError *error)
{
  if (git_started)
    git_libgit2_shutdown ();
  if (caught && error == NULL)
    {
      /* the signal came where the work waits for nothing (a write that is
       * under way is finished, never left half done) */
      fprintf (stderr, "backport %s: interrupted by signal %d after the point of no return; the work is complete\n",
               name, (int) caught);
      return 128 + caught;
    }
  if (caught)
    {
      fprintf (stderr, "backport %s: interrupted by signal %d; stopped and cleaned up\n", name, (int) caught);
      return 128 + caught;
    }
  if (error == NULL)
    return BP_EXIT_OK;
  if (error->message && error->message[0])
    fprintf (stderr, "backport %s: %s\n", name, error->message);
  return bp_error_exit_code (error);
}

/* `backport complete LINE POINT`, for completion/backport.bash (complete.h). */
static int
complete (const char *line, const char *point)
{
  char *end = NULL;
  gint64 at = g_ascii_strtoll (point, &end, 10);
  g_autoptr(BpCompletion) c = end && *end == '\0' ? bp_completion_new (line, at) : NULL;
  if (c == NULL)
    return BP_EXIT_USAGE;
  BpCompleter completers[G_N_ELEMENTS (commands)];
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    completers[i] = (BpCompleter) { commands[i].name, commands[i].complete };
  bp_completion_run (c, completers);
  return BP_EXIT_OK;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("backport");
  bp_git_set_initializer (start_git);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  if (argc == 2 && strcmp (argv[1], BP_VERIFY_WORKER_ARG) == 0)
    {
      /* One line of a parallel verify (verify-worker.h): no command line. */
      catch_signals (cancellable);
      /* a verify killed with SIGKILL cannot stop us: its death does, as a
       * SIGTERM would (the line stops and cleans up) */
      struct sigaction sa = { 0 };
      sa.sa_handler = on_parent_death;
      sigemptyset (&sa.sa_mask);
      sigaction (SIGUSR1, &sa, NULL);
      prctl (PR_SET_PDEATHSIG, SIGUSR1);
      g_autoptr(GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
      g_autoptr(GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
      bp_git_require ();
      bp_verify_worker_main (in, out, worker_progress, NULL, bp_cmd_tree_remedy, cancellable, &error);
      return finish ("verify", error);
    }

  if (argc == 4 && strcmp (argv[1], "complete") == 0)
    return complete (argv[2], argv[3]);

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
  catch_signals (cancellable);
  cmd->fn (sub_argc, sub_argv, cancellable, &error);
  return finish (cmd->name, error);
}
