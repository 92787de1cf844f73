/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Import and repair pasted patches.  See import.h. */
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "base/path-safety.h"
#include "model/lines.h"
#include "base/bp-gmime.h"
#include "sources/import.h"
#include "engines/locate.h"

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

static BpImported *
imported_new (BpPatch *patch, gboolean damaged)
{
  BpImported *imp = g_new0 (BpImported, 1);
  imp->patch = patch;
  imp->damaged = damaged;
  imp->notes = g_ptr_array_new_with_free_func (g_free);
  return imp;
}

/* ---- the re-indenter ------------------------------------------------------ */

struct _BpIndenter {
  GArray *parens;        /* int: column right after each open '(' or '[' */
  GArray *braces;        /* int: indent of the statement that opened each '{' */
  gboolean in_comment;
  int comment_col;
  gboolean in_pp;        /* inside a preprocessor line continued with '\' */
  gboolean at_stmt_start;
  int stmt_indent;       /* indent of the current statement's first line */
  gboolean pending_single;  /* after `if (...)` without a brace */
  int single_base;
};

BpIndenter *
bp_indenter_new (void)
{
  BpIndenter *ind = g_new0 (BpIndenter, 1);
  ind->parens = g_array_new (FALSE, FALSE, sizeof (int));
  ind->braces = g_array_new (FALSE, FALSE, sizeof (int));
  ind->at_stmt_start = TRUE;
  return ind;
}

void
bp_indenter_free (BpIndenter *ind)
{
  if (ind == NULL)
    return;
  g_array_unref (ind->parens);
  g_array_unref (ind->braces);
  g_free (ind);
}

static int
leading_width (const char *line, const char **rest)
{
  int w = 0;
  const char *p = line;
  for (; *p == ' ' || *p == '\t'; p++)
    w = *p == '\t' ? (w / 8 + 1) * 8 : w + 1;
  if (rest)
    *rest = p;
  return w;
}

/* The first word of a statement after "}" and "else": "if", "for", ... */
static gboolean
is_control_header (const char *stripped)
{
  const char *p = stripped;
  if (*p == '}')
    p++;
  while (*p == ' ')
    p++;
  if (g_str_has_prefix (p, "else"))
    {
      p += 4;
      while (*p == ' ')
        p++;
      if (*p == '\0')
        return TRUE;
    }
  static const char *const kw[] = { "if", "for", "while", NULL };
  for (guint i = 0; kw[i]; i++)
    {
      gsize n = strlen (kw[i]);
      if (strncmp (p, kw[i], n) == 0 && (p[n] == ' ' || p[n] == '('))
        return TRUE;
    }
  return FALSE;
}

void
bp_indenter_feed (BpIndenter *ind, const char *line)
{
  const char *s;
  int indent = leading_width (line, &s);
  if (ind->in_pp)
    {
      ind->in_pp = g_str_has_suffix (line, "\\");
      return;
    }
  if (!ind->in_comment && *s == '#')
    {
      ind->in_pp = g_str_has_suffix (line, "\\");
      return;
    }
  if (*s == '\0')
    return;
  if (!ind->in_comment && ind->parens->len == 0 && ind->at_stmt_start
      && !g_str_has_prefix (s, "/*") && !g_str_has_prefix (s, "//"))
    {
      ind->stmt_indent = indent;
      ind->at_stmt_start = FALSE;
      ind->pending_single = ind->pending_single && *s == '{' ? FALSE : ind->pending_single;
    }
  char last = 0;
  int col = indent;
  for (const char *p = s; *p; p++, col++)
    {
      if (ind->in_comment)
        {
          if (p[0] == '*' && p[1] == '/')
            {
              ind->in_comment = FALSE;
              p++, col++;
            }
          continue;
        }
      if (*p == '"' || *p == '\'')
        {
          char q = *p;
          for (p++, col++; *p && *p != q; p++, col++)
            if (*p == '\\' && p[1])
              p++, col++;
          last = q;
          if (!*p)
            break;
          continue;
        }
      if (p[0] == '/' && p[1] == '/')
        break;
      if (p[0] == '/' && p[1] == '*')
        {
          ind->in_comment = TRUE;
          ind->comment_col = col;
          p++, col++;
          continue;
        }
      switch (*p)
        {
        case '(':
        case '[':
          {
            int c = col + 1;
            g_array_append_val (ind->parens, c);
            break;
          }
        case ')':
        case ']':
          if (ind->parens->len)
            g_array_set_size (ind->parens, ind->parens->len - 1);
          break;
        case '{':
          g_array_append_val (ind->braces, ind->stmt_indent);
          break;
        case '}':
          if (ind->braces->len)
            g_array_set_size (ind->braces, ind->braces->len - 1);
          break;
        default:
          break;
        }
      if (!g_ascii_isspace (*p))
        last = *p;
    }
  if (last == 0)
    return;   /* only a comment */
  if (ind->parens->len)
    {
      ind->at_stmt_start = FALSE;
      return;
    }
  if (last == ';' || last == '{' || last == '}' || last == ':' || last == ',')
    {
      ind->at_stmt_start = TRUE;
      ind->pending_single = FALSE;
    }
  else if ((last == ')' || g_str_has_suffix (s, "else")) && is_control_header (s))
    {
      ind->at_stmt_start = TRUE;
      ind->pending_single = TRUE;
      ind->single_base = ind->stmt_indent;
    }
  else
    ind->at_stmt_start = FALSE;
}

