/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the mail parser (bp_patch_parse: GMime for headers,
 * charsets and transfer encodings, then the message, notes and diff) and
 * the mail writer.  Invariant: a mail it accepts, written back with
 * bp_patch_to_mail, is accepted again with the same subject, author and
 * diff. */
#include "fuzz-common.h"

#include "model/patch.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  bp_gmime_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_copy (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(BpPatch) patch = bp_patch_parse (text, size, "fuzz", &error);
  FUZZ_ASSERT ((patch == NULL) == (error != NULL), "result and error disagree");
  if (patch == NULL)
    return 0;
  g_autoptr(GPtrArray) fixes = bp_patch_trailers (patch, "Fixes");
  g_autofree char *author = bp_patch_author (patch);
  g_autofree char *mail = bp_patch_to_mail (patch, NULL);
  g_autoptr(GError) again_error = NULL;
  g_autoptr(BpPatch) again = bp_patch_parse (mail, strlen (mail), "fuzz-again", &again_error);
  if (again == NULL)
    g_printerr ("%s\n", again_error->message);
  FUZZ_ASSERT (again != NULL, "a mail we wrote is not taken back");
  FUZZ_ASSERT (g_strcmp0 (again->diff, patch->diff) == 0, "the diff changed on the way back");
  FUZZ_ASSERT (again->files->len == patch->files->len, "files lost on the way back");
  return 0;
}
