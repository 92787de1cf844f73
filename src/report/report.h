/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output helpers shared by the commands: JSON documents, the pack as JSON. */
#pragma once

#include "base/json.h"
#include "model/fixpack.h"


/* The pack's identity (no lines) as members of the current object. */
void bp_json_add_pack_identity (JsonBuilder *b, const BpFixPack *pack);

/* A line as a JSON object (patches with subject, author, files). */
void bp_json_add_line (JsonBuilder *b, const BpFixLine *line, gboolean details);
