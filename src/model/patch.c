/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parse `git format-patch` mails and unified diffs.
 *
 * The mail part (headers, charset, transfer encoding) is GMime's job; the
 * diff part is ours, because libgit2's git_diff_from_buffer only takes
 * "diff --git" input and gives no line numbers for errors. */
#include "model/patch.h"

#include <gio/gio.h>
#include "base/bp-gmime.h"
#include "base/path-safety.h"
#include "base/read-limited.h"
#include <string.h>

G_DEFINE_QUARK (bp-patch-error-quark, bp_patch_error)

void
bp_gmime_init (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      g_mime_init ();
      g_once_init_leave (&once, 1);
    }
}

static void
diff_line_free (BpDiffLine *line)
{
  g_free (line->text);
  g_free (line);
}

void
bp_hunk_free (BpHunk *hunk)
{
  if (hunk == NULL)
    return;
  g_free (hunk->section);
  g_clear_pointer (&hunk->lines, g_ptr_array_unref);   /* NULL when the header was bad */
  g_free (hunk);
}

void
bp_file_diff_free (BpFileDiff *file)
{
  if (file == NULL)
    return;
  g_free (file->old_path);
  g_free (file->new_path);
  g_free (file->old_blob);
  g_free (file->new_blob);
  g_free (file->old_mode);
  g_free (file->new_mode);
  g_ptr_array_unref (file->hunks);
  g_free (file);
}

void
bp_patch_free (BpPatch *patch)
{
  if (patch == NULL)
    return;
  g_free (patch->source);
  g_free (patch->subject);
  g_free (patch->author_name);
  g_free (patch->author_email);
  g_clear_pointer (&patch->date, g_date_time_unref);
  g_free (patch->message);
  g_free (patch->notes);
  g_free (patch->diff);
  g_clear_pointer (&patch->files, g_ptr_array_unref);
  g_free (patch);
}

/* ---- the diff ------------------------------------------------------------ */

/* A cursor over the lines of a buffer, counting line numbers for errors. */
typedef struct {
  const char *p, *end;
  const char *line;     /* current line start */
  gsize len;            /* current line length without '\n' */
  guint lineno;         /* 1-based number of the current line */
} Lines;

static gboolean
lines_next (Lines *l)
{
  if (l->p >= l->end)
    return FALSE;
  l->line = l->p;
  const char *nl = memchr (l->p, '\n', l->end - l->p);
  l->len = (nl ? nl : l->end) - l->p;
  l->p = nl ? nl + 1 : l->end;
  l->lineno++;
  return TRUE;
}

static gboolean
starts (const Lines *l, const char *prefix)
{
  gsize n = strlen (prefix);
  return l->len >= n && memcmp (l->line, prefix, n) == 0;
}

static char *
rest (const Lines *l, const char *prefix)
{
  gsize n = strlen (prefix);
  const char *s = l->line + n;
  gsize len = l->len - n;
  while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  return g_strndup (s, len);
}

static gboolean
fail (GError **error, int code, const char *source, guint lineno, const char *fmt, ...) G_GNUC_PRINTF (5, 6);

static gboolean
fail (GError **error, int code, const char *source, guint lineno, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, BP_PATCH_ERROR, code, "%s:%u: %s", source, lineno, msg);
  return FALSE;
}

/* "a/hw/x.c" -> "hw/x.c"; "/dev/null" -> NULL.  Git quotes unusual names
 * C-style; unquote those.  Strips a trailing tab + timestamp (diff -u). */
static char *
header_path (const char *raw, gboolean *is_null)
{
  g_autofree char *s = NULL;
  if (raw[0] == '"')
    {
      const char *close = strrchr (raw + 1, '"');
      g_autofree char *inner = g_strndup (raw + 1, close ? (gsize) (close - raw - 1) : strlen (raw + 1));
      s = g_strcompress (inner);
    }
  else
    {
      const char *tab = strchr (raw, '\t');
      s = tab ? g_strndup (raw, tab - raw) : g_strdup (raw);
    }
  *is_null = strcmp (s, "/dev/null") == 0;
  if (*is_null)
    return NULL;
  const char *slash = strchr (s, '/');
  return g_strdup (slash ? slash + 1 : s);   /* -p1, as git apply and quilt do */
}

