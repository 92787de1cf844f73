/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Renames between a fix's parent and the target.  See pick-renames.h. */
#include <string.h>

#include <git2/sys/hashsig.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "base/tree-diff.h"
#include "engines/pick/pick.h"
#include "engines/pick/pick-renames.h"

/* git's default: a rename keeps at least half of the file. */
#define SIMILAR 50

struct BpPickRenames {
  git_repository *repo;
  git_tree *parent, *base, *target;   /* base NULL: no merge base */
  GPtrArray *deleted_on_fix_side;     /* char* paths in base, gone in parent (lazy) */
  GPtrArray *added_on_target_side;    /* char* paths in target, not in base (lazy) */
  GHashTable *sigs;                   /* git_oid* -> git_hashsig*, NULL when too small */
};

static void
sig_free (gpointer sig)
{
  if (sig)
    git_hashsig_free (sig);
}

void
bp_pick_renames_free (BpPickRenames *r)
{
  if (r == NULL)
    return;
  git_tree_free (r->parent);
  git_tree_free (r->base);
  git_tree_free (r->target);
  g_clear_pointer (&r->deleted_on_fix_side, g_ptr_array_unref);
  g_clear_pointer (&r->added_on_target_side, g_ptr_array_unref);
  g_clear_pointer (&r->sigs, g_hash_table_unref);
  g_free (r);
}

static gboolean
commit_tree (git_repository *repo, const git_oid *oid, git_tree **out)
{
  g_autoptr(git_commit) c = NULL;
  return git_commit_lookup (&c, repo, oid) == 0 && git_commit_tree (out, c) == 0;
}

BpPickRenames *
bp_pick_renames_new (git_repository *repo, const git_oid *parent, const git_oid *target,
                     const git_oid *base, GError **error)
{
  g_autoptr(BpPickRenames) r = g_new0 (BpPickRenames, 1);
  r->repo = repo;
  r->sigs = g_hash_table_new_full (bp_git_oid_hash, bp_git_oid_equal, g_free, sig_free);
  if (!commit_tree (repo, parent, &r->parent) || !commit_tree (repo, target, &r->target))
    {
      bp_git_error (error, BP_PICK_ERROR, BP_PICK_ERROR_GIT, "cannot read the trees to follow renames");
      return NULL;
    }
  if (base)
    commit_tree (repo, base, &r->base);
  return g_steal_pointer (&r);
}

static gboolean
entry_id (git_tree *tree, const char *path, git_oid *out)
{
  g_autoptr(git_tree_entry) e = NULL;
  if (tree == NULL || git_tree_entry_bypath (&e, tree, path) != 0
      || git_tree_entry_type (e) != GIT_OBJECT_BLOB)
    return FALSE;
  *out = *git_tree_entry_id (e);
  return TRUE;
}

/* The rename signature of blob OID; NULL when it has none (too small, or
 * not in the store). */
static git_hashsig *
blob_sig (git_repository *repo, const git_oid *oid)
{
  g_autoptr(git_blob) blob = NULL;
  git_hashsig *sig = NULL;
  if (git_blob_lookup (&blob, repo, oid) != 0
      || git_hashsig_create (&sig, git_blob_rawcontent (blob), git_blob_rawsize (blob),
                             GIT_HASHSIG_SMART_WHITESPACE) != 0)
    return NULL;
  return sig;
}

static int
compare_sigs (git_hashsig *a, git_hashsig *b)
{
  int score = a && b ? git_hashsig_compare (a, b) : 0;
  return score < 0 ? 0 : score;
}

int
bp_pick_blob_similarity (git_repository *repo, const git_oid *a, const git_oid *b)
{
  if (git_oid_equal (a, b))
    return 100;
  git_hashsig *sa = blob_sig (repo, a), *sb = blob_sig (repo, b);
  int score = compare_sigs (sa, sb);
  sig_free (sa);
  sig_free (sb);
  return score;
}

/* The same, with every signature computed once per queue. */
static int
similarity (BpPickRenames *r, const git_oid *a, const git_oid *b)
{
  if (git_oid_equal (a, b))
    return 100;
  git_hashsig *sig[2];
  const git_oid *ids[2] = { a, b };
  for (int i = 0; i < 2; i++)
    {
      gpointer found;
      if (!g_hash_table_lookup_extended (r->sigs, ids[i], NULL, &found))
        {
          found = blob_sig (r->repo, ids[i]);
          g_hash_table_insert (r->sigs, bp_git_oid_dup (ids[i]), found);
        }
      sig[i] = found;
    }
  return compare_sigs (sig[0], sig[1]);
}

