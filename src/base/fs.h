/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File-system helpers every module shares. */
#pragma once

#include <gio/gio.h>

/* rm -rf PATH: never follows a symlink (a link is removed, not its target);
 * an absent PATH is no error.  Errors are G_IO_ERROR naming the entry. */
gboolean bp_fs_rm_rf (const char *path, GError **error);
