/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts of the trees module: Debian version order, upstream version,
 * `apt-cache showsrc` parsing, and the deb-src list from a sources dir.
 * The fetching, caching and git export are tested through the driver in
 * tests/cli/test-trees.sh. */
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "sources/trees.h"
#include "sources/apt-sources.h"
#include "sources/debian-version.h"

static void
test_version_order (void)
{
  const char *ascending[] = {
    "1:10.0.2+ds-2+deb13u1~bpo12+1",
    "1:10.0.13+ds-0+deb13u1",
    "1:10.2.0~rc1+ds-1",
    "1:10.2.0+ds-1",
    "1:10.2.2+ds-1",
    "1:10.2.10+ds-1",
    "1:11.1.3+ds-1~bpo13+1",
    "1:11.1.3+ds-1",
    "2:1.0-1",
  };
  for (guint i = 0; i < G_N_ELEMENTS (ascending); i++)
    for (guint j = 0; j < G_N_ELEMENTS (ascending); j++)
      {
        int r = bp_debian_version_compare (ascending[i], ascending[j]);
        if (i < j)
          g_assert_cmpint (r, <, 0);
        else if (i > j)
          g_assert_cmpint (r, >, 0);
        else
          g_assert_cmpint (r, ==, 0);
      }
  /* no epoch is epoch 0; "~" sorts before the end */
  g_assert_cmpint (bp_debian_version_compare ("10.2.2-1", "0:10.2.2-1"), ==, 0);
  g_assert_cmpint (bp_debian_version_compare ("1.0~", "1.0"), <, 0);
  g_assert_cmpint (bp_debian_version_compare ("1.0a", "1.0"), >, 0);
}

static void
test_upstream (void)
{
  const char *cases[][2] = {
    { "1:10.2.2+ds-1", "10.2.2" },
    { "1:10.0.13+ds-0+deb13u1", "10.0.13" },
    { "1:10.2.0~rc1+ds-1", "10.2.0" },
    { "1:11.1.3+ds-1~bpo13+1", "11.1.3" },
    { "7.2+dfsg-7", "7.2" },
    { "9.2.0", "9.2.0" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *up = bp_debian_upstream_version (cases[i][0]);
      g_assert_cmpstr (up, ==, cases[i][1]);
    }
}

static void
test_showsrc (void)
{
  const char *text =
    "Package: qemu\n"
    "Binary: qemu-system, qemu-utils\n"
    "Version: 1:10.2.2+ds-1\n"
    "Directory: pool/main/q/qemu\n"
    "\n"
    "Package: qemu-other\n"
    "Version: 1:99.0+ds-1\n"
    "\n"
    "Package: qemu\n"
    "Version: 1:11.1.3+ds-1\n"
    "\n"
    "Package: qemu\n"
    "Version: 1:10.0.13+ds-0+deb13u1\n"
    "\n"
    "Package: qemu\n"
    "Version: 1:10.2.2+ds-1\n"      /* the same version from another suite */
    "\n"
    "Package: qemu\n"
    "Version: 1:11.1.3+ds-1~bpo13+1\n";
  g_autoptr(GPtrArray) v = bp_trees_parse_showsrc (text, "qemu");
  g_assert_cmpuint (v->len, ==, 4);
  g_assert_cmpstr (v->pdata[0], ==, "1:11.1.3+ds-1");
  g_assert_cmpstr (v->pdata[1], ==, "1:11.1.3+ds-1~bpo13+1");
  g_assert_cmpstr (v->pdata[2], ==, "1:10.2.2+ds-1");
  g_assert_cmpstr (v->pdata[3], ==, "1:10.0.13+ds-0+deb13u1");

  g_autoptr(GPtrArray) none = bp_trees_parse_showsrc ("", "qemu");
  g_assert_cmpuint (none->len, ==, 0);
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
test_sources (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("bp-trees-XXXXXX", NULL);
  g_autofree char *etc = g_build_filename (tmp, "etc", NULL);
  g_autofree char *lists = g_build_filename (tmp, "lists", NULL);
  g_assert_cmpint (g_mkdir_with_parents (lists, 0755), ==, 0);
  write_file (etc, "sources.list",
              "deb http://a.example/debian bookworm main # trailing comment\n"
              "deb-src [ trusted=yes ] file:/srv/archive sid main\n"
              "deb http://a.example/debian-security bookworm-security main\n"
              "deb http://a.example/debian-debug bookworm-debug main\n"
              "deb http://a.example/ubuntu jammy main\n"
              "deb http://[fd00::1]/debian sid main\n");
  write_file (etc, "sources.list.d/x.sources",
              "Types: deb\n"
              "URIs: http://b.example/debian\n"
              "  http://c.example/debian\n"
              "Suites: bookworm-backports\n"
              "Components: main\n"
              "Signed-By:\n"
              " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
              " .\n"
              " abc\n"
              " -----END PGP PUBLIC KEY BLOCK-----\n");
  /* backports suites of the main archive say "Debian Backports" */
  write_file (lists, "d.example_debian_dists_bookworm-backports_InRelease",
              "Origin: Debian Backports\nLabel: Debian Backports\n");
  write_file (etc, "sources.list.d/y.list", "deb http://d.example/debian bookworm-backports main\n");

  const char *suites[] = { "sid", NULL };
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = bp_trees_debian_sources (etc, lists, suites, notes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "\ndeb-src http://a.example/debian sid main\n"));
  g_assert_nonnull (strstr (text, "\ndeb-src [trusted=yes] file:/srv/archive sid main\n"));
  /* an embedded key is not carried: apt's own keyrings apply */
  g_assert_nonnull (strstr (text, "\ndeb-src http://b.example/debian sid main\n"));
  g_assert_nonnull (strstr (text, "\ndeb-src http://c.example/debian sid main\n"));
  g_assert_nonnull (strstr (text, "\ndeb-src http://d.example/debian sid main\n"));
  g_assert_nonnull (strstr (text, "\ndeb-src http://[fd00::1]/debian sid main\n"));
  g_assert_null (strstr (text, "security"));
  g_assert_null (strstr (text, "debug"));
  g_assert_null (strstr (text, "ubuntu"));
  g_assert_cmpuint (notes->len, ==, 3);

  /* the default suites */
  g_autofree char *dflt = bp_trees_debian_sources (etc, lists, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (dflt, "http://a.example/debian trixie main\n"));

  /* nothing usable */
  g_autofree char *empty = g_build_filename (tmp, "nothing", NULL);
  g_autofree char *none = bp_trees_debian_sources (empty, lists, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, BP_TREES_ERROR, BP_TREES_ERROR_SOURCES);

  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trees/version-order", test_version_order);
  g_test_add_func ("/trees/upstream-version", test_upstream);
  g_test_add_func ("/trees/showsrc", test_showsrc);
  g_test_add_func ("/trees/sources", test_sources);
  return g_test_run ();
}
