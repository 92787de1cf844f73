/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Paths from untrusted input (a patch, a mail, a series file) must stay
 * inside the tree: one check for every module that takes such a path. */
#pragma once

#include <glib.h>

#define BP_PATH_ERROR (bp_path_error_quark ())
GQuark bp_path_error_quark (void);

typedef enum {
  BP_PATH_ERROR_UNSAFE,   /* absolute, empty, or a ".", "..", empty or ".git" component */
} BpPathErrorCode;

/* PATH is relative, with no ".", "..", empty or ".git" component.  FALSE
 * with BP_PATH_ERROR_UNSAFE naming the path otherwise (ERROR may be NULL). */
gboolean bp_path_is_safe (const char *path, GError **error);
