/* SPDX-License-Identifier: GPL-2.0-or-later */
/* git trees written out with libgit2, as git archive would.  See git-export.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "sources/git-export.h"
#include "sources/trees-private.h"

gboolean
bp_trees_git_fail (GError **error, const char *what)
{
  return bp_git_error (error, BP_TREES_ERROR, BP_TREES_ERROR_REPO, what);
}

typedef struct {
  git_repository *repo;
  git_oid commit;
  GCancellable *cancellable;
  gboolean has_attributes;   /* the commit's tree has a .gitattributes somewhere */
} Export;

static gboolean
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
export_ignored (Export *x, const char *rel)
{
  if (!x->has_attributes)
    return FALSE;
  git_attr_options ao = GIT_ATTR_OPTIONS_INIT;
  ao.flags = GIT_ATTR_CHECK_INDEX_ONLY | GIT_ATTR_CHECK_INCLUDE_COMMIT;
  git_oid_cpy (&ao.attr_commit_id, &x->commit);
  const char *value = NULL;
  if (git_attr_get_ext (&value, x->repo, &ao, rel, "export-ignore") != 0)
    return FALSE;
  return GIT_ATTR_IS_TRUE (value);
}

static gboolean
export_tree (Export *x, const git_tree *tree, const char *dir, const char *prefix, GError **error)
{
  size_t n = git_tree_entrycount (tree);
  for (size_t i = 0; i < n; i++)
    {
      if (g_cancellable_set_error_if_cancelled (x->cancellable, error))
        return FALSE;
      const git_tree_entry *e = git_tree_entry_byindex (tree, i);
      const char *name = git_tree_entry_name (e);
      g_autofree char *rel = g_strconcat (prefix, name, NULL);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (strcmp (name, ".git") == 0 || strchr (name, '/') || strcmp (name, "..") == 0 || strcmp (name, ".") == 0)
        continue;   /* never write what a checkout would refuse */
      if (export_ignored (x, rel))
        continue;
      git_filemode_t mode = git_tree_entry_filemode (e);
      switch (mode)
        {
        case GIT_FILEMODE_TREE:
          {
            g_autoptr(git_tree) sub = NULL;
            if (git_tree_lookup (&sub, x->repo, git_tree_entry_id (e)) != 0)
              return bp_trees_git_fail (error, rel);
            if (mkdir (path, 0777) != 0)
              {
                int err = errno;
                g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", path, g_strerror (err));
                return FALSE;
              }
            g_autofree char *sub_prefix = g_strconcat (rel, "/", NULL);
            if (!export_tree (x, sub, path, sub_prefix, error))
              return FALSE;
            break;
          }
        case GIT_FILEMODE_COMMIT:
          /* a submodule: git archive writes an empty directory */
          if (mkdir (path, 0777) != 0)
            {
              int err = errno;
              g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", path, g_strerror (err));
              return FALSE;
            }
          break;
        case GIT_FILEMODE_LINK:
          {
            g_autoptr(git_blob) blob = NULL;
            if (git_blob_lookup (&blob, x->repo, git_tree_entry_id (e)) != 0)
              return bp_trees_git_fail (error, rel);
            g_autofree char *target = g_strndup (git_blob_rawcontent (blob), git_blob_rawsize (blob));
            if (symlink (target, path) != 0)
              {
                int err = errno;
                g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "symlink %s: %s", path, g_strerror (err));
                return FALSE;
              }
            break;
          }
        case GIT_FILEMODE_BLOB:
        case GIT_FILEMODE_BLOB_EXECUTABLE:
          {
            g_autoptr(git_blob) blob = NULL;
            if (git_blob_lookup (&blob, x->repo, git_tree_entry_id (e)) != 0)
              return bp_trees_git_fail (error, rel);
            git_buf buf = GIT_BUF_INIT;
            const char *data = git_blob_rawcontent (blob);
            size_t len = git_blob_rawsize (blob);
            if (x->has_attributes)
              {
                git_blob_filter_options fo = GIT_BLOB_FILTER_OPTIONS_INIT;
                /* not CHECK_FOR_BINARY: with it libgit2 returns an empty buffer for
                 * binary blobs; the filters themselves leave binary content alone */
                fo.flags = GIT_BLOB_FILTER_ATTRIBUTES_FROM_COMMIT;
                git_oid_cpy (&fo.attr_commit_id, &x->commit);
                if (git_blob_filter (&buf, blob, rel, &fo) != 0)
                  return bp_trees_git_fail (error, rel);
                data = buf.ptr;
                len = buf.size;
              }
            int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                           mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666);
            gboolean ok = fd >= 0 && write_all (fd, data, len);
            int err = errno;
            if (fd >= 0 && close (fd) != 0 && ok)
              {
                ok = FALSE;
                err = errno;
              }
            git_buf_dispose (&buf);
            if (!ok)
              {
                g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "write %s: %s", path, g_strerror (err));
                return FALSE;
              }
            break;
          }
        default:
          break;
        }
    }
  return TRUE;
}

