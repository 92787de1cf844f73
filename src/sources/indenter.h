/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The re-indenter: added lines of a pasted patch lost their indentation;
 * give them the indentation the code around them implies, in QEMU's style
 * (4 spaces a block, continuation lines aligned under the opening
 * parenthesis, case labels half a level out, goto labels at column 0).
 * Feed it the real lines of a C file in order; ask it for the line a text
 * without its leading blanks becomes at that point. */
#pragma once

#include <glib.h>

typedef struct _BpIndenter BpIndenter;
BpIndenter *bp_indenter_new (void);
void bp_indenter_free (BpIndenter *ind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpIndenter, bp_indenter_free)
void bp_indenter_feed (BpIndenter *ind, const char *line);
char *bp_indenter_indent (BpIndenter *ind, const char *stripped);
