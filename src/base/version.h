/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU's X.Y.Z version numbers, one parser for the program: a VERSION
 * file's text, a line name ("10.2"), a release tag ("v10.1.3"). */
#pragma once

#include <glib.h>

/* "10.2.2" -> {10, 2, 2}; "10.2" -> {10, 2, 0}.  Surrounding blanks are
 * ignored, anything else after the numbers is not a version.  FALSE for
 * text that is not two or three dot-separated numbers. */
gboolean bp_version_parse (const char *text, guint v[3]);

/* "v10.1.3" -> {10, 1, 3}: release tags only, not "v10.1.0-rc2". */
gboolean bp_version_parse_release_tag (const char *tag, guint v[3]);

/* <0, 0, >0 like strcmp. */
int bp_version_compare (const guint a[3], const guint b[3]);

/* The line a version serves: "10.2.2" -> "10.2".  A development version
 * X.Y.90+ (the next release's rc) serves X.(Y+1), or (X+1).0 after X.2:
 * QEMU makes three releases a year.  NULL for text that is no version. */
char *bp_version_line (const char *text);
