/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hunk locator: where does a hunk of a unified diff go in a file that has
 * drifted from the one the patch was made for?  Works on line arrays, knows
 * nothing of trees or repositories (3-way merging is apply.c's job).
 *
 * Order, as git apply and patch(1) do it, but refusing to guess:
 *   exact at the stated line (shifted by the previous hunks' offset);
 *   exact at an offset, searching outward, nearest first;
 *   the same ignoring whitespace;
 *   only when asked (max_fuzz > 0), dropping up to max_fuzz context lines at
 *   each end of the hunk.
 * Two candidate places at the same distance are ambiguous: refused. */
#pragma once

#include <glib.h>
#include "model/patch.h"
#include "model/hunk-report.h"
#include "model/lines.h"

#define BP_LOCATE_ERROR (bp_locate_error_quark ())
GQuark bp_locate_error_quark (void);

typedef enum {
  BP_LOCATE_ERROR_NOT_FOUND,   /* no place fits */
  BP_LOCATE_ERROR_AMBIGUOUS,   /* two places fit equally well */
  BP_LOCATE_ERROR_BAD_HUNK,    /* the hunk itself is unusable */
} BpLocateErrorCode;

/* Where one hunk goes. */
typedef struct {
  BpHunkMatch how;      /* EXACT, OFFSET, WHITESPACE or FUZZ */
  guint start;          /* 0-based index in the file of the first matched old line */
  int offset;           /* applied line - stated line */
  guint skip_head;      /* hunk lines dropped at the head (fuzz) */
  guint skip_tail;      /* hunk lines dropped at the tail (fuzz) */
  guint fuzz;           /* max (skip_head, skip_tail) */
  gboolean whitespace;  /* matched ignoring whitespace */
} BpLocation;

/* Locate HUNK in LINES.  EXPECTED is the 0-based index where the hunk should
 * start (old_start - 1 plus the offset of the previous hunks); MIN_START the
 * first index it may start at (the end of the previous hunk). */
gboolean bp_locate_hunk (const BpLines *lines, const BpHunk *hunk, gint64 expected,
                         guint min_start, guint max_fuzz, BpLocation *location,
                         GError **error);

/* Apply every hunk of FILE to LINES (not modified).  One BpHunkReport* per hunk
 * is appended to REPORTS (patch name PATCH_NAME, path PATH).  On failure the
 * report of the failing hunk says why, the error names it, and NULL is returned. */
BpLines *bp_locate_apply_file (const BpLines *lines, const BpFileDiff *file,
                               const char *patch_name, const char *path,
                               guint max_fuzz, GPtrArray *reports, GError **error);

/* The function a hunk's section header names ("int foo(" -> "foo"), or NULL. */
char *bp_locate_section_function (const char *section);

/* Whether LINES define the function IDENT (a line at column 0 naming it
 * before a parenthesis, not ending with a semicolon). */
gboolean bp_locate_has_function (const BpLines *lines, const char *ident);

/* FILE undone: old and new sides swapped, '+' and '-' lines exchanged.  A
 * patch's result is in a file when its reverse applies there exactly. */
BpFileDiff *bp_locate_reverse (const BpFileDiff *file);
