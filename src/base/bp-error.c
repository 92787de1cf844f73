/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/bp-error.h"

G_DEFINE_QUARK (bp-exit-error-quark, bp_exit_error)
G_DEFINE_QUARK (bp-usage-error-quark, bp_usage_error)

int
bp_error_exit_code (const GError *error)
{
  if (error == NULL)
    return BP_EXIT_OK;
  if (error->domain == G_OPTION_ERROR || error->domain == BP_USAGE_ERROR)
    return BP_EXIT_USAGE;
  if (error->domain == BP_EXIT_ERROR)
    return error->code;
  return BP_EXIT_MISSING;
}

gboolean
bp_error_exit (GError **dest, GError *src, int exit_code)
{
  g_set_error_literal (dest, BP_EXIT_ERROR, exit_code, src ? src->message : "");
  g_clear_error (&src);
  return FALSE;
}

gboolean
bp_usage (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, BP_USAGE_ERROR, 0, msg);
  return FALSE;
}
