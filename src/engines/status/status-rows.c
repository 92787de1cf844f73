/* SPDX-License-Identifier: GPL-2.0-or-later */
/* From the special commits to the report's rows: which special each ref
 * reaches (one bit per special, parents before children), the first
 * release tag holding each, and per ref the evidence, the probe and the
 * verdict. */
#include <string.h>

#include "base/history-git.h"
#include "engines/status/status-scan.h"

typedef struct {
  guint64 *bits;      /* per node, W words */
  guint w;
} Masks;

static gboolean
has_bit (const Masks *m, guint32 node, guint j)
{
  return (m->bits[(gsize) node * m->w + j / 64] >> (j % 64)) & 1;
}

static void
propagate (BpScan *s, Masks *m)
{
  guint n_specials = s->specials->len;
  m->w = (n_specials + 63) / 64;
  m->bits = g_new0 (guint64, (gsize) bp_status_graph_size (&s->graph) * MAX (m->w, 1));
  for (guint j = 0; j < n_specials; j++)
    {
      BpSpecial *sp = &g_array_index (s->specials, BpSpecial, j);
      if (sp->node != BP_NODE_NONE)
        m->bits[(gsize) sp->node * m->w + j / 64] |= G_GUINT64_CONSTANT (1) << (j % 64);
    }
  if (m->w == 0)
    return;
  for (guint i = 0; i < s->graph.order->len; i++)
    {
      guint32 v = g_array_index (s->graph.order, guint32, i);
      guint np;
      const guint32 *ps = bp_status_graph_parents_of (&s->graph, v, &np);
      for (guint p = 0; p < np; p++)
        {
          guint32 pv = ps[p];
          for (guint k = 0; k < m->w; k++)
            m->bits[(gsize) v * m->w + k] |= m->bits[(gsize) pv * m->w + k];
        }
    }
}

static int
tag_cmp (gconstpointer a, gconstpointer b)
{
  return bp_status_version_cmp ((*(BpScanRef *const *) a)->name, (*(BpScanRef *const *) b)->name);
}

/* Each special's first release tag (version order), and its subject. */
static void
first_tags (BpScan *s, const Masks *m, BpStatusReport *report)
{
  g_autoptr(GPtrArray) tags = g_ptr_array_new ();
  for (guint i = 0; i < s->refs->len; i++)
    {
      BpScanRef *r = &g_array_index (s->refs, BpScanRef, i);
      if (g_strcmp0 (r->kind, "tag") == 0 && bp_status_is_release (r->name))
        g_ptr_array_add (tags, r);
    }
  g_ptr_array_sort (tags, tag_cmp);
  for (guint j = 0; j < s->specials->len; j++)
    {
      BpSpecial *sp = &g_array_index (s->specials, BpSpecial, j);
      for (guint i = 0; i < tags->len && sp->node != BP_NODE_NONE && !sp->first_tag; i++)
        if (has_bit (m, ((BpScanRef *) g_ptr_array_index (tags, i))->node, j))
          sp->first_tag = g_strdup (((BpScanRef *) g_ptr_array_index (tags, i))->name);
      g_autoptr(git_commit) c = NULL;
      if (sp->node != BP_NODE_NONE && git_commit_lookup (&c, s->objects, &sp->oid) == 0)
        sp->subject = g_strdup (git_commit_summary (c));
      char **slot = sp->kind == BP_SPECIAL_CULPRIT ? &report->culprit_first_tag
                    : sp->kind == BP_SPECIAL_FIX ? &report->fix_first_tag : NULL;
      if (slot && sp->first_tag && (*slot == NULL || bp_status_version_cmp (sp->first_tag, *slot) < 0))
        {
          g_free (*slot);
          *slot = g_strdup (sp->first_tag);
        }
    }
}

/* The specials REF reaches, as evidence of each kind. */
static void
ref_evidence (BpScan *s, const Masks *m, guint32 node, BpRefStatus *r)
{
  for (guint j = 0; j < s->specials->len; j++)
    {
      BpSpecial *sp = &g_array_index (s->specials, BpSpecial, j);
      if (sp->node == BP_NODE_NONE || !has_bit (m, node, j))
        continue;
      g_autofree char *detail = NULL;
      GPtrArray *into = sp->kind == BP_SPECIAL_CULPRIT ? r->culprit_evidence
                        : sp->kind == BP_SPECIAL_FIX ? r->fix_evidence : r->revert_evidence;
      if (sp->kind == BP_SPECIAL_REVERT)
        {
          BpSpecial *target = &g_array_index (s->specials, BpSpecial, sp->reverts);
          if (target->node == BP_NODE_NONE || !has_bit (m, node, sp->reverts))
            continue;   /* it undoes nothing this ref has */
          detail = g_strdup_printf ("reverts %s (%s) %s", git_oid_tostr_s (&target->oid),
                                    target->kind == BP_SPECIAL_CULPRIT ? "the culprit" : "the fix", sp->detail);
        }
      g_ptr_array_add (into, bp_evidence_new (sp->how, git_oid_tostr_s (&sp->oid), sp->subject,
                                              detail ? detail : sp->detail, sp->first_tag));
    }
  r->culprit_present = r->culprit_evidence->len > 0;
  r->fix_in_history = r->fix_evidence->len > 0;
}

