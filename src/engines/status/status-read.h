/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading a file of a plain source tree the way a hostile tree demands:
 * the path (and every symlink on the way) must resolve inside the tree,
 * the file must be a regular file, and the read stops at a size limit
 * (/dev/zero, a FIFO or a 6 GB file are refused, never read). */
#pragma once

#include <glib.h>

/* The content of REL under ROOT (NUL-terminated, *LEN bytes), or NULL with
 * *WHY a phrase naming REL: "REL missing", "REL is a symlink out of the
 * tree", "REL is not a regular file", "REL is over N MiB", "REL cannot be
 * read: ...".  *MISSING is TRUE when the file simply is not there. */
char *bp_status_read_in_tree (const char *root, const char *rel, gsize limit, gsize *len, char **why,
                              gboolean *missing);
