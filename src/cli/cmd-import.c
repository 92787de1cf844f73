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

/* --subject for IMP, and the note that asked for it dropped. */
static void
set_subject (BpImported *imp, const char *subject)
{
  g_free (imp->patch->subject);
  imp->patch->subject = g_strdup (subject);
  for (guint j = 0; j < imp->notes->len; j++)
    if (strcmp (imp->notes->pdata[j], BP_IMPORT_NOTE_NO_SUBJECT) == 0)
      g_ptr_array_remove_index (imp->notes, j--);
}

/* Subject, repair and notes for one imported patch. */
static gboolean
finish_one (BpImported *imp, gboolean only_one, GError **error)
{
  if (opt_subject && (only_one || imp->patch->subject == NULL))
    set_subject (imp, opt_subject);
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
    fprintf (stderr, "backport import: %s: %s%s\n", imp->patch->source, (char *) imp->notes->pdata[j],
             strcmp (imp->notes->pdata[j], BP_IMPORT_NOTE_NO_SUBJECT) == 0 ? " (set one with --subject)" : "");
  if (imp->repaired)
    fprintf (stderr, "backport import: %s: repaired against %s: %u line(s) of context restored, "
             "%u added line(s) re-indented, hunk headers recounted\n",
             imp->patch->source, opt_tree, imp->restored_lines, imp->reindented_lines);
  return TRUE;
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
      imported = bp_import_load_stream (in, "<stdin>", cancellable, error);
    }
  else
    imported = bp_import_load (argv[1], error);
  if (imported == NULL)
    return FALSE;
  for (guint k = 0; k < imported->len; k++)
    if (!finish_one (imported->pdata[k], imported->len == 1, error))
      return FALSE;

  if (opt_output)
    {
      g_autoptr(GPtrArray) written = NULL;
      if (!bp_import_write (imported, opt_output, &written, error))
        return FALSE;
      for (guint k = 0; k < written->len; k++)
        printf ("%s\n", (char *) written->pdata[k]);
      return TRUE;
    }
  for (guint k = 0; k < imported->len; k++)
    {
      g_autofree char *mail = bp_patch_to_mail (((BpImported *) imported->pdata[k])->patch, NULL);
      fputs (mail, stdout);
    }
  return TRUE;
}

BP_COMPLETE (import)
{
  if (!bp_complete_options (c, entries) && bp_complete_arg_index (c, entries) >= 1)
    printf ("__FILES__\n");
}