/* Paths of files added (ADDED) or deleted (DELETED) from OLD to NEW. */
static GPtrArray *
changed_paths (git_repository *repo, git_tree *old, git_tree *new, git_delta_t status)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) changes = bp_tree_diff (repo, old, new, NULL);
  for (guint i = 0; changes && i < changes->len; i++)
    {
      const BpTreeChange *c = changes->pdata[i];
      if (c->status == status)
        g_ptr_array_add (paths, g_strdup (c->path));
    }
  return paths;
}

/* The path among CANDIDATES (in TREE) whose blob is most like WANT, if any
 * reaches SIMILAR.  Same-directory and same-basename candidates are tried
 * first, and a perfect match stops the search. */
static char *
best_match (BpPickRenames *r, git_tree *tree, GPtrArray *candidates, const git_oid *want,
            int *score_out)
{
  int best = SIMILAR - 1;
  const char *best_path = NULL;
  for (guint i = 0; i < candidates->len && best < 100; i++)
    {
      git_oid id;
      if (!entry_id (tree, candidates->pdata[i], &id))
        continue;
      int s = similarity (r, want, &id);
      if (s > best)
        {
          best = s;
          best_path = candidates->pdata[i];
        }
    }
  *score_out = best;
  return g_strdup (best_path);
}

/* Is the blob at PATH in A the same file as WANT (same or similar)? */
static gboolean
kept (BpPickRenames *r, git_tree *tree, const char *path, const git_oid *want)
{
  git_oid id;
  return entry_id (tree, path, &id) && similarity (r, want, &id) >= SIMILAR;
}

char *
bp_pick_renames_follow (BpPickRenames *r, const char *path, char **why, GError **error)
{
  if (why)
    *why = NULL;
  git_oid fix_blob;
  if (!entry_id (r->parent, path, &fix_blob) || r->base == NULL)
    return entry_id (r->target, path, &fix_blob) ? g_strdup (path) : NULL;

  /* Fast path: the target has the very blob, or the base has it and the
   * target kept it. */
  git_oid tid, bid;
  if (entry_id (r->target, path, &tid) && git_oid_equal (&tid, &fix_blob))
    return g_strdup (path);

  /* Fix's side: the name at the merge base. */
  g_autofree char *at_base = NULL;
  int origin_score = 100;
  if (entry_id (r->base, path, &bid) && similarity (r, &fix_blob, &bid) >= SIMILAR)
    at_base = g_strdup (path);
  else
    {
      if (r->deleted_on_fix_side == NULL)
        r->deleted_on_fix_side = changed_paths (r->repo, r->base, r->parent, GIT_DELTA_DELETED);
      at_base = best_match (r, r->base, r->deleted_on_fix_side, &fix_blob, &origin_score);
      if (at_base == NULL)
        {
          /* New on the fix's side since the merge base (or rewritten):
           * the target can only have it under the same name. */
          return entry_id (r->target, path, &tid) ? g_strdup (path) : NULL;
        }
      if (!entry_id (r->base, at_base, &bid))
        return NULL;
    }

  /* Target's side: the name of the base's file in the target. */
  g_autofree char *in_target = NULL;
  int dest_score = 100;
  if (kept (r, r->target, at_base, &bid))
    in_target = g_strdup (at_base);
  else
    {
      if (r->added_on_target_side == NULL)
        r->added_on_target_side = changed_paths (r->repo, r->base, r->target, GIT_DELTA_ADDED);
      in_target = best_match (r, r->target, r->added_on_target_side, &bid, &dest_score);
      if (in_target == NULL && entry_id (r->target, at_base, &tid))
        in_target = g_strdup (at_base);   /* rewritten in place, not renamed */
    }
  if (in_target && strcmp (in_target, path) != 0 && why)
    {
      if (strcmp (at_base, path) != 0 && strcmp (at_base, in_target) == 0)
        *why = g_strdup_printf ("%s is %s in the target: renamed on the fix's side since the "
                                "merge base (similarity %d%%)", path, in_target, origin_score);
      else if (strcmp (at_base, path) == 0)
        *why = g_strdup_printf ("%s is %s in the target: renamed on the target's side since the "
                                "merge base (similarity %d%%)", path, in_target, dest_score);
      else
        *why = g_strdup_printf ("%s was %s at the merge base and is %s in the target", path, at_base,
                                in_target);
    }
  (void) error;
  return g_steal_pointer (&in_target);
}
