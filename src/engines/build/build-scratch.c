/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The scratch copy of the tree: hard links where the file system allows,
 * synced again on every run.
 *
 * Why the scratch copy is synced the way it is: ninja decides by mtime.  A
 * hard link keeps the original's (old) mtime, so a file that was patched in
 * an earlier run and is linked back to the original would look older than
 * the headers generated from its patched text (trace-events, qapi), and
 * ninja would keep them.  So a scratch file whose content differs from the
 * tree's is replaced by a private copy stamped "now", never by a link; a
 * private copy whose content equals the tree's is left alone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/fs.h"
#include "engines/build/build-private.h"

gboolean
bp_build_rm_rf (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (bp_fs_rm_rf (path, &local))
    return TRUE;
  g_set_error_literal (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, local->message);
  return FALSE;
}

/* Copy SRC to DST through a temporary file renamed over DST.  With
 * PRESERVE_MTIME the copy keeps SRC's times (it stands for the same text);
 * without, it is stamped now (it replaces different text). */
gboolean
bp_build_copy_file (const char *src, const char *dst, gboolean preserve_mtime, GError **error)
{
  struct stat st;
  if (lstat (src, &st) != 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", src, g_strerror (errno));
      return FALSE;
    }
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (src, &data, &len, &local))
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s", local->message);
      return FALSE;
    }
  g_autofree char *tmp = g_strdup_printf ("%s.bp-tmp-XXXXXX", dst);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (errno));
      return FALSE;
    }
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          close (fd);
          g_unlink (tmp);
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (e));
          return FALSE;
        }
      done += (gsize) n;
    }
  fchmod (fd, st.st_mode & 07777);
  if (preserve_mtime)
    {
      struct timespec times[2] = { st.st_atim, st.st_mtim };
      futimens (fd, times);
    }
  if (close (fd) != 0 || g_rename (tmp, dst) != 0)
    {
      int e = errno;
      g_unlink (tmp);
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static gboolean
same_content (const char *a, const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;
  if (!g_file_get_contents (a, &da, &la, NULL) || !g_file_get_contents (b, &db, &lb, NULL))
    return FALSE;
  return la == lb && memcmp (da, db, la) == 0;
}

/* Put a file of the tree into the scratch for the first time: a hard link,
 * or a copy keeping its times where links cannot be made. */
static gboolean
place_file (const char *src, const char *dst, BpSyncStats *stats, GError **error)
{
  if (stats->can_link)
    {
      if (link (src, dst) == 0)
        {
          stats->placed++;
          return TRUE;
        }
      if (errno != EXDEV && errno != EPERM && errno != EMLINK)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (errno));
          return FALSE;
        }
      stats->can_link = FALSE;
    }
  stats->placed++;
  return bp_build_copy_file (src, dst, TRUE, error);
}

static gboolean
sync_file (const char *src, const struct stat *sst, const char *dst, BpSyncStats *stats, GError **error)
{
  struct stat dstat;
  if (lstat (dst, &dstat) != 0)
    return place_file (src, dst, stats, error);
  if (!S_ISREG (dstat.st_mode))
    {
      if (!bp_build_rm_rf (dst, error))
        return FALSE;
      return place_file (src, dst, stats, error);
    }
  if (dstat.st_ino == sst->st_ino && dstat.st_dev == sst->st_dev)
    return TRUE;
  if (dstat.st_size == sst->st_size
      && dstat.st_mtim.tv_sec == sst->st_mtim.tv_sec && dstat.st_mtim.tv_nsec == sst->st_mtim.tv_nsec)
    return TRUE;
  if (dstat.st_size == sst->st_size && same_content (src, dst))
    return TRUE;
  /* Different text: a fresh private copy, stamped now (see the top). */
  stats->refreshed++;
  return bp_build_copy_file (src, dst, FALSE, error);
}

static gboolean
is_build_dir (const char *path)
{
  g_autofree char *ninja = g_build_filename (path, "build.ninja", NULL);
  g_autofree char *private = g_build_filename (path, "meson-private", NULL);
  return g_file_test (ninja, G_FILE_TEST_EXISTS) || g_file_test (private, G_FILE_TEST_IS_DIR);
}

gboolean
bp_build_sync_dir (const char *src, const char *dst, gboolean top, BpSyncStats *stats,
          GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  struct stat dst_st;
  if (lstat (dst, &dst_st) == 0 && !S_ISDIR (dst_st.st_mode) && !bp_build_rm_rf (dst, error))
    return FALSE;
  if (g_mkdir_with_parents (dst, 0755) != 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (errno));
      return FALSE;
    }

  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  DIR *dir = opendir (src);
  if (dir == NULL)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NOT_A_TREE, "%s: %s", src, g_strerror (errno));
      return FALSE;
    }
  gboolean ok = TRUE;
  struct dirent *de;
  while (ok && (de = readdir (dir)) != NULL)
    {
      const char *name = de->d_name;
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      /* The scratch is a plain tree: the repository stays out. */
      if (top && strcmp (name, ".git") == 0)
        continue;
      g_autofree char *s = g_build_filename (src, name, NULL);
      /* ... and so do build directories the user made inside the tree. */
      if (top && is_build_dir (s))
        continue;
      g_hash_table_add (seen, g_strdup (name));
      g_autofree char *d = g_build_filename (dst, name, NULL);
      struct stat sst;
      if (lstat (s, &sst) != 0)
        continue;  /* vanished meanwhile */
      if (S_ISDIR (sst.st_mode))
        ok = bp_build_sync_dir (s, d, FALSE, stats, cancellable, error);
      else if (S_ISREG (sst.st_mode))
        ok = sync_file (s, &sst, d, stats, error);
      else if (S_ISLNK (sst.st_mode))
        {
          g_autofree char *target = g_file_read_link (s, NULL);
          g_autofree char *have = g_file_read_link (d, NULL);
          if (target && g_strcmp0 (target, have) != 0)
            {
              ok = bp_build_rm_rf (d, error);
              if (ok && symlink (target, d) != 0)
                {
                  g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", d, g_strerror (errno));
                  ok = FALSE;
                }
            }
        }
    }
  closedir (dir);
  if (!ok)
    return FALSE;

  /* What the tree no longer has (or a series created) goes. */
  DIR *ddir = opendir (dst);
  if (ddir == NULL)
    return TRUE;
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func (g_free);
  while ((de = readdir (ddir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0
        && !g_hash_table_contains (seen, de->d_name))
      g_ptr_array_add (extra, g_strdup (de->d_name));
  closedir (ddir);
  for (guint i = 0; i < extra->len; i++)
    {
      g_autofree char *d = g_build_filename (dst, extra->pdata[i], NULL);
      if (!bp_build_rm_rf (d, error))
        return FALSE;
      stats->removed++;
    }
  return TRUE;
}

/* Make sure the scratch copy of REL is a private file, not a link to the
 * user's tree, before anything writes it. */
gboolean
bp_build_unshare_file (const char *tree, const char *scratch, const char *rel, GError **error)
{
  g_autofree char *s = g_build_filename (tree, rel, NULL);
  g_autofree char *d = g_build_filename (scratch, rel, NULL);
  struct stat sst, dst;
  if (lstat (d, &dst) != 0 || !S_ISREG (dst.st_mode) || dst.st_nlink < 2)
    return TRUE;
  if (lstat (s, &sst) != 0 || sst.st_ino != dst.st_ino || sst.st_dev != dst.st_dev)
    return TRUE;
  return bp_build_copy_file (s, d, TRUE, error);
}
