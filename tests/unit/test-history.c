/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The content probe of status: is the pack's function there, does it use the
 * bug's pattern, and is that guarded (the names come from the pack, as
 * fix.ini gives them).  Synthetic texts for the tricky cases, the real Debian
 * trees when they are here; and git's commit-graph file as git writes it. */
#include <string.h>

#include <glib/gstdio.h>

#include "base/commit-graph.h"
#include "engines/status/history.h"
#include "engines/status/status-probe.h"
#include "debian-trees.h"

static BpFixPack pack = {
  .name = (char *) "test",
  .function = (char *) "vfio_container_dma_map",
  .helper = (char *) "vfio_container_can_dma_map_file",
  .bug_pattern = (char *) "dma_map_file",
  .guard = (char *) "qemu_ram_is_shared",
  .bug_summary = (char *) "maps by file",
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

/* Part of the fix: the helper with its guard is there, the call site is not
 * changed.  Buggy, and said to be partial. */
static void
test_partial (void)
{
  const char *text =
    "static bool vfio_container_can_dma_map_file(VFIOContainer *c, MemoryRegion *mr, int *fd)\n{\n"
    "    return qemu_ram_is_shared(mr->ram_block);\n}\n"
    "int vfio_container_dma_map(VFIOContainer *c, MemoryRegion *mr)\n" BUGGY_BODY;
  g_autofree char *detail = NULL;
  gboolean partial = FALSE;
  g_assert_cmpint (bp_status_probe_text (text, strlen (text), &pack, &detail, &partial), ==, BP_PROBE_BUGGY);
  g_assert_true (partial);
  g_assert_true (g_str_has_prefix (detail, "partial: the call site still maps by file"));
  /* without its guard the helper is no part of the fix */
  g_autofree char *detail2 = NULL;
  const char *unguarded = "static bool vfio_container_can_dma_map_file(VFIOContainer *c)\n{\n    return true;\n}\n"
                          "int vfio_container_dma_map(VFIOContainer *c, MemoryRegion *mr)\n" BUGGY_BODY;
  g_assert_cmpint (bp_status_probe_text (unguarded, strlen (unguarded), &pack, &detail2, &partial), ==, BP_PROBE_BUGGY);
  g_assert_false (partial);
  /* a pack that names no guard has no specific probe */
  BpFixPack generic = pack;
  generic.guard = NULL;
  g_autofree char *detail3 = NULL;
  g_assert_cmpint (bp_history_probe_text (text, strlen (text), &generic, &detail3), ==, BP_PROBE_ABSENT);
  g_assert_false (bp_status_probe_is_specific (&generic));
}

/* ------------------------------------------------------------ commit-graph */

static char *graph_dir;

static char *
sh (const char *cmd)
{
  g_autofree char *out = NULL;
  int status = 0;
  const char *argv[] = { "sh", "-c", cmd, NULL };
  if (!g_spawn_sync (graph_dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     &out, NULL, &status, NULL) || !g_spawn_check_wait_status (status, NULL))
    return NULL;
  return g_steal_pointer (&out);
}

/* A history with a merge, an octopus merge and two roots, made by git. */
static gboolean
make_history (void)
{
  g_autofree char *out = sh (
    "export GIT_CONFIG_NOSYSTEM=1 HOME=$PWD GIT_AUTHOR_DATE='1500000000 +0000' GIT_COMMITTER_DATE='1500000000 +0000';"
    "git init -q . && git config user.name T && git config user.email t@example.org &&"
    "for i in 1 2 3; do echo $i >f$i && git add f$i && git commit -qm c$i; done &&"
    "for b in x y z; do git checkout -q -b $b HEAD~1 && echo $b >$b && git add $b && git commit -qm $b; done &&"
    "git checkout -q x && git merge -q --no-edit y >/dev/null && git checkout -q z && git merge -q --no-edit x master >/dev/null &&"
    "git checkout -q --orphan other && git rm -rqf . && echo o >o && git add o && git commit -qm other &&"
    "git checkout -q z && git merge -q --no-edit --allow-unrelated-histories other >/dev/null && echo ok");
  return out != NULL;
}

/* Every commit's parents and level, as the graph says and as git says. */
static void
check_against_git (BpCommitGraph *g)
{
  g_autofree char *list = sh ("git log --all --format='%H %ct %P'");
  g_assert_nonnull (list);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (list), "\n", -1);
  g_assert_cmpuint (bp_commit_graph_size (g), ==, g_strv_length (lines));
  g_autoptr(GArray) parents = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) ids = g_strsplit (lines[i], " ", -1);
      git_oid oid;
      guint32 pos;
      g_assert_cmpint (git_oid_fromstr (&oid, ids[0]), ==, 0);
      g_assert_true (bp_commit_graph_lookup (g, &oid, &pos));
      g_array_set_size (parents, 0);
      bp_commit_graph_parents (g, pos, parents);
      g_assert_cmpint (bp_commit_graph_commit_time (g, pos), ==, g_ascii_strtoll (ids[1], NULL, 10));
      guint n_git = g_strv_length (ids) - 2 - (ids[2] && !*ids[2]);   /* a root prints an empty %P */
      g_assert_cmpuint (parents->len, ==, n_git);
      guint32 buf[2];
      g_assert_cmpuint (bp_commit_graph_parents_into (g, pos, buf, 2), ==, parents->len);
      for (guint p = 0; p < parents->len; p++)
        {
          git_oid got;
          bp_commit_graph_oid (g, g_array_index (parents, guint32, p), &got);
          g_assert_cmpstr (git_oid_tostr_s (&got), ==, ids[p + 2]);
          g_assert_cmpuint (bp_commit_graph_level (g, g_array_index (parents, guint32, p)), <, bp_commit_graph_level (g, pos));
        }
    }
  git_oid absent;
  git_oid_fromstr (&absent, "0123456789012345678901234567890123456789");
  guint32 pos;
  g_assert_false (bp_commit_graph_lookup (g, &absent, &pos));
}

