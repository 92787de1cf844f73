/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport check` says about its lines: a verdict word, a sentence,
 * and the JSON document. */
#pragma once

#include <json-glib/json-glib.h>

#include "engines/build/build.h"

/* "compiles", ..., "cannot-build", "interrupted". */
const char *bp_check_job_verdict (const BpCheckJob *job);
/* One sentence on how the line went. */
char *bp_check_job_sentence (const BpCheckJob *job);

/* The exit code the caller gives an outcome (the JSON carries it per line). */
typedef int (*BpCheckExitOf) (BpCheckOutcome outcome);

/* JOBS as JSON: { "lines": [...], "exit": EXIT_CODE }. */
JsonNode *bp_check_jobs_to_json (GPtrArray *jobs, BpCheckExitOf exit_of, int exit_code);
