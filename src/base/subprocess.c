/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running another program.  See subprocess.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib-unix.h>

#include "base/subprocess.h"

typedef struct {
  GMainContext *context;
  pid_t pgid;
  gboolean done;
  gboolean terminating;
  gboolean timed_out;
  gboolean cancelled;
  GSource *kill_source;
  GDataInputStream *in;
  GString *out;
  const BpRunOptions *options;
  GError *error;
} Run;

/* ---- the guard: no child outlives us, even when we are killed ----------------- */

/* A pipe only this process writes to: when it dies, however it dies, the
 * read end sees end of file. */
static int lifeline[2] = { -1, -1 };

static gpointer
open_lifeline (gpointer data)
{
  if (!g_unix_open_pipe (lifeline, FD_CLOEXEC, NULL))
    lifeline[0] = lifeline[1] = -1;
  return NULL;
}

void
bp_child_guard_prepare (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, open_lifeline, NULL);
}

/* Every descriptor but KEEP closed: the guard must hold no pipe open that
 * someone waits on for end of file. */
static void
close_all_but (int keep)
{
#ifdef SYS_close_range
  if ((keep == 0 || syscall (SYS_close_range, 0U, (unsigned) keep - 1, 0U) == 0)
      && syscall (SYS_close_range, (unsigned) keep + 1, ~0U, 0U) == 0)
    return;
#endif
  for (int fd = 0; fd < 65536; fd++)
    if (fd != keep)
      close (fd);
}

void
bp_child_guard (void)
{
  /* Between fork and exec: async-signal-safe calls only. */
  if (lifeline[0] < 0)
    return;
  pid_t child = getpid ();
  pid_t guard = fork ();
  if (guard != 0)
    return;   /* the child goes on to exec (a failed fork only loses the guard) */
  /* The guard: in the child's process group (so the group's id stays the
   * child's while it lives), with no handler of ours and no descriptor
   * but the lifeline's read end. */
  struct sigaction dfl;
  memset (&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &dfl, NULL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  close_all_but (lifeline[0]);
  /* gone with the child when it ends first */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != child)
    _exit (0);
  char c;
  ssize_t n;
  while ((n = read (lifeline[0], &c, 1)) < 0 && errno == EINTR)
    ;
  if (n == 0)
    kill (0, SIGKILL);   /* we are gone: the whole group goes, the guard with it */
  _exit (0);
}

static void
child_setup (gpointer data)
{
  setpgid (0, 0);
  bp_child_guard ();
}

