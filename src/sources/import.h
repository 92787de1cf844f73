/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Import patches from what users paste: one mail, an mbox (each message keeps
 * its boundaries and metadata), a plain diff, or web-archive text whose
 * leading whitespace is gone (context lines without their ' ', code without
 * its indentation, quoted replies and an archive footer after the patch).
 * Damaged hunks are repaired against a tree: context and removed lines get
 * their true text back from the file (matched ignoring whitespace, refused
 * when the match is ambiguous), added lines are re-indented in the style of
 * the code around them (QEMU: 4 spaces, continuation lines aligned under the
 * opening parenthesis), and hunk headers are recounted. */
#pragma once

/* The note an input without a Subject gets (a command may offer its option). */
#define BP_IMPORT_NOTE_NO_SUBJECT "the input has no Subject: it is named after its first file"

#include <gio/gio.h>
#include "model/patch.h"
#include "sources/indenter.h"

#define BP_IMPORT_ERROR (bp_import_error_quark ())
GQuark bp_import_error_quark (void);

typedef enum {
  BP_IMPORT_ERROR_PARSE,      /* no patch found in the input */
  BP_IMPORT_ERROR_DAMAGED,    /* damaged and no --tree to repair it against */
  BP_IMPORT_ERROR_NOT_FOUND,  /* a hunk matches nowhere in the tree */
  BP_IMPORT_ERROR_AMBIGUOUS,  /* a hunk matches two places equally well */
  BP_IMPORT_ERROR_UNSAFE,     /* path escapes the tree, or a file is unreadable */
  BP_IMPORT_ERROR_OUTPUT,     /* the output exists and is not a regular file, or cannot be written */
  BP_IMPORT_ERROR_INTERNAL,   /* a repair did not check out: a bug in backport import */
} BpImportErrorCode;

typedef struct {
  BpPatch *patch;        /* the patch; files/hunks are repaired in place */
  gboolean damaged;      /* parsed leniently: whitespace was lost */
  gboolean repaired;     /* bp_import_repair() restored it */
  guint restored_lines;  /* context/removed lines whose text came from the tree */
  guint reindented_lines;/* added lines given a new indentation */
  GPtrArray *notes;      /* char*: what was done or guessed, for the user */
} BpImported;

void bp_imported_free (BpImported *imp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpImported, bp_imported_free)

/* Every patch in TEXT (BpImported*), in order. */
GPtrArray *bp_import_parse (const char *text, gsize len, const char *source, GError **error);
/* The same, read from PATH or IN with the patch size limit (streamed: any
 * kind of file, /dev/zero too).  SOURCE names IN in messages. */
GPtrArray *bp_import_load (const char *path, GError **error);
GPtrArray *bp_import_load_stream (GInputStream *in, const char *source, GCancellable *cancellable,
                                  GError **error);

/* Repair IMP's hunks against TREE (see above).  Clean patches are checked
 * and left alone. */
gboolean bp_import_repair (BpImported *imp, const char *tree, GError **error);

/* Regenerate patch->diff from its files and hunks (recounted headers). */
void bp_import_render_diff (BpPatch *patch);

/* The re-indenter (bp_indenter_*) lives in indenter.h. */

/* Write the mails of IMPORTED (BpImported*) to OUTPUT: an existing
 * directory gets one 000N-<subject>.patch per mail, anything else is one
 * file holding them all.  An OUTPUT (or a file in the directory) that exists
 * and is not a regular file (a device, a FIFO, a symlink such as
 * /proc/self/fd/1) is refused with BP_IMPORT_ERROR_OUTPUT and left alone.
 * All or nothing: every target is checked before the first is written, and
 * files created before a failed write are removed.  *WRITTEN (may be NULL)
 * gets the paths written in a directory (empty for a single file). */
gboolean bp_import_write (GPtrArray *imported, const char *output, GPtrArray **written, GError **error);
