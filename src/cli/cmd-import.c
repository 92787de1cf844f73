/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport import FILE: a mail, an mbox, a diff or pasted web text -> clean
 * `git format-patch` mails, repaired against --tree when whitespace was lost. */
#include <stdio.h>
#include <string.h>

#include "cli/bp-commands.h"
#include "base/bp-error.h"
#include "sources/import.h"

#include <gio/gunixinputstream.h>

static char *opt_tree;
static char *opt_output;
static char *opt_subject;

static GOptionEntry entries[] = {
  { "tree", 't', 0, G_OPTION_ARG_FILENAME, &opt_tree, "Tree to repair lost whitespace against", "DIR" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
    "Write here (a directory gets one 000N-*.patch per patch; default: stdout)", "OUT" },
  { "subject", 0, 0, G_OPTION_ARG_STRING, &opt_subject, "Subject for an input that has none", "TEXT" },
  { NULL }
};

/* "vfio/container: Use x" -> "vfio-container-Use-x", as format-patch names files. */
static char *
file_name_for (guint n, const char *subject)
{
  GString *s = g_string_new (NULL);
  gboolean dash = FALSE;
  for (const char *p = subject; *p && s->len < 52; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '_' || *p == '.')
        {
          if (dash && s->len)
            g_string_append_c (s, '-');
          g_string_append_c (s, *p);
          dash = FALSE;
        }
      else
        dash = TRUE;
    }
  g_autofree char *slug = g_string_free (s, FALSE);
  return g_strdup_printf ("%04u-%s.patch", n, *slug ? slug : "patch");
}

BP_CMD (import)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE - turn a mail, mbox, diff or pasted web text into clean patches");
  g_option_context_set_summary (context,
    "Damaged input (leading whitespace lost, as web archives do) is repaired against --tree:\n"
    "context and removed lines get their true text from the tree, added lines are re-indented,\n"
    "hunk headers are recounted.  FILE may be - for stdin.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return bp_usage (error, "give exactly one FILE (see --help)");

  g_autoptr(GPtrArray) imported = NULL;
  if (strcmp (argv[1], "-") == 0)
    {
      g_autoptr(GInputStream) in = g_unix_input_stream_new (0, FALSE);
      g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
      if (g_output_stream_splice (mem, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, cancellable, error) < 0)
        return FALSE;
      gsize len = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem));
      imported = bp_import_parse (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (mem)), len,
                                  "<stdin>", error);
    }
  else
    imported = bp_import_load (argv[1], error);
  if (imported == NULL)
    return FALSE;

  g_autoptr(GString) all = g_string_new (NULL);
  gboolean to_dir = opt_output && g_file_test (opt_output, G_FILE_TEST_IS_DIR);
  for (guint k = 0; k < imported->len; k++)
    {
      BpImported *imp = imported->pdata[k];
      if (opt_subject && (imported->len == 1 || imp->patch->subject == NULL))
        {
          g_free (imp->patch->subject);
          imp->patch->subject = g_strdup (opt_subject);
          for (guint j = 0; j < imp->notes->len; j++)
            if (strstr (imp->notes->pdata[j], "--subject"))
              g_ptr_array_remove_index (imp->notes, j--);
        }
      if (imp->damaged && opt_tree == NULL)
        {
          g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_DAMAGED,
                       "%s: the patch lost its whitespace (lines without their ' ' prefix or wrong counts); "
                       "give --tree DIR to repair it against the tree it is for", imp->patch->source);
          return FALSE;
        }
      if (opt_tree && !bp_import_repair (imp, opt_tree, error))
        return FALSE;
      for (guint j = 0; j < imp->notes->len; j++)
        fprintf (stderr, "backport import: %s: %s\n", imp->patch->source, (char *) imp->notes->pdata[j]);
      if (imp->repaired)
        fprintf (stderr, "backport import: %s: repaired against %s: %u line(s) of context restored, "
                 "%u added line(s) re-indented, hunk headers recounted\n",
                 imp->patch->source, opt_tree, imp->restored_lines, imp->reindented_lines);
      g_autofree char *mail = bp_patch_to_mail (imp->patch, NULL);
      if (to_dir)
        {
          g_autofree char *name = file_name_for (k + 1, imp->patch->subject);
          g_autofree char *path = g_build_filename (opt_output, name, NULL);
          if (!g_file_set_contents (path, mail, -1, error))
            return FALSE;
          printf ("%s\n", path);
        }
      else
        g_string_append (all, mail);
    }
  if (to_dir)
    return TRUE;
  if (opt_output)
    return g_file_set_contents (opt_output, all->str, all->len, error);
  fwrite (all->str, 1, all->len, stdout);
  return TRUE;
}