static gboolean
is_label (const char *s)
{
  if (!(g_ascii_isalpha (*s) || *s == '_'))
    return FALSE;
  const char *p = s;
  while (g_ascii_isalnum (*p) || *p == '_')
    p++;
  return p[0] == ':' && p[1] == '\0' && strcmp (s, "default:") != 0;
}

char *
bp_indenter_indent (BpIndenter *ind, const char *stripped)
{
  int w;
  int block = ind->braces->len ? g_array_index (ind->braces, int, ind->braces->len - 1) + 4 : 0;
  if (*stripped == '\0')
    return g_strdup ("");
  if (ind->in_comment)
    w = ind->comment_col + (*stripped == '*' ? 1 : 3);
  else if (ind->in_pp || *stripped == '#')
    w = 0;
  else if (ind->parens->len)
    w = g_array_index (ind->parens, int, ind->parens->len - 1);
  else if (*stripped == '}')
    w = ind->braces->len ? g_array_index (ind->braces, int, ind->braces->len - 1) : 0;
  else if (g_str_has_prefix (stripped, "case ") || g_str_has_prefix (stripped, "default:"))
    w = MAX (block - 4, 0);
  else if (is_label (stripped))
    w = 0;
  else if (*stripped == '{' && !ind->at_stmt_start)
    w = ind->stmt_indent;
  else if (!ind->at_stmt_start)
    w = ind->stmt_indent + 4;
  else if (ind->pending_single && *stripped != '{')
    w = ind->single_base + 4;
  else if (ind->pending_single)
    w = ind->single_base;
  else
    w = block;
  GString *out = g_string_new (NULL);
  for (int i = 0; i < w; i++)
    g_string_append_c (out, ' ');
  g_string_append (out, stripped);
  return g_string_free (out, FALSE);
}

/* ---- lenient parsing ------------------------------------------------------ */

static gboolean
is_header_line (const char *l)
{
  const char *p = l;
  if (!g_ascii_isalpha (*p))
    return FALSE;
  while (g_ascii_isalnum (*p) || *p == '-')
    p++;
  return p[0] == ':' && (p[1] == ' ' || p[1] == '\0');
}

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

/* Where the patch text ends: a mail signature, a quoted reply. */
static gboolean
is_terminator (char **lines, guint i)
{
  const char *l = lines[i];
  if (strcmp (l, "-- ") == 0)
    return TRUE;
  if (strcmp (l, "--") == 0 && (lines[i + 1] == NULL || is_version_line (lines[i + 1])))
    return TRUE;
  return is_wrote_line (l);
}

