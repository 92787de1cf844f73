/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A patch's diff text regenerated from its files and hunks, with hunk
 * headers recounted from the lines.  See import.h. */
#include <string.h>

#include "sources/import.h"

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
