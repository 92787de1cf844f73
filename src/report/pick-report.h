/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport pick` prints: one row per pick (short id, subject, verdict,
 * how), then for each pick that needs a human the hunk, why and the conflict
 * as diff3 text; or one JSON document with every pick's evidence. */
#pragma once

#include <json-glib/json-glib.h>

#include "engines/pick/pick.h"

/* The table and the needs-human details, as text. */
char *bp_pick_report_text (GPtrArray *results);

/* {"picks": [...], "tree": last tree or null, "branch", "exit"} */
JsonNode *bp_pick_report_json (GPtrArray *results, const char *branch, int exit_code);
