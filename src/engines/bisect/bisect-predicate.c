/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The part every predicate shares: the verdict cache and small tree helpers. */
#include "engines/bisect/bisect-predicate.h"
#include "model/c-source.h"

#include <string.h>

typedef struct {
  BpBisectVerdict verdict;
  char *evidence;
} CachedVerdict;

static void
cached_verdict_free (gpointer p)
{
  CachedVerdict *c = p;
  g_free (c->evidence);
  g_free (c);
}

static guint
oid_hash (gconstpointer key)
{
  guint h;
  memcpy (&h, ((const git_oid *) key)->id, sizeof h);
  return h;
}

static gboolean
oid_equal (gconstpointer a, gconstpointer b)
{
  return git_oid_equal (a, b);
}

BpBisectPredicate *
bp_bisect_predicate_alloc (gsize size, const char *name, git_repository *repo)
{
  g_assert (size >= sizeof (BpBisectPredicate));
  BpBisectPredicate *p = g_malloc0 (size);
  p->name = name;
  p->repo = repo;
  p->cache = g_hash_table_new_full (oid_hash, oid_equal, g_free, cached_verdict_free);
  return p;
}

void
bp_bisect_predicate_free (BpBisectPredicate *self)
{
  if (self == NULL)
    return;
  if (self->finalize)
    self->finalize (self);
  g_hash_table_unref (self->cache);
  g_free (self->note);
  g_free (self);
}

gboolean
bp_bisect_predicate_test (BpBisectPredicate *self, git_commit *commit, BpBisectVerdict *verdict,
                          char **evidence, GCancellable *cancellable, GError **error)
{
  git_oid key;
  memset (&key, 0, sizeof key);
  if (!self->key (self, commit, &key, error))
    return FALSE;
  gboolean cacheable = !git_oid_is_zero (&key);
  if (cacheable)
    {
      CachedVerdict *c = g_hash_table_lookup (self->cache, &key);
      if (c)
        {
          self->cache_hits++;
          *verdict = c->verdict;
          *evidence = g_strdup (c->evidence);
          return TRUE;
        }
    }
  g_autofree char *ev = NULL;
  BpBisectVerdict v;
  if (!self->evaluate (self, commit, &key, &v, &ev, cancellable, error))
    return FALSE;
  self->evaluations++;
  if (cacheable)
    {
      CachedVerdict *c = g_new0 (CachedVerdict, 1);
      c->verdict = v;
      c->evidence = g_strdup (ev);
      g_hash_table_insert (self->cache, g_memdup2 (&key, sizeof key), c);
    }
  *verdict = v;
  *evidence = g_steal_pointer (&ev);
  return TRUE;
}

gboolean
bp_bisect_blob_at (git_commit *commit, const char *path, git_oid *out, GError **error)
{
  git_tree *tree = NULL;
  if (git_commit_tree (&tree, commit) < 0)
    {
      const git_error *e = git_error_last ();
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "reading a tree: %s",
                   e && e->message ? e->message : "libgit2 error");
      return FALSE;
    }
  git_tree_entry *entry = NULL;
  int rc = git_tree_entry_bypath (&entry, tree, path);
  git_tree_free (tree);
  if (rc < 0)
    return FALSE;
  gboolean is_blob = git_tree_entry_type (entry) == GIT_OBJECT_BLOB;
  if (is_blob)
    *out = *git_tree_entry_id (entry);
  git_tree_entry_free (entry);
  return is_blob;
}

gboolean
bp_bisect_source_defines (const char *source, gsize len, const char *name)
{
  return bp_c_find_definition (source, len, name, NULL) == 1;
}
