/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The real pack loads, and VERSION strings map to the right lines. */
#include "model/fixpack.h"

static void
test_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BpFixPack) pack = bp_fixpack_load_default (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pack->culprit_id, ==, "fb32965b6dd8a001815593642a5146fbd2e85651");
  g_assert_null (pack->upstream_id);      /* not known: never invented */
  g_assert_cmpuint (pack->lines->len, ==, 5);
  const char *order[] = { "11.0", "10.2", "10.1", "10.0", "9.2" };
  for (guint i = 0; i < 5; i++)
    g_assert_cmpstr (((BpFixLine *) g_ptr_array_index (pack->lines, i))->name, ==, order[i]);
  BpFixLine *l = bp_fixpack_get_line (pack, "10.1", &error);
  g_assert_cmpstr (l->file, ==, "hw/vfio/container-base.c");
  g_assert_cmpuint (l->patches->len, ==, 1);
  g_assert_cmpint (bp_fixpack_get_line (pack, "10.0", NULL)->verdict, ==, BP_VERDICT_NOT_AFFECTED);
}

static void
test_line_for_version (void)
{
  g_autoptr(BpFixPack) pack = bp_fixpack_load_default (NULL, NULL);
  struct { const char *version, *line; } cases[] = {
    { "10.2.2", "10.2" }, { "10.0.13", "10.0" }, { "11.0.1", "11.0" }, { "9.2.3", "9.2" },
    { "10.0.90", "10.1" },   /* v10.1.0-rc0 */
    { "10.2.90", "11.0" },   /* the 11.0 rcs: the major number moved on */
    { "9.0.94", NULL },      /* v9.1.0-rc4: the pack has no 9.1 line */
    { "8.2.0", NULL }, { "garbage", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      BpFixLine *l = bp_fixpack_line_for_version (pack, cases[i].version);
      g_assert_cmpstr (l ? l->name : NULL, ==, cases[i].line);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fixpack/load", test_load);
  g_test_add_func ("/fixpack/line-for-version", test_line_for_version);
  return g_test_run ();
}
