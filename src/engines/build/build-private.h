/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the files of the build module share; not for the commands.  One job
 * per file:
 *   build.c            bp_build_check: the steps of a check, in order
 *   build-run.c        bp_build_run: a step in its own process group, with a deadline
 *   build-scratch.c    the scratch copy of the tree (hard links, synced each run)
 *   build-workdir.c    where the work directory is, and its lock
 *   build-configure.c  which build system, its pre-requisites, configure and
 *                      the diagnosis of a failed configure
 *   build-targets.c    the objects of the touched files (compile_commands.json)
 *                      and the generated headers they need (ninja)
 *   build-compile.c    compiling before and after the series, new warnings, verdict
 *   build-report.c     several lines at once, and their results as sentences and JSON */
#pragma once

#include <unistd.h>

#include <gio/gio.h>

#include "engines/build/build.h"

typedef enum {
  BP_BUILD_QEMU,    /* ./configure wrapping meson */
  BP_BUILD_MESON,   /* plain meson */
} BpBuildSystem;

/* One check under way. */
typedef struct {
  BpFixLine *line;
  char *tree;          /* absolute */
  char *work;          /* canonical */
  char *src;
  char *build;
  char *objects;
  BpBuildSystem system;
  guint jobs;
  guint timeout;
  gboolean keep;
  BpBuildProgress progress;
  gpointer progress_data;
  BpCheckResult *res;
} BpBuildCheck;

/* build.c: small helpers of every step. */
void bp_build_check_progress (BpBuildCheck *ck, const char *format, ...) G_GNUC_PRINTF (2, 3);
double bp_build_seconds_since (gint64 start);
char *bp_build_read_trimmed (const char *path);
void bp_build_add_unique (GPtrArray *array, const char *text);

/* build-scratch.c */
typedef struct {
  gboolean can_link;   /* FALSE after link() said EXDEV or EPERM: copy instead */
  guint placed;        /* files linked or copied in */
  guint refreshed;     /* files replaced by a fresh private copy */
  guint removed;       /* entries removed from the scratch */
} BpSyncStats;

gboolean bp_build_rm_rf (const char *path, GError **error);
gboolean bp_build_copy_file (const char *src, const char *dst, gboolean preserve_mtime, GError **error);
gboolean bp_build_sync_dir (const char *src, const char *dst, gboolean top, BpSyncStats *stats,
                            GCancellable *cancellable, GError **error);
gboolean bp_build_unshare_file (const char *tree, const char *scratch, const char *rel, GError **error);

/* build-workdir.c */
typedef int BpBuildLock;
static inline void
bp_build_lock_close (BpBuildLock fd)
{
  if (fd >= 0)
    close (fd);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (BpBuildLock, bp_build_lock_close, -1)

BpBuildLock bp_build_take_lock (BpBuildCheck *ck, GCancellable *cancellable, GError **error);
gboolean bp_build_work_dir_apart (const char *tree, const char *work, GError **error);

/* build-configure.c */
gboolean bp_build_detect_system (const char *tree, const char *shown, BpBuildSystem *system, GError **error);
gboolean bp_build_check_prerequisites (BpBuildCheck *ck, GCancellable *cancellable, GError **error);
gboolean bp_build_configure (BpBuildCheck *ck, GCancellable *cancellable, GError **error);

/* build-targets.c: objects, compile_commands.json and ninja. */
typedef struct {
  char *rel;            /* the tree file */
  char *directory;
  char *output;         /* ninja's target */
  char *file_arg;       /* the source file as the command names it */
  char *shadow_of;      /* compiling a copy of this tree file kept beside it */
  GStrv argv;
} BpCompileEntry;

void bp_compile_entry_free (BpCompileEntry *e);
GPtrArray *bp_build_load_compile_entries (BpBuildCheck *ck, GHashTable *wanted, GError **error);
gint64 bp_build_file_mtime (const char *path);
char *bp_build_replace_all (const char *text, const char *from, const char *to);
GPtrArray *bp_build_depfile_entries (BpBuildCheck *ck, const char *path);
GPtrArray *bp_build_compiler_argv (const BpCompileEntry *e, const char *obj, const char *depfile);

/* The generated headers the objects need: see build-targets.c. */
typedef struct {
  GHashTable *all;         /* order-only inputs of the objects: files ninja generates */
  GHashTable *needed;      /* those the objects include */
  char *cache_path;
  char *cache_key;
  gboolean cached;         /* NEEDED came from the cache */
} BpBuildHeaders;

void bp_build_headers_clear (BpBuildHeaders *h);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpBuildHeaders, bp_build_headers_clear)

gboolean bp_build_headers_load (BpBuildCheck *ck, GPtrArray *entries, BpBuildHeaders *h,
                                GCancellable *cancellable, GError **error);
gboolean bp_build_headers_build (BpBuildCheck *ck, BpBuildHeaders *h, GHashTable *set,
                                 GCancellable *cancellable, GError **error);
gboolean bp_build_headers_prepare (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *entries,
                                   GCancellable *cancellable, GError **error);
gboolean bp_build_headers_follow_up (BpBuildCheck *ck, BpBuildHeaders *h, BpCompileEntry *e, BpCompileRun *run,
                                     GPtrArray *deps, gboolean *again, GCancellable *cancellable, GError **error);

/* build-compile.c */
gboolean bp_build_compile_all (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *entries, gboolean after, guint *n,
                               guint m, GCancellable *cancellable, GError **error);
gboolean bp_build_compile_pairs (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *shadows, GPtrArray *entries,
                                 guint *n, guint m, GCancellable *cancellable, GError **error);
BpCompileEntry *bp_build_shadow_entry (BpBuildCheck *ck, const BpCompileEntry *e, GError **error);
void bp_build_remove_shadows (BpBuildCheck *ck, GPtrArray *shadows);
GPtrArray *bp_build_new_warnings (const char *before, const char *after);
BpCheckVerdict bp_build_verdict_of (GPtrArray *results);