/* A hunk header number at S: digits only (strtoul also takes blanks and a
 * sign), at most a billion (no patch is larger; more would wrap a guint and
 * name some other line).  *END after it; FALSE when there is none. */
static gboolean
hunk_number (char *s, char **end, guint *out)
{
  guint64 v = 0;
  char *p = s;
  for (; g_ascii_isdigit (*p); p++)
    {
      v = v * 10 + (guint64) (*p - '0');
      if (v > 1000000000)
        return FALSE;
    }
  *end = p;
  *out = (guint) v;
  return p > s;
}

/* Parse "@@ -a,b +c,d @@ section". */
static gboolean
parse_hunk_header (const Lines *l, BpHunk *h)
{
  g_autofree char *line = g_strndup (l->line, l->len);
  char *p = line + 3;
  char *end;
  if (*p != '-')
    return FALSE;
  if (!hunk_number (p + 1, &end, &h->old_start))
    return FALSE;
  h->old_count = 1;
  if (*end == ',' && !hunk_number (end + 1, &end, &h->old_count))
    return FALSE;
  if (end[0] != ' ' || end[1] != '+' || !hunk_number (end + 2, &end, &h->new_start))
    return FALSE;
  h->new_count = 1;
  if (*end == ',' && !hunk_number (end + 1, &end, &h->new_count))
    return FALSE;
  if (strncmp (end, " @@", 3) != 0)
    return FALSE;
  end += 3;
  if (*end == ' ')
    end++;
  g_strchomp (end);
  h->section = g_strdup (end);
  return TRUE;
}

static gboolean
parse_hunk_body (Lines *l, BpHunk *h, const char *source, GError **error)
{
  guint old_left = h->old_count, new_left = h->new_count;
  guint header_line = l->lineno;
  h->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) diff_line_free);
  while (old_left > 0 || new_left > 0)
    {
      if (!lines_next (l))
        return fail (error, BP_PATCH_ERROR_CORRUPT, source, header_line,
                     "hunk ends early: %u old and %u new lines missing", old_left, new_left);
      char kind = l->len ? l->line[0] : ' ';   /* an empty line is empty context */
      if (kind == '\\')
        {
          if (h->lines->len > 0)
            ((BpDiffLine *) g_ptr_array_index (h->lines, h->lines->len - 1))->no_newline = TRUE;
          continue;
        }
      if ((kind == ' ' && (old_left == 0 || new_left == 0)) ||
          (kind == '-' && old_left == 0) || (kind == '+' && new_left == 0) ||
          (kind != ' ' && kind != '-' && kind != '+'))
        return fail (error, BP_PATCH_ERROR_CORRUPT, source, l->lineno,
                     "corrupt hunk: line does not fit \"@@ -%u,%u +%u,%u @@\" (lost leading whitespace?)",
                     h->old_start, h->old_count, h->new_start, h->new_count);
      BpDiffLine *dl = g_new0 (BpDiffLine, 1);
      dl->kind = kind;
      gsize len = l->len ? l->len - 1 : 0;
      const char *text = l->len ? l->line + 1 : "";
      if (len > 0 && text[len - 1] == '\r')
        len--;
      dl->text = g_strndup (text, len);
      g_ptr_array_add (h->lines, dl);
      if (kind != '+')
        old_left--;
      if (kind != '-')
        new_left--;
    }
  /* A trailing "\ No newline at end of file" belongs to the last line. */
  Lines peek = *l;
  if (lines_next (&peek) && peek.len && peek.line[0] == '\\')
    {
      *l = peek;
      if (h->lines->len > 0)
        ((BpDiffLine *) g_ptr_array_index (h->lines, h->lines->len - 1))->no_newline = TRUE;
    }
  return TRUE;
}

/* After a hunk whose counts are used up, do more lines of it follow?  The
 * run of ' ', '+', '-' and empty lines after L, up to a file header, a
 * signature ("-- ") or anything else, holds a '+' or '-' line: then the
 * header counts fewer lines than the hunk has, and taking it as it says
 * would drop the rest silently (git apply does).  *LINENO gets that line. */
static gboolean
hunk_goes_on (const Lines *l, guint *lineno)
{
  Lines peek = *l;
  while (lines_next (&peek))
    {
      if (peek.len == 0 || peek.line[0] == ' ')
        continue;
      if (starts (&peek, "---") || starts (&peek, "+++") || (peek.len == 3 && starts (&peek, "-- ")))
        return FALSE;
      if (peek.line[0] == '+' || peek.line[0] == '-')
        {
          *lineno = peek.lineno;
          return TRUE;
        }
      return FALSE;
    }
  return FALSE;
}