static void
test_commit_graph (void)
{
  graph_dir = g_dir_make_tmp ("bp-commit-graph-XXXXXX", NULL);
  if (!make_history ())
    {
      g_test_skip ("git could not make the history");
      g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", graph_dir);
      g_free (sh (rm));
      g_clear_pointer (&graph_dir, g_free);
      return;
    }
  g_autofree char *objects = g_build_filename (graph_dir, ".git", "objects", NULL);
  g_autofree char *note = NULL, *stamp = NULL;
  g_assert_null (bp_commit_graph_open (objects, NULL, &stamp, &note));
  g_assert_null (note);   /* none yet: no complaint */

  g_free (sh ("git commit-graph write --reachable"));
  g_autoptr(BpCommitGraph) g = bp_commit_graph_open (objects, NULL, &stamp, &note);
  g_assert_nonnull (g);
  g_assert_true (bp_commit_graph_has_levels (g));
  g_assert_cmpuint (bp_commit_graph_layers (g), ==, 1);
  check_against_git (g);
  g_clear_pointer (&g, bp_commit_graph_free);

  /* one byte changed: the checksum says so, and nothing is used */
  g_autofree char *file = g_build_filename (objects, "info", "commit-graph", NULL);
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (file, &data, &len, NULL));
  data[len - 30] ^= 0x40;
  g_chmod (file, 0644);
  g_assert_true (g_file_set_contents (file, data, len, NULL));
  g_clear_pointer (&note, g_free);
  g_clear_pointer (&stamp, g_free);
  g_assert_null (bp_commit_graph_open (objects, NULL, &stamp, &note));
  g_assert_nonnull (note);
  g_assert_nonnull (strstr (note, "checksum does not match"));
  /* cut short: refused before anything is read past its end */
  g_assert_true (g_file_set_contents (file, data, 60, NULL));
  g_clear_pointer (&note, g_free);
  g_assert_null (bp_commit_graph_open (objects, NULL, &stamp, &note));
  g_assert_nonnull (note);
  g_unlink (file);

  /* a split chain of two files */
  g_free (sh ("git commit-graph write --reachable --split=no-merge && git checkout -q x && echo n >n && git add n &&"
              "git commit -qm n && git commit-graph write --reachable --split=no-merge"));
  g_clear_pointer (&note, g_free);
  g_clear_pointer (&stamp, g_free);
  g = bp_commit_graph_open (objects, NULL, &stamp, &note);
  g_assert_nonnull (g);
  g_assert_cmpuint (bp_commit_graph_layers (g), ==, 2);
  check_against_git (g);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", graph_dir);
  g_free (sh (rm));
  g_clear_pointer (&graph_dir, g_free);
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
  git_libgit2_init ();
  g_test_add_func ("/history/probe-shapes", test_shapes);
  g_test_add_func ("/history/probe-partial", test_partial);
  g_test_add_func ("/history/commit-graph", test_commit_graph);
  g_test_add_func ("/history/probe-debian-10.2.2", test_debian_10_2);
  g_test_add_func ("/history/probe-debian-10.0.13", test_debian_10_0);
  int rc = g_test_run ();
  git_libgit2_shutdown ();
  return rc;
}
