/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport status` prints: the table per line, and the JSON. */
#pragma once

#include <json-glib/json-glib.h>

#include "engines/status/history.h"
#include "model/fixpack.h"

JsonNode *bp_status_report_json (const BpStatusReport *report, const BpFixPack *pack);
char *bp_status_report_text (const BpStatusReport *report, const BpFixPack *pack);
