/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reproducer's library: the tree decision (extraction, eras, errors,
 * cache), guest RAM patterns, and one run per policy through the API. */
#include <string.h>

#include <glib/gstdio.h>

#include "engines/repro/guest-ram.h"
#include "engines/repro/repro.h"

static char *cache_dir;

/* QEMU-shaped sources written for this test (not QEMU's code). */
static const char src_10_0[] =
  "#include \"qemu/osdep.h\"\n"
  "int vfio_container_dma_map(VFIOContainerBase *bc, hwaddr iova, ram_addr_t size,\n"
  "                           void *vaddr, bool readonly);\n"
  "int vfio_container_dma_map(VFIOContainerBase *bc, hwaddr iova, ram_addr_t size,\n"
  "                           void *vaddr, bool readonly)\n"
  "{\n"
  "    VFIOIOMMUClass *k = VFIO_IOMMU_GET_CLASS(bc);\n"
  "    g_assert(k->dma_map); /* } in a comment */\n"
  "    return k->dma_map(bc, iova, size, vaddr, readonly);\n"
  "}\n";

static const char src_10_2_old[] =
  "static const char *s = \"int vfio_container_dma_map(void) {\";\n"
  "int\n"
  "vfio_container_dma_map(VFIOContainer *bc, hwaddr iova, uint64_t size,\n"
  "                       void *vaddr, bool readonly, MemoryRegion *mr)\n"
  "{\n"
  "    VFIOIOMMUClass *k = VFIO_IOMMU_GET_CLASS(bc);\n"
  "    RAMBlock *rb = mr->ram_block;\n"
  "    int fd = rb ? qemu_ram_get_fd(rb) : -1;\n"
  "    if (fd >= 0 && k->dma_map_file) {\n"
  "        unsigned long start = vaddr - qemu_ram_get_host_addr(rb);\n"
  "        return k->dma_map_file(bc, iova, size, fd, start + qemu_ram_get_fd_offset(rb), readonly);\n"
  "    }\n"
  "    return k->dma_map(bc, iova, size, vaddr, readonly, mr);\n"
  "}\n";

static const char src_10_2_fixed[] =
  "static bool vfio_container_can_dma_map_file(VFIOContainer *bc, MemoryRegion *mr, int *fd)\n"
  "{\n"
  "    RAMBlock *rb = mr->ram_block;\n"
  "    if (!VFIO_IOMMU_GET_CLASS(bc)->dma_map_file || !rb) {\n"
  "        return false;\n"
  "    }\n"
  "    *fd = qemu_ram_get_fd(rb);\n"
  "    return *fd >= 0 && (qemu_ram_is_shared(rb) || memory_region_is_ram_device(mr));\n"
  "}\n"
  "int vfio_container_dma_map(VFIOContainer *bc, hwaddr iova, uint64_t size,\n"
  "                           void *vaddr, bool readonly, MemoryRegion *mr)\n"
  "{\n"
  "    VFIOIOMMUClass *k = VFIO_IOMMU_GET_CLASS(bc);\n"
  "    int fd;\n"
  "    if (vfio_container_can_dma_map_file(bc, mr, &fd)) {\n"
  "        return k->dma_map_file(bc, iova, size, fd, 0, readonly);\n"
  "    }\n"
  "    return k->dma_map(bc, iova, size, vaddr, readonly, mr);\n"
  "}\n";

static void
decide (const char *src, gboolean share, BpDmaPath expected, const char *evidence_part)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *evidence = NULL;
  BpDmaPath path = 99;
  g_assert_true (bp_repro_tree_decision (src, strlen (src), "hw/vfio/x.c", share, &path, &evidence, &error));
  g_assert_no_error (error);
  g_assert_cmpint (path, ==, expected);
  g_assert_nonnull (strstr (evidence, evidence_part));
}

