/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport repro: dirty private guest RAM, let a device DMA through the path
 * a policy (or a tree's own code) picks, and say whether it saw the guest's
 * memory.  Exit 0 no inconsistency, 1 bug reproduced, 3 capability missing;
 * with --bisect-exit 0 good, 1 bad, 125 skip. */
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "cli/complete.h"
#include "base/bp-error.h"
#include "base/json.h"
#include "engines/repro/repro.h"
#include "report/repro-report.h"

static char *opt_backing;
static char *opt_share;
static char *opt_size;
static int opt_dirty_every = 2;
static gboolean opt_prefill;
static gboolean opt_sparse;
static char *opt_tier;
static char *opt_policy;
static char *opt_tree;
static char *opt_rev;
static gboolean opt_bisect_exit;
static gboolean opt_bench;

static GOptionEntry entries[] = {
  { "backing", 0, 0, G_OPTION_ARG_STRING, &opt_backing,
    "Guest RAM backing: hugetlbfs (default; falls back to memfd unless given), memfd-hugetlb, memfd, tmpfs", "KIND" },
  { "share", 0, 0, G_OPTION_ARG_STRING, &opt_share, "share=on (MAP_SHARED) or off (MAP_PRIVATE, default)", "on|off" },
  { "size", 0, 0, G_OPTION_ARG_STRING, &opt_size, "Guest RAM size, e.g. 64M (default), 512M, 1G", "N" },
  { "dirty-every", 0, 0, G_OPTION_ARG_INT, &opt_dirty_every, "The guest writes every K-th page (default 2)", "K" },
  { "prefill", 0, 0, G_OPTION_ARG_NONE, &opt_prefill, "Prefill the backing file with a pattern (default)", NULL },
  { "sparse", 0, 0, G_OPTION_ARG_NONE, &opt_sparse, "Leave the backing file sparse, as a fresh -mem-path file", NULL },
  { "tier", 0, 0, G_OPTION_ARG_STRING, &opt_tier, "1 (forked device), 2 (iommufd test mock), auto (default)", "1|2|auto" },
  { "policy", 0, 0, G_OPTION_ARG_STRING, &opt_policy,
    "old (by file whenever there is an fd), fixed (the fix), tree (a tree's own code)", "old|fixed|tree" },
  { "tree", 0, 0, G_OPTION_ARG_FILENAME, &opt_tree, "Unpacked QEMU tree whose decision to run (policy tree)", "DIR" },
  BP_OPTION_REPO ("QEMU git repository (with --rev; read from blobs, no checkout)"),
  { "rev", 0, 0, G_OPTION_ARG_STRING, &opt_rev, "Revision of --repo", "REV" },
  BP_OPTION_JSON ("Print the result as JSON"),
  { "bisect-exit", 0, 0, G_OPTION_ARG_NONE, &opt_bisect_exit,
    "Exit for git bisect run: 0 good, 1 bad (reproduced), 125 skip (cannot tell)", NULL },
  { "bench", 0, 0, G_OPTION_ARG_NONE, &opt_bench,
    "Also time a plain memcmp of guest RAM against the device's view", NULL },
  { NULL }
};

static void
reset_options (void)
{
  g_clear_pointer (&opt_backing, g_free);
  g_clear_pointer (&opt_share, g_free);
  g_clear_pointer (&opt_size, g_free);
  g_clear_pointer (&opt_tier, g_free);
  g_clear_pointer (&opt_policy, g_free);
  g_clear_pointer (&opt_tree, g_free);
  g_clear_pointer (&opt_rev, g_free);
  opt_dirty_every = 2;
  opt_prefill = opt_sparse = opt_bisect_exit = opt_bench = FALSE;
}

static gboolean
parse_size (const char *text, gsize *out)
{
  /* strtoull takes "-1" for 2^64-1: digits only */
  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  if (end == text || errno == ERANGE)
    return FALSE;
  guint64 mult = 1;
  switch (g_ascii_toupper (*end))
    {
    case '\0': break;
    case 'K': mult = 1ull << 10; end++; break;
    case 'M': mult = 1ull << 20; end++; break;
    case 'G': mult = 1ull << 30; end++; break;
    default: return FALSE;
    }
  if (*end == 'i')
    end++;
  if (*end == 'B' || *end == 'b')
    end++;
  if (*end || v == 0 || v > (G_MAXSIZE / mult))
    return FALSE;
  *out = (gsize) (v * mult);
  return TRUE;
}

static gboolean
config_from_options (BpReproConfig *c, GError **error)
{
  memset (c, 0, sizeof *c);
  c->backing = BP_BACKING_HUGETLBFS;
  if (opt_backing)
    {
      if (strcmp (opt_backing, "hugetlbfs") == 0)
        c->backing = BP_BACKING_HUGETLBFS;
      else if (strcmp (opt_backing, "memfd-hugetlb") == 0)
        c->backing = BP_BACKING_MEMFD_HUGETLB;
      else if (strcmp (opt_backing, "memfd") == 0)
        c->backing = BP_BACKING_MEMFD;
      else if (strcmp (opt_backing, "tmpfs") == 0)
        c->backing = BP_BACKING_TMPFS;
      else
        return bp_usage (error, "--backing %s: use hugetlbfs, memfd-hugetlb, memfd or tmpfs", opt_backing);
      c->backing_forced = TRUE;
    }
  if (opt_share && strcmp (opt_share, "on") != 0 && strcmp (opt_share, "off") != 0)
    return bp_usage (error, "--share %s: use on or off", opt_share);
  c->share = opt_share && strcmp (opt_share, "on") == 0;
  c->size = 64u << 20;
  if (opt_size && !parse_size (opt_size, &c->size))
    return bp_usage (error, "--size %s: give bytes with an optional K, M or G suffix, e.g. 512M", opt_size);
  if (opt_dirty_every < 1)
    return bp_usage (error, "--dirty-every %d: give a page interval of 1 or more", opt_dirty_every);
  c->dirty_every = (guint) opt_dirty_every;
  if (opt_prefill && opt_sparse)
    return bp_usage (error, "--prefill and --sparse exclude each other");
  c->sparse = opt_sparse;
  if (!opt_tier || strcmp (opt_tier, "auto") == 0)
    c->tier = 0;
  else if (strcmp (opt_tier, "1") == 0 || strcmp (opt_tier, "2") == 0)
    c->tier = opt_tier[0] - '0';
  else
    return bp_usage (error, "--tier %s: use 1, 2 or auto", opt_tier);

  gboolean have_source = opt_tree || bp_opt.repo || opt_rev;
  if (opt_tree && (bp_opt.repo || opt_rev))
    return bp_usage (error, "--tree excludes --repo/--rev: give one source for the tree policy");
  if ((bp_opt.repo != NULL) != (opt_rev != NULL))
    return bp_usage (error, "--repo and --rev go together: --repo DIR --rev REV");
  if (!opt_policy)
    c->policy = have_source ? BP_POLICY_TREE : BP_POLICY_OLD;
  else if (strcmp (opt_policy, "old") == 0)
    c->policy = BP_POLICY_OLD;
  else if (strcmp (opt_policy, "fixed") == 0)
    c->policy = BP_POLICY_FIXED;
  else if (strcmp (opt_policy, "tree") == 0)
    c->policy = BP_POLICY_TREE;
  else
    return bp_usage (error, "--policy %s: use old, fixed or tree", opt_policy);
  if (c->policy == BP_POLICY_TREE && !have_source)
    return bp_usage (error, "--policy tree needs --tree DIR or --repo DIR --rev REV");
  if (c->policy != BP_POLICY_TREE && have_source)
    return bp_usage (error, "--tree/--repo/--rev only go with --policy tree");
  c->tree_dir = opt_tree;
  c->repo_dir = bp_opt.repo;
  c->rev = opt_rev;
  c->measure_memcmp = opt_bench;
  return TRUE;
}

static gboolean
run (int argc, char **argv, GError **error)
{
  g_autoptr(GOptionContext) context =
    g_option_context_new ("- reproduce the private-RAM MAP_FILE bug and check a tree's decision");
  g_option_context_set_summary (context,
    "Makes guest RAM like QEMU's, lets the guest dirty it, and has a device DMA through the\n"
    "path the policy picks: by file (IOMMU_IOAS_MAP_FILE) or by address (IOMMU_IOAS_MAP).\n"
    "Exit 0: no inconsistency; 1: BUG REPRODUCED; 3: capability missing (reason printed).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return bp_usage (error, "unexpected argument '%s'", argv[1]);
  BpReproConfig config;
  if (!config_from_options (&config, error))
    return FALSE;

  g_auto(BpReproResult) result = { 0 };
  g_autoptr(GError) local = NULL;
  if (!bp_repro_check_size (&config, &local))
    {
      g_prefix_error (&local, "--size %s: ", opt_size ? opt_size : "64M");
      if (opt_bisect_exit)
        return bp_error_exit (error, g_steal_pointer (&local), 125);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (config.size >= (gsize) 1 << 30)
    {
      g_autofree char *sz = g_format_size_full (config.size, G_FORMAT_SIZE_IEC_UNITS);
      fprintf (stderr, "backport repro: making %s of guest RAM and running the device over it...\n", sz);
    }
  gboolean ran = bp_repro_run (&config, &result, &local);
  if (result.recovered)
    fprintf (stderr, "backport repro: %s\n", result.recovered);
  if (g_error_matches (local, BP_REPRO_ERROR, BP_REPRO_ERROR_TOO_LARGE))
    g_prefix_error (&local, "--size %s: ", opt_size ? opt_size : "64M");
  if (!ran)
    {
      if (opt_bisect_exit)
        {
          g_prefix_error (&local, "cannot tell, skip (125): ");
          return bp_error_exit (error, g_steal_pointer (&local), 125);
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (bp_opt.json)
    {
      g_autoptr(JsonNode) root = bp_repro_report_json (&config, &result);
      bp_json_print (root);
    }
  else
    {
      g_autofree char *text = bp_repro_report_text (&config, &result);
      fputs (text, stdout);
    }
  fflush (stdout);
  if (result.reproduced)
    {
      g_set_error_literal (error, BP_EXIT_ERROR, BP_EXIT_FOUND, "");
      return FALSE;
    }
  return TRUE;
}

BP_CMD (repro)
{
  gboolean ok = run (argc, argv, error);
  reset_options ();
  return ok;
}

BP_COMPLETE (repro)
{
  bp_complete_options (c, entries);
}
