/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The walk: every commit reachable from the scanned refs, and what each
 * says (author time, subject, the commits it picks or reverts).
 *
 * Parents come from git's commit-graph when it holds the commit, else from
 * the status index, else from reading the commit (then the index keeps
 * them).  Facts come from the index; the commits it does not know are read
 * once, all together (commit-reader.c), and added to it.  So a warm run on
 * a repository with a commit-graph reads no commit at all. */
#include <string.h>

#include "base/history-git.h"
#include "engines/status/status-scan.h"

typedef struct {
  gint64 author_time;
  guint32 subject_hash;
  guint32 n_parents;
  GArray *links;        /* BpCacheLink, NULL when none */
  git_oid *structure;   /* the tree, then the parents; NULL when not wanted */
} Parsed;

typedef struct {
  Parsed *out;
  gboolean structure;
} ParseJob;

guint32
bp_subject_hash (const char *s, gsize len)
{
  while (len && g_ascii_isspace (s[len - 1]))
    len--;
  guint32 h = 2166136261u;
  for (gsize i = 0; i < len; i++)
    h = (h ^ (guint8) s[i]) * 16777619u;
  return h;
}

/* Every "<MARKER><40 hex>" in the message, as links of KIND. */
static void
find_links (const char *msg, gsize len, const char *marker, guint32 kind, GArray **links)
{
  gsize mlen = strlen (marker);
  const char *end = msg + len;
  for (const char *m = memmem (msg, len, marker, mlen); m; m = memmem (m + 1, (gsize) (end - m - 1), marker, mlen))
    {
      const char *hex = m + mlen;
      BpCacheLink link = { .kind = kind };
      if (hex + GIT_OID_HEXSZ > end || git_oid_fromstrn (&link.target, hex, GIT_OID_HEXSZ) < 0)
        continue;
      if (*links == NULL)
        *links = g_array_new (FALSE, FALSE, sizeof (BpCacheLink));
      g_array_append_val (*links, link);
    }
}

/* A raw commit: header lines, a blank line, the message. */
static gboolean
parse_commit (const char *data, gsize size, gboolean structure, Parsed *out)
{
  const char *p = data, *end = data + size;
  git_oid ids[64];
  guint n_ids = 0;
  gboolean have_tree = FALSE;
  out->author_time = 0;
  while (p < end && *p != '\n')
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      gsize llen = (gsize) ((nl ? nl : end) - p);
      if (!have_tree && llen >= 5 + GIT_OID_HEXSZ && memcmp (p, "tree ", 5) == 0)
        have_tree = git_oid_fromstrn (&ids[n_ids++], p + 5, GIT_OID_HEXSZ) == 0;
      else if (have_tree && llen >= 7 + GIT_OID_HEXSZ && memcmp (p, "parent ", 7) == 0)
        {
          if (n_ids == G_N_ELEMENTS (ids) || git_oid_fromstrn (&ids[n_ids++], p + 7, GIT_OID_HEXSZ) < 0)
            return FALSE;
          out->n_parents++;
        }
      else if (llen > 7 && memcmp (p, "author ", 7) == 0)
        {
          const char *gt = g_strrstr_len (p, (gssize) llen, "> ");   /* "author Name <email> TIME TZ" */
          if (gt)
            out->author_time = g_ascii_strtoll (gt + 2, NULL, 10);
        }
      p = nl ? nl + 1 : end;
    }
  if (!have_tree)
    return FALSE;
  if (p < end)
    p++;
  const char *msg = p, *nl = memchr (msg, '\n', (gsize) (end - msg));
  out->subject_hash = bp_subject_hash (msg, (gsize) ((nl ? nl : end) - msg));
  find_links (msg, (gsize) (end - msg), "cherry picked from commit ", BP_LINK_PICK, &out->links);
  find_links (msg, (gsize) (end - msg), "This reverts commit ", BP_LINK_REVERT, &out->links);
  if (structure)
    out->structure = g_memdup2 (ids, sizeof (git_oid) * n_ids);
  return TRUE;
}

static gboolean
parse_cb (guint index, const char *data, gsize len, gpointer user_data)
{
  ParseJob *job = user_data;
  return parse_commit (data, len, job->structure, &job->out[index]);
}

static guint32 *
fact_slot (BpScan *s, guint32 node)
{
  guint32 none = BP_CACHE_NONE;
  while (s->fact->len <= node)
    g_array_append_val (s->fact, none);
  return &g_array_index (s->fact, guint32, node);
}

guint32
bp_scan_fact_index (const BpScan *s, guint32 node)
{
  return node < s->fact->len ? g_array_index (s->fact, guint32, node) : BP_CACHE_NONE;
}

