/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lenient diff parser of the importer: pasted text whose lines lost
 * their ' ' prefix, hunks whose counts do not add up.  See import-private.h. */
#include <stdlib.h>
#include <string.h>

#include "sources/import-private.h"

static gboolean
is_version_line (const char *l)
{
  if (!g_ascii_isdigit (*l))
    return FALSE;
  for (const char *p = l; *p; p++)
    if (!g_ascii_isdigit (*p) && *p != '.' && *p != '-' && !g_ascii_isalpha (*p))
      return FALSE;
  return strchr (l, '.') != NULL;
}

static gboolean
is_wrote_line (const char *l)
{
  return g_str_has_prefix (l, "On ") && g_str_has_suffix (l, "wrote:");
}

gboolean
bp_import_is_terminator (char **lines, guint i)
{
  const char *l = lines[i];
  if (strcmp (l, "-- ") == 0)
    return TRUE;
  if (strcmp (l, "--") == 0 && (lines[i + 1] == NULL || is_version_line (lines[i + 1])))
    return TRUE;
  return is_wrote_line (l);
}

static char *
strip_ab (const char *p)
{
  if (strcmp (p, "/dev/null") == 0)
    return NULL;
  g_autofree char *s = g_strdup (p);
  char *tab = strchr (s, '\t');
  if (tab)
    *tab = '\0';
  g_strchomp (s);
  const char *slash = strchr (s, '/');
  return g_strdup (slash ? slash + 1 : s);
}

static void
diff_line_free (BpDiffLine *line)
{
  g_free (line->text);
  g_free (line);
}

static void
diff_line_add (BpHunk *h, char kind, const char *text)
{
  BpDiffLine *l = g_new0 (BpDiffLine, 1);
  l->kind = kind;
  l->text = g_strdup (text);
  g_ptr_array_add (h->lines, l);
}

static void
parse_range (const char *s, guint *start, guint *count, const char **end)
{
  char *e;
  *start = strtoul (s, &e, 10);
  *count = 1;
  if (*e == ',')
    *count = strtoul (e + 1, &e, 10);
  *end = e;
}

static BpFileDiff *
file_new (GPtrArray *files)
{
  BpFileDiff *f = g_new0 (BpFileDiff, 1);
  f->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_free);
  g_ptr_array_add (files, f);
  return f;
}