static gboolean
on_kill_timeout (gpointer data)
{
  Run *r = data;
  if (r->pgid > 0)
    kill (-r->pgid, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
terminate_group (Run *r)
{
  if (r->terminating)
    return;
  r->terminating = TRUE;
  if (r->pgid > 0)
    kill (-r->pgid, SIGTERM);
  r->kill_source = g_timeout_source_new_seconds (2);
  g_source_set_callback (r->kill_source, on_kill_timeout, r, NULL);
  g_source_attach (r->kill_source, r->context);
}

static gboolean
on_deadline (gpointer data)
{
  Run *r = data;
  r->timed_out = TRUE;
  terminate_group (r);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (gint fd, GIOCondition condition, gpointer data)
{
  Run *r = data;
  r->cancelled = TRUE;
  terminate_group (r);
  return G_SOURCE_REMOVE;
}

static void read_next (Run *r);

static void
on_line (GObject *source, GAsyncResult *res, gpointer data)
{
  Run *r = data;
  gsize len = 0;
  g_autofree char *text = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), res, &len,
                                                                r->error ? NULL : &r->error);
  if (text == NULL)
    {
      r->done = TRUE;   /* end of output (or a read error) */
      return;
    }
  g_string_append_len (r->out, text, len);
  g_string_append_c (r->out, '\n');
  if (r->options->line)
    {
      g_autofree char *valid = g_utf8_make_valid (text, len);
      r->options->line (g_strchomp (valid), r->options->line_data);
    }
  read_next (r);
}

static void
read_next (Run *r)
{
  g_data_input_stream_read_line_async (r->in, G_PRIORITY_DEFAULT, NULL, on_line, r);
}

static void
on_waited (GObject *source, GAsyncResult *res, gpointer data)
{
  Run *r = data;
  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  r->done = TRUE;
}

static void
destroy_source (GSource *source)
{
  if (source == NULL)
    return;
  g_source_destroy (source);
  g_source_unref (source);
}

static GSubprocessLauncher *
launcher_for (const BpRunOptions *o)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (o->to_stderr ? G_SUBPROCESS_FLAGS_NONE
                                                      : G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  if (o->to_stderr)
    {
      int err_fd = dup (STDERR_FILENO);
      if (err_fd >= 0)
        g_subprocess_launcher_take_stdout_fd (l, err_fd);
    }
  if (o->cwd)
    g_subprocess_launcher_set_cwd (l, o->cwd);
  if (o->c_locale)
    g_subprocess_launcher_setenv (l, "LC_ALL", "C", TRUE);
  for (const char *const *e = o->env; e && *e; e++)
    {
      const char *eq = strchr (*e, '=');
      if (eq)
        {
          g_autofree char *key = g_strndup (*e, eq - *e);
          g_subprocess_launcher_setenv (l, key, eq + 1, TRUE);
        }
    }
  bp_child_guard_prepare ();
  g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
  return l;
}

gboolean
bp_run (const char *const *argv, const BpRunOptions *options, char **output, int *exit_status,
        GCancellable *cancellable, GError **error)
{
  static const BpRunOptions defaults = { 0 };
  const BpRunOptions *o = options ? options : &defaults;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  g_autoptr(GSubprocessLauncher) launcher = launcher_for (o);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }
  g_autoptr(GString) out = g_string_new (NULL);
  Run r = { .context = context, .out = out, .options = o };
  const char *ident = g_subprocess_get_identifier (proc);
  r.pgid = ident ? (pid_t) g_ascii_strtoll (ident, NULL, 10) : 0;
  g_autoptr(GDataInputStream) in = NULL;
  if (o->to_stderr)
    g_subprocess_wait_async (proc, NULL, on_waited, &r);
  else
    {
      in = r.in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
      g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_LF);
      read_next (&r);
    }
  GSource *deadline = NULL, *cancel_source = NULL;
  GPollFD cancel_fd = { -1, 0, 0 };
  if (o->timeout > 0)
    {
      deadline = g_timeout_source_new_seconds (o->timeout);
      g_source_set_callback (deadline, on_deadline, &r, NULL);
      g_source_attach (deadline, context);
    }
  if (cancellable)
    {
      /* The cancellable's fd, not a GCancellableSource: GLib 2.74 leaks one
       * that is disposed while another thread cancels (LeakSanitizer saw it
       * when SIGTERM came as a compile ended). */
      if (g_cancellable_make_pollfd (cancellable, &cancel_fd))
        {
          cancel_source = g_unix_fd_source_new (cancel_fd.fd, G_IO_IN);
          g_source_set_callback (cancel_source, G_SOURCE_FUNC (on_cancelled), &r, NULL);
          g_source_attach (cancel_source, context);
        }
    }
  while (!r.done)
    g_main_context_iteration (context, TRUE);
  /* The output ended: the child is gone or going; wait for it (the group's
   * stragglers, when it was killed, get SIGKILL). */
  if (r.terminating && r.pgid > 0)
    kill (-r.pgid, SIGKILL);
  g_subprocess_wait (proc, NULL, NULL);
  destroy_source (deadline);
  destroy_source (cancel_source);
  if (cancel_source)
    g_cancellable_release_fd (cancellable);
  destroy_source (r.kill_source);
  g_main_context_pop_thread_default (context);

  g_autoptr(GError) read_error = r.error;
  if (r.cancelled)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (r.timed_out)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "`%s` ran past its deadline of %u s and was killed with its process group", argv[0], o->timeout);
      return FALSE;
    }
  if (read_error)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&read_error), "%s: ", argv[0]);
      return FALSE;
    }
  if (output)
    *output = g_utf8_make_valid (out->str, out->len);
  if (exit_status)
    *exit_status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                 : g_subprocess_get_if_signaled (proc) ? 128 + g_subprocess_get_term_sig (proc) : 255;
  return TRUE;
}
