/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report/verify-model.h"

#include <string.h>

#include "bp-config.h"
#include "report/report.h"

static const char *step_names[BP_STEP_COUNT] = {
  "tree", "status", "apply", "check", "repro", "bisect",
};

static const char *state_names[] = { "pass", "fail", "skip", "n/a" };

const char *
bp_step_name (BpStepKind kind)
{
  return step_names[kind];
}

const char *
bp_step_state_name (BpStepState state)
{
  return state_names[state];
}

static gboolean
state_from_name (const char *name, BpStepState *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (name, state_names[i]) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

BpLineReport *
bp_line_report_new (const char *line, const char *verdict)
{
  BpLineReport *r = g_new0 (BpLineReport, 1);
  r->line = g_strdup (line);
  r->verdict = g_strdup (verdict);
  for (int i = 0; i < BP_STEP_COUNT; i++)
    {
      r->steps[i].state = BP_STEP_SKIP;
      r->steps[i].cell = g_strdup ("-");
    }
  return r;
}

void
bp_line_report_free (BpLineReport *r)
{
  if (r == NULL)
    return;
  g_free (r->line);
  g_free (r->verdict);
  g_free (r->tree_kind);
  g_free (r->tree_path);
  g_free (r->tree_version);
  g_free (r->tree_origin);
  for (int i = 0; i < BP_STEP_COUNT; i++)
    {
      g_free (r->steps[i].cell);
      g_free (r->steps[i].detail);
      g_clear_pointer (&r->steps[i].evidence, json_node_unref);
    }
  g_free (r);
}

void
bp_line_report_set (BpLineReport *r, BpStepKind kind, BpStepState state,
                    const char *cell, const char *detail, JsonNode *evidence)
{
  BpStep *s = &r->steps[kind];
  s->state = state;
  s->ran = TRUE;
  g_free (s->cell);
  s->cell = g_strdup (cell);
  g_free (s->detail);
  s->detail = g_strdup (detail);
  g_clear_pointer (&s->evidence, json_node_unref);
  s->evidence = evidence;
}

BpVerifyOutcome
bp_verify_outcome (GPtrArray *reports, gboolean strict)
{
  gboolean any_tree = FALSE, any_fail = FALSE;
  for (guint i = 0; i < reports->len; i++)
    {
      const BpLineReport *r = g_ptr_array_index (reports, i);
      any_tree |= r->has_tree;
      for (int k = 0; k < BP_STEP_COUNT; k++)
        {
          const BpStep *s = &r->steps[k];
          if (s->state == BP_STEP_FAIL)
            any_fail = TRUE;
          /* --strict: a step that could not run is not a proof */
          if (strict && r->has_tree && s->state == BP_STEP_SKIP && k != BP_STEP_BISECT)
            any_fail = TRUE;
        }
    }
  if (!any_tree)
    return BP_VERIFY_NOTHING;
  return any_fail ? BP_VERIFY_FAILED : BP_VERIFY_PROVEN;
}

/* ---- JSON ---------------------------------------------------------------- */

JsonNode *
bp_verify_to_json (GPtrArray *reports, JsonNode *pack_identity, int exit_code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  bp_json_add_string (b, "backport", BP_VERSION);
  if (pack_identity)
    {
      json_builder_set_member_name (b, "pack");
      json_builder_add_value (b, json_node_copy (pack_identity));
    }
  json_builder_set_member_name (b, "lines");
  json_builder_begin_array (b);
  for (guint i = 0; i < reports->len; i++)
    {
      const BpLineReport *r = g_ptr_array_index (reports, i);
      json_builder_begin_object (b);
      bp_json_add_string (b, "line", r->line);
      bp_json_add_string (b, "verdict", r->verdict);
      json_builder_set_member_name (b, "tree");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "present");
      json_builder_add_boolean_value (b, r->has_tree);
      bp_json_add_string (b, "kind", r->tree_kind);
      bp_json_add_string (b, "path", r->tree_path);
      bp_json_add_string (b, "version", r->tree_version);
      bp_json_add_string (b, "origin", r->tree_origin);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "steps");
      json_builder_begin_object (b);
      for (int k = 0; k < BP_STEP_COUNT; k++)
        {
          const BpStep *s = &r->steps[k];
          json_builder_set_member_name (b, step_names[k]);
          json_builder_begin_object (b);
          bp_json_add_string (b, "state", state_names[s->state]);
          bp_json_add_string (b, "cell", s->cell);
          json_builder_set_member_name (b, "ran");
          json_builder_add_boolean_value (b, s->ran);
          bp_json_add_string (b, "detail", s->detail);
          json_builder_set_member_name (b, "evidence");
          if (s->evidence)
            json_builder_add_value (b, json_node_copy (s->evidence));
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "exit");
  json_builder_add_int_value (b, exit_code);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static char *
member_string (JsonObject *o, const char *name)
{
  if (o == NULL || !json_object_has_member (o, name))
    return NULL;
  JsonNode *n = json_object_get_member (o, name);
  if (JSON_NODE_HOLDS_NULL (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

gboolean
bp_verify_from_json (JsonNode *root, const char *source, GPtrArray *reports, GError **error)
{
  JsonObject *doc = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *lines_node = doc ? json_object_get_member (doc, "lines") : NULL;
  if (lines_node == NULL || !JSON_NODE_HOLDS_ARRAY (lines_node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: not a backport verify JSON document (no \"lines\" array)", source);
      return FALSE;
    }
  JsonArray *lines = json_node_get_array (lines_node);
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *l = json_array_get_object_element (lines, i);
      g_autofree char *name = member_string (l, "line");
      JsonObject *steps = l && json_object_has_member (l, "steps") ? json_object_get_object_member (l, "steps") : NULL;
      if (name == NULL || steps == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s: line %u has no \"line\" name or no \"steps\"", source, i + 1);
          return FALSE;
        }
      g_autofree char *verdict = member_string (l, "verdict");
      g_autoptr(BpLineReport) r = bp_line_report_new (name, verdict);
      JsonObject *tree = json_object_has_member (l, "tree") ? json_object_get_object_member (l, "tree") : NULL;
      if (tree)
        {
          r->has_tree = json_object_get_boolean_member_with_default (tree, "present", FALSE);
          r->tree_kind = member_string (tree, "kind");
          r->tree_path = member_string (tree, "path");
          r->tree_version = member_string (tree, "version");
          r->tree_origin = member_string (tree, "origin");
        }
      for (int k = 0; k < BP_STEP_COUNT; k++)
        {
          JsonObject *s = json_object_has_member (steps, step_names[k])
                            ? json_object_get_object_member (steps, step_names[k]) : NULL;
          g_autofree char *state = member_string (s, "state");
          BpStepState st;
          if (s == NULL || !state_from_name (state, &st))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "%s: line %s: step \"%s\" is missing or has no valid state", source, name, step_names[k]);
              return FALSE;
            }
          g_autofree char *cell = member_string (s, "cell");
          g_autofree char *detail = member_string (s, "detail");
          JsonNode *ev = json_object_get_member (s, "evidence");
          bp_line_report_set (r, k, st, cell ? cell : "-", detail,
                              ev && !JSON_NODE_HOLDS_NULL (ev) ? json_node_copy (ev) : NULL);
          /* a step never reached stays so (older documents: reached) */
          r->steps[k].ran = json_object_get_boolean_member_with_default (s, "ran", TRUE);
        }
      g_ptr_array_add (reports, g_steal_pointer (&r));
    }
  return TRUE;
}

/* ---- text and markdown --------------------------------------------------- */

static char *
cell_text (const BpStep *s)
{
  if (s->state == BP_STEP_FAIL && !g_str_has_prefix (s->cell, "FAIL"))
    return g_strdup_printf ("FAIL: %s", s->cell);
  return g_strdup (s->cell);
}

char *
bp_verify_matrix (GPtrArray *reports)
{
  /* columns: line, verdict, then the steps */
  enum { NCOL = 2 + BP_STEP_COUNT };
  guint width[NCOL] = { 4, 7 };
  const char *heads[NCOL] = { "LINE", "VERDICT" };
  for (int k = 0; k < BP_STEP_COUNT; k++)
    {
      heads[2 + k] = step_names[k];
      width[2 + k] = strlen (step_names[k]);
    }
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  for (guint i = 0; i < reports->len; i++)
    {
      const BpLineReport *r = g_ptr_array_index (reports, i);
      char **row = g_new0 (char *, NCOL + 1);
      row[0] = g_strdup (r->line);
      row[1] = g_strdup (r->verdict ? r->verdict : "-");
      for (int k = 0; k < BP_STEP_COUNT; k++)
        row[2 + k] = cell_text (&r->steps[k]);
      for (int c = 0; c < NCOL; c++)
        width[c] = MAX (width[c], g_utf8_strlen (row[c], -1));
      g_ptr_array_add (rows, row);
    }
  GString *out = g_string_new (NULL);
  for (int c = 0; c < NCOL; c++)
    {
      g_autofree char *up = g_ascii_strup (heads[c], -1);
      g_string_append_printf (out, "%-*s%s", c + 1 < NCOL ? (int) width[c] : 0, up, c + 1 < NCOL ? "  " : "\n");
    }
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);
      for (int c = 0; c < NCOL; c++)
        {
          g_string_append (out, row[c]);
          if (c + 1 < NCOL)
            for (guint pad = g_utf8_strlen (row[c], -1); pad < width[c] + 2; pad++)
              g_string_append_c (out, ' ');
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static void
md_escape_cell (GString *out, const char *text)
{
  for (const char *p = text; *p; p++)
    {
      if (*p == '|')
        g_string_append (out, "\\|");
      else if (*p == '\n')
        g_string_append (out, "<br>");
      else
        g_string_append_c (out, *p);
    }
}

char *
bp_verify_markdown (GPtrArray *reports, const char *title)
{
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "# %s\n\n", title);
  g_string_append (out, "| line | verdict |");
  for (int k = 0; k < BP_STEP_COUNT; k++)
    g_string_append_printf (out, " %s |", step_names[k]);
  g_string_append (out, "\n|---|---|");
  for (int k = 0; k < BP_STEP_COUNT; k++)
    g_string_append (out, "---|");
  g_string_append_c (out, '\n');
  for (guint i = 0; i < reports->len; i++)
    {
      const BpLineReport *r = g_ptr_array_index (reports, i);
      g_string_append_printf (out, "| %s | %s |", r->line, r->verdict ? r->verdict : "-");
      for (int k = 0; k < BP_STEP_COUNT; k++)
        {
          g_autofree char *cell = cell_text (&r->steps[k]);
          g_string_append_c (out, ' ');
          md_escape_cell (out, cell);
          g_string_append (out, " |");
        }
      g_string_append_c (out, '\n');
    }
  for (guint i = 0; i < reports->len; i++)
    {
      const BpLineReport *r = g_ptr_array_index (reports, i);
      g_string_append_printf (out, "\n## %s (%s)\n\n", r->line, r->verdict ? r->verdict : "-");
      if (r->has_tree)
        g_string_append_printf (out, "Tree: %s %s, VERSION %s, at `%s`\n",
                                r->tree_kind ? r->tree_kind : "", r->tree_origin ? r->tree_origin : "",
                                r->tree_version ? r->tree_version : "?", r->tree_path ? r->tree_path : "");
      for (int k = 0; k < BP_STEP_COUNT; k++)
        {
          const BpStep *s = &r->steps[k];
          if (!s->ran)
            continue;
          g_autofree char *cell = cell_text (s);
          g_string_append_printf (out, "\n### %s: %s\n", step_names[k], cell);
          if (s->detail && *s->detail)
            {
              g_string_append (out, "\n```\n");
              g_string_append (out, s->detail);
              if (s->detail[strlen (s->detail) - 1] != '\n')
                g_string_append_c (out, '\n');
              g_string_append (out, "```\n");
            }
        }
    }
  return g_string_free (out, FALSE);
}
