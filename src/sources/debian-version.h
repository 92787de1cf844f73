/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debian version numbers: dpkg's order, the upstream release inside one, and
 * the versions `apt-cache showsrc` lists.  Pure functions on text. */
#pragma once

#include <glib.h>

/* dpkg's version order: <0, 0, >0 like strcmp. */
int bp_debian_version_compare (const char *a, const char *b);

/* Upstream release of a Debian version: "1:10.2.2+ds-1" -> "10.2.2",
 * "1:10.2.0~rc1+ds-1" -> "10.2.0". */
char *bp_debian_upstream_version (const char *deb_version);

/* The versions in `apt-cache showsrc` output for source package PACKAGE,
 * newest first, each once. */
GPtrArray *bp_trees_parse_showsrc (const char *text, const char *package);
