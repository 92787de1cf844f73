/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "model/c-source.h"

#include <string.h>

/* Skip a comment, string or character literal starting at I; returns the
 * index after it, or I when there is none there.  -1 when it never ends. */
static gssize
skip_lexeme (const char *s, gsize len, gsize i)
{
  if (i + 1 < len && s[i] == '/' && s[i + 1] == '*')
    {
      for (gsize j = i + 2; j + 1 < len; j++)
        if (s[j] == '*' && s[j + 1] == '/')
          return (gssize) (j + 2);
      return -1;
    }
  if (i + 1 < len && s[i] == '/' && s[i + 1] == '/')
    {
      gsize j = i + 2;
      while (j < len && s[j] != '\n')
        j++;
      return (gssize) j;
    }
  if (s[i] == '"' || s[i] == '\'')
    {
      char q = s[i];
      for (gsize j = i + 1; j < len; j++)
        {
          if (s[j] == '\\')
            j++;
          else if (s[j] == q)
            return (gssize) (j + 1);
          else if (s[j] == '\n')
            break;
        }
      /* unterminated on its line (an apostrophe in #if 0 text): not a literal */
      return (gssize) (i + 1);
    }
  return (gssize) i;
}

static gboolean
is_ident (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* Find the definition of NAME at file scope: its text from the start of its
 * declaration to the closing brace (START, END), and its parameter list
 * (PSTART, PEND, inside the parentheses).  FALSE when it is not defined;
 * sets UNPARSEABLE when the file could not be scanned to the end or the
 * definition's body does not close. */
static gboolean
find_definition (const char *s, gsize len, const char *name, gsize *start, gsize *end,
                 gsize *pstart, gsize *pend, gsize *bstart, gboolean *unparseable)
{
  gsize nlen = strlen (name);
  int depth = 0;
  *unparseable = FALSE;
  for (gsize i = 0; i < len;)
    {
      gssize k = skip_lexeme (s, len, i);
      if (k < 0)
        {
          *unparseable = TRUE;
          return FALSE;
        }
      if ((gsize) k != i)
        {
          i = (gsize) k;
          continue;
        }
      char c = s[i];
      if (c == '{')
        depth++;
      else if (c == '}')
        depth = MAX (depth - 1, 0);
      else if (depth == 0 && c == name[0] && i + nlen <= len && memcmp (s + i, name, nlen) == 0
               && (i == 0 || !is_ident (s[i - 1])) && (i + nlen == len || !is_ident (s[i + nlen])))
        {
          gsize j = i + nlen;
          while (j < len && g_ascii_isspace (s[j]))
            j++;
          if (j < len && s[j] == '(')
            {
              /* the parameter list, then '{' for a definition or ';' for a prototype */
              gsize p0 = j + 1;
              int paren = 1;
              j++;
              while (j < len && paren > 0)
                {
                  gssize kk = skip_lexeme (s, len, j);
                  if (kk < 0)
                    break;
                  if ((gsize) kk != j)
                    {
                      j = (gsize) kk;
                      continue;
                    }
                  paren += s[j] == '(' ? 1 : s[j] == ')' ? -1 : 0;
                  j++;
                }
              if (paren != 0)
                {
                  *unparseable = TRUE;
                  return FALSE;
                }
              gsize p1 = j - 1;
              while (j < len)
                {
                  gssize kk = skip_lexeme (s, len, j);
                  if (kk < 0 || (gsize) kk == j)
                    {
                      if (kk < 0 || !g_ascii_isspace (s[j]))
                        break;
                      j++;
                    }
                  else
                    j = (gsize) kk;
                }
              if (j < len && s[j] == '{')
                {
                  /* the body */
                  int d = 0;
                  gsize b = j;
                  for (; b < len;)
                    {
                      gssize kk = skip_lexeme (s, len, b);
                      if (kk < 0)
                        break;
                      if ((gsize) kk != b)
                        {
                          b = (gsize) kk;
                          continue;
                        }
                      if (s[b] == '{')
                        d++;
                      else if (s[b] == '}' && --d == 0)
                        break;
                      b++;
                    }
                  if (b >= len || d != 0)
                    {
                      *unparseable = TRUE;
                      return FALSE;
                    }
                  /* the declaration starts at its line, or the line before
                   * when the return type stands alone ("static bool\nname(") */
                  gsize ls = i;
                  while (ls > 0 && s[ls - 1] != '\n')
                    ls--;
                  gboolean blank = TRUE;
                  for (gsize q = ls; q < i; q++)
                    blank &= g_ascii_isspace (s[q]);
                  if (blank && ls > 0)
                    {
                      ls--;
                      while (ls > 0 && s[ls - 1] != '\n')
                        ls--;
                    }
                  *start = ls;
                  *end = b + 1;
                  *pstart = p0;
                  *pend = p1;
                  *bstart = j;
                  return TRUE;
                }
              i = j;
              continue;
            }
        }
      i++;
    }
  return FALSE;
}

int
bp_c_find_definition (const char *text, gsize len, const char *name, BpCDefinition *def)
{
  gboolean unparseable = FALSE;
  BpCDefinition d = { 0 };
  if (find_definition (text, len, name, &d.start, &d.end, &d.params_start, &d.params_end,
                       &d.body_start, &unparseable))
    {
      if (def)
        *def = d;
      return 1;
    }
  return unparseable ? -1 : 0;
}
