/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libgit2 failures as GErrors, one way for every module. */
#pragma once

#include <glib.h>

/* Set ERROR in DOMAIN/CODE to "WHAT: <libgit2's last message>"; FALSE. */
gboolean bp_git_error (GError **error, GQuark domain, int code, const char *what);

/* GHashTable helpers for git_oid* keys. */
guint bp_git_oid_hash (gconstpointer oid);
gboolean bp_git_oid_equal (gconstpointer a, gconstpointer b);
/* A copy of OID for a hash table key (g_free it). */
gpointer bp_git_oid_dup (gconstpointer oid);
