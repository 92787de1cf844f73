/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scratch directories that say whose they are, so that what a run killed
 * with SIGKILL left (no handler runs then) is removed by the next run.
 * A directory is PARENT/PREFIX<pid>.<start>-XXXXXX: the owner's pid and
 * its start time (field 22 of /proc/PID/stat), which together name one
 * process even after the pid is reused. */
#pragma once

#include <gio/gio.h>

/* A new empty directory PARENT/PREFIX<pid>.<start>-XXXXXX (PARENT made
 * when missing), or NULL with a G_IO_ERROR naming PARENT. */
char *bp_scratch_dir_new (const char *parent, const char *prefix, GError **error);

/* Remove every PARENT/PREFIX<pid>.<start>-XXXXXX whose owner is gone.
 * Directories of live runs, and names of any other form, are left alone.
 * Returns how many were removed; their names are added to NAMES (", "
 * between them) when NAMES is not NULL. */
guint bp_scratch_sweep (const char *parent, const char *prefix, GString *names);
