/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport repro` prints of a run: what the device saw through each
 * mapping path, as text and as JSON. */
#pragma once

#include <json-glib/json-glib.h>

#include "engines/repro/repro.h"

JsonNode *bp_repro_report_json (const BpReproConfig *config, const BpReproResult *result);
char *bp_repro_report_text (const BpReproConfig *config, const BpReproResult *result);
