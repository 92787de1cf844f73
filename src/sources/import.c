/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The importer's entry points: limits, mbox splitting into messages, and
 * for each message the strict parser first, the lenient one (web-text
 * recovery) when that fails.  See import.h; the parts are import-*.c. */
#include <string.h>

#include "base/read-limited.h"

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
      g_ptr_array_add (imp->notes, g_strdup (BP_IMPORT_NOTE_NO_SUBJECT));
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

/* A read of SOURCE failed with LOCAL: say so in the importer's words. */
static void
import_read_error (const char *source, const GError *local, GError **error)
{
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                 "%s: over the %d MiB limit for a patch", source, BP_PATCH_MAX_SIZE / (1024 * 1024));
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY))
    g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                 "%s is a directory: give a mail, an mbox or a diff file", source);
  else
    g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE, "%s: cannot read: %s", source, local->message);
}

/* TEXT with every CRLF turned into LF, as git mailsplit does for git am
 * (mail transport and browser copies add CRs; the code's lines have
 * none).  NULL when TEXT has no CR. */
static char *
crlf_to_lf (const char *text, gsize len, gsize *out_len)
{
  if (!memchr (text, '\r', len))
    return NULL;
  char *out = g_malloc (len + 1);
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
      out[n++] = text[i];
  out[n] = '\0';
  *out_len = n;
  return out;
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
  gsize unix_len = 0;
  g_autofree char *unix_text = crlf_to_lf (text, len, &unix_len);
  if (unix_text)
    text = unix_text, len = unix_len;
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

/* The input's text, read with the patch size limit; SOURCE names it. */
static char *
read_input (GInputStream *in, const char *source, gsize *len, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *text = bp_read_stream_limited (in, BP_PATCH_MAX_SIZE, len, cancellable, &local);
  if (text == NULL)
    import_read_error (source, local, error);
  return text;
}

GPtrArray *
bp_import_load_stream (GInputStream *in, const char *source, GCancellable *cancellable, GError **error)
{
  gsize len;
  g_autofree char *text = read_input (in, source, &len, cancellable, error);
  if (text == NULL)
    return NULL;
  return bp_import_parse (text, len, source, error);
}

GPtrArray *
bp_import_load (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  gsize len;
  /* Any kind of file (a pipe from process substitution, /dev/stdin), read
   * in chunks: the limit holds for /dev/zero too. */
  g_autofree char *text = bp_read_file_limited (path, BP_PATCH_MAX_SIZE, FALSE, &len, NULL, &local);
  if (text == NULL)
    {
      import_read_error (path, local, error);
      return NULL;
    }
  return bp_import_parse (text, len, path, error);
}
