/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The subprojects QEMU's offline configure needs (keycodemapdb, the
 * Berkeley softfloat and testfloat) and a `git archive` of a tag lacks:
 * git keeps them as .wrap files naming a revision, release tarballs (and so
 * Debian's source) carry them unpacked.  A git export in the cache gets them
 * from another tree that has them under the same .wrap (a Debian tree of
 * another line, usually), or from the repository's own history when it holds
 * the .wrap's revision; then the export's own subprojects/packagefiles/<name>/
 * goes over them, as meson's patch_directory does.  What is supplied, and
 * from where, is a note of the tree and is kept in its stamp. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "sources/debian-version.h"
#include "sources/git-export.h"
#include "sources/trees-private.h"

static const char *const needed[] = { "keycodemapdb", "berkeley-softfloat-3", "berkeley-testfloat-3", NULL };

static gboolean
io_fail (GError **error, const char *what, const char *path)
{
  int err = errno;
  g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "%s %s: %s", what, path, g_strerror (err));
  return FALSE;
}

/* Copy SRC into DST (created when absent; entries already there are
 * replaced): directories, regular files with their mode, symlinks as links. */
static gboolean
copy_tree (const char *src, const char *dst, GError **error)
{
  if (mkdir (dst, 0755) != 0 && errno != EEXIST)
    return io_fail (error, "mkdir", dst);
  g_autoptr(GDir) dir = g_dir_open (src, 0, NULL);
  if (dir == NULL)
    return io_fail (error, "opendir", src);
  for (const char *n; (n = g_dir_read_name (dir)) != NULL;)
    {
      g_autofree char *from = g_build_filename (src, n, NULL);
      g_autofree char *to = g_build_filename (dst, n, NULL);
      struct stat st;
      if (lstat (from, &st) != 0)
        return io_fail (error, "stat", from);
      if (S_ISDIR (st.st_mode))
        {
          if (!copy_tree (from, to, error))
            return FALSE;
          continue;
        }
      if (unlink (to) != 0 && errno != ENOENT)
        return io_fail (error, "unlink", to);
      if (S_ISLNK (st.st_mode))
        {
          g_autofree char *target = g_file_read_link (from, NULL);
          if (target == NULL || symlink (target, to) != 0)
            return io_fail (error, "symlink", to);
        }
      else if (S_ISREG (st.st_mode))
        {
          g_autofree char *data = NULL;
          gsize len = 0;
          if (!g_file_get_contents (from, &data, &len, error)
              || !g_file_set_contents (to, data, len, error))
            return FALSE;
          if (chmod (to, st.st_mode & 07777) != 0)
            return io_fail (error, "chmod", to);
        }
    }
  return TRUE;
}

static char *
wrap_text (const char *tree, const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/subprojects/%s.wrap", tree, name);
  char *text = NULL;
  return g_file_get_contents (path, &text, NULL, NULL) ? text : NULL;
}

static gboolean
has_dir (const char *tree, const char *name)
{
  g_autofree char *dir = g_strdup_printf ("%s/subprojects/%s", tree, name);
  return g_file_test (dir, G_FILE_TEST_IS_DIR);
}

/* A tree that may lend its subprojects. */
typedef struct {
  char *path;
  char *origin;     /* "Debian 1:10.2.2+ds-1" */
} Donor;

static void
donor_free (Donor *d)
{
  g_free (d->path);
  g_free (d->origin);
  g_free (d);
}

static void
donor_add (GPtrArray *donors, const char *path, const char *origin)
{
  for (guint i = 0; i < donors->len; i++)
    if (strcmp (((Donor *) donors->pdata[i])->path, path) == 0)
      return;
  Donor *d = g_new0 (Donor, 1);
  d->path = g_strdup (path);
  d->origin = g_strdup (origin);
  g_ptr_array_add (donors, d);
}

static int
debian_newest_first (gconstpointer a, gconstpointer b)
{
  const Donor *da = *(Donor *const *) a, *db = *(Donor *const *) b;
  return bp_debian_version_compare (db->origin + strlen ("Debian "), da->origin + strlen ("Debian "));
}

/* The other trees of this call, then the complete Debian trees of the cache,
 * newest first. */
