/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the files of the trees module share, and nothing else includes:
 * the resolution context, progress, the cache's small operations, the
 * subprocess runner, and each source's entry point for the resolver
 * (trees.c).  Errors are BP_TREES_ERROR. */
#pragma once

#include <git2.h>

#include "sources/trees.h"

/* ---- progress (trees.c) ---- */

typedef struct {
  BpTreesProgress fn;
  gpointer data;
} BpTreesReporter;

/* A step: "downloading Debian qemu 1:10.2.2+ds-1". */
void bp_trees_report (const BpTreesReporter *r, const char *line, const char *format, ...) G_GNUC_PRINTF (3, 4);
/* A line of a subprocess's output. */
void bp_trees_report_output (const BpTreesReporter *r, const char *line, const char *text);
/* Append one formatted note to NOTES. */
void bp_trees_add_note (GPtrArray *notes, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* ---- the resolution context (trees.c) ---- */

typedef struct {
  BpFixPack *pack;
  const BpTreesOptions *opts;
  BpTreesReporter reporter;
  GCancellable *cancellable;
  char *cache;          /* absolute */
  char *apt_dir;        /* <cache>/apt */
  char *apt_config;     /* <cache>/apt/apt.conf */
  char *debian_dir;     /* <cache>/trees/debian */
  char *git_dir;        /* <cache>/trees/git */
  char *logs;           /* <cache>/logs */
  BpTreeSet *set;
} BpTreesCtx;

void bp_trees_ctx_clear (BpTreesCtx *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpTreesCtx, bp_trees_ctx_clear)

/* The line of PACK a VERSION text serves, or NULL. */
const char *bp_trees_line_of_version (BpFixPack *pack, const char *version);
gboolean bp_trees_pack_has_line (BpFixPack *pack, const char *name);
/* "11.0, 10.2, ...": the pack's lines, for messages. */
char *bp_trees_pack_line_list (BpFixPack *pack);

/* ---- the cache's small operations (trees-cache.c) ---- */

/* DIR/VERSION's one line, trimmed; NULL when absent, empty or several lines. */
char *bp_trees_read_version (const char *dir);
/* bp_fs_rm_rf with the error in BP_TREES_ERROR_IO. */
gboolean bp_trees_rm_rf (const char *path, GError **error);
gboolean bp_trees_mkdirs (const char *path, GError **error);
/* Remove what an interrupted run left in DIR: entries named ...MARKER...-<pid>
 * whose process is gone. */
void bp_trees_sweep_stale (const char *dir, const char *marker);
char *bp_trees_now_iso8601 (void);
gboolean bp_trees_write_keyfile (GKeyFile *kf, const char *path, GError **error);

/* ---- subprocesses (trees-run.c) ---- */

typedef struct {
  int status;         /* exit status, -1 when killed by a signal */
  char *output;       /* stdout and stderr, merged */
} BpTreesCommand;

void bp_trees_command_clear (BpTreesCommand *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpTreesCommand, bp_trees_command_clear)

/* Run ARGV in CWD with LC_ALL=C (and APT_CONFIG when given), passing each
 * output line to the progress callback and saving the output in LOG.
 * FALSE only when the command could not be run (or was cancelled). */
gboolean bp_trees_run (const char *const *argv, const char *cwd, const char *apt_config,
                       const char *log, const BpTreesReporter *r, const char *line,
                       BpTreesCommand *result, GCancellable *cancellable, GError **error);

/* The first line of OUTPUT that starts with one of the prefixes, trimmed. */
char *bp_trees_first_line_with (const char *output, const char *const *prefixes);

/* ---- the sources, one entry point each ---- */

/* The libgit2 error in BP_TREES_ERROR_REPO, prefixed with WHAT; FALSE. */
gboolean bp_trees_git_fail (GError **error, const char *what);

/* Export the tree of COMMIT_ID to DEST, which must not exist (git-export.c). */
gboolean bp_trees_export_commit_id (git_repository *repo, const git_oid *commit_id, const char *dest,
                                    GCancellable *cancellable, GError **error);

/* SPEC "LINE=DIR", validated: DIR/VERSION serves LINE (user-trees.c). */
gboolean bp_trees_user_tree (BpTreesCtx *c, const char *spec, BpTree **out, GError **error);

/* Fill each BpTree of PENDING (entries of c->set->trees, kind NONE) from
 * c->opts->repo, replacing it in both arrays (git-trees.c).  FALSE only for
 * a repository that cannot be read, a cache that cannot be written, or
 * cancellation. */
gboolean bp_trees_git_lines (BpTreesCtx *c, GPtrArray *pending, GError **error);

/* Fill each BpTree of WANTED from Debian's archive or the cache
 * (debian-fetch.c).  FALSE only on cancellation or cache errors. */
gboolean bp_trees_debian_lines (BpTreesCtx *c, GPtrArray *wanted, GError **error);

/* ---- the private apt state (apt-state.c) ---- */

/* Write <cache>/apt/apt.conf and the state dirs it names; an apt.conf
 * with the same text already is left as it is (nothing written). */
gboolean bp_trees_apt_write_config (BpTreesCtx *c, GError **error);
/* The deb-src index was downloaded once. */
gboolean bp_trees_apt_have_index (BpTreesCtx *c);
/* Write the private sources list from the system's, and download the index. */
gboolean bp_trees_apt_update (BpTreesCtx *c, GError **error);
/* Versions the index lists, newest first; NULL with an error when apt-cache cannot run. */
GPtrArray *bp_trees_apt_versions (BpTreesCtx *c, GError **error);

/* ---- subprojects (subprojects.c) ---- */

/* A git export of T in the cache gets the subprojects an offline configure
 * needs from another tree or the repository; every tree with a path gets a
 * note naming those still missing.  Never fails: what could not be done is
 * a note. */
void bp_trees_subprojects (BpTreesCtx *c, BpTree *t);
