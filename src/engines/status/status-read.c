/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded reads inside a tree: see status-read.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engines/status/status-read.h"

static char *
limit_text (gsize limit)
{
  return limit >= (1u << 20) ? g_strdup_printf ("%" G_GSIZE_FORMAT " MiB", limit >> 20)
                             : g_strdup_printf ("%" G_GSIZE_FORMAT " bytes", limit);
}

static char *
fail (char **why, gboolean *missing, gboolean is_missing, char *phrase)
{
  *why = phrase;
  *missing = is_missing;
  return NULL;
}

/* Read at most LIMIT + 1 bytes from FD: one more than allowed tells "too big". */
static char *
read_limited (int fd, gsize limit, gsize *len, int *err)
{
  gsize cap = MIN (limit + 1, (gsize) 65536), fill = 0;
  g_autofree char *buf = g_malloc (cap + 1);
  for (;;)
    {
      if (fill == cap)
        {
          if (cap > limit)
            break;
          cap = MIN (cap * 2, limit + 1);
          buf = g_realloc (buf, cap + 1);
        }
      ssize_t n = read (fd, buf + fill, cap - fill);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *err = errno;
          return NULL;
        }
      if (n == 0)
        break;
      fill += (gsize) n;
    }
  buf[fill] = '\0';
  *len = fill;
  return g_steal_pointer (&buf);
}

char *
bp_status_read_in_tree (const char *root, const char *rel, gsize limit, gsize *len, char **why,
                        gboolean *missing)
{
  *missing = FALSE;
  g_autofree char *full = g_build_filename (root, rel, NULL);
  char root_real[PATH_MAX], real[PATH_MAX];
  if (realpath (root, root_real) == NULL)
    return fail (why, missing, TRUE, g_strdup_printf ("%s missing (no tree at %s)", rel, root));
  struct stat st;
  if (lstat (full, &st) < 0 || realpath (full, real) == NULL)
    {
      gboolean link = lstat (full, &st) == 0 && S_ISLNK (st.st_mode);
      return fail (why, missing, !link,
                   link ? g_strdup_printf ("%s is a symlink to nothing", rel) : g_strdup_printf ("%s missing", rel));
    }
  gsize rlen = strlen (root_real);
  if (strncmp (real, root_real, rlen) != 0 || (real[rlen] != '/' && strcmp (root_real, "/") != 0))
    return fail (why, missing, FALSE, g_strdup_printf ("%s is a symlink out of the tree", rel));
  /* O_NONBLOCK: opening a FIFO must not wait for a writer */
  int fd = open (real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      return fail (why, missing, FALSE, g_strdup_printf ("%s cannot be read: %s", rel, g_strerror (e)));
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return fail (why, missing, FALSE, g_strdup_printf ("%s is not a regular file", rel));
    }
  if ((guint64) st.st_size > limit)
    {
      close (fd);
      g_autofree char *max = limit_text (limit);
      return fail (why, missing, FALSE, g_strdup_printf ("%s is over %s", rel, max));
    }
  int err = 0;
  char *text = read_limited (fd, limit, len, &err);
  close (fd);
  if (text == NULL)
    return fail (why, missing, FALSE, g_strdup_printf ("%s cannot be read: %s", rel, g_strerror (err)));
  if (*len > limit)
    {
      g_free (text);
      g_autofree char *max = limit_text (limit);
      return fail (why, missing, FALSE, g_strdup_printf ("%s is over %s", rel, max));
    }
  return text;
}
