/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trees module's subprocess runner (apt-get, apt-cache, dpkg-source). */
#include "sources/trees-private.h"

void
bp_trees_command_clear (BpTreesCommand *r)
{
  g_clear_pointer (&r->output, g_free);
}

gboolean
bp_trees_run (const char *const *argv, const char *cwd, const char *apt_config,
                     const char *log, const BpTreesReporter *r, const char *line,
                     BpTreesCommand *result, GCancellable *cancellable, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  if (apt_config)
    g_subprocess_launcher_setenv (launcher, "APT_CONFIG", apt_config, TRUE);
  if (cwd)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  g_autoptr(GError) local = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, &local);
  if (proc == NULL)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_COMMAND,
                   "cannot run %s: %s", argv[0], local->message);
      return FALSE;
    }
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  g_autoptr(GString) out = g_string_new (NULL);
  for (;;)
    {
      gsize len;
      g_autofree char *text = g_data_input_stream_read_line (in, &len, cancellable, &local);
      if (text == NULL)
        break;
      g_string_append_len (out, text, len);
      g_string_append_c (out, '\n');
      g_strchomp (text);
      if (*text)
        bp_trees_report_output (r, line, text);
    }
  if (local == NULL)
    g_subprocess_wait (proc, cancellable, &local);
  if (local)
    {
      g_subprocess_force_exit (proc);
      g_subprocess_wait (proc, NULL, NULL);
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", argv[0]);
      return FALSE;
    }
  if (log)
    (void) g_file_set_contents (log, out->str, out->len, NULL);
  result->status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  result->output = g_string_free (g_steal_pointer (&out), FALSE);
  return TRUE;
}

char *
bp_trees_first_line_with (const char *output, const char *const *prefixes)
{
  g_auto(GStrv) lines = g_strsplit (output ? output : "", "\n", -1);
  for (const char *const *p = prefixes; *p; p++)
    for (char **l = lines; *l; l++)
      if (g_str_has_prefix (*l, *p))
        return g_strstrip (g_strdup (*l));
  return NULL;
}
