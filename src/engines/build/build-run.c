/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a step of a check (bp_build_run, see build.h): base/subprocess,
 * with the check's error for a deadline. */
#include "base/subprocess.h"
#include "engines/build/build-private.h"

gboolean
bp_build_run (const char * const *argv, const char *cwd, guint timeout, char **output,
              int *exit_status, GCancellable *cancellable, GError **error)
{
  /* Messages we parse and show must not depend on the user's locale. */
  BpRunOptions o = { .cwd = cwd, .timeout = timeout, .c_locale = TRUE };
  g_autoptr(GError) local = NULL;
  if (bp_run (argv, &o, output, exit_status, cancellable, &local))
    return TRUE;
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error_literal (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT, local->message);
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}
