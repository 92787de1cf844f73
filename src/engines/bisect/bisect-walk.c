/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bisection range from a repository: resolve the endpoints, then git's
 * limited revision walk (revision.c limit_list) from the bad commit down to
 * the goods, and hand the candidates to the algorithm (bisect.c).
 *
 * bad is interesting, goods are not; commits are taken newest first, an
 * uninteresting commit makes its parents uninteresting, and the walk stops
 * (after git's five commits of slop) once only uninteresting commits are
 * queued.  Each commit is read once: from git's commit-graph file when the
 * repository has one (bisect-graph.h: parents and committer time without
 * inflating the commit, as git itself does), else from the object database.
 *
 * "Is each good an ancestor of bad" falls out of the same walk: a good that
 * a walked commit names as a parent is one.  Only a good the walk did not
 * reach that way costs libgit2's own ancestry check, whose merge-base walk
 * is two thirds of a whole bisection on the real QEMU range. */
#include "engines/bisect/bisect-private.h"
#include "base/commit-graph-walk.h"
#include "base/bp-git.h"

#include <string.h>

static gboolean
git_fail (GError **error, const char *what)
{

  return bp_git_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, what);
}
static gboolean
resolve (git_repository *repo, const char *rev, git_oid *out, GError **error)
{
  git_object *obj = NULL;
  if (git_revparse_single (&obj, repo, rev) < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REV,
                   "unknown revision '%s': give a commit id, tag or branch of this repository", rev);
      return FALSE;
    }
  git_object *peeled = NULL;
  int rc = git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT);
  git_object_free (obj);
  if (rc < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REV,
                   "revision '%s' does not name a commit", rev);
      return FALSE;
    }
  *out = *git_object_id (peeled);
  git_object_free (peeled);
  return TRUE;
}

/* ---- the walk ----------------------------------------------------------- */

#define W_UNINTERESTING 1
#define W_SEEN 2        /* queued once */
#define W_PARSED 4
#define W_DONE 8        /* taken off the queue */
#define W_REACH 16      /* reachable from bad through the commits walked */
#define SLOP 5

typedef struct {
  git_oid oid;
  gint64 date;
  guint n_parents;
  int *parents;         /* walk node indices, once parsed */
  guint8 flags;
} WNode;

typedef struct {
  git_repository *repo;
  git_odb *odb;
  BpCommitGraph *graph; /* NULL: none, read every commit */
  GArray *nodes;        /* WNode */
  GHashTable *index;    /* oid -> index + 1 (keys point into oid_chunks) */
  GPtrArray *oid_chunks;
  GArray *heap;         /* BpQItem over walk nodes */
  GArray *emitted;      /* int: interesting commits in the order taken */
  GArray *scratch;      /* git_oid: parents from the graph */
  GArray *stack;        /* int: for the markers */
  guint seq;
  guint from_graph, from_odb;
} Walk;

#define WNODE(w, i) (&g_array_index ((w)->nodes, WNode, (i)))

static Walk *
walk_new (git_repository *repo)
{
  Walk *w = g_new0 (Walk, 1);
  w->repo = repo;
  w->graph = bp_commit_graph_for_repo (repo, NULL);   /* shared, not ours to free */
  w->nodes = g_array_new (FALSE, FALSE, sizeof (WNode));
  w->index = g_hash_table_new (bp_oid_hash, bp_oid_equal);
  w->oid_chunks = g_ptr_array_new_with_free_func (g_free);
  w->heap = g_array_new (FALSE, FALSE, sizeof (BpQItem));
  w->emitted = g_array_new (FALSE, FALSE, sizeof (int));
  w->scratch = g_array_new (FALSE, FALSE, sizeof (git_oid));
  w->stack = g_array_new (FALSE, FALSE, sizeof (int));
  return w;
}

static void
walk_free (Walk *w)
{
  for (guint i = 0; i < w->nodes->len; i++)
    g_free (WNODE (w, i)->parents);
  g_array_unref (w->nodes);
  g_hash_table_unref (w->index);
  g_ptr_array_unref (w->oid_chunks);
  g_array_unref (w->heap);
  g_array_unref (w->emitted);
  g_array_unref (w->scratch);
  g_array_unref (w->stack);
  if (w->odb)
    git_odb_free (w->odb);
  g_free (w);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Walk, walk_free)

