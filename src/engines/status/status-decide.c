/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict of one ref from its history evidence and its code.
 *
 * The code decides when it can be read: buggy code is affected whatever
 * trailers and patch-ids say (the fix was reverted, or only half of it
 * landed), and the reason names both.  Unknown is left for code the probe
 * cannot read: a file that cannot be read, or a function reworked so that
 * neither the bug's pattern nor the fix is there while the culprit is. */
#include <string.h>

#include "engines/status/status-probe.h"
#include "engines/status/status-scan.h"

static const char *
first_commit (GPtrArray *evidence)
{
  return evidence->len ? ((BpEvidence *) g_ptr_array_index (evidence, 0))->commit : NULL;
}

/* The revert (in the ref's revert evidence) of fix commit FIX, or NULL. */
static const BpEvidence *
revert_of (const BpRefStatus *r, const char *fix)
{
  for (guint i = 0; fix && i < r->revert_evidence->len; i++)
    {
      const BpEvidence *e = g_ptr_array_index (r->revert_evidence, i);
      if (e->detail && strstr (e->detail, fix))
        return e;
    }
  return NULL;
}

/* Why a ref whose code shows the bug is affected, history or not. */
static char *
why_buggy (const BpRefStatus *r, const char *culprit_how)
{
  const char *file = r->probe.file ? r->probe.file : "the code";
  if (!r->fix_in_history)
    return g_strdup_printf ("%s; %s: %s", culprit_how, file, r->probe.detail);
  /* a fix commit is here, but the code says otherwise: say which and why */
  for (guint i = 0; i < r->fix_evidence->len; i++)
    {
      const BpEvidence *fix = g_ptr_array_index (r->fix_evidence, i);
      const BpEvidence *rev = revert_of (r, fix->commit);
      if (rev)
        return g_strdup_printf ("fix commit %.12s present, but reverted by %.12s; %s: %s", fix->commit,
                                rev->commit, file, r->probe.detail);
    }
  const char *fix = first_commit (r->fix_evidence);
  if (r->probe.partial)
    return g_strdup_printf ("fix commit %.12s present, but %s: %s", fix ? fix : "", file, r->probe.detail);
  return g_strdup_printf ("fix commit %.12s present, but %s still shows the bug: %s", fix ? fix : "", file,
                          r->probe.detail);
}

static char *
culprit_phrase (const BpRefStatus *r, const BpFixPack *pack, gboolean history)
{
  if (r->culprit_present && r->culprit_evidence->len)
    {
      BpEvidence *e = g_ptr_array_index (r->culprit_evidence, 0);
      return g_strdup_printf ("the culprit is here (%s %.12s)", e->how, e->commit);
    }
  if (r->culprit_present)
    return g_strdup ("the culprit's pattern is in the code (no history to name the commit)");
  if (history)
    return g_strdup_printf ("the culprit %.12s is not here (not reachable, no pick, no patch-id twin)",
                            pack->culprit_id);
  return g_strdup ("no history to look for the culprit in");
}

/* Is the bug known never to have come here: history shows no culprit, or,
 * with no history, the pack proved the ref's line not affected. */
static gboolean
never_had_the_bug (const BpRefStatus *r, gboolean history)
{
  if (history)
    return !r->culprit_present;
  return r->line && r->line->verdict == BP_VERDICT_NOT_AFFECTED;
}

void
bp_status_decide (BpRefStatus *r, const BpFixPack *pack, gboolean history)
{
  const char *file = r->probe.file;
  g_autofree char *culprit_how = culprit_phrase (r, pack, history);
  r->fix_present = r->fix_in_history;
  switch (r->probe.state)
    {
    case BP_PROBE_UNREADABLE:
      r->verdict = BP_STATUS_UNKNOWN;
      r->why = g_strdup_printf ("unknown: %s", r->probe.detail);
      break;
    case BP_PROBE_BUGGY:
      r->verdict = BP_STATUS_AFFECTED;
      r->fix_present = FALSE;   /* not in effect, whatever history says */
      r->why = why_buggy (r, culprit_how);
      break;
    case BP_PROBE_FIXED:
      if (!r->fix_in_history && !bp_status_probe_is_specific (pack) && never_had_the_bug (r, history))
        {
          /* a generic probe reads the fix's lines, and code from before the
           * culprit often has them too (the fix restores it) */
          r->verdict = BP_STATUS_NOT_AFFECTED;
          r->why = g_strdup_printf ("%s; %s: the code is as the fix leaves it, as it was before the culprit",
                                    history ? culprit_how : "the pack proves this line not affected",
                                    file ? file : "the code");
          break;
        }
      r->verdict = BP_STATUS_FIXED;
      r->fixed_by = g_strdup (first_commit (r->fix_evidence));
      r->why = g_strdup_printf ("%s: %s%s", file, r->probe.detail,
                                r->fix_in_history ? "" : " (found by content only: no fix commit identified)");
      break;
    case BP_PROBE_CLEAN:
    case BP_PROBE_ABSENT:
      if (r->fix_in_history)
        {
          r->verdict = BP_STATUS_FIXED;
          r->fixed_by = g_strdup (first_commit (r->fix_evidence));
          r->why = g_strdup_printf ("the fix is here by history; the code has moved on (%s)", r->probe.detail);
        }
      else if (!r->culprit_present)
        {
          r->verdict = BP_STATUS_NOT_AFFECTED;
          r->why = g_strdup_printf ("%s; %s", culprit_how, r->probe.detail);
        }
      else
        {
          r->verdict = BP_STATUS_UNKNOWN;
          r->why = g_strdup_printf ("%s, but %s%s%s: the code was reworked and the probe cannot read it; "
                                    "check it by hand", culprit_how, file ? file : "", file ? ": " : "",
                                    r->probe.detail);
        }
      break;
    }
}
