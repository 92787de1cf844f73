/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A file of the tree a patch is repaired against, read safely: the path
 * from the patch stays inside the tree, also through symlinks.  See
 * import-private.h. */
#include <stdlib.h>
#include <string.h>

#include "base/path-safety.h"
#include "base/read-limited.h"
#include "sources/import-private.h"

BpLines *
bp_import_read_tree_file (const char *tree, const char *rel, GError **error)
{
  if (!bp_path_is_safe (rel, error))
    return NULL;
  g_autofree char *path = g_build_filename (tree, rel, NULL);
  g_autofree char *real_tree = realpath (tree, NULL);
  g_autofree char *real = realpath (path, NULL);
  gsize n = real_tree ? strlen (real_tree) : 0;
  if (real == NULL || real_tree == NULL)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_NOT_FOUND,
                   "%s is not in %s: is this the tree the patch is for?", rel, tree);
      return NULL;
    }
  if (strncmp (real, real_tree, n) != 0 || real[n] != '/')
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_UNSAFE, "%s leads out of %s", rel, tree);
      return NULL;
    }
  g_autoptr(GError) local = NULL;
  gsize len;
  g_autofree char *text = bp_read_file_limited (real, BP_PATCH_MAX_SIZE, TRUE, &len, NULL, &local);
  if (text == NULL)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_UNSAFE, "%s/%s: %s", tree, rel, local->message);
      return NULL;
    }
  return bp_lines_new_from_text (text, len);
}