static int
walk_node (Walk *w, const git_oid *oid)
{
  int i = GPOINTER_TO_INT (g_hash_table_lookup (w->index, oid)) - 1;
  if (i >= 0)
    return i;
  WNode n = { *oid, 0, 0, NULL, 0 };
  g_array_append_val (w->nodes, n);
  i = (int) w->nodes->len - 1;
  /* hash keys must not move when the node array grows */
  git_oid *key = g_memdup2 (oid, sizeof *oid);
  g_ptr_array_add (w->oid_chunks, key);
  g_hash_table_insert (w->index, key, GINT_TO_POINTER (i + 1));
  return i;
}

/* Parents and committer time from the raw commit. */
static gboolean
read_commit (Walk *w, const git_oid *oid, gint64 *date, GArray *parents, GError **error)
{
  if (w->odb == NULL && git_repository_odb (&w->odb, w->repo) < 0)
    return git_fail (error, "opening the object database");
  git_odb_object *obj = NULL;
  int rc = git_odb_read (&obj, w->odb, oid);
  if (rc == GIT_ENOTFOUND)
    {
      /* a corrupt or incomplete repository: say which, and what mends it */
      g_autofree char *dir = g_strdup (git_repository_workdir (w->repo) ? git_repository_workdir (w->repo)
                                                                        : git_repository_path (w->repo));
      if (strlen (dir) > 1 && dir[strlen (dir) - 1] == '/')
        dir[strlen (dir) - 1] = '\0';
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT,
                   "%s: commit %s is missing (the repository is incomplete: fetch it again, or run `git fsck`)",
                   dir, git_oid_tostr_s (oid));
      return FALSE;
    }
  if (rc < 0)
    return git_fail (error, "reading a commit");
  if (git_odb_object_type (obj) != GIT_OBJECT_COMMIT)
    {
      git_odb_object_free (obj);
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "object is not a commit");
      return FALSE;
    }
  const char *p = git_odb_object_data (obj);
  const char *end = p + git_odb_object_size (obj);
  *date = 0;
  while (p < end && *p != '\n')
    {
      const char *eol = memchr (p, '\n', end - p);
      if (eol == NULL)
        eol = end;
      git_oid po;
      if (eol - p >= 7 + GIT_OID_HEXSZ && memcmp (p, "parent ", 7) == 0
          && git_oid_fromstrn (&po, p + 7, GIT_OID_HEXSZ) == 0)
        g_array_append_val (parents, po);
      else if (eol - p > 10 && memcmp (p, "committer ", 10) == 0)
        {
          const char *gt = p;
          for (const char *q = p; q < eol; q++)
            if (*q == '>')
              gt = q;
          *date = g_ascii_strtoll (gt + 1, NULL, 10);
        }
      p = eol + 1;
    }
  git_odb_object_free (obj);
  return TRUE;
}

/* OID's committer time and parents (git_oid) from the commit-graph. */
static gboolean
graph_parse (const BpCommitGraph *graph, const git_oid *oid, gint64 *date, GArray *parents)
{
  guint32 pos;
  if (!bp_commit_graph_lookup (graph, oid, &pos))
    return FALSE;
  *date = bp_commit_graph_commit_time (graph, pos);
  guint32 ps[16];
  guint n = bp_commit_graph_parents_into (graph, pos, ps, G_N_ELEMENTS (ps));
  if (n > G_N_ELEMENTS (ps))
    {
      g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (guint32));
      bp_commit_graph_parents (graph, pos, all);
      for (guint k = 0; k < all->len; k++)
        {
          git_oid p;
          bp_commit_graph_oid (graph, g_array_index (all, guint32, k), &p);
          g_array_append_val (parents, p);
        }
      return TRUE;
    }
  for (guint k = 0; k < n; k++)
    {
      git_oid p;
      bp_commit_graph_oid (graph, ps[k], &p);
      g_array_append_val (parents, p);
    }
  return TRUE;
}

static gboolean
walk_parse (Walk *w, int i, GError **error)
{
  if (WNODE (w, i)->flags & W_PARSED)
    return TRUE;
  git_oid oid = WNODE (w, i)->oid;
  gint64 date = 0;
  g_array_set_size (w->scratch, 0);
  if (w->graph && graph_parse (w->graph, &oid, &date, w->scratch))
    w->from_graph++;
  else if (read_commit (w, &oid, &date, w->scratch, error))
    w->from_odb++;
  else
    return FALSE;
  int *parents = g_new (int, MAX (w->scratch->len, 1));
  for (guint k = 0; k < w->scratch->len; k++)
    parents[k] = walk_node (w, &g_array_index (w->scratch, git_oid, k));
  WNode *n = WNODE (w, i);   /* after walk_node: the array may have moved */
  n->date = date;
  n->n_parents = w->scratch->len;
  n->parents = parents;
  n->flags |= W_PARSED;
  return TRUE;
}