/* A probe's answer as an index note: "state TAB partial TAB file TAB detail". */
static char *
probe_note (const BpProbe *p)
{
  return g_strdup_printf ("%d\t%d\t%s\t%s", (int) p->state, p->partial ? 1 : 0, p->file ? p->file : "",
                          p->detail ? p->detail : "");
}

static gboolean
probe_from_note (const char *note, BpProbe *p)
{
  g_auto(GStrv) f = g_strsplit (note, "\t", 4);
  if (g_strv_length (f) != 4 || f[0][0] < '0' || f[0][0] > '0' + BP_PROBE_UNREADABLE)
    return FALSE;
  *p = (BpProbe) { (BpProbeState) (f[0][0] - '0'), *f[2] ? g_strdup (f[2]) : NULL, g_strdup (f[3]), f[1][0] == '1' };
  return TRUE;
}

/* The ref's tree, read the first time something needs it. */
static git_tree *
ref_tree (BpScan *s, BpScanRef *sr, git_tree **tree, GError **error)
{
  git_oid tree_id;
  if (*tree == NULL && bp_scan_tree (s, sr->node, &tree_id, error)
      && git_tree_lookup (tree, s->objects, &tree_id) < 0)
    bp_scan_git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT, "%s: cannot read the tree of %s", s->path,
                      git_oid_tostr_s (&sr->oid));
  return *tree;
}

/* VERSION and the probe at the ref: from the index (both follow from the
 * commit, and the probe from the pack), else from the tree. */
static gboolean
ref_code (BpScan *s, BpScanRef *sr, GHashTable *memo, BpRefStatus *r, GError **error)
{
  guint32 ci = bp_scan_fact_index (s, sr->node);
  g_autoptr(git_tree) tree = NULL;
  const char *version = bp_status_cache_note (s->cache, ci, BP_NOTE_VERSION);
  if (version == NULL)
    {
      g_autoptr(GError) local = NULL;
      if (ref_tree (s, sr, &tree, error) == NULL)
        return FALSE;
      g_autofree char *read = bp_status_read_version (s, tree, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      bp_status_cache_set_note (s->cache, ci, BP_NOTE_VERSION, read ? read : "");
      version = bp_status_cache_note (s->cache, ci, BP_NOTE_VERSION);
    }
  r->version = *version ? g_strdup (version) : NULL;
  r->line = r->version ? bp_fixpack_line_for_version (s->pack, r->version) : NULL;
  const char *note = bp_status_cache_note (s->cache, ci, BP_NOTE_PROBE (s->probe_fp));
  if (note && probe_from_note (note, &r->probe))
    return TRUE;
  if (ref_tree (s, sr, &tree, error) == NULL || !bp_status_probe_tree (s, r, tree, memo, error))
    return FALSE;
  g_autofree char *made = probe_note (&r->probe);
  bp_status_cache_set_note (s->cache, ci, BP_NOTE_PROBE (s->probe_fp), made);
  return TRUE;
}

static gboolean
ref_row (BpScan *s, const Masks *m, BpScanRef *sr, GHashTable *memo, BpRefStatus *r, GError **error)
{
  r->name = g_strdup (sr->name);
  r->refname = g_strdup (sr->refname);
  r->kind = g_strdup (sr->kind);
  r->commit = g_strdup (git_oid_tostr_s (&sr->oid));
  if (!ref_code (s, sr, memo, r, error))
    return FALSE;
  ref_evidence (s, m, sr->node, r);
  bp_status_decide (r, s->pack, TRUE);
  return TRUE;
}

BpStatusReport *
bp_status_build_report (BpScan *s, GError **error)
{
  Masks m = { 0 };
  propagate (s, &m);
  g_autofree guint64 *bits = m.bits;
  g_autoptr(BpStatusReport) report = bp_status_report_new (s->path);
  report->history = TRUE;
  report->n_refs = s->refs->len;
  report->n_commits = s->graph.order->len;
  first_tags (s, &m, report);
  g_autoptr(GHashTable) memo = bp_status_probe_memo_new ();
  gboolean any_version = FALSE;
  for (guint i = 0; i < s->refs->len; i++)
    {
      BpRefStatus *r = bp_ref_status_new ();
      g_ptr_array_add (report->refs, r);
      if (!ref_row (s, &m, &g_array_index (s->refs, BpScanRef, i), memo, r, error))
        return NULL;
      any_version |= r->version != NULL;
    }
  if (!any_version)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_QEMU,
                   "%s is not a QEMU repository: none of the %u refs has a VERSION file", s->path, s->refs->len);
      return NULL;
    }
  bp_status_sort_refs (report, s->pack);
  return g_steal_pointer (&report);
}
