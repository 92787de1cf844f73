/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A text file as lines, the unit the hunk locator, the importer's repair and
 * the 3-way merge work on. */
#pragma once

#include <glib.h>

/* A file as lines, without their '\n'. */
typedef struct {
  GPtrArray *lines;          /* char* */
  gboolean final_newline;    /* the last line ends with '\n' (TRUE for an empty file) */
} BpLines;

BpLines *bp_lines_new_from_text (const char *text, gsize len);
BpLines *bp_lines_copy (const BpLines *src);
char *bp_lines_to_text (const BpLines *lines, gsize *len);
void bp_lines_free (BpLines *lines);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpLines, bp_lines_free)

/* Whitespace-insensitive form of a line: all blanks removed. */
char *bp_lines_squash (const char *line);
