/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mbox splitting, as git mailsplit does it: a message starts at a line that
 * is a real mbox "From <sender> <date>" line (bp_patch_is_from_line), so a
 * message line such as "From the kernel log:" stays in its message (GMime's
 * mbox parser split there).  The byte ranges are kept so that each message
 * is parsed from its own text.  See import-private.h. */
#include <string.h>

#include "sources/import-private.h"

GArray *
bp_import_mbox_split (const char *text, gsize len)
{
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (gint64));
  const char *first_nl = memchr (text, '\n', len);
  if (!bp_patch_is_from_line (text, first_nl ? (gsize) (first_nl - text) : len))
    return ranges;
  gint64 start = 0;
  for (gsize pos = 0; pos < len;)
    {
      const char *nl = memchr (text + pos, '\n', len - pos);
      gsize end = nl ? (gsize) (nl - text) : len;
      if (pos > 0 && bp_patch_is_from_line (text + pos, end - pos))
        {
          gint64 at = (gint64) pos;
          g_array_append_val (ranges, start);
          g_array_append_val (ranges, at);
          start = at;
        }
      pos = end + 1;
    }
  gint64 all = (gint64) len;
  g_array_append_val (ranges, start);
  g_array_append_val (ranges, all);
  return ranges;
}
