/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Patch-ids: which commits are the culprit or the fix under another id
 * (a backport without a trailer has the original's patch-id), and which
 * undo one (a clean `git revert X` has the patch-id of X's change undone).
 *
 * Only commits that change one of the pack's files are candidates, and only
 * those authored after the original (less a day): each new commit is
 * "examined" once for the pack's path set (does it change those files, and
 * which files does it touch), and the answer is kept in the status index,
 * as are the patch-ids computed. */
#include <string.h>

#include "base/history-git.h"
#include "engines/status/status-scan.h"
#include "model/patch-id.h"

static guint32
files_hash (const char *key)
{
  return bp_subject_hash (key, strlen (key)) | 1;   /* never 0: 0 means "changes none" */
}

static int
str_cmp (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* "a\nb\n": the sorted, unique paths, to compare file sets cheaply. */
static char *
paths_key (GPtrArray *paths)
{
  g_ptr_array_sort (paths, str_cmp);
  GString *key = g_string_new (NULL);
  const char *last = NULL;
  for (guint i = 0; i < paths->len; i++)
    {
      const char *p = g_ptr_array_index (paths, i);
      if (p && g_strcmp0 (p, last) != 0)
        g_string_append_printf (key, "%s\n", p);
      last = p;
    }
  return g_string_free (key, FALSE);
}

/* The diff of commit OID against its first parent (no content read, no
 * renames): what files it touches.  NULL for merges and missing objects. */
static git_diff *
commit_diff (git_repository *repo, const git_oid *oid, gint64 *author_time)
{
  g_autoptr(git_commit) c = NULL;
  g_autoptr(git_commit) parent = NULL;
  g_autoptr(git_tree) tree = NULL;
  g_autoptr(git_tree) ptree = NULL;
  git_diff *diff = NULL;
  if (git_commit_lookup (&c, repo, oid) < 0 || git_commit_tree (&tree, c) < 0 || git_commit_parentcount (c) > 1)
    return NULL;
  if (author_time)
    *author_time = git_commit_author (c)->when.time;
  if (git_commit_parentcount (c) == 1 && (git_commit_parent (&parent, c, 0) < 0 || git_commit_tree (&ptree, parent) < 0))
    return NULL;
  if (git_diff_tree_to_tree (&diff, repo, ptree, tree, NULL) < 0)
    return NULL;
  return diff;
}

static char *
diff_paths_key (git_diff *diff)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  for (gsize i = 0; i < git_diff_num_deltas (diff); i++)
    {
      const git_diff_delta *d = git_diff_get_delta (diff, i);
      if (d->old_file.path && d->status != GIT_DELTA_ADDED)
        g_ptr_array_add (paths, (gpointer) d->old_file.path);
      if (d->new_file.path && d->status != GIT_DELTA_DELETED)
        g_ptr_array_add (paths, (gpointer) d->new_file.path);
    }
  return paths_key (paths);
}

/* What the culprit is (its patch-id, the files it touches and its files'
 * hash, its author time): from the index, else from its diff (then kept). */
static gboolean
culprit_facts (BpScan *s, const git_oid *culprit, git_oid *pid, char **files, gint64 *when)
{
  guint32 ci = bp_status_cache_add (s->cache, culprit);
  const char *note = bp_status_cache_note (s->cache, ci, BP_NOTE_FILES);
  const git_oid *known = bp_status_cache_pid (s->cache, ci, FALSE);
  BpCacheCommit *cc = bp_status_cache_commit (s->cache, ci);
  if (note && known && (cc->flags & BP_FACT_READ))
    {
      git_oid_cpy (pid, known);
      *files = g_strdup (note);
      *when = cc->author_time;
      return !git_oid_is_zero (pid) && *note;
    }
  g_autoptr(git_diff) diff = commit_diff (s->objects, culprit, when);
  if (diff == NULL || git_diff_num_deltas (diff) == 0 || !bp_patch_id_from_commit (s->objects, culprit, pid, NULL))
    return FALSE;
  *files = diff_paths_key (diff);
  if (cc->flags & BP_FACT_READ)   /* the author time is part of the facts: keep only complete ones */
    {
      bp_status_cache_set_note (s->cache, ci, BP_NOTE_FILES, *files);
      bp_status_cache_set_pid (s->cache, ci, FALSE, pid);
    }
  return TRUE;
}

/* The culprit as a target, and its files in the function's directory (all
 * of them when the pack names none) as probe paths. */
static void
culprit_target (BpScan *s, const git_oid *culprit)
{
  gint64 when = G_MININT64;
  g_autofree char *file_list = NULL;
  BpPidTarget t = { .culprit = TRUE };
  if (!culprit_facts (s, culprit, &t.pid, &file_list, &when))
    return;
  g_auto(GStrv) files = g_strsplit (file_list, "\n", -1);   /* sorted, one a line, a final "" */
  t.files_hash = files_hash (file_list);
  t.label = g_strdup ("the culprit");
  g_array_append_val (s->targets, t);
  s->min_time = MIN (s->min_time, when);
  const char *dir = s->pack->function_dir;
  guint added = 0;
  for (guint i = 0; files[i] && *files[i]; i++)
    if (dir == NULL || g_str_has_prefix (files[i], dir))
      bp_path_set_add (s->paths, files[i]), added++;
  if (added == 0 && files[0] && *files[0])
    bp_path_set_add (s->paths, files[0]);
}

gboolean
bp_status_prepare_targets (BpScan *s, GError **error)
{
  BpFixPack *pack = s->pack;
  gboolean bounded = TRUE;
  s->min_time = G_MAXINT64;
  s->paths = bp_path_set_new (s->reader);
  git_oid culprit;
  if (git_oid_fromstr (&culprit, pack->culprit_id) == 0 && git_odb_exists (s->odb, &culprit))
    culprit_target (s, &culprit);
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (pack->lines, i);
      if (line->file)
        bp_path_set_add (s->paths, line->file);
      for (guint j = 0; j < line->patches->len; j++)
        {
          BpPatch *patch = g_ptr_array_index (line->patches, j);
          BpPidTarget t = { .culprit = FALSE };
          if (!bp_patch_id_from_patch (patch, &t.pid, NULL))
            continue;
          g_autoptr(GPtrArray) paths = g_ptr_array_new ();
          for (guint f = 0; f < patch->files->len; f++)
            {
              BpFileDiff *fd = g_ptr_array_index (patch->files, f);
              g_ptr_array_add (paths, fd->old_path);
              g_ptr_array_add (paths, fd->new_path);
              if (fd->new_path)
                bp_path_set_add (s->paths, fd->new_path);
            }
          g_autofree char *key = paths_key (paths);
          t.files_hash = files_hash (key);
          t.label = g_strdup_printf ("line %s's %s", line->name, (char *) g_ptr_array_index (line->patch_names, j));
          g_array_append_val (s->targets, t);
          if (patch->date)
            s->min_time = MIN (s->min_time, g_date_time_to_unix (patch->date));
          else
            bounded = FALSE;
        }
    }
  /* clocks and time zones: a day of slack */
  s->min_time = bounded && s->min_time != G_MAXINT64 ? s->min_time - 86400 : G_MININT64;
  g_autofree char *key = bp_path_set_key (s->paths);
  s->section = bp_status_cache_section (s->cache, g_str_hash (key) | (guint64) files_hash (key) << 32);
  (void) error;
  return TRUE;
}