static void
walk_push (Walk *w, int i)
{
  WNODE (w, i)->flags |= W_SEEN;
  bp_q_push (w->heap, (BpQItem) { i, WNODE (w, i)->date, w->seq++ });
}

static void
stack_push_parents (Walk *w, int i)
{
  const WNode *n = WNODE (w, i);
  for (guint k = 0; k < n->n_parents; k++)
    g_array_append_val (w->stack, n->parents[k]);
}

static int
stack_pop (Walk *w)
{
  int c = g_array_index (w->stack, int, w->stack->len - 1);
  g_array_set_size (w->stack, w->stack->len - 1);
  return c;
}

/* mark_parents_uninteresting(): through the parents already parsed */
static void
walk_mark_parents_uninteresting (Walk *w, int i)
{
  g_array_set_size (w->stack, 0);
  stack_push_parents (w, i);
  while (w->stack->len > 0)
    {
      int c = stack_pop (w);
      if (WNODE (w, c)->flags & W_UNINTERESTING)
        continue;
      WNODE (w, c)->flags |= W_UNINTERESTING;
      stack_push_parents (w, c);
    }
}

/* I is reachable from bad: so is every parent, and the parents of those
 * already taken off the queue (a child can come after its parent when
 * clocks are skewed). */
static void
walk_mark_reach (Walk *w, int i)
{
  g_array_set_size (w->stack, 0);
  g_array_append_val (w->stack, i);
  while (w->stack->len > 0)
    {
      int c = stack_pop (w);
      if (WNODE (w, c)->flags & W_REACH)
        continue;
      WNODE (w, c)->flags |= W_REACH;
      if (WNODE (w, c)->flags & W_DONE)
        stack_push_parents (w, c);
    }
}

static gboolean
walk_everybody_uninteresting (Walk *w)
{
  for (guint k = 0; k < w->heap->len; k++)
    if (!(WNODE (w, g_array_index (w->heap, BpQItem, k).node)->flags & W_UNINTERESTING))
      return FALSE;
  return TRUE;
}

/* The parents of C, taken off the queue: parsed, queued, marked. */
static gboolean
walk_parents (Walk *w, int c, gboolean first_parent, GError **error)
{
  gboolean unint = (WNODE (w, c)->flags & W_UNINTERESTING) != 0;
  guint np = WNODE (w, c)->n_parents;
  for (guint k = 0; k < np; k++)
    {
      int p = WNODE (w, c)->parents[k];
      if (!walk_parse (w, p, error))
        return FALSE;
      if (unint)
        {
          WNODE (w, p)->flags |= W_UNINTERESTING;
          walk_mark_parents_uninteresting (w, p);
        }
      if (!(WNODE (w, p)->flags & W_SEEN))
        walk_push (w, p);
      if (!unint && first_parent)
        break;
    }
  if (WNODE (w, c)->flags & W_REACH)
    for (guint k = 0; k < np; k++)
      walk_mark_reach (w, WNODE (w, c)->parents[k]);
  return TRUE;
}

static gboolean
limit_walk (Walk *w, int bi, GArray *goods, gboolean first_parent, GError **error)
{
  if (!walk_parse (w, bi, error))
    return FALSE;
  WNODE (w, bi)->flags |= W_REACH;
  walk_push (w, bi);
  for (guint k = 0; k < goods->len; k++)
    {
      int gi = walk_node (w, &g_array_index (goods, git_oid, k));
      if (!walk_parse (w, gi, error))
        return FALSE;
      WNODE (w, gi)->flags |= W_UNINTERESTING;
      if (!(WNODE (w, gi)->flags & W_SEEN))
        walk_push (w, gi);
    }
  gint64 date = G_MAXINT64;
  int slop = SLOP;
  while (w->heap->len > 0)
    {
      int c = bp_q_pop (w->heap).node;
      WNODE (w, c)->flags |= W_DONE;
      if (!walk_parents (w, c, first_parent, error))
        return FALSE;
      if (WNODE (w, c)->flags & W_UNINTERESTING)
        {
          walk_mark_parents_uninteresting (w, c);
          /* still_interesting() */
          if (w->heap->len == 0)
            slop = 0;
          else
            {
              gint64 newest = g_array_index (w->heap, BpQItem, 0).date;
              if (date <= newest || !walk_everybody_uninteresting (w))
                slop = SLOP;
              else
                slop--;
            }
          if (slop)
            continue;
          break;
        }
      date = WNODE (w, c)->date;
      g_array_append_val (w->emitted, c);
    }
  return TRUE;
}

