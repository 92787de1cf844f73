/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "base/version.h"

gboolean
bp_version_parse (const char *text, guint v[3])
{
  if (text == NULL)
    return FALSE;
  g_autofree char *copy = g_strstrip (g_strdup (text));
  g_auto(GStrv) parts = g_strsplit (copy, ".", -1);
  guint n = g_strv_length (parts);
  if (n < 2 || n > 3)
    return FALSE;
  v[2] = 0;
  for (guint i = 0; i < n; i++)
    {
      guint64 x;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT, &x, NULL))
        return FALSE;
      v[i] = (guint) x;
    }
  return TRUE;
}

gboolean
bp_version_parse_release_tag (const char *tag, guint v[3])
{
  return tag && tag[0] == 'v' && strchr (tag + 1, '.') != strrchr (tag + 1, '.')
         && bp_version_parse (tag + 1, v);
}

int
bp_version_compare (const guint a[3], const guint b[3])
{
  for (int i = 0; i < 3; i++)
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
  return 0;
}

char *
bp_version_line (const char *text)
{
  guint v[3];
  if (!bp_version_parse (text, v))
    return NULL;
  if (v[2] < 90)
    return g_strdup_printf ("%u.%u", v[0], v[1]);
  return v[1] >= 2 ? g_strdup_printf ("%u.0", v[0] + 1) : g_strdup_printf ("%u.%u", v[0], v[1] + 1);
}
