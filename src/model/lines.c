/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "model/lines.h"

BpLines *
bp_lines_new_from_text (const char *text, gsize len)
{
  BpLines *lines = g_new0 (BpLines, 1);
  lines->lines = g_ptr_array_new_with_free_func (g_free);
  lines->final_newline = TRUE;
  gsize pos = 0;
  while (pos < len)
    {
      const char *nl = memchr (text + pos, '\n', len - pos);
      gsize end = nl ? (gsize) (nl - text) : len;
      g_ptr_array_add (lines->lines, g_strndup (text + pos, end - pos));
      if (nl == NULL)
        lines->final_newline = FALSE;
      pos = end + 1;
    }
  return lines;
}

BpLines *
bp_lines_copy (const BpLines *src)
{
  BpLines *lines = g_new0 (BpLines, 1);
  lines->lines = g_ptr_array_new_full (src->lines->len, g_free);
  for (guint i = 0; i < src->lines->len; i++)
    g_ptr_array_add (lines->lines, g_strdup (src->lines->pdata[i]));
  lines->final_newline = src->final_newline;
  return lines;
}

char *
bp_lines_to_text (const BpLines *lines, gsize *len)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < lines->lines->len; i++)
    {
      g_string_append (s, lines->lines->pdata[i]);
      if (i + 1 < lines->lines->len || lines->final_newline)
        g_string_append_c (s, '\n');
    }
  if (len)
    *len = s->len;
  return g_string_free (s, FALSE);
}

void
bp_lines_free (BpLines *lines)
{
  if (lines == NULL)
    return;
  g_ptr_array_unref (lines->lines);
  g_free (lines);
}

char *
bp_lines_squash (const char *line)
{
  GString *s = g_string_sized_new (strlen (line));
  for (const char *p = line; *p; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (s, *p);
  return g_string_free (s, FALSE);
}
