/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON helpers every layer may use (json-glib). */
#pragma once

#include <json-glib/json-glib.h>

/* Print NODE as pretty JSON on stdout, with a final newline. */
void bp_json_print (JsonNode *node);

/* Add "key": value, with NULL values as JSON null. */
void bp_json_add_string (JsonBuilder *b, const char *key, const char *value);
