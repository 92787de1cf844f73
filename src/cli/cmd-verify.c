/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport verify [LINE...]: the whole proof for every line, on real trees. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "base/read-limited.h"
#include "base/version.h"
#include "report/ci-gitlab.h"
#include "report/report.h"
#include "sources/trees.h"
#include "verify/verify.h"
#include "verify/verify-pipeline.h"

static char *opt_report, *opt_emit_ci, *opt_ci_image;
static char **opt_trees;
static int opt_jobs;
static gboolean opt_offline, opt_refresh, opt_keep, opt_strict, opt_merge;

static GOptionEntry entries[] = {
  BP_OPTION_REPO ("A QEMU clone: trees from its tags (no checkout), and bisect"),
  { "tree", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_trees, "Your own unpacked tree for LINE (repeatable)", "LINE=DIR" },
  { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt_jobs, "Lines verified at once (default: processors)", "N" },
  BP_OPTION_JSON ("Print one JSON document with every step's evidence"),
  { "report", 0, 0, G_OPTION_ARG_FILENAME, &opt_report, "Write DIR/report.md (matrix, details, compiler and reproducer output)", "DIR" },
  BP_OPTION_CACHE ("Cache for trees and builds (default $XDG_CACHE_HOME/backport)"),
  { "offline", 0, 0, G_OPTION_ARG_NONE, &opt_offline, "Use only cached trees; never the network", NULL },
  { "refresh", 0, 0, G_OPTION_ARG_NONE, &opt_refresh, "Update the Debian source index first", NULL },
  { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the patched scratch copies", NULL },
  { "strict", 0, 0, G_OPTION_ARG_NONE, &opt_strict, "A step that could not run here fails the line", NULL },
  BP_OPTION_PACK,
  { "merge", 0, 0, G_OPTION_ARG_NONE, &opt_merge, "Merge `verify --json` documents (FILE...) into one matrix", NULL },
  { "emit-ci", 0, 0, G_OPTION_ARG_STRING, &opt_emit_ci, "Print a CI pipeline running the lines as parallel jobs (gitlab)", "KIND" },
  { "ci-image", 0, 0, G_OPTION_ARG_STRING, &opt_ci_image,
    "Image of the pipeline's jobs (default debian:bookworm; 'none' for shell runners)", "IMAGE" },
  { NULL }
};

static void
reset_options (void)
{
  g_clear_pointer (&opt_report, g_free);
  g_clear_pointer (&opt_emit_ci, g_free);
  g_clear_pointer (&opt_ci_image, g_free);
  g_clear_pointer (&opt_trees, g_strfreev);
  opt_jobs = 0;
  opt_offline = opt_refresh = opt_keep = opt_strict = opt_merge = FALSE;
}

static void
add_option (GPtrArray *argv, const char *name, const char *value)
{
  if (value == NULL)
    return;
  g_ptr_array_add (argv, (char *) name);
  g_ptr_array_add (argv, (char *) value);
}

static void
on_progress (const char *line, const char *message, gpointer user_data)
{
  if (line)
    fprintf (stderr, "[%s] %s\n", line, message);
  else
    fprintf (stderr, "verify: %s\n", message);
}

static void
on_trees_progress (const char *line, BpTreesProgressKind kind, const char *message, gpointer user_data)
{
  if (kind == BP_TREES_PROGRESS_STEP)
    on_progress (line, message, user_data);
}

/* Print the result the way the options ask, and turn it into the exit code. */
static gboolean
finish (GPtrArray *reports, BpFixPack *pack, GError **error)
{
  BpVerifyOutcome outcome = bp_verify_outcome (reports, opt_strict);
  int code = outcome == BP_VERIFY_NOTHING ? BP_EXIT_MISSING
           : outcome == BP_VERIFY_FAILED ? BP_EXIT_FOUND : BP_EXIT_OK;
  g_autoptr(JsonNode) identity = NULL;
  if (pack)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      bp_json_add_pack_identity (b, pack);
      json_builder_end_object (b);
      identity = json_builder_get_root (b);
    }
  if (bp_opt.json)
    {
      g_autoptr(JsonNode) doc = bp_verify_to_json (reports, identity, code);
      bp_json_print (doc);
    }
  else
    {
      g_autofree char *matrix = bp_verify_matrix (reports);
      fputs (matrix, stdout);
      for (guint i = 0; i < reports->len; i++)
        {
          BpLineReport *r = g_ptr_array_index (reports, i);
          if (!r->has_tree)
            printf ("%s: no tree: %s\n", r->line, r->steps[BP_STEP_TREE].detail ? r->steps[BP_STEP_TREE].detail : "none given");
        }
    }
  if (opt_report)
    {
      if (g_mkdir_with_parents (opt_report, 0755) != 0)
        return bp_usage (error, "--report %s: cannot create it: %s", opt_report, g_strerror (errno));
      g_autofree char *title = g_strdup_printf ("backport verify%s%s", pack ? ": " : "", pack ? pack->subject : "");
      g_autofree char *md = bp_verify_markdown (reports, title);
      g_autofree char *path = g_build_filename (opt_report, "report.md", NULL);
      g_autoptr(GError) local = NULL;
      if (!g_file_set_contents (path, md, -1, &local))
        return bp_error_exit (error, g_steal_pointer (&local), BP_EXIT_MISSING);
      fprintf (stderr, "verify: wrote %s\n", path);
    }
  if (code == 0)
    return TRUE;
  g_autoptr(GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                              code == 3 ? "nothing could be verified: no line has a tree"
                                                        : "at least one step failed (see the matrix)");
  return bp_error_exit (error, g_steal_pointer (&e), code);
}

