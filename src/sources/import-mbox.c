/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mbox splitting: GMime finds the message boundaries ("From " lines, with
 * its own rules for quoted ">From "), we keep the byte ranges so that each
 * message is parsed from its own text.  See import-private.h. */
#include <string.h>

#include "base/bp-gmime.h"
#include "sources/import-private.h"

GArray *
bp_import_mbox_split (const char *text, gsize len)
{
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!(len > 5 && memcmp (text, "From ", 5) == 0))
    return ranges;
  bp_gmime_init ();
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (text, len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MBOX);
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  while (!g_mime_parser_eos (parser))
    {
      g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message (parser, NULL);
      if (msg == NULL)
        break;
      gint64 off = g_mime_parser_get_mbox_marker_offset (parser);
      g_array_append_val (starts, off);
    }
  for (guint k = 0; k < starts->len; k++)
    {
      gint64 a = g_array_index (starts, gint64, k);
      gint64 b = k + 1 < starts->len ? g_array_index (starts, gint64, k + 1) : (gint64) len;
      if (a < 0 || b > (gint64) len || a >= b)
        continue;
      g_array_append_val (ranges, a);
      g_array_append_val (ranges, b);
    }
  return ranges;
}
