/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status report as data: its objects, names for its enums, and the
 * order of its rows (by line, branches before tags, newest first). */
#include <string.h>

#include "engines/status/status-scan.h"

G_DEFINE_QUARK (bp-history-error-quark, bp_history_error)

const char *const bp_history_default_patterns[] = {
  "refs/tags/v*",
  "refs/heads/stable-*", "refs/heads/staging-*", "refs/heads/master", "refs/heads/main",
  "refs/remotes/*/stable-*", "refs/remotes/*/staging-*", "refs/remotes/*/master", "refs/remotes/*/main",
  NULL,
};

const char *
bp_status_verdict_to_string (BpStatusVerdict verdict)
{
  switch (verdict)
    {
    case BP_STATUS_NOT_AFFECTED: return "not-affected";
    case BP_STATUS_AFFECTED: return "affected";
    case BP_STATUS_FIXED: return "fixed";
    case BP_STATUS_UNKNOWN: return "unknown";
    }
  return "unknown";
}

const char *
bp_probe_state_to_string (BpProbeState state)
{
  switch (state)
    {
    case BP_PROBE_ABSENT: return "absent";
    case BP_PROBE_CLEAN: return "clean";
    case BP_PROBE_BUGGY: return "buggy";
    case BP_PROBE_FIXED: return "fixed";
    case BP_PROBE_UNREADABLE: return "unreadable";
    }
  return "absent";
}

static void
evidence_free (BpEvidence *e)
{
  g_free (e->how);
  g_free (e->commit);
  g_free (e->subject);
  g_free (e->detail);
  g_free (e->first_tag);
  g_free (e);
}

BpEvidence *
bp_evidence_new (const char *how, const char *commit, const char *subject, const char *detail,
                 const char *first_tag)
{
  BpEvidence *e = g_new0 (BpEvidence, 1);
  e->how = g_strdup (how);
  e->commit = g_strdup (commit);
  e->subject = g_strdup (subject);
  e->detail = g_strdup (detail);
  e->first_tag = g_strdup (first_tag);
  return e;
}

static void
ref_status_free (BpRefStatus *r)
{
  g_free (r->name);
  g_free (r->refname);
  g_free (r->kind);
  g_free (r->commit);
  g_free (r->version);
  g_ptr_array_unref (r->culprit_evidence);
  g_ptr_array_unref (r->fix_evidence);
  g_ptr_array_unref (r->revert_evidence);
  g_free (r->probe.file);
  g_free (r->probe.detail);
  g_free (r->fixed_by);
  g_free (r->why);
  g_free (r);
}

BpRefStatus *
bp_ref_status_new (void)
{
  BpRefStatus *r = g_new0 (BpRefStatus, 1);
  r->culprit_evidence = g_ptr_array_new_with_free_func ((GDestroyNotify) evidence_free);
  r->fix_evidence = g_ptr_array_new_with_free_func ((GDestroyNotify) evidence_free);
  r->revert_evidence = g_ptr_array_new_with_free_func ((GDestroyNotify) evidence_free);
  return r;
}

void
bp_status_report_free (BpStatusReport *report)
{
  if (report == NULL)
    return;
  g_free (report->path);
  g_free (report->history_note);
  g_free (report->culprit_first_tag);
  g_free (report->fix_first_tag);
  g_free (report->graph_note);
  g_free (report->cache_note);
  g_clear_pointer (&report->refs, g_ptr_array_unref);
  g_free (report);
}

BpStatusReport *
bp_status_report_new (const char *path)
{
  BpStatusReport *report = g_new0 (BpStatusReport, 1);
  report->path = g_strdup (path);
  report->refs = g_ptr_array_new_with_free_func ((GDestroyNotify) ref_status_free);
  return report;
}

/* "v10.1.0-rc2" -> comparable numbers; a release sorts after its rcs. */
static void
version_key (const char *v, gint64 key[4])
{
  key[0] = key[1] = key[2] = -1;
  key[3] = G_MAXINT64;
  if (v == NULL)
    return;
  if (*v == 'v')
    v++;
  char *endp;
  for (int i = 0; i < 3; i++)
    {
      if (!g_ascii_isdigit (*v))
        return;
      key[i] = g_ascii_strtoll (v, &endp, 10);
      v = endp;
      if (*v == '.')
        v++;
      else
        break;
    }
  const char *rc = strstr (v, "rc");
  if (rc && g_ascii_isdigit (rc[2]))
    key[3] = g_ascii_strtoll (rc + 2, NULL, 10);
}

int
bp_status_version_cmp (const char *a, const char *b)
{
  gint64 ka[4], kb[4];
  version_key (a, ka);
  version_key (b, kb);
  for (int i = 0; i < 4; i++)
    if (ka[i] != kb[i])
      return ka[i] < kb[i] ? -1 : 1;
  return g_strcmp0 (a, b);
}

/* A release tag (v10.1.0, v10.1.0-rc0), not a pull-request tag or v-next. */
gboolean
bp_status_is_release (const char *name)
{
  gint64 key[4];
  version_key (name, key);
  return key[0] >= 0;
}

static int
ref_order (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const BpRefStatus *x = *(BpRefStatus * const *) a, *y = *(BpRefStatus * const *) b;
  const BpFixPack *pack = user_data;
  guint lx = G_MAXUINT, ly = G_MAXUINT;
  for (guint i = 0; i < pack->lines->len; i++)
    {
      if (g_ptr_array_index (pack->lines, i) == x->line)
        lx = i;
      if (g_ptr_array_index (pack->lines, i) == y->line)
        ly = i;
    }
  if (lx != ly)
    return lx < ly ? -1 : 1;
  gboolean tx = g_strcmp0 (x->kind, "tag") == 0, ty = g_strcmp0 (y->kind, "tag") == 0;
  if (tx != ty)
    return tx ? 1 : -1;
  int c = bp_status_version_cmp (tx ? x->name : x->version, ty ? y->name : y->version);
  if (c)
    return -c;
  return g_strcmp0 (x->name, y->name);
}

void
bp_status_sort_refs (BpStatusReport *report, const BpFixPack *pack)
{
  g_ptr_array_sort_with_data (report->refs, ref_order, (gpointer) pack);
}
