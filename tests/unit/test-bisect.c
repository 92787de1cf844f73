/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bisection algorithm on hand-made graphs, against what git's bisect.c
 * does on the same shapes, the definition finder of the repro predicate, and
 * the run predicate's scratch tree (sources/tree-sync): random walks over
 * generated trees compared with what each tree should look like on disk,
 * with and without path globs, whatever a command leaves in the way, and
 * names git refuses. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "engines/bisect/bisect-predicate.h"
#include "engines/bisect/bisect.h"
#include "base/fs.h"
#include "sources/tree-sync.h"
#include "debian-trees.h"

static git_oid
oid_n (int n)
{
  git_oid o;
  memset (&o, 0, sizeof o);
  o.id[0] = (unsigned char) (n + 1);
  o.id[19] = 0x5a;
  return o;
}

/* A linear history 0..n-1 (0 oldest), bad = n-1, parent of 0 is a good. */
static BpBisect *
linear (int n, int **parents_out)
{
  BpBisectNode *nodes = g_new0 (BpBisectNode, n);
  int *parents = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      parents[i] = i - 1;
      nodes[i].oid = oid_n (i);
      nodes[i].date = 1000 + i;
      nodes[i].n_parents = 1;
      nodes[i].parents = &parents[i];
    }
  BpBisect *b = bp_bisect_new_from_nodes (nodes, n, n - 1, FALSE);
  g_free (nodes);
  *parents_out = parents;
  return b;
}

static int
node_of (const git_oid *o)
{
  return o->id[0] - 1;
}

static void
test_estimate_steps (void)
{
  /* git's estimate_bisect_steps() */
  g_assert_cmpint (bp_bisect_estimate_steps (1), ==, 0);
  g_assert_cmpint (bp_bisect_estimate_steps (2), ==, 0);
  g_assert_cmpint (bp_bisect_estimate_steps (3), ==, 1);
  g_assert_cmpint (bp_bisect_estimate_steps (4), ==, 1);
  g_assert_cmpint (bp_bisect_estimate_steps (5), ==, 1);
  g_assert_cmpint (bp_bisect_estimate_steps (6), ==, 2);
  g_assert_cmpint (bp_bisect_estimate_steps (1024), ==, 9);
  g_assert_cmpint (bp_bisect_estimate_steps (2906), ==, 11);
}

static void
test_linear_halves (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (9, &parents);
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_TEST);
  /* weights 1..9: the first within one of 9/2 is weight 4, node 3 */
  g_assert_cmpint (node_of (&next.commit), ==, 3);
  g_assert_cmpint (next.left, ==, 4);
  g_assert_cmpint (next.all, ==, 9);

  /* culprit is node 6: walk to it */
  int culprit = 6, tests = 0;
  for (;;)
    {
      bp_bisect_next_clear (&next);
      g_assert_true (bp_bisect_next (b, &next, NULL));
      if (next.kind != BP_BISECT_TEST)
        break;
      int n = node_of (&next.commit);
      g_assert_true (bp_bisect_mark (b, &next.commit, n >= culprit ? BP_VERDICT_BAD : BP_VERDICT_GOOD, NULL));
      tests++;
    }
  g_assert_cmpint (next.kind, ==, BP_BISECT_FOUND);
  g_assert_cmpint (node_of (&next.commit), ==, culprit);
  g_assert_cmpint (tests, <=, 4);
}

static void
test_big_range_halfway (void)
{
  /* 4000 candidates: git 2.29+ takes a weight within 4000/1024 of half at
   * once, so the first one met oldest-first, weight 1999 (node 1998) */
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (4000, &parents);
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_TEST);
  g_assert_cmpint (next.left, ==, 4000 - 1999 - 1);
}

static void
test_skips_ambiguous (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (4, &parents);
  /* good below 0; skip 0, 1, 2: only the bad one can be decided */
  for (int i = 0; i < 3; i++)
    {
      git_oid o = oid_n (i);
      g_assert_true (bp_bisect_mark (b, &o, BP_VERDICT_SKIP, NULL));
    }
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_AMBIGUOUS);
  g_assert_cmpuint (next.suspects->len, ==, 4);
  /* git lists the skipped ones by distance (desc), then id, then bad */
  g_assert_cmpint (node_of (&g_array_index (next.suspects, git_oid, 3)), ==, 3);
  g_assert_cmpint (node_of (&g_array_index (next.suspects, git_oid, 0)), ==, 1);
}

