/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The repro predicate, the default for this fix: at each commit, read the
 * file that defines vfio_container_dma_map() straight from the commit's tree
 * (no checkout) and ask the reproducer's tree policy which DMA path that code
 * picks for private (share=off) RAM with an fd.  By file is the bug (bad), by
 * address is good; a tree without the function, or whose decision does not
 * extract or compile, is skipped.
 *
 * The file moves: hw/vfio/container-base.c up to 10.1, hw/vfio/container.c
 * from 10.2, and 10.1 also has a container.c (the legacy type1 container)
 * that does NOT define the function.  So the file is found by what it
 * defines, not by its name; the answer is cached by the hw/vfio tree id, and
 * the verdict by blob id (the policy caches compiled decisions itself). */
#include "engines/bisect/bisect-predicate.h"

#include <string.h>

#include "engines/repro/repro.h"
#include "base/bp-git.h"

#define FUNCTION "vfio_container_dma_map"
#define VFIO_DIR "hw/vfio"

typedef struct {
  BpBisectPredicate parent;
  GHashTable *dir_to_blob;   /* hw/vfio tree id (hex) -> "blobhex path" or "" */
  GHashTable *blob_path;     /* blob id (hex) -> path */
  char *cache_dir;           /* compiled decisions: DIR/repro; NULL: the default */
} ReproPredicate;

static const char *const likely_paths[] = {
  "container.c",        /* 10.2 and later */
  "container-base.c",   /* 9.x to 10.1 */
  NULL,
};

static gboolean
git_fail (GError **error, const char *what)
{
  return bp_git_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, what);
}

static gboolean
blob_defines (git_repository *repo, const git_oid *id, gboolean *defines, GError **error)
{
  git_blob *blob = NULL;
  if (git_blob_lookup (&blob, repo, id) < 0)
    return git_fail (error, "reading a blob");
  *defines = bp_bisect_source_defines (git_blob_rawcontent (blob),
                                       (gsize) git_blob_rawsize (blob), FUNCTION);
  git_blob_free (blob);
  return TRUE;
}

/* Find the file under hw/vfio defining the function: the usual names first,
 * then every .c file there. */
static gboolean
find_definition (ReproPredicate *rp, git_tree *vfio, char **found, GError **error)
{
  git_repository *repo = rp->parent.repo;
  for (guint pass = 0; pass < 2; pass++)
    {
      size_t n = pass == 0 ? g_strv_length ((char **) likely_paths) : git_tree_entrycount (vfio);
      for (size_t i = 0; i < n; i++)
        {
          const git_tree_entry *e;
          if (pass == 0)
            e = git_tree_entry_byname (vfio, likely_paths[i]);
          else
            {
              e = git_tree_entry_byindex (vfio, i);
              if (g_strv_contains (likely_paths, git_tree_entry_name (e))
                  || !g_str_has_suffix (git_tree_entry_name (e), ".c"))
                continue;
            }
          if (e == NULL || git_tree_entry_type (e) != GIT_OBJECT_BLOB)
            continue;
          gboolean defines = FALSE;
          if (!blob_defines (repo, git_tree_entry_id (e), &defines, error))
            return FALSE;
          if (defines)
            {
              char hex[GIT_OID_HEXSZ + 1];
              git_oid_tostr (hex, sizeof hex, git_tree_entry_id (e));
              *found = g_strdup_printf ("%s %s/%s", hex, VFIO_DIR, git_tree_entry_name (e));
              return TRUE;
            }
        }
    }
  *found = g_strdup ("");
  return TRUE;
}

