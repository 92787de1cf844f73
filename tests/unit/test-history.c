/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The content probe of history.c: is vfio_container_dma_map() there, does it
 * map by file, and is that guarded by a shared-RAM check.  Synthetic texts
 * for the tricky cases, and the real Debian trees when they are here. */
#include <string.h>

#include "engines/status/history.h"
#include "debian-trees.h"

static BpFixPack pack = {
  .name = (char *) "test",
  .function = (char *) "vfio_container_dma_map",
  .helper = (char *) "vfio_container_can_dma_map_file",
  .bug_pattern = (char *) "dma_map_file",
};

static BpProbeState
probe (const char *text)
{
  g_autofree char *detail = NULL;
  BpProbeState st = bp_history_probe_text (text, strlen (text), &pack, &detail);
  g_assert_nonnull (detail);
  g_test_message ("%s", detail);
  return st;
}

#define BUGGY_BODY \
  "{\n" \
  "    RAMBlock *rb = mr->ram_block;\n" \
  "    int mfd = rb ? qemu_ram_get_fd(rb) : -1;\n" \
  "    if (mfd >= 0 && vioc->dma_map_file) {\n" \
  "        return vioc->dma_map_file(c, iova, size, mfd, 0, ro);\n" \
  "    }\n" \
  "    return vioc->dma_map(c, iova, size, vaddr, ro, mr);\n" \
  "}\n"

static void
test_shapes (void)
{
  /* prototype first, then a call from another function, then the definition */
  g_assert_cmpint (probe ("int vfio_container_dma_map(VFIOContainer *c, hwaddr iova);\n"
                          "static void user(void)\n{\n    vfio_container_dma_map(c, 0);\n}\n"
                          "int vfio_container_dma_map(VFIOContainer *c,\n"
                          "                           hwaddr iova, uint64_t size,\n"
                          "                           void *vaddr, bool ro, MemoryRegion *mr)\n" BUGGY_BODY),
                   ==, BP_PROBE_BUGGY);
  /* braces in comments and strings do not end the body early */
  g_assert_cmpint (probe ("int\nvfio_container_dma_map(VFIOContainer *c)\n{\n"
                          "    /* } not the end { */\n    const char *s = \"}\";\n"
                          "    if (c->fd >= 0 && vioc->dma_map_file) {\n        return 1;\n    }\n"
                          "    return 0;\n}\n"),
                   ==, BP_PROBE_BUGGY);
  /* 9.2/10.0: no by-file branch */
  g_assert_cmpint (probe ("int vfio_container_dma_map(VFIOContainerBase *b, hwaddr iova, ram_addr_t size,\n"
                          "                           void *vaddr, bool readonly)\n{\n"
                          "    return vioc->dma_map(b, iova, size, vaddr, readonly);\n}\n"),
                   ==, BP_PROBE_CLEAN);
  /* absent: only a declaration */
  g_assert_cmpint (probe ("int vfio_container_dma_map(VFIOContainerBase *b);\n"), ==, BP_PROBE_ABSENT);
  /* fixed by the helper, which checks shared RAM */
  g_assert_cmpint (probe ("static bool vfio_container_can_dma_map_file(VFIOContainer *c, MemoryRegion *mr, int *fd)\n{\n"
                          "    if (!vioc->dma_map_file) {\n        return false;\n    }\n"
                          "    return qemu_ram_is_shared(mr->ram_block) || memory_region_is_ram_device(mr);\n}\n"
                          "int vfio_container_dma_map(VFIOContainer *c, MemoryRegion *mr)\n{\n    int mfd;\n"
                          "    if (vfio_container_can_dma_map_file(c, mr, &mfd)) {\n"
                          "        return vioc->dma_map_file(c, mfd);\n    }\n    return 0;\n}\n"),
                   ==, BP_PROBE_FIXED);
  /* a helper of that name without the shared-RAM check is not the fix */
  g_assert_cmpint (probe ("static bool vfio_container_can_dma_map_file(VFIOContainer *c, MemoryRegion *mr, int *fd)\n{\n"
                          "    return vioc->dma_map_file != NULL;\n}\n"
                          "int vfio_container_dma_map(VFIOContainer *c, MemoryRegion *mr)\n{\n    int mfd;\n"
                          "    if (vfio_container_can_dma_map_file(c, mr, &mfd)) {\n"
                          "        return vioc->dma_map_file(c, mfd);\n    }\n    return 0;\n}\n"),
                   ==, BP_PROBE_BUGGY);
  /* an equivalent check written inline */
  g_assert_cmpint (probe ("int vfio_container_dma_map(VFIOContainer *c, MemoryRegion *mr)\n{\n"
                          "    if (mfd >= 0 && vioc->dma_map_file && qemu_ram_is_shared(rb)) {\n"
                          "        return vioc->dma_map_file(c, mfd);\n    }\n    return 0;\n}\n"),
                   ==, BP_PROBE_FIXED);
  /* a longer identifier is not the function */
  g_assert_cmpint (probe ("int vfio_container_dma_map_extra(VFIOContainer *c)\n" BUGGY_BODY), ==, BP_PROBE_ABSENT);
}

static void
probe_file (const char *version, const char *rel, BpProbeState want)
{
  g_autofree char *path = debian_tree_file (version, rel);
  if (path == NULL)
    return;
  g_autofree char *text = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_autofree char *detail = NULL;
  g_assert_cmpint (bp_history_probe_text (text, len, &pack, &detail), ==, want);
}

static void
test_debian_10_2 (void)
{
  probe_file ("10.2.2", "hw/vfio/container.c", BP_PROBE_BUGGY);
}

static void
test_debian_10_0 (void)
{
  probe_file ("10.0.13", "hw/vfio/container-base.c", BP_PROBE_CLEAN);
  /* the 10.0 container.c is the legacy one: no definition there */
  probe_file ("10.0.13", "hw/vfio/container.c", BP_PROBE_ABSENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/history/probe-shapes", test_shapes);
  g_test_add_func ("/history/probe-debian-10.2.2", test_debian_10_2);
  g_test_add_func ("/history/probe-debian-10.0.13", test_debian_10_0);
  return g_test_run ();
}
