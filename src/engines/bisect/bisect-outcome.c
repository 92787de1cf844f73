/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The outcome of a bisection: freeing it, the one-line summary, and the
 * JSON `backport bisect --json` prints. */
#include "engines/bisect/bisect-log.h"

void
bp_bisect_step_clear (gpointer p)
{
  BpBisectStep *s = p;
  g_free (s->commit);
  g_free (s->subject);
  g_free (s->evidence);
}

void
bp_bisect_outcome_free (BpBisectOutcome *o)
{
  if (o == NULL)
    return;
  g_free (o->repo);
  g_free (o->bad);
  g_clear_pointer (&o->goods, g_ptr_array_unref);
  g_free (o->predicate);
  g_free (o->first_bad);
  g_free (o->first_bad_subject);
  g_free (o->first_bad_evidence);
  g_free (o->parent);
  g_free (o->parent_evidence);
  g_clear_pointer (&o->suspects, g_ptr_array_unref);
  g_clear_pointer (&o->steps, g_array_unref);
  g_free (o);
}

char *
bp_bisect_outcome_summary (const BpBisectOutcome *o)
{
  return g_strdup_printf ("%u commit%s tested, predicate '%s' evaluated %u time%s (%u cache hit%s), %.2f s",
                          o->tested, o->tested == 1 ? "" : "s", o->predicate, o->evaluations,
                          o->evaluations == 1 ? "" : "s", o->cache_hits, o->cache_hits == 1 ? "" : "s",
                          o->seconds);
}

static void
add_string_or_null (JsonBuilder *jb, const char *member, const char *value)
{
  json_builder_set_member_name (jb, member);
  if (value)
    json_builder_add_string_value (jb, value);
  else
    json_builder_add_null_value (jb);
}

static JsonNode *
step_json (const BpBisectStep *s)
{
  g_autoptr(JsonBuilder) jb = json_builder_new ();
  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "commit");
  json_builder_add_string_value (jb, s->commit);
  json_builder_set_member_name (jb, "subject");
  json_builder_add_string_value (jb, s->subject);
  json_builder_set_member_name (jb, "verdict");
  json_builder_add_string_value (jb, bp_verdict_name (s->verdict));
  json_builder_set_member_name (jb, "evidence");
  json_builder_add_string_value (jb, s->evidence ? s->evidence : "");
  json_builder_set_member_name (jb, "replayed");
  json_builder_add_boolean_value (jb, s->replayed);
  if (!s->replayed)
    {
      json_builder_set_member_name (jb, "left");
      json_builder_add_int_value (jb, s->left);
      json_builder_set_member_name (jb, "steps");
      json_builder_add_int_value (jb, s->steps);
      json_builder_set_member_name (jb, "seconds");
      json_builder_add_double_value (jb, s->seconds);
    }
  json_builder_end_object (jb);
  return json_builder_get_root (jb);
}

JsonNode *
bp_bisect_outcome_to_json (const BpBisectOutcome *o)
{
  g_autoptr(JsonBuilder) jb = json_builder_new ();
  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "repo");
  json_builder_add_string_value (jb, o->repo);
  json_builder_set_member_name (jb, "bad");
  json_builder_add_string_value (jb, o->bad);
  json_builder_set_member_name (jb, "goods");
  json_builder_begin_array (jb);
  for (guint i = 0; i < o->goods->len; i++)
    json_builder_add_string_value (jb, g_ptr_array_index (o->goods, i));
  json_builder_end_array (jb);
  json_builder_set_member_name (jb, "first_parent");
  json_builder_add_boolean_value (jb, o->first_parent);
  json_builder_set_member_name (jb, "predicate");
  json_builder_add_string_value (jb, o->predicate);
  json_builder_set_member_name (jb, "range");
  json_builder_add_int_value (jb, o->range);
  json_builder_set_member_name (jb, "result");
  json_builder_add_string_value (jb, o->kind == BP_BISECT_OUTCOME_FOUND ? "found" : "ambiguous");
  json_builder_set_member_name (jb, "first_bad");
  if (o->kind == BP_BISECT_OUTCOME_FOUND)
    {
      json_builder_begin_object (jb);
      json_builder_set_member_name (jb, "commit");
      json_builder_add_string_value (jb, o->first_bad);
      json_builder_set_member_name (jb, "subject");
      json_builder_add_string_value (jb, o->first_bad_subject);
      add_string_or_null (jb, "evidence", o->first_bad_evidence);
      add_string_or_null (jb, "parent", o->parent);
      add_string_or_null (jb, "parent_evidence", o->parent_evidence);
      json_builder_end_object (jb);
    }
  else
    json_builder_add_null_value (jb);
  json_builder_set_member_name (jb, "suspects");
  json_builder_begin_array (jb);
  for (guint i = 0; i < o->suspects->len; i++)
    json_builder_add_string_value (jb, g_ptr_array_index (o->suspects, i));
  json_builder_end_array (jb);
  json_builder_set_member_name (jb, "steps");
  json_builder_begin_array (jb);
  for (guint i = 0; i < o->steps->len; i++)
    json_builder_add_value (jb, step_json (&g_array_index (o->steps, BpBisectStep, i)));
  json_builder_end_array (jb);
  json_builder_set_member_name (jb, "tested");
  json_builder_add_int_value (jb, o->tested);
  json_builder_set_member_name (jb, "evaluations");
  json_builder_add_int_value (jb, o->evaluations);
  json_builder_set_member_name (jb, "cache_hits");
  json_builder_add_int_value (jb, o->cache_hits);
  json_builder_set_member_name (jb, "seconds");
  json_builder_add_double_value (jb, o->seconds);
  json_builder_end_object (jb);
  return json_builder_get_root (jb);
}
