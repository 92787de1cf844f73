/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One line of `backport verify`: each step calls its module and records
 * what it proved.  The modules do the work; this file only decides what a
 * step's outcome means for the line and words the matrix cell. */
#include "verify/verify.h"

#include <errno.h>
#include <git2.h>

#include "base/git-autoptr.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/bp-git.h"
#include "base/fs.h"
#include "base/scratch.h"
#include "base/version.h"
#include "engines/apply.h"
#include "engines/bisect/bisect-run.h"
#include "engines/build/build.h"
#include "engines/status/history.h"
#include "engines/repro/guest-ram.h"
#include "engines/repro/repro.h"


static void
progress (const BpVerifyOptions *o, const char *line, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
progress (const BpVerifyOptions *o, const char *line, const char *fmt, ...)
{
  if (o->progress == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  o->progress (line, msg, o->progress_data);
}

static JsonNode *
json_string_node (const char *s)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (n, s);
  return n;
}

/* ---- scratch copy ---------------------------------------------------------- */

/* Can verify write its scratch copies and builds under the cache?  A
 * read-only cache (verify --offline on a shared or mounted one) is only
 * read: those go to temporary directories instead. */
static gboolean
cache_writable (const BpVerifyOptions *o)
{
  g_autofree char *cache = o->cache_dir ? g_strdup (o->cache_dir) : bp_trees_default_cache_dir ();
  return g_mkdir_with_parents (cache, 0755) == 0 && access (cache, W_OK) == 0;
}

/* A scratch tree to patch: VERSION and the files the series touches, copied
 * from TREE.  That is all apply and the reproducer read, and copying a whole
 * QEMU tree (36,000 files) costs seconds even as hard links; check makes
 * its own full copy for the build. */
static char *
scratch_copy (const BpVerifyOptions *o, BpFixLine *fix_line, const char *tree, GError **error)
{
  g_autofree char *cache = o->cache_dir ? g_strdup (o->cache_dir) : bp_trees_default_cache_dir ();
  gboolean in_cache = cache_writable (o);
  g_autofree char *parent = in_cache ? g_build_filename (cache, "scratch", NULL) : g_strdup (g_get_tmp_dir ());
  /* named for this process, so that the next run removes it if we are killed */
  g_autofree char *prefix = g_strdup_printf ("%s%s-", in_cache ? "" : "bp-verify-", fix_line->name);
  g_autofree char *template = bp_scratch_dir_new (parent, prefix, error);
  if (template == NULL)
    return NULL;
  g_autofree char *dest = g_build_filename (template, "tree", NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_ptr_array_add (paths, "VERSION");
  for (guint i = 0; i < fix_line->patches->len; i++)
    {
      BpPatch *p = g_ptr_array_index (fix_line->patches, i);
      for (guint j = 0; j < p->files->len; j++)
        {
          BpFileDiff *f = g_ptr_array_index (p->files, j);
          if (f->old_path)
            g_ptr_array_add (paths, f->old_path);
        }
    }
  for (guint i = 0; i < paths->len; i++)
    {
      const char *rel = g_ptr_array_index (paths, i);
      g_autofree char *from = g_build_filename (tree, rel, NULL);
      g_autofree char *to = g_build_filename (dest, rel, NULL);
      g_autofree char *to_dir = g_path_get_dirname (to);
      g_autofree char *text = NULL;
      gsize len;
      if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
        continue;     /* the apply step names what is missing */
      if (g_mkdir_with_parents (to_dir, 0755) != 0 ||
          !g_file_get_contents (from, &text, &len, error) ||
          !g_file_set_contents (to, text, len, error))
        return NULL;
    }
  return g_steal_pointer (&dest);
}

static void
remove_scratch (const char *tree_copy)
{
  if (tree_copy == NULL)
    return;
  g_autofree char *dir = g_path_get_dirname (tree_copy);   /* the mkdtemp dir */
  bp_fs_rm_rf (dir, NULL);
}

guint
bp_verify_sweep_scratch (const BpVerifyOptions *o, GString *names)
{
  g_autofree char *cache = o->cache_dir ? g_strdup (o->cache_dir) : bp_trees_default_cache_dir ();
  g_autofree char *in_cache = g_build_filename (cache, "scratch", NULL);
  return bp_scratch_sweep (in_cache, "", names) + bp_scratch_sweep (g_get_tmp_dir (), "bp-verify-", names)
         + bp_scratch_sweep (g_get_tmp_dir (), BP_REPRO_HARNESS_PREFIX, names);
}

/* ---- status ------------------------------------------------------------- */

/* Returns the probe state seen, for the not-affected proof. */
static BpStatusVerdict
step_status (BpLineReport *r, BpFixLine *line, BpTree *tree, const BpVerifyOptions *o)
{
  progress (o, line->name, "status: reading %s", tree->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(BpStatusReport) st = bp_history_scan_tree (tree->path, line->pack, &error);
  if (st == NULL || st->refs->len == 0)
    {
      bp_line_report_set (r, BP_STEP_STATUS, BP_STEP_FAIL, "cannot read the tree",
                          error ? error->message : "no status", NULL);
      return BP_STATUS_UNKNOWN;
    }
  BpRefStatus *ref = g_ptr_array_index (st->refs, 0);
  BpStatusVerdict verdict = ref->verdict;

  /* With a repository, the tree came from a ref: add the history evidence. */
  g_autofree char *history = NULL;
  if (o->repo && tree->kind == BP_TREE_GIT && tree->commit)
    {
      const char *patterns[] = { tree->commit, NULL };
      g_autoptr(GError) herr = NULL;
      g_autoptr(BpStatusReport) hs = bp_history_scan_repo_with (o->repo, line->pack, patterns,
                                                                     &(BpHistoryOptions) { .cache_dir = o->cache_dir }, &herr);
      if (hs && hs->refs->len > 0)
        {
          BpRefStatus *h = g_ptr_array_index (hs->refs, 0);
          verdict = h->verdict;
          history = g_strdup_printf ("history: culprit %s, fix %s%s%s",
                                     h->culprit_present ? "reachable" : "not reachable",
                                     h->fix_present ? "present" : "absent",
                                     h->why ? "; " : "", h->why ? h->why : "");
        }
      else
        history = g_strdup_printf ("history evidence unavailable: %s", herr ? herr->message : "?");
    }

  g_autofree char *detail = g_strdup_printf ("%s\nprobe: %s in %s (%s)%s%s",
                                             ref->why ? ref->why : "",
                                             bp_probe_state_to_string (ref->probe.state),
                                             ref->probe.file ? ref->probe.file : "-",
                                             ref->probe.detail ? ref->probe.detail : "",
                                             history ? "\n" : "", history ? history : "");
  JsonNode *ev = json_string_node (detail);
  gboolean pack_affected = line->verdict == BP_VERDICT_AFFECTED;
  switch (verdict)
    {
    case BP_STATUS_AFFECTED:
      if (pack_affected)
        bp_line_report_set (r, BP_STEP_STATUS, BP_STEP_PASS, "affected, fix missing", detail, ev);
      else
        bp_line_report_set (r, BP_STEP_STATUS, BP_STEP_FAIL, "affected, but the pack says not affected", detail, ev);
      break;
    case BP_STATUS_FIXED:
      {
        g_autofree char *cell = g_strdup_printf ("fix already in (%s)", ref->fixed_by ? ref->fixed_by : "content");
        bp_line_report_set (r, BP_STEP_STATUS, BP_STEP_PASS, cell, detail, ev);
      }
      break;
    case BP_STATUS_NOT_AFFECTED:
      if (pack_affected)
        bp_line_report_set (r, BP_STEP_STATUS, BP_STEP_FAIL, "not affected, but the pack says affected", detail, ev);
      else
        bp_line_report_set (r, BP_STEP_STATUS, BP_STEP_PASS, "not affected (proven)", detail, ev);
      break;
    case BP_STATUS_UNKNOWN:
      bp_line_report_set (r, BP_STEP_STATUS, BP_STEP_FAIL, "unknown", detail, ev);
      break;
    }
  return verdict;
}

/* ---- apply -------------------------------------------------------------- */

static char *
describe_hunks (GPtrArray *reports, gboolean *all_exact)
{
  g_autoptr(GString) cell = g_string_new (NULL);
  GString *detail = g_string_new (NULL);
  *all_exact = TRUE;
  for (guint i = 0; reports && i < reports->len; i++)
    {
      BpHunkReport *h = g_ptr_array_index (reports, i);
      g_autofree char *line = bp_hunk_report_to_text (h);
      g_string_append_printf (detail, "%s\n", line);
      if (h->how != BP_HUNK_EXACT)
        *all_exact = FALSE;
    }
  return g_string_free (detail, FALSE);
}

/* Apply on the scratch copy; returns FALSE when the series did not apply. */
static gboolean
step_apply (BpLineReport *r, BpFixLine *line, const char *scratch, const BpVerifyOptions *o,
            GCancellable *cancellable)
{
  progress (o, line->name, "apply: %u patch(es) to a scratch copy", line->patches->len);
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES, .three_way = TRUE, .force = TRUE };
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = bp_apply_series (line, scratch, &opts, &reports, cancellable, &error);
  gboolean all_exact;
  g_autofree char *detail = describe_hunks (reports, &all_exact);
  if (!ok)
    {
      g_autofree char *full = g_strdup_printf ("%s%s", detail, error ? error->message : "");
      g_autofree char *cell = g_strdup_printf ("does not apply: %s", error ? error->message : "?");
      if (strlen (cell) > 60)
        strcpy (cell + 57, "...");
      bp_line_report_set (r, BP_STEP_APPLY, BP_STEP_FAIL, cell, full, json_string_node (full));
      return FALSE;
    }
  /* The cell names the least exact placement: that is what a maintainer
   * wants to look at. */
  BpHunkMatch worst = BP_HUNK_EXACT;
  int offset = 0;
  for (guint i = 0; reports && i < reports->len; i++)
    {
      BpHunkReport *h = g_ptr_array_index (reports, i);
      if (h->how > worst)
        worst = h->how;
      if (h->how == BP_HUNK_OFFSET && offset == 0)
        offset = h->offset;
    }
  g_autofree char *cell = worst == BP_HUNK_OFFSET
    ? g_strdup_printf ("applies (offset %+d)", offset)
    : g_strdup_printf ("applies (%s)", bp_hunk_match_to_string (worst));
  bp_line_report_set (r, BP_STEP_APPLY, BP_STEP_PASS, cell, detail, json_string_node (detail));
  return TRUE;
}

/* ---- check -------------------------------------------------------------- */

static void
build_progress (const char *line, const char *message, gpointer user_data)
{
  const BpVerifyOptions *o = user_data;
  progress (o, line, "check: %s", message);
}

static void
step_check_in (BpLineReport *r, BpFixLine *line, BpTree *tree, const BpVerifyOptions *o, const char *work,
               GCancellable *cancellable)
{
  BpCheckOptions opts = { .work_dir = work, .jobs = o->build_jobs, .progress = build_progress,
                          .progress_data = (gpointer) o };
  g_autoptr(GError) error = NULL;
  g_autoptr(BpCheckResult) res = bp_build_check (line, tree->path, &opts, cancellable, &error);
  if (res == NULL)
    {
      /* The tree cannot be built here: say why, it is not the series' fault.
       * The cell names the kind; the report has the whole message. */
      static const struct { int code; const char *cell; } kinds[] = {
        { BP_BUILD_ERROR_NO_BUILD_SYSTEM, "skip: no build system" },
        { BP_BUILD_ERROR_MISSING_DEPS, "skip: build dependencies missing" },
        { BP_BUILD_ERROR_MISSING_SUBPROJECTS, "skip: tree lacks subprojects" },
        { BP_BUILD_ERROR_CONFIGURE, "skip: configure failed" },
        { BP_BUILD_ERROR_TIMEOUT, "skip: timed out" },
        { BP_BUILD_ERROR_NO_OBJECT, "skip: touched files not built here" },
      };
      const char *cell = "skip: cannot build here";
      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        if (g_error_matches (error, BP_BUILD_ERROR, kinds[i].code))
          cell = kinds[i].cell;
      bp_line_report_set (r, BP_STEP_CHECK, BP_STEP_SKIP, cell, error->message, json_string_node (error->message));
      return;
    }
  g_autoptr(GString) detail = g_string_new (NULL);
  g_string_append_printf (detail, "build: %s in %s (%s), %.1f s\n", res->build_system, res->build_dir,
                          res->configured_now ? "configured now" : "reused", res->seconds);
  for (guint i = 0; i < res->results->len; i++)
    {
      BpCompileResult *c = g_ptr_array_index (res->results, i);
      g_string_append_printf (detail, "%s (%s): before %s, after %s\n", c->file, c->object ? c->object : "not built",
                              bp_compile_status_to_string (c->before.status),
                              bp_compile_status_to_string (c->after.status));
      if (c->before.status == BP_COMPILE_FAILED && c->before.output)
        g_string_append_printf (detail, "--- before the series:\n%s\n", c->before.output);
      if (c->after.status == BP_COMPILE_FAILED && c->after.output)
        g_string_append_printf (detail, "--- with the series:\n%s\n", c->after.output);
    }
  if (res->apply_message)
    g_string_append_printf (detail, "apply: %s\n", res->apply_message);
  switch (res->verdict)
    {
    case BP_CHECK_COMPILES:
      bp_line_report_set (r, BP_STEP_CHECK, BP_STEP_PASS, "compiles before and after", detail->str,
                          json_string_node (detail->str));
      break;
    case BP_CHECK_SERIES_BREAKS:
      bp_line_report_set (r, BP_STEP_CHECK, BP_STEP_FAIL, "the series breaks the build", detail->str,
                          json_string_node (detail->str));
      break;
    case BP_CHECK_ALREADY_BROKEN:
      bp_line_report_set (r, BP_STEP_CHECK, BP_STEP_FAIL, "broken before the series", detail->str,
                          json_string_node (detail->str));
      break;
    case BP_CHECK_DOES_NOT_APPLY:
      bp_line_report_set (r, BP_STEP_CHECK, BP_STEP_FAIL, "series does not apply", detail->str,
                          json_string_node (detail->str));
      break;
    }
}

/* The build lives in the cache (--cache, or the build's own default); a
 * read-only cache gets a temporary one, removed after. */
static void
step_check (BpLineReport *r, BpFixLine *line, BpTree *tree, const BpVerifyOptions *o,
            GCancellable *cancellable)
{
  progress (o, line->name, "check: compiling the touched files before and after");
  if (cache_writable (o))
    {
      g_autofree char *work = o->cache_dir ? bp_build_work_dir_in (o->cache_dir, tree->path) : NULL;
      step_check_in (r, line, tree, o, work, cancellable);
      return;
    }
  g_autofree char *tmp = g_strdup_printf ("%s/bp-verify-build-%s-XXXXXX", g_get_tmp_dir (), line->name);
  if (g_mkdtemp (tmp) == NULL)
    {
      int err = errno;
      g_autofree char *msg = g_strdup_printf ("cannot create %s: %s", tmp, g_strerror (err));
      bp_line_report_set (r, BP_STEP_CHECK, BP_STEP_SKIP, "skip: no build dir", msg, json_string_node (msg));
      return;
    }
  progress (o, line->name, "check: the cache is read-only: building in %s (removed after)", tmp);
  step_check_in (r, line, tree, o, tmp, cancellable);
  if (!o->keep)
    bp_fs_rm_rf (tmp, NULL);
}

/* ---- repro -------------------------------------------------------------- */

static const char *
backing_name (BpBacking b)
{
  static const char *names[] = { "hugetlbfs", "memfd-hugetlb", "memfd", "tmpfs" };
  return names[b];
}

/* Run the reproducer with TREE's own decision; FALSE on a capability error. */
static gboolean
repro_once (const char *tree, const char *cache_dir, BpReproResult *res, GError **error)
{
  BpReproConfig cfg = {
    .backing = BP_BACKING_HUGETLBFS,     /* falls back to memfd, saying why */
    .share = FALSE,                      /* the bug: private guest RAM */
    .size = 32 * 1024 * 1024,
    .dirty_every = 2,
    .tier = 0,
    .policy = BP_POLICY_TREE,
    .tree_dir = tree,
    .cache_dir = cache_dir,
  };
  return bp_repro_run (&cfg, res, error);
}

static char *
repro_line (const char *when, const BpReproResult *res)
{
  return g_strdup_printf ("%s: tier %d, %s, path %s: %" G_GUINT64_FORMAT " pages, %" G_GUINT64_FORMAT
                          " dirtied, %" G_GUINT64_FORMAT " stale reads, %" G_GUINT64_FORMAT
                          " lost writes, %" G_GUINT64_FORMAT " PFN mismatches -> %s\n  %s%s%s%s%s\n",
                          when, res->tier, backing_name (res->backing),
                          res->path == BP_DMA_BY_FILE ? "by file" : "by address",
                          res->pages, res->pages_dirtied, res->stale_reads, res->lost_writes,
                          res->pfn_mismatches, res->reproduced ? "BUG REPRODUCED" : "no inconsistency",
                          res->policy_evidence ? res->policy_evidence : "",
                          res->tier_reason ? "\n  " : "", res->tier_reason ? res->tier_reason : "",
                          res->backing_reason ? "\n  " : "", res->backing_reason ? res->backing_reason : "");
}

static void
step_repro (BpLineReport *r, BpFixLine *line, BpTree *tree, const char *patched, const BpVerifyOptions *o)
{
  if (line->pack->reproducer == NULL)
    {
      bp_line_report_set (r, BP_STEP_REPRO, BP_STEP_NA, "no reproducer in pack",
                          "fix.ini names no reproducer= for this pack", NULL);
      return;
    }
  progress (o, line->name, "repro: the tree's own decision, before the series");
  g_auto(BpReproResult) before = { 0 };
  g_autoptr(GError) error = NULL;
  if (!repro_once (tree->path, o->cache_dir, &before, &error))
    {
      int state = g_error_matches (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY) ? BP_STEP_SKIP : BP_STEP_FAIL;
      g_autofree char *cell = g_strdup_printf ("%s: %s", state == BP_STEP_SKIP ? "skip" : "error", error->message);
      bp_line_report_set (r, BP_STEP_REPRO, state, cell, error->message, NULL);
      return;
    }
  g_autofree char *d1 = repro_line ("before", &before);
  if (patched == NULL)
    {
      /* not affected: the proof is that private RAM never goes by file */
      gboolean proven = !before.reproduced && before.path == BP_DMA_BY_ADDRESS;
      bp_line_report_set (r, BP_STEP_REPRO, proven ? BP_STEP_PASS : BP_STEP_FAIL,
                          proven ? "no by-file path for private RAM (clean)" : "BUG REPRODUCED on a not-affected line",
                          d1, json_string_node (d1));
      return;
    }
  progress (o, line->name, "repro: the tree's own decision, with the series");
  g_auto(BpReproResult) after = { 0 };
  if (!repro_once (patched, o->cache_dir, &after, &error))
    {
      g_autofree char *detail = g_strdup_printf ("%safter: %s", d1, error->message);
      bp_line_report_set (r, BP_STEP_REPRO, BP_STEP_FAIL, "error after the series", detail, NULL);
      return;
    }
  g_autofree char *d2 = repro_line ("after", &after);
  g_autofree char *detail = g_strconcat (d1, d2, NULL);
  g_autofree char *how = g_strdup_printf ("tier %d, %s", after.tier, backing_name (after.backing));
  if (before.reproduced && !after.reproduced)
    {
      g_autofree char *cell = g_strdup_printf ("bug -> clean (%s)", how);
      bp_line_report_set (r, BP_STEP_REPRO, BP_STEP_PASS, cell, detail, json_string_node (detail));
    }
  else
    {
      g_autofree char *cell = g_strdup_printf ("%s -> %s (%s)", before.reproduced ? "bug" : "no bug",
                                               after.reproduced ? "STILL BUG" : "clean", how);
      bp_line_report_set (r, BP_STEP_REPRO, BP_STEP_FAIL, cell, detail, json_string_node (detail));
    }
}

/* ---- a whole line --------------------------------------------------------- */

static void
set_rest (BpLineReport *r, BpStepState state, const char *cell, int from)
{
  for (int k = from; k < BP_STEP_COUNT; k++)
    if (!r->steps[k].ran)
      bp_line_report_set (r, k, state, cell, NULL, NULL);
}

BpLineReport *
bp_verify_line (BpFixLine *line, BpTree *tree, const BpVerifyOptions *o, GCancellable *cancellable)
{
  BpLineReport *r = bp_line_report_new (line->name, bp_verdict_to_string (line->verdict));
  if (tree == NULL || tree->kind == BP_TREE_NONE || tree->path == NULL)
    {
      /* the cell stays short; the way to get a tree goes under the matrix */
      const char *why = tree && tree->missing ? tree->missing : "no tree given";
      g_autofree char *remedy = tree && tree->remedy && o->tree_remedy ? o->tree_remedy (line->name, tree->remedy) : NULL;
      g_autofree char *detail = remedy ? g_strdup_printf ("%s; %s", why, remedy) : g_strdup (why);
      bp_line_report_set (r, BP_STEP_TREE, BP_STEP_SKIP, "no tree", detail, NULL);
      set_rest (r, BP_STEP_SKIP, "-", BP_STEP_STATUS);
      return r;
    }
  r->has_tree = TRUE;
  r->tree_kind = g_strdup (bp_tree_kind_to_string (tree->kind));
  r->tree_path = g_strdup (tree->path);
  r->tree_version = g_strdup (tree->version);
  r->tree_origin = g_strdup (tree->origin);
  {
    g_autofree char *cell = g_strdup_printf ("%s %s", r->tree_kind, tree->version ? tree->version : "?");
    g_autoptr(GString) notes = g_string_new (tree->origin ? tree->origin : "");
    for (guint i = 0; tree->notes && i < tree->notes->len; i++)
      g_string_append_printf (notes, "\n%s", (char *) g_ptr_array_index (tree->notes, i));
    bp_line_report_set (r, BP_STEP_TREE, BP_STEP_PASS, cell, notes->str, NULL);
  }

  BpStatusVerdict st = step_status (r, line, tree, o);
  if (line->verdict == BP_VERDICT_NOT_AFFECTED)
    {
      step_repro (r, line, tree, NULL, o);
      set_rest (r, BP_STEP_NA, "n/a (not affected)", BP_STEP_APPLY);
      return r;
    }
  if (st == BP_STATUS_FIXED || line->fixed_by)
    {
      g_autofree char *cell = line->fixed_by && st != BP_STATUS_FIXED
        ? g_strdup_printf ("n/a (the pack says fixed by %.12s)", line->fixed_by) : g_strdup ("n/a (fix already in)");
      set_rest (r, BP_STEP_NA, cell, BP_STEP_APPLY);
      return r;
    }
  if (line->needs_human)
    {
      g_autofree char *cell = g_strdup_printf ("needs a human: %s", line->needs_human);
      if (strlen (cell) > 60)
        strcpy (cell + 57, "...");
      bp_line_report_set (r, BP_STEP_APPLY, BP_STEP_FAIL, cell, line->needs_human, json_string_node (line->needs_human));
      set_rest (r, BP_STEP_SKIP, "no series", BP_STEP_CHECK);
      return r;
    }

  g_autoptr(GError) error = NULL;
  g_autofree char *scratch = scratch_copy (o, line, tree->path, &error);
  if (scratch == NULL)
    {
      bp_line_report_set (r, BP_STEP_APPLY, BP_STEP_FAIL, "no scratch copy", error->message, NULL);
      set_rest (r, BP_STEP_SKIP, "no scratch copy", BP_STEP_CHECK);
      return r;
    }
  gboolean applied = step_apply (r, line, scratch, o, cancellable);
  if (applied && !g_cancellable_is_cancelled (cancellable))
    step_check (r, line, tree, o, cancellable);
  else
    bp_line_report_set (r, BP_STEP_CHECK, BP_STEP_SKIP, applied ? "interrupted" : "series does not apply",
                        NULL, NULL);
  if (g_cancellable_is_cancelled (cancellable))
    {
      /* Interrupted: stop here, and leave nothing behind. */
      set_rest (r, BP_STEP_SKIP, "interrupted", BP_STEP_REPRO);
      remove_scratch (scratch);
      return r;
    }
  /* The reproducer dies of SIGINT/SIGTERM in its own handler (after its
   * cleanup): that cleanup removes the scratch copy too. */
  g_autofree char *scratch_dir = o->keep ? NULL : g_path_get_dirname (scratch);
  if (scratch_dir)
    bp_cleanup_add_dir (scratch_dir);
  step_repro (r, line, tree, applied ? scratch : NULL, o);
  if (scratch_dir)
    bp_cleanup_remove_dir (scratch_dir);
  if (!applied)
    bp_line_report_set (r, BP_STEP_REPRO, r->steps[BP_STEP_REPRO].state == BP_STEP_PASS ? BP_STEP_SKIP : r->steps[BP_STEP_REPRO].state,
                        "series does not apply", r->steps[BP_STEP_REPRO].detail, NULL);
  if (o->keep)
    progress (o, line->name, "kept the patched scratch copy at %s", scratch);
  else
    remove_scratch (scratch);
  return r;
}

/* ---- bisect ------------------------------------------------------------- */

/* "v10.1.0" -> 10 * 1000000 + 1 * 1000 + 0; -1 for anything else. */
static gint64
release_key (const char *tag)
{
  guint v[3];
  if (!bp_version_parse_release_tag (tag, v))
    return -1;
  return (gint64) v[0] * 1000000 + v[1] * 1000 + v[2];
}

/* The bisection range: BAD = the first release containing the culprit,
 * GOOD = the newest release that is its ancestor and lacks it. */
static gboolean
bisect_range (const char *repo_dir, const char *cache_dir, BpFixPack *pack, char **good, char **bad,
              GError **error)
{
  const char *patterns[] = { "v*", NULL };
  g_autoptr(BpStatusReport) st = bp_history_scan_repo_with (repo_dir, pack, patterns,
                                                              &(BpHistoryOptions) { .cache_dir = cache_dir }, error);
  if (st == NULL)
    return FALSE;
  const char *first = NULL;
  gint64 first_key = G_MAXINT64;
  for (guint i = 0; i < st->refs->len; i++)
    {
      BpRefStatus *ref = g_ptr_array_index (st->refs, i);
      gint64 k = release_key (ref->name);
      if (k >= 0 && ref->culprit_present && k < first_key)
        first = ref->name, first_key = k;
    }
  if (first == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no release tag vX.Y.Z contains the culprit");
      return FALSE;
    }
  git_repository *repo = NULL;
  if (git_repository_open (&repo, repo_dir) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s", repo_dir);
      return FALSE;
    }
  if (!bp_git_objects_in_memory (repo, G_IO_ERROR, G_IO_ERROR_FAILED, error))
    {
      git_repository_free (repo);
      return FALSE;
    }
  git_oid bad_oid;
  const char *best = NULL;
  gint64 best_key = -1;
  git_object *obj = NULL;
  if (git_revparse_single (&obj, repo, first) == 0)
    {
      git_object *peeled = NULL;
      if (git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) == 0)
        {
          bad_oid = *git_object_id (peeled);
          for (guint i = 0; i < st->refs->len; i++)
            {
              BpRefStatus *ref = g_ptr_array_index (st->refs, i);
              gint64 k = release_key (ref->name);
              git_oid oid;
              if (k < 0 || k >= first_key || ref->culprit_present || ref->commit == NULL ||
                  git_oid_fromstr (&oid, ref->commit) < 0 || k <= best_key)
                continue;
              if (git_graph_descendant_of (repo, &bad_oid, &oid) == 1)
                best = ref->name, best_key = k;
            }
          git_object_free (peeled);
        }
      git_object_free (obj);
    }
  git_repository_free (repo);
  if (best == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "no release before %s is its ancestor and lacks the culprit", first);
      return FALSE;
    }
  *good = g_strdup (best);
  *bad = g_strdup (first);
  return TRUE;
}

