/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

static gboolean
rm_fail (GError **error, const char *name)
{
  int e = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot remove %s: %s", name, g_strerror (e));
  return FALSE;
}

/* Remove NAME under the directory AT, never following a symlink. */
static gboolean
rm_rf_at (int at, const char *name, GError **error)
{
  struct stat st;
  if (fstatat (at, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? TRUE : rm_fail (error, name);
  if (!S_ISDIR (st.st_mode))
    return unlinkat (at, name, 0) == 0 || errno == ENOENT ? TRUE : rm_fail (error, name);

  int fd = openat (at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return rm_fail (error, name);
  DIR *dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return rm_fail (error, name);
    }
  gboolean ok = TRUE;
  struct dirent *de;
  while (ok && (de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      ok = rm_rf_at (dirfd (dir), de->d_name, error);
  closedir (dir);
  if (!ok)
    return FALSE;
  return unlinkat (at, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? TRUE : rm_fail (error, name);
}

gboolean
bp_fs_rm_rf (const char *path, GError **error)
{
  return rm_rf_at (AT_FDCWD, path, error);
}