BpCacheCommit *
bp_scan_facts (const BpScan *s, guint32 node)
{
  return bp_status_cache_commit (s->cache, bp_scan_fact_index (s, node));
}

static gboolean
read_failed (BpScan *s, BpCommitReadResult rc, const git_oid *oid, GError **error)
{
  if (rc == BP_COMMIT_READ_MISSING)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT,
                             "%s: commit %s is missing (the repository is incomplete: fetch it again, "
                             "or run `git fsck`)", s->path, git_oid_tostr_s (oid));
  if (rc == BP_COMMIT_READ_NOT_COMMIT)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: %s is not a commit", s->path, git_oid_tostr_s (oid));
  return bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: commit %s does not parse", s->path,
                           git_oid_tostr_s (oid));
}

/* Read OIDS; keep their facts in the index (and, with STRUCTURE, their
 * parents in the index and the graph, and their trees for this run). */
static gboolean
read_commits (BpScan *s, GArray *oids, GArray *nodes, gboolean structure, GError **error)
{
  g_autofree Parsed *parsed = g_new0 (Parsed, oids->len + 1);
  ParseJob job = { parsed, structure };
  guint failed = 0;
  BpCommitReadResult rc = bp_commit_reader_read (s->reader, (const git_oid *) oids->data, oids->len,
                                                 parse_cb, &job, &failed);
  gboolean ok = rc == BP_COMMIT_READ_OK || read_failed (s, rc, &g_array_index (oids, git_oid, failed), error);
  g_autoptr(GArray) pnodes = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) pfacts = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < oids->len; i++)
    {
      Parsed *p = &parsed[i];
      guint32 node = g_array_index (nodes, guint32, i);
      if (ok)
        {
          guint32 ci = bp_status_cache_add (s->cache, &g_array_index (oids, git_oid, i));
          *fact_slot (s, node) = ci;
          bp_status_cache_set_facts (s->cache, ci, p->author_time, p->subject_hash,
                                     p->links ? (BpCacheLink *) p->links->data : NULL, p->links ? p->links->len : 0);
        }
      if (ok && structure)
        {
          g_array_set_size (pnodes, 0);
          g_array_set_size (pfacts, 0);
          for (guint k = 0; k < p->n_parents; k++)
            {
              guint32 pn = bp_status_graph_node (&s->graph, &p->structure[k + 1], TRUE);
              guint32 pc = bp_status_cache_add (s->cache, &p->structure[k + 1]);
              g_array_append_val (pnodes, pn);
              g_array_append_val (pfacts, pc);
            }
          bp_status_graph_set_parents (&s->graph, node, (guint32 *) pnodes->data, pnodes->len);
          bp_status_cache_set_parents (s->cache, *fact_slot (s, node), (guint32 *) pfacts->data, pfacts->len);
          g_hash_table_insert (s->trees, GUINT_TO_POINTER (node), g_memdup2 (&p->structure[0], sizeof (git_oid)));
        }
      if (p->links)
        g_array_unref (p->links);
      g_free (p->structure);
    }
  s->n_read += ok ? oids->len : 0;
  return ok;
}

/* Give the pending extra nodes their parents: from the index, else read. */
static gboolean
expand (BpScan *s, GArray *pending, GError **error)
{
  g_autoptr(GArray) oids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  g_autoptr(GArray) nodes = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) parents = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < pending->len; i++)
    {
      guint32 node = g_array_index (pending, guint32, i);
      git_oid oid;
      bp_status_graph_oid (&s->graph, node, &oid);
      guint32 ci = bp_status_cache_find (s->cache, &oid);
      BpCacheCommit *cc = ci != BP_CACHE_NONE ? bp_status_cache_commit (s->cache, ci) : NULL;
      if (cc == NULL || !(cc->flags & BP_FACT_PARENTS) || !(cc->flags & BP_FACT_READ))
        {
          g_array_append_val (oids, oid);
          g_array_append_val (nodes, node);
          continue;
        }
      *fact_slot (s, node) = ci;
      g_array_set_size (parents, 0);
      for (guint k = 0; k < cc->n_parents; k++)
        {
          guint32 pci = g_array_index (s->cache->parents, guint32, cc->first_parent + k);
          guint32 pn = bp_status_graph_node (&s->graph, bp_status_cache_oid (s->cache, pci), TRUE);
          g_array_append_val (parents, pn);
          cc = bp_status_cache_commit (s->cache, ci);   /* adding nodes does not move the index, but be safe */
        }
      bp_status_graph_set_parents (&s->graph, node, (guint32 *) parents->data, parents->len);
    }
  return oids->len == 0 || read_commits (s, oids, nodes, TRUE, error);
}

