/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the code says: the specific probe (the pack's function, pattern,
 * guard and helper) and the generic one (the pack's patches by content). */
#include <string.h>

#include "engines/status/status-probe.h"
#include "model/c-source.h"

gboolean
bp_status_probe_is_specific (const BpFixPack *pack)
{
  return pack->function && pack->bug_pattern && pack->guard;
}

GPtrArray *
bp_status_probe_files (const BpFixPack *pack, const BpFixLine *line)
{
  GPtrArray *files = g_ptr_array_new ();
  if (line && line->file)
    g_ptr_array_add (files, line->file);
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *l = g_ptr_array_index (pack->lines, i);
      gboolean seen = FALSE;
      for (guint k = 0; k < files->len; k++)
        seen |= l->file && g_strcmp0 (g_ptr_array_index (files, k), l->file) == 0;
      if (l->file && !seen)
        g_ptr_array_add (files, l->file);
    }
  return files;
}

/* The body ("{...}") of the definition of NAME in TEXT, or FALSE (the
 * shared finder of c-source.c: prototypes, calls and strings do not count). */
static gboolean
find_function (const char *text, gsize len, const char *name, const char **body, gsize *body_len)
{
  BpCDefinition def;
  if (bp_c_find_definition (text, len, name, &def) != 1)
    return FALSE;
  *body = text + def.body_start;
  *body_len = def.end - def.body_start;
  return TRUE;
}

static gboolean
ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* NAME in TEXT as a whole word; with CALL, followed by "(". */
static gboolean
has_word (const char *text, gsize len, const char *name, gboolean call)
{
  const char *end = text + len;
  gsize nlen = strlen (name);
  for (const char *p = text; p < end; p++)
    {
      p = memmem (p, (gsize) (end - p), name, nlen);
      if (p == NULL)
        return FALSE;
      if (p > text && ident_char (p[-1]))
        continue;
      const char *q = p + nlen;
      if (q < end && ident_char (*q))
        continue;
      while (call && q < end && g_ascii_isspace (*q))
        q++;
      if (!call || (q < end && *q == '('))
        return TRUE;
    }
  return FALSE;
}

BpProbeState
bp_status_probe_text (const char *text, gsize len, const BpFixPack *pack, char **detail, gboolean *partial)
{
  const char *function = pack->function, *pattern = pack->bug_pattern, *guard = pack->guard;
  const char *helper = pack->helper;
  g_autofree char *uses = pack->bug_summary ? g_strdup (pack->bug_summary) : g_strdup_printf ("uses %s", pattern);
  const char *body, *hbody;
  gsize body_len, hlen;
  *partial = FALSE;
  if (!find_function (text, len, function, &body, &body_len))
    {
      *detail = g_strdup_printf ("no definition of %s()", function);
      return BP_PROBE_ABSENT;
    }
  if (has_word (body, body_len, guard, FALSE))
    {
      *detail = g_strdup_printf ("%s() checks %s() itself", function, guard);
      return BP_PROBE_FIXED;
    }
  gboolean helper_guarded = helper && find_function (text, len, helper, &hbody, &hlen)
                            && has_word (hbody, hlen, guard, FALSE);
  if (helper && has_word (body, body_len, helper, TRUE))
    {
      if (helper_guarded)
        {
          *detail = g_strdup_printf ("%s() %s only when %s() says so (%s)", function, uses, helper, guard);
          return BP_PROBE_FIXED;
        }
      *detail = g_strdup_printf ("%s() calls %s(), which has no %s() check", function, helper, guard);
      return BP_PROBE_BUGGY;
    }
  if (has_word (body, body_len, pattern, FALSE))
    {
      *partial = helper_guarded;
      if (helper_guarded)
        *detail = g_strdup_printf ("partial: the call site still %s: %s() is there with its %s() check, "
                                   "but %s() does not call it (%s)", uses, helper, guard, function, pattern);
      else
        *detail = g_strdup_printf ("%s() %s (%s) without a %s() check", function, uses, pattern, guard);
      return BP_PROBE_BUGGY;
    }
  *detail = g_strdup_printf ("%s() does not use %s", function, pattern);
  return BP_PROBE_CLEAN;
}