static void
test_decision_eras (void)
{
  decide (src_10_0, FALSE, BP_DMA_BY_ADDRESS, "9.2/10.0 API");
  decide (src_10_0, TRUE, BP_DMA_BY_ADDRESS, "share=on -> dma_map()");
  decide (src_10_2_old, FALSE, BP_DMA_BY_FILE, "10.2+ API");
  decide (src_10_2_old, TRUE, BP_DMA_BY_FILE, "dma_map_file()");
  decide (src_10_2_fixed, FALSE, BP_DMA_BY_ADDRESS, "with vfio_container_can_dma_map_file()");
  decide (src_10_2_fixed, TRUE, BP_DMA_BY_FILE, "share=on -> dma_map_file()");
}

static void
expect_error (const char *src, int code, const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *evidence = NULL;
  BpDmaPath path;
  g_assert_false (bp_repro_tree_decision (src, strlen (src), "hw/vfio/x.c", FALSE, &path, &evidence, &error));
  g_assert_error (error, BP_REPRO_ERROR, code);
  if (!strstr (error->message, part))
    g_error ("message '%s' lacks '%s'", error->message, part);
}

static void
test_decision_errors (void)
{
  /* only a prototype and a call: not a definition */
  expect_error ("int vfio_container_dma_map(VFIOContainer *c);\nvoid f(void) { vfio_container_dma_map(0); }\n",
                BP_REPRO_ERROR_EXTRACT, "does not define");
  expect_error ("int vfio_container_dma_map(VFIOContainer *c, uint64_t s, MemoryRegion *mr)\n{\n  if (1) {\n",
                BP_REPRO_ERROR_EXTRACT, "cannot parse");
  expect_error ("int vfio_container_dma_map(int a, int b)\n{\n  return 0;\n}\n",
                BP_REPRO_ERROR_EXTRACT, "no known API era");
  expect_error ("int vfio_container_dma_map(VFIOContainer *c, hwaddr iova, uint64_t size, void *vaddr,\n"
                "                           bool ro, MemoryRegion *mr)\n{\n  return brand_new_helper(c);\n}\n",
                BP_REPRO_ERROR_COMPILE, "brand_new_helper");
  expect_error ("int vfio_container_dma_map(VFIOContainer *c, hwaddr iova, uint64_t size, void *vaddr,\n"
                "                           bool ro, MemoryRegion *mr)\n{\n  return 0;\n}\n",
                BP_REPRO_ERROR_EXTRACT, "neither");
}

static void
test_decision_cached (void)
{
  /* Warm, then without a compiler: the cache answers, fast. */
  decide (src_10_2_old, FALSE, BP_DMA_BY_FILE, "dma_map_file()");
  g_setenv ("CC", "/bin/false", TRUE);
  gint64 t0 = g_get_monotonic_time ();
  for (int i = 0; i < 200; i++)
    decide (src_10_2_old, i & 1, BP_DMA_BY_FILE, "dma_map_file()");
  gint64 us = g_get_monotonic_time () - t0;
  g_test_message ("200 cached decisions in %" G_GINT64_FORMAT " us", us);
  g_assert_cmpint (us, <, 2 * G_USEC_PER_SEC);
  /* a text never seen needs the compiler, which now fails to run usefully */
  expect_error ("int vfio_container_dma_map(VFIOContainer *c, hwaddr iova, uint64_t size, void *vaddr,\n"
                "                           bool ro, MemoryRegion *mr)\n{\n  /* new */ return 1;\n}\n",
                BP_REPRO_ERROR_COMPILE, "does not compile");
  g_unsetenv ("CC");
}

static void
test_patterns (void)
{
  g_assert_cmpuint (bp_pattern_word (BP_GEN_ZERO, 7), ==, 0);
  g_assert_cmpuint (bp_pattern_word (BP_GEN_PREFILL, 7), !=, bp_pattern_word (BP_GEN_GUEST, 7));
  g_assert_cmpuint (bp_pattern_word (BP_GEN_GUEST, 7), !=, bp_pattern_word (BP_GEN_GUEST, 8));
  g_assert_cmpuint (bp_pattern_word (BP_GEN_MARKER, 0), !=, 0);
  gsize n = 3 * 4096 + 24;
  g_autofree guint64 *buf = g_malloc (n);
  bp_fill_words (buf, n, 0x1234);
  g_assert_true (bp_words_are (buf, n, 0x1234));
  buf[n / 8 - 1] ^= 1;     /* the scalar tail */
  g_assert_false (bp_words_are (buf, n, 0x1234));
  buf[n / 8 - 1] ^= 1;
  buf[1000] ^= 1 << 20;    /* a vector block */
  g_assert_false (bp_words_are (buf, n, 0x1234));
  g_assert_cmpint (bp_gr_backing_from_name ("memfd-hugetlb"), ==, BP_GR_MEMFD_HUGETLB);
  g_assert_cmpint (bp_gr_backing_from_name ("floppy"), ==, -1);
}