static gboolean
is_diffstat_line (const char *l)
{
  while (*l == ' ')
    l++;
  if (g_regex_match_simple ("^\\S+\\s+\\|\\s+(\\d+|Bin)", l, 0, 0))
    return TRUE;
  return g_regex_match_simple ("^\\d+ files? changed", l, 0, 0);
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

static gboolean
parse_range (const char *s, guint *start, guint *count, const char **end)
{
  char *e;
  *start = strtoul (s, &e, 10);
  *count = 1;
  if (*e == ',')
    *count = strtoul (e + 1, &e, 10);
  *end = e;
  return TRUE;
}

/* Parse the diff in LINES from index *I, leniently.  Sets *DAMAGED when a
 * line lost its prefix or a hunk's counts do not add up. */
static GPtrArray *
parse_diff_lenient (char **lines, guint *i, gboolean *damaged, const char *source, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_file_diff_free);
  BpFileDiff *f = NULL;
  guint n = g_strv_length (lines);
  while (*i < n)
    {
      const char *l = lines[*i];
      if (g_str_has_prefix (l, "diff --git "))
        {
          f = g_new0 (BpFileDiff, 1);
          f->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_free);
          g_ptr_array_add (files, f);
          const char *both = l + 11;
          const char *b = strstr (both, " b/");
          if (b && g_str_has_prefix (both, "a/"))
            {
              f->old_path = g_strndup (both + 2, b - both - 2);
              f->new_path = g_strdup (b + 3);
            }
          (*i)++;
          continue;
        }
      if (g_str_has_prefix (l, "--- ") && lines[*i + 1] && g_str_has_prefix (lines[*i + 1], "+++ "))
        {
          if (f == NULL || f->hunks->len > 0)
            {
              f = g_new0 (BpFileDiff, 1);
              f->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_free);
              g_ptr_array_add (files, f);
            }
          g_free (f->old_path);
          g_free (f->new_path);
          f->old_path = strip_ab (l + 4);
          f->new_path = strip_ab (lines[*i + 1] + 4);
          *i += 2;
          continue;
        }
      if (f && f->hunks->len == 0 && g_str_has_prefix (l, "index "))
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
              g_free (f->new_mode);   /* "new file mode" may have come first */
              f->new_mode = g_strdup (parts[1]);
            }
          (*i)++;
          continue;
        }
      if (f && g_str_has_prefix (l, "new file mode "))
        {
          g_clear_pointer (&f->old_path, g_free);
          g_free (f->new_mode);
          f->new_mode = g_strdup (l + 14);
          (*i)++;
          continue;
        }
      if (f && g_str_has_prefix (l, "deleted file mode "))
        {
          g_clear_pointer (&f->new_path, g_free);
          g_free (f->old_mode);
          f->old_mode = g_strdup (l + 18);
          (*i)++;
          continue;
        }
      if (f && (g_str_has_prefix (l, "old mode ") || g_str_has_prefix (l, "new mode ")
                || g_str_has_prefix (l, "similarity index ") || g_str_has_prefix (l, "rename from ")
                || g_str_has_prefix (l, "rename to ") || g_str_has_prefix (l, "dissimilarity index ")))
        {
          (*i)++;
          continue;
        }
      if (f && (g_str_has_prefix (l, "Binary files ") || g_str_has_prefix (l, "GIT binary patch")))
        {
          f->is_binary = TRUE;
          (*i)++;
          continue;
        }
      if (f && g_str_has_prefix (l, "@@ -"))
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
          g_ptr_array_add (f->hunks, h);
          (*i)++;
          gint64 old_left = h->old_count, new_left = h->new_count;
          while (*i < n && (old_left > 0 || new_left > 0))
            {
              const char *b = lines[*i];
              if (is_terminator (lines, *i) || g_str_has_prefix (b, "@@ -")
                  || g_str_has_prefix (b, "diff --git "))
                break;
              if (b[0] == '\\')
                {
                  if (h->lines->len)
                    ((BpDiffLine *) h->lines->pdata[h->lines->len - 1])->no_newline = TRUE;
                  (*i)++;
                  continue;
                }
              if (b[0] == '+')
                diff_line_add (h, '+', b + 1), new_left--;
              else if (b[0] == '-')
                diff_line_add (h, '-', b + 1), old_left--;
              else if (b[0] == ' ')
                diff_line_add (h, ' ', b + 1), old_left--, new_left--;
              else
                {
                  diff_line_add (h, ' ', b);
                  old_left--, new_left--;
                  if (b[0] != '\0')
                    *damaged = TRUE;
                }
              (*i)++;
            }
          if (*i < n && lines[*i][0] == '\\')
            {
              if (h->lines->len)
                ((BpDiffLine *) h->lines->pdata[h->lines->len - 1])->no_newline = TRUE;
              (*i)++;
            }
          /* Blank lines read past the hunk's counts are the text's, not the
           * hunk's (an archive that lost context lines makes us read on). */
          while ((old_left < 0 || new_left < 0) && h->lines->len > 0)
            {
              const BpDiffLine *tail = h->lines->pdata[h->lines->len - 1];
              if (tail->kind != ' ' || tail->text[0] != '\0')
                break;
              g_ptr_array_set_size (h->lines, h->lines->len - 1);
              old_left++, new_left++;
            }
          if (old_left != 0 || new_left != 0)
            *damaged = TRUE;
          /* A blank line for a context line whose ' ' was lost. */
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
  return g_steal_pointer (&files);
}

