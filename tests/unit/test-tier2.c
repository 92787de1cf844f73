/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tier 2 of the reproducer: the iommufd ABI we carry, the capability probe,
 * and, on a kernel with /dev/iommu and CONFIG_IOMMUFD_TEST, the real paths.
 * Where the kernel lacks them the kernel cases SKIP with the probe's reason
 * (tests/vm/run-tier2.sh runs them on a kernel built for it). */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "engines/repro/guest-ram.h"
#include "engines/repro/iommufd-abi.h"
#include "engines/repro/tier2-core.h"
#include "engines/repro/tier2.h"

/* Sizes and numbers the kernel checks: a wrong one is EINVAL or ENOTTY at run
 * time, so pin them here as well as in the header's static assertions. */
static void
test_abi_layout (void)
{
  g_assert_cmphex (BP_IOMMU_IOAS_ALLOC, ==, 0x3b81);
  g_assert_cmphex (BP_IOMMU_IOAS_MAP, ==, 0x3b85);
  g_assert_cmphex (BP_IOMMU_IOAS_UNMAP, ==, 0x3b86);
  g_assert_cmphex (BP_IOMMU_IOAS_MAP_FILE, ==, 0x3b8f);
  g_assert_cmphex (BP_IOMMU_TEST_CMD, ==, 0x3ba0);

  g_assert_cmpuint (sizeof (struct bp_iommu_ioas_alloc), ==, 12);
  g_assert_cmpuint (sizeof (struct bp_iommu_ioas_map), ==, 40);
  g_assert_cmpuint (sizeof (struct bp_iommu_ioas_map_file), ==, 40);
  g_assert_cmpuint (offsetof (struct bp_iommu_ioas_map_file, fd), ==, 12);
  g_assert_cmpuint (offsetof (struct bp_iommu_ioas_map_file, start), ==, 16);
  g_assert_cmpuint (offsetof (struct bp_iommu_ioas_map_file, length), ==, 24);
  g_assert_cmpuint (offsetof (struct bp_iommu_ioas_map_file, iova), ==, 32);
  g_assert_cmpuint (sizeof (struct bp_iommu_ioas_unmap), ==, 24);

  g_assert_cmpuint (sizeof (struct bp_iommu_test_cmd), ==, 72);
  g_assert_cmpuint (offsetof (struct bp_iommu_test_cmd, mock_domain.out_hwpt_id), ==, 20);
  g_assert_cmpuint (offsetof (struct bp_iommu_test_cmd, check_map.uptr), ==, 32);
  g_assert_cmpuint (offsetof (struct bp_iommu_test_cmd, create_access.flags), ==, 20);
  g_assert_cmpuint (offsetof (struct bp_iommu_test_cmd, access_rw.flags), ==, 40);
  g_assert_cmpuint (offsetof (struct bp_iommu_test_cmd, last), ==, 64);

  g_assert_cmpint (BP_TEST_OP_MOCK_DOMAIN, ==, 2);
  g_assert_cmpint (BP_TEST_OP_MD_CHECK_MAP, ==, 3);
  g_assert_cmpint (BP_TEST_OP_CREATE_ACCESS, ==, 5);
  g_assert_cmpint (BP_TEST_OP_ACCESS_RW, ==, 8);
  g_assert_cmpint (BP_ACCESS_RW_SLOW_PATH, ==, 4);
}

/* The probe always says why, and agrees with the device node. */
static void
test_available_reason (void)
{
  g_autofree char *reason = NULL;
  gboolean ok = bp_repro_tier2_available (&reason);
  g_assert_nonnull (reason);
  g_assert_cmpstr (reason, !=, "");
  g_test_message ("tier 2 %s: %s", ok ? "available" : "unavailable", reason);
  if (!g_file_test (BP_T2_DEV_IOMMU, G_FILE_TEST_EXISTS))
    {
      g_assert_false (ok);
      g_assert_nonnull (strstr (reason, "no /dev/iommu"));
    }
  /* NULL reason is allowed. */
  g_assert_true (bp_repro_tier2_available (NULL) == ok);
}

/* Without the kernel's support, a run is a missing capability (exit 3), and
 * the core's session fails cleanly and can still be closed. */
static void
test_unavailable_run (void)
{
  g_autofree char *reason = NULL;
  if (bp_repro_tier2_available (&reason))
    {
      g_test_skip ("this kernel has tier 2; the missing-capability path cannot be seen here");
      return;
    }
  BpReproConfig config = {
    .backing = BP_BACKING_MEMFD, .share = FALSE, .size = 16 * 4096, .dirty_every = 2,
  };
  BpReproResult result = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_false (bp_repro_tier2_run (&config, BP_DMA_BY_FILE, &result, &error));
  g_assert_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY);
  g_assert_nonnull (strstr (error->message, reason));
  g_assert_cmpuint (result.pages, ==, 0);

  if (!g_file_test (BP_T2_DEV_IOMMU, G_FILE_TEST_EXISTS))
    {
      struct bp_t2 t;
      g_assert_cmpint (bp_t2_open (&t), ==, -1);
      g_assert_cmpint (t.err_no, ==, ENOENT);
      g_assert_nonnull (strstr (t.err, BP_T2_DEV_IOMMU));
      bp_t2_close (&t);
      bp_t2_close (&t);
    }
}

