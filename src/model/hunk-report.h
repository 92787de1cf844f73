/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How each hunk of a patch was placed in a tree: the record apply, pick,
 * check and verify report, and the locator fills in. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef enum {
  BP_HUNK_EXACT,           /* at the stated line */
  BP_HUNK_OFFSET,          /* exact text, moved by `offset` lines */
  BP_HUNK_WHITESPACE,      /* matched ignoring whitespace */
  BP_HUNK_FUZZ,            /* matched after dropping `fuzz` context lines */
  BP_HUNK_THREE_WAY,       /* merged through the preimage blob */
  BP_HUNK_ALREADY,         /* its result is already there (the series was applied) */
  BP_HUNK_CONTEXT,         /* context fix: placed by its changed lines and the
                              context that still matches, the rest of the context
                              differs in the tree (qemu-stable's "context fix") */
  BP_HUNK_FUNCTION,        /* found inside the function its section names, where
                              the file alone was ambiguous or lacked it */
  BP_HUNK_FAILED,
} BpHunkMatch;

const char *bp_hunk_match_to_string (BpHunkMatch how);  /* "exact", "offset", ... */

typedef struct {
  char *patch;             /* patch file name */
  char *file;              /* path in the tree the hunk went to */
  guint hunk;              /* 1-based index in its file diff */
  guint stated_line;       /* old_start from the patch */
  guint applied_line;      /* where it went (1-based), 0 if failed */
  BpHunkMatch how;
  int offset;              /* applied_line - stated_line */
  guint fuzz;              /* context lines dropped */
  char *detail;            /* why it failed / what 3-way did, or NULL */
} BpHunkReport;

void bp_hunk_report_free (BpHunkReport *report);

/* Every report says BP_HUNK_ALREADY: the series was in the tree already
 * (and nothing was changed). */
gboolean bp_hunk_reports_already_applied (GPtrArray *reports);

/* The one text form of a report, one line without '\n', as apply prints it
 * and verify keeps it:
 *   "PATCH: FILE hunk #N: exact at line 74"
 *   "PATCH: FILE hunk #N: offset at line 79 (stated 74, offset +5)"  (also
 *   whitespace, fuzz: ", fuzz 2" inside the parentheses)
 *   "PATCH: FILE hunk #N: 3-way merged (stated line 74)"
 *   "PATCH: FILE hunk #N: already applied at line 74"
 *   "PATCH: FILE hunk #N: FAILED (stated line 74)"
 * then ": DETAIL" when there is one. */
char *bp_hunk_report_to_text (const BpHunkReport *report);

/* The one JSON form: an object with patch, file, hunk, stated_line,
 * applied_line, how (bp_hunk_match_to_string), offset, fuzz and detail
 * (string or null), added to B where a value may go. */
void bp_hunk_report_to_json (JsonBuilder *b, const BpHunkReport *report);