static void
replace (char **slot, char *value)
{
  g_free (*slot);
  *slot = value;
}

static gboolean
check_file (BpFileDiff *f, const char *source, guint lineno, GError **error)
{
  const char *paths[] = { f->old_path, f->new_path };
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) unsafe = NULL;
      if (paths[i] && !bp_path_is_safe (paths[i], &unsafe))
        return fail (error, BP_PATCH_ERROR_UNSAFE_PATH, source, lineno, "%s", unsafe->message);
    }
  if (f->is_binary)
    return fail (error, BP_PATCH_ERROR_BINARY, source, lineno,
                 "binary patch for '%s' refused: only text patches are supported",
                 f->new_path ? f->new_path : f->old_path);
  if (f->old_path == NULL && f->new_path == NULL)
    return fail (error, BP_PATCH_ERROR_PARSE, source, lineno, "file header names no path");
  return TRUE;
}

/* One of git's extended header lines (index, modes, renames, binary) at L,
 * taken into CUR.  FALSE when L is none of them (prose: skipped). */
static gboolean
take_git_header (const Lines *l, BpFileDiff *cur)
{
  if (starts (l, "index "))
    {
      g_autofree char *v = rest (l, "index ");
      char *dots = strstr (v, "..");
      if (dots)
        {
          char *sp = strchr (dots, ' ');
          replace (&cur->old_blob, g_strndup (v, dots - v));
          replace (&cur->new_blob, sp ? g_strndup (dots + 2, sp - dots - 2) : g_strdup (dots + 2));
          if (sp)
            {
              replace (&cur->old_mode, g_strdup (sp + 1));
              replace (&cur->new_mode, g_strdup (sp + 1));
            }
        }
    }
  else if (starts (l, "new file mode "))
    {
      replace (&cur->new_mode, rest (l, "new file mode "));
      g_clear_pointer (&cur->old_path, g_free);
    }
  else if (starts (l, "deleted file mode "))
    {
      replace (&cur->old_mode, rest (l, "deleted file mode "));
      g_clear_pointer (&cur->new_path, g_free);
    }
  else if (starts (l, "old mode "))
    replace (&cur->old_mode, rest (l, "old mode "));
  else if (starts (l, "new mode "))
    replace (&cur->new_mode, rest (l, "new mode "));
  else if (starts (l, "rename from "))
    replace (&cur->old_path, rest (l, "rename from "));
  else if (starts (l, "rename to "))
    replace (&cur->new_path, rest (l, "rename to "));
  else if (starts (l, "GIT binary patch") || starts (l, "Binary files "))
    cur->is_binary = TRUE;
  else if (!starts (l, "similarity index ") && !starts (l, "dissimilarity index ") &&
           !starts (l, "copy from ") && !starts (l, "copy to "))
    return FALSE;
  return TRUE;
}

/* Parse the diff in L, whose first line number is L->lineno + 1.  Returns the
 * files; *DIFF_END points after the last line that belongs to the diff. */