/* Every good must be an ancestor of bad: proven by the walk for the usual
 * ranges, else asked of libgit2. */
static gboolean
check_goods (Walk *w, const git_oid *bad_oid, const char *bad, GArray *good_oids,
             const char *const *goods, GError **error)
{
  for (guint i = 0; i < good_oids->len; i++)
    {
      const git_oid *g = &g_array_index (good_oids, git_oid, i);
      int gi = walk_node (w, g);
      if (WNODE (w, gi)->flags & W_REACH)
        continue;
      int rc = git_graph_descendant_of (w->repo, bad_oid, g);
      if (rc < 0)
        return git_fail (error, "ancestry check");
      if (rc == 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_NOT_ANCESTOR,
                       "good '%s' is not an ancestor of bad '%s': swap them or pick an older good",
                       goods[i], bad);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
resolve_goods (git_repository *repo, const git_oid *bad_oid, const char *bad,
               const char *const *goods, GArray *out, GError **error)
{
  for (guint i = 0; goods[i]; i++)
    {
      git_oid g;
      if (!resolve (repo, goods[i], &g, error))
        return FALSE;
      if (git_oid_equal (&g, bad_oid))
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_NOT_ANCESTOR,
                       "good '%s' and bad '%s' are the same commit", goods[i], bad);
          return FALSE;
        }
      g_array_append_val (out, g);
    }
  return TRUE;
}

/* The candidates (emitted and still interesting) as the algorithm's nodes. */
static BpBisect *
walk_to_bisect (Walk *w, int bi, gboolean first_parent, const char *bad, GError **error)
{
  g_autofree int *remap = g_new (int, w->nodes->len);
  for (guint i = 0; i < w->nodes->len; i++)
    remap[i] = -1;
  guint n = 0;
  for (guint k = 0; k < w->emitted->len; k++)
    {
      int wi = g_array_index (w->emitted, int, k);
      if (!(WNODE (w, wi)->flags & W_UNINTERESTING))
        remap[wi] = (int) n++;
    }
  if (n == 0 || remap[bi] < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_NOT_ANCESTOR,
                   "nothing to bisect between the good revisions and '%s'", bad);
      return NULL;
    }
  g_autofree BpBisectNode *nodes = g_new0 (BpBisectNode, n);
  g_autoptr(GArray) all_parents = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint wi = 0; wi < w->nodes->len; wi++)
    {
      int i = remap[wi];
      if (i < 0)
        continue;
      const WNode *wn = WNODE (w, wi);
      nodes[i].oid = wn->oid;
      nodes[i].date = wn->date;
      nodes[i].n_parents = wn->n_parents;
      for (guint k = 0; k < wn->n_parents; k++)
        {
          int p = remap[wn->parents[k]];
          g_array_append_val (all_parents, p);
        }
    }
  /* pointers into all_parents only once it stops growing */
  guint off = 0;
  for (guint wi = 0; wi < w->nodes->len; wi++)
    {
      int i = remap[wi];
      if (i < 0)
        continue;
      nodes[i].parents = &g_array_index (all_parents, int, off);
      off += nodes[i].n_parents;
    }
  return bp_bisect_new_from_nodes (nodes, n, remap[bi], first_parent);
}

BpBisect *
bp_bisect_new (git_repository *repo, const char *bad, const char *const *goods,
               gboolean first_parent, GError **error)
{
  if (git_repository_is_shallow (repo))
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_SHALLOW,
                   "%s is a shallow clone: bisection needs the whole history (git fetch --unshallow)",
                   git_repository_path (repo));
      return NULL;
    }
  if (goods == NULL || goods[0] == NULL)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REV, "no good revision given");
      return NULL;
    }
  git_oid bad_oid;
  if (!resolve (repo, bad, &bad_oid, error))
    return NULL;
  g_autoptr(GArray) good_oids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  if (!resolve_goods (repo, &bad_oid, bad, goods, good_oids, error))
    return NULL;

  g_autoptr(Walk) w = walk_new (repo);
  int bi = walk_node (w, &bad_oid);
  if (!limit_walk (w, bi, good_oids, first_parent, error)
      || !check_goods (w, &bad_oid, bad, good_oids, goods, error))
    return NULL;
  BpBisect *b = walk_to_bisect (w, bi, first_parent, bad, error);
  if (b)
    bp_bisect_set_goods (b, (const git_oid *) good_oids->data, good_oids->len);
  return b;
}
