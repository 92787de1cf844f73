/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport verify` found for each line: one row of steps, each step a
 * state, a short cell for the matrix, details for the report, and the
 * evidence as JSON.  The same model is read back from JSON by --merge, so a
 * pipeline's per-line documents make the same matrix as one local run. */
#pragma once

#include <json-glib/json-glib.h>

typedef enum {
  BP_STEP_PASS,     /* proved what it had to */
  BP_STEP_FAIL,     /* found a problem: verify exits 1 */
  BP_STEP_SKIP,     /* could not run here (capability, no repo): reason in cell */
  BP_STEP_NA,       /* does not apply to this line (not affected) */
} BpStepState;

/* The matrix columns, in order. */
typedef enum {
  BP_STEP_TREE,
  BP_STEP_STATUS,
  BP_STEP_APPLY,
  BP_STEP_CHECK,
  BP_STEP_REPRO,
  BP_STEP_BISECT,
  BP_STEP_COUNT,
} BpStepKind;

const char *bp_step_name (BpStepKind kind);           /* "tree", "status", ... */
const char *bp_step_state_name (BpStepState state);   /* "pass", "fail", "skip", "n/a" */

typedef struct {
  BpStepState state;
  char *cell;          /* short verdict for the matrix, e.g. "bug -> clean (tier 1)" */
  char *detail;        /* longer text for report.md: compiler/reproducer output; may be NULL */
  JsonNode *evidence;  /* structured evidence, may be NULL */
  gboolean ran;        /* FALSE: the step was never reached */
} BpStep;

typedef struct {
  char *line;          /* "10.2" */
  char *verdict;       /* the pack's verdict for the line */
  gboolean has_tree;
  char *tree_kind;     /* debian | git | user | NULL */
  char *tree_path;
  char *tree_version;  /* VERSION file */
  char *tree_origin;   /* "qemu 1:10.2.2+ds-1", "v10.1.3 (93be9e6bd4)" */
  BpStep steps[BP_STEP_COUNT];
} BpLineReport;

BpLineReport *bp_line_report_new (const char *line, const char *verdict);
void bp_line_report_free (BpLineReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpLineReport, bp_line_report_free)

/* Set a step; takes EVIDENCE. */
void bp_line_report_set (BpLineReport *report, BpStepKind kind, BpStepState state,
                         const char *cell, const char *detail, JsonNode *evidence);

/* How these lines went, for the caller's exit code. */
typedef enum {
  BP_VERIFY_PROVEN,    /* every step proved what it had to */
  BP_VERIFY_FAILED,    /* a step failed (or, with STRICT, could not run on a line with a tree) */
  BP_VERIFY_NOTHING,   /* no line had a tree */
} BpVerifyOutcome;

BpVerifyOutcome bp_verify_outcome (GPtrArray *reports, gboolean strict);

/* JSON: one document {"backport":..., "pack":..., "lines":[...], "exit":N}. */
JsonNode *bp_verify_to_json (GPtrArray *reports, JsonNode *pack_identity, int exit_code);
/* Read the lines back from such a document; appended to REPORTS. */
gboolean bp_verify_from_json (JsonNode *root, const char *source, GPtrArray *reports, GError **error);

/* The matrix as text (one row a line, one column a step). */
char *bp_verify_matrix (GPtrArray *reports);
/* report.md: the matrix, then each line's details. */
char *bp_verify_markdown (GPtrArray *reports, const char *title);