/* The index entry of each reachable commit-graph node: the graph's ids and
 * the index's are both sorted, so one merge per graph file. */
static void
join_graph (BpScan *s)
{
  if (s->cg == NULL)
    return;
  fact_slot (s, s->graph.n_cg ? s->graph.n_cg - 1 : 0);
  guint32 n_sorted = s->cache->n_sorted;
  for (guint layer = 0; layer < bp_commit_graph_layers (s->cg); layer++)
    {
      guint32 first, n, k = 0;
      bp_commit_graph_layer_range (s->cg, layer, &first, &n);
      for (guint32 pos = first; pos < first + n; pos++)
        {
          if (!bp_status_graph_reachable (&s->graph, pos))
            continue;
          git_oid oid;
          bp_commit_graph_oid (s->cg, pos, &oid);
          while (k < n_sorted && git_oid_cmp (bp_status_cache_oid (s->cache, k), &oid) < 0)
            k++;
          guint32 ci = k < n_sorted && git_oid_equal (bp_status_cache_oid (s->cache, k), &oid)
                       ? k : bp_status_cache_find (s->cache, &oid);
          g_array_index (s->fact, guint32, pos) = ci;
        }
    }
}

/* Facts for the reachable commit-graph nodes the index does not know. */
static gboolean
read_unknown (BpScan *s, GError **error)
{
  g_autoptr(GArray) oids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  g_autoptr(GArray) nodes = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint32 node = 0; node < s->graph.n_cg; node++)
    {
      if (!bp_status_graph_reachable (&s->graph, node))
        continue;
      guint32 ci = bp_scan_fact_index (s, node);
      if (ci != BP_CACHE_NONE && (bp_status_cache_commit (s->cache, ci)->flags & BP_FACT_READ))
        continue;
      git_oid oid;
      bp_status_graph_oid (&s->graph, node, &oid);
      g_array_append_val (oids, oid);
      g_array_append_val (nodes, node);
    }
  return oids->len == 0 || read_commits (s, oids, nodes, FALSE, error);
}

gboolean
bp_status_walk (BpScan *s, GError **error)
{
  bp_status_graph_init (&s->graph, s->cg);
  g_autoptr(GArray) tips = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < s->refs->len; i++)
    {
      BpScanRef *r = &g_array_index (s->refs, BpScanRef, i);
      r->node = bp_status_graph_node (&s->graph, &r->oid, TRUE);
      g_array_append_val (tips, r->node);
    }
  g_autoptr(GArray) pending = g_array_new (FALSE, FALSE, sizeof (guint32));
  bp_status_graph_mark (&s->graph, (guint32 *) tips->data, tips->len, pending);
  while (pending->len)
    {
      if (!expand (s, pending, error))
        return FALSE;
      g_autoptr(GArray) next = g_array_new (FALSE, FALSE, sizeof (guint32));
      bp_status_graph_mark (&s->graph, (guint32 *) pending->data, pending->len, next);
      g_array_unref (g_steal_pointer (&pending));
      pending = g_steal_pointer (&next);
    }
  fact_slot (s, bp_status_graph_size (&s->graph));
  join_graph (s);
  if (!read_unknown (s, error))
    return FALSE;
  bp_status_graph_sort (&s->graph);
  return TRUE;
}

gboolean
bp_scan_tree (BpScan *s, guint32 node, git_oid *tree, GError **error)
{
  if (node < s->graph.n_cg)
    {
      bp_commit_graph_tree (s->cg, node, tree);
      return TRUE;
    }
  const git_oid *known = g_hash_table_lookup (s->trees, GUINT_TO_POINTER (node));
  if (known)
    {
      git_oid_cpy (tree, known);
      return TRUE;
    }
  git_oid oid;
  bp_status_graph_oid (&s->graph, node, &oid);
  g_autoptr(git_commit) commit = NULL;
  if (git_commit_lookup (&commit, s->objects, &oid) < 0)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT, "%s: commit %s is missing", s->path,
                             git_oid_tostr_s (&oid));
  git_oid_cpy (tree, git_commit_tree_id (commit));
  return TRUE;
}

char *
bp_scan_message (BpScan *s, const git_oid *oid, gsize *len)
{
  g_autoptr(git_commit) commit = NULL;
  if (git_commit_lookup (&commit, s->objects, oid) < 0)
    return NULL;
  const char *msg = git_commit_message_raw (commit);
  *len = strlen (msg);
  return g_strndup (msg, *len);
}