static void
test_skip_moves_away (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (20, &parents);
  g_auto(BpBisectNext) first = { 0 };
  g_assert_true (bp_bisect_next (b, &first, NULL));
  g_assert_true (bp_bisect_mark (b, &first.commit, BP_VERDICT_SKIP, NULL));
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  g_assert_cmpint (next.kind, ==, BP_BISECT_TEST);
  g_assert_false (git_oid_equal (&next.commit, &first.commit));
}

static void
test_merge_weights (void)
{
  /*   0 - 1 - 3 (merge of 1 and 2) - 4
   *    \- 2 -/
   * bad = 4; 0's parent is good. */
  int p0[] = { -1 }, p1[] = { 0 }, p2[] = { 0 }, p3[] = { 1, 2 }, p4[] = { 3 };
  BpBisectNode nodes[] = {
    { oid_n (0), 100, 1, p0 }, { oid_n (1), 101, 1, p1 }, { oid_n (2), 102, 1, p2 },
    { oid_n (3), 103, 2, p3 }, { oid_n (4), 104, 1, p4 },
  };
  g_autoptr(BpBisect) b = bp_bisect_new_from_nodes (nodes, 5, 4, FALSE);
  g_auto(BpBisectNext) next = { 0 };
  g_assert_true (bp_bisect_next (b, &next, NULL));
  /* weights: 0:1 1:2 2:2 3:4 (counted through both parents) 4:5; N = 5:
   * 1 has weight 2, 2*2-5 = -1: half-way, and first in date order */
  g_assert_cmpint (node_of (&next.commit), ==, 1);
  g_assert_cmpint (next.left, ==, 2);

  /* first parent: 0 - 1 - 3 - 4 only */
  g_autoptr(BpBisect) fp = bp_bisect_new_from_nodes (nodes, 5, 4, TRUE);
  g_auto(BpBisectNext) fnext = { 0 };
  g_assert_true (bp_bisect_next (fp, &fnext, NULL));
  g_assert_cmpint (fnext.all, ==, 4);
  g_assert_cmpint (node_of (&fnext.commit), ==, 1);
}

static void
test_mark_outside (void)
{
  g_autofree int *parents = NULL;
  g_autoptr(BpBisect) b = linear (3, &parents);
  git_oid o = oid_n (42);
  g_autoptr(GError) error = NULL;
  g_assert_false (bp_bisect_mark (b, &o, BP_VERDICT_GOOD, &error));
  g_assert_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_RANGE);
  /* a skip outside is remembered (git switches to its skip mode) */
  g_assert_true (bp_bisect_mark (b, &o, BP_VERDICT_SKIP, NULL));
}

static void
test_source_defines (void)
{
  const char *def = "static void helper(void)\n{\n    vfio_container_dma_map(c, 0, 0, NULL, false, mr);\n}\n\n"
                    "int vfio_container_dma_map(VFIOContainerBase *bcontainer,\n"
                    "                           hwaddr iova, ram_addr_t size)\n{\n    return 0;\n}\n";
  const char *decl = "int vfio_container_dma_map(VFIOContainerBase *bcontainer,\n    hwaddr iova);\n"
                     "void f(void)\n{\n    vfio_container_dma_map(a, b);\n}\n";
  const char *gnu = "int\nvfio_container_dma_map (VFIOContainer *c)\n{\n}\n";
  const char *other = "int vfio_container_dma_map_file(int x)\n{\n}\n";
  g_assert_true (bp_bisect_source_defines (def, strlen (def), "vfio_container_dma_map"));
  g_assert_false (bp_bisect_source_defines (decl, strlen (decl), "vfio_container_dma_map"));
  g_assert_true (bp_bisect_source_defines (gnu, strlen (gnu), "vfio_container_dma_map"));
  g_assert_false (bp_bisect_source_defines (other, strlen (other), "vfio_container_dma_map"));
}

static void
test_real_trees (void)
{
  /* 10.0 defines it in container-base.c; 10.2 in container.c, and its
   * container-legacy.c (10.1's container.c) does not define it. */
  const struct { const char *version, *path; gboolean defines; } cases[] = {
    { "10.0.13", "hw/vfio/container-base.c", TRUE },
    { "10.0.13", "hw/vfio/container.c", FALSE },
    { "10.2.2", "hw/vfio/container.c", TRUE },
    { "10.2.2", "hw/vfio/container-legacy.c", FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = debian_tree_file (cases[i].version, cases[i].path);
      if (path == NULL)
        return;
      g_autofree char *text = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (path, &text, &len, NULL));
      g_assert_cmpint (bp_bisect_source_defines (text, len, "vfio_container_dma_map"), ==,
                       cases[i].defines);
    }
}


