/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Is a patch's change in a file, judged by content alone (no history, no
 * line numbers): each hunk's new side (its context and added lines, in
 * order) stands in the file and its old side does not; where the context
 * has drifted, every added line of the diff is in the file and its removed
 * lines are gone.  Lines are compared with all whitespace removed; blank
 * lines and lines of only braces, brackets, parentheses, ';', ',' or comment
 * stars are skipped, and a line the patch both adds and keeps (or removes
 * and keeps elsewhere) proves nothing either way, so it is not counted.
 *
 * Used by `status` as the probe of a pack that names no bug pattern, and by
 * `pick` for its "present by content" verdict. */
#pragma once

#include <glib.h>

#include "model/patch.h"

typedef enum {
  BP_CONTENT_ABSENT,    /* neither side is there: the code the change touches is not in the file */
  BP_CONTENT_BEFORE,    /* the removed lines are there and none of the added ones: not applied */
  BP_CONTENT_PARTIAL,   /* some of it: part of the added lines, or removed lines left beside added ones */
  BP_CONTENT_APPLIED,   /* every added line is there and every removed line is gone */
} BpContentState;

/* "absent", "before", "partial", "applied" */
const char *bp_content_state_to_string (BpContentState state);

typedef struct {
  BpContentState state;
  guint added;            /* distinct added lines that count */
  guint added_present;
  guint removed;          /* distinct removed lines that count */
  guint removed_present;
} BpContentMatch;

/* Match one file's diff against TEXT, the file's content (NULL when the file
 * does not exist: a diff creating it is then BEFORE, one deleting it
 * APPLIED, any other ABSENT). */
void bp_content_match_file (const BpFileDiff *file, const char *text, gsize len, BpContentMatch *out);

/* The content of PATH in the tree being judged, or NULL when it has none
 * (missing, unreadable); *LEN set.  The caller frees the result. */
typedef char *(*BpContentReadFunc) (const char *path, gsize *len, gpointer user_data);

/* Match every file of PATCH, reading each with READ; counts are summed.
 * The state is APPLIED or BEFORE only when every file agrees, ABSENT when
 * no file shows either side, PARTIAL otherwise (a file ABSENT beside files
 * BEFORE leaves the patch BEFORE: it is not applied). */
void bp_content_match_patch (const BpPatch *patch, BpContentReadFunc read, gpointer user_data,
                             BpContentMatch *out);

/* One phrase for a match, e.g. "all 12 added lines are in hw/x.c and its 2
 * removed lines are gone" (WHERE names the file or tree). */
char *bp_content_match_describe (const BpContentMatch *match, const char *where);
