/* SPDX-License-Identifier: GPL-2.0-or-later */
/* history: culprit and fix presence per ref, in one pass over the graph.
 * This file only orders the steps; each lives in its own file (see
 * status-scan.h for the list). */
#include <string.h>

#include "base/bp-git.h"
#include "engines/status/status-probe.h"
#include "engines/status/status-scan.h"

/* libgit2 maps packs in windows of up to 1 GiB and keeps up to 8 GiB mapped
 * on 64-bit machines; every page it touches stays in this process's memory.
 * The scan reads a few thousand trees and blobs spread over the whole pack:
 * small windows under a small limit give them back.  Process-wide, so the
 * old values are put back when the scan ends. */
typedef struct {
  size_t size, limit;
} Windows;

static Windows
windows_narrow (void)
{
  Windows old = { 0, 0 };
  git_libgit2_opts (GIT_OPT_GET_MWINDOW_SIZE, &old.size);
  git_libgit2_opts (GIT_OPT_GET_MWINDOW_MAPPED_LIMIT, &old.limit);
  git_libgit2_opts (GIT_OPT_SET_MWINDOW_SIZE, (size_t) 512 << 10);
  git_libgit2_opts (GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t) 8 << 20);
  return old;
}

static void
windows_restore (Windows *old)
{
  if (old->size)
    git_libgit2_opts (GIT_OPT_SET_MWINDOW_SIZE, old->size);
  if (old->limit)
    git_libgit2_opts (GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, old->limit);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Windows, windows_restore)

/* The end of a step; with G_MESSAGES_DEBUG, how long it took and the peak memory. */
static void
step (BpScan *s, const char *what, gint64 t0)
{
  /* each step ends with the pack pages it touched given back: the scan of
   * a big history stays within a few tens of MiB */
  if (s->reader)
    bp_commit_reader_release (s->reader);
  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;
  g_autofree char *st = NULL;
  g_file_get_contents ("/proc/self/status", &st, NULL, NULL);
  const char *hwm = st ? strstr (st, "VmHWM:") : NULL;
  g_debug ("status: %s at %.1f ms, %.*s", what, (g_get_monotonic_time () - t0) / 1e3,
           hwm ? (int) strcspn (hwm, "\n") : 0, hwm ? hwm : "");
}

/* Where parents come from, for the report. */
static char *
graph_source (BpScan *s, const char *why_not)
{
  if (s->cg)
    return g_strdup_printf ("commit-graph (%u commits in %u file%s)", bp_commit_graph_size (s->cg),
                            bp_commit_graph_layers (s->cg), bp_commit_graph_layers (s->cg) == 1 ? "" : "s");
  return g_strdup_printf ("no commit-graph%s%s%s: parents from the status index and the objects",
                          why_not ? " used (" : "", why_not ? why_not : "", why_not ? ")" : "");
}

/* The status index, then git's commit-graph (not hashed again when the
 * index says this very file was validated before).  Returns why there is
 * no commit-graph, or NULL. */
static char *
open_sources (BpScan *s, const BpHistoryOptions *options)
{
  const char *common = git_repository_commondir (s->repo);
  g_autofree char *index_file = bp_status_cache_file (options ? options->cache_dir : NULL, common);
  s->cache = bp_status_cache_load (index_file, common, &s->cache_note);
  g_auto(GStrv) dirs = bp_object_dirs (s->objects_dir);
  s->reader = bp_commit_reader_new (s->odb, (const char *const *) dirs);
  s->probe_fp = bp_status_probe_fingerprint (s->pack);
  /* the repository's own graph, else its alternates' (as git does) */
  char *why = NULL;
  for (guint i = 0; dirs[i] && s->cg == NULL; i++)
    {
      g_autofree char *stamp = NULL, *not_used = NULL;
      s->cg = bp_commit_graph_open (dirs[i], bp_status_cache_note (s->cache, BP_CACHE_NONE, BP_NOTE_GRAPH),
                                    &stamp, &not_used);
      if (s->cg)
        bp_status_cache_set_note (s->cache, BP_CACHE_NONE, BP_NOTE_GRAPH, stamp);
      if (why == NULL)
        why = g_steal_pointer (&not_used);
    }
  if (s->cg)
    g_clear_pointer (&why, g_free);
  return why;
}

