/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `backport verify --emit-ci gitlab`: a pipeline with one job per line
 * (parallel: matrix) and a job that merges their JSON documents. */
#pragma once

#include <glib.h>

/* LINES: line names (char*).  EXTRA_ARGS: arguments every job passes to
 * verify (--tree, --repo, --cache ...), already split.  IMAGE: the job
 * image, or NULL for shell runners (no image, no dependency install). */
char *bp_ci_gitlab_pipeline (GPtrArray *lines, const char *const *extra_args, const char *image);
