/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "base/path-safety.h"

G_DEFINE_QUARK (bp-path-error-quark, bp_path_error)

gboolean
bp_path_is_safe (const char *path, GError **error)
{
  if (path == NULL || *path == '\0' || g_path_is_absolute (path))
    {
      g_set_error (error, BP_PATH_ERROR, BP_PATH_ERROR_UNSAFE,
                   "refusing path '%s': absolute or empty", path ? path : "");
      return FALSE;
    }
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (strcmp (parts[i], "..") == 0 || strcmp (parts[i], ".") == 0 || parts[i][0] == '\0'
        || strcmp (parts[i], ".git") == 0)
      {
        g_set_error (error, BP_PATH_ERROR, BP_PATH_ERROR_UNSAFE,
                     "refusing path '%s': it has a '%s' component", path, parts[i]);
        return FALSE;
      }
  return TRUE;
}