/* The pack's files' blob ids in NODE's tree (memoised for the run). */
static const git_oid *
node_paths (BpScan *s, GHashTable *memo, guint32 node, GError **error)
{
  git_oid *vec = g_hash_table_lookup (memo, GUINT_TO_POINTER (node));
  if (vec)
    return vec;
  git_oid tree, missing;
  if (!bp_scan_tree (s, node, &tree, error))
    return NULL;
  vec = g_new0 (git_oid, bp_path_set_size (s->paths) + 1);
  if (!bp_path_set_resolve (s->paths, &tree, vec, &missing))
    {
      g_free (vec);
      bp_scan_git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT, "%s: tree %s is missing", s->path,
                        git_oid_tostr_s (&missing));
      return NULL;
    }
  g_hash_table_insert (memo, GUINT_TO_POINTER (node), vec);
  return vec;
}

/* Does NODE change one of the pack's files?  Then the hash of its files. */
static gboolean
examine_one (BpScan *s, GHashTable *memo, guint32 node, guint32 *hash, GError **error)
{
  *hash = 0;
  guint np;
  const guint32 *parents = bp_status_graph_parents_of (&s->graph, node, &np);
  if (np > 1)
    return TRUE;   /* a merge brings changes, it does not make one */
  guint k = bp_path_set_size (s->paths);
  const git_oid *mine = node_paths (s, memo, node, error);
  const git_oid *theirs = mine && np ? node_paths (s, memo, parents[0], error) : NULL;
  if (mine == NULL || (np && theirs == NULL))
    return FALSE;
  gboolean changed = FALSE;
  for (guint p = 0; p < k && !changed; p++)
    changed = theirs ? !git_oid_equal (&mine[p], &theirs[p]) : !git_oid_is_zero (&mine[p]);
  if (!changed)
    return TRUE;
  git_oid oid;
  bp_status_graph_oid (&s->graph, node, &oid);
  g_autoptr(git_diff) diff = commit_diff (s->objects, &oid, NULL);
  if (diff)
    {
      g_autofree char *key = diff_paths_key (diff);
      *hash = files_hash (key);
    }
  return TRUE;
}

