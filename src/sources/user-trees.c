/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's own trees, LINE=DIR, validated against the pack. */
#include <string.h>

#include "sources/trees-private.h"

gboolean
bp_trees_user_tree (BpTreesCtx *c, const char *spec, BpTree **out, GError **error)
{
  const char *eq = strchr (spec, '=');
  if (eq == NULL || eq == spec || eq[1] == '\0')
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_USER_TREE,
                   "%s: expected LINE=DIR, e.g. 10.2=$HOME/src/qemu-10.2.2", spec);
      return FALSE;
    }
  g_autofree char *line = g_strndup (spec, eq - spec);
  if (!bp_trees_pack_has_line (c->pack, line))
    {
      g_autofree char *all = bp_trees_pack_line_list (c->pack);
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_USER_TREE,
                   "%s: fix pack %s has no line %s (its lines: %s)", spec, c->pack->name, line, all);
      return FALSE;
    }
  g_autofree char *dir = g_canonicalize_filename (eq + 1, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_USER_TREE,
                   "%s: %s is not a directory", spec, dir);
      return FALSE;
    }
  g_autofree char *version = bp_trees_read_version (dir);
  if (version == NULL)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_USER_TREE,
                   "%s: %s has no VERSION file: give the top directory of an unpacked QEMU tree",
                   spec, dir);
      return FALSE;
    }
  const char *served = bp_trees_line_of_version (c->pack, version);
  if (g_strcmp0 (served, line) != 0)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_USER_TREE,
                   "%s: %s/VERSION says %s, which %s%s, not %s",
                   spec, dir, version, served ? "is line " : "is no line of the pack",
                   served ? served : "", line);
      return FALSE;
    }
  BpTree *t = bp_tree_new (line);
  t->kind = BP_TREE_USER;
  t->path = g_steal_pointer (&dir);
  t->version = g_steal_pointer (&version);
  t->origin = g_strdup_printf ("user %s", t->path);
  t->cached = TRUE;
  *out = t;
  return TRUE;
}