static GPtrArray *
donors_for (BpTreesCtx *c, const BpTree *t)
{
  GPtrArray *donors = g_ptr_array_new_with_free_func ((GDestroyNotify) donor_free);
  for (guint i = 0; i < c->set->trees->len; i++)
    {
      const BpTree *o = c->set->trees->pdata[i];
      if (o != t && o->path && o->origin && g_strcmp0 (o->path, t->path) != 0)
        donor_add (donors, o->path, o->origin);
    }
  g_autoptr(GPtrArray) cached = g_ptr_array_new_with_free_func ((GDestroyNotify) donor_free);
  g_autoptr(GDir) dir = g_dir_open (c->debian_dir, 0, NULL);
  for (const char *n; dir && (n = g_dir_read_name (dir)) != NULL;)
    {
      if (!g_str_has_suffix (n, ".stamp"))
        continue;
      g_autofree char *stamp = g_build_filename (c->debian_dir, n, NULL);
      g_autoptr(GKeyFile) kf = g_key_file_new ();
      g_autofree char *debver = g_key_file_load_from_file (kf, stamp, G_KEY_FILE_NONE, NULL)
        ? g_key_file_get_string (kf, "tree", "deb-version", NULL) : NULL;
      g_autofree char *path = g_strndup (stamp, strlen (stamp) - strlen (".stamp"));
      g_autofree char *version = bp_trees_read_version (path);
      if (debver == NULL || version == NULL)
        continue;
      Donor *d = g_new0 (Donor, 1);
      d->path = g_steal_pointer (&path);
      d->origin = g_strdup_printf ("Debian %s", debver);
      g_ptr_array_add (cached, d);
    }
  g_ptr_array_sort (cached, debian_newest_first);
  for (guint i = 0; i < cached->len; i++)
    donor_add (donors, ((Donor *) cached->pdata[i])->path, ((Donor *) cached->pdata[i])->origin);
  return donors;
}

/* "revision = <40 hex>" of a .wrap, or NULL. */
static char *
wrap_revision (const char *wrap)
{
  g_auto(GStrv) lines = g_strsplit (wrap, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_autofree char *s = g_strstrip (g_strdup (*l));
      if (!g_str_has_prefix (s, "revision"))
        continue;
      const char *eq = strchr (s, '=');
      g_autofree char *v = eq ? g_strstrip (g_strdup (eq + 1)) : NULL;
      git_oid oid;
      if (v && strlen (v) == GIT_OID_HEXSZ && git_oid_fromstr (&oid, v) == 0)
        return g_steal_pointer (&v);
    }
  return NULL;
}

/* Put NAME's content into TMP: a donor's copy with the same .wrap, else the
 * repository's commit of the .wrap's revision.  *FROM says which; FALSE
 * (without an error) when neither has it. */
static gboolean
fetch_one (BpTreesCtx *c, git_repository *repo, GPtrArray *donors, const char *name,
           const char *wrap, const char *tmp, char **from, GError **error)
{
  for (guint i = 0; i < donors->len; i++)
    {
      const Donor *d = donors->pdata[i];
      g_autofree char *theirs = wrap_text (d->path, name);
      if (theirs == NULL || strcmp (theirs, wrap) != 0 || !has_dir (d->path, name))
        continue;   /* another revision is another content */
      g_autofree char *src = g_strdup_printf ("%s/subprojects/%s", d->path, name);
      if (!copy_tree (src, tmp, error))
        return FALSE;
      *from = g_strdup (d->origin);
      return TRUE;
    }
  g_autofree char *rev = wrap_revision (wrap);
  git_oid oid;
  g_autoptr(git_commit) commit = NULL;
  if (repo == NULL || rev == NULL || git_oid_fromstr (&oid, rev) != 0
      || git_commit_lookup (&commit, repo, &oid) != 0)
    return FALSE;
  if (!bp_trees_export_commit_id (repo, &oid, tmp, c->cancellable, error))
    return FALSE;
  *from = g_strdup_printf ("the repository's commit %.12s (the .wrap's revision)", rev);
  return TRUE;
}

/* Supply NAME into the export at T->path; *FROM says from where.  FALSE with
 * an error on a copy that failed; FALSE without one when nothing has it. */
