/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shell completion, as flatpak does it: `backport complete LINE POINT`
 * (what bash passes as $COMP_LINE and $COMP_POINT) prints one candidate per
 * line; completion/backport.bash turns them into COMPREPLY.  Each command
 * completes itself beside its code (BP_COMPLETE in cmd-NAME.c) from its own
 * option table, so a new option completes with nothing else to change.
 * Two words are markers for the shell: __FILES__ and __DIRS__ (let bash
 * complete a path). */
#pragma once

#include <glib.h>

typedef struct BpCompletion BpCompletion;

#define BP_COMPLETE(name) void bp_complete_##name (BpCompletion *c)

/* Split LINE up to POINT into words; NULL when POINT is out of range. */
BpCompletion *bp_completion_new (const char *line, gssize point);
void bp_completion_free (BpCompletion *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpCompletion, bp_completion_free)

/* The words before the one being completed ([0] is "backport"), and it. */
guint bp_completion_n_words (const BpCompletion *c);
const char *bp_completion_word (const BpCompletion *c, guint i);
const char *bp_completion_current (const BpCompletion *c);

/* Offer WORD when it starts with the current word. */
void bp_complete_word (BpCompletion *c, const char *word);

/* The options of ENTRIES; and when the word before is one of them that
 * takes a value, its values (pack names, paths).  TRUE when it completed
 * an option's value: the command offers nothing more then. */
gboolean bp_complete_options (BpCompletion *c, const GOptionEntry *entries);

/* The positional argument being completed (1 for the command's first),
 * options and their values not counted; 0 when an option is. */
guint bp_complete_arg_index (const BpCompletion *c, const GOptionEntry *entries);

/* The lines of the pack --pack names in the words (or the only one). */
void bp_complete_lines (BpCompletion *c);

/* Run the completion of the command line C holds (the commands' table is
 * main.c's: it passes the names and the completers). */
typedef struct {
  const char *name;
  void (*complete) (BpCompletion *c);
} BpCompleter;
void bp_completion_run (BpCompletion *c, const BpCompleter *completers);