/* ---- sources/tree-sync: the run predicate's scratch tree ---------------- */

/* A model of a tree: path -> "MODE CONTENT" (mode 100644, 100755, 120000
 * with the link target, 160000 with a commit id). */
typedef struct {
  git_repository *repo;
  char *dir;            /* the repository (bare), removed at the end */
} SyncRepo;

static void
sync_repo_free (SyncRepo *r)
{
  git_repository_free (r->repo);
  bp_fs_rm_rf (r->dir, NULL);
  g_free (r->dir);
  g_free (r);
  git_libgit2_shutdown ();
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyncRepo, sync_repo_free)

static SyncRepo *
sync_repo_new (void)
{
  git_libgit2_init ();
  SyncRepo *r = g_new0 (SyncRepo, 1);
  r->dir = g_dir_make_tmp ("bp-test-sync-XXXXXX", NULL);
  g_assert_nonnull (r->dir);
  g_assert_cmpint (git_repository_init (&r->repo, r->dir, TRUE), ==, 0);
  return r;
}

static int
cmp_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The tree of MODEL. */
static git_oid
model_tree (SyncRepo *r, GHashTable *model)
{
  git_treebuilder *tb = NULL;
  git_oid empty_id, out;
  g_assert_cmpint (git_treebuilder_new (&tb, r->repo, NULL), ==, 0);
  g_assert_cmpint (git_treebuilder_write (&empty_id, tb), ==, 0);
  git_treebuilder_free (tb);
  git_tree *empty = NULL;
  g_assert_cmpint (git_tree_lookup (&empty, r->repo, &empty_id), ==, 0);
  g_autofree const char **paths = (const char **) g_hash_table_get_keys_as_array (model, NULL);
  guint n = g_hash_table_size (model);
  g_autofree git_tree_update *ups = g_new0 (git_tree_update, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      const char *v = g_hash_table_lookup (model, paths[i]);
      guint mode = (guint) g_ascii_strtoull (v, NULL, 8);
      const char *content = strchr (v, ' ') + 1;
      ups[i].action = GIT_TREE_UPDATE_UPSERT;
      ups[i].path = paths[i];
      ups[i].filemode = mode;
      if (mode == GIT_FILEMODE_COMMIT)
        g_assert_cmpint (git_oid_fromstr (&ups[i].id, content), ==, 0);
      else
        g_assert_cmpint (git_blob_create_from_buffer (&ups[i].id, r->repo, content, strlen (content)), ==, 0);
    }
  g_assert_cmpint (git_tree_create_updated (&out, r->repo, empty, n, ups), ==, 0);
  git_tree_free (empty);
  return out;
}

/* What DIR holds, in the model's form, directories as "dir" (so that
 * gitlinks, empty directories, compare equal with what the model implies). */
static void
scan_dir (const char *root, const char *rel, GHashTable *out)
{
  g_autofree char *full = rel[0] ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) d = g_dir_open (full, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *r = rel[0] ? g_strconcat (rel, "/", name, NULL) : g_strdup (name);
      g_autofree char *f = g_build_filename (root, r, NULL);
      struct stat st;
      g_assert_cmpint (lstat (f, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          g_hash_table_insert (out, g_strdup (r), g_strdup ("dir"));
          scan_dir (root, r, out);
        }
      else if (S_ISLNK (st.st_mode))
        {
          g_autofree char *target = g_file_read_link (f, NULL);
          g_hash_table_insert (out, g_strdup (r), g_strdup_printf ("120000 %s", target));
        }
      else
        {
          g_autofree char *text = NULL;
          g_assert_true (g_file_get_contents (f, &text, NULL, NULL));
          g_hash_table_insert (out, g_strdup (r), g_strdup_printf ("%s %s",
                               (st.st_mode & 0100) ? "100755" : "100644", text));
        }
    }
}

/* MODEL as a directory shows it: files as they are, gitlinks as empty
 * directories, and every parent directory. */