static void
parse_from (BpPatch *patch, const char *value)
{
  bp_gmime_init ();
  InternetAddressList *list = internet_address_list_parse (NULL, value);
  if (list && internet_address_list_length (list) > 0)
    {
      InternetAddress *addr = internet_address_list_get_address (list, 0);
      if (INTERNET_ADDRESS_IS_MAILBOX (addr))
        {
          g_free (patch->author_email);
          patch->author_email = g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (addr)));
        }
      const char *name = internet_address_get_name (addr);
      g_free (patch->author_name);
      patch->author_name = g_strdup (name && *name ? name : patch->author_email);
    }
  if (list)
    g_object_unref (list);
}

/* A mail or pasted text whose diff is damaged. */
static BpPatch *
parse_lenient (const char *text, gsize len, const char *source, gboolean *damaged, GPtrArray *notes,
               GError **error)
{
  bp_gmime_init ();
  g_autoptr(BpPatch) patch = g_new0 (BpPatch, 1);
  patch->source = g_strdup (source);
  g_autofree char *copy = g_strndup (text, len);
  /* CRLF from a browser copy. */
  g_autoptr(GString) clean = g_string_new (NULL);
  for (const char *p = copy; *p; p++)
    if (!(p[0] == '\r' && p[1] == '\n'))
      g_string_append_c (clean, *p);
  g_auto(GStrv) lines = g_strsplit (clean->str, "\n", -1);
  guint n = g_strv_length (lines);
  guint i = 0;
  if (n && g_str_has_prefix (lines[0], "From ") && !is_header_line (lines[0]))
    i++;

  /* Headers, with folded lines whose leading blank was lost too. */
  if (i < n && is_header_line (lines[i]))
    {
      g_autofree char *key = NULL;
      g_autoptr(GString) value = g_string_new (NULL);
      for (;; i++)
        {
          gboolean end = i >= n || lines[i][0] == '\0';
          gboolean next_header = !end && is_header_line (lines[i]);
          if ((end || next_header) && key)
            {
              if (g_ascii_strcasecmp (key, "Subject") == 0)
                {
                  g_autofree char *dec = g_mime_utils_header_decode_text (NULL, value->str);
                  g_free (patch->subject);   /* a repeated header: the last one counts */
                  patch->subject = bp_patch_clean_subject (dec);
                }
              else if (g_ascii_strcasecmp (key, "From") == 0)
                parse_from (patch, value->str);
              else if (g_ascii_strcasecmp (key, "Date") == 0)
                {
                  g_clear_pointer (&patch->date, g_date_time_unref);
                  patch->date = g_mime_utils_header_decode_date (value->str);
                }
              g_clear_pointer (&key, g_free);
            }
          if (end)
            break;
          if (next_header)
            {
              const char *colon = strchr (lines[i], ':');
              key = g_strndup (lines[i], colon - lines[i]);
              g_string_assign (value, colon + 1);
              g_strstrip (value->str);
              g_string_set_size (value, strlen (value->str));
            }
          else
            {
              g_autofree char *cont = g_strstrip (g_strdup (lines[i]));
              g_string_append_printf (value, " %s", cont);
            }
        }
      if (i < n)
        i++;  /* the blank line */
    }

  /* Message, notes, diff. */
  guint body = i, sep = G_MAXUINT, diff = G_MAXUINT;
  for (guint k = body; k < n; k++)
    {
      if (sep == G_MAXUINT && strcmp (lines[k], "---") == 0)
        sep = k;
      if (g_str_has_prefix (lines[k], "diff --git ")
          || (g_str_has_prefix (lines[k], "--- ") && lines[k + 1] && g_str_has_prefix (lines[k + 1], "+++ ")))
        {
          diff = k;
          break;
        }
    }
  if (diff == G_MAXUINT)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                   "%s: no diff found (no \"diff --git\" or \"---\"/\"+++\" lines)", source);
      return NULL;
    }
  /* A web archive may put the diffstat above the message: skip it. */
  while (body < diff && (is_diffstat_line (lines[body]) || lines[body][0] == '\0'))
    body++;
  guint msg_end = sep < diff ? sep : diff;
  g_autoptr(GString) msg = g_string_new (NULL);
  for (guint k = body; k < msg_end; k++)
    g_string_append_printf (msg, "%s\n", lines[k]);
  g_autoptr(GString) nts = g_string_new (NULL);
  for (guint k = sep < diff ? sep + 1 : diff; k < diff; k++)
    {
      /* Web archives lose the diffstat's leading blank: put it back. */
      if (is_diffstat_line (lines[k]) && lines[k][0] != ' ')
        g_string_append_c (nts, ' ');
      g_string_append_printf (nts, "%s\n", lines[k]);
    }
  i = diff;
  patch->files = parse_diff_lenient (lines, &i, damaged, source, error);
  if (patch->files == NULL)
    return NULL;

  /* Trailers given in replies (not quoted): Reviewed-by, Acked-by, Tested-by. */
  g_autofree char *message = g_strstrip (g_strdup (msg->str));
  if (strstr (message, "\n\n") == NULL)
    {
      /* Blank lines lost too: at least set the trailers apart. */
      g_auto(GStrv) ml = g_strsplit (message, "\n", -1);
      guint mn = g_strv_length (ml), t = mn;
      while (t > 0 && is_header_line (ml[t - 1]))
        t--;
      if (t > 0 && t < mn)
        {
          GString *m = g_string_new (NULL);
          for (guint k = 0; k < mn; k++)
            g_string_append_printf (m, "%s%s%s", k == t ? "\n" : "", ml[k], k + 1 < mn ? "\n" : "");
          g_free (message);
          message = g_string_free (m, FALSE);
        }
    }
  g_autoptr(GString) full = g_string_new (message);
  for (guint k = i; k < n; k++)
    {
      const char *l = lines[k];
      if (g_str_has_prefix (l, "Reviewed-by: ") || g_str_has_prefix (l, "Acked-by: ")
          || g_str_has_prefix (l, "Tested-by: "))
        {
          g_autofree char *needle = g_strdup_printf ("\n%s", l);
          if (strstr (full->str, needle) == NULL && !g_str_has_prefix (full->str, l))
            {
              g_string_append_printf (full, "\n%s", l);
              g_ptr_array_add (notes, g_strdup_printf ("took \"%s\" from a reply", l));
            }
        }
    }
  patch->message = g_string_free (g_steal_pointer (&full), FALSE);
  const char *nstart = nts->str;
  while (*nstart == '\n')
    nstart++;
  patch->notes = g_strchomp (g_strdup (nstart));
  return g_steal_pointer (&patch);
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
          parse_from (patch, sob->pdata[0]);
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
      BpImported *imp = imported_new (strict, FALSE);
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
  BpPatch *patch = parse_lenient (text, len, source, &damaged, notes, error);
  if (patch == NULL)
    return NULL;
  BpImported *imp = imported_new (patch, TRUE);
  for (guint k = 0; k < notes->len; k++)
    g_ptr_array_add (imp->notes, g_strdup (notes->pdata[k]));
  for (guint k = 0; k < patch->files->len; k++)
    {
      BpFileDiff *f = patch->files->pdata[k];
      const char *paths[2] = { f->old_path, f->new_path };
      for (guint j = 0; j < 2; j++)
        if (paths[j] && !bp_path_is_safe (paths[j], error))
          {
            bp_imported_free (imp);
            return NULL;
          }
    }
  fill_identity (imp);
  bp_import_render_diff (patch);
  return imp;
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
  /* An mbox: let GMime find the message boundaries ("From " lines). */
  if (len > 5 && memcmp (text, "From ", 5) == 0)
    {
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
          g_autofree char *name = starts->len > 1 ? g_strdup_printf ("%s (message %u)", source, k + 1)
                                                  : g_strdup (source);
          BpImported *imp = parse_one (text + a, b - a, name, error);
          if (imp == NULL)
            return NULL;
          g_ptr_array_add (out, imp);
        }
      if (out->len)
        return g_steal_pointer (&out);
    }
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