/* Progress of the bisection, as `backport bisect` writes it on stderr. */
static void
bisect_progress (const char *line, const char *message, gpointer data)
{
  g_string_append_printf (data, "%s\n", message);
}

/* What marks the culprit's code, for a pack without a reproducer: the
 * longest line the culprit adds that its parent's file lacks, in the file
 * it adds most lines to.  *PATH and *REGEX (the line, escaped, anchored)
 * feed the content predicate. */
static gboolean
culprit_marker (git_repository *repo, const char *culprit, char **path, char **regex, GError **error)
{
  git_oid oid;
  g_autoptr(git_commit) c = NULL, parent = NULL;
  g_autoptr(git_tree) tree = NULL, ptree = NULL;
  g_autoptr(git_diff) diff = NULL;
  if (git_oid_fromstr (&oid, culprit) != 0 || git_commit_lookup (&c, repo, &oid) != 0
      || git_commit_parent (&parent, c, 0) != 0 || git_commit_tree (&tree, c) != 0
      || git_commit_tree (&ptree, parent) != 0
      || git_diff_tree_to_tree (&diff, repo, ptree, tree, NULL) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "cannot read the culprit %.12s's change", culprit);
      return FALSE;
    }
  gsize best = 0;
  for (size_t i = 0; i < git_diff_num_deltas (diff); i++)
    {
      g_autoptr(git_patch) patch = NULL;
      if (git_patch_from_diff (&patch, diff, i) != 0 || patch == NULL)
        continue;
      const git_diff_delta *d = git_patch_get_delta (patch);
      for (size_t h = 0; h < git_patch_num_hunks (patch); h++)
        for (int l = 0; l < git_patch_num_lines_in_hunk (patch, h); l++)
          {
            const git_diff_line *line = NULL;
            if (git_patch_get_line_in_hunk (&line, patch, h, l) != 0 || line->origin != GIT_DIFF_LINE_ADDITION)
              continue;
            g_autofree char *text = g_strchomp (g_strndup (line->content, line->content_len));
            gsize n = strlen (text);
            g_autofree char *bare = g_strstrip (g_strdup (text));
            if (n <= best || strspn (bare, "{}();") == strlen (bare))
              continue;   /* shorter, or only punctuation */
            best = n;
            g_free (*path);
            *path = g_strdup (d->new_file.path);
            g_autofree char *escaped = g_regex_escape_string (text, -1);
            g_free (*regex);
            *regex = g_strdup_printf ("^%s$", escaped);
          }
    }
  if (*path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the culprit %.12s adds no line to look for", culprit);
      return FALSE;
    }
  return TRUE;
}

