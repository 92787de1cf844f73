/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A staged, all-or-nothing set of file writes and deletes on one tree: what
 * apply (files, quilt bookkeeping) and later pick and export write.
 *
 * Usage: begin on the tree's root; stage writes and deletes; guard the files
 * the caller itself changes after the renames (a git index, a ref); commit
 * (every staged file goes into place); do the guarded steps; finish.  Any
 * failure before finish: abort, and the tree, the created directories and
 * the guarded files are exactly as they were. */
#pragma once

#include <gio/gio.h>

#define BP_TRANSACTION_ERROR (bp_transaction_error_quark ())
GQuark bp_transaction_error_quark (void);

typedef enum {
  BP_TRANSACTION_ERROR_IO,        /* a write, rename or fsync failed */
  BP_TRANSACTION_ERROR_NO_SPACE,  /* the file system is full */
  BP_TRANSACTION_ERROR_UNSAFE,    /* a staged path cannot be written safely */
  BP_TRANSACTION_ERROR_BUSY,      /* another transaction holds the tree */
  BP_TRANSACTION_ERROR_JOURNAL,   /* a journal we cannot read or replay */
} BpTransactionErrorCode;

/* Mode of a staged write: 0 keeps the old file's permissions (0644 for a new
 * file); 0644 or 0755 set the executable bits and keep the others;
 * BP_TRANSACTION_SYMLINK makes a symbolic link whose target is the content. */
#define BP_TRANSACTION_SYMLINK 0120000

typedef struct _BpTransaction BpTransaction;

/* Start a transaction on TREE (a directory; the root the staged paths are
 * relative to). */
BpTransaction *bp_transaction_begin (const char *tree, GError **error);
void bp_transaction_free (BpTransaction *t);  /* aborts one not finished */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpTransaction, bp_transaction_free)

/* Stage CONTENT at REL (relative, already checked to stay in the tree).  A
 * later write or delete of the same path replaces the earlier one. */
void bp_transaction_write (BpTransaction *t, const char *rel, GBytes *content, guint mode);
void bp_transaction_delete (BpTransaction *t, const char *rel);

/* The caller will change PATH (absolute; a file of the tree's git
 * repository) after commit: its content now is what abort and recovery put
 * back (or its absence). */
gboolean bp_transaction_guard (BpTransaction *t, const char *path, GError **error);

/* Put every staged file into place.  Signals that end the process
 * (INT, TERM, HUP, QUIT) are held from here until finish or abort, so that
 * they never land between two renames.  On failure everything is undone. */
gboolean bp_transaction_commit (BpTransaction *t, GError **error);

/* Test hook between the caller's own steps after commit (see transaction.c). */
void bp_transaction_checkpoint (BpTransaction *t);

/* The caller's steps after commit are done: the transaction is over. */
gboolean bp_transaction_finish (BpTransaction *t, GError **error);

/* Undo whatever was done (files, directories, guarded files). */
void bp_transaction_abort (BpTransaction *t);

/* Replay a journal an interrupted transaction left in TREE, if any: roll
 * the tree back to its exact prior state, or forward when every rename was
 * done (and the caller's steps were), saying which in one line on stderr.
 * Call it before anything else reads or writes TREE.  TRUE when there was
 * nothing to do or the tree was recovered; FALSE when another transaction
 * holds the tree now (BUSY) or the journal is unreadable (JOURNAL), and then
 * nothing was changed. */
gboolean bp_transaction_recover (const char *tree, GError **error);

/* Whether TREE holds a journal (or staged files) of an unfinished transaction. */
gboolean bp_transaction_pending (const char *tree);