/* ---- repair --------------------------------------------------------------- */

static BpLines *
read_tree_file (const char *tree, const char *rel, GError **error)
{
  if (!bp_path_is_safe (rel, error))
    return NULL;
  g_autofree char *path = g_build_filename (tree, rel, NULL);
  g_autofree char *real_tree = realpath (tree, NULL);
  g_autofree char *real = realpath (path, NULL);
  gsize n = real_tree ? strlen (real_tree) : 0;
  if (real == NULL || real_tree == NULL)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_NOT_FOUND,
                   "%s is not in %s: is this the tree the patch is for?", rel, tree);
      return NULL;
    }
  if (strncmp (real, real_tree, n) != 0 || real[n] != '/')
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_UNSAFE, "%s leads out of %s", rel, tree);
      return NULL;
    }
  g_autofree char *text = NULL;
  gsize len;
  if (!g_file_get_contents (real, &text, &len, error))
    return NULL;
  return bp_lines_new_from_text (text, len);
}

/* git's default section header: the nearest line above starting with a
 * letter, '_' or '$'. */
static char *
section_for (const BpLines *lines, guint start)
{
  for (guint k = start; k-- > 0;)
    {
      const char *l = lines->lines->pdata[k];
      if (g_ascii_isalpha (l[0]) || l[0] == '_' || l[0] == '$')
        {
          g_autofree char *s = g_strdup (l);
          g_strchomp (s);
          if (strlen (s) > 80)
            s[80] = '\0';
          return g_steal_pointer (&s);
        }
    }
  return g_strdup ("");
}

