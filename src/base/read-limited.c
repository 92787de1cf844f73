/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded, streamed reads of untrusted input.  See read-limited.h. */
#include "base/read-limited.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

char *
bp_read_stream_limited (GInputStream *in, gsize limit, gsize *len,
                        GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint8 chunk[65536];
  for (;;)
    {
      gssize n = g_input_stream_read (in, chunk, sizeof chunk, cancellable, error);
      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (buf->len + (gsize) n > limit)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "over the %" G_GSIZE_FORMAT " MiB limit", limit / (1024 * 1024));
          return NULL;
        }
      g_byte_array_append (buf, chunk, (guint) n);
    }
  if (len)
    *len = buf->len;
  g_byte_array_append (buf, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&buf), FALSE);
}

char *
bp_read_file_limited (const char *path, gsize limit, gboolean regular_only, gsize *len,
                      GCancellable *cancellable, GError **error)
{
  /* O_NONBLOCK so that opening a FIFO with no writer cannot hang before the
   * type check; cleared again for reading. */
  int fd = open (path, O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s", g_strerror (e));
      return NULL;
    }
  g_autoptr(GInputStream) in = g_unix_input_stream_new (fd, TRUE);
  struct stat st;
  if (fstat (fd, &st) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s", g_strerror (e));
      return NULL;
    }
  if (regular_only && !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s",
                   S_ISDIR (st.st_mode) ? "a directory, not a file" : "not a regular file");
      return NULL;
    }
  if (regular_only)
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, "a directory, not a file");
      return NULL;
    }
  return bp_read_stream_limited (in, limit, len, cancellable, error);
}
