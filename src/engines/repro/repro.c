/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reproducer: pick the DMA path with the policy, pick the tier, make
 * guest RAM (falling back from huge pages to memfd when allowed), run. */
#include "base/scratch.h"
#include "base/test-pause.h"
#include "engines/repro/repro-private.h"
#include "engines/repro/tier2.h"

G_DEFINE_QUARK (bp-repro-error-quark, bp_repro_error)

G_STATIC_ASSERT ((int) BP_BACKING_HUGETLBFS == (int) BP_GR_HUGETLBFS);
G_STATIC_ASSERT ((int) BP_BACKING_MEMFD_HUGETLB == (int) BP_GR_MEMFD_HUGETLB);
G_STATIC_ASSERT ((int) BP_BACKING_MEMFD == (int) BP_GR_MEMFD);
G_STATIC_ASSERT ((int) BP_BACKING_TMPFS == (int) BP_GR_TMPFS);

void
bp_repro_result_clear (BpReproResult *result)
{
  g_free (result->tier_reason);
  g_free (result->backing_reason);
  g_free (result->policy_evidence);
  g_free (result->recovered);
  memset (result, 0, sizeof *result);
}

static gboolean
choose_path (const BpReproConfig *config, BpDmaPath *path, char **evidence, GError **error)
{
  switch (config->policy)
    {
    case BP_POLICY_OLD:
      *path = BP_DMA_BY_FILE;
      *evidence = g_strdup ("policy old (QEMU 10.1 to 11.0): the RAMBlock has an fd -> dma_map_file()");
      return TRUE;
    case BP_POLICY_FIXED:
      *path = config->share ? BP_DMA_BY_FILE : BP_DMA_BY_ADDRESS;
      *evidence = g_strdup_printf ("policy fixed: share=%s -> %s", config->share ? "on" : "off",
                                   config->share ? "dma_map_file()" : "dma_map()");
      return TRUE;
    case BP_POLICY_TREE:
      return bp_repro_tree_policy (config, config->share, path, evidence, error);
    default:
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "unknown policy %d", config->policy);
      return FALSE;
    }
}

typedef struct {
  BpGuestRam ram;
  gboolean open;
} RamGuard;

static void
ram_guard_clear (RamGuard *g)
{
  if (g->open)
    bp_guest_ram_close (&g->ram);
  g->open = FALSE;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RamGuard, ram_guard_clear)

static gboolean
open_ram (const BpReproConfig *config, RamGuard *guard, BpReproResult *result, GError **error)
{
  char err[512];
  int capability = 0;
  int backing = (int) config->backing;
  if (bp_guest_ram_open (&guard->ram, backing, config->share, config->size, config->sparse,
                         &capability, err, sizeof err) == 0)
    {
      guard->open = TRUE;
      result->backing = config->backing;
      return TRUE;
    }
  if (!capability)
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "%s", err);
      return FALSE;
    }
  if (config->backing_forced || !bp_gr_backing_is_huge (backing))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY, "%s backing: %s",
                   bp_gr_backing_name (backing), err);
      return FALSE;
    }
  /* Not root or no huge pages: 4K memfd shows the same bug (minus the extra pages). */
  result->backing_reason = g_strdup_printf ("%s unavailable (%s): fell back to memfd",
                                            bp_gr_backing_name (backing), err);
  char err2[512];
  if (bp_guest_ram_open (&guard->ram, BP_GR_MEMFD, config->share, config->size, config->sparse,
                         &capability, err2, sizeof err2) != 0)
    {
      g_set_error (error, BP_REPRO_ERROR, capability ? BP_REPRO_ERROR_CAPABILITY : BP_REPRO_ERROR_FAILED,
                   "%s; memfd too: %s", result->backing_reason, err2);
      return FALSE;
    }
  guard->open = TRUE;
  result->backing = BP_BACKING_MEMFD;
  return TRUE;
}

/* The signal cleanup for the whole run: the tree policy's compiler and
 * scratch directory, the device, the mount and the pool. */
typedef struct {
  gboolean installed;
} CleanupGuard;

static void
cleanup_guard_clear (CleanupGuard *g)
{
  if (g->installed)
    bp_cleanup_uninstall ();
  g->installed = FALSE;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CleanupGuard, cleanup_guard_clear)

gboolean
bp_repro_check_size (const BpReproConfig *config, GError **error)
{
  char err[512];
  if (bp_guest_ram_fits ((int) config->backing, config->share, config->size, err, sizeof err) == 0)
    return TRUE;
  g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_TOO_LARGE, "%s", err);
  return FALSE;
}

/* Give back what killed runs left, and refuse guest RAM the host cannot
 * hold, before anything is allocated. */
static gboolean
prepare (const BpReproConfig *config, BpReproResult *result, GError **error)
{
  char note[1024];
  gboolean pool = bp_guest_ram_recover (note, sizeof note) > 0;
  /* a harness directory, which no handler removes after SIGKILL */
  g_autoptr(GString) dirs = g_string_new (NULL);
  guint swept = bp_scratch_sweep (g_get_tmp_dir (), BP_REPRO_HARNESS_PREFIX, dirs);
  if (pool || swept)
    result->recovered = g_strdup_printf ("%s%s%s%s", pool ? note : "recovered what an interrupted run left: ",
                                         pool && swept ? ", " : "", swept ? "removed " : "", swept ? dirs->str : "");
  return bp_repro_check_size (config, error);
}

gboolean
bp_repro_run (const BpReproConfig *config, BpReproResult *result, GError **error)
{
  memset (result, 0, sizeof *result);
  result->pfn_diverged_before = -1;
  result->pfn_diverged = -1;
  result->extra_hugepages = -1;
  result->hugepages_pool_delta = -1;
  result->backing = config->backing;
  if (!prepare (config, result, error))
    return FALSE;
  g_auto(CleanupGuard) cleanup = { TRUE };
  bp_cleanup_install ();

  BpDmaPath path;
  if (!choose_path (config, &path, &result->policy_evidence, error))
    return FALSE;
  result->path = path;

  if (config->tier != 1)
    {
      g_autofree char *why = NULL;
      if (bp_repro_tier2_available (&why))
        {
          result->tier = 2;
          result->tier_reason = g_strdup (config->tier == 2 ? "tier 2 asked for"
                                                            : "/dev/iommu with the iommufd test mock: tier 2");
          gboolean ok = bp_repro_tier2_run (config, path, result, error);
          result->reproduced = result->stale_reads || result->lost_writes || result->pfn_mismatches;
          return ok;
        }
      if (config->tier == 2)
        {
          g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY, "tier 2 unavailable: %s", why);
          return FALSE;
        }
      result->tier_reason = g_strdup_printf ("%s: tier 1", why);
    }
  else
    result->tier_reason = g_strdup ("tier 1 asked for");

  g_auto(RamGuard) guard = { { 0 }, FALSE };
  if (!open_ram (config, &guard, result, error))
    return FALSE;
  bp_test_pause ("repro-ram");
  if (!bp_repro_tier1_run (config, &guard.ram, path, result, error))
    return FALSE;
  result->reproduced = result->stale_reads || result->lost_writes || result->pfn_mismatches;
  return TRUE;
}
