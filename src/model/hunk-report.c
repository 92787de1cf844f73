/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "model/hunk-report.h"

const char *
bp_hunk_match_to_string (BpHunkMatch how)
{
  switch (how)
    {
    case BP_HUNK_EXACT: return "exact";
    case BP_HUNK_OFFSET: return "offset";
    case BP_HUNK_WHITESPACE: return "whitespace";
    case BP_HUNK_FUZZ: return "fuzz";
    case BP_HUNK_THREE_WAY: return "3-way";
    case BP_HUNK_CONTEXT: return "context";
    case BP_HUNK_FUNCTION: return "function";
    case BP_HUNK_FAILED: return "failed";
    }
  return "?";
}

void
bp_hunk_report_free (BpHunkReport *report)
{
  if (report == NULL)
    return;
  g_free (report->patch);
  g_free (report->file);
  g_free (report->detail);
  g_free (report);
}
