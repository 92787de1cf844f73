/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verify's worker processes.  See verify-worker.h for the protocol. */
#include <signal.h>
#include <string.h>

#include "base/json.h"
#include "report/verify-model.h"
#include "verify/verify-worker.h"

/* A job or a report is kilobytes; refuse to read a runaway peer. */
#define MAX_DOCUMENT (64 * 1024 * 1024)
/* Seconds a worker has to clean up after SIGTERM before SIGKILL. */
#define GRACE_SECONDS 20

/* ---- the job ---------------------------------------------------------------- */

static char *
job_to_json (const BpFixLine *line, const BpTree *tree, const BpVerifyOptions *o)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  bp_json_add_string (b, "pack", line->pack->dir);
  bp_json_add_string (b, "line", line->name);
  json_builder_set_member_name (b, "tree");
  bp_tree_add_json (b, tree);
  bp_json_add_string (b, "cache", o->cache_dir);
  bp_json_add_string (b, "repo", o->repo);
  json_builder_set_member_name (b, "keep");
  json_builder_add_boolean_value (b, o->keep);
  json_builder_set_member_name (b, "build_jobs");
  json_builder_add_int_value (b, o->build_jobs);
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static const char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n) : NULL;
}

static char *
read_all (GInputStream *in, GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint8 chunk[65536];
  for (;;)
    {
      gssize n = g_input_stream_read (in, chunk, sizeof chunk, cancellable, error);
      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      g_byte_array_append (buf, chunk, n);
      if (buf->len > MAX_DOCUMENT)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "verify worker: the job is over %d MiB",
                       MAX_DOCUMENT / (1024 * 1024));
          return NULL;
        }
    }
  g_byte_array_append (buf, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&buf), FALSE);
}

gboolean
bp_verify_worker_main (GInputStream *in, GOutputStream *out, BpVerifyProgress progress,
                       gpointer progress_data, BpVerifyTreeRemedy tree_remedy,
                       GCancellable *cancellable, GError **error)
{
  g_autofree char *text = read_all (in, cancellable, error);
  if (text == NULL)
    return FALSE;
  g_autoptr(JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, error))
    return FALSE;
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *job = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  const char *pack_dir = job ? member_string (job, "pack") : NULL;
  const char *line_name = job ? member_string (job, "line") : NULL;
  if (pack_dir == NULL || line_name == NULL || !json_object_has_member (job, "tree"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "verify worker: not a job (pack, line, tree)");
      return FALSE;
    }
  g_autoptr(BpFixPack) pack = bp_fixpack_load (pack_dir, error);
  if (pack == NULL)
    return FALSE;
  BpFixLine *line = bp_fixpack_get_line (pack, line_name, error);
  if (line == NULL)
    return FALSE;
  g_autoptr(BpTree) tree = bp_tree_from_json (json_object_get_member (job, "tree"), error);
  if (tree == NULL)
    return FALSE;
  BpVerifyOptions o = {
    .cache_dir = member_string (job, "cache"),
    .repo = member_string (job, "repo"),
    .keep = json_object_get_boolean_member_with_default (job, "keep", FALSE),
    .build_jobs = json_object_get_int_member_with_default (job, "build_jobs", 0),
    .progress = progress,
    .progress_data = progress_data,
    .tree_remedy = tree_remedy,
  };
  g_autoptr(BpLineReport) report = bp_verify_line (line, tree, &o, cancellable);
  g_autoptr(GPtrArray) reports = g_ptr_array_new ();
  g_ptr_array_add (reports, report);
  g_autoptr(JsonNode) doc = bp_verify_to_json (reports, NULL, 0);
  g_autofree char *answer = json_to_string (doc, FALSE);
  if (!g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, error)
      || !g_output_stream_flush (out, NULL, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return TRUE;
}

/* ---- the parent ------------------------------------------------------------- */

typedef struct {
  const BpFixLine *line;
  GSubprocess *proc;
  char *out;
  GError *error;
  gboolean done;
  gboolean terminated;   /* sent SIGTERM */
} Worker;

typedef struct {
  GMainLoop *loop;
  guint running;
} Pool;

