/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one way the program runs another: in its own process group, so that
 * a deadline or a cancel (main.c cancels on SIGINT/SIGTERM) ends the whole
 * group, children included: SIGTERM, then SIGKILL two seconds later.  No
 * child outlives the call. */
#pragma once

#include <gio/gio.h>

typedef void (*BpRunLine) (const char *line, gpointer data);

typedef struct {
  const char *cwd;              /* NULL: ours */
  guint timeout;                /* seconds; 0: none */
  gboolean c_locale;            /* LC_ALL=C: output we parse must not depend on the locale */
  const char *const *env;       /* "KEY=VALUE" to add, NULL-terminated (may be NULL) */
  gboolean to_stderr;           /* the command's output goes to our stderr, not captured */
  BpRunLine line;               /* captured: each output line as it comes (may be NULL) */
  gpointer line_data;
} BpRunOptions;

/* Run ARGV.  Unless OPTIONS->to_stderr, stdout and stderr merged go to
 * *OUTPUT (made valid UTF-8; OUTPUT may be NULL).  TRUE with *EXIT_STATUS
 * the exit code, or 128 + the signal.  FALSE with G_IO_ERROR_CANCELLED
 * when cancelled, G_IO_ERROR_TIMED_OUT past the deadline (the group
 * killed either way), or the reason it could not be started. */
gboolean bp_run (const char *const *argv, const BpRunOptions *options, char **output,
                 int *exit_status, GCancellable *cancellable, GError **error);

/* The guard, for a child started some other way (bp_run uses it): call
 * bp_child_guard_prepare in the parent before the spawn, and
 * bp_child_guard in the child between fork and exec, after it made its
 * own process group.  The guard is a process in that group that waits on
 * a pipe only we write to: when we die, even of SIGKILL (no handler runs),
 * it kills the group.  It dies with the child when the child ends first. */
void bp_child_guard_prepare (void);
void bp_child_guard (void);
