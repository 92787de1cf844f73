/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "base/tree-diff.h"

void
bp_tree_change_free (BpTreeChange *c)
{
  if (c == NULL)
    return;
  g_free (c->path);
  g_free (c);
}

static char *
join (const char *prefix, const char *name)
{
  return *prefix ? g_strdup_printf ("%s/%s", prefix, name) : g_strdup (name);
}

static gboolean walk (git_repository *repo, const git_tree *a, const git_tree *b, const char *prefix,
                      GPtrArray *out, GError **error);

/* Every file under ENTRY (a whole subtree added or deleted, or a file). */
static gboolean
one_side (git_repository *repo, const git_tree_entry *e, const char *prefix, gboolean added,
          GPtrArray *out, GError **error)
{
  g_autofree char *path = join (prefix, git_tree_entry_name (e));
  if (git_tree_entry_type (e) == GIT_OBJECT_TREE)
    {
      g_autoptr(git_tree) sub = NULL;
      if (git_tree_lookup (&sub, repo, git_tree_entry_id (e)) != 0)
        return bp_git_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read a tree");
      return added ? walk (repo, NULL, sub, path, out, error) : walk (repo, sub, NULL, path, out, error);
    }
  BpTreeChange *c = g_new0 (BpTreeChange, 1);
  c->path = g_steal_pointer (&path);
  c->status = added ? GIT_DELTA_ADDED : GIT_DELTA_DELETED;
  if (added)
    c->new_id = *git_tree_entry_id (e), c->new_mode = git_tree_entry_filemode (e);
  else
    c->old_id = *git_tree_entry_id (e), c->old_mode = git_tree_entry_filemode (e);
  g_ptr_array_add (out, c);
  return TRUE;
}

/* git sorts tree entries as if a tree's name ended with '/'. */
static int
entry_compare (const git_tree_entry *a, const git_tree_entry *b)
{
  const char *na = git_tree_entry_name (a), *nb = git_tree_entry_name (b);
  size_t la = strlen (na), lb = strlen (nb), n = MIN (la, lb);
  int c = memcmp (na, nb, n);
  if (c)
    return c;
  unsigned char ca = la > n ? na[n] : (git_tree_entry_type (a) == GIT_OBJECT_TREE ? '/' : 0);
  unsigned char cb = lb > n ? nb[n] : (git_tree_entry_type (b) == GIT_OBJECT_TREE ? '/' : 0);
  return ca - cb;
}

static gboolean
both_sides (git_repository *repo, const git_tree_entry *ea, const git_tree_entry *eb, const char *prefix,
            GPtrArray *out, GError **error)
{
  if (git_oid_equal (git_tree_entry_id (ea), git_tree_entry_id (eb))
      && git_tree_entry_filemode (ea) == git_tree_entry_filemode (eb))
    return TRUE;
  gboolean ta = git_tree_entry_type (ea) == GIT_OBJECT_TREE, tb = git_tree_entry_type (eb) == GIT_OBJECT_TREE;
  if (ta && tb)
    {
      g_autoptr(git_tree) sa = NULL, sb = NULL;
      if (git_tree_lookup (&sa, repo, git_tree_entry_id (ea)) != 0
          || git_tree_lookup (&sb, repo, git_tree_entry_id (eb)) != 0)
        return bp_git_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read a tree");
      g_autofree char *path = join (prefix, git_tree_entry_name (ea));
      return walk (repo, sa, sb, path, out, error);
    }
  if (ta || tb)   /* a file became a directory or the other way */
    return one_side (repo, ea, prefix, FALSE, out, error) && one_side (repo, eb, prefix, TRUE, out, error);
  BpTreeChange *c = g_new0 (BpTreeChange, 1);
  c->path = join (prefix, git_tree_entry_name (ea));
  c->status = GIT_DELTA_MODIFIED;
  c->old_id = *git_tree_entry_id (ea), c->old_mode = git_tree_entry_filemode (ea);
  c->new_id = *git_tree_entry_id (eb), c->new_mode = git_tree_entry_filemode (eb);
  g_ptr_array_add (out, c);
  return TRUE;
}

static gboolean
walk (git_repository *repo, const git_tree *a, const git_tree *b, const char *prefix, GPtrArray *out,
      GError **error)
{
  size_t na = a ? git_tree_entrycount (a) : 0, nb = b ? git_tree_entrycount (b) : 0;
  size_t i = 0, j = 0;
  while (i < na || j < nb)
    {
      const git_tree_entry *ea = i < na ? git_tree_entry_byindex (a, i) : NULL;
      const git_tree_entry *eb = j < nb ? git_tree_entry_byindex (b, j) : NULL;
      int c = ea == NULL ? 1 : eb == NULL ? -1 : entry_compare (ea, eb);
      /* same name, one a tree and one a file: they sort apart; pair them by name */
      if (c != 0 && ea && eb && strcmp (git_tree_entry_name (ea), git_tree_entry_name (eb)) == 0)
        c = 0;
      gboolean ok = c < 0 ? one_side (repo, ea, prefix, FALSE, out, error)
                  : c > 0 ? one_side (repo, eb, prefix, TRUE, out, error)
                          : both_sides (repo, ea, eb, prefix, out, error);
      if (!ok)
        return FALSE;
      if (c <= 0)
        i++;
      if (c >= 0)
        j++;
    }
  return TRUE;
}

GPtrArray *
bp_tree_diff (git_repository *repo, const git_tree *old, const git_tree *new, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_tree_change_free);
  if (!walk (repo, old, new, "", out, error))
    return NULL;
  return g_steal_pointer (&out);
}