static GHashTable *
model_as_dir (GHashTable *model)
{
  GHashTable *out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, model);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      gboolean gitlink = g_str_has_prefix (v, "160000 ");
      g_hash_table_insert (out, g_strdup (k), g_strdup (gitlink ? "dir" : v));
      g_autofree char *dir = g_path_get_dirname (k);
      while (strcmp (dir, ".") != 0)
        {
          g_hash_table_insert (out, g_strdup (dir), g_strdup ("dir"));
          char *up = g_path_get_dirname (dir);
          g_free (dir);
          dir = up;
        }
    }
  return out;
}

static char *
describe_map (GHashTable *map)
{
  g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (map, NULL);
  qsort (keys, g_hash_table_size (map), sizeof (char *), cmp_paths);
  GString *s = g_string_new (NULL);
  for (guint i = 0; keys[i]; i++)
    g_string_append_printf (s, "%s = %s\n", keys[i], (char *) g_hash_table_lookup (map, keys[i]));
  return g_string_free (s, FALSE);
}

static void
assert_dir_is (const char *dir, GHashTable *model)
{
  g_autoptr(GHashTable) want = model_as_dir (model);
  g_autoptr(GHashTable) got = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scan_dir (dir, "", got);
  g_autofree char *w = describe_map (want);
  g_autofree char *g = describe_map (got);
  g_assert_cmpstr (g, ==, w);
}

static const char *const vocabulary[] = {
  "a", "b", "a/x", "a/y", "a/x/deep", "b/c/d", "c", "c/e", "link", "d/f", "d", "sub", "e/sub",
  "a-b", "a.c", "z/z/z/z",
};

/* One random change of MODEL: set a path (dropping whatever is below it or
 * above it) or remove it (and all below). */
static void
model_mutate (GHashTable *model, guint rev)
{
  const char *p = vocabulary[g_test_rand_int_range (0, G_N_ELEMENTS (vocabulary))];
  g_autofree char *below = g_strconcat (p, "/", NULL);
  g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (model, NULL);
  for (guint i = 0; keys[i]; i++)
    {
      g_autofree char *kslash = g_strconcat (keys[i], "/", NULL);
      if (g_str_has_prefix (keys[i], below) || g_str_has_prefix (p, kslash))
        g_hash_table_remove (model, keys[i]);
    }
  int what = g_test_rand_int_range (0, 10);
  if (what < 2)
    g_hash_table_remove (model, p);
  else if (what < 6)
    g_hash_table_replace (model, g_strdup (p), g_strdup_printf ("100644 %s rev %u\n", p, rev));
  else if (what < 8)
    g_hash_table_replace (model, g_strdup (p), g_strdup_printf ("100755 #!/bin/sh\n# %s rev %u\n", p, rev));
  else if (what < 9)
    g_hash_table_replace (model, g_strdup (p), g_strdup_printf ("120000 ../target-%u", rev % 3));
  else
    g_hash_table_replace (model, g_strdup (p),
                          g_strdup_printf ("160000 %040x", g_test_rand_int () | 1));
}

static GHashTable *
model_copy (GHashTable *m)
{
  GHashTable *c = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, m);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (c, g_strdup (k), g_strdup (v));
  return c;
}

/* Only the entries the globs "a/x*", "c" and "*.c" keep, as tree-sync
 * matches them (gitlinks as directories). */
static GHashTable *
model_filter (GHashTable *m)
{
  GHashTable *c = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, m);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (g_pattern_match_simple ("a/x*", k) || g_pattern_match_simple ("*.c", k)
        || strcmp (k, "c") == 0 || g_str_has_prefix (k, "c/"))
      g_hash_table_insert (c, g_strdup (k), g_strdup (v));
  return c;
}

#define N_TREES 40

