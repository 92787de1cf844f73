/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The special commits and who reaches them.
 *
 * Specials are the culprit and the fix under every id they have here (the
 * id itself, a commit whose subject and Fixes:/Closes: trailers are the
 * fix's, picks with "(cherry picked from commit X)", patch-id twins) and
 * the commits that revert one of them.  Reachability of each special from
 * each ref is one bit per special, propagated from parents to children in
 * topological order; a ref's evidence is the specials its commit reaches. */
#include <string.h>

#include "engines/status/status-scan.h"

void
bp_status_add_special (BpScan *s, const git_oid *oid, BpSpecialKind kind, const char *how,
                       const char *detail, guint reverts)
{
  for (guint i = 0; i < s->specials->len; i++)
    {
      BpSpecial *sp = &g_array_index (s->specials, BpSpecial, i);
      if (git_oid_equal (&sp->oid, oid) && sp->kind == kind && (kind != BP_SPECIAL_REVERT || sp->reverts == reverts))
        return;   /* first reason wins: id, then trailers, then picks, then patch-id */
    }
  BpSpecial sp = { .kind = kind, .how = g_strdup (how), .detail = g_strdup (detail), .reverts = reverts };
  git_oid_cpy (&sp.oid, oid);
  sp.node = bp_status_graph_node (&s->graph, oid, FALSE);
  if (sp.node != BP_NODE_NONE && !bp_status_graph_reachable (&s->graph, sp.node))
    sp.node = BP_NODE_NONE;
  g_array_append_val (s->specials, sp);
}

/* The message is the pack's fix: its subject (or a line patch's) and its
 * Fixes: (the culprit) or Closes: (the bug) identity. */
static gboolean
message_is_fix (const char *msg, gsize len, GPtrArray *subjects, const char *culprit_prefix, const char *bug)
{
  const char *nl = memchr (msg, '\n', len);
  gsize slen = nl ? (gsize) (nl - msg) : len;
  while (slen && g_ascii_isspace (msg[slen - 1]))
    slen--;
  gboolean subject = FALSE;
  for (guint i = 0; i < subjects->len && !subject; i++)
    {
      const char *sub = g_ptr_array_index (subjects, i);
      subject = strlen (sub) == slen && memcmp (sub, msg, slen) == 0;
    }
  if (!subject)
    return FALSE;
  g_autofree char *fixes = g_strdup_printf ("Fixes: %s", culprit_prefix);
  return memmem (msg, len, fixes, strlen (fixes)) || (bug && memmem (msg, len, bug, strlen (bug)));
}

gboolean
bp_status_find_trailers (BpScan *s, GError **error)
{
  g_autoptr(GPtrArray) subjects = g_ptr_array_new ();
  if (s->pack->subject)
    g_ptr_array_add (subjects, s->pack->subject);
  for (guint i = 0; i < s->pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (s->pack->lines, i);
      for (guint j = 0; j < line->patches->len; j++)
        if (((BpPatch *) g_ptr_array_index (line->patches, j))->subject)
          g_ptr_array_add (subjects, ((BpPatch *) g_ptr_array_index (line->patches, j))->subject);
    }
  g_autoptr(GArray) hashes = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < subjects->len; i++)
    {
      const char *sub = g_ptr_array_index (subjects, i);
      guint32 h = bp_subject_hash (sub, strlen (sub));
      g_array_append_val (hashes, h);
    }
  g_autofree char *culprit_prefix = g_strndup (s->pack->culprit_id, 7);
  for (guint i = 0; i < s->graph.order->len; i++)
    {
      guint32 node = g_array_index (s->graph.order, guint32, i);
      const BpCacheCommit *cc = bp_scan_facts (s, node);
      if (cc->n_links)
        g_array_append_val (s->linked, node);   /* for the picks and reverts that follow */
      gboolean hit = FALSE;
      for (guint h = 0; h < hashes->len && !hit; h++)
        hit = g_array_index (hashes, guint32, h) == cc->subject_hash;
      if (!hit)
        continue;
      git_oid oid;
      bp_status_graph_oid (&s->graph, node, &oid);
      gsize len = 0;
      g_autofree char *msg = bp_scan_message (s, &oid, &len);
      if (msg && message_is_fix (msg, len, subjects, culprit_prefix, s->pack->bug))
        bp_status_add_special (s, &oid, BP_SPECIAL_FIX, "trailers", "the fix's subject and Fixes:/Closes: trailers", 0);
    }
  (void) error;
  return TRUE;
}

void
bp_status_follow_picks (BpScan *s)
{
  /* the picks in the history, once */
  g_autoptr(GArray) picks = g_array_new (FALSE, FALSE, sizeof (guint32));   /* node, link index pairs */
  for (guint i = 0; i < s->linked->len; i++)
    {
      guint32 node = g_array_index (s->linked, guint32, i);
      BpCacheCommit *cc = bp_scan_facts (s, node);
      for (guint l = 0; l < cc->n_links; l++)
        if (g_array_index (s->cache->links, BpCacheLink, cc->first_link + l).kind == BP_LINK_PICK)
          {
            guint32 link = cc->first_link + l;
            g_array_append_val (picks, node);
            g_array_append_val (picks, link);
          }
    }
  /* picks of anything special, until nothing changes (pick chains) */
  for (gboolean grew = TRUE; grew;)
    {
      grew = FALSE;
      for (guint i = 0; i < picks->len; i += 2)
        {
          guint32 node = g_array_index (picks, guint32, i);
          const git_oid *source = &g_array_index (s->cache->links, BpCacheLink, g_array_index (picks, guint32, i + 1)).target;
          guint before = s->specials->len;
          gboolean kinds[2] = { FALSE, FALSE };
          for (guint j = 0; j < before; j++)
            {
              BpSpecial *sp = &g_array_index (s->specials, BpSpecial, j);
              if (sp->kind != BP_SPECIAL_REVERT && git_oid_equal (&sp->oid, source))
                kinds[sp->kind] = TRUE;
            }
          git_oid picked;
          bp_status_graph_oid (&s->graph, node, &picked);
          g_autofree char *detail = g_strdup_printf ("cherry picked from commit %s", git_oid_tostr_s (source));
          for (int k = 0; k < 2; k++)
            if (kinds[k])
              bp_status_add_special (s, &picked, (BpSpecialKind) k, "cherry-pick", detail, 0);
          grew |= s->specials->len > before;
        }
    }
}
