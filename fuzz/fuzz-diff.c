/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for every parser untrusted patch text goes through: the
 * unified diff parser, the mail parser, and import's lenient parser (mbox
 * splitting, damaged hunks, header repair).  Built by fuzz/build.sh. */
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "sources/import.h"
#include "model/patch.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* An exact-size copy without a terminating NUL: overreads are caught. */
  char *text = g_malloc (size ? size : 1);
  memcpy (text, data, size);

  GError *error = NULL;
  GPtrArray *files = bp_diff_parse (text, size, "fuzz", &error);
  g_clear_pointer (&files, g_ptr_array_unref);
  g_clear_error (&error);

  BpPatch *patch = bp_patch_parse (text, size, "fuzz", &error);
  g_clear_pointer (&patch, bp_patch_free);
  g_clear_error (&error);

  GPtrArray *imported = bp_import_parse (text, size, "fuzz", &error);
  if (imported)
    for (guint i = 0; i < imported->len; i++)
      {
        /* Re-render what was parsed: every hunk must serialise. */
        BpImported *imp = imported->pdata[i];
        bp_import_render_diff (imp->patch);
      }
  g_clear_pointer (&imported, g_ptr_array_unref);
  g_clear_error (&error);
  g_free (text);
  return 0;
}