static void
sync_random_walk (gboolean filtered)
{
  g_autoptr(SyncRepo) r = sync_repo_new ();
  g_autoptr(GHashTable) model = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  git_oid trees[N_TREES];
  for (guint t = 0; t < N_TREES; t++)
    {
      for (int k = g_test_rand_int_range (1, 4); k > 0; k--)
        model_mutate (model, t);
      trees[t] = model_tree (r, model);
      g_ptr_array_add (models, filtered ? model_filter (model) : model_copy (model));
    }
  g_autofree char *dest = g_dir_make_tmp ("bp-test-scratch-XXXXXX", NULL);
  const char *globs[] = { "a/x*", "c", "*.c", NULL };
  BpTreeSyncOptions o = { filtered ? globs : NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(BpTreeSync) s = bp_tree_sync_new (r->repo, dest, &o, &error);
  g_assert_no_error (error);
  for (guint step = 0; step < 120; step++)
    {
      guint t = step < N_TREES ? step : (guint) g_test_rand_int_range (0, N_TREES);
      BpTreeSyncStats stats;
      g_assert_true (bp_tree_sync_update (s, &trees[t], &stats, NULL, &error));
      g_assert_no_error (error);
      assert_dir_is (dest, g_ptr_array_index (models, t));
    }
  /* keys: equal exactly when the exported entries are */
  for (guint i = 0; i < N_TREES; i++)
    for (guint j = i + 1; j < N_TREES; j++)
      {
        git_oid ki, kj;
        g_assert_true (bp_tree_sync_key (s, &trees[i], &ki, NULL));
        g_assert_true (bp_tree_sync_key (s, &trees[j], &kj, NULL));
        g_autofree char *di = describe_map (g_ptr_array_index (models, i));
        g_autofree char *dj = describe_map (g_ptr_array_index (models, j));
        g_assert_cmpint (git_oid_equal (&ki, &kj), ==, strcmp (di, dj) == 0);
      }
  g_assert_true (bp_fs_rm_rf (dest, NULL));
}

static void
test_sync_random (void)
{
  sync_random_walk (FALSE);
}

static void
test_sync_paths (void)
{
  sync_random_walk (TRUE);
}

/* Whatever the command leaves where the next tree puts something is
 * replaced, and nothing is ever written through a symlink it made. */
static void
test_sync_obstructions (void)
{
  g_autoptr(SyncRepo) r = sync_repo_new ();
  g_autofree char *dest = g_dir_make_tmp ("bp-test-scratch-XXXXXX", NULL);
  g_autofree char *outside = g_dir_make_tmp ("bp-test-outside-XXXXXX", NULL);
  g_autoptr(GHashTable) m = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(BpTreeSync) s = bp_tree_sync_new (r->repo, dest, NULL, &error);
  g_assert_no_error (error);

  g_hash_table_replace (m, g_strdup ("d/f"), g_strdup ("100644 one\n"));
  g_hash_table_replace (m, g_strdup ("e"), g_strdup ("100644 e1\n"));
  g_hash_table_replace (m, g_strdup ("h"), g_strdup ("100644 h1\n"));
  git_oid t1 = model_tree (r, m);
  g_assert_true (bp_tree_sync_update (s, &t1, NULL, NULL, &error));

  /* the "command": d becomes a symlink out of the tree, e a directory,
   * h a symlink to a file outside */
  g_autofree char *d = g_build_filename (dest, "d", NULL);
  g_autofree char *e = g_build_filename (dest, "e", NULL);
  g_autofree char *h = g_build_filename (dest, "h", NULL);
  g_autofree char *target = g_build_filename (outside, "target", NULL);
  g_assert_true (bp_fs_rm_rf (d, NULL));
  g_assert_cmpint (symlink (outside, d), ==, 0);
  g_assert_cmpint (unlink (e), ==, 0);
  g_assert_cmpint (g_mkdir (e, 0755), ==, 0);
  g_autofree char *junk = g_build_filename (e, "junk", NULL);
  g_assert_true (g_file_set_contents (junk, "junk", -1, NULL));
  g_assert_true (g_file_set_contents (target, "keep", -1, NULL));
  g_assert_cmpint (unlink (h), ==, 0);
  g_assert_cmpint (symlink (target, h), ==, 0);

  g_hash_table_replace (m, g_strdup ("d/f"), g_strdup ("100644 two\n"));
  g_hash_table_replace (m, g_strdup ("d/g"), g_strdup ("100755 three\n"));
  g_hash_table_replace (m, g_strdup ("e"), g_strdup ("100644 e2\n"));
  g_hash_table_replace (m, g_strdup ("h"), g_strdup ("100644 h2\n"));
  git_oid t2 = model_tree (r, m);
  g_assert_true (bp_tree_sync_update (s, &t2, NULL, NULL, &error));
  g_assert_no_error (error);
  assert_dir_is (dest, m);
  g_autofree char *kept = NULL;
  g_assert_true (g_file_get_contents (target, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "keep");
  g_autoptr(GDir) od = g_dir_open (outside, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (od), ==, "target");
  g_assert_null (g_dir_read_name (od));

  /* d/g goes away while d is (again) a symlink out: nothing outside is
   * removed through it */
  g_autofree char *victim = g_build_filename (outside, "g", NULL);
  g_assert_true (g_file_set_contents (victim, "outside", -1, NULL));
  g_assert_true (bp_fs_rm_rf (d, NULL));
  g_assert_cmpint (symlink (outside, d), ==, 0);
  g_hash_table_remove (m, "d/g");
  git_oid t2b = model_tree (r, m);
  g_assert_true (bp_tree_sync_update (s, &t2b, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (victim, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_cmpint (unlink (victim), ==, 0);
  g_assert_cmpint (unlink (d), ==, 0);
  g_hash_table_remove (m, "d/f");
  git_oid t2c = model_tree (r, m);
  g_assert_true (bp_tree_sync_update (s, &t2c, NULL, NULL, &error));

  /* files the command made elsewhere stay, as with git */
  g_autofree char *out = g_build_filename (dest, "build.log", NULL);
  g_assert_true (g_file_set_contents (out, "made by the command", -1, NULL));
  g_hash_table_remove (m, "h");
  git_oid t3 = model_tree (r, m);
  g_assert_true (bp_tree_sync_update (s, &t3, NULL, NULL, &error));
  g_assert_true (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_true (bp_fs_rm_rf (dest, NULL));
  g_assert_true (bp_fs_rm_rf (outside, NULL));
}

/* A raw tree object with one entry NAME: libgit2's tree builder refuses
 * such names, a repository can still hold them. */
static git_oid
raw_tree (SyncRepo *r, const char *name)
{
  git_oid blob, out;
  g_assert_cmpint (git_blob_create_from_buffer (&blob, r->repo, "x", 1), ==, 0);
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autofree char *head = g_strdup_printf ("100644 %s", name);
  g_byte_array_append (raw, (const guint8 *) head, strlen (head) + 1);
  g_byte_array_append (raw, blob.id, GIT_OID_RAWSZ);
  git_odb *odb = NULL;
  g_assert_cmpint (git_repository_odb (&odb, r->repo), ==, 0);
  g_assert_cmpint (git_odb_write (&out, odb, raw->data, raw->len, GIT_OBJECT_TREE), ==, 0);
  git_odb_free (odb);
  return out;
}

static void
test_sync_unsafe_names (void)
{
  g_autoptr(SyncRepo) r = sync_repo_new ();
  const char *names[] = { "..", ".git", ".GIT" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *dest = g_dir_make_tmp ("bp-test-scratch-XXXXXX", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(BpTreeSync) s = bp_tree_sync_new (r->repo, dest, NULL, &error);
      git_oid t = raw_tree (r, names[i]);
      g_assert_false (bp_tree_sync_update (s, &t, NULL, NULL, &error));
      g_assert_error (error, BP_TREE_SYNC_ERROR, BP_TREE_SYNC_ERROR_UNSAFE);
      g_autoptr(GDir) d = g_dir_open (dest, 0, NULL);
      g_assert_null (g_dir_read_name (d));   /* nothing written */
      g_assert_true (bp_fs_rm_rf (dest, NULL));
    }
  const char *bad_globs[] = { "../x", "/etc", "", NULL };
  for (guint i = 0; bad_globs[i]; i++)
    {
      const char *one[] = { bad_globs[i], NULL };
      BpTreeSyncOptions o = { one, FALSE };
      g_autoptr(GError) error = NULL;
      g_autoptr(BpTreeSync) s = bp_tree_sync_new (r->repo, "/nonexistent", &o, &error);
      g_assert_null (s);
      g_assert_error (error, BP_TREE_SYNC_ERROR, BP_TREE_SYNC_ERROR_PATTERN);
    }
}
int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bisect/estimate-steps", test_estimate_steps);
  g_test_add_func ("/bisect/linear-halves", test_linear_halves);
  g_test_add_func ("/bisect/big-range-halfway", test_big_range_halfway);
  g_test_add_func ("/bisect/skips-ambiguous", test_skips_ambiguous);
  g_test_add_func ("/bisect/skip-moves-away", test_skip_moves_away);
  g_test_add_func ("/bisect/merge-weights", test_merge_weights);
  g_test_add_func ("/bisect/mark-outside", test_mark_outside);
  g_test_add_func ("/bisect/source-defines", test_source_defines);
  g_test_add_func ("/bisect/real-trees", test_real_trees);
  g_test_add_func ("/tree-sync/random-walk", test_sync_random);
  g_test_add_func ("/tree-sync/paths", test_sync_paths);
  g_test_add_func ("/tree-sync/obstructions", test_sync_obstructions);
  g_test_add_func ("/tree-sync/unsafe-names", test_sync_unsafe_names);
  return g_test_run ();
}
