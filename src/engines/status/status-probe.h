/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The content probe, shared by the repository and the tree modes: which
 * files to look in, and what a file (or, for a pack without probe keys, the
 * pack's patches) says about the code.  The probe knows nothing of the bug
 * itself: the function, its buggy pattern, the guard and the helper all
 * come from the pack's fix.ini. */
#pragma once

#include <glib.h>

#include "engines/status/history.h"
#include "model/fixpack.h"
#include "model/patch-content.h"

/* Every read of a file the probe looks at is limited to this. */
#define BP_STATUS_READ_MAX (16 * 1024 * 1024)

/* TRUE when the pack names its function, bug-pattern and guard: the
 * specific probe; else the generic one (its patches' content). */
gboolean bp_status_probe_is_specific (const BpFixPack *pack);

/* The files to look in, the line's own first (char*, not owned): the
 * function moves between files across lines, and on some lines a file of
 * the same name is another file, so the first file that defines it wins. */
GPtrArray *bp_status_probe_files (const BpFixPack *pack, const BpFixLine *line);

/* The specific probe of one file's text; *PARTIAL set when part of the fix
 * is there (the helper, with its guard) but the call site is unchanged. */
BpProbeState bp_status_probe_text (const char *text, gsize len, const BpFixPack *pack, char **detail,
                                   gboolean *partial);

/* The generic probe: the line's patches first, then the other lines', each
 * matched by content with READ; the first that finds its code decides. */
void bp_status_probe_generic (const BpFixPack *pack, const BpFixLine *line, BpContentReadFunc read,
                              gpointer user_data, BpProbe *out);

/* 56 bits naming everything in PACK the probe's answers depend on (its
 * probe keys, its lines and their files, and for the generic probe the
 * patches): answers kept under another fingerprint do not apply. */
guint64 bp_status_probe_fingerprint (const BpFixPack *pack);
