/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "model/dep3.h"

static void
field (GString *out, const char *key, const char *value)
{
  if (value && *value)
    g_string_append_printf (out, "%s: %s\n", key, value);
}

/* RFC 822 continuation lines: " text", " ." for an empty line. */
static void
append_folded (GString *out, const char *text)
{
  g_autofree char *body = g_strdup (text);
  g_strchomp (body);
  if (*body == '\0')
    return;
  g_auto(GStrv) lines = g_strsplit (body, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    g_string_append_printf (out, " %s\n", lines[i][0] ? lines[i] : ".");
}

static char *
last_update (const BpPatch *patch)
{
  if (patch->date)
    return g_date_time_format (patch->date, "%Y-%m-%d");
  const char *sde = g_getenv ("SOURCE_DATE_EPOCH");
  if (sde == NULL || *sde == '\0')
    return NULL;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (g_ascii_strtoll (sde, NULL, 10));
  return when ? g_date_time_format (when, "%Y-%m-%d") : NULL;
}

char *
bp_dep3_header (const BpPatch *patch, const char *upstream_id, const char *posting, const char *bug)
{
  gboolean upstream = upstream_id && *upstream_id;
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "Description: %s\n", patch->subject ? patch->subject : "backported fix");
  if (patch->message)
    append_folded (out, patch->message);
  if (patch->author_name)
    {
      g_autofree char *author = bp_patch_author (patch);
      field (out, "Author", author);
    }
  g_autofree char *origin = upstream
    ? g_strdup_printf ("upstream, https://gitlab.com/qemu-project/qemu/-/commit/%s", upstream_id)
    : (posting && *posting) ? g_strdup_printf ("backport, %s", posting)
    : (bug && *bug) ? g_strdup_printf ("backport, %s", bug) : NULL;
  field (out, "Origin", origin);
  field (out, "Bug", bug);
  g_autoptr(GPtrArray) closes = bp_patch_trailers (patch, "Closes");
  for (guint i = 0; i < closes->len; i++)
    if (g_strcmp0 (closes->pdata[i], bug) != 0)
      field (out, "Bug", closes->pdata[i]);
  field (out, "Forwarded", "not-needed");
  if (upstream)
    {
      g_autofree char *applied = g_strdup_printf ("commit:%s", upstream_id);
      field (out, "Applied-Upstream", applied);
    }
  g_autofree char *day = last_update (patch);
  field (out, "Last-Update", day);
  g_string_append (out, "---\n");
  return g_string_free (out, FALSE);
}