/* The predicate verify bisects with: the pack's reproducer when it has
 * one, else the culprit's added code by content. */
static BpBisectPredicate *
bisect_predicate (git_repository *repo, BpFixPack *pack, const char *cache_dir, GError **error)
{
  if (pack->reproducer)
    {
      BpBisectPredicate *p = bp_bisect_predicate_repro_new (repo, error);
      if (p)
        bp_bisect_predicate_repro_set_cache_dir (p, cache_dir);
      return p;
    }
  g_autofree char *path = NULL, *regex = NULL;
  if (!culprit_marker (repo, pack->culprit_id, &path, &regex, error))
    return NULL;
  return bp_bisect_predicate_content_new (repo, path, regex, FALSE, error);
}

/* What `backport bisect --repo REPO_DIR --good GOOD --bad BAD` does, with
 * its stderr in ERR: the first bad commit with the pack's predicate.  NULL
 * with an error when it fails. */
static BpBisectOutcome *
bisect_run (const char *repo_dir, const char *cache_dir, BpFixPack *pack, const char *good, const char *bad,
            GString *err, GCancellable *cancellable, GError **error)
{
  gint64 started = g_get_monotonic_time ();
  git_repository *repo_raw = NULL;
  if (git_repository_open_ext (&repo_raw, repo_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REV,
                   "--repo %s is not a git repository", repo_dir);
      return NULL;
    }
  g_autoptr(git_repository) repo = repo_raw;
  /* bisection reads the history; what it might write stays in memory */
  if (!bp_git_objects_in_memory (repo, BP_BISECT_ERROR, BP_BISECT_ERROR_REV, error))
    return NULL;
  g_autoptr(BpBisectPredicate) pred = bisect_predicate (repo, pack, cache_dir, error);
  if (pred == NULL)
    return NULL;
  const char *goods[] = { good, NULL };
  g_autoptr(BpBisect) b = bp_bisect_new (repo, bad, goods, FALSE, error);
  if (b == NULL)
    return NULL;
  BpBisectRunOptions run = { .started = started, .progress = bisect_progress, .progress_data = err };
  g_autoptr(BpBisectOutcome) out = bp_bisect_run (repo, b, pred, &run, cancellable, error);
  if (out == NULL)
    return NULL;
  g_autofree char *summary = bp_bisect_outcome_summary (out);
  g_string_append_printf (err, "%s\n", summary);
  return g_steal_pointer (&out);
}

