/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading untrusted input with a size limit, streamed: a file of any kind
 * (a regular file, a pipe, /dev/zero, a link to one) or a stream is read in
 * chunks and the read stops one byte past the limit, so an endless input
 * costs LIMIT bytes of memory, never more.  stat() sizes are not trusted
 * (a character device or a /proc file says 0). */
#pragma once

#include <gio/gio.h>

/* Up to LIMIT bytes of IN, NUL-terminated (the NUL is not counted in *LEN).
 * Over the limit: NULL with G_IO_ERROR_MESSAGE_TOO_LARGE ("over the N MiB
 * limit"); a read error: NULL with the stream's error.  Messages do not name
 * the input: the caller prefixes it. */
char *bp_read_stream_limited (GInputStream *in, gsize limit, gsize *len,
                              GCancellable *cancellable, GError **error);

/* The same for the file at PATH (followed through symlinks).  With
 * REGULAR_ONLY, anything but a regular file (a device, a FIFO, a directory)
 * is refused before it is opened, with G_IO_ERROR_NOT_REGULAR_FILE. */
char *bp_read_file_limited (const char *path, gsize limit, gboolean regular_only, gsize *len,
                            GCancellable *cancellable, GError **error);
