/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cache's small operations: directories, stamps, a tree's VERSION. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "base/fs.h"
#include "sources/trees-private.h"

char *
bp_trees_read_version (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "VERSION", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  if (*text == '\0' || strchr (text, '\n'))
    return NULL;
  return g_steal_pointer (&text);
}

gboolean
bp_trees_rm_rf (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (bp_fs_rm_rf (path, &local))
    return TRUE;
  g_set_error_literal (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, local->message);
  return FALSE;
}

gboolean
bp_trees_mkdirs (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO,
                   "cannot create %s: %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

void
bp_trees_sweep_stale (const char *dir, const char *marker)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *n; d && (n = g_dir_read_name (d)) != NULL;)
    {
      const char *dash = strrchr (n, '-');
      guint64 pid;
      if (strstr (n, marker) == NULL || dash == NULL
          || !g_ascii_string_to_unsigned (dash + 1, 10, 1, G_MAXINT, &pid, NULL))
        continue;
      if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;   /* still running (or not ours to judge) */
      g_autofree char *path = g_build_filename (dir, n, NULL);
      bp_trees_rm_rf (path, NULL);
    }
}

char *
bp_trees_now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
bp_trees_write_keyfile (GKeyFile *kf, const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!g_key_file_save_to_file (kf, path, &local))
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "cannot write %s: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}