typedef struct {
  BpBacking backing;
  gboolean share;
  gboolean sparse;
  BpDmaPath path;
} KernelCase;

/* The real kernel path: share=off by file is inconsistent on exactly the
 * pages the guest wrote; by address and share=on never. */
static void
test_kernel_case (gconstpointer data)
{
  const KernelCase *k = data;
  g_autofree char *reason = NULL;
  if (!bp_repro_tier2_available (&reason))
    {
      g_autofree char *msg = g_strdup_printf ("tier 2 unavailable: %s", reason);
      g_test_skip (msg);
      return;
    }
  gboolean huge = k->backing == BP_BACKING_MEMFD_HUGETLB;
  gsize ps = huge ? bp_hugepage_size () : 4096;
  BpReproConfig config = {
    .backing = k->backing, .share = k->share, .size = 16 * ps, .dirty_every = 2, .sparse = k->sparse,
  };
  BpReproResult result = { 0 };
  g_autoptr (GError) error = NULL;
  if (!bp_repro_tier2_run (&config, k->path, &result, &error))
    {
      if (g_error_matches (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY))
        {
          g_test_skip (error->message);
          return;
        }
      g_error ("tier 2 run failed: %s", error->message);
    }
  g_test_message ("pages %" G_GUINT64_FORMAT " dirtied %" G_GUINT64_FORMAT " stale %" G_GUINT64_FORMAT
                  " lost %" G_GUINT64_FORMAT " mismatch %" G_GUINT64_FORMAT " extra huge pages %" G_GINT64_FORMAT,
                  result.pages, result.pages_dirtied, result.stale_reads, result.lost_writes,
                  result.pfn_mismatches, result.extra_hugepages);
  g_assert_cmpint (result.tier, ==, 2);
  g_assert_cmpuint (result.pages, ==, 16);
  g_assert_cmpuint (result.pages_dirtied, ==, 8);
  if (!k->share && k->path == BP_DMA_BY_FILE)
    {
      g_assert_true (result.reproduced);
      g_assert_cmpuint (result.stale_reads, ==, result.pages_dirtied);
      g_assert_cmpuint (result.lost_writes, >=, result.pages_dirtied);
      g_assert_cmpuint (result.pfn_mismatches, >=, result.pages_dirtied);
      if (huge && k->sparse)
        g_assert_cmpint (result.extra_hugepages, ==, 16);
    }
  else
    {
      g_assert_false (result.reproduced);
      g_assert_cmpuint (result.stale_reads, ==, 0);
      g_assert_cmpuint (result.lost_writes, ==, 0);
      g_assert_cmpuint (result.pfn_mismatches, ==, 0);
      if (huge)
        g_assert_cmpint (result.extra_hugepages, ==, 0);
    }
}

int
main (int argc, char **argv)
{
  static const KernelCase cases[] = {
    { BP_BACKING_MEMFD, FALSE, FALSE, BP_DMA_BY_FILE },
    { BP_BACKING_MEMFD, FALSE, FALSE, BP_DMA_BY_ADDRESS },
    { BP_BACKING_MEMFD, TRUE, FALSE, BP_DMA_BY_FILE },
    { BP_BACKING_MEMFD_HUGETLB, FALSE, TRUE, BP_DMA_BY_FILE },
    { BP_BACKING_MEMFD_HUGETLB, FALSE, TRUE, BP_DMA_BY_ADDRESS },
    { BP_BACKING_MEMFD_HUGETLB, TRUE, TRUE, BP_DMA_BY_FILE },
  };
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tier2/abi-layout", test_abi_layout);
  g_test_add_func ("/tier2/available-reason", test_available_reason);
  g_test_add_func ("/tier2/unavailable-run", test_unavailable_run);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const KernelCase *k = &cases[i];
      g_autofree char *name = g_strdup_printf ("/tier2/kernel/%s/share-%s/%s/%s",
                                               bp_gr_backing_name ((int) k->backing), k->share ? "on" : "off",
                                               k->sparse ? "sparse" : "prefill",
                                               k->path == BP_DMA_BY_FILE ? "by-file" : "by-address");
      g_test_add_data_func (name, k, test_kernel_case);
    }
  return g_test_run ();
}