static gboolean
supply_one (BpTreesCtx *c, git_repository *repo, GPtrArray *donors, BpTree *t, const char *name,
            char **from, GError **error)
{
  g_autofree char *wrap = wrap_text (t->path, name);
  g_autofree char *tmp = g_strdup_printf ("%s/subprojects/.supply-%s-%d", t->path, name, (int) getpid ());
  g_autofree char *dest = g_strdup_printf ("%s/subprojects/%s", t->path, name);
  if (wrap == NULL || !bp_trees_rm_rf (tmp, error))
    return FALSE;
  g_autoptr(GError) local = NULL;
  if (!fetch_one (c, repo, donors, name, wrap, tmp, from, &local))
    {
      bp_trees_rm_rf (tmp, NULL);
      if (local)
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* meson's patch_directory: the tree's own overlay goes on top */
  g_autofree char *overlay = g_strdup_printf ("%s/subprojects/packagefiles/%s", t->path, name);
  if (g_file_test (overlay, G_FILE_TEST_IS_DIR) && !copy_tree (overlay, tmp, error))
    {
      bp_trees_rm_rf (tmp, NULL);
      return FALSE;
    }
  if (g_rename (tmp, dest) != 0)
    {
      int err = errno;
      bp_trees_rm_rf (tmp, NULL);
      if (has_dir (t->path, name))
        return TRUE;   /* another run supplied it meanwhile */
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "rename %s: %s", tmp, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

/* Names of NEEDED that T has only as a .wrap, NULL-terminated. */
static GPtrArray *
missing_names (const BpTree *t)
{
  GPtrArray *missing = g_ptr_array_new ();
  for (const char *const *n = needed; *n; n++)
    {
      g_autofree char *wrap = g_strdup_printf ("%s/subprojects/%s.wrap", t->path, *n);
      if (g_file_test (wrap, G_FILE_TEST_EXISTS) && !has_dir (t->path, *n))
        g_ptr_array_add (missing, (gpointer) *n);
    }
  g_ptr_array_add (missing, NULL);
  return missing;
}

/* "a, b and c" */
static char *
name_list (GPtrArray *names)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (s, "%s%s", i == 0 ? "" : i + 1 == names->len ? " and " : ", ",
                            (char *) names->pdata[i]);
  return g_string_free (s, FALSE);
}

/* The stamp of a git export: what was supplied, kept for the cached runs. */
static char *
stamp_path (BpTreesCtx *c, const BpTree *t)
{
  return g_strdup_printf ("%s/%s.stamp", c->git_dir, t->commit);
}

static void
note_supplied (BpTreesCtx *c, BpTree *t, const char *names, const char *from, gboolean save)
{
  g_autofree char *note = g_strdup_printf ("subprojects %s supplied from %s: a git export lacks them "
                                           "(git keeps .wrap files), release tarballs carry them", names, from);
  bp_trees_add_note (t->notes, "%s", note);
  if (!save)
    return;
  g_autofree char *stamp = stamp_path (c, t);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  if (g_key_file_load_from_file (kf, stamp, G_KEY_FILE_KEEP_COMMENTS, NULL))
    {
      g_autofree char *old = g_key_file_get_string (kf, "tree", "subprojects", NULL);
      g_autofree char *all = old ? g_strdup_printf ("%s\n%s", old, note) : g_strdup (note);
      g_key_file_set_string (kf, "tree", "subprojects", all);
      (void) bp_trees_write_keyfile (kf, stamp, NULL);
    }
}

/* Supply what T lacks, grouping the notes by where it came from. */
static void
supply (BpTreesCtx *c, BpTree *t, GPtrArray *missing)
{
  g_autoptr(GPtrArray) donors = donors_for (c, t);
  g_autoptr(git_repository) repo = NULL;
  if (c->opts->repo)
    if (git_repository_open_ext (&repo, c->opts->repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0
        || !bp_git_objects_in_memory (repo, BP_TREES_ERROR, BP_TREES_ERROR_REPO, NULL))
      g_clear_pointer (&repo, git_repository_free);   /* donors only, then */
  g_autoptr(GHashTable) by_origin = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                           (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) origins = g_ptr_array_new ();   /* keys of by_origin, in order */
  for (guint i = 0; missing->pdata[i]; i++)
    {
      const char *name = missing->pdata[i];
      g_autofree char *from = NULL;
      g_autoptr(GError) local = NULL;
      if (!supply_one (c, repo, donors, t, name, &from, &local))
        {
          if (local)
            bp_trees_add_note (t->notes, "subproject %s could not be supplied: %s", name, local->message);
          continue;
        }
      bp_trees_report (&c->reporter, t->line, "subproject %s supplied from %s", name, from);
      GPtrArray *names = g_hash_table_lookup (by_origin, from);
      if (names == NULL)
        {
          names = g_ptr_array_new ();
          g_ptr_array_add (origins, from);
          g_hash_table_insert (by_origin, g_steal_pointer (&from), names);
        }
      g_ptr_array_add (names, (gpointer) name);
    }
  for (guint i = 0; i < origins->len; i++)
    {
      g_autofree char *names = name_list (g_hash_table_lookup (by_origin, origins->pdata[i]));
      note_supplied (c, t, names, origins->pdata[i], TRUE);
    }
}

void
bp_trees_subprojects (BpTreesCtx *c, BpTree *t)
{
  if (t->path == NULL)
    return;
  if (t->kind == BP_TREE_GIT && t->commit)
    {
      /* said again on every run that finds the export cached */
      g_autofree char *stamp = stamp_path (c, t);
      g_autoptr(GKeyFile) kf = g_key_file_new ();
      g_autofree char *done = g_key_file_load_from_file (kf, stamp, G_KEY_FILE_NONE, NULL)
        ? g_key_file_get_string (kf, "tree", "subprojects", NULL) : NULL;
      g_auto(GStrv) notes = done ? g_strsplit (done, "\n", -1) : NULL;
      for (char **n = notes; n && *n; n++)
        if (**n)
          bp_trees_add_note (t->notes, "%s", *n);
      g_autoptr(GPtrArray) missing = missing_names (t);
      if (missing->len > 1)
        supply (c, t, missing);
    }
  g_autoptr(GPtrArray) still = missing_names (t);
  g_ptr_array_set_size (still, still->len - 1);
  if (still->len == 0)
    return;
  g_autofree char *names = name_list (still);
  bp_trees_add_note (t->notes, "subprojects %s are only .wrap files here (a git tree; release tarballs carry them): "
                     "an offline configure refuses the tree until they are added%s", names,
                     t->kind == BP_TREE_GIT ? "; no other tree in the cache has them under the same .wrap, "
                                              "nor has the repository the .wrap's revision" : "");
}
