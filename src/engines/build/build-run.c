/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a step of a check: own process group, deadline, cancellation
 * (bp_build_run, see build.h). */
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include "engines/build/build-private.h"

typedef struct {
  GMainContext *context;
  pid_t pgid;
  gboolean done;
  gboolean terminating;
  gboolean timed_out;
  gboolean cancelled;
  GBytes *stdout_bytes;
  GError *error;
  GSource *kill_source;
} RunState;

static void
child_setup (gpointer data)
{
  setpgid (0, 0);
}

static gboolean
on_kill_timeout (gpointer data)
{
  RunState *st = data;
  if (st->pgid > 0)
    kill (-st->pgid, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
terminate_group (RunState *st)
{
  if (st->terminating)
    return;
  st->terminating = TRUE;
  if (st->pgid > 0)
    kill (-st->pgid, SIGTERM);
  st->kill_source = g_timeout_source_new_seconds (2);
  g_source_set_callback (st->kill_source, on_kill_timeout, st, NULL);
  g_source_attach (st->kill_source, st->context);
}

static gboolean
on_deadline (gpointer data)
{
  RunState *st = data;
  st->timed_out = TRUE;
  terminate_group (st);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  RunState *st = data;
  st->cancelled = TRUE;
  terminate_group (st);
  return G_SOURCE_REMOVE;
}

static void
on_communicated (GObject *source, GAsyncResult *res, gpointer data)
{
  RunState *st = data;
  g_subprocess_communicate_finish (G_SUBPROCESS (source), res, &st->stdout_bytes, NULL, &st->error);
  st->done = TRUE;
}

static void
destroy_source (GSource *source)
{
  if (source == NULL)
    return;
  g_source_destroy (source);
  g_source_unref (source);
}

gboolean
bp_build_run (const char * const *argv, const char *cwd, guint timeout, char **output,
              int *exit_status, GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  if (cwd)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  /* Messages we parse and show must not depend on the user's locale. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  g_autoptr(GMainContext) context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }

  RunState st = { .context = context };
  const char *ident = g_subprocess_get_identifier (proc);
  st.pgid = ident ? (pid_t) g_ascii_strtoll (ident, NULL, 10) : 0;

  g_subprocess_communicate_async (proc, NULL, NULL, on_communicated, &st);

  GSource *deadline = NULL;
  if (timeout > 0)
    {
      deadline = g_timeout_source_new_seconds (timeout);
      g_source_set_callback (deadline, on_deadline, &st, NULL);
      g_source_attach (deadline, context);
    }
  GSource *cancel_source = NULL;
  if (cancellable)
    {
      cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (cancel_source, G_SOURCE_FUNC (on_cancelled), &st, NULL);
      g_source_attach (cancel_source, context);
    }

  while (!st.done)
    g_main_context_iteration (context, TRUE);

  /* Stragglers of a killed group (the leader may die first). */
  if (st.terminating && st.pgid > 0)
    kill (-st.pgid, SIGKILL);
  destroy_source (deadline);
  destroy_source (cancel_source);
  destroy_source (st.kill_source);
  g_main_context_pop_thread_default (context);

  g_autoptr(GBytes) bytes = st.stdout_bytes;
  g_autoptr(GError) comm_error = st.error;
  if (st.cancelled)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
  if (st.timed_out)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT,
                   "`%s` ran past its deadline of %u s and was killed with its process group",
                   argv[0], timeout);
      return FALSE;
    }
  if (comm_error)
    {
      g_propagate_error (error, g_steal_pointer (&comm_error));
      return FALSE;
    }

  if (output)
    {
      gsize len = 0;
      const char *data = bytes ? g_bytes_get_data (bytes, &len) : "";
      *output = g_utf8_make_valid (data ? data : "", len);
    }
  if (exit_status)
    {
      if (g_subprocess_get_if_exited (proc))
        *exit_status = g_subprocess_get_exit_status (proc);
      else if (g_subprocess_get_if_signaled (proc))
        *exit_status = 128 + g_subprocess_get_term_sig (proc);
      else
        *exit_status = 255;
    }
  return TRUE;
}
