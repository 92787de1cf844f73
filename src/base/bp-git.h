/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libgit2 failures as GErrors, one way for every module. */
#pragma once

#include <glib.h>

/* Set ERROR in DOMAIN/CODE to "WHAT: <libgit2's last message>"; FALSE. */
gboolean bp_git_error (GError **error, GQuark domain, int code, const char *what);
