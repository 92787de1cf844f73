/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The real Debian qemu trees a unit test reads, as tests/fixtures/
 * with-debian-trees.sh provides them: never a path of one machine. */
#pragma once

#include <glib.h>

/* VERSION's tree path joined with REL ("10.2.2", "hw/vfio/container.c"), or
 * NULL after g_test_skip() with the reason the tree could not be had. */
static inline char *
debian_tree_file (const char *version, const char *rel)
{
  g_autofree char *var = g_strdup_printf ("BP_TEST_QEMU_%s", version);
  g_strdelimit (var, ".", '_');
  const char *dir = g_getenv (var);
  if (dir == NULL)
    {
      const char *why = g_getenv ("BP_TEST_QEMU_WHY");
      g_test_skip_printf ("no Debian qemu %s tree: %s", version,
                          why ? why : "run through tests/fixtures/with-debian-trees.sh");
      return NULL;
    }
  return g_build_filename (dir, rel, NULL);
}
