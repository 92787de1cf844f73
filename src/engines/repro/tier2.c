/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tier 2 for the GLib side: thin wrappers over the libc-only core in
 * tier2-core.c (which the static VM reproducer links too). */
#include "engines/repro/tier2.h"

#include <errno.h>

#include "engines/repro/guest-ram.h"
#include "engines/repro/tier2-core.h"

G_STATIC_ASSERT ((int) BP_BACKING_HUGETLBFS == (int) BP_GR_HUGETLBFS);
G_STATIC_ASSERT ((int) BP_BACKING_MEMFD_HUGETLB == (int) BP_GR_MEMFD_HUGETLB);
G_STATIC_ASSERT ((int) BP_BACKING_MEMFD == (int) BP_GR_MEMFD);
G_STATIC_ASSERT ((int) BP_BACKING_TMPFS == (int) BP_GR_TMPFS);

gboolean
bp_repro_tier2_available (char **reason)
{
  char buf[256];
  gboolean ok = bp_t2_probe (buf, sizeof buf) == 1;
  if (reason)
    *reason = g_strdup (buf);
  return ok;
}

gboolean
bp_repro_tier2_run (const BpReproConfig *config, BpDmaPath path,
                    BpReproResult *result, GError **error)
{
  char err[512] = "";
  int capability = 0, err_no = 0;
  BpGuestRam ram;
  struct bp_t2_counts c;
  g_autofree char *reason = NULL;

  if (!bp_repro_tier2_available (&reason))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY, "tier 2 unavailable: %s", reason);
      return FALSE;
    }

  gint64 t0 = g_get_monotonic_time ();
  if (bp_guest_ram_open (&ram, (int) config->backing, config->share, config->size, config->sparse,
                         &capability, err, sizeof err) != 0)
    {
      g_set_error (error, BP_REPRO_ERROR,
                   capability ? BP_REPRO_ERROR_CAPABILITY : BP_REPRO_ERROR_FAILED, "%s", err);
      return FALSE;
    }
  int r = bp_t2_run_case (&ram, path == BP_DMA_BY_FILE, config->dirty_every, FALSE, &c, &err_no, err, sizeof err);
  gsize ram_page_size = ram.page_size;
  bp_guest_ram_close (&ram);
  if (r != 0)
    {
      /* MAP_FILE of private hugetlb RAM with the pool sized to guest RAM:
       * the file's second copy does not fit.  That is the bug too, but the
       * counters cannot show it: say so. */
      if (err_no == ENOMEM && path == BP_DMA_BY_FILE)
        g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED,
                     "%s: the map by file needs the file's own copy of guest RAM and the page pool cannot hold it",
                     err);
      else
        g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "tier 2: %s", err);
      return FALSE;
    }

  result->tier = 2;
  result->backing = config->backing;
  result->path = path;
  result->pages = c.pages;
  result->page_size = ram_page_size;
  result->device_writes = c.pages;    /* a marker to every page */
  result->pages_dirtied = c.pages_dirtied;
  result->stale_reads = c.stale_reads;
  result->lost_writes = c.lost_writes;
  result->pfn_mismatches = c.pfn_mismatches;
  /* Not measured before the writes: reading the file's PFNs maps its holes,
   * which would charge the by-address path with pages it never took. */
  result->pfn_diverged_before = -1;
  result->pfn_diverged = c.pfn_diverged;
  result->extra_hugepages = c.extra_hugepages;
  result->seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  result->reproduced = c.stale_reads || c.lost_writes || c.pfn_mismatches;
  return TRUE;
}
