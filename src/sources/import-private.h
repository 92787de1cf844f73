/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the parts of the importer (src/sources/import*.c): not for its
 * users, who see import.h. */
#pragma once

#include "model/lines.h"
#include "sources/import.h"

/* A new BpImported owning PATCH, with no notes. */
BpImported *bp_imported_new (BpPatch *patch, gboolean damaged);

/* import-mbox.c: the messages of an mbox, as [start, end) byte offsets into
 * TEXT (gint64 pairs), found by GMime's mbox parser.  Empty when TEXT is not
 * an mbox or GMime finds no message. */
GArray *bp_import_mbox_split (const char *text, gsize len);

/* import-mail.c: a mail or pasted web text whose diff may be damaged:
 * headers (folded lines whose blank was lost too), message, notes, the
 * diff (leniently), trailers from replies.  *DAMAGED is set when the diff
 * lost whitespace or its counts do not add up; NOTES get what was guessed. */
BpPatch *bp_import_parse_lenient (const char *text, gsize len, const char *source,
                                  gboolean *damaged, GPtrArray *notes, GError **error);
/* Set PATCH's author from a "Name <email>" VALUE (a From: header or a
 * Signed-off-by: trailer). */
void bp_import_set_author (BpPatch *patch, const char *value);

/* import-diff.c: the diff in LINES from index *I, leniently: lines that
 * lost their ' ' prefix are context, and a hunk's counts are checked against
 * its body.  Sets *DAMAGED when a line lost its prefix or a hunk's counts do
 * not add up; NOTES (may be NULL) say what was recounted. */
GPtrArray *bp_import_parse_diff_lenient (char **lines, guint *i, gboolean *damaged,
                                         GPtrArray *notes, const char *source, GError **error);
/* Where the patch text ends in pasted text: a mail signature ("-- ", or
 * "--" before a version), a quoted reply's "On ... wrote:". */
gboolean bp_import_is_terminator (char **lines, guint i);

/* import-tree.c: REL of TREE as lines, refusing paths that leave the tree
 * (also through symlinks), anything but a regular file, and files over
 * the patch size limit. */
BpLines *bp_import_read_tree_file (const char *tree, const char *rel, GError **error);

/* import-check.c: the repaired patch of IMP, checked with model-level code
 * only: the strict parser accepts it, and every hunk's old lines sit in
 * TREE exactly where its header says. */
gboolean bp_import_check_repaired (const BpImported *imp, const char *tree, GError **error);
