/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Run verify over several lines at once: each line is a child process
 * (`backport verify LINE --json --offline ...`) whose JSON document is read
 * back with the same code as --merge.  Processes, not threads: the
 * reproducer forks a device process and changes the huge page pool, which
 * a threaded parent must not do. */
#include "verify/verify-run.h"

#include <string.h>

typedef struct {
  const char *line;
  GSubprocess *proc;
  char *out;            /* stdout: the JSON document */
  GError *error;
  gboolean done;
} Child;

typedef struct {
  GMainLoop *loop;
  guint running;
} Wait;

static void
child_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Child *c = data;
  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, NULL, &c->error);
  c->done = TRUE;
  Wait *w = g_object_get_data (source, "bp-wait");
  w->running--;
  g_main_loop_quit (w->loop);
}

gboolean
bp_verify_run_children (GPtrArray *lines, const char *const *child_args, guint jobs,
                        GPtrArray *reports, GCancellable *cancellable, GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_main_context_push_thread_default (ctx);
  Wait w = { g_main_loop_new (ctx, FALSE), 0 };
  g_autofree Child *children = g_new0 (Child, lines->len);
  guint next = 0, finished = 0;
  gboolean ok = TRUE;

  while (finished < lines->len)
    {
      while (ok && next < lines->len && w.running < MAX (jobs, 1))
        {
          Child *c = &children[next];
          c->line = g_ptr_array_index (lines, next);
          g_autoptr(GPtrArray) argv = g_ptr_array_new ();
          g_ptr_array_add (argv, (char *) "/proc/self/exe");
          g_ptr_array_add (argv, (char *) "verify");
          g_ptr_array_add (argv, (char *) c->line);
          for (const char *const *a = child_args; a && *a; a++)
            g_ptr_array_add (argv, (char *) *a);
          g_ptr_array_add (argv, NULL);
          /* stderr is inherited: the child's progress lines say their line */
          c->proc = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &c->error);
          next++;
          if (c->proc == NULL)
            {
              c->done = TRUE;
              finished++;
              continue;
            }
          g_object_set_data (G_OBJECT (c->proc), "bp-wait", &w);
          w.running++;
          g_subprocess_communicate_utf8_async (c->proc, NULL, cancellable, child_done, c);
        }
      if (w.running == 0)
        break;
      g_main_loop_run (w.loop);
      finished = 0;
      for (guint i = 0; i < next; i++)
        finished += children[i].done;
      if (g_cancellable_is_cancelled (cancellable))
        {
          for (guint i = 0; i < next; i++)
            if (!children[i].done && children[i].proc)
              g_subprocess_force_exit (children[i].proc);
          ok = FALSE;
        }
    }
  g_main_loop_unref (w.loop);
  g_main_context_pop_thread_default (ctx);

  for (guint i = 0; i < lines->len; i++)
    {
      Child *c = &children[i];
      if (ok && c->error == NULL && c->out && *c->out)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autofree char *source = g_strdup_printf ("verify %s (child)", c->line);
          if (json_parser_load_from_data (parser, c->out, -1, &c->error))
            bp_verify_from_json (json_parser_get_root (parser), source, reports, &c->error);
        }
      else if (ok && c->error == NULL)
        g_set_error (&c->error, G_IO_ERROR, G_IO_ERROR_FAILED, "verify %s printed nothing (exit %d)",
                     c->line, c->proc ? g_subprocess_get_exit_status (c->proc) : -1);
      if (c->error && ok)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&c->error), "line %s: ", c->line);
          ok = FALSE;
        }
      g_clear_error (&c->error);
      g_clear_object (&c->proc);
      g_free (c->out);
    }
  if (!ok && error && *error == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  return ok;
}