gboolean
bp_status_examine (BpScan *s, GError **error)
{
  if (bp_path_set_size (s->paths) == 0 || s->targets->len == 0)
    return TRUE;
  g_autoptr(GHashTable) memo = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  guint8 bit = (guint8) (1u << s->section);
  for (guint i = 0; i < s->graph.order->len; i++)
    {
      guint32 node = g_array_index (s->graph.order, guint32, i);
      BpCacheCommit *cc = bp_scan_facts (s, node);
      if (cc->author_time < s->min_time)
        continue;
      guint32 hash = 0;
      if (cc->examined & bit)
        hash = bp_status_cache_touch (s->cache, bp_scan_fact_index (s, node), s->section);
      else if (examine_one (s, memo, node, &hash, error))
        bp_status_cache_set_touch (s->cache, bp_scan_fact_index (s, node), s->section, hash);
      else
        return FALSE;
      if (hash)
        g_array_append_val (s->touching, node);
    }
  return TRUE;
}

/* The patch-id of NODE (or of its change undone), computed once ever. */
static const git_oid *
node_pid (BpScan *s, guint32 node, gboolean reverse)
{
  guint32 ci = bp_scan_fact_index (s, node);
  const git_oid *pid = bp_status_cache_pid (s->cache, ci, reverse);
  if (pid)
    return pid;
  git_oid oid, computed;
  bp_status_graph_oid (&s->graph, node, &oid);
  gboolean ok = reverse ? bp_patch_id_from_commit_reverse (s->objects, &oid, &computed, NULL)
                        : bp_patch_id_from_commit (s->objects, &oid, &computed, NULL);
  if (!ok)
    git_oid_fromstr (&computed, "0000000000000000000000000000000000000000");   /* none: remembered too */
  bp_status_cache_set_pid (s->cache, ci, reverse, &computed);
  return bp_status_cache_pid (s->cache, ci, reverse);
}

static guint32
node_touch (const BpScan *s, guint32 node)
{
  return bp_status_cache_touch (s->cache, bp_scan_fact_index (s, node), s->section);
}

