/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The incremental exporter (see tree-sync.h).  An update runs in two
 * halves: collect() walks the old and the new tree side by side in git's
 * entry order, descending only into subtrees whose ids differ, and lists
 * removals and writes; then every removal is applied before any write, so
 * a file that becomes a directory (or the reverse) never meets itself. */
#include "sources/tree-sync.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (bp-tree-sync-error-quark, bp_tree_sync_error)

/* A repository whose trees are exported: the user's, or a module's. */
typedef struct {
  git_repository *repo;
  gboolean owned;
  git_odb *odb;
  char *modules;        /* where its own modules live: <gitdir>/modules */
} Repo;

/* A checked-out submodule, by its path in the directory. */
typedef struct {
  Repo *repo;           /* borrowed from BpTreeSync.repos */
  git_oid commit;
} Sub;

struct BpTreeSync {
  Repo *top;            /* borrowed from repos */
  char *dest;
  GPtrArray *globs;     /* char*; empty: every path */
  GPtrArray *literal;   /* char*: each glob up to its first wildcard */
  gboolean submodules;
  const volatile sig_atomic_t *stop;
  gboolean have_tree, dirty;
  git_oid tree;         /* what dest holds */
  GHashTable *subs;     /* path -> Sub* */
  GHashTable *repos;    /* gitdir -> Repo* */
  GHashTable *gitmodules; /* .gitmodules blob hex -> GHashTable path -> name */
  GHashTable *key_memo; /* "treehex prefix" -> git_oid* ("" digest: nothing matched) */
  mode_t umask;
  BpTreeSyncStats totals;
};

typedef enum {
  OP_REMOVE,            /* a file or symlink, then its emptied parents */
  OP_RMDIR,             /* a gitlink's directory, when empty */
  OP_WRITE,             /* a file or symlink from a blob */
  OP_CHMOD,             /* a file whose executable bit changed */
  OP_MKDIR,             /* a gitlink's directory */
} OpKind;

typedef struct {
  OpKind kind;
  char *path;           /* relative to dest */
  git_oid id;
  guint32 mode, old_mode;
  Repo *repo;           /* whose blob */
} Op;

/* A pending change of the submodule table, applied once the update worked. */
typedef struct {
  char *path;
  Repo *repo;           /* NULL: no longer checked out */
  git_oid commit;
} SubChange;

/* What collect() works in: one repository, and the root of its new tree
 * (for .gitmodules), placed at BASE in dest. */
typedef struct {
  Repo *repo;
  git_tree *new_root;
  const char *base;     /* "" or "path/of/module" */
} Ctx;

typedef struct {
  GArray *removes, *writes; /* Op */
  GArray *sub_changes;      /* SubChange */
  BpTreeSyncStats *stats;
} Plan;

static gboolean
sync_fail (GError **error, int code, const char *what, const char *path)
{
  const git_error *e = git_error_last ();
  g_set_error (error, BP_TREE_SYNC_ERROR, code, "%s %s: %s", what, path,
               code == BP_TREE_SYNC_ERROR_GIT ? (e && e->message ? e->message : "libgit2 error")
                                              : g_strerror (errno));
  return FALSE;
}

/* ---- small helpers ------------------------------------------------------ */

static void
op_clear (gpointer p)
{
  g_free (((Op *) p)->path);
}

static void
sub_change_clear (gpointer p)
{
  g_free (((SubChange *) p)->path);
}

static void
repo_free (gpointer p)
{
  Repo *r = p;
  if (r->odb)
    git_odb_free (r->odb);
  if (r->owned)
    git_repository_free (r->repo);
  g_free (r->modules);
  g_free (r);
}

static char *
join (const char *base, const char *name)
{
  return base[0] ? g_strconcat (base, "/", name, NULL) : g_strdup (name);
}

/* git's verify_path for one component: no ".", "..", ".git" (any case),
 * nothing empty, no '/'. */
static gboolean
name_is_safe (const char *name)
{
  return name[0] != '\0' && strcmp (name, ".") != 0 && strcmp (name, "..") != 0
         && g_ascii_strcasecmp (name, ".git") != 0 && strchr (name, '/') == NULL;
}

/* The process's umask, without changing it (umask(2) would race threads). */
static mode_t
read_umask (void)
{
  g_autofree char *status = NULL;
  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    {
      const char *u = strstr (status, "\nUmask:");
      if (u)
        return (mode_t) g_ascii_strtoull (u + 7, NULL, 8) & 0777;
    }
  return 022;
}

/* ---- path globs ---------------------------------------------------------- */

