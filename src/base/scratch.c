/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scratch directories with their owner in the name.  See scratch.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/fs.h"
#include "base/scratch.h"

/* Field 22 of /proc/PID/stat (when the process started), 0 when PID is
 * gone, a zombie (dead, not yet reaped: an orphan waits for init), or /proc
 * cannot say. */
static guint64
start_time (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  const char *p = strrchr (text, ')');   /* the command name may hold anything */
  if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
    return 0;
  /* after ") " come the fields from 3 (state) on */
  for (int field = 2; field < 22 && *p; p++)
    if (*p == ' ')
      field++;
  return g_ascii_strtoull (p, NULL, 10);
}

char *
bp_scratch_dir_new (const char *parent, const char *prefix, GError **error)
{
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot create %s: %s", parent, g_strerror (e));
      return NULL;
    }
  g_autofree char *dir = g_strdup_printf ("%s/%s%d.%" G_GUINT64_FORMAT "-XXXXXX", parent, prefix,
                                          (int) getpid (), start_time (getpid ()));
  if (g_mkdtemp (dir) == NULL)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot create a scratch directory in %s: %s",
                   parent, g_strerror (e));
      return NULL;
    }
  return g_steal_pointer (&dir);
}

/* NAME (after the prefix) is <pid>.<start>-XXXXXX, the owner's pid and
 * start time read from its end (a line's name before it may hold dots and
 * dashes). */
static gboolean
owner_of (const char *name, pid_t *pid, guint64 *start)
{
  size_t n = strlen (name);
  if (n < 7 || name[n - 7] != '-')
    return FALSE;
  g_autofree char *head = g_strndup (name, n - 7);
  const char *dash = strrchr (head, '-');
  const char *ids = dash ? dash + 1 : head;
  const char *dot = strchr (ids, '.');
  if (dot == NULL)
    return FALSE;
  g_autofree char *pid_text = g_strndup (ids, dot - ids);
  guint64 p, s;
  if (!g_ascii_string_to_unsigned (pid_text, 10, 1, G_MAXINT, &p, NULL)
      || !g_ascii_string_to_unsigned (dot + 1, 10, 0, G_MAXUINT64, &s, NULL))
    return FALSE;
  *pid = (pid_t) p;
  *start = s;
  return TRUE;
}

static gboolean
alive (pid_t pid, guint64 start)
{
  if (pid == getpid ())
    return TRUE;
  guint64 now = start_time (pid);
  if (now != 0)
    return start == 0 || now == start;   /* the same process, or one we cannot tell apart */
  if (g_file_test ("/proc/self/stat", G_FILE_TEST_EXISTS))
    return FALSE;   /* gone, or a zombie */
  return kill (pid, 0) == 0 || errno != ESRCH;   /* no /proc: only a pid that is gone counts */
}

guint
bp_scratch_sweep (const char *parent, const char *prefix, GString *names)
{
  g_autoptr(GDir) d = g_dir_open (parent, 0, NULL);
  guint removed = 0;
  size_t plen = strlen (prefix);
  for (const char *n; d && (n = g_dir_read_name (d)) != NULL;)
    {
      pid_t pid;
      guint64 start;
      if (strncmp (n, prefix, plen) != 0 || !owner_of (n + plen, &pid, &start) || alive (pid, start))
        continue;
      g_autofree char *path = g_build_filename (parent, n, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK)
          || !bp_fs_rm_rf (path, NULL))
        continue;
      removed++;
      if (names)
        g_string_append_printf (names, "%s%s", names->len ? ", " : "", path);
    }
  return removed;
}
