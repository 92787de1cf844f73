/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system's apt sources, read (never written) to build the private
 * deb-src list the trees module fetches Debian's sources with: which
 * entries are the Debian archive, and why the others are left out. */
#pragma once

#include <glib.h>

/* The private deb-src list (one-line format) built from the system's apt
 * configuration in APT_ETC (sources.list, sources.list.d/ *.list and *.sources),
 * with LISTS_DIR the system's downloaded lists (for Release files; may be
 * missing).  Every Debian archive URI gets one entry per suite in SUITES
 * (NULL: sid, trixie, trixie-backports, experimental).
 * NOTES (may be NULL) receives one line per system entry left out, and why.
 * Fails with BP_TREES_ERROR_SOURCES when no Debian archive URI is found. */
char *bp_trees_debian_sources (const char *apt_etc, const char *lists_dir,
                               const char *const *suites, GPtrArray *notes,
                               GError **error);
