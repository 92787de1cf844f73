/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The content predicate: a regular expression on the blob at a path, for
 * quick triage.  Bad when it matches (good when inverted).  Cached by blob. */
#include "engines/bisect/bisect-predicate.h"

#include <string.h>

typedef struct {
  BpBisectPredicate parent;
  char *path;
  char *pattern;
  GRegex *regex;
  gboolean invert;
} ContentPredicate;

static gboolean
content_key (BpBisectPredicate *self, git_commit *commit, git_oid *key, GError **error)
{
  ContentPredicate *cp = (ContentPredicate *) self;
  g_autoptr(GError) local = NULL;
  if (!bp_bisect_blob_at (commit, cp->path, key, &local))
    {
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      /* absent: a fixed key of all 0xff, "no such file" */
      memset (key->id, 0xff, sizeof key->id);
    }
  return TRUE;
}

static gboolean
content_evaluate (BpBisectPredicate *self, git_commit *commit, const git_oid *key,
                  BpBisectVerdict *verdict, char **evidence, GCancellable *cancellable,
                  GError **error)
{
  ContentPredicate *cp = (ContentPredicate *) self;
  gboolean absent = key->id[0] == 0xff && key->id[1] == 0xff && key->id[GIT_OID_RAWSZ - 1] == 0xff;
  g_autofree char *line = NULL;
  gboolean matched = FALSE;
  if (!absent)
    {
      git_blob *blob = NULL;
      if (git_blob_lookup (&blob, self->repo, key) < 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "reading %s: %s", cp->path,
                       git_error_last () ? git_error_last ()->message : "libgit2 error");
          return FALSE;
        }
      const char *data = git_blob_rawcontent (blob);
      gsize size = (gsize) git_blob_rawsize (blob);
      g_autoptr(GMatchInfo) info = NULL;
      /* GRegex wants text; binary blobs are matched up to their first NUL */
      if (g_regex_match_full (cp->regex, data, (gssize) size, 0, 0, &info, NULL))
        {
          matched = TRUE;
          int start = 0, end = 0;
          g_match_info_fetch_pos (info, 0, &start, &end);
          int lineno = 1;
          for (int i = 0; i < start; i++)
            lineno += data[i] == '\n';
          int ls = start, le = end;
          while (ls > 0 && data[ls - 1] != '\n')
            ls--;
          while ((gsize) le < size && data[le] != '\n')
            le++;
          g_autofree char *text = g_strndup (data + ls, MIN (le - ls, 120));
          line = g_strdup_printf ("%s:%d: %s", cp->path, lineno, g_strstrip (text));
        }
      git_blob_free (blob);
    }
  *verdict = (matched != cp->invert) ? BP_VERDICT_BAD : BP_VERDICT_GOOD;
  if (matched)
    *evidence = g_strdup_printf ("/%s/ matches %s", cp->pattern, line);
  else if (absent)
    *evidence = g_strdup_printf ("no %s in this tree: /%s/ does not match", cp->path, cp->pattern);
  else
    *evidence = g_strdup_printf ("/%s/ does not match %s", cp->pattern, cp->path);
  return TRUE;
}

static void
content_finalize (BpBisectPredicate *self)
{
  ContentPredicate *cp = (ContentPredicate *) self;
  g_free (cp->path);
  g_free (cp->pattern);
  g_clear_pointer (&cp->regex, g_regex_unref);
}

BpBisectPredicate *
bp_bisect_predicate_content_new (git_repository *repo, const char *path, const char *regex,
                                 gboolean invert, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GRegex) re = g_regex_new (regex, G_REGEX_MULTILINE | G_REGEX_RAW, 0, &local);
  if (re == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "'%s' is not a valid regular expression: %s", regex, local->message);
      return NULL;
    }
  ContentPredicate *cp = (ContentPredicate *)
    bp_bisect_predicate_alloc (sizeof (ContentPredicate), "content", repo);
  cp->path = g_strdup (path);
  cp->pattern = g_strdup (regex);
  cp->regex = g_steal_pointer (&re);
  cp->invert = invert;
  cp->parent.key = content_key;
  cp->parent.evaluate = content_evaluate;
  cp->parent.finalize = content_finalize;
  return &cp->parent;
}
