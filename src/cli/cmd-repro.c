/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backport repro: dirty private guest RAM, let a device DMA through the path
 * a policy (or a tree's own code) picks, and say whether it saw the guest's
 * memory.  Exit 0 no inconsistency, 1 bug reproduced, 3 capability missing;
 * with --bisect-exit 0 good, 1 bad, 125 skip. */
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli/bp-commands.h"
#include "cli/cmd-options.h"
#include "base/bp-error.h"
#include "engines/repro/repro.h"

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
  char *end = NULL;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  if (end == text)
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

static const char *const backing_names[] = { "hugetlbfs", "memfd-hugetlb", "memfd", "tmpfs" };
static const char *const policy_names[] = { "old", "fixed", "tree" };

static const char *
path_name (BpDmaPath p)
{
  return p == BP_DMA_BY_FILE ? "by-file" : "by-address";
}

static char *
verdict (const BpReproResult *r)
{
  if (!r->reproduced)
    return g_strdup_printf ("no inconsistency: the device saw every guest page as the guest wrote it, "
                            "and the guest saw all %" G_GUINT64_FORMAT " device writes",
                            r->device_writes);
  GString *s = g_string_new ("BUG REPRODUCED:");
  const char *sep = " ";
  if (r->stale_reads)
    {
      g_string_append_printf (s, "%sthe device read %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                              " pages stale", sep, r->stale_reads, r->pages);
      sep = "; ";
    }
  if (r->lost_writes)
    {
      g_string_append_printf (s, "%s%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                              " device writes were lost to the guest", sep, r->lost_writes, r->device_writes);
      sep = "; ";
    }
  if (r->pfn_mismatches)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT " IOMMU PFNs differ from the guest's", sep, r->pfn_mismatches);
  return g_string_free (s, FALSE);
}

static double
gib_per_second (const BpReproResult *r, double seconds)
{
  if (seconds <= 0)
    return 0;
  return (double) r->pages * (double) r->page_size / (double) (1 << 30) / seconds;
}

static void
print_json (const BpReproConfig *c, const BpReproResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
#define STR(k, v) do { json_builder_set_member_name (b, k); \
    if (v) json_builder_add_string_value (b, v); else json_builder_add_null_value (b); } while (0)
#define INT(k, v) do { json_builder_set_member_name (b, k); json_builder_add_int_value (b, (gint64) (v)); } while (0)
#define BOOL(k, v) do { json_builder_set_member_name (b, k); json_builder_add_boolean_value (b, (v)); } while (0)
#define DBL(k, v) do { json_builder_set_member_name (b, k); json_builder_add_double_value (b, (v)); } while (0)
  BOOL ("reproduced", r->reproduced);
  g_autofree char *v = verdict (r);
  STR ("verdict", v);
  INT ("tier", r->tier);
  STR ("tier_reason", r->tier_reason);
  STR ("backing", backing_names[r->backing]);
  STR ("backing_reason", r->backing_reason);
  BOOL ("share", c->share);
  BOOL ("sparse", c->sparse);
  INT ("size", (gint64) (r->pages * r->page_size));
  INT ("page_size", r->page_size);
  INT ("dirty_every", c->dirty_every);
  STR ("policy", policy_names[c->policy]);
  STR ("path", path_name (r->path));
  STR ("policy_evidence", r->policy_evidence);
  INT ("pages", r->pages);
  INT ("pages_dirtied", r->pages_dirtied);
  INT ("stale_reads", r->stale_reads);
  INT ("device_writes", r->device_writes);
  INT ("lost_writes", r->lost_writes);
  INT ("pfn_mismatches", r->pfn_mismatches);
  INT ("pfn_diverged_before", r->pfn_diverged_before);
  INT ("pfn_diverged", r->pfn_diverged);
  INT ("extra_hugepages", r->extra_hugepages);
  INT ("hugepages_pool_delta", r->hugepages_pool_delta);
  DBL ("verify_seconds", r->seconds);
  DBL ("verify_gib_per_second", gib_per_second (r, r->seconds));
  if (c->measure_memcmp)
    {
      DBL ("memcmp_seconds", r->memcmp_seconds);
      DBL ("memcmp_gib_per_second", gib_per_second (r, r->memcmp_seconds));
    }
  json_builder_end_object (b);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
#undef STR
#undef INT
#undef BOOL
#undef DBL
}

static void
print_text (const BpReproConfig *c, const BpReproResult *r)
{
  g_autofree char *size = g_format_size_full (r->pages * r->page_size, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *psize = g_format_size_full (r->page_size, G_FORMAT_SIZE_IEC_UNITS);
  printf ("tier %d (%s)\n", r->tier, r->tier_reason ? r->tier_reason : "");
  if (r->backing_reason)
    printf ("backing: %s\n", r->backing_reason);
  printf ("guest RAM: %s, share=%s, %s, %s in %" G_GUINT64_FORMAT " pages of %s, guest writes every %u%s page\n",
          backing_names[r->backing], c->share ? "on" : "off", c->sparse ? "sparse" : "prefilled",
          size, r->pages, psize, c->dirty_every,
          c->dirty_every == 1 ? "" : c->dirty_every == 2 ? "nd" : c->dirty_every == 3 ? "rd" : "th");
  printf ("DMA path: %s (%s)\n", path_name (r->path), r->policy_evidence ? r->policy_evidence : "");
  printf ("pages dirtied by the guest:    %" G_GUINT64_FORMAT "\n", r->pages_dirtied);
  printf ("stale device reads:            %" G_GUINT64_FORMAT "\n", r->stale_reads);
  printf ("device writes lost:            %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "\n",
          r->lost_writes, r->device_writes);
  if (r->tier == 2)
    printf ("IOMMU PFN != guest PFN:        %" G_GUINT64_FORMAT "\n", r->pfn_mismatches);
  if (r->pfn_diverged >= 0)
    printf ("guest PFN != file PFN:         %" G_GINT64_FORMAT " before the guest wrote, %" G_GINT64_FORMAT " after\n",
            r->pfn_diverged_before, r->pfn_diverged);
  else
    printf ("guest PFN != file PFN:         unknown (PFNs need root)\n");
  if (r->extra_hugepages >= 0)
    printf ("extra %s pages allocated:    %" G_GINT64_FORMAT " (huge page pool in use: %+" G_GINT64_FORMAT " system-wide)\n",
            r->page_size > 4096 ? "huge" : "file", r->extra_hugepages, r->hugepages_pool_delta);
  printf ("verified %s in %.3f s (%.2f GiB/s)", size, r->seconds, gib_per_second (r, r->seconds));
  if (c->measure_memcmp && r->memcmp_seconds > 0)
    printf ("; memcmp %.3f s (%.2f GiB/s), ratio %.2f", r->memcmp_seconds,
            gib_per_second (r, r->memcmp_seconds), r->memcmp_seconds / r->seconds);
  printf ("\n");
  g_autofree char *v = verdict (r);
  printf ("%s\n", v);
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
    print_json (&config, &result);
  else
    print_text (&config, &result);
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