static GPtrArray *
parse_diff_lines (Lines *l, const char *source, const char **diff_end, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_file_diff_free);
  BpFileDiff *cur = NULL;       /* owned by FILES once added */
  guint cur_line = 0;
  gboolean saw_headers = FALSE; /* "---"/"+++" seen for CUR */
  *diff_end = l->p;

  while (lines_next (l))
    {
      /* format-patch's signature ends the patch: what follows is not ours
       * (another mail, a reply), even when it holds more diffs */
      if (l->len == 3 && memcmp (l->line, "-- ", 3) == 0)
        break;
      if (starts (l, "diff --git "))
        {
          if (cur && !check_file (cur, source, cur_line, error))
            return NULL;
          cur = g_new0 (BpFileDiff, 1);
          cur->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_free);
          g_ptr_array_add (files, cur);
          cur_line = l->lineno;
          saw_headers = FALSE;
          /* "diff --git a/X b/Y": take the paths here too, for mode-only diffs */
          g_autofree char *both = rest (l, "diff --git ");
          const char *b = strstr (both, " b/");
          if (b && g_str_has_prefix (both, "a/"))
            {
              cur->old_path = g_strndup (both + 2, b - both - 2);
              cur->new_path = g_strdup (b + 3);
            }
          *diff_end = l->p;
          continue;
        }
      if (starts (l, "--- ") && !saw_headers)
        {
          Lines peek = *l;
          if (!lines_next (&peek) || !starts (&peek, "+++ "))
            continue;     /* a "--- " line in prose, not a file header */
          if (cur == NULL || cur->hunks->len > 0)
            {
              if (cur && !check_file (cur, source, cur_line, error))
                return NULL;
              cur = g_new0 (BpFileDiff, 1);
              cur->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_free);
              g_ptr_array_add (files, cur);
              cur_line = l->lineno;
            }
          gboolean old_null, new_null;
          g_autofree char *o = rest (l, "--- ");
          g_autofree char *n = rest (&peek, "+++ ");
          g_free (cur->old_path);
          g_free (cur->new_path);
          cur->old_path = header_path (o, &old_null);
          cur->new_path = header_path (n, &new_null);
          *l = peek;
          saw_headers = TRUE;
          *diff_end = l->p;
          continue;
        }
      if (cur == NULL)
        continue;   /* prose before the first file */
      if (starts (l, "@@ -"))
        {
          BpHunk *h = g_new0 (BpHunk, 1);
          g_ptr_array_add (cur->hunks, h);
          if (!parse_hunk_header (l, h))
            {
              fail (error, BP_PATCH_ERROR_CORRUPT, source, l->lineno, "malformed hunk header");
              return NULL;
            }
          if (!parse_hunk_body (l, h, source, error))
            return NULL;
          guint more;
          if (hunk_goes_on (l, &more))
            {
              fail (error, BP_PATCH_ERROR_CORRUPT, source, more,
                    "the hunk \"@@ -%u,%u +%u,%u @@\" has ended by its counts, but its lines go on: "
                    "the header counts too few",
                    h->old_start, h->old_count, h->new_start, h->new_count);
              return NULL;
            }
          *diff_end = l->p;
          continue;
        }
      if (cur->hunks->len == 0 && !saw_headers)
        {
          /* git's extended header lines */
          if (take_git_header (l, cur))
            *diff_end = l->p;
          continue;
        }
      /* Anything else ends the current file's hunks (signature, prose). */
    }

  if (cur && !check_file (cur, source, cur_line, error))
    return NULL;
  if (files->len == 0)
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: no diff found (expected \"diff --git\" or \"---\"/\"+++\" file headers)", source);
      return NULL;
    }
  return g_steal_pointer (&files);
}

GPtrArray *
bp_diff_parse (const char *diff, gsize len, const char *source, GError **error)
{
  Lines l = { diff, diff + len, NULL, 0, 0 };
  const char *end;
  return parse_diff_lines (&l, source, &end, error);
}

/* ---- the mail ------------------------------------------------------------ */

/* "[PATCH v2 3/7] subject" -> "subject" (any number of leading [...] tags). */
char *
bp_patch_clean_subject (const char *subject)
{
  const char *s = subject;
  while (*s == ' ')
    s++;
  while (*s == '[')
    {
      const char *close = strchr (s, ']');
      if (close == NULL)
        break;
      s = close + 1;
      while (*s == ' ')
        s++;
    }
  g_autofree char *unfolded = g_strdup (s);
  /* header folding leaves "\n " in long subjects */
  g_autoptr(GString) out = g_string_new (NULL);
  for (char *p = unfolded; *p; p++)
    {
      if (*p == '\r' || *p == '\n')
        continue;
      if (*p == ' ' && out->len && out->str[out->len - 1] == ' ')
        continue;
      g_string_append_c (out, *p);
    }
  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
}

