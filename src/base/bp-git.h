/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libgit2 failures as GErrors, one way for every module. */
#pragma once

#include <glib.h>

/* libgit2 is set up once per process, by main.c, and only for the work
 * that needs it: its initialisation parses the system's TLS certificates
 * (10 ms), which `backport list` or an apply to a plain tree never needs.
 * main.c registers how (bp_git_set_initializer); a module about to use
 * libgit2 calls bp_git_require(), which runs it the first time (without
 * one, in a unit test, it just initialises libgit2). */
void bp_git_set_initializer (void (*init) (void));
void bp_git_require (void);

/* Set ERROR in DOMAIN/CODE to "WHAT: <libgit2's last message>"; FALSE. */
gboolean bp_git_error (GError **error, GQuark domain, int code, const char *what);

/* GHashTable helpers for git_oid* keys. */
guint bp_git_oid_hash (gconstpointer oid);
gboolean bp_git_oid_equal (gconstpointer a, gconstpointer b);
/* A copy of OID for a hash table key (g_free it). */
gpointer bp_git_oid_dup (gconstpointer oid);

/* Keep every object written through REPO in memory (libgit2's mempack, put
 * ahead of the repository's own stores): a user's repository that is only
 * to be read stays byte-identical, and a read-only one works.  The objects
 * live as long as REPO.  FALSE with ERROR in DOMAIN/CODE. */
typedef struct git_repository git_repository;
gboolean bp_git_objects_in_memory (git_repository *repo, GQuark domain, int code, GError **error);