static void
worker_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Worker *w = data;
  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &w->out, NULL, &w->error);
  w->done = TRUE;
  Pool *p = g_object_get_data (source, "bp-pool");
  p->running--;
  g_main_loop_quit (p->loop);
}

static gboolean
wake (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
start (Worker *w, Pool *pool, BpTreeSet *trees, const BpVerifyOptions *o)
{
  const char *argv[] = { "/proc/self/exe", BP_VERIFY_WORKER_ARG, NULL };
  w->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &w->error);
  if (w->proc == NULL)
    {
      w->done = TRUE;
      return;
    }
  g_autofree char *job = job_to_json (w->line, bp_tree_set_get (trees, w->line->name), o);
  g_object_set_data (G_OBJECT (w->proc), "bp-pool", pool);
  pool->running++;
  /* The exchange is not cancellable: a cancelled parent still reads what
   * its terminated workers say, and waits for them to be gone. */
  g_subprocess_communicate_utf8_async (w->proc, job, NULL, worker_done, w);
}

/* Cancelled: SIGTERM to every running worker, SIGKILL after the grace. */
static void
stop_workers (Worker *workers, guint n, gint64 *deadline)
{
  gint64 now = g_get_monotonic_time ();
  if (*deadline == 0)
    *deadline = now + GRACE_SECONDS * G_USEC_PER_SEC;
  for (guint i = 0; i < n; i++)
    {
      Worker *w = &workers[i];
      if (w->done || w->proc == NULL)
        continue;
      if (!w->terminated)
        {
          g_subprocess_send_signal (w->proc, SIGTERM);
          w->terminated = TRUE;
        }
      else if (now >= *deadline)
        g_subprocess_force_exit (w->proc);
    }
}

static gboolean
collect (Worker *w, GPtrArray *reports, GError **error)
{
  if (w->error == NULL && (w->out == NULL || *w->out == '\0'))
    g_set_error (&w->error, G_IO_ERROR, G_IO_ERROR_FAILED, "the worker printed no report (exit %d)",
                 w->proc ? g_subprocess_get_exit_status (w->proc) : -1);
  if (w->error == NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *source = g_strdup_printf ("verify %s (worker)", w->line->name);
      if (json_parser_load_from_data (parser, w->out, -1, &w->error))
        bp_verify_from_json (json_parser_get_root (parser), source, reports, &w->error);
    }
  if (w->error)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&w->error), "line %s: ", w->line->name);
      return FALSE;
    }
  return TRUE;
}

gboolean
bp_verify_workers_run (GPtrArray *lines, BpTreeSet *trees, const BpVerifyOptions *o, guint jobs,
                       GPtrArray *reports, GCancellable *cancellable, GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_main_context_push_thread_default (ctx);
  Pool pool = { g_main_loop_new (ctx, FALSE), 0 };
  g_autofree Worker *workers = g_new0 (Worker, lines->len);
  guint next = 0;
  gint64 deadline = 0;
  for (;;)
    {
      gboolean cancelled = g_cancellable_is_cancelled (cancellable);
      while (!cancelled && next < lines->len && pool.running < MAX (jobs, 1))
        {
          workers[next].line = lines->pdata[next];
          start (&workers[next++], &pool, trees, o);
        }
      if (pool.running == 0)
        break;
      if (cancelled)
        stop_workers (workers, next, &deadline);
      /* Wake at least every second to notice a cancel. */
      GSource *tick = g_timeout_source_new_seconds (1);
      g_source_set_callback (tick, wake, pool.loop, NULL);
      g_source_attach (tick, ctx);
      g_main_loop_run (pool.loop);
      g_source_destroy (tick);
      g_source_unref (tick);
    }
  g_main_loop_unref (pool.loop);
  g_main_context_pop_thread_default (ctx);

  gboolean ok = !g_cancellable_set_error_if_cancelled (cancellable, error);
  for (guint i = 0; i < next; i++)
    {
      Worker *w = &workers[i];
      if (ok)
        ok = collect (w, reports, error);
      g_clear_error (&w->error);
      g_clear_object (&w->proc);
      g_free (w->out);
    }
  return ok;
}
