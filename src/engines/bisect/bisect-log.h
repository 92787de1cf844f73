/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the bisection driver: the log it writes as it goes (reading one
 * back is bp_bisect_log_parse in bisect-run.h), the outcome's clean-up, and
 * two small helpers.  Not for other modules. */
#pragma once

#include <stdio.h>

#include "engines/bisect/bisect-run.h"

/* A log being written; f NULL: none asked for. */
typedef struct {
  FILE *f;
  git_repository *repo;
} BpBisectLog;

void bp_bisect_log_close (BpBisectLog *log);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpBisectLog, bp_bisect_log_close)

/* The header, the endpoints, and the `git bisect start` line. */
void bp_bisect_log_start (BpBisectLog *log, BpBisect *b);
/* One mark, its commit's subject and EVIDENCE (may be NULL) as comments. */
void bp_bisect_log_mark (BpBisectLog *log, const git_oid *oid, BpBisectVerdict verdict,
                         const char *evidence);
/* The answer as comments, then close. */
void bp_bisect_log_finish (BpBisectLog *log, const BpBisectOutcome *out);

/* Free what a BpBisectStep holds (the outcome's steps array clear func). */
void bp_bisect_step_clear (gpointer step);

char *bp_bisect_hex (const git_oid *oid);
/* The commit's subject line, "" when it cannot be read. */
char *bp_bisect_subject (git_repository *repo, const git_oid *oid);