/* Does OLD (squashed) match the tree from P on, where blank tree lines the
 * patch lacks may sit between its lines?  GAPS[i]: blanks skipped before
 * OLD[i]. */
static gboolean
align_at (GPtrArray *tree_sq, guint p, GPtrArray *old, guint *gaps)
{
  guint j = p;
  for (guint i = 0; i < old->len; i++)
    {
      const char *want = old->pdata[i];
      gaps[i] = 0;
      while (i > 0 && *want && j < tree_sq->len && *(const char *) tree_sq->pdata[j] == '\0')
        gaps[i]++, j++;
      if (j >= tree_sq->len || strcmp (tree_sq->pdata[j], want) != 0)
        return FALSE;
      j++;
    }
  return TRUE;
}

static gboolean
blank_text (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isspace (*s))
      return FALSE;
  return TRUE;
}

/* Put back the blank context lines the archive dropped.  Inside a run of
 * added lines between two old lines, git puts context at a change region's
 * boundary: after the added lines, unless they are a pure insertion between
 * context lines that ends with a blank line (then the blank came first). */
static guint
insert_blank_context (BpHunk *hunk, guint n_old, const guint *gaps)
{
  g_autofree guint *at_old = g_new0 (guint, n_old);
  guint k = 0;
  for (guint j = 0; j < hunk->lines->len; j++)
    if (((BpDiffLine *) hunk->lines->pdata[j])->kind != '+')
      at_old[k++] = j;
  guint added = 0;
  for (guint i = n_old; i-- > 1;)
    {
      if (gaps[i] == 0)
        continue;
      guint a = at_old[i - 1], b = at_old[i], at = b;
      const BpDiffLine *la = hunk->lines->pdata[a], *lb = hunk->lines->pdata[b];
      if (b - a > 1 && la->kind == ' ' && lb->kind == ' ')
        {
          const BpDiffLine *first = hunk->lines->pdata[a + 1], *lastp = hunk->lines->pdata[b - 1];
          if (blank_text (lastp->text) && !blank_text (first->text))
            at = a + 1;
        }
      for (guint g = 0; g < gaps[i]; g++)
        {
          BpDiffLine *dl = g_new0 (BpDiffLine, 1);
          dl->kind = ' ';
          dl->text = g_strdup ("");
          g_ptr_array_insert (hunk->lines, at, dl);
          added++;
        }
    }
  return added;
}