/* "10.2" before "10.1" before "9.2", as the pack lists its lines */
static int
compare_lines_newest_first (gconstpointer a, gconstpointer b)
{
  const BpLineReport *ra = *(BpLineReport * const *) a, *rb = *(BpLineReport * const *) b;
  guint va[3] = { 0 }, vb[3] = { 0 };
  bp_version_parse (ra->line, va);
  bp_version_parse (rb->line, vb);
  return bp_version_compare (vb, va);
}

static gboolean
merge (int argc, char **argv, GError **error)
{
  if (argc < 2)
    return bp_usage (error, "--merge needs the JSON documents: backport verify --merge verify-*.json");
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_line_report_free);
  for (int i = 1; i < argc; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) local = NULL;
      /* a line's document is some KiB: the patch limit bounds what is read */
      g_autofree char *text = NULL;
      gsize len = 0;
      if ((text = bp_read_file_limited (argv[i], 16 * 1024 * 1024, TRUE, &len, NULL, &local)) == NULL ||
          !json_parser_load_from_data (parser, text, len, &local) ||
          !bp_verify_from_json (json_parser_get_root (parser), argv[i], reports, &local))
        {
          g_prefix_error (&local, "%s: ", argv[i]);
          return bp_error_exit (error, g_steal_pointer (&local), BP_EXIT_MISSING);
        }
    }
  g_ptr_array_sort (reports, compare_lines_newest_first);
  return finish (reports, NULL, error);
}

/* The lines asked for (LINE... of argv), or every line of PACK; NULL when
 * one is not the pack's. */
static GPtrArray *
wanted_lines (BpFixPack *pack, int argc, char **argv, GError **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  for (int i = 1; i < argc; i++)
    {
      if (bp_fixpack_get_line (pack, argv[i], error) == NULL)
        return NULL;
      g_ptr_array_add (lines, argv[i]);
    }
  if (lines->len == 0)
    for (guint i = 0; i < pack->lines->len; i++)
      g_ptr_array_add (lines, ((BpFixLine *) g_ptr_array_index (pack->lines, i))->name);
  return g_steal_pointer (&lines);
}

