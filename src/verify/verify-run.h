/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>
#include "report/verify-model.h"

/* Run `backport verify LINE CHILD_ARGS...` for each of LINES (char*), at most
 * JOBS at once, and append their rows to REPORTS in LINES order.  Fails
 * when a child printed no readable document. */
gboolean bp_verify_run_children (GPtrArray *lines, const char *const *child_args, guint jobs,
                                 GPtrArray *reports, GCancellable *cancellable, GError **error);
