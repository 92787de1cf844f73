/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pack's files as a small trie over tree objects: see status-paths.h. */
#include <string.h>

#include "engines/status/status-paths.h"

typedef struct PathNode {
  char *name;
  int leaf;                 /* index into the paths, -1 for a directory */
  GPtrArray *children;      /* PathNode* */
  GHashTable *memo;         /* git_oid* -> git_oid[k] (directories below the root) */
} PathNode;

struct BpPathSet {
  BpCommitReader *reader;
  PathNode *root;
  GPtrArray *paths;         /* char*, in the order added */
};

static guint
oid_ghash (gconstpointer p)
{
  guint32 h;
  memcpy (&h, ((const git_oid *) p)->id, sizeof h);
  return h;
}

static gboolean
oid_gequal (gconstpointer a, gconstpointer b)
{
  return git_oid_equal (a, b);
}

static PathNode *
path_node_new (const char *name, int leaf, gboolean memo)
{
  PathNode *n = g_new0 (PathNode, 1);
  n->name = g_strdup (name);
  n->leaf = leaf;
  n->children = g_ptr_array_new ();
  if (memo)
    n->memo = g_hash_table_new_full (oid_ghash, oid_gequal, g_free, g_free);
  return n;
}

static void
path_node_free (PathNode *n)
{
  for (guint i = 0; i < n->children->len; i++)
    path_node_free (g_ptr_array_index (n->children, i));
  g_ptr_array_unref (n->children);
  if (n->memo)
    g_hash_table_unref (n->memo);
  g_free (n->name);
  g_free (n);
}

BpPathSet *
bp_path_set_new (BpCommitReader *reader)
{
  BpPathSet *ps = g_new0 (BpPathSet, 1);
  ps->reader = reader;
  ps->root = path_node_new ("", -1, FALSE);   /* root trees are rarely shared */
  ps->paths = g_ptr_array_new_with_free_func (g_free);
  return ps;
}

void
bp_path_set_free (BpPathSet *ps)
{
  if (ps == NULL)
    return;
  path_node_free (ps->root);
  g_ptr_array_unref (ps->paths);
  g_free (ps);
}

guint
bp_path_set_size (const BpPathSet *ps)
{
  return ps->paths->len;
}

static void
forget_memos (PathNode *n)
{
  if (n->memo)
    g_hash_table_remove_all (n->memo);   /* their vectors have the old size */
  for (guint i = 0; i < n->children->len; i++)
    forget_memos (g_ptr_array_index (n->children, i));
}

void
bp_path_set_add (BpPathSet *ps, const char *path)
{
  for (guint i = 0; i < ps->paths->len; i++)
    if (strcmp (g_ptr_array_index (ps->paths, i), path) == 0)
      return;
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);
  PathNode *cur = ps->root;
  for (guint i = 0; i < n; i++)
    {
      gboolean last = i + 1 == n;
      PathNode *next = NULL;
      for (guint c = 0; c < cur->children->len && next == NULL; c++)
        {
          PathNode *ch = g_ptr_array_index (cur->children, c);
          if (strcmp (ch->name, parts[i]) == 0 && (ch->leaf >= 0) == last)
            next = ch;
        }
      if (next == NULL)
        {
          next = path_node_new (parts[i], last ? (int) ps->paths->len : -1, !last);
          g_ptr_array_add (cur->children, next);
        }
      cur = next;
    }
  g_ptr_array_add (ps->paths, g_strdup (path));
  forget_memos (ps->root);
}

static int
strv_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
bp_path_set_key (const BpPathSet *ps)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();   /* borrows the strings */
  g_ptr_array_extend (sorted, ps->paths, NULL, NULL);
  g_ptr_array_sort (sorted, strv_cmp);
  GString *key = g_string_new (NULL);
  for (guint i = 0; i < sorted->len; i++)
    g_string_append_printf (key, "%s\n", (char *) g_ptr_array_index (sorted, i));
  return g_string_free (key, FALSE);
}

/* Fill OUT[leaf] for the leaves below NODE, whose directory is TREE. */
static gboolean
resolve (BpPathSet *ps, PathNode *node, const git_oid *tree, git_oid *out, git_oid *missing)
{
  guint k = ps->paths->len;
  const git_oid *hit = node->memo ? g_hash_table_lookup (node->memo, tree) : NULL;
  if (hit)
    {
      for (guint i = 0; i < k; i++)
        if (!git_oid_is_zero (&hit[i]))
          out[i] = hit[i];
      return TRUE;
    }
  git_object_t type = GIT_OBJECT_INVALID;
  gsize size = 0;
  g_autofree char *data = (char *) bp_commit_reader_object (ps->reader, tree, &type, &size);
  if (data == NULL || type != GIT_OBJECT_TREE)
    {
      git_oid_cpy (missing, tree);
      return FALSE;
    }
  g_autofree git_oid *local = g_new0 (git_oid, k);
  const char *p = data, *end = data + size;
  /* entries: "<mode> <name>\0<20-byte id>" */
  while (p < end)
    {
      const char *sp = memchr (p, ' ', (gsize) (end - p));
      const char *name = sp ? sp + 1 : end;
      const char *nul = sp ? memchr (name, '\0', (gsize) (end - name)) : NULL;
      if (nul == NULL || nul + 1 + GIT_OID_RAWSZ > end)
        break;
      gboolean is_tree = (sp - p) == 5 && p[0] == '4';
      gboolean is_blob = (sp - p) == 6 && p[0] == '1' && p[1] == '0';   /* 100644, 100755, not 120000 */
      for (guint c = 0; c < node->children->len; c++)
        {
          PathNode *ch = g_ptr_array_index (node->children, c);
          if (strcmp (ch->name, name) != 0)
            continue;
          git_oid id;
          git_oid_fromraw (&id, (const unsigned char *) nul + 1);
          if (ch->leaf >= 0 && is_blob)
            local[ch->leaf] = id;
          else if (ch->leaf < 0 && is_tree && !resolve (ps, ch, &id, local, missing))
            return FALSE;
        }
      p = nul + 1 + GIT_OID_RAWSZ;
    }
  for (guint i = 0; i < k; i++)
    if (!git_oid_is_zero (&local[i]))
      out[i] = local[i];
  if (node->memo)
    g_hash_table_insert (node->memo, g_memdup2 (tree, sizeof *tree), g_steal_pointer (&local));
  return TRUE;
}

gboolean
bp_path_set_resolve (BpPathSet *ps, const git_oid *tree, git_oid *out, git_oid *missing)
{
  memset (out, 0, sizeof (git_oid) * ps->paths->len);
  return resolve (ps, ps->root, tree, out, missing);
}