/* --emit-ci gitlab: the pipeline, one job per line of LINES. */
static gboolean
emit_ci (GPtrArray *lines, GError **error)
{
  if (strcmp (opt_emit_ci, "gitlab") != 0)
    return bp_usage (error, "--emit-ci %s: only 'gitlab' is supported", opt_emit_ci);
  /* Everything a line job needs to find the same trees. */
  g_autoptr(GPtrArray) pass = g_ptr_array_new ();
  add_option (pass, "--repo", bp_opt.repo);
  add_option (pass, "--cache", bp_opt.cache);
  for (char **t = opt_trees; t && *t; t++)
    add_option (pass, "--tree", *t);
  if (opt_strict)
    g_ptr_array_add (pass, "--strict");
  if (opt_offline)
    g_ptr_array_add (pass, "--offline");
  g_ptr_array_add (pass, NULL);
  const char *image = opt_ci_image ? opt_ci_image : "debian:bookworm";
  g_autofree char *yaml = bp_ci_gitlab_pipeline (lines, (const char *const *) pass->pdata,
                                                 strcmp (image, "none") == 0 ? NULL : image);
  fputs (yaml, stdout);
  return TRUE;
}

/* Every line of LINES through the pipeline, then the result. */
static gboolean
run (BpFixPack *pack, GPtrArray *lines, GCancellable *cancellable, GError **error)
{
  g_ptr_array_add (lines, NULL);
  BpTreesOptions topts = {
    .cache_dir = bp_opt.cache, .offline = opt_offline, .refresh = opt_refresh, .repo = bp_opt.repo,
    .user_trees = (const char *const *) opt_trees,
  };
  BpVerifyPlan plan = {
    .trees = &topts, .trees_progress = on_trees_progress,
    .verify = { .cache_dir = bp_opt.cache, .repo = bp_opt.repo, .keep = opt_keep, .progress = on_progress,
                .tree_remedy = bp_cmd_tree_remedy },
    .jobs = opt_jobs > 0 ? (guint) opt_jobs : 0,
  };
  g_autoptr(GPtrArray) reports = bp_verify_pipeline (pack, (const char *const *) lines->pdata, &plan,
                                                     cancellable, error);
  if (reports == NULL)
    {
      /* the resolver names the spec; these are its options */
      if (error && *error && g_error_matches (*error, BP_TREES_ERROR, BP_TREES_ERROR_USER_TREE))
        g_prefix_error (error, "--tree ");
      bp_cmd_hint (error, BP_TREES_ERROR, BP_TREES_ERROR_SOURCES, ", or use --repo DIR or --tree LINE=DIR");
      return FALSE;
    }
  /* Bisecting needs the history: the pipeline leaves the step to say so. */
  for (guint i = 0; !bp_opt.repo && i < reports->len; i++)
    {
      BpLineReport *r = reports->pdata[i];
      if (r->has_tree && !r->steps[BP_STEP_BISECT].ran)
        bp_line_report_set (r, BP_STEP_BISECT, BP_STEP_SKIP, "needs --repo (history)", NULL, NULL);
    }
  return finish (reports, pack, error);
}

BP_CMD (verify)
{
  reset_options ();
  g_autoptr(GOptionContext) context = g_option_context_new ("[LINE...] - prove the fix on every stable line");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Per line, on a scratch copy of a real tree: status, apply, check (compile before and\n"
    "after), repro (the tree's own decision, before and after), and with --repo, bisect.\n"
    "Trees: --tree LINE=DIR, else --repo's newest tag of the line (its stable-X.Y branch\n"
    "when newer), else Debian's source package through a private apt state in the cache.\n\n"
    "Exit status: 0 every affected line applies, compiles and goes from bug to clean, and\n"
    "every not-affected line is proven; 1 a step failed; 3 no line had a tree.");
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (opt_merge)
    return merge (argc, argv, error);

  g_autoptr(BpFixPack) pack = bp_cmd_load_pack (bp_opt.pack, error);
  if (pack == NULL)
    return FALSE;
  g_autoptr(GPtrArray) lines = wanted_lines (pack, argc, argv, error);
  if (lines == NULL)
    return FALSE;
  if (opt_emit_ci)
    return emit_ci (lines, error);
  return run (pack, lines, cancellable, error);
}

BP_COMPLETE (verify)
{
  if (!bp_complete_options (c, entries) && bp_complete_arg_index (c, entries) >= 1)
    bp_complete_lines (c);
}