static void
run (BpPolicy policy, gboolean share, gboolean expect_bug)
{
  BpReproConfig config = { .backing = BP_BACKING_MEMFD, .backing_forced = TRUE, .share = share,
                           .size = 4 << 20, .dirty_every = 4, .tier = 1, .policy = policy };
  g_auto(BpReproResult) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true (bp_repro_run (&config, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.tier, ==, 1);
  g_assert_cmpuint (r.pages, ==, 1024);
  g_assert_cmpuint (r.pages_dirtied, ==, 256);
  g_assert_cmpuint (r.device_writes, ==, 1024);
  g_assert_cmpuint (r.stale_reads, ==, expect_bug ? 256 : 0);
  g_assert_cmpuint (r.lost_writes, ==, expect_bug ? 256 : 0);
  g_assert_cmpint (r.reproduced, ==, expect_bug);
}

static void
test_run_policies (void)
{
  run (BP_POLICY_OLD, FALSE, TRUE);
  run (BP_POLICY_OLD, TRUE, FALSE);
  run (BP_POLICY_FIXED, FALSE, FALSE);
  run (BP_POLICY_FIXED, TRUE, FALSE);
}

static void
test_run_tier2_forced (void)
{
  /* Tier 2 needs /dev/iommu with the test mock; without it, a capability error. */
  BpReproConfig config = { .backing = BP_BACKING_MEMFD, .size = 1 << 20, .dirty_every = 2,
                           .tier = 2, .policy = BP_POLICY_OLD };
  g_auto(BpReproResult) r = { 0 };
  g_autoptr(GError) error = NULL;
  if (g_file_test ("/dev/iommu", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("this machine has /dev/iommu");
      return;
    }
  g_assert_false (bp_repro_run (&config, &r, &error));
  g_assert_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY);
}

/* Guest RAM the host cannot hold is refused up front, with the numbers;
 * what fits is not.  bp_repro_run says so with BP_REPRO_ERROR_TOO_LARGE and
 * allocates nothing. */
static void
test_size_check (void)
{
  char err[512] = "";
  g_assert_cmpint (bp_guest_ram_fits (BP_GR_MEMFD, 0, 4u << 20, err, sizeof err), ==, 0);
  gsize huge = (gsize) 1 << 50;   /* 1 PiB */
  g_assert_cmpint (bp_guest_ram_fits (BP_GR_MEMFD, 0, huge, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "guest RAM of 1048576.0 GiB touches up to 2097152.0 GiB"));
  g_assert_cmpint (bp_guest_ram_fits (BP_GR_HUGETLBFS, 1, huge, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "(the file's pages)"));
  BpReproConfig c = { 0 };
  c.backing = BP_BACKING_MEMFD;
  c.size = huge;
  c.dirty_every = 2;
  c.tier = 1;
  g_auto(BpReproResult) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_false (bp_repro_run (&c, &r, &error));
  g_assert_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  cache_dir = g_dir_make_tmp ("bp-test-repro-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  g_test_add_func ("/repro/decision/eras", test_decision_eras);
  g_test_add_func ("/repro/decision/errors", test_decision_errors);
  g_test_add_func ("/repro/decision/cached", test_decision_cached);
  g_test_add_func ("/repro/patterns", test_patterns);
  g_test_add_func ("/repro/size-check", test_size_check);
  g_test_add_func ("/repro/run/policies", test_run_policies);
  g_test_add_func ("/repro/run/tier2-forced", test_run_tier2_forced);
  int ret = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", cache_dir);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", cache_dir);
  g_free (cache_dir);
  return ret;
}