static void
replace (char **slot, const char *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

/* "index A..B MODE" before the first hunk. */
static void
take_index (BpFileDiff *f, const char *l)
{
  g_auto(GStrv) parts = g_strsplit (l + 6, " ", 2);
  g_auto(GStrv) ids = g_strsplit (parts[0] ? parts[0] : "", "..", 2);
  if (ids[0] && ids[1] && f->old_blob == NULL)
    {
      f->old_blob = g_strdup (ids[0]);
      f->new_blob = g_strdup (ids[1]);
    }
  if (parts[0] && parts[1] && f->old_mode == NULL)
    {
      f->old_mode = g_strdup (parts[1]);
      replace (&f->new_mode, parts[1]);   /* "new file mode" may have come first */
    }
}

/* A file header line at LINES[*I] ("diff --git", "---"/"+++", git's
 * extended headers): taken into *F (a new file in FILES when it starts
 * one), *I moved past it.  FALSE when the line is none of these. */
static gboolean
take_file_header (char **lines, guint *i, GPtrArray *files, BpFileDiff **f)
{
  const char *l = lines[*i];
  if (g_str_has_prefix (l, "diff --git "))
    {
      *f = file_new (files);
      const char *both = l + 11;
      const char *b = strstr (both, " b/");
      if (b && g_str_has_prefix (both, "a/"))
        {
          (*f)->old_path = g_strndup (both + 2, b - both - 2);
          (*f)->new_path = g_strdup (b + 3);
        }
      (*i)++;
      return TRUE;
    }
  if (g_str_has_prefix (l, "--- ") && lines[*i + 1] && g_str_has_prefix (lines[*i + 1], "+++ "))
    {
      if (*f == NULL || (*f)->hunks->len > 0)
        *f = file_new (files);
      g_free ((*f)->old_path);
      g_free ((*f)->new_path);
      (*f)->old_path = strip_ab (l + 4);
      (*f)->new_path = strip_ab (lines[*i + 1] + 4);
      *i += 2;
      return TRUE;
    }
  BpFileDiff *cur = *f;
  if (cur == NULL)
    return FALSE;
  if (cur->hunks->len == 0 && g_str_has_prefix (l, "index "))
    take_index (cur, l);
  else if (g_str_has_prefix (l, "new file mode "))
    {
      g_clear_pointer (&cur->old_path, g_free);
      replace (&cur->new_mode, l + 14);
    }
  else if (g_str_has_prefix (l, "deleted file mode "))
    {
      g_clear_pointer (&cur->new_path, g_free);
      replace (&cur->old_mode, l + 18);
    }
  else if (g_str_has_prefix (l, "Binary files ") || g_str_has_prefix (l, "GIT binary patch"))
    cur->is_binary = TRUE;
  else if (!(g_str_has_prefix (l, "old mode ") || g_str_has_prefix (l, "new mode ")
             || g_str_has_prefix (l, "similarity index ") || g_str_has_prefix (l, "rename from ")
             || g_str_has_prefix (l, "rename to ") || g_str_has_prefix (l, "dissimilarity index ")))
    return FALSE;
  (*i)++;
  return TRUE;
}

static void
mark_no_newline (BpHunk *h)
{
  if (h->lines->len)
    ((BpDiffLine *) h->lines->pdata[h->lines->len - 1])->no_newline = TRUE;
}

/* A line that ends a hunk's body whatever its counts say. */
static gboolean
ends_body (char **lines, guint j)
{
  const char *b = lines[j];
  return bp_import_is_terminator (lines, j) || g_str_has_prefix (b, "@@ -") || g_str_has_prefix (b, "diff --git ")
         || (g_str_has_prefix (b, "--- ") && lines[j + 1] && g_str_has_prefix (lines[j + 1], "+++ "))
         || strcmp (b, ">") == 0 || g_str_has_prefix (b, "> ");
}

/* The counts of a hunk are used up at LINES[FROM]: does its body go on?
 * Returns the index past the last line that is still the hunk's: up to the
 * last '+' or '-' line before the body ends (lines between them are context
 * whose ' ' may be lost), then its trailing context: the ' ' lines right
 * after it, or, when the ' ' was lost, as many non-blank lines as the hunk
 * has leading context (LEAD; git wants both ends alike).  FROM when the
 * body ends here. */
static guint
body_goes_on_to (char **lines, guint n, guint from, guint lead)
{
  guint end = from;
  for (guint j = from; j < n && !ends_body (lines, j); j++)
    if ((lines[j][0] == '+' || lines[j][0] == '-') && !g_str_has_prefix (lines[j], "---")
        && !g_str_has_prefix (lines[j], "+++"))
      end = j + 1;
  if (end == from)
    return from;
  if (end < n && lines[end][0] == ' ')
    {
      while (end < n && lines[end][0] == ' ' && !ends_body (lines, end))
        end++;
      return end;
    }
  for (guint k = 0; k < lead && end < n && lines[end][0] && lines[end][0] != '+' && lines[end][0] != '-'
                    && lines[end][0] != '\\' && !ends_body (lines, end); k++)
    end++;
  return end;
}

/* Context lines before the first change of H. */
static guint
leading_context (const BpHunk *h)
{
  guint k = 0;
  while (k < h->lines->len && ((const BpDiffLine *) h->lines->pdata[k])->kind == ' ')
    k++;
  return k;
}

/* One body line B of hunk H; the counts left go down by what it is. */
static void
take_body_line (BpHunk *h, const char *b, gint64 *old_left, gint64 *new_left, gboolean *damaged)
{
  if (b[0] == '\\')
    mark_no_newline (h);
  else if (b[0] == '+')
    diff_line_add (h, '+', b + 1), (*new_left)--;
  else if (b[0] == '-')
    diff_line_add (h, '-', b + 1), (*old_left)--;
  else if (b[0] == ' ')
    diff_line_add (h, ' ', b + 1), (*old_left)--, (*new_left)--;
  else
    {
      /* a context line whose ' ' was lost (or a blank one) */
      diff_line_add (h, ' ', b);
      (*old_left)--, (*new_left)--;
      if (b[0] != '\0')
        *damaged = TRUE;
    }
}

static BpHunk *
hunk_from_header (const char *l)
{
  BpHunk *h = g_new0 (BpHunk, 1);
  h->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) diff_line_free);
  const char *e;
  parse_range (l + 4, &h->old_start, &h->old_count, &e);
  if (g_str_has_prefix (e, " +"))
    parse_range (e + 2, &h->new_start, &h->new_count, &e);
  const char *sec = strstr (e, "@@");
  g_autofree char *tmp = g_strdup (sec ? sec + 2 : "");
  h->section = g_strdup (g_strstrip (tmp));
  return h;
}

