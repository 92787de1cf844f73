/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the importer (bp_import_parse: mbox splitting, the
 * strict parsers, then web-text recovery and the lenient diff parser for
 * damaged pastes), the diff renderer, and the repair against a small tree
 * made at start-up (the re-indenter, blank-line recovery, the self-check).
 * Invariants: whatever it imports renders into a diff; a repair that
 * succeeds gives a diff the strict parser takes. */
#include "fuzz-common.h"

#include <glib/gstdio.h>

#include "sources/import.h"


/* A tree whose files the corpus's patches name. */
static const char *const tree_files[][2] = {
  { "a.c", "int a;\n\nint f(void)\n{\n    return 1;\n}\n" },
  { "b.c", "x;\n{\n    return 1;\n}\ny;\n{\n    return 1;\n}\n" },
  { "hw/vfio/container.c",
    "/* filler */\n\nvoid vfio_address_space_insert(VFIOAddressSpace *space,\n"
    "                              VFIOContainer *bcontainer)\n{\n"
    "    QLIST_INSERT_HEAD(&space->containers, bcontainer, next);\n"
    "    bcontainer->space = space;\n}\n\n"
    "int vfio_container_dma_map(VFIOContainer *bcontainer,\n"
    "                           hwaddr iova, uint64_t size,\n"
    "                           void *vaddr, bool readonly, MemoryRegion *mr)\n{\n"
    "    VFIOIOMMUClass *vioc = VFIO_IOMMU_GET_CLASS(bcontainer);\n"
    "    RAMBlock *rb = mr->ram_block;\n    int mfd = rb ? qemu_ram_get_fd(rb) : -1;\n\n"
    "    if (mfd >= 0 && vioc->dma_map_file) {\n"
    "        unsigned long start = vaddr - qemu_ram_get_host_addr(rb);\n"
    "        unsigned long offset = qemu_ram_get_fd_offset(rb);\n\n"
    "        return vioc->dma_map_file(bcontainer, iova, size, mfd, start + offset,\n"
    "                                  readonly);\n    }\n\n"
    "    return vioc->dma_map(bcontainer, iova, size, vaddr, readonly, mr);\n}\n" },
};

static char *tree;

/* The tree goes when the fuzzer exits (libFuzzer ends with exit()). */
static void
remove_tree (void)
{
  for (guint i = 0; tree && i < G_N_ELEMENTS (tree_files); i++)
    {
      g_autofree char *path = g_build_filename (tree, tree_files[i][0], NULL);
      g_unlink (path);
    }
  if (tree)
    {
      g_autofree char *vfio = g_build_filename (tree, "hw", "vfio", NULL);
      g_autofree char *hw = g_build_filename (tree, "hw", NULL);
      g_rmdir (vfio);
      g_rmdir (hw);
      g_rmdir (tree);
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  tree = g_dir_make_tmp ("bp-fuzz-tree-XXXXXX", NULL);
  if (tree == NULL)
    abort ();
  atexit (remove_tree);
  for (guint i = 0; i < G_N_ELEMENTS (tree_files); i++)
    {
      g_autofree char *path = g_build_filename (tree, tree_files[i][0], NULL);
      g_autofree char *dir = g_path_get_dirname (path);
      if (g_mkdir_with_parents (dir, 0755) != 0 || !g_file_set_contents (path, tree_files[i][1], -1, NULL))
        abort ();
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_copy (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) imported = bp_import_parse (text, size, "fuzz", &error);
  FUZZ_ASSERT ((imported == NULL) == (error != NULL), "result and error disagree");
  for (guint i = 0; imported && i < imported->len; i++)
    {
      BpImported *imp = imported->pdata[i];
      bp_import_render_diff (imp->patch);
      FUZZ_ASSERT (imp->patch->diff != NULL, "no diff rendered");
      g_autoptr(GError) repair_error = NULL;
      if (!bp_import_repair (imp, tree, &repair_error))
        {
          /* refusing is fine; a repair that does not check out is our bug */
          FUZZ_ASSERT (!g_error_matches (repair_error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_INTERNAL),
                       repair_error->message);
          continue;
        }
      g_autoptr(GError) strict_error = NULL;
      g_autoptr(GPtrArray) files = bp_diff_parse (imp->patch->diff, strlen (imp->patch->diff), "fuzz",
                                                  &strict_error);
      FUZZ_ASSERT (files != NULL || imp->patch->files->len == 0 || !imp->repaired,
                   "a repaired diff the strict parser refuses");
    }
  return 0;
}