static gboolean
tree_has_attributes (git_repository *repo, const git_tree *tree)
{
  size_t n = git_tree_entrycount (tree);
  for (size_t i = 0; i < n; i++)
    {
      const git_tree_entry *e = git_tree_entry_byindex (tree, i);
      if (strcmp (git_tree_entry_name (e), ".gitattributes") == 0)
        return TRUE;
      if (git_tree_entry_filemode (e) == GIT_FILEMODE_TREE)
        {
          g_autoptr(git_tree) sub = NULL;
          if (git_tree_lookup (&sub, repo, git_tree_entry_id (e)) == 0 && tree_has_attributes (repo, sub))
            return TRUE;
        }
    }
  return FALSE;
}

gboolean
bp_trees_export_commit_id (git_repository *repo, const git_oid *commit_id, const char *dest,
                           GCancellable *cancellable, GError **error)
{
  g_autoptr(git_commit) commit = NULL;
  g_autoptr(git_tree) tree = NULL;
  if (git_commit_lookup (&commit, repo, commit_id) != 0 || git_commit_tree (&tree, commit) != 0)
    return bp_trees_git_fail (error, "reading the commit to export");
  if (mkdir (dest, 0777) != 0)
    {
      int err = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", dest, g_strerror (err));
      return FALSE;
    }
  Export x = { repo, *commit_id, cancellable, tree_has_attributes (repo, tree) };
  return export_tree (&x, tree, dest, "", error);
}

gboolean
bp_trees_export_tree (git_repository *repo, const git_oid *tree_id, const git_oid *attr_commit,
                      const char *dest, GCancellable *cancellable, GError **error)
{
  g_autoptr(git_tree) tree = NULL;
  if (git_tree_lookup (&tree, repo, tree_id) != 0)
    return bp_trees_git_fail (error, "reading the tree to export");
  if (mkdir (dest, 0777) != 0)
    {
      int err = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", dest, g_strerror (err));
      return FALSE;
    }
  Export x = { repo, *attr_commit, cancellable, tree_has_attributes (repo, tree) };
  return export_tree (&x, tree, dest, "", error);
}

gboolean
bp_trees_export_commit (const char *repo_path, const char *commit, const char *dest,
                        GCancellable *cancellable, GError **error)
{
  bp_git_require ();
  g_autoptr(git_repository) repo = NULL;
  gboolean ok;
  git_object *obj = NULL;
  if (git_repository_open_ext (&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0)
    ok = bp_trees_git_fail (error, repo_path);
  else if (git_revparse_single (&obj, repo, commit) != 0)
    ok = bp_trees_git_fail (error, commit);
  else
    {
      g_autoptr(git_object) peeled = NULL;
      if (git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) != 0)
        ok = bp_trees_git_fail (error, commit);
      else
        ok = bp_trees_export_commit_id (repo, git_object_id (peeled), dest, cancellable, error);
    }
  git_object_free (obj);
  g_clear_pointer (&repo, git_repository_free);
  return ok;
}