gboolean
bp_patch_is_from_line (const char *line, gsize len)
{
  /* "From <sender> <weekday> <month> <day> <hh:mm:ss> <year>": as git
   * mailsplit, a time and a year at the end, not just "From " */
  if (len < 5 || memcmp (line, "From ", 5) != 0)
    return FALSE;
  g_autofree char *l = g_strndup (line + 5, len - 5);
  g_strchomp (l);
  const char *colon = strchr (l, ':');
  if (colon == NULL || colon - l < 2 || !g_ascii_isdigit (colon[-1]) || !g_ascii_isdigit (colon[-2])
      || !g_ascii_isdigit (colon[1]) || !g_ascii_isdigit (colon[2]) || strchr (l, ' ') == NULL)
    return FALSE;
  /* the last word is the year (or a time zone after it) */
  const char *last = strrchr (l, ' ');
  const char *year = last + 1;
  if (!g_ascii_isdigit (*year))
    {
      g_autofree char *head = g_strndup (l, last - l);
      const char *prev = strrchr (head, ' ');
      if (prev == NULL)
        return FALSE;
      return strlen (prev + 1) == 4 && g_ascii_isdigit (prev[1]);
    }
  return strlen (year) == 4;
}

static gboolean
looks_like_plain_diff (const char *text, gsize len)
{
  Lines l = { text, text + len, NULL, 0, 0 };
  while (lines_next (&l))
    {
      if (l.len == 0)
        continue;
      return starts (&l, "diff ") || starts (&l, "--- ") || starts (&l, "Index: ");
    }
  return FALSE;
}

/* [START, END) without its leading blank lines and trailing blanks: the
 * notes' first line keeps its indent (a diffstat's " file | 3 +", a line
 * that must not become an "Index: " header when the mail is written back). */
static char *
trim_lines (const char *start, const char *end)
{
  const char *p = start;
  for (const char *q = start; q < end; q++)
    if (*q == '\n')
      p = q + 1;
    else if (!g_ascii_isspace (*q))
      break;
  char *s = g_strndup (p, end > p ? end - p : 0);
  return g_strchomp (s);
}

/* Where a diff starts in L: its first "diff --git ", "Index: " or
 * "---"/"+++" line.  One rule for a mail body and a plain diff, so that a
 * patch written back as a mail splits the same way.  NULL when there is
 * none; *LINENO gets the number of the line before it.  *SEP (may be NULL)
 * gets the first "---" line before it, or NULL. */
static const char *
diff_start_in (Lines l, guint *lineno, const char **sep)
{
  if (sep)
    *sep = NULL;
  while (lines_next (&l))
    {
      if (sep && *sep == NULL && l.len == 3 && memcmp (l.line, "---", 3) == 0)
        *sep = l.line;
      Lines peek = l;
      if (starts (&l, "diff --git ") || starts (&l, "Index: ") ||
          (starts (&l, "--- ") && lines_next (&peek) && starts (&peek, "+++ ")))
        {
          *lineno = l.lineno - 1;
          return l.line;
        }
    }
  return NULL;
}

/* The diff text [START, END), ending with a newline as every diff line does. */
static char *
diff_text (const char *start, const char *end)
{
  if (end > start && end[-1] != '\n')
    {
      char *s = g_malloc (end - start + 2);
      memcpy (s, start, end - start);
      s[end - start] = '\n';
      s[end - start + 1] = '\0';
      return s;
    }
  return g_strndup (start, end - start);
}

/* Split a mail body into message, notes and diff. */
static gboolean
split_body (BpPatch *patch, const char *body, guint body_line, GError **error)
{
  gsize len = strlen (body);
  Lines l = { body, body + len, NULL, 0, body_line };
  const char *sep;              /* the "---" line */
  guint diff_lineno = 0;
  const char *diff_start = diff_start_in (l, &diff_lineno, &sep);
  if (diff_start == NULL)
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: no diff found in the mail body", patch->source);
      return FALSE;
    }
  const char *msg_end = sep && sep < diff_start ? sep : diff_start;
  patch->message = trim_lines (body, msg_end);   /* as git mailinfo: blank lines, not indent */
  if (sep && sep < diff_start)
    {
      const char *notes = sep + 4 <= diff_start ? sep + 4 : diff_start;
      patch->notes = trim_lines (notes, diff_start);
    }
  else
    patch->notes = g_strdup ("");

  Lines d = { diff_start, body + len, NULL, 0, diff_lineno };
  const char *diff_end;
  patch->files = parse_diff_lines (&d, patch->source, &diff_end, error);
  if (patch->files == NULL)
    return FALSE;
  patch->diff = diff_text (diff_start, diff_end);
  return TRUE;
}

static guint
count_lines (const char *start, const char *end)
{
  guint n = 0;
  for (const char *p = start; p < end; p++)
    n += *p == '\n';
  return n;
}

