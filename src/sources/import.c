/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The importer's entry points: limits, mbox splitting into messages, and
 * for each message the strict parser first, the lenient one (web-text
 * recovery) when that fails.  See import.h; the parts are import-*.c. */
#include <string.h>

#include <glib/gstdio.h>

#include "base/path-safety.h"
#include "sources/import-private.h"

G_DEFINE_QUARK (bp-import-error-quark, bp_import_error)

void
bp_imported_free (BpImported *imp)
{
  if (imp == NULL)
    return;
  g_clear_pointer (&imp->patch, bp_patch_free);
  g_clear_pointer (&imp->notes, g_ptr_array_unref);
  g_free (imp);
}

BpImported *
bp_imported_new (BpPatch *patch, gboolean damaged)
{
  BpImported *imp = g_new0 (BpImported, 1);
  imp->patch = patch;
  imp->damaged = damaged;
  imp->notes = g_ptr_array_new_with_free_func (g_free);
  return imp;
}

/* Fill what a headerless paste lacks. */
static void
fill_identity (BpImported *imp)
{
  BpPatch *patch = imp->patch;
  if (patch->author_email == NULL)
    {
      g_autoptr(GPtrArray) sob = bp_patch_trailers (patch, "Signed-off-by");
      if (sob->len)
        {
          bp_import_set_author (patch, sob->pdata[0]);
          g_ptr_array_add (imp->notes, g_strdup_printf ("author taken from the first Signed-off-by: %s",
                                                        (char *) sob->pdata[0]));
        }
    }
  if (patch->subject == NULL)
    {
      const BpFileDiff *f = patch->files && patch->files->len ? patch->files->pdata[0] : NULL;
      const char *path = f ? (f->new_path ? f->new_path : f->old_path) : "the tree";
      patch->subject = g_strdup_printf ("%s: imported patch", path);
      g_ptr_array_add (imp->notes, g_strdup ("the input has no Subject: pass --subject to set one"));
    }
}

static BpImported *
parse_one (const char *text, gsize len, const char *source, GError **error)
{
  g_autoptr(GError) strict_error = NULL;
  BpPatch *strict = bp_patch_parse (text, len, source, &strict_error);
  if (strict)
    {
      BpImported *imp = bp_imported_new (strict, FALSE);
      fill_identity (imp);
      return imp;
    }
  if (g_error_matches (strict_error, BP_PATCH_ERROR, BP_PATCH_ERROR_TOO_LARGE)
      || g_error_matches (strict_error, BP_PATCH_ERROR, BP_PATCH_ERROR_UNSAFE_PATH))
    {
      g_propagate_error (error, g_steal_pointer (&strict_error));
      return NULL;
    }
  gboolean damaged = FALSE;
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  BpPatch *patch = bp_import_parse_lenient (text, len, source, &damaged, notes, error);
  if (patch == NULL)
    return NULL;
  g_autoptr(BpImported) imp = bp_imported_new (patch, TRUE);
  for (guint k = 0; k < notes->len; k++)
    g_ptr_array_add (imp->notes, g_strdup (notes->pdata[k]));
  for (guint k = 0; k < patch->files->len; k++)
    {
      BpFileDiff *f = patch->files->pdata[k];
      const char *paths[2] = { f->old_path, f->new_path };
      for (guint j = 0; j < 2; j++)
        if (paths[j] && !bp_path_is_safe (paths[j], error))
          return NULL;
    }
  fill_identity (imp);
  bp_import_render_diff (patch);
  return g_steal_pointer (&imp);
}

GPtrArray *
bp_import_parse (const char *text, gsize len, const char *source, GError **error)
{
  if (len > BP_PATCH_MAX_SIZE)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                   "%s: %" G_GSIZE_FORMAT " bytes is over the %d MiB limit for a patch", source, len,
                   BP_PATCH_MAX_SIZE / (1024 * 1024));
      return NULL;
    }
  if (memchr (text, '\0', len))
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE, "%s: contains NUL bytes: not a text patch",
                   source);
      return NULL;
    }
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_imported_free);
  g_autoptr(GArray) ranges = bp_import_mbox_split (text, len);
  guint messages = ranges->len / 2;
  for (guint k = 0; k < messages; k++)
    {
      gint64 a = g_array_index (ranges, gint64, 2 * k), b = g_array_index (ranges, gint64, 2 * k + 1);
      g_autofree char *name = messages > 1 ? g_strdup_printf ("%s (message %u)", source, k + 1)
                                           : g_strdup (source);
      BpImported *imp = parse_one (text + a, b - a, name, error);
      if (imp == NULL)
        return NULL;
      g_ptr_array_add (out, imp);
    }
  if (out->len)
    return g_steal_pointer (&out);
  BpImported *imp = parse_one (text, len, source, error);
  if (imp == NULL)
    return NULL;
  g_ptr_array_add (out, imp);
  return g_steal_pointer (&out);
}

GPtrArray *
bp_import_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len;
  GStatBuf st;
  if (g_stat (path, &st) == 0 && st.st_size > BP_PATCH_MAX_SIZE)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                   "%s: over the %d MiB limit for a patch", path, BP_PATCH_MAX_SIZE / (1024 * 1024));
      return NULL;
    }
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE, "%s: cannot read: %s", path, local->message);
      return NULL;
    }
  return bp_import_parse (text, len, path, error);
}