static gboolean
repair_file (BpImported *imp, BpFileDiff *f, const char *tree, GError **error)
{
  const char *rel = f->old_path ? f->old_path : f->new_path;
  g_autoptr(BpLines) lines = NULL;
  if (f->old_path)
    {
      lines = read_tree_file (tree, f->old_path, error);
      if (lines == NULL)
        return FALSE;
    }
  else
    lines = bp_lines_new_from_text ("", 0);
  g_autoptr(GPtrArray) squashed = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < lines->lines->len; k++)
    g_ptr_array_add (squashed, bp_lines_squash (lines->lines->pdata[k]));

  gint64 delta = 0, shift = 0;
  guint min_start = 0;
  for (guint h = 0; h < f->hunks->len; h++)
    {
      BpHunk *hunk = f->hunks->pdata[h];
      g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func (g_free);
      for (guint k = 0; k < hunk->lines->len; k++)
        {
          BpDiffLine *dl = hunk->lines->pdata[k];
          if (dl->kind != '+')
            g_ptr_array_add (old, bp_lines_squash (dl->text));
        }
      /* Web archives drop blank lines: a blank tree line the patch lacks may
       * be skipped inside the hunk (never before its first line). */
      gint64 expected = (hunk->old_start ? hunk->old_start - 1 : 0) + shift;
      gint64 found = -1, other = -1;
      guint n_lines = lines->lines->len;
      g_autofree guint *gaps = g_new0 (guint, old->len + 1);
      g_autofree guint *try_gaps = g_new0 (guint, old->len + 1);
      if (old->len == 0)
        found = CLAMP (expected + (hunk->old_start ? 1 : 0), (gint64) min_start, (gint64) n_lines);
      else
        {
          gint64 last = (gint64) n_lines - 1;
          gint64 span = MAX (expected - (gint64) min_start, last - expected);
          for (gint64 d = 0; d <= span && found < 0; d++)
            {
              gint64 cands[2] = { expected - d, expected + d };
              for (int c = 0; c < (d ? 2 : 1); c++)
                {
                  gint64 p = cands[c];
                  if (p < (gint64) min_start || p > last)
                    continue;
                  if (!align_at (squashed, p, old, try_gaps))
                    continue;
                  if (found < 0)
                    {
                      found = p;
                      memcpy (gaps, try_gaps, sizeof (guint) * (old->len + 1));
                    }
                  else
                    other = p;
                }
            }
        }
      if (found < 0)
        {
          g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_NOT_FOUND,
                       "%s: %s hunk #%u (stated line %u): its context and removed lines are not in %s/%s, "
                       "even ignoring whitespace; is this the tree the patch was made for?",
                       imp->patch->source, rel, h + 1, hunk->old_start, tree, rel);
          return FALSE;
        }
      if (other >= 0)
        {
          g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_AMBIGUOUS,
                       "%s: %s hunk #%u matches lines %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
                       " of the tree equally well; cannot tell which text to restore",
                       imp->patch->source, rel, h + 1, MIN (found, other) + 1, MAX (found, other) + 1);
          return FALSE;
        }
      guint blanks = insert_blank_context (hunk, old->len, gaps);
      if (blanks)
        g_ptr_array_add (imp->notes, g_strdup_printf ("%s hunk #%u: put back %u blank context line(s) the input had lost",
                                                      rel, h + 1, blanks));

      /* Restore the old side, re-indent the new side. */
      g_autoptr(BpIndenter) ind = bp_indenter_new ();
      for (gint64 k = 0; k < found; k++)
        bp_indenter_feed (ind, lines->lines->pdata[k]);
      guint pos = found, n_old = 0, n_new = 0;
      for (guint k = 0; k < hunk->lines->len; k++)
        {
          BpDiffLine *dl = hunk->lines->pdata[k];
          if (dl->kind != '+')
            {
              const char *truth = lines->lines->pdata[pos++];
              if (strcmp (truth, dl->text) != 0)
                {
                  g_free (dl->text);
                  dl->text = g_strdup (truth);
                  imp->restored_lines++;
                }
              if (dl->kind == ' ')
                {
                  bp_indenter_feed (ind, dl->text);
                  n_new++;
                }
              n_old++;
              if (pos == n_lines)
                dl->no_newline = !lines->final_newline;
            }
          else
            {
              const char *s = dl->text;
              while (*s == ' ' || *s == '\t')
                s++;
              char *fixed = bp_indenter_indent (ind, s);
              if (strcmp (fixed, dl->text) != 0)
                imp->reindented_lines++;
              g_free (dl->text);
              dl->text = fixed;
              bp_indenter_feed (ind, dl->text);
              n_new++;
            }
        }
      hunk->old_count = n_old;
      hunk->new_count = n_new;
      hunk->old_start = n_old ? found + 1 : found;
      hunk->new_start = (n_new ? found + 1 : found) + delta;
      if (n_old == 0 && n_new)
        hunk->new_start = found + 1 + delta;
      g_free (hunk->section);
      hunk->section = section_for (lines, found);
      delta += (gint64) n_new - n_old;
      shift = found - (gint64) (hunk->old_start ? hunk->old_start - 1 : 0);
      min_start = found + n_old;
    }
  return TRUE;
}

