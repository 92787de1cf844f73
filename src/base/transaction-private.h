/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What transaction.c (staging, renames) and transaction-journal.c (the
 * journal on disk, undo, recovery) share.  Not for other modules. */
#pragma once

#include <signal.h>
#include "base/transaction.h"

/* Where a tree keeps its private state. */
typedef struct {
  char *state;            /* the journal directory */
  char *parent_to_make;   /* a directory to create for it (.pc of a Debian tree), or NULL */
  char *gitdir;           /* the tree's repository, or NULL */
  char *commondir;        /* its common directory (== gitdir unless a linked worktree) */
} BpTxPlace;

void bp_tx_place_clear (BpTxPlace *place);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpTxPlace, bp_tx_place_clear)
/* Every place a journal of TREE may be (the first is where a new one goes). */
GPtrArray *bp_tx_places (const char *tree);

/* Names in the journal: "s:NAME" in the state directory, "t:REL" in the
 * tree (staged beside the target when the state directory is on another
 * file system), "g:REL" / "c:REL" in the git or common directory. */

typedef struct {
  char *rel;              /* target, relative to the tree */
  GBytes *content;        /* NULL: delete */
  guint mode;             /* as bp_transaction_write's */
  char *tmp;              /* journal name of the staged file; NULL for a delete */
  char *backup;           /* journal name of the kept original; NULL: there was none */
  guint64 new_dev, new_ino;  /* the staged file, which the target becomes */
} BpTxOp;

typedef struct {
  char *spec;             /* journal name of the guarded file ("g:index") */
  char *backup;           /* journal name of its copy; NULL: it was absent */
} BpTxGuard;

typedef enum {
  BP_TX_OPEN,             /* staging in memory */
  BP_TX_STAGED,           /* files staged in the state directory, no journal yet */
  BP_TX_RENAMING,         /* the journal is on disk: renames may have begun */
  BP_TX_OVER,             /* finished or undone */
} BpTxPhase;

struct _BpTransaction {
  char *tree;
  BpTxPlace place;
  GPtrArray *ops;         /* BpTxOp* */
  GHashTable *by_rel;     /* rel -> BpTxOp* */
  GPtrArray *guards;      /* BpTxGuard* */
  GPtrArray *dirs;        /* directories to create (rel), parents first */
  int state_fd;           /* the state directory, locked (flock) while we use it */
  gboolean made_parent;   /* we created place.parent_to_make */
  BpTxPhase phase;
  guint steps;            /* renames and checkpoints so far (the test hook counts them) */
  char test_kind;         /* 'k' kill, 'f' fail, 's' print the step count, 0 none */
  guint test_at;
  gboolean signals_held;
  sigset_t saved_mask;
};

BpTransaction *bp_tx_new (const char *tree);
void bp_tx_op_free (BpTxOp *op);
void bp_tx_guard_free (BpTxGuard *guard);
char *bp_tx_resolve (BpTransaction *t, const char *name);
gboolean bp_tx_fail (GError **error, int err, const char *what, const char *path);
void bp_tx_sync_dirs (GPtrArray *dirs);
GPtrArray *bp_tx_touched_dirs (BpTransaction *t);  /* char*, each once */

/* Write the journal (plan, kept originals, directories, guards) and make it
 * durable, with the state directory. */
gboolean bp_tx_journal_write (BpTransaction *t, GError **error);
/* Put back every original, remove created directories, restore guarded
 * files.  Idempotent: a crash during an undo is undone by the next.
 * Returns how many targets changed back. */
guint bp_tx_undo (BpTransaction *t);
/* Every rename was done: each staged file is in place. */
gboolean bp_tx_all_done (BpTransaction *t);
/* Remove the journal, kept originals, staged leftovers and the state
 * directory (and a parent made for it, if empty). */
void bp_tx_cleanup (BpTransaction *t);