/* The hunk whose header is LINES[*I], read into a new hunk of F.  Its
 * counts say how far to read, but the body has the last word: when lines
 * of the hunk go on past the counts, they are taken too and the hunk is
 * marked damaged (recounted by the repair), with a note; nothing is
 * dropped. */
static void
take_hunk (char **lines, guint n, guint *i, BpFileDiff *f, gboolean *damaged, GPtrArray *notes)
{
  BpHunk *h = hunk_from_header (lines[*i]);
  g_ptr_array_add (f->hunks, h);
  (*i)++;
  gint64 old_left = h->old_count, new_left = h->new_count;
  while (*i < n && (old_left > 0 || new_left > 0))
    {
      const char *b = lines[*i];
      if (bp_import_is_terminator (lines, *i) || g_str_has_prefix (b, "@@ -")
          || g_str_has_prefix (b, "diff --git "))
        break;
      take_body_line (h, b, &old_left, &new_left, damaged);
      (*i)++;
    }
  guint end = body_goes_on_to (lines, n, *i, leading_context (h));
  gboolean went_on = end > *i;
  if (went_on)
    {
      guint from = *i;
      for (; *i < end; (*i)++)
        take_body_line (h, lines[*i], &old_left, &new_left, damaged);
      if (notes)
        g_ptr_array_add (notes, g_strdup_printf (
          "%s: the hunk \"@@ -%u,%u +%u,%u @@\" goes on past its counts (%u more line(s)): "
          "taken from its body and recounted", f->new_path ? f->new_path : f->old_path,
          h->old_start, h->old_count, h->new_start, h->new_count, end - from));
    }
  if (*i < n && lines[*i][0] == '\\')
    {
      mark_no_newline (h);
      (*i)++;
    }
  /* Blank lines read past the hunk's counts are the text's, not the
   * hunk's (an archive that lost context lines makes us read on). */
  while (!went_on && (old_left < 0 || new_left < 0) && h->lines->len > 0)
    {
      const BpDiffLine *tail = h->lines->pdata[h->lines->len - 1];
      if (tail->kind != ' ' || tail->text[0] != '\0')
        break;
      g_ptr_array_set_size (h->lines, h->lines->len - 1);
      old_left++, new_left++;
    }
  if (old_left != 0 || new_left != 0)
    *damaged = TRUE;
}

GPtrArray *
bp_import_parse_diff_lenient (char **lines, guint *i, gboolean *damaged, GPtrArray *notes,
                              const char *source, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_file_diff_free);
  BpFileDiff *f = NULL;
  guint n = g_strv_length (lines);
  while (*i < n)
    {
      if (take_file_header (lines, i, files, &f))
        continue;
      if (f && g_str_has_prefix (lines[*i], "@@ -"))
        {
          take_hunk (lines, n, i, f, damaged, notes);
          continue;
        }
      break;  /* end of the diff */
    }
  if (files->len == 0)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                   "%s: no diff found (no \"diff --git\" or \"---\"/\"+++\" lines)", source);
      return NULL;
    }
  for (guint k = 0; k < files->len; k++)
    {
      const BpFileDiff *file = files->pdata[k];
      if (file->old_path == NULL && file->new_path == NULL)
        {
          g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                       "%s: file %u of the diff names no path (a \"diff --git\" line without a/ and b/?)",
                       source, k + 1);
          return NULL;
        }
    }
  return g_steal_pointer (&files);
}