BpProbeState
bp_history_probe_text (const char *text, gsize len, const BpFixPack *pack, char **detail)
{
  if (!bp_status_probe_is_specific (pack))
    {
      *detail = g_strdup ("the pack names no function, bug-pattern and guard for this probe");
      return BP_PROBE_ABSENT;
    }
  gboolean partial;
  return bp_status_probe_text (text, len, pack, detail, &partial);
}

/* The patches to try: the line's own, then the other lines', newest first. */
static GPtrArray *
candidate_patches (const BpFixPack *pack, const BpFixLine *line)
{
  GPtrArray *patches = g_ptr_array_new ();
  if (line)
    g_ptr_array_extend (patches, line->patches, NULL, NULL);
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *l = g_ptr_array_index (pack->lines, i);
      if (l != line)
        g_ptr_array_extend (patches, l->patches, NULL, NULL);
    }
  return patches;
}

typedef struct {
  BpContentReadFunc read;
  gpointer user_data;
  gboolean any;           /* some file of a patch could be read */
} Reading;

static char *
read_noting (const char *path, gsize *len, gpointer user_data)
{
  Reading *rd = user_data;
  char *text = rd->read (path, len, rd->user_data);
  rd->any |= text != NULL;
  return text;
}

static const char *
first_file (const BpPatch *patch)
{
  for (guint i = 0; patch->files && i < patch->files->len; i++)
    {
      const BpFileDiff *fd = g_ptr_array_index (patch->files, i);
      if (fd->new_path || fd->old_path)
        return fd->new_path ? fd->new_path : fd->old_path;
    }
  return NULL;
}

void
bp_status_probe_generic (const BpFixPack *pack, const BpFixLine *line, BpContentReadFunc read,
                         gpointer user_data, BpProbe *out)
{
  g_autoptr(GPtrArray) patches = candidate_patches (pack, line);
  Reading rd = { read, user_data, FALSE };
  for (guint i = 0; i < patches->len; i++)
    {
      const BpPatch *patch = g_ptr_array_index (patches, i);
      BpContentMatch m;
      bp_content_match_patch (patch, read_noting, &rd, &m);
      if (m.state == BP_CONTENT_ABSENT)
        continue;
      const char *file = first_file (patch);
      out->file = g_strdup (file);
      out->state = m.state == BP_CONTENT_APPLIED ? BP_PROBE_FIXED : BP_PROBE_BUGGY;
      out->partial = m.state == BP_CONTENT_PARTIAL;
      g_autofree char *said = bp_content_match_describe (&m, file ? "the file" : "the tree");
      out->detail = out->partial ? g_strdup_printf ("partial: %s", said) : g_steal_pointer (&said);
      return;
    }
  out->state = rd.any ? BP_PROBE_CLEAN : BP_PROBE_ABSENT;
  out->detail = g_strdup (rd.any ? "the code the fix changes is not there (none of its patches' lines)"
                                 : "none of the files the fix's patches change is there");
}

/* Bump when a probe's judgement changes (2: content by hunk sides in
 * order first). */
#define BP_STATUS_PROBE_RULES "probe-rules-2\n"

guint64
bp_status_probe_fingerprint (const BpFixPack *pack)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA1);
  /* the probes' own rules: a cached verdict from older rules is stale */
  g_checksum_update (sum, (const guchar *) BP_STATUS_PROBE_RULES, -1);
  const char *keys[] = { pack->function, pack->helper, pack->bug_pattern, pack->guard, pack->bug_summary };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_checksum_update (sum, (const guchar *) (keys[i] ? keys[i] : "\1"), -1);
      g_checksum_update (sum, (const guchar *) "\n", 1);
    }
  for (guint i = 0; i < pack->lines->len; i++)
    {
      const BpFixLine *line = g_ptr_array_index (pack->lines, i);
      g_autofree char *l = g_strdup_printf ("[%s %s]\n", line->name, line->file ? line->file : "");
      g_checksum_update (sum, (const guchar *) l, -1);
      /* the generic probe reads the patches themselves */
      for (guint j = 0; !bp_status_probe_is_specific (pack) && j < line->patches->len; j++)
        {
          const BpPatch *p = g_ptr_array_index (line->patches, j);
          g_checksum_update (sum, (const guchar *) (p->diff ? p->diff : ""), -1);
        }
    }
  guint8 digest[20];
  gsize len = sizeof digest;
  g_checksum_get_digest (sum, digest, &len);
  guint64 fp = 0;
  for (guint i = 0; i < 7; i++)
    fp = fp << 8 | digest[i];
  return fp;
}
