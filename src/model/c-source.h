/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Find a function's definition in C source text, without a compiler: a small
 * lexer that skips comments, strings and character literals and tracks
 * braces, so prototypes, calls, strings naming the function and code inside
 * other functions are not taken for the definition.  Used by status (content
 * probe), bisect (which file defines the function) and the reproducer (the
 * text it compiles). */
#pragma once

#include <glib.h>

typedef struct {
  gsize start;         /* the declaration's first line (return type included) */
  gsize end;           /* after the closing brace */
  gsize params_start;  /* inside the parentheses */
  gsize params_end;
  gsize body_start;    /* the opening brace */
} BpCDefinition;

/* 1 when TEXT defines NAME at file scope (DEF filled), 0 when it does not,
 * -1 when the text cannot be scanned (an unclosed comment, a body that never
 * closes). */
int bp_c_find_definition (const char *text, gsize len, const char *name, BpCDefinition *def);
