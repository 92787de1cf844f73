/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "engines/export.h"
#include "model/dep3.h"

#include "base/read-limited.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (bp-export-error-quark, bp_export_error)

gboolean
bp_export_format_from_string (const char *name, BpExportFormat *format)
{
  static const struct { const char *name; BpExportFormat format; } names[] = {
    { "quilt", BP_EXPORT_QUILT }, { "dep3", BP_EXPORT_DEP3 },
    { "mbox", BP_EXPORT_MBOX }, { "rpm", BP_EXPORT_RPM },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (name, names[i].name) == 0)
      {
        *format = names[i].format;
        return TRUE;
      }
  return FALSE;
}

char *
bp_dep3_patch (const BpFixLine *line, const BpPatch *patch)
{
  const BpFixPack *pack = line->pack;
  g_autofree char *header = bp_dep3_header (patch, pack->upstream_id, pack->posting, pack->bug);
  return g_strconcat (header, patch->diff, NULL);
}

/* What is at PATH now: *OLD the text of a regular file, or NULL when there
 * is nothing.  Anything else (a FIFO, a device, a directory) is refused, not
 * read: a FIFO would block the export, a device would never end. */
static gboolean
read_existing (const char *path, char **old, GError **error)
{
  *old = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(GError) local = NULL;
  *old = bp_read_file_limited (path, BP_PATCH_MAX_SIZE, TRUE, NULL, NULL, &local);
  if (*old)
    return TRUE;
  g_set_error (error, BP_EXPORT_ERROR, BP_EXPORT_ERROR_EXISTS, "%s: %s: move it away or export elsewhere",
               path, local->message);
  return FALSE;
}

/* Write CONTENT to PATH unless an identical file is there; a different one
 * is an error, so an export never clobbers a maintainer's own patch. */
static gboolean
write_new_file (const char *path, const char *content, GError **error)
{
  g_autofree char *old = NULL;
  if (!read_existing (path, &old, error))
    return FALSE;
  if (old)
    {
      if (strcmp (old, content) == 0)
        return TRUE;
      g_set_error (error, BP_EXPORT_ERROR, BP_EXPORT_ERROR_EXISTS,
                   "%s exists with different content: move it away or export elsewhere", path);
      return FALSE;
    }
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents (path, content, -1, &local))
    {
      g_set_error (error, BP_EXPORT_ERROR, BP_EXPORT_ERROR_IO, "cannot write %s: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
make_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, BP_EXPORT_ERROR, BP_EXPORT_ERROR_IO, "cannot create %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Does the quilt series TEXT list NAME?  Read as quilt reads it
 * (patchfns' cat_series): lines starting with '#' are comments, and a
 * line's patch is its first word, before any blank ("name -p1",
 * "name\t# note"); CRs of a CRLF file are blanks too. */
static gboolean
series_lists (const char *text, const char *name)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      const char *p = *l;
      if (*p == '#')
        continue;
      while (*p == ' ' || *p == '\t')
        p++;
      gsize n = strcspn (p, " \t\r");
      if (n == strlen (name) && strncmp (p, name, n) == 0)
        return TRUE;
    }
  return FALSE;
}

/* quilt and dep3: OUTPUT/patches/<name> and OUTPUT/patches/series. */
static gboolean
export_quilt (const BpFixLine *line, gboolean dep3, const char *output, GPtrArray *written, GError **error)
{
  g_autofree char *dir = g_build_filename (output, "patches", NULL);
  if (!make_dir (dir, error))
    return FALSE;
  /* Check every name first, so a clash leaves nothing half-written. */
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < line->patches->len; i++)
    {
      const BpPatch *patch = g_ptr_array_index (line->patches, i);
      g_autofree char *raw = NULL;
      if (!dep3 && !g_file_get_contents (patch->source, &raw, NULL, error))
        return FALSE;
      char *content = dep3 ? bp_dep3_patch (line, patch) : g_steal_pointer (&raw);
      g_ptr_array_add (contents, content);
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (line->patch_names, i), NULL);
      g_autofree char *old = NULL;
      if (!read_existing (path, &old, error))
        return FALSE;
      if (old && strcmp (old, content) != 0)
        {
          g_set_error (error, BP_EXPORT_ERROR, BP_EXPORT_ERROR_EXISTS,
                       "%s exists with different content: move it away or export elsewhere", path);
          return FALSE;
        }
    }
  /* the series is read before anything is written, for the same reason */
  g_autofree char *series = g_build_filename (dir, "series", NULL);
  g_autofree char *old = NULL;
  if (!read_existing (series, &old, error))
    return FALSE;
  for (guint i = 0; i < line->patches->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (line->patch_names, i), NULL);
      if (!write_new_file (path, g_ptr_array_index (contents, i), error))
        return FALSE;
      g_ptr_array_add (written, g_steal_pointer (&path));
    }
  /* Append to an existing series (a package's debian/patches) what it lacks. */
  g_autoptr(GString) text = g_string_new (old ? old : "");
  if (text->len && text->str[text->len - 1] != '\n')
    g_string_append_c (text, '\n');
  g_autofree char *present = g_strdup (text->str);
  for (guint i = 0; i < line->patch_names->len; i++)
    {
      const char *name = g_ptr_array_index (line->patch_names, i);
      if (!series_lists (present, name))
        g_string_append_printf (text, "%s\n", name);
    }
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents (series, text->str, -1, &local))
    {
      g_set_error (error, BP_EXPORT_ERROR, BP_EXPORT_ERROR_IO, "cannot write %s: %s", series, local->message);
      return FALSE;
    }
  g_ptr_array_add (written, g_steal_pointer (&series));
  return TRUE;
}