static gboolean
path_matches (BpTreeSync *s, const char *path)
{
  if (s->globs->len == 0)
    return TRUE;
  for (guint i = 0; i < s->globs->len; i++)
    {
      const char *g = g_ptr_array_index (s->globs, i);
      gsize n = strlen (g);
      if (fnmatch (g, path, 0) == 0
          || (strncmp (path, g, n) == 0 && path[n] == '/'))
        return TRUE;
    }
  return FALSE;
}

/* Could anything under directory DIR match?  Only when DIR/ and a glob's
 * literal start agree as far as both go. */
static gboolean
dir_may_match (BpTreeSync *s, const char *dir)
{
  if (s->globs->len == 0)
    return TRUE;
  g_autofree char *slash = g_strconcat (dir, "/", NULL);
  for (guint i = 0; i < s->literal->len; i++)
    {
      const char *l = g_ptr_array_index (s->literal, i);
      if (g_str_has_prefix (slash, l) || g_str_has_prefix (l, slash))
        return TRUE;
    }
  return FALSE;
}

/* A gitlink's directory is exported when its path matches, or when its
 * module is exported and could hold matching files. */
static gboolean
gitlink_wanted (BpTreeSync *s, const char *path)
{
  return path_matches (s, path) || (s->submodules && dir_may_match (s, path));
}

static gboolean
add_glob (BpTreeSync *s, const char *glob, GError **error)
{
  g_autofree char *g = g_strdup (glob);
  gsize n = strlen (g);
  while (n > 0 && g[n - 1] == '/')
    g[--n] = '\0';
  while (g_str_has_prefix (g, "./"))
    memmove (g, g + 2, strlen (g + 2) + 1);
  g_auto(GStrv) parts = g_strsplit (g, "/", -1);
  gboolean dotdot = FALSE;
  for (guint i = 0; parts[i]; i++)
    dotdot |= strcmp (parts[i], "..") == 0;
  if (g[0] == '\0' || g[0] == '/' || dotdot)
    {
      g_set_error (error, BP_TREE_SYNC_ERROR, BP_TREE_SYNC_ERROR_PATTERN,
                   "path glob '%s' cannot match inside a tree: give a relative path such as 'src/*.c'",
                   glob);
      return FALSE;
    }
  gsize lit = strcspn (g, "*?[\\");
  g_ptr_array_add (s->literal, g_strndup (g, lit));
  g_ptr_array_add (s->globs, g_steal_pointer (&g));
  return TRUE;
}

/* ---- repositories and .gitmodules ---------------------------------------- */

static Repo *
repo_add (BpTreeSync *s, const char *gitdir, git_repository *repo, gboolean owned)
{
  Repo *r = g_new0 (Repo, 1);
  r->repo = repo;
  r->owned = owned;
  r->modules = g_build_filename (gitdir, "modules", NULL);
  g_hash_table_insert (s->repos, g_strdup (gitdir), r);
  return r;
}

