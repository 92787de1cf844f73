/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compile a line's series against a tree with the tree's own build.
 *
 * The tree is never written: a scratch copy (hard links where the file
 * system allows, synced again on every run) lives in a work directory
 * outside it, beside the tree's configured build:
 *
 *   WORK/src      scratch copy of the tree (the series is applied here)
 *   WORK/build    the tree's build directory (QEMU configure / meson setup)
 *   WORK/objects  objects this module compiles (never ninja's own)
 *   WORK/state.ini, WORK/configure.log, WORK/lock
 *
 * Only the objects of the files the series touches are compiled, once
 * before and once after the series (at the same time when only C sources
 * change), plus the generated headers they include: the compiler lists them
 * (-M -MG), ninja builds them.  A series "breaks the build" when an object
 * fails with it, or gains warnings (errors under -Werror).  WORK defaults to
 * $XDG_CACHE_HOME/backport/build/<VERSION>-<hash of the tree's path>. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "model/fixpack.h"

#define BP_BUILD_ERROR (bp_build_error_quark ())
GQuark bp_build_error_quark (void);

typedef enum {
  BP_BUILD_ERROR_NOT_A_TREE,          /* TREE is not a readable directory */
  BP_BUILD_ERROR_NO_BUILD_SYSTEM,     /* no configure + meson.build, no meson.build */
  BP_BUILD_ERROR_MISSING_DEPS,        /* configure (or a pre-check) found missing packages */
  BP_BUILD_ERROR_MISSING_SUBPROJECTS, /* a git export without keycodemapdb, softfloat... */
  BP_BUILD_ERROR_CONFIGURE,           /* configure failed for another reason */
  BP_BUILD_ERROR_TIMEOUT,             /* a step ran past its deadline and was killed */
  BP_BUILD_ERROR_NO_OBJECT,           /* no file the series touches is compiled here */
  BP_BUILD_ERROR_BUSY,                /* another check holds the work directory */
  BP_BUILD_ERROR_FAILED,              /* I/O, generating headers, ninja itself */
  BP_BUILD_ERROR_NESTED,              /* the work directory and the tree are inside one another */
} BpBuildErrorCode;

typedef enum {
  BP_COMPILE_OK,
  BP_COMPILE_FAILED,        /* the compiler said no: diagnostics in output */
  BP_COMPILE_ABSENT,        /* the file does not exist on this side (created/deleted) */
  BP_COMPILE_NOT_BUILT,     /* not compiled in this configuration (header, other target) */
} BpCompileStatus;

const char *bp_compile_status_to_string (BpCompileStatus status);  /* "ok", "error", ... */

typedef struct {
  BpCompileStatus status;
  char *output;             /* the compiler's own diagnostics, paths relative to the tree */
  double seconds;
} BpCompileRun;

typedef struct {
  char *file;               /* path in the tree */
  char *object;             /* ninja's name of its object, NULL when not built */
  BpCompileRun before;      /* the unpatched file */
  BpCompileRun after;       /* with the series applied */
  GPtrArray *new_warnings;  /* char*: warning lines of AFTER that BEFORE lacks */
} BpCompileResult;

/* A series "breaks the build" when an object that compiled before fails
 * after, or compiles with warnings it did not have: QEMU's own git builds
 * (and its CI) use -Werror, and a misspelt call is only a warning in C. */
typedef enum {
  BP_CHECK_COMPILES,        /* every touched object compiles with the series */
  BP_CHECK_SERIES_BREAKS,   /* fails (or warns anew) with the series only: exit 1 */
  BP_CHECK_ALREADY_BROKEN,  /* fails before the series already: cannot judge, exit 3 */
  BP_CHECK_DOES_NOT_APPLY,  /* the series does not apply to the tree: exit 1 */
} BpCheckVerdict;

const char *bp_check_verdict_to_string (BpCheckVerdict verdict);  /* "compiles", ... */

typedef struct {
  char *line;               /* "10.2" */
  char *tree;               /* as given */
  char *version;            /* the tree's VERSION, or NULL */
  char *build_system;       /* "qemu" or "meson" */
  char *work_dir;
  char *build_dir;
  char *scratch_dir;        /* WORK/src; holds the patched tree when kept */
  char *configure_args;     /* how the build was configured (shell words) */
  gboolean configured_now;  /* FALSE: the cached build dir was reused */
  double configure_seconds; /* 0 when reused */
  guint header_steps;       /* ninja steps generating headers (both passes) */
  double header_seconds;
  double seconds;           /* the whole check */
  GPtrArray *touched;       /* char*: files the series changes, as applied */
  GPtrArray *results;       /* BpCompileResult*, one per object (or per unbuilt file) */
  BpCheckVerdict verdict;
  char *apply_message;      /* why the series does not apply, or NULL */
  GPtrArray *apply_reports; /* BpHunkReport* of the real apply, may be empty */
} BpCheckResult;

void bp_check_result_free (BpCheckResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpCheckResult, bp_check_result_free)

/* Called from the thread running the check; LINE names the line. */
typedef void (*BpBuildProgress) (const char *line, const char *message, gpointer user_data);

typedef struct {
  const char *work_dir;     /* NULL: the default cache directory for the tree */
  gboolean keep;            /* leave the patched scratch copy and the objects */
  guint jobs;               /* ninja -j; 0: number of processors */
  guint timeout;            /* deadline of each step in seconds; 0: 1800 */
  BpBuildProgress progress;
  gpointer progress_data;
} BpCheckOptions;

/* The default work directory for TREE: $XDG_CACHE_HOME/backport/build/<key>. */
char *bp_build_default_work_dir (const char *tree);
/* The same under CACHE_DIR (a --cache): CACHE_DIR/build/<key>; NULL is the default. */
char *bp_build_work_dir_in (const char *cache_dir, const char *tree);

/* Check LINE's series against TREE.  Returns NULL with an error when the
 * tree cannot be built (BP_BUILD_ERROR) or the check was cancelled; else a
 * result whose verdict says whether the series compiles.  Cancelling kills
 * every process the check started.  Safe to run in a thread. */
BpCheckResult *bp_build_check (BpFixLine *line, const char *tree, const BpCheckOptions *options,
                               GCancellable *cancellable, GError **error);

/* Run ARGV in CWD (NULL: current) with stdout and stderr merged into
 * *OUTPUT, in its own process group.  Past TIMEOUT seconds (0: none) or on
 * CANCELLABLE, the whole group gets SIGTERM, then SIGKILL 2 s later, and the
 * call fails with BP_BUILD_ERROR_TIMEOUT or G_IO_ERROR_CANCELLED.  Otherwise
 * returns TRUE and sets *EXIT_STATUS (the exit code, or 128 + signal). */
gboolean bp_build_run (const char * const *argv, const char *cwd, guint timeout, char **output,
                       int *exit_status, GCancellable *cancellable, GError **error);

/* ------------------------------------------------------------------ */
/* Several lines at once, and what to say about them (build-report.c). */

/* One line to check against its tree, and how the check went. */
typedef struct {
  BpFixLine *line;          /* borrowed from its pack */
  char *tree;
  char *work_dir;           /* NULL: the default for the tree */
  BpCheckResult *result;    /* the check ran */
  GError *error;            /* or it could not: G_IO_ERROR_CANCELLED when interrupted */
} BpCheckJob;

BpCheckJob *bp_check_job_new (BpFixLine *line, const char *tree);
void bp_check_job_free (BpCheckJob *job);

/* Check every BpCheckJob of JOBS, several lines at once: OPTIONS->jobs (0:
 * the number of processors) is shared out, up to that many lines running
 * together with ninja -j jobs/lines each.  OPTIONS->work_dir is ignored
 * (each job has its own).  Runs the thread-default main context until every
 * job is done; cancelling stops every build. */
void bp_build_check_lines (GPtrArray *jobs, const BpCheckOptions *options, GCancellable *cancellable);

/* How a line's check ended, for the caller to turn into an exit code. */
typedef enum {
  BP_CHECK_OUTCOME_COMPILES,   /* every touched object compiles with the series */
  BP_CHECK_OUTCOME_BREAKS,     /* the series breaks the build, or does not apply */
  BP_CHECK_OUTCOME_CANNOT,     /* the tree cannot be built here, or is broken before */
} BpCheckOutcome;

BpCheckOutcome bp_check_job_outcome (const BpCheckJob *job);

/* C compiles with the series but with warnings it did not have. */
gboolean bp_compile_result_warns_anew (const BpCompileResult *c);
/* C compiles before the series and fails, or warns anew, with it. */
gboolean bp_compile_result_breaks (const BpCompileResult *c);
/* The status after the series as shown: "warnings" when it warns anew. */
const char *bp_compile_result_after_status (const BpCompileResult *c);