/* The specials, strongest reason first: ids, trailers, patch-id twins,
 * picks of any of them, then reverts of all of those. */
static gboolean
find_specials (BpScan *s, GError **error)
{
  git_oid culprit, upstream;
  git_oid_fromstr (&culprit, s->pack->culprit_id);
  bp_status_add_special (s, &culprit, BP_SPECIAL_CULPRIT, "id", NULL, 0);
  if (s->pack->upstream_id && git_oid_fromstr (&upstream, s->pack->upstream_id) == 0)
    bp_status_add_special (s, &upstream, BP_SPECIAL_FIX, "id", "the fix's upstream id", 0);
  if (!bp_status_find_trailers (s, error) || !bp_status_find_twins (s, error))
    return FALSE;
  bp_status_follow_picks (s);
  return bp_status_find_reverts (s, error);
}

static void
save_index (BpScan *s, BpStatusReport *report)
{
  g_autoptr(GError) local = NULL;
  if (bp_status_cache_save (s->cache, &local))
    return;
  g_autofree char *old = g_steal_pointer (&report->cache_note);
  report->cache_note = g_strdup_printf ("%s%sstatus index not written (%s): the next run reads everything again",
                                        old ? old : "", old ? "; " : "", local->message);
}

BpStatusReport *
bp_history_scan_repo_with (const char *path, BpFixPack *pack, const char *const *patterns,
                           const BpHistoryOptions *options, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  bp_git_require ();   /* main.c's set-up, once */
  g_auto(Windows) windows = windows_narrow ();
  g_auto(BpScanAuto) s;
  bp_scan_init (&s, pack, path);
  git_oid culprit;
  if (pack->culprit_id == NULL || git_oid_fromstr (&culprit, pack->culprit_id) < 0)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_GIT, "fix pack %s: culprit '%s' is not a full commit id",
                   pack->name, pack->culprit_id ? pack->culprit_id : "");
      return NULL;
    }
  if (!bp_status_open_repo (&s, error))
    return NULL;
  g_autofree char *cg_why = open_sources (&s, options);
  if (!bp_status_open_objects (&s, error) || !bp_status_collect_refs (&s, patterns, error))
    return NULL;
#define STEP(what) step (&s, what, t0)
  STEP ("refs, commit-graph and index loaded");
  if (!bp_status_walk (&s, error))
    return NULL;
  STEP ("walked");
  if (!bp_status_prepare_targets (&s, error))
    return NULL;
  STEP ("targets prepared");
  if (!bp_status_examine (&s, error))
    return NULL;
  STEP ("examined");
  if (!find_specials (&s, error))
    return NULL;
  STEP ("specials found");
  g_autoptr(BpStatusReport) report = bp_status_build_report (&s, error);
  STEP ("rows made");
  if (report == NULL)
    return NULL;
  report->n_candidates = s.n_candidates;
  report->n_read = s.n_read;
  report->graph_note = graph_source (&s, cg_why);
  report->cache_note = g_steal_pointer (&s.cache_note);
  gboolean culprit_here = FALSE;
  for (guint i = 0; i < s.targets->len; i++)
    culprit_here |= g_array_index (s.targets, BpPidTarget, i).culprit;
  if (!culprit_here)
    report->history_note = g_strdup_printf ("the culprit %.12s is not in this repository: picks are found by "
                                            "their trailers, patch-id twins cannot be", pack->culprit_id);
  save_index (&s, report);
  STEP ("index saved");
#undef STEP
  report->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&report);
}

BpStatusReport *
bp_history_scan_repo (const char *path, BpFixPack *pack, const char *const *patterns, GError **error)
{
  return bp_history_scan_repo_with (path, pack, patterns, NULL, error);
}
