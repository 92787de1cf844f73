/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compiling a pick with the target's own build.  See pick-check.h. */
#include <string.h>

#include <glib/gstdio.h>

#include "base/fs.h"
#include "engines/build/build.h"
#include "engines/pick/pick-check.h"
#include "model/fixpack.h"
#include "sources/git-export.h"
#include "sources/trees.h"

/* The target's tree on disk: exported once per tree id into the cache. */
static char *
exported_tree (const BpPickCheckTarget *t, GCancellable *cancellable, GError **error)
{
  g_autofree char *cache = t->cache_dir ? g_strdup (t->cache_dir) : bp_trees_default_cache_dir ();
  g_autofree char *hex = g_strdup (git_oid_tostr_s (t->tree));
  g_autofree char *dir = g_build_filename (cache, "pick", "trees", hex, NULL);
  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&dir);
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.tmp", parent, hex);
  g_mkdir_with_parents (parent, 0755);
  bp_fs_rm_rf (tmp, NULL);
  if (!bp_trees_export_tree (t->repo, t->tree, t->attr_commit, tmp, cancellable, error)
      || g_rename (tmp, dir) != 0)
    {
      bp_fs_rm_rf (tmp, NULL);
      if (error && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot put the exported tree at %s", dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

/* The first error line of a compiler's output. */
static char *
first_error (const char *output)
{
  g_auto(GStrv) lines = g_strsplit (output ? output : "", "\n", -1);
  for (char **l = lines; *l; l++)
    if (strstr (*l, "error:") || strstr (*l, "warning:"))
      return g_strdup (g_strstrip (*l));
  return g_strdup ("the compiler said no");
}

gboolean
bp_pick_check (BpPickResult *r, const BpPickCheckTarget *t, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *tree = t->tree_dir ? g_strdup (t->tree_dir) : exported_tree (t, cancellable, &local);
  if (tree == NULL)
    {
      r->check = g_strdup_printf ("skip: %s", local->message);
      return !g_cancellable_set_error_if_cancelled (cancellable, error);
    }
  /* A one-patch series of the pick's change, for the check engine. */
  BpFixPack pack = { .name = (char *) "pick" };
  g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  BpPatch *patch = g_new0 (BpPatch, 1);
  patch->source = g_strdup (r->item->label);
  patch->subject = g_strdup (r->item->patch->subject);
  patch->diff = g_strdup (r->diff);
  patch->files = bp_diff_parse (r->diff, strlen (r->diff), r->item->label, &local);
  if (patch->files == NULL)
    {
      bp_patch_free (patch);
      r->check = g_strdup_printf ("skip: %s", local->message);
      return TRUE;
    }
  g_ptr_array_add (patches, patch);
  g_ptr_array_add (names, g_strdup ("pick.patch"));
  BpFixLine line = { .pack = &pack, .name = (char *) "pick", .patches = patches, .patch_names = names };
  BpCheckOptions opts = { 0 };
  g_autoptr(BpCheckResult) res = bp_build_check (&line, tree, &opts, cancellable, &local);
  if (res == NULL)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      r->check = g_strdup_printf ("skip: cannot build here: %s", local->message);
      return TRUE;
    }
  switch (res->verdict)
    {
    case BP_CHECK_COMPILES:
      r->check = g_strdup ("compiles before and after");
      break;
    case BP_CHECK_ALREADY_BROKEN:
      r->check = g_strdup ("skip: the target does not compile before the pick");
      break;
    case BP_CHECK_DOES_NOT_APPLY:
    case BP_CHECK_SERIES_BREAKS:
      {
        const char *out = NULL;
        for (guint i = 0; i < res->results->len && out == NULL; i++)
          {
            const BpCompileResult *c = res->results->pdata[i];
            if (bp_compile_result_breaks (c))
              out = c->after.output;
          }
        g_autofree char *first = res->verdict == BP_CHECK_DOES_NOT_APPLY
          ? g_strdup (res->apply_message ? res->apply_message : "does not apply") : first_error (out);
        r->check = g_strdup_printf ("does not compile: %s", first);
        r->verdict = BP_PICK_NEEDS_HUMAN;
        g_free (r->why);
        r->why = g_strdup (r->check);
        g_free (r->conflict);
        r->conflict = out ? g_strdup (out) : NULL;
        break;
      }
    }
  return TRUE;
}