static char *
mbox_text (const BpFixLine *line, GError **error)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < line->patches->len; i++)
    {
      const BpPatch *patch = g_ptr_array_index (line->patches, i);
      g_autofree char *raw = NULL;
      if (!g_file_get_contents (patch->source, &raw, NULL, error))
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      if (!g_str_has_prefix (raw, "From "))
        g_string_append (out, "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n");
      g_string_append (out, raw);
      if (out->len && out->str[out->len - 1] != '\n')
        g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* Spec lines: a comment saying what and why, then PatchN: file. */
static char *
rpm_text (const BpFixLine *line)
{
  const BpFixPack *pack = line->pack;
  GString *out = g_string_new (NULL);
  g_autofree char *culprit = g_strndup (pack->culprit_id, 12);
  for (guint i = 0; i < line->patches->len; i++)
    {
      const BpPatch *patch = g_ptr_array_index (line->patches, i);
      g_string_append_printf (out, "# %s\n# Fixes: %s (\"%s\")%s%s; fix pack %s %u, line %s\n",
                              patch->subject, culprit,
                              pack->culprit_subject ? pack->culprit_subject : "",
                              pack->bug ? "; " : "", pack->bug ? pack->bug : "",
                              pack->name, pack->version, line->name);
      g_string_append_printf (out, "Patch%u: %s\n", i + 1, (char *) g_ptr_array_index (line->patch_names, i));
    }
  return g_string_free (out, FALSE);
}

gboolean
bp_export (const BpFixLine *line, BpExportFormat format, const char *output,
           GPtrArray **written_out, char **text, GError **error)
{
  if (line->patches->len == 0)
    {
      g_set_error (error, BP_EXPORT_ERROR, BP_EXPORT_ERROR_NOTHING,
                   "line %s is %s: it carries no series to export", line->name,
                   bp_verdict_to_string (line->verdict));
      return FALSE;
    }
  g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *result = NULL;
  switch (format)
    {
    case BP_EXPORT_QUILT:
    case BP_EXPORT_DEP3:
      if (!export_quilt (line, format == BP_EXPORT_DEP3, output ? output : ".", written, error))
        return FALSE;
      break;
    case BP_EXPORT_MBOX:
      result = mbox_text (line, error);
      if (result == NULL)
        return FALSE;
      if (output)
        {
          if (!make_dir (output, error))
            return FALSE;
          g_autofree char *name = g_strdup_printf ("%s-%s.mbox", line->pack->name, line->name);
          g_autofree char *path = g_build_filename (output, name, NULL);
          if (!write_new_file (path, result, error))
            return FALSE;
          g_ptr_array_add (written, g_steal_pointer (&path));
        }
      break;
    case BP_EXPORT_RPM:
      result = rpm_text (line);
      if (output)
        {
          if (!make_dir (output, error))
            return FALSE;
          for (guint i = 0; i < line->patches->len; i++)
            {
              const BpPatch *patch = g_ptr_array_index (line->patches, i);
              g_autofree char *raw = NULL;
              if (!g_file_get_contents (patch->source, &raw, NULL, error))
                return FALSE;
              g_autofree char *path = g_build_filename (output, g_ptr_array_index (line->patch_names, i), NULL);
              if (!write_new_file (path, raw, error))
                return FALSE;
              g_ptr_array_add (written, g_steal_pointer (&path));
            }
          g_autofree char *name = g_strdup_printf ("%s-%s.spec.inc", line->pack->name, line->name);
          g_autofree char *path = g_build_filename (output, name, NULL);
          if (!write_new_file (path, result, error))
            return FALSE;
          g_ptr_array_add (written, g_steal_pointer (&path));
        }
      break;
    }
  if (written_out)
    *written_out = g_steal_pointer (&written);
  if (text)
    *text = g_steal_pointer (&result);
  return TRUE;
}
