/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport apply` says of one run, as text and as JSON. */
#pragma once

#include <json-glib/json-glib.h>

typedef struct {
  const char *line;       /* the line applied */
  const char *tree;
  const char *target;     /* "commit", "files", "quilt", "none" */
  gboolean check;         /* only checked, nothing written */
  const char *result;     /* "applied", "applies", "already-applied", "not-affected", "failed" */
  const char *message;    /* one sentence */
  GPtrArray *reports;     /* BpHunkReport*, or NULL */
} BpApplyReport;

/* One line per hunk: where and how it went. */
char *bp_apply_report_hunks_text (const BpApplyReport *report);

JsonNode *bp_apply_report_json (const BpApplyReport *report);
