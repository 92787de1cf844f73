/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A line's series in each distribution's form: quilt, quilt + DEP-3 headers
 * (Debian), one mbox for `git am`, RPM Patch: lines (Fedora, openSUSE). */
#pragma once

#include <gio/gio.h>
#include "model/fixpack.h"

#define BP_EXPORT_ERROR (bp_export_error_quark ())
GQuark bp_export_error_quark (void);

typedef enum {
  BP_EXPORT_ERROR_EXISTS,     /* a different file of that name is already there */
  BP_EXPORT_ERROR_IO,
  BP_EXPORT_ERROR_NOTHING,    /* the line carries no series (not affected) */
} BpExportErrorCode;

typedef enum {
  BP_EXPORT_QUILT,
  BP_EXPORT_DEP3,
  BP_EXPORT_MBOX,
  BP_EXPORT_RPM,
} BpExportFormat;

gboolean bp_export_format_from_string (const char *name, BpExportFormat *format);

/* The patch text as Debian carries it: DEP-3 header, then the diff. */
char *bp_dep3_patch (const BpFixLine *line, const BpPatch *patch);

/* Write LINE's series in FORMAT under OUTPUT (a directory; for quilt and
 * dep3 the files go to OUTPUT/patches/ and are appended to its series).
 * WRITTEN gets the paths written (char*).  For mbox and rpm the text a user
 * pastes (the mbox, the spec lines) is returned in *TEXT as well. */
gboolean bp_export (const BpFixLine *line, BpExportFormat format, const char *output,
                    GPtrArray **written, char **text, GError **error);