static gboolean
charset_is_utf8 (const char *charset)
{
  return charset == NULL || g_ascii_strcasecmp (charset, "utf-8") == 0 || g_ascii_strcasecmp (charset, "utf8") == 0
         || g_ascii_strcasecmp (charset, "us-ascii") == 0;
}

/* The body of PART as text: transfer encoding undone, then, as git am does,
 * converted to UTF-8 from the charset the mail states, and left exactly as
 * sent when that is UTF-8 (or ASCII): code is bytes, and bytes that are not
 * valid UTF-8 stay what they were.  A body that is not in its stated
 * charset, or that holds NUL bytes, is refused. */
static char *
mail_body_text (GMimeTextPart *part, const char *source, GError **error)
{
  GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (part));
  g_autoptr(GMimeStream) mem = g_mime_stream_mem_new ();
  if (content == NULL || g_mime_data_wrapper_write_to_stream (content, mem) < 0)
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: the mail body cannot be decoded (bad transfer encoding)", source);
      return NULL;
    }
  GByteArray *bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
  const char *data = (const char *) bytes->data;
  gsize len = bytes->len;
  if (len && memchr (data, '\0', len))
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: the mail body holds NUL bytes: not a text patch", source);
      return NULL;
    }
  const char *charset = g_mime_text_part_get_charset (part);
  if (charset_is_utf8 (charset))
    return g_strndup (len ? data : "", len);
  g_autoptr(GError) local = NULL;
  gsize written = 0;
  g_autofree char *utf8 = g_convert (len ? data : "", len, "UTF-8", charset, NULL, &written, &local);
  if (utf8 == NULL || memchr (utf8, '\0', written))
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: the mail says charset=%s but its body is not in it (%s); fix the Content-Type header",
                   source, charset, local ? local->message : "a NUL byte");
      return NULL;
    }
  return g_steal_pointer (&utf8);
}

BpPatch *
bp_patch_parse (const char *text, gsize len, const char *source, GError **error)
{
  g_autoptr(BpPatch) patch = g_new0 (BpPatch, 1);
  patch->source = g_strdup (source);

  if (len > BP_PATCH_MAX_SIZE)
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_TOO_LARGE,
                   "%s: %" G_GSIZE_FORMAT " bytes is over the %d MiB limit for a patch",
                   source, len, BP_PATCH_MAX_SIZE / (1024 * 1024));
      return NULL;
    }
  if (memchr (text, '\0', len))
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: contains NUL bytes: not a text patch", source);
      return NULL;
    }

  if (looks_like_plain_diff (text, len))
    {
      Lines all = { text, text + len, NULL, 0, 0 };
      guint lineno = 0;
      const char *start = diff_start_in (all, &lineno, NULL);
      if (start == NULL)
        start = text;   /* let the diff parser say what is missing */
      Lines l = { start, text + len, NULL, 0, lineno };
      const char *end;
      patch->files = parse_diff_lines (&l, source, &end, error);
      if (patch->files == NULL)
        return NULL;
      patch->diff = diff_text (start, end);
      patch->message = g_strdup ("");
      /* what came before the first file header (an "Index:" preamble, prose) */
      patch->notes = trim_lines (text, start);
      return g_steal_pointer (&patch);
    }

  bp_gmime_init ();
  /* format-patch output starts with an mbox "From <id> <date>" line: skip
   * it and read one message.  GMime's mbox mode would also end the message
   * at any later line starting "From " ("From the kernel log:"). */
  const char *nl = memchr (text, '\n', len);
  gsize skip = 0;
  if (nl && bp_patch_is_from_line (text, nl - text))
    skip = nl + 1 - text;
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (text + skip, len - skip);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message (parser, NULL);
  if (msg == NULL || g_mime_message_get_subject (msg) == NULL)
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: neither a mail with a Subject nor a diff; for pasted web text use `backport import`",
                   source);
      return NULL;
    }

  patch->subject = bp_patch_clean_subject (g_mime_message_get_subject (msg));
  InternetAddressList *from = g_mime_message_get_from (msg);
  if (from && internet_address_list_length (from) > 0)
    {
      InternetAddress *addr = internet_address_list_get_address (from, 0);
      if (INTERNET_ADDRESS_IS_MAILBOX (addr))
        patch->author_email = g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (addr)));
      const char *name = internet_address_get_name (addr);
      patch->author_name = g_strdup (name && *name ? name : patch->author_email);
    }
  GDateTime *date = g_mime_message_get_date (msg);
  if (date)
    patch->date = g_date_time_ref (date);

  GMimeObject *part = g_mime_message_get_mime_part (msg);
  if (part == NULL || !GMIME_IS_TEXT_PART (part))
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_PARSE,
                   "%s: mail body is not a single text part (attachments are not supported)", source);
      return NULL;
    }
  g_autofree char *body = mail_body_text (GMIME_TEXT_PART (part), source, error);
  if (body == NULL)
    return NULL;
  /* Line numbers in errors refer to the input: find where the body starts. */
  const char *blank = g_strstr_len (text, len, "\n\n");
  guint body_line = blank ? count_lines (text, blank) + 2 : 0;
  if (!split_body (patch, body, body_line, error))
    return NULL;
  return g_steal_pointer (&patch);
}