void
bp_verify_bisect (BpFixPack *pack, GPtrArray *reports, const BpVerifyOptions *o, GCancellable *cancellable)
{
  g_autofree char *good = NULL, *bad = NULL;
  g_autoptr(GError) error = NULL;
  BpStepState state = BP_STEP_FAIL;
  g_autofree char *cell = NULL;
  g_autofree char *detail = NULL;
  if (!bisect_range (o->repo, o->cache_dir, pack, &good, &bad, &error))
    {
      cell = g_strdup_printf ("no range: %s", error->message);
      detail = g_strdup (error->message);
    }
  else
    {
      progress (o, NULL, "bisect: %s..%s with %s", good, bad,
                pack->reproducer ? "the reproducer's tree policy" : "the culprit's added code (content)");
      /* The detail reads as `backport bisect` would: its stderr, then the answer. */
      g_autoptr(GString) err = g_string_new (NULL);
      bp_git_require ();
      g_autoptr(BpBisectOutcome) out = bisect_run (o->repo, o->cache_dir, pack, good, bad, err, cancellable, &error);
      if (out && out->kind == BP_BISECT_OUTCOME_AMBIGUOUS)
        g_string_append_printf (err, "backport bisect: skipped commits leave %u candidates for the first bad commit\n",
                                out->suspects->len);
      else if (out == NULL && error && error->message[0])
        g_string_append_printf (err, "backport bisect: %s\n", error->message);
      const char *commit = out && out->kind == BP_BISECT_OUTCOME_FOUND ? out->first_bad : NULL;
      /* the detail opens with the command that asks the same question */
      g_autofree char *again = g_strdup_printf ("backport bisect --good %s --bad %s", good, bad); /* a command line */
      detail = g_strdup_printf ("%s\n%s%s", again, err->str, commit ? commit : "no first bad commit");
      if (commit && strcmp (commit, pack->culprit_id) == 0)
        {
          state = BP_STEP_PASS;
          cell = g_strdup_printf ("%.12s (the culprit)", commit);
        }
      else
        cell = g_strdup_printf ("landed on %.12s, not the culprit", commit ? commit : "nothing");
    }
  for (guint i = 0; i < reports->len; i++)
    {
      BpLineReport *r = g_ptr_array_index (reports, i);
      if (!r->has_tree)
        continue;
      if (g_strcmp0 (r->verdict, "affected") == 0)
        bp_line_report_set (r, BP_STEP_BISECT, state, cell, detail, detail ? json_string_node (detail) : NULL);
      else
        bp_line_report_set (r, BP_STEP_BISECT, BP_STEP_NA, "n/a (not affected)", NULL, NULL);
    }
}
