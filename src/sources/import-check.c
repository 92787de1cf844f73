/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The repair checks its own work with model-level code only (the sources
 * layer never calls an engine): the strict parser accepts the rendered
 * diff, and every hunk's context and removed lines are in the tree exactly
 * at the line its header states, in order, without overlap, so that
 * `git apply` and `patch` take it as it is.  See import-private.h. */
#include <string.h>

#include "sources/import-private.h"

/* NULL when every hunk of F sits exactly where its header says in LINES;
 * else what is wrong. */
static char *
misplaced_hunk (const BpFileDiff *f, const BpLines *lines)
{
  guint min_start = 0;
  for (guint h = 0; h < f->hunks->len; h++)
    {
      const BpHunk *hunk = f->hunks->pdata[h];
      /* "-N,0" inserts after line N; otherwise line N is the first old line */
      guint at = hunk->old_count == 0 ? hunk->old_start : (hunk->old_start ? hunk->old_start - 1 : 0);
      guint pos = at;
      gboolean ok = at >= min_start && at <= lines->lines->len;
      for (guint k = 0; ok && k < hunk->lines->len; k++)
        {
          const BpDiffLine *dl = hunk->lines->pdata[k];
          if (dl->kind == '+')
            continue;
          ok = pos < lines->lines->len && strcmp (lines->lines->pdata[pos], dl->text) == 0;
          pos++;
        }
      if (!ok)
        return g_strdup_printf ("%s hunk #%u is not exact", f->old_path, h + 1);
      min_start = pos;
    }
  return NULL;
}

gboolean
bp_import_check_repaired (const BpImported *imp, const char *tree, GError **error)
{
  const BpPatch *patch = imp->patch;
  g_autoptr(GError) local = NULL;
  g_autofree char *wrong = NULL;
  g_autoptr(GPtrArray) files = bp_diff_parse (patch->diff, strlen (patch->diff), patch->source, &local);
  for (guint k = 0; files && k < files->len && !local && !wrong; k++)
    {
      const BpFileDiff *f = files->pdata[k];
      if (f->old_path == NULL)
        continue;
      g_autoptr(BpLines) lines = bp_import_read_tree_file (tree, f->old_path, &local);
      if (lines)
        wrong = misplaced_hunk (f, lines);
    }
  if (files && !local && !wrong)
    return TRUE;
  g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_INTERNAL,
               "%s: the repaired patch does not check out (%s); this is a bug in backport import",
               patch->source, local ? local->message : wrong ? wrong : "no files");
  return FALSE;
}
