/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shell completion: see complete.h. */
#include <stdio.h>
#include <string.h>

#include "cli/complete.h"
#include "model/fixpack.h"

struct BpCompletion {
  GPtrArray *words;    /* char*: the words before the current one */
  char *current;       /* the word under the cursor, up to it ("" after a space) */
};

BpCompletion *
bp_completion_new (const char *line, gssize point)
{
  gsize len = strlen (line);
  if (point < 0 || (gsize) point > len)
    return NULL;
  BpCompletion *c = g_new0 (BpCompletion, 1);
  c->words = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *upto = g_strndup (line, point);
  /* Words split at blanks, as bash does for a simple command line. */
  const char *p = upto;
  while (*p)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      const char *start = p;
      while (*p && *p != ' ' && *p != '\t')
        p++;
      if (*p == '\0')
        {
          c->current = g_strdup (start);
          break;
        }
      g_ptr_array_add (c->words, g_strndup (start, p - start));
    }
  if (c->current == NULL)
    c->current = g_strdup ("");
  return c;
}

void
bp_completion_free (BpCompletion *c)
{
  if (c == NULL)
    return;
  g_ptr_array_unref (c->words);
  g_free (c->current);
  g_free (c);
}

guint
bp_completion_n_words (const BpCompletion *c)
{
  return c->words->len;
}

const char *
bp_completion_word (const BpCompletion *c, guint i)
{
  return i < c->words->len ? c->words->pdata[i] : NULL;
}

const char *
bp_completion_current (const BpCompletion *c)
{
  return c->current;
}

void
bp_complete_word (BpCompletion *c, const char *word)
{
  if (g_str_has_prefix (word, c->current))
    printf ("%s\n", word);
}

static const GOptionEntry *
entry_named (const GOptionEntry *entries, const char *word)
{
  if (!g_str_has_prefix (word, "--"))
    return NULL;
  for (const GOptionEntry *e = entries; e->long_name; e++)
    if (strcmp (word + 2, e->long_name) == 0)
      return e;
  return NULL;
}

static gboolean
takes_value (const GOptionEntry *e)
{
  return e->arg != G_OPTION_ARG_NONE;
}

/* The option's values: pack names, paths, or nothing known. */
static void
complete_value (BpCompletion *c, const GOptionEntry *e)
{
  if (strcmp (e->long_name, "pack") == 0)
    {
      g_autoptr(GPtrArray) packs = bp_fixpack_load_all (NULL);
      for (guint i = 0; packs && i < packs->len; i++)
        bp_complete_word (c, ((BpFixPack *) packs->pdata[i])->name);
    }
  else if (e->arg == G_OPTION_ARG_FILENAME || e->arg == G_OPTION_ARG_FILENAME_ARRAY)
    printf ("%s\n", e->arg_description && strcmp (e->arg_description, "DIR") == 0 ? "__DIRS__" : "__FILES__");
}

gboolean
bp_complete_options (BpCompletion *c, const GOptionEntry *entries)
{
  const char *prev = c->words->len ? c->words->pdata[c->words->len - 1] : "";
  const GOptionEntry *e = entry_named (entries, prev);
  if (e && takes_value (e))
    {
      complete_value (c, e);
      return TRUE;
    }
  if (c->current[0] == '-')
    {
      for (const GOptionEntry *o = entries; o->long_name; o++)
        if (!(o->flags & G_OPTION_FLAG_HIDDEN))
          {
            g_autofree char *word = g_strconcat ("--", o->long_name, NULL);
            bp_complete_word (c, word);
          }
      bp_complete_word (c, "--help");
    }
  return FALSE;
}

guint
bp_complete_arg_index (const BpCompletion *c, const GOptionEntry *entries)
{
  if (c->current[0] == '-')
    return 0;
  guint n = 0;
  for (guint i = 2; i < c->words->len; i++)   /* [0] backport, [1] the command */
    {
      const char *w = c->words->pdata[i];
      const GOptionEntry *e = entry_named (entries, w);
      if (e && takes_value (e) && !strchr (w, '='))
        i++;   /* its value */
      else if (w[0] != '-')
        n++;
    }
  return n + 1;
}

void
bp_complete_lines (BpCompletion *c)
{
  const char *name = NULL;
  for (guint i = 0; i + 1 < c->words->len; i++)
    if (strcmp (c->words->pdata[i], "--pack") == 0)
      name = c->words->pdata[i + 1];
  g_autoptr(BpFixPack) pack = bp_fixpack_load_default (name, NULL);
  for (guint i = 0; pack && i < pack->lines->len; i++)
    bp_complete_word (c, ((BpFixLine *) pack->lines->pdata[i])->name);
}

void
bp_completion_run (BpCompletion *c, const BpCompleter *completers)
{
  if (c->words->len <= 1)
    {
      for (const BpCompleter *k = completers; k->name; k++)
        bp_complete_word (c, k->name);
      return;
    }
  for (const BpCompleter *k = completers; k->name; k++)
    if (strcmp (k->name, c->words->pdata[1]) == 0 && k->complete)
      k->complete (c);
}
