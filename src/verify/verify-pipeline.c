/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `backport verify` as a library call.  See verify-pipeline.h. */
#include <stdio.h>

#include "verify/verify-pipeline.h"
#include "verify/verify-worker.h"

GPtrArray *
bp_verify_pipeline (BpFixPack *pack, const char *const *names, const BpVerifyPlan *plan,
                    GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();   /* BpFixLine*, the pack's order */
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *l = pack->lines->pdata[i];
      if (names == NULL || g_strv_contains (names, l->name))
        g_ptr_array_add (lines, l);
    }
  g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
  for (guint i = 0; i < lines->len; i++)
    g_ptr_array_add (wanted, ((BpFixLine *) lines->pdata[i])->name);
  g_ptr_array_add (wanted, NULL);
  BpTreesOptions topts = *plan->trees;
  topts.lines = (const char *const *) wanted->pdata;
  g_autoptr(BpTreeSet) trees = bp_trees_resolve (pack, &topts, plan->trees_progress, NULL, cancellable, error);
  if (trees == NULL)
    return NULL;

  const BpVerifyOptions *o = &plan->verify;
  /* What runs killed with SIGKILL left (no handler ran): one line. */
  g_autoptr(GString) swept = g_string_new (NULL);
  guint n_swept = bp_verify_sweep_scratch (o, swept);
  if (n_swept && o->progress)
    {
      g_autofree char *msg = g_strdup_printf ("removed %u scratch director%s that interrupted runs left: %s",
                                              n_swept, n_swept > 1 ? "ies" : "y", swept->str);
      o->progress (NULL, msg, o->progress_data);
    }
  guint jobs = plan->jobs ? plan->jobs : g_get_num_processors ();
  g_autoptr(GPtrArray) with_tree = g_ptr_array_new ();
  for (guint i = 0; i < lines->len; i++)
    {
      BpTree *t = bp_tree_set_get (trees, ((BpFixLine *) lines->pdata[i])->name);
      if (t && t->kind != BP_TREE_NONE)
        g_ptr_array_add (with_tree, lines->pdata[i]);
    }
  g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_line_report_free);
  if (jobs > 1 && with_tree->len > 1)
    {
      if (o->progress)
        {
          g_autofree char *msg = g_strdup_printf ("%u lines with a tree, %u at a time", with_tree->len,
                                                  MIN (jobs, with_tree->len));
          o->progress (NULL, msg, o->progress_data);
        }
      if (!bp_verify_workers_run (with_tree, trees, o, jobs, done, cancellable, error))
        return NULL;
    }
  /* Rows in the pack's order; lines verified here are those without a
   * tree, or all of them with one job. */
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_line_report_free);
  for (guint i = 0; i < lines->len; i++)
    {
      BpFixLine *line = lines->pdata[i];
      BpLineReport *found = NULL;
      for (guint j = 0; j < done->len && !found; j++)
        if (g_strcmp0 (((BpLineReport *) done->pdata[j])->line, line->name) == 0)
          found = g_ptr_array_steal_index (done, j);
      if (found == NULL)
        found = bp_verify_line (line, bp_tree_set_get (trees, line->name), o, cancellable);
      g_ptr_array_add (reports, found);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
    }
  if (o->repo)
    bp_verify_bisect (pack, reports, o, cancellable);   /* without one, BISECT stays not run */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_steal_pointer (&reports);
}
