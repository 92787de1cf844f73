/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The re-indenter.  See indenter.h. */
#include <string.h>

#include "sources/indenter.h"


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
