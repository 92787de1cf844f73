/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output helpers shared by the commands: JSON documents, the pack as JSON. */
#pragma once

#include <json-glib/json-glib.h>
#include "model/fixpack.h"

/* Print NODE as pretty JSON on stdout, with a final newline. */
void bp_json_print (JsonNode *node);

/* Add "key": value, with NULL values as JSON null. */
void bp_json_add_string (JsonBuilder *b, const char *key, const char *value);

/* The pack's identity (no lines) as members of the current object. */
void bp_json_add_pack_identity (JsonBuilder *b, const BpFixPack *pack);

/* A line as a JSON object (patches with subject, author, files). */
void bp_json_add_line (JsonBuilder *b, const BpFixLine *line, gboolean details);