static gboolean
repro_key (BpBisectPredicate *self, git_commit *commit, git_oid *key, GError **error)
{
  ReproPredicate *rp = (ReproPredicate *) self;
  git_tree *root = NULL;
  if (git_commit_tree (&root, commit) < 0)
    return git_fail (error, "reading a tree");
  git_tree_entry *entry = NULL;
  int rc = git_tree_entry_bypath (&entry, root, VFIO_DIR);
  git_tree_free (root);
  memset (key->id, 0xfe, sizeof key->id);   /* "no definition" */
  if (rc < 0)
    return TRUE;
  if (git_tree_entry_type (entry) != GIT_OBJECT_TREE)
    {
      git_tree_entry_free (entry);
      return TRUE;
    }
  char dirhex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (dirhex, sizeof dirhex, git_tree_entry_id (entry));
  const char *found = g_hash_table_lookup (rp->dir_to_blob, dirhex);
  if (found == NULL)
    {
      git_tree *vfio = NULL;
      if (git_tree_lookup (&vfio, self->repo, git_tree_entry_id (entry)) < 0)
        {
          git_tree_entry_free (entry);
          return git_fail (error, "reading hw/vfio");
        }
      char *f = NULL;
      gboolean ok = find_definition (rp, vfio, &f, error);
      git_tree_free (vfio);
      if (!ok)
        {
          git_tree_entry_free (entry);
          return FALSE;
        }
      g_hash_table_insert (rp->dir_to_blob, g_strdup (dirhex), f);
      found = f;
    }
  git_tree_entry_free (entry);
  if (found[0] == '\0')
    return TRUE;
  g_autofree char *blobhex = g_strndup (found, GIT_OID_HEXSZ);
  git_oid_fromstr (key, blobhex);
  if (!g_hash_table_contains (rp->blob_path, blobhex))
    g_hash_table_insert (rp->blob_path, g_strdup (blobhex), g_strdup (found + GIT_OID_HEXSZ + 1));
  return TRUE;
}

static gboolean
repro_evaluate (BpBisectPredicate *self, git_commit *commit, const git_oid *key,
                BpBisectVerdict *verdict, char **evidence, GCancellable *cancellable,
                GError **error)
{
  ReproPredicate *rp = (ReproPredicate *) self;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, key);
  const char *path = g_hash_table_lookup (rp->blob_path, hex);
  if (path == NULL)
    {
      *verdict = BP_VERDICT_SKIP;
      *evidence = g_strdup ("no file under " VFIO_DIR " defines " FUNCTION "()");
      return TRUE;
    }
  git_blob *blob = NULL;
  if (git_blob_lookup (&blob, self->repo, key) < 0)
    return git_fail (error, "reading a blob");
  BpDmaPath dma = BP_DMA_BY_ADDRESS;
  g_autofree char *why = NULL;
  g_autoptr(GError) local = NULL;
  gboolean ok = bp_repro_tree_decision_in (((ReproPredicate *) self)->cache_dir, git_blob_rawcontent (blob),
                                           (gsize) git_blob_rawsize (blob), path, FALSE, &dma, &why, &local);
  git_blob_free (blob);
  if (!ok)
    {
      if (g_error_matches (local, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT)
          || g_error_matches (local, BP_REPRO_ERROR, BP_REPRO_ERROR_COMPILE))
        {
          *verdict = BP_VERDICT_SKIP;
          *evidence = g_strdup (local->message);
          return TRUE;
        }
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", path);
      return FALSE;
    }
  *verdict = dma == BP_DMA_BY_FILE ? BP_VERDICT_BAD : BP_VERDICT_GOOD;
  *evidence = g_strdup_printf ("private RAM mapped %s: %s",
                               dma == BP_DMA_BY_FILE ? "by file (IOMMU_IOAS_MAP_FILE)"
                                                     : "by address (IOMMU_IOAS_MAP)",
                               why && why[0] ? why : path);
  return TRUE;
}

static void
repro_finalize (BpBisectPredicate *self)
{
  ReproPredicate *rp = (ReproPredicate *) self;
  g_hash_table_unref (rp->dir_to_blob);
  g_hash_table_unref (rp->blob_path);
  g_free (rp->cache_dir);
}

void
bp_bisect_predicate_repro_set_cache_dir (BpBisectPredicate *self, const char *cache_dir)
{
  ReproPredicate *rp = (ReproPredicate *) self;
  g_free (rp->cache_dir);
  rp->cache_dir = g_strdup (cache_dir);
}

BpBisectPredicate *
bp_bisect_predicate_repro_new (git_repository *repo, GError **error)
{
  ReproPredicate *rp = (ReproPredicate *)
    bp_bisect_predicate_alloc (sizeof (ReproPredicate), "repro", repo);
  rp->dir_to_blob = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rp->blob_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rp->parent.key = repro_key;
  rp->parent.evaluate = repro_evaluate;
  rp->parent.finalize = repro_finalize;
  return &rp->parent;
}