gboolean
bp_import_repair (BpImported *imp, const char *tree, GError **error)
{
  if (!imp->damaged)
    return TRUE;
  for (guint k = 0; k < imp->patch->files->len; k++)
    if (!repair_file (imp, imp->patch->files->pdata[k], tree, error))
      return FALSE;
  imp->repaired = TRUE;
  bp_import_render_diff (imp->patch);

  /* Check our own work: the strict parser accepts the result, and every
   * hunk sits exactly where its header says in the tree. */
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) files = bp_diff_parse (imp->patch->diff, strlen (imp->patch->diff),
                                              imp->patch->source, &local);
  for (guint k = 0; files && k < files->len; k++)
    {
      const BpFileDiff *f = files->pdata[k];
      if (f->old_path == NULL)
        continue;
      g_autoptr(BpLines) lines = read_tree_file (tree, f->old_path, &local);
      if (lines == NULL)
        break;
      g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
      g_autoptr(BpLines) out = bp_locate_apply_file (lines, f, imp->patch->source, f->old_path, 0,
                                                     reports, &local);
      if (out == NULL)
        break;
      for (guint r = 0; r < reports->len && local == NULL; r++)
        if (((BpHunkReport *) reports->pdata[r])->how != BP_HUNK_EXACT)
          g_set_error (&local, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE, "%s hunk #%u is not exact",
                       f->old_path, r + 1);
      if (local)
        break;
    }
  if (files == NULL || local)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                   "%s: the repaired patch does not check out (%s); this is a bug in backport import",
                   imp->patch->source, local ? local->message : "no files");
      return FALSE;
    }
  return TRUE;
}

static void
append_range (GString *out, guint start, guint count)
{
  if (count == 1)
    g_string_append_printf (out, "%u", start);
  else
    g_string_append_printf (out, "%u,%u", start, count);
}

void
bp_import_render_diff (BpPatch *patch)
{
  GString *out = g_string_new (NULL);
  for (guint k = 0; k < patch->files->len; k++)
    {
      const BpFileDiff *f = patch->files->pdata[k];
      const char *a = f->old_path ? f->old_path : f->new_path;
      const char *b = f->new_path ? f->new_path : f->old_path;
      g_string_append_printf (out, "diff --git a/%s b/%s\n", a, b);
      if (f->old_path == NULL)
        g_string_append_printf (out, "new file mode %s\n", f->new_mode ? f->new_mode : "100644");
      else if (f->new_path == NULL)
        g_string_append_printf (out, "deleted file mode %s\n", f->old_mode ? f->old_mode : "100644");
      if (f->old_blob && f->new_blob)
        {
          g_string_append_printf (out, "index %s..%s", f->old_blob, f->new_blob);
          if (f->old_path && f->new_path && f->old_mode && f->new_mode && strcmp (f->old_mode, f->new_mode) == 0)
            g_string_append_printf (out, " %s", f->new_mode);
          g_string_append_c (out, '\n');
        }
      if (f->hunks->len == 0)
        continue;
      if (f->old_path)
        g_string_append_printf (out, "--- a/%s\n", f->old_path);
      else
        g_string_append (out, "--- /dev/null\n");
      if (f->new_path)
        g_string_append_printf (out, "+++ b/%s\n", f->new_path);
      else
        g_string_append (out, "+++ /dev/null\n");
      for (guint h = 0; h < f->hunks->len; h++)
        {
          BpHunk *hunk = f->hunks->pdata[h];
          guint n_old = 0, n_new = 0;
          for (guint j = 0; j < hunk->lines->len; j++)
            {
              const BpDiffLine *dl = hunk->lines->pdata[j];
              n_old += dl->kind != '+';
              n_new += dl->kind != '-';
            }
          hunk->old_count = n_old;
          hunk->new_count = n_new;
          g_string_append (out, "@@ -");
          append_range (out, hunk->old_start, n_old);
          g_string_append (out, " +");
          append_range (out, hunk->new_start, n_new);
          g_string_append (out, " @@");
          if (hunk->section && *hunk->section)
            g_string_append_printf (out, " %s", hunk->section);
          g_string_append_c (out, '\n');
          for (guint j = 0; j < hunk->lines->len; j++)
            {
              const BpDiffLine *dl = hunk->lines->pdata[j];
              g_string_append_printf (out, "%c%s\n", dl->kind, dl->text);
              if (dl->no_newline)
                g_string_append (out, "\\ No newline at end of file\n");
            }
        }
    }
  g_free (patch->diff);
  patch->diff = g_string_free (out, FALSE);
}
