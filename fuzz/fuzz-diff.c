/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the unified diff parser (bp_diff_parse), which apply,
 * status and the importer's self-check run on untrusted patch text.
 * Invariants: it either fails with an error or returns files whose hunks
 * hold exactly the lines their headers count, and whose paths are safe. */
#include "fuzz-common.h"

#include "base/path-safety.h"
#include "model/patch.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static void
check_file (const BpFileDiff *f)
{
  FUZZ_ASSERT (f->old_path || f->new_path, "a file with no path");
  FUZZ_ASSERT (!f->old_path || bp_path_is_safe (f->old_path, NULL), "an unsafe old path");
  FUZZ_ASSERT (!f->new_path || bp_path_is_safe (f->new_path, NULL), "an unsafe new path");
  for (guint h = 0; h < f->hunks->len; h++)
    {
      const BpHunk *hunk = f->hunks->pdata[h];
      guint old = 0, new = 0;
      for (guint k = 0; k < hunk->lines->len; k++)
        {
          const BpDiffLine *dl = hunk->lines->pdata[k];
          FUZZ_ASSERT (dl->kind == ' ' || dl->kind == '+' || dl->kind == '-', "a line of no kind");
          old += dl->kind != '+';
          new += dl->kind != '-';
        }
      FUZZ_ASSERT (old == hunk->old_count && new == hunk->new_count, "a hunk whose lines do not match its counts");
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_copy (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = bp_diff_parse (text, size, "fuzz", &error);
  FUZZ_ASSERT ((files == NULL) == (error != NULL), "result and error disagree");
  for (guint i = 0; files && i < files->len; i++)
    check_file (files->pdata[i]);
  return 0;
}