BpPatch *
bp_patch_load (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  gsize len;
  /* streamed with the limit: a stat size says nothing for a device or a pipe */
  g_autofree char *text = bp_read_file_limited (path, BP_PATCH_MAX_SIZE, FALSE, &len, NULL, &local);
  if (text == NULL && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_TOO_LARGE, "%s: over the %d MiB limit for a patch",
                   path, BP_PATCH_MAX_SIZE / (1024 * 1024));
      return NULL;
    }
  if (text == NULL)
    {
      g_set_error (error, BP_PATCH_ERROR, BP_PATCH_ERROR_IO, "%s: cannot read: %s", path, local->message);
      return NULL;
    }
  return bp_patch_parse (text, len, path, error);
}

/* ---- trailers and output ------------------------------------------------- */

GPtrArray *
bp_patch_trailers (const BpPatch *patch, const char *key)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  if (patch->message == NULL)
    return values;
  /* Trailers are "Key: value" lines of the message's last paragraph. */
  const char *last = patch->message;
  for (const char *p = patch->message; (p = strstr (p, "\n\n")); p += 2)
    last = p + 2;
  g_auto(GStrv) lines = g_strsplit (last, "\n", -1);
  gsize klen = strlen (key);
  for (char **l = lines; *l; l++)
    if (g_ascii_strncasecmp (*l, key, klen) == 0 && (*l)[klen] == ':')
      g_ptr_array_add (values, g_strdup (g_strstrip ((*l) + klen + 1)));
  return values;
}

char *
bp_patch_author (const BpPatch *patch)
{
  if (patch->author_email == NULL)
    return g_strdup (patch->author_name ? patch->author_name : "");
  return g_strdup_printf ("%s <%s>", patch->author_name ? patch->author_name : patch->author_email,
                          patch->author_email);
}

char *
bp_patch_to_mail (const BpPatch *patch, const char *from_id)
{
  bp_gmime_init ();
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "From %s Mon Sep 17 00:00:00 2001\n",
                          from_id ? from_id : "0000000000000000000000000000000000000000");
  if (patch->author_email)
    {
      g_autoptr(InternetAddress) addr = internet_address_mailbox_new (patch->author_name, patch->author_email);
      g_autofree char *enc = internet_address_to_string (addr, NULL, TRUE);
      g_string_append_printf (out, "From: %s\n", enc);
    }
  if (patch->date)
    {
      g_autofree char *d = g_mime_utils_header_format_date (patch->date);
      g_string_append_printf (out, "Date: %s\n", d);
    }
  g_autofree char *subject = g_strdup_printf ("[PATCH] %s", patch->subject ? patch->subject : "");
  g_autofree char *enc_subject = g_mime_utils_header_encode_text (NULL, subject, "UTF-8");
  g_string_append_printf (out, "Subject: %s\n", enc_subject);
  g_string_append (out, "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
                        "Content-Transfer-Encoding: 8bit\n\n");
  if (patch->message && *patch->message)
    g_string_append_printf (out, "%s\n", patch->message);
  g_string_append (out, "---\n");
  if (patch->notes && *patch->notes)
    g_string_append_printf (out, "%s\n\n", patch->notes);
  g_string_append (out, patch->diff);
  if (out->len && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
  g_string_append (out, "-- \nbackport\n\n");
  return g_string_free (out, FALSE);
}
