/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The work directory of a check: its default place, its distance from the
 * tree, and the lock that keeps two checks out of one another's way. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engines/build/build-private.h"

BpBuildLock
bp_build_take_lock (BpBuildCheck *ck, GCancellable *cancellable, GError **error)
{
  g_autofree char *path = g_build_filename (ck->work, "lock", NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", path, g_strerror (errno));
      return -1;
    }
  gint64 deadline = g_get_monotonic_time () + (gint64) ck->timeout * G_USEC_PER_SEC;
  gboolean told = FALSE;
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", path, g_strerror (errno));
          close (fd);
          return -1;
        }
      if (!told)
        bp_build_check_progress (ck, "waiting for another check using %s", ck->work);
      told = TRUE;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return -1;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_BUSY,
                       "another check has held %s for %u s",
                       ck->work, ck->timeout);
          close (fd);
          return -1;
        }
      g_usleep (200 * 1000);
    }
  return fd;
}

static char *
path_key (const char *tree, const char *version)
{
  g_autofree char *real = g_canonicalize_filename (tree, NULL);
  char *resolved = realpath (real, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, resolved ? resolved : real, -1);
  free (resolved);
  GString *key = g_string_new (NULL);
  for (const char *p = version ? version : "tree"; *p; p++)
    g_string_append_c (key, g_ascii_isalnum (*p) || *p == '.' || *p == '-' ? *p : '_');
  g_string_append_printf (key, "-%.12s", hash);
  return g_string_free (key, FALSE);
}

/* realpath of PATH, whose last components may not exist yet. */
static char *
resolve_path (const char *path)
{
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  g_autoptr(GString) tail = g_string_new (NULL);
  g_autofree char *dir = g_strdup (abs);
  for (;;)
    {
      char *real = realpath (dir, NULL);
      if (real)
        {
          char *out = g_strconcat (real, tail->str, NULL);
          free (real);
          return out;
        }
      if (strcmp (dir, "/") == 0)
        return g_strdup (abs);
      g_autofree char *base = g_path_get_basename (dir);
      g_string_prepend (tail, base);
      g_string_prepend_c (tail, '/');
      char *up = g_path_get_dirname (dir);
      g_free (dir);
      dir = up;
    }
}

static gboolean
path_within (const char *inner, const char *outer)
{
  gsize len = strlen (outer);
  return strncmp (inner, outer, len) == 0 && (inner[len] == '/' || inner[len] == '\0');
}

char *
bp_build_work_dir_in (const char *cache_dir, const char *tree)
{
  g_autofree char *vpath = g_build_filename (tree, "VERSION", NULL);
  g_autofree char *version = bp_build_read_trimmed (vpath);
  g_autofree char *key = path_key (tree, version);
  if (cache_dir)
    return g_build_filename (cache_dir, "build", key, NULL);
  return g_build_filename (g_get_user_cache_dir (), "backport", "build", key, NULL);
}

char *
bp_build_default_work_dir (const char *tree)
{
  return bp_build_work_dir_in (NULL, tree);
}


/* The scratch copy must neither contain the tree nor live inside it. */
gboolean
bp_build_work_dir_apart (const char *tree, const char *work, GError **error)
{
  g_autofree char *rtree = resolve_path (tree);
  g_autofree char *rwork = resolve_path (work);
  gboolean nested = path_within (rwork, rtree) || path_within (rtree, rwork);
  if (nested)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NESTED,
                   "the work directory %s and the tree %s are inside one another",
                   work, tree);
      return FALSE;
    }
  return TRUE;
}
