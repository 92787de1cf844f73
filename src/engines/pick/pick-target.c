/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the tree a pick goes onto.  See pick-target.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/git-autoptr.h"
#include "base/path-safety.h"
#include "engines/pick/pick.h"
#include "engines/pick/pick-target.h"
#include "model/patch.h"

struct BpPickTarget {
  git_repository *repo;   /* tree targets */
  git_tree *tree;
  char *dir;              /* directory targets: realpath */
};

BpPickTarget *
bp_pick_target_new_tree (git_repository *repo, git_tree *tree)
{
  BpPickTarget *t = g_new0 (BpPickTarget, 1);
  t->repo = repo;
  t->tree = tree;
  return t;
}

BpPickTarget *
bp_pick_target_new_dir (const char *dir, GError **error)
{
  g_autofree char *real = realpath (dir, NULL);
  if (real == NULL || !g_file_test (real, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET,
                   "%s is not a directory: give the top of a source tree", dir);
      return NULL;
    }
  BpPickTarget *t = g_new0 (BpPickTarget, 1);
  t->dir = g_steal_pointer (&real);
  return t;
}

void
bp_pick_target_free (BpPickTarget *target)
{
  if (target == NULL)
    return;
  g_free (target->dir);
  g_free (target);
}

git_tree *
bp_pick_target_tree (BpPickTarget *target)
{
  return target->tree;
}

static gboolean
read_tree_file (BpPickTarget *t, const char *path, GBytes **content, guint *mode, git_oid *oid,
                GError **error)
{
  g_autoptr(git_tree_entry) entry = NULL;
  if (git_tree_entry_bypath (&entry, t->tree, path) != 0)
    return TRUE;
  git_filemode_t m = git_tree_entry_filemode (entry);
  if (m == GIT_FILEMODE_TREE)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_UNSAFE, "%s is a directory in the target", path);
      return FALSE;
    }
  if (mode)
    *mode = m;
  if (oid)
    *oid = *git_tree_entry_id (entry);
  if (m == GIT_FILEMODE_COMMIT)
    {
      *content = g_bytes_new (NULL, 0);   /* a submodule: only its id matters */
      return TRUE;
    }
  g_autoptr(git_blob) blob = NULL;
  if (git_blob_lookup (&blob, t->repo, git_tree_entry_id (entry)) != 0)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_GIT, "%s: blob %s is not in the object store",
                   path, git_oid_tostr_s (git_tree_entry_id (entry)));
      return FALSE;
    }
  *content = g_bytes_new (git_blob_rawcontent (blob), git_blob_rawsize (blob));
  return TRUE;
}

/* Every directory on the way to PATH resolves inside the tree. */
static gboolean
dir_path_inside (BpPickTarget *t, const char *path, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (path);
  if (strcmp (parent, ".") == 0)
    return TRUE;
  g_autofree char *full = g_build_filename (t->dir, parent, NULL);
  g_autofree char *real = realpath (full, NULL);
  if (real == NULL)
    return TRUE;  /* does not exist: nothing to read there */
  gsize n = strlen (t->dir);
  if (strncmp (real, t->dir, n) != 0 || (real[n] != '/' && real[n] != '\0'))
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_UNSAFE,
                   "refusing to read %s: its directory leads out of the tree through a symlink", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_dir_file (BpPickTarget *t, const char *path, GBytes **content, guint *mode, git_oid *oid,
               GError **error)
{
  if (!dir_path_inside (t, path, error))
    return FALSE;
  g_autofree char *full = g_build_filename (t->dir, path, NULL);
  struct stat st;
  if (lstat (full, &st) != 0)
    return TRUE;
  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_file_read_link (full, NULL);
      if (mode)
        *mode = GIT_FILEMODE_LINK;
      *content = g_bytes_new (target ? target : "", target ? strlen (target) : 0);
      if (oid)
        git_odb_hash (oid, target ? target : "", target ? strlen (target) : 0, GIT_OBJECT_BLOB);
      return TRUE;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > BP_PATCH_MAX_SIZE)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_UNSAFE,
                   "refusing to read %s: not a regular file of sane size", path);
      return FALSE;
    }
  if (mode)
    *mode = (st.st_mode & 0111) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (full, &data, &len, &local))
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET, "cannot read %s: %s", path, local->message);
      return FALSE;
    }
  if (oid)
    git_odb_hash (oid, data, len, GIT_OBJECT_BLOB);
  *content = g_bytes_new_take (g_steal_pointer (&data), len);
  return TRUE;
}

gboolean
bp_pick_target_read (BpPickTarget *target, const char *path, GBytes **content, guint *mode,
                     git_oid *oid, GError **error)
{
  *content = NULL;
  g_autoptr(GError) unsafe = NULL;
  if (!bp_path_is_safe (path, &unsafe))
    {
      g_set_error_literal (error, BP_PICK_ERROR, BP_PICK_ERROR_UNSAFE, unsafe->message);
      return FALSE;
    }
  if (target->tree)
    return read_tree_file (target, path, content, mode, oid, error);
  return read_dir_file (target, path, content, mode, oid, error);
}

gboolean
bp_pick_target_exists (BpPickTarget *target, const char *path)
{
  if (!bp_path_is_safe (path, NULL))
    return FALSE;
  if (target->tree)
    {
      g_autoptr(git_tree_entry) entry = NULL;
      return git_tree_entry_bypath (&entry, target->tree, path) == 0
             && git_tree_entry_filemode (entry) != GIT_FILEMODE_TREE;
    }
  g_autofree char *full = g_build_filename (target->dir, path, NULL);
  struct stat st;
  return lstat (full, &st) == 0 && !S_ISDIR (st.st_mode);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
bp_pick_target_list (BpPickTarget *target, const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  if (target->tree)
    {
      g_autoptr(git_tree) sub = NULL;
      const git_tree *t = target->tree;
      if (dir && *dir)
        {
          g_autoptr(git_tree_entry) e = NULL;
          if (git_tree_entry_bypath (&e, target->tree, dir) != 0
              || git_tree_entry_type (e) != GIT_OBJECT_TREE
              || git_tree_lookup (&sub, target->repo, git_tree_entry_id (e)) != 0)
            return names;
          t = sub;
        }
      for (size_t i = 0; i < git_tree_entrycount (t); i++)
        {
          const git_tree_entry *e = git_tree_entry_byindex (t, i);
          if (git_tree_entry_type (e) == GIT_OBJECT_BLOB)
            g_ptr_array_add (names, g_strdup (git_tree_entry_name (e)));
        }
    }
  else
    {
      if (dir && *dir && !bp_path_is_safe (dir, NULL))
        return names;
      g_autofree char *full = g_build_filename (target->dir, dir ? dir : "", NULL);
      g_autoptr(GDir) d = g_dir_open (full, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)))
        {
          g_autofree char *p = g_build_filename (full, name, NULL);
          struct stat st;
          if (lstat (p, &st) == 0 && S_ISREG (st.st_mode))
            g_ptr_array_add (names, g_strdup (name));
        }
    }
  g_ptr_array_sort (names, compare_names);
  return names;
}
