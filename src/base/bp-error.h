/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exit codes and the error domain that carries one.
 *
 * Library modules report failures in their own domains (BP_FIXPACK_ERROR,
 * BP_APPLY_ERROR, ...).  main.c turns a GError into an exit code: usage errors
 * give 2, BP_EXIT_ERROR gives its code, everything else is "missing capability
 * or input" (3).  A command whose check found the problem (affected, bug
 * reproduced, does not apply) returns BP_EXIT_ERROR with code 1. */
#pragma once

#include <glib.h>

typedef enum {
  BP_EXIT_OK = 0,
  BP_EXIT_FOUND = 1,      /* the check found the problem */
  BP_EXIT_USAGE = 2,      /* bad command line */
  BP_EXIT_MISSING = 3,    /* missing capability or input, unusable input */
} BpExit;

#define BP_EXIT_ERROR (bp_exit_error_quark ())
GQuark bp_exit_error_quark (void);

#define BP_USAGE_ERROR (bp_usage_error_quark ())
GQuark bp_usage_error_quark (void);

/* Exit code for an error returned by a command. */
int bp_error_exit_code (const GError *error);

/* Re-raise SRC (taking it) as an error with exit code EXIT_CODE, keeping its
 * message.  Returns FALSE so commands can `return bp_error_exit (...)`. */
gboolean bp_error_exit (GError **dest, GError *src, int exit_code);

/* Usage error with a printf message; returns FALSE. */
gboolean bp_usage (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);
