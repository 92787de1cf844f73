/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pick engine's shared types.  See pick.h. */
#include "engines/pick/pick.h"
#include "engines/pick/pick-history.h"

G_DEFINE_QUARK (bp-pick-error-quark, bp_pick_error)

const char *
bp_pick_verdict_to_string (BpPickVerdict verdict)
{
  switch (verdict)
    {
    case BP_PICK_PRESENT: return "present";
    case BP_PICK_NOT_NEEDED: return "not-needed";
    case BP_PICK_APPLIED: return "applied";
    case BP_PICK_NEEDS_HUMAN: return "needs-human";
    }
  return "?";
}

static void
placement_free (BpPickPlacement *p)
{
  g_free (p->fix_path);
  g_free (p->target_path);
  g_free (p->why);
  g_free (p);
}

BpPickResult *
bp_pick_result_new (BpPickItem *item)
{
  BpPickResult *r = g_new0 (BpPickResult, 1);
  r->item = item;
  r->evidence = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_pick_evidence_free);
  r->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  r->placements = g_ptr_array_new_with_free_func ((GDestroyNotify) placement_free);
  return r;
}

void
bp_pick_result_add_placement (BpPickResult *r, const char *fix_path, const char *target_path,
                              const char *why)
{
  BpPickPlacement *p = g_new0 (BpPickPlacement, 1);
  p->fix_path = g_strdup (fix_path);
  p->target_path = g_strdup (target_path);
  p->why = g_strdup (why);
  g_ptr_array_add (r->placements, p);
}

void
bp_pick_result_free (BpPickResult *r)
{
  if (r == NULL)
    return;
  bp_pick_item_free (r->item);
  g_ptr_array_unref (r->evidence);
  g_ptr_array_unref (r->hunks);
  g_ptr_array_unref (r->placements);
  g_free (r->how);
  g_free (r->why);
  g_free (r->conflict);
  g_free (r->note);
  g_free (r->diff);
  g_free (r->tree);
  g_free (r->commit);
  g_free (r->check);
  g_free (r);
}

gboolean
bp_pick_results_all_done (GPtrArray *results)
{
  for (guint i = 0; i < results->len; i++)
    if (((BpPickResult *) results->pdata[i])->verdict == BP_PICK_NEEDS_HUMAN)
      return FALSE;
  return TRUE;
}