gboolean
bp_status_find_twins (BpScan *s, GError **error)
{
  for (guint i = 0; i < s->touching->len && s->targets->len; i++)
    {
      guint32 node = g_array_index (s->touching, guint32, i), hash = node_touch (s, node);
      gboolean candidate = FALSE;
      for (guint t = 0; t < s->targets->len && !candidate; t++)
        candidate = hash && g_array_index (s->targets, BpPidTarget, t).files_hash == hash;
      if (!candidate)
        continue;
      s->n_candidates++;
      const git_oid *pid = node_pid (s, node, FALSE);
      git_oid oid;
      bp_status_graph_oid (&s->graph, node, &oid);
      for (int culprit = 0; culprit < 2; culprit++)
        {
          g_autoptr(GString) labels = g_string_new (NULL);
          for (guint t = 0; t < s->targets->len; t++)
            {
              BpPidTarget *tg = &g_array_index (s->targets, BpPidTarget, t);
              if (tg->culprit == culprit && git_oid_equal (pid, &tg->pid))
                g_string_append_printf (labels, "%s%s", labels->len ? ", " : "", tg->label);
            }
          if (labels->len == 0)
            continue;
          g_autofree char *detail = g_strdup_printf ("same patch-id as %s", labels->str);
          bp_status_add_special (s, &oid, culprit ? BP_SPECIAL_CULPRIT : BP_SPECIAL_FIX, "patch-id", detail, 0);
        }
    }
  (void) error;
  return TRUE;
}

/* Reverts of special J: commits touching its files whose patch-id is the
 * inverse of its own. */
static void
reverts_of (BpScan *s, guint j)
{
  BpSpecial *sp = &g_array_index (s->specials, BpSpecial, j);
  guint32 node = sp->node, hash = node_touch (s, node);
  if (hash == 0)
    return;   /* it changes none of the pack's files: its reverts are not candidates */
  git_oid inverse = *node_pid (s, node, TRUE);
  if (git_oid_is_zero (&inverse))
    return;
  for (guint i = 0; i < s->touching->len; i++)
    {
      guint32 other = g_array_index (s->touching, guint32, i);
      if (other == node || node_touch (s, other) != hash)
        continue;
      s->n_candidates++;
      if (!git_oid_equal (node_pid (s, other, FALSE), &inverse))
        continue;
      git_oid oid;
      bp_status_graph_oid (&s->graph, other, &oid);
      sp = &g_array_index (s->specials, BpSpecial, j);
      g_autofree char *detail = g_strdup_printf ("undoes %.12s: its patch-id is the inverse of that commit's",
                                                 git_oid_tostr_s (&sp->oid));
      bp_status_add_special (s, &oid, BP_SPECIAL_REVERT, "revert", detail, j);
    }
}

gboolean
bp_status_find_reverts (BpScan *s, GError **error)
{
  guint n = s->specials->len;
  for (guint j = 0; j < n; j++)
    {
      BpSpecial *sp = &g_array_index (s->specials, BpSpecial, j);
      if (sp->kind != BP_SPECIAL_REVERT && sp->node != BP_NODE_NONE)
        reverts_of (s, j);
    }
  /* and those that say so ("This reverts commit X."), clean or not */
  for (guint i = 0; i < s->linked->len; i++)
    {
      guint32 node = g_array_index (s->linked, guint32, i);
      BpCacheCommit *cc = bp_scan_facts (s, node);
      for (guint l = 0; l < cc->n_links; l++)
        {
          const BpCacheLink *link = &g_array_index (s->cache->links, BpCacheLink, cc->first_link + l);
          for (guint j = 0; link->kind == BP_LINK_REVERT && j < n; j++)
            {
              BpSpecial *sp = &g_array_index (s->specials, BpSpecial, j);
              if (sp->kind == BP_SPECIAL_REVERT || !git_oid_equal (&sp->oid, &link->target))
                continue;
              git_oid oid;
              bp_status_graph_oid (&s->graph, node, &oid);
              g_autofree char *detail = g_strdup_printf ("says \"This reverts commit %.12s\"", git_oid_tostr_s (&link->target));
              bp_status_add_special (s, &oid, BP_SPECIAL_REVERT, "revert", detail, j);
              cc = bp_scan_facts (s, node);
            }
        }
    }
  (void) error;
  return TRUE;
}