/* The module NAME of PARENT, opened once; NULL when it is not there. */
static Repo *
module_open (BpTreeSync *s, Repo *parent, const char *name)
{
  g_auto(GStrv) parts = g_strsplit (name, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (!name_is_safe (parts[i]))
      return NULL;
  g_autofree char *gitdir = g_build_filename (parent->modules, name, NULL);
  Repo *r = g_hash_table_lookup (s->repos, gitdir);
  if (r)
    return r;
  git_repository *repo = NULL;
  if (!g_file_test (gitdir, G_FILE_TEST_IS_DIR) || git_repository_open_bare (&repo, gitdir) < 0)
    return NULL;
  return repo_add (s, gitdir, repo, TRUE);
}

/* `git config` quoting, enough for .gitmodules: "..." with \" and \\. */
static char *
unquote (const char *v)
{
  GString *out = g_string_new (NULL);
  gboolean quoted = FALSE;
  for (const char *p = v; *p; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else if (*p == '\\' && p[1])
        g_string_append_c (out, *++p);
      else if (!quoted && (*p == '#' || *p == ';'))
        break;
      else
        g_string_append_c (out, *p);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

/* path -> submodule name, from the text of a .gitmodules file. */
static GHashTable *
parse_gitmodules (const char *text, gsize len)
{
  GHashTable *map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *copy = g_strndup (text, len);
  g_auto(GStrv) lines = g_strsplit (copy, "\n", -1);
  g_autofree char *name = NULL;
  for (guint i = 0; lines[i]; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (l[0] == '[')
        {
          g_clear_pointer (&name, g_free);
          char *q = strchr (l, '"'), *e = strrchr (l, '"');
          if (g_str_has_prefix (l, "[submodule") && q && e > q)
            {
              g_autofree char *inner = g_strndup (q, e - q + 1);
              name = unquote (inner);
            }
          continue;
        }
      char *eq = strchr (l, '=');
      if (name == NULL || eq == NULL)
        continue;
      *eq = '\0';
      if (g_ascii_strcasecmp (g_strstrip (l), "path") == 0)
        g_hash_table_replace (map, unquote (eq + 1), g_strdup (name));
    }
  return map;
}

/* The submodule name for PATH (relative to the module's root) in CTX's new
 * tree: from its .gitmodules, else the path itself. */
static char *
module_name (BpTreeSync *s, Ctx *ctx, const char *path)
{
  const git_tree_entry *e = ctx->new_root ? git_tree_entry_byname (ctx->new_root, ".gitmodules") : NULL;
  if (e == NULL || git_tree_entry_type (e) != GIT_OBJECT_BLOB)
    return g_strdup (path);
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, git_tree_entry_id (e));
  GHashTable *map = g_hash_table_lookup (s->gitmodules, hex);
  if (map == NULL)
    {
      git_blob *blob = NULL;
      if (git_blob_lookup (&blob, ctx->repo->repo, git_tree_entry_id (e)) < 0)
        return g_strdup (path);
      map = parse_gitmodules (git_blob_rawcontent (blob), (gsize) git_blob_rawsize (blob));
      git_blob_free (blob);
      g_hash_table_insert (s->gitmodules, g_strdup (hex), map);
    }
  const char *name = g_hash_table_lookup (map, path);
  return g_strdup (name ? name : path);
}

/* ---- collect: what an update must do ------------------------------------- */

static gboolean collect (BpTreeSync *s, Ctx *ctx, git_tree *old, git_tree *new,
                         const char *prefix, Plan *plan, GError **error);

static void
plan_op (GArray *ops, OpKind kind, const char *path, const git_oid *id, guint32 mode,
         guint32 old_mode, Repo *repo)
{
  Op op = { kind, g_strdup (path), { { 0 } }, mode, old_mode, repo };
  if (id)
    op.id = *id;
  g_array_append_val (ops, op);
}

static void
plan_sub (Plan *plan, const char *path, Repo *repo, const git_oid *commit)
{
  SubChange c = { g_strdup (path), repo, { { 0 } } };
  if (commit)
    c.commit = *commit;
  g_array_append_val (plan->sub_changes, c);
}

/* The tree of COMMIT in R, or NULL when R lacks it. */
static git_tree *
commit_tree (Repo *r, const git_oid *commit)
{
  git_commit *c = NULL;
  git_tree *t = NULL;
  if (r == NULL || git_commit_lookup (&c, r->repo, commit) < 0)
    return NULL;
  if (git_commit_tree (&t, c) < 0)
    t = NULL;
  git_commit_free (c);
  return t;
}

/* Export the gitlink at PATH as COMMIT (NULL: drop it), replacing what the
 * submodule table says is there now. */
static gboolean
gitlink_set (BpTreeSync *s, Ctx *ctx, const char *path, const git_oid *commit, Plan *plan,
             GError **error)
{
  Repo *r = NULL;
  git_tree *new_tree = NULL;
  if (commit)
    {
      const char *rel = path + (ctx->base[0] ? strlen (ctx->base) + 1 : 0);
      g_autofree char *name = module_name (s, ctx, rel);
      r = module_open (s, ctx->repo, name);
      new_tree = commit_tree (r, commit);
    }
  Sub *old = g_hash_table_lookup (s->subs, path);
  git_tree *old_tree = old ? commit_tree (old->repo, &old->commit) : NULL;
  gboolean ok;
  Ctx sub = { r, new_tree, path };
  if (old_tree && new_tree && old->repo == r)
    ok = collect (s, &sub, old_tree, new_tree, path, plan, error);
  else
    {
      Ctx gone = { old ? old->repo : NULL, NULL, path };
      ok = (old_tree == NULL || collect (s, &gone, old_tree, NULL, path, plan, error))
           && (new_tree == NULL || collect (s, &sub, NULL, new_tree, path, plan, error));
    }
  if (commit && new_tree)
    plan->stats->submodules++;
  else if (commit)
    plan->stats->submodules_missing++;
  plan_sub (plan, path, new_tree ? r : NULL, commit);
  if (old_tree)
    git_tree_free (old_tree);
  if (new_tree)
    git_tree_free (new_tree);
  return ok;
}

static gboolean
subtree_collect (BpTreeSync *s, Ctx *ctx, const git_tree_entry *o, const git_tree_entry *n,
                 const char *path, Plan *plan, GError **error)
{
  git_tree *ot = NULL, *nt = NULL;
  if ((o && git_tree_lookup (&ot, ctx->repo->repo, git_tree_entry_id (o)) < 0)
      || (n && git_tree_lookup (&nt, ctx->repo->repo, git_tree_entry_id (n)) < 0))
    {
      git_tree_free (ot);
      return sync_fail (error, BP_TREE_SYNC_ERROR_GIT, "reading the tree of", path);
    }
  gboolean ok = collect (s, ctx, ot, nt, path, plan, error);
  git_tree_free (ot);
  git_tree_free (nt);
  return ok;
}

typedef enum { K_TREE, K_FILE, K_GITLINK } Kind;

static Kind
kind_of (const git_tree_entry *e)
{
  switch (git_tree_entry_filemode (e))
    {
    case GIT_FILEMODE_TREE: return K_TREE;
    case GIT_FILEMODE_COMMIT: return K_GITLINK;
    default: return K_FILE;
    }
}

/* Entry O goes away. */
static gboolean
remove_entry (BpTreeSync *s, Ctx *ctx, const git_tree_entry *o, const char *path, Plan *plan,
              GError **error)
{
  switch (kind_of (o))
    {
    case K_TREE:
      return !dir_may_match (s, path) || subtree_collect (s, ctx, o, NULL, path, plan, error);
    case K_FILE:
      if (path_matches (s, path))
        plan_op (plan->removes, OP_REMOVE, path, NULL, 0, 0, NULL);
      return TRUE;
    case K_GITLINK:
      if (!gitlink_wanted (s, path))
        return TRUE;
      if (s->submodules && g_hash_table_contains (s->subs, path)
          && !gitlink_set (s, ctx, path, NULL, plan, error))
        return FALSE;
      plan_op (plan->removes, OP_RMDIR, path, NULL, 0, 0, NULL);
      return TRUE;
    }
  return TRUE;
}

/* Entry N arrives. */
static gboolean
add_entry (BpTreeSync *s, Ctx *ctx, const git_tree_entry *n, const char *path, Plan *plan,
           GError **error)
{
  switch (kind_of (n))
    {
    case K_TREE:
      return !dir_may_match (s, path) || subtree_collect (s, ctx, NULL, n, path, plan, error);
    case K_FILE:
      if (path_matches (s, path))
        plan_op (plan->writes, OP_WRITE, path, git_tree_entry_id (n), git_tree_entry_filemode (n),
                 0, ctx->repo);
      return TRUE;
    case K_GITLINK:
      if (!gitlink_wanted (s, path))
        return TRUE;
      plan_op (plan->writes, OP_MKDIR, path, NULL, 0, 0, NULL);
      return !s->submodules || gitlink_set (s, ctx, path, git_tree_entry_id (n), plan, error);
    }
  return TRUE;
}

/* O and N (equal names, not both trees) differ. */
static gboolean
change_entry (BpTreeSync *s, Ctx *ctx, const git_tree_entry *o, const git_tree_entry *n,
              const char *path, Plan *plan, GError **error)
{
  Kind ko = kind_of (o), kn = kind_of (n);
  if (ko != kn)
    return remove_entry (s, ctx, o, path, plan, error) && add_entry (s, ctx, n, path, plan, error);
  if (kn == K_GITLINK)
    return !s->submodules || !gitlink_wanted (s, path)
           || gitlink_set (s, ctx, path, git_tree_entry_id (n), plan, error);
  if (!path_matches (s, path))
    return TRUE;
  guint32 om = git_tree_entry_filemode (o), nm = git_tree_entry_filemode (n);
  gboolean both_regular = om != GIT_FILEMODE_LINK && nm != GIT_FILEMODE_LINK;
  if (git_oid_equal (git_tree_entry_id (o), git_tree_entry_id (n)) && both_regular)
    plan_op (plan->writes, OP_CHMOD, path, NULL, nm, om, NULL);
  else
    plan_op (plan->writes, OP_WRITE, path, git_tree_entry_id (n), nm, om, ctx->repo);
  return TRUE;
}

static gboolean
entry_diff (BpTreeSync *s, Ctx *ctx, const git_tree_entry *o, const git_tree_entry *n,
            const char *prefix, Plan *plan, GError **error)
{
  const char *name = git_tree_entry_name (n ? n : o);
  if (!name_is_safe (name))
    {
      g_set_error (error, BP_TREE_SYNC_ERROR, BP_TREE_SYNC_ERROR_UNSAFE,
                   "tree entry '%s' under '%s' is a path git refuses to check out", name,
                   prefix[0] ? prefix : ".");
      return FALSE;
    }
  g_autofree char *path = join (prefix, name);
  if (o && n && kind_of (o) == K_TREE && kind_of (n) == K_TREE)
    return !dir_may_match (s, path) || subtree_collect (s, ctx, o, n, path, plan, error);
  if (o && n)
    return change_entry (s, ctx, o, n, path, plan, error);
  if (o)
    return remove_entry (s, ctx, o, path, plan, error);
  return add_entry (s, ctx, n, path, plan, error);
}

/* Walk OLD and NEW (either may be NULL) in git's entry order. */
static gboolean
collect (BpTreeSync *s, Ctx *ctx, git_tree *old, git_tree *new, const char *prefix, Plan *plan,
         GError **error)
{
  size_t no = old ? git_tree_entrycount (old) : 0, nn = new ? git_tree_entrycount (new) : 0;
  size_t i = 0, j = 0;
  while (i < no || j < nn)
    {
      const git_tree_entry *o = i < no ? git_tree_entry_byindex (old, i) : NULL;
      const git_tree_entry *n = j < nn ? git_tree_entry_byindex (new, j) : NULL;
      int c = o == NULL ? 1 : n == NULL ? -1 : git_tree_entry_cmp (o, n);
      if (c < 0)
        n = NULL;
      else if (c > 0)
        o = NULL;
      i += o != NULL;
      j += n != NULL;
      if (o && n && git_oid_equal (git_tree_entry_id (o), git_tree_entry_id (n))
          && git_tree_entry_filemode (o) == git_tree_entry_filemode (n))
        continue;   /* the same: nothing below it changed either */
      if (!entry_diff (s, ctx, o, n, prefix, plan, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- apply: removals, then writes ---------------------------------------- */

static int
remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  remove (path);
  return 0;   /* carry on: whatever cannot go is reported by the caller */
}

/* Remove whatever stands at FULL (a directory with all it holds), never
 * following a symlink. */
static gboolean
remove_any (const char *full, GError **error)
{
  struct stat st;
  if (lstat (full, &st) < 0)
    return errno == ENOENT || sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot inspect", full);
  if (S_ISDIR (st.st_mode))
    nftw (full, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  else
    unlink (full);
  if (lstat (full, &st) == 0)
    {
      errno = EEXIST;
      return sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot remove", full);
    }
  return TRUE;
}

/* Is every directory above PATH (relative) a real directory, not a symlink
 * or file the user of the directory put there?  Only then may anything
 * below be removed or changed: git's has_symlink_leading_path.  REAL caches
 * the directories seen, for one update. */
static gboolean
parents_are_real (BpTreeSync *s, GHashTable *real, const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (strcmp (dir, ".") == 0 || g_hash_table_contains (real, dir))
    return TRUE;
  g_autofree char *full = g_build_filename (s->dest, dir, NULL);
  struct stat st;
  if (!parents_are_real (s, real, dir) || lstat (full, &st) < 0 || !S_ISDIR (st.st_mode))
    return FALSE;
  g_hash_table_add (real, g_steal_pointer (&dir));
  return TRUE;
}

/* rmdir PATH's parents (relative to dest) while they are empty. */
static void
prune_parents (BpTreeSync *s, GHashTable *real, const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  while (strcmp (dir, ".") != 0)
    {
      g_autofree char *full = g_build_filename (s->dest, dir, NULL);
      if (rmdir (full) < 0)
        break;
      g_hash_table_remove (real, dir);
      char *up = g_path_get_dirname (dir);
      g_free (dir);
      dir = up;
    }
}

static gboolean
apply_removes (BpTreeSync *s, Plan *plan, GError **error)
{
  g_autoptr(GHashTable) real = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < plan->removes->len; i++)
    {
      const Op *op = &g_array_index (plan->removes, Op, i);
      if (!parents_are_real (s, real, op->path))
        continue;   /* not ours any more: never remove through a symlink */
      g_autofree char *full = g_build_filename (s->dest, op->path, NULL);
      int rc = op->kind == OP_REMOVE ? unlink (full) : rmdir (full);
      if (rc < 0 && errno != ENOENT && errno != ENOTDIR && errno != EISDIR && errno != ENOTEMPTY
          && errno != EEXIST)
        return sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot remove", full);
      if (rc == 0)
        plan->stats->removed++;
      prune_parents (s, real, op->path);
    }
  return TRUE;
}

/* Every directory from dest down to PATH (relative) is a real directory:
 * made where missing, and whatever else stands there removed first. */
static gboolean
ensure_dirs (BpTreeSync *s, GHashTable *made, const char *path, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr(GString) rel = g_string_new (NULL);
  for (guint i = 0; parts[i]; i++)
    {
      if (i > 0)
        g_string_append_c (rel, '/');
      g_string_append (rel, parts[i]);
      if (g_hash_table_contains (made, rel->str))
        continue;
      g_autofree char *full = g_build_filename (s->dest, rel->str, NULL);
      struct stat st;
      if (lstat (full, &st) < 0 || !S_ISDIR (st.st_mode))
        {
          if (!remove_any (full, error))
            return FALSE;
          if (mkdir (full, 0777) < 0)
            return sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot create directory", full);
        }
      g_hash_table_add (made, g_strdup (rel->str));
    }
  return TRUE;
}

static gboolean
write_all (int fd, const char *data, gsize size)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      size -= (gsize) n;
    }
  return TRUE;
}

/* A new inode each time, as git's checkout does: unlink, then create.
 * Truncating in place is slower on ext4, whose auto_da_alloc flushes a
 * file truncated to zero and written again when it is closed. */
static gboolean
write_file (BpTreeSync *s, const Op *op, const char *full, const char *data, gsize size,
            GError **error)
{
  mode_t perm = op->mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666;
  int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  if (op->old_mode != 0)
    unlink (full);
  int fd = open (full, flags, perm);
  if (fd < 0 && errno == EEXIST)
    {
      /* something the user of the directory left there: replace it */
      if (!remove_any (full, error))
        return FALSE;
      fd = open (full, flags, perm);
    }
  if (fd < 0)
    return sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot write", full);
  gboolean ok = write_all (fd, data, size);
  int saved = errno;
  if (close (fd) < 0 && ok)
    return sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot write", full);
  errno = saved;
  return ok || sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot write", full);
}

static gboolean
write_blob (BpTreeSync *s, git_odb *odb, const Op *op, GError **error)
{
  g_autofree char *full = g_build_filename (s->dest, op->path, NULL);
  git_odb_object *obj = NULL;
  if (git_odb_read (&obj, odb, &op->id) < 0)
    return sync_fail (error, BP_TREE_SYNC_ERROR_GIT, "reading the blob of", op->path);
  const char *data = git_odb_object_data (obj);
  gsize size = git_odb_object_size (obj);
  gboolean ok;
  if (op->mode == GIT_FILEMODE_LINK)
    {
      g_autofree char *target = g_strndup (data, size);
      ok = remove_any (full, error);
      if (ok && symlink (target, full) < 0)
        ok = sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot create symlink", full);
    }
  else
    ok = write_file (s, op, full, data, size, error);
  git_odb_object_free (obj);
  return ok;
}

/* Directories, gitlink directories and mode changes, in order; the blobs
 * to write go to BLOBS (their parents exist by then). */
static gboolean
apply_write (BpTreeSync *s, GHashTable *made, const Op *op, GPtrArray *blobs,
             BpTreeSyncStats *stats, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (op->path);
  if (strcmp (parent, ".") != 0 && !ensure_dirs (s, made, parent, error))
    return FALSE;
  g_autofree char *full = g_build_filename (s->dest, op->path, NULL);
  struct stat st;
  switch (op->kind)
    {
    case OP_MKDIR:
      return ensure_dirs (s, made, op->path, error);
    case OP_CHMOD:
      stats->chmods++;
      if (lstat (full, &st) == 0 && S_ISREG (st.st_mode)
          && chmod (full, (op->mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666) & ~s->umask) < 0)
        return sync_fail (error, BP_TREE_SYNC_ERROR_IO, "cannot change the mode of", full);
      return TRUE;
    case OP_WRITE:
      stats->written++;
      g_ptr_array_add (blobs, (gpointer) op);
      return TRUE;
    default:
      return TRUE;
    }
}

static gboolean
stopped (BpTreeSync *s, GCancellable *cancellable, GError **error)
{
  if (s->stop && *s->stop)
    {
      g_set_error (error, BP_TREE_SYNC_ERROR, BP_TREE_SYNC_ERROR_IO, "interrupted");
      return TRUE;
    }
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

static gboolean
write_blobs (BpTreeSync *s, GPtrArray *blobs, GCancellable *cancellable, GError **error)
{
  for (guint i = 0; i < blobs->len; i++)
    {
      Op *op = g_ptr_array_index (blobs, i);
      if ((i & 255) == 0 && stopped (s, cancellable, error))
        return FALSE;
      if (op->repo->odb == NULL && git_repository_odb (&op->repo->odb, op->repo->repo) < 0)
        return sync_fail (error, BP_TREE_SYNC_ERROR_GIT, "opening the objects for", op->path);
      if (!write_blob (s, op->repo->odb, op, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
apply_writes (BpTreeSync *s, Plan *plan, GCancellable *cancellable, GError **error)
{
  g_autoptr(GHashTable) made = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) blobs = g_ptr_array_new ();
  for (guint i = 0; i < plan->writes->len; i++)
    {
      if ((i & 255) == 0 && stopped (s, cancellable, error))
        return FALSE;
      if (!apply_write (s, made, &g_array_index (plan->writes, Op, i), blobs, plan->stats, error))
        return FALSE;
    }
  return write_blobs (s, blobs, cancellable, error);
}

/* ---- the object ----------------------------------------------------------- */

static gboolean
clear_dest (BpTreeSync *s, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open (s->dest, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *full = g_build_filename (s->dest, name, NULL);
      if (!remove_any (full, error))
        return FALSE;
    }
  g_hash_table_remove_all (s->subs);
  s->have_tree = FALSE;
  s->dirty = FALSE;
  return TRUE;
}

BpTreeSync *
bp_tree_sync_new (git_repository *repo, const char *dest, const BpTreeSyncOptions *options,
                  GError **error)
{
  g_autoptr(BpTreeSync) s = g_new0 (BpTreeSync, 1);
  s->dest = g_strdup (dest);
  s->globs = g_ptr_array_new_with_free_func (g_free);
  s->literal = g_ptr_array_new_with_free_func (g_free);
  s->subs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->repos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, repo_free);
  s->gitmodules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_hash_table_unref);
  s->key_memo = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->umask = read_umask ();
  s->submodules = options && options->submodules;
  s->stop = options ? options->stop : NULL;
  for (guint i = 0; options && options->paths && options->paths[i]; i++)
    if (!add_glob (s, options->paths[i], error))
      return NULL;
  g_autofree char *gitdir = g_strdup (git_repository_commondir (repo));
  gsize n = strlen (gitdir);
  while (n > 1 && gitdir[n - 1] == '/')
    gitdir[--n] = '\0';
  s->top = repo_add (s, gitdir, repo, FALSE);
  return g_steal_pointer (&s);
}

void
bp_tree_sync_free (BpTreeSync *s)
{
  if (s == NULL)
    return;
  g_free (s->dest);
  g_ptr_array_unref (s->globs);
  g_ptr_array_unref (s->literal);
  g_hash_table_unref (s->subs);
  g_hash_table_unref (s->gitmodules);
  g_hash_table_unref (s->key_memo);
  g_hash_table_unref (s->repos);
  g_free (s);
}

static void
apply_sub_changes (BpTreeSync *s, GArray *changes)
{
  for (guint i = 0; i < changes->len; i++)
    {
      const SubChange *c = &g_array_index (changes, SubChange, i);
      if (c->repo == NULL)
        {
          g_hash_table_remove (s->subs, c->path);
          continue;
        }
      Sub *sub = g_new0 (Sub, 1);
      sub->repo = c->repo;
      sub->commit = c->commit;
      g_hash_table_replace (s->subs, g_strdup (c->path), sub);
    }
}

static void
stats_add (BpTreeSyncStats *to, const BpTreeSyncStats *from)
{
  to->written += from->written;
  to->removed += from->removed;
  to->chmods += from->chmods;
  to->submodules += from->submodules;
  to->submodules_missing += from->submodules_missing;
}

gboolean
bp_tree_sync_update (BpTreeSync *s, const git_oid *tree, BpTreeSyncStats *stats,
                     GCancellable *cancellable, GError **error)
{
  BpTreeSyncStats local = { 0 };
  if (stats)
    *stats = local;
  if (s->dirty && !clear_dest (s, error))
    return FALSE;
  if (s->have_tree && git_oid_equal (&s->tree, tree))
    return TRUE;
  git_tree *old = NULL, *new = NULL;
  if ((s->have_tree && git_tree_lookup (&old, s->top->repo, &s->tree) < 0)
      || git_tree_lookup (&new, s->top->repo, tree) < 0)
    {
      git_tree_free (old);
      return sync_fail (error, BP_TREE_SYNC_ERROR_GIT, "reading tree", git_oid_tostr_s (tree));
    }
  g_autoptr(GArray) removes = g_array_new (FALSE, FALSE, sizeof (Op));
  g_autoptr(GArray) writes = g_array_new (FALSE, FALSE, sizeof (Op));
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (SubChange));
  g_array_set_clear_func (removes, op_clear);
  g_array_set_clear_func (writes, op_clear);
  g_array_set_clear_func (changes, sub_change_clear);
  Plan plan = { removes, writes, changes, &local };
  Ctx ctx = { s->top, new, "" };
  gboolean ok = collect (s, &ctx, old, new, "", &plan, error);
  git_tree_free (old);
  git_tree_free (new);
  if (!ok)
    return FALSE;   /* nothing was touched yet */
  if (!apply_removes (s, &plan, error) || !apply_writes (s, &plan, cancellable, error))
    {
      s->dirty = TRUE;
      return FALSE;
    }
  apply_sub_changes (s, changes);
  s->tree = *tree;
  s->have_tree = TRUE;
  stats_add (&s->totals, &local);
  if (stats)
    *stats = local;
  return TRUE;
}

/* ---- keys ------------------------------------------------------------------ */

/* Digest of what TREE at PREFIX contributes; *ANY: something matched. */
static gboolean
digest (BpTreeSync *s, git_tree *tree, const char *prefix, git_oid *out, gboolean *any,
        GError **error)
{
  g_autofree char *memo_key = g_strdup_printf ("%s %s", git_oid_tostr_s (git_tree_id (tree)), prefix);
  const git_oid *memo = g_hash_table_lookup (s->key_memo, memo_key);
  if (memo)
    {
      *out = *memo;
      *any = !git_oid_is_zero (memo);
      return TRUE;
    }
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA1);
  *any = FALSE;
  for (size_t i = 0; i < git_tree_entrycount (tree); i++)
    {
      const git_tree_entry *e = git_tree_entry_byindex (tree, i);
      g_autofree char *path = join (prefix, git_tree_entry_name (e));
      git_oid id = *git_tree_entry_id (e);
      Kind k = kind_of (e);
      if (k == K_TREE)
        {
          git_tree *sub = NULL;
          gboolean sub_any = FALSE;
          if (!dir_may_match (s, path))
            continue;
          if (git_tree_lookup (&sub, s->top->repo, &id) < 0)
            return sync_fail (error, BP_TREE_SYNC_ERROR_GIT, "reading the tree of", path);
          gboolean ok = digest (s, sub, path, &id, &sub_any, error);
          git_tree_free (sub);
          if (!ok)
            return FALSE;
          if (!sub_any)
            continue;
        }
      else if (k == K_GITLINK ? !gitlink_wanted (s, path) : !path_matches (s, path))
        continue;
      char head[16];
      int n = g_snprintf (head, sizeof head, "%o ", (unsigned) git_tree_entry_filemode (e));
      g_checksum_update (sum, (const guchar *) head, n);
      g_checksum_update (sum, (const guchar *) path, strlen (path) + 1);
      g_checksum_update (sum, id.id, GIT_OID_RAWSZ);
      *any = TRUE;
    }
  guint8 raw[20];
  gsize len = sizeof raw;
  g_checksum_get_digest (sum, raw, &len);
  if (!*any)
    memset (raw, 0, sizeof raw);
  git_oid_fromraw (out, raw);
  g_hash_table_insert (s->key_memo, g_steal_pointer (&memo_key), g_memdup2 (out, sizeof *out));
  return TRUE;
}

gboolean
bp_tree_sync_key (BpTreeSync *s, const git_oid *tree, git_oid *key, GError **error)
{
  if (s->globs->len == 0)
    {
      *key = *tree;
      return TRUE;
    }
  git_tree *t = NULL;
  if (git_tree_lookup (&t, s->top->repo, tree) < 0)
    return sync_fail (error, BP_TREE_SYNC_ERROR_GIT, "reading tree", git_oid_tostr_s (tree));
  gboolean any = FALSE;
  gboolean ok = digest (s, t, "", key, &any, error);
  git_tree_free (t);
  if (ok && !any)
    memset (key->id, 0xfd, sizeof key->id);   /* nothing matched: one key for all such trees */
  return ok;
}

const char *
bp_tree_sync_modules_dir (BpTreeSync *s)
{
  return s->top->modules;
}

const BpTreeSyncStats *
bp_tree_sync_totals (BpTreeSync *s)
{
  return &s->totals;
}

