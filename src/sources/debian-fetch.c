/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debian's trees: the newest version the index lists for a line that the
 * pool really serves, fetched and unpacked into the cache; the versions
 * answered 404 remembered in <cache>/trees/debian/not-served. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sources/debian-version.h"
#include "sources/trees-private.h"

typedef struct {
  char *deb_version;
  char *version;    /* VERSION of the unpacked tree */
  char *line;
  char *path;
} CachedTree;

static void
cached_tree_free (CachedTree *t)
{
  g_free (t->deb_version);
  g_free (t->version);
  g_free (t->line);
  g_free (t->path);
  g_free (t);
}

static char *
deb_dir_name (const char *deb_version)
{
  char *s = g_strdup (deb_version);
  g_strdelimit (s, ":/", '_');
  return s;
}

/* Complete cached Debian trees (stamp written, VERSION present). */
static GPtrArray *
debian_cached (BpTreesCtx *c)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) cached_tree_free);
  g_autoptr(GDir) dir = g_dir_open (c->debian_dir, 0, NULL);
  if (dir == NULL)
    return out;
  for (const char *n; (n = g_dir_read_name (dir)) != NULL;)
    {
      if (!g_str_has_suffix (n, ".stamp"))
        continue;
      g_autofree char *stamp = g_build_filename (c->debian_dir, n, NULL);
      g_autoptr(GKeyFile) kf = g_key_file_new ();
      if (!g_key_file_load_from_file (kf, stamp, G_KEY_FILE_NONE, NULL))
        continue;
      g_autofree char *debver = g_key_file_get_string (kf, "tree", "deb-version", NULL);
      if (debver == NULL)
        continue;
      g_autofree char *name = deb_dir_name (debver);
      g_autofree char *path = g_build_filename (c->debian_dir, name, NULL);
      g_autofree char *version = bp_trees_read_version (path);
      const char *line = bp_trees_line_of_version (c->pack, version);
      if (line == NULL)
        continue;
      CachedTree *t = g_new0 (CachedTree, 1);
      t->deb_version = g_steal_pointer (&debver);
      t->version = g_steal_pointer (&version);
      t->line = g_strdup (line);
      t->path = g_steal_pointer (&path);
      g_ptr_array_add (out, t);
    }
  return out;
}

static CachedTree *
cached_find (GPtrArray *cached, const char *line, const char *deb_version)
{
  CachedTree *best = NULL;
  for (guint i = 0; i < cached->len; i++)
    {
      CachedTree *t = cached->pdata[i];
      if (line && strcmp (t->line, line) != 0)
        continue;
      if (deb_version && strcmp (t->deb_version, deb_version) != 0)
        continue;
      if (best == NULL || bp_debian_version_compare (t->deb_version, best->deb_version) > 0)
        best = t;
    }
  return best;
}

static GKeyFile *
not_served_load (BpTreesCtx *c, char **path_out)
{
  GKeyFile *kf = g_key_file_new ();
  *path_out = g_build_filename (c->debian_dir, "not-served", NULL);
  (void) g_key_file_load_from_file (kf, *path_out, G_KEY_FILE_KEEP_COMMENTS, NULL);
  return kf;
}

typedef enum {
  FETCH_OK,
  FETCH_NOT_SERVED,   /* the pool answered 404 / file not found */
  FETCH_FAILED,       /* anything else: network, dpkg-source, VERSION */
} FetchResult;

/* Download DEB_VERSION and unpack it into the cache.  *WHY gets a short reason
 * when the result is not FETCH_OK.  FALSE only on cancellation or cache errors. */
static gboolean
debian_fetch (BpTreesCtx *c, const char *line, const char *deb_version, FetchResult *result,
              char **why, GError **error)
{
  const char *package = c->opts->package ? c->opts->package : "qemu";
  g_autofree char *name = deb_dir_name (deb_version);
  g_autofree char *dest = g_build_filename (c->debian_dir, name, NULL);
  g_autofree char *stamp = g_strconcat (dest, ".stamp", NULL);
  g_autofree char *work = g_strdup_printf ("%s/.work-%s-%d", c->debian_dir, name, (int) getpid ());
  if (!bp_trees_rm_rf (work, error) || !bp_trees_mkdirs (work, error))
    return FALSE;

  bp_trees_report (&c->reporter, line, "downloading Debian %s %s", package, deb_version);
  g_autofree char *spec = g_strdup_printf ("%s=%s", package, deb_version);
  g_autofree char *log = g_strdup_printf ("%s/apt-source-%s.log", c->logs, name);
  const char *argv[] = { "apt-get", "source", "--download-only", "-q", spec, NULL };
  g_auto(BpTreesCommand) res = { 0 };
  if (!bp_trees_run (argv, work, c->apt_config, log, &c->reporter, line, &res, c->cancellable, error))
    {
      bp_trees_rm_rf (work, NULL);
      return FALSE;
    }
  if (res.status != 0)
    {
      bp_trees_rm_rf (work, NULL);
      const char *const prefixes[] = { "E: Failed to fetch", "E: ", "Err:", NULL };
      g_autofree char *e = bp_trees_first_line_with (res.output, prefixes);
      if (strstr (res.output, " 404 ") || strstr (res.output, "404  Not Found"))
        {
          *result = FETCH_NOT_SERVED;
          *why = g_strdup ("404");
        }
      else if (strstr (res.output, "File not found") || strstr (res.output, "No such file or directory"))
        {
          *result = FETCH_NOT_SERVED;
          *why = g_strdup ("file not found in the pool");
        }
      else
        {
          *result = FETCH_FAILED;
          *why = g_strdup_printf ("apt-get source failed: %s (see %s)", e ? e : "no reason given", log);
        }
      return TRUE;
    }

  g_autofree char *dsc = NULL;
  g_autoptr(GDir) dir = g_dir_open (work, 0, NULL);
  for (const char *n; dir && (n = g_dir_read_name (dir)) != NULL;)
    if (g_str_has_suffix (n, ".dsc") && dsc == NULL)
      dsc = g_build_filename (work, n, NULL);
  if (dsc == NULL)
    {
      bp_trees_rm_rf (work, NULL);
      *result = FETCH_FAILED;
      *why = g_strdup_printf ("apt-get source downloaded no .dsc (see %s)", log);
      return TRUE;
    }

  bp_trees_report (&c->reporter, line, "unpacking %s", dsc);
  g_autofree char *tree = g_build_filename (work, "tree", NULL);
  g_autofree char *xlog = g_strdup_printf ("%s/dpkg-source-%s.log", c->logs, name);
  const char *xargv[] = { "dpkg-source", "--no-check", "-x", dsc, tree, NULL };
  g_auto(BpTreesCommand) xres = { 0 };
  if (!bp_trees_run (xargv, work, NULL, xlog, &c->reporter, line, &xres, c->cancellable, error))
    {
      bp_trees_rm_rf (work, NULL);
      return FALSE;
    }
  g_autofree char *version = xres.status == 0 ? bp_trees_read_version (tree) : NULL;
  if (xres.status != 0 || version == NULL)
    {
      bp_trees_rm_rf (work, NULL);
      *result = FETCH_FAILED;
      *why = xres.status != 0 ? g_strdup_printf ("dpkg-source -x failed (see %s)", xlog)
                              : g_strdup ("the unpacked source has no VERSION file");
      return TRUE;
    }
  if (g_strcmp0 (bp_trees_line_of_version (c->pack, version), line) != 0)
    {
      bp_trees_rm_rf (work, NULL);
      *result = FETCH_NOT_SERVED;   /* remembered too: fetching it again would not help */
      *why = g_strdup_printf ("its VERSION says %s, not a %s release", version, line);
      return TRUE;
    }
  if (g_file_test (stamp, G_FILE_TEST_EXISTS) && g_file_test (dest, G_FILE_TEST_IS_DIR))
    {
      /* another run unpacked the same version meanwhile: keep theirs */
      c->set->downloads++;
      *result = FETCH_OK;
      return bp_trees_rm_rf (work, error);
    }
  g_unlink (stamp);
  if (!bp_trees_rm_rf (dest, error))
    return FALSE;
  if (g_rename (tree, dest) != 0)
    {
      int err = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "rename %s: %s", tree, g_strerror (err));
      bp_trees_rm_rf (work, NULL);
      return FALSE;
    }
  if (!bp_trees_rm_rf (work, error))
    return FALSE;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *now = bp_trees_now_iso8601 ();
  g_key_file_set_string (kf, "tree", "kind", "debian");
  g_key_file_set_string (kf, "tree", "package", package);
  g_key_file_set_string (kf, "tree", "deb-version", deb_version);
  g_key_file_set_string (kf, "tree", "version", version);
  g_key_file_set_string (kf, "tree", "line", line);
  g_key_file_set_string (kf, "tree", "fetched", now);
  if (!bp_trees_write_keyfile (kf, stamp, error))
    return FALSE;
  c->set->downloads++;
  *result = FETCH_OK;
  return TRUE;
}

static void
use_cached (BpTree *t, CachedTree *ct)
{
  t->kind = BP_TREE_DEBIAN;
  t->path = g_strdup (ct->path);
  t->version = g_strdup (ct->version);
  t->deb_version = g_strdup (ct->deb_version);
  t->origin = g_strdup_printf ("Debian %s", ct->deb_version);
}

gboolean
bp_trees_debian_lines (BpTreesCtx *c, GPtrArray *wanted, GError **error)
{
  /* offline, an empty cache stays untouched */
  if ((!c->opts->offline || g_file_test (c->apt_dir, G_FILE_TEST_IS_DIR))
      && (!bp_trees_mkdirs (c->debian_dir, error) || !bp_trees_mkdirs (c->logs, error) || !bp_trees_apt_write_config (c, error)))
    return FALSE;
  bp_trees_sweep_stale (c->debian_dir, ".work-");
  const char *package = c->opts->package ? c->opts->package : "qemu";
  g_autoptr(GPtrArray) cached = debian_cached (c);

  /* The index is needed unless every line is in the cache already. */
  gboolean need_index = c->opts->refresh;
  for (guint i = 0; i < wanted->len; i++)
    need_index |= cached_find (cached, ((BpTree *) wanted->pdata[i])->line, NULL) == NULL;
  g_autofree char *index_error = NULL;
  if (need_index && !c->opts->offline && (c->opts->refresh || !bp_trees_apt_have_index (c)))
    {
      g_autoptr(GError) local = NULL;
      if (!bp_trees_apt_update (c, &local))
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_free (index_error);
          index_error = g_strdup (local->message);
          bp_trees_add_note (c->set->notes, "%s", local->message);
        }
    }
  g_autoptr(GPtrArray) versions = NULL;
  if (bp_trees_apt_have_index (c))
    {
      g_autoptr(GError) local = NULL;
      versions = bp_trees_apt_versions (c, &local);
      if (versions == NULL)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_free (index_error);
          index_error = g_strdup (local->message);
        }
    }

  if (versions && !c->set->index_updated)
    {
      GStatBuf st;
      g_autofree char *stamp = g_build_filename (c->apt_dir, "index.stamp", NULL);
      gint64 age = g_stat (stamp, &st) == 0 ? g_get_real_time () / G_USEC_PER_SEC - st.st_mtime : 0;
      if (age >= 7 * 86400)
        bp_trees_add_note (c->set->notes, "the deb-src index in %s is %d days old; refresh it to see newer Debian versions",
                           c->apt_dir, (int) (age / 86400));
    }

  g_autofree char *ns_path = NULL;
  g_autoptr(GKeyFile) not_served = not_served_load (c, &ns_path);
  gboolean not_served_changed = FALSE;

  for (guint i = 0; i < wanted->len; i++)
    {
      BpTree *t = wanted->pdata[i];
      const char *line = t->line;
      CachedTree *newest_cached = cached_find (cached, line, NULL);
      if (versions == NULL)
        {
          if (newest_cached && !c->opts->refresh)
            use_cached (t, newest_cached);
          else if (newest_cached)
            {
              use_cached (t, newest_cached);
              bp_trees_add_note (t->notes, "the index could not be refreshed; using the cached %s", newest_cached->deb_version);
            }
          else if (c->opts->offline)
            t->missing = g_strdup_printf ("offline and no Debian %s tree for %s in %s; run once without "
                                          "--offline, or use --repo DIR or --tree %s=DIR",
                                          package, line, c->cache, line);
          else
            t->missing = g_strdup_printf ("no Debian source index (%s); use --repo DIR or --tree %s=DIR",
                                          index_error ? index_error : "apt-cache failed", line);
          t->cached = t->kind != BP_TREE_NONE;
          continue;
        }

      g_autoptr(GPtrArray) listed = g_ptr_array_new ();   /* this line's, newest first */
      for (guint v = 0; v < versions->len; v++)
        {
          g_autofree char *up = bp_debian_upstream_version (versions->pdata[v]);
          if (g_strcmp0 (bp_trees_line_of_version (c->pack, up), line) == 0)
            g_ptr_array_add (listed, versions->pdata[v]);
        }
      g_autoptr(GPtrArray) unserved = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *unserved_why = NULL;   /* the first reason: "404", ... */
      g_autofree char *offline_first = NULL;
      for (guint v = 0; v < listed->len && t->kind == BP_TREE_NONE; v++)
        {
          const char *debver = listed->pdata[v];
          CachedTree *ct = cached_find (cached, line, debver);
          if (ct)
            {
              use_cached (t, ct);
              t->cached = TRUE;
              break;
            }
          g_autofree char *seen = g_key_file_get_string (not_served, "not-served", debver, NULL);
          if (seen && !c->opts->refresh)
            {
              bp_trees_add_note (t->notes, "Debian %s is listed but the pool does not serve it (%s)", debver, seen);
              if (unserved_why == NULL)
                unserved_why = g_strndup (seen, strcspn (seen, ","));
              g_ptr_array_add (unserved, bp_debian_upstream_version (debver));
              continue;
            }
          if (c->opts->offline)
            {
              bp_trees_add_note (t->notes, "Debian %s is listed but not in the cache (offline)", debver);
              if (offline_first == NULL)
                offline_first = g_strdup (debver);
              continue;
            }
          FetchResult res = FETCH_FAILED;
          g_autofree char *why = NULL;
          if (!debian_fetch (c, line, debver, &res, &why, error))
            return FALSE;
          if (res == FETCH_OK)
            {
              g_autofree char *name = deb_dir_name (debver);
              t->kind = BP_TREE_DEBIAN;
              t->path = g_build_filename (c->debian_dir, name, NULL);
              t->version = bp_trees_read_version (t->path);
              t->deb_version = g_strdup (debver);
              t->origin = g_strdup_printf ("Debian %s", debver);
              break;
            }
          if (res == FETCH_NOT_SERVED)
            {
              g_autofree char *now = bp_trees_now_iso8601 ();
              g_autofree char *val = g_strdup_printf ("%s, %s", why, now);
              g_key_file_set_string (not_served, "not-served", debver, val);
              not_served_changed = TRUE;
              if (unserved_why == NULL)
                unserved_why = g_strdup (why);
              g_ptr_array_add (unserved, bp_debian_upstream_version (debver));
              bp_trees_add_note (t->notes, "Debian %s is listed but the pool does not serve it (%s); trying the next", debver, why);
              bp_trees_report (&c->reporter, line, "Debian %s is listed but not served (%s)", debver, why);
            }
          else
            {
              bp_trees_add_note (t->notes, "Debian %s: %s", debver, why);
              bp_trees_report (&c->reporter, line, "Debian %s: %s", debver, why);
            }
        }
      if (t->kind != BP_TREE_NONE)
        continue;
      if (newest_cached)
        {
          use_cached (t, newest_cached);
          t->cached = TRUE;
          bp_trees_add_note (t->notes, "using the cached %s", newest_cached->deb_version);
          continue;
        }
      if (offline_first)
        t->missing = g_strdup_printf ("offline: Debian %s is not in the cache %s; run without --offline to "
                                      "fetch it, or use --repo DIR or --tree %s=DIR",
                                      offline_first, c->cache, line);
      else if (listed->len == 0)
        {
          g_autoptr(GString) all = g_string_new (NULL);
          for (guint v = 0; v < versions->len; v++)
            {
              g_autofree char *up = bp_debian_upstream_version (versions->pdata[v]);
              if (strstr (all->str, up) == NULL)
                g_string_append_printf (all, "%s%s", all->len ? ", " : "", up);
            }
          t->missing = g_strdup_printf ("Debian's index lists no %s %s.x (it lists %s); use --repo DIR or --tree %s=DIR",
                                        package, line, all->len ? all->str : "none", line);
        }
      else if (unserved->len == listed->len)
        {
          g_autoptr(GString) all = g_string_new (NULL);
          for (guint v = unserved->len; v > 0; v--)
            if (strstr (all->str, unserved->pdata[v - 1]) == NULL)
              g_string_append_printf (all, "%s%s", all->len ? ", " : "", (char *) unserved->pdata[v - 1]);
          t->missing = g_strdup_printf ("no Debian source serves %s (%s listed but not served: %s); use --repo DIR or --tree %s=DIR",
                                        line, all->str, unserved_why, line);
        }
      else
        t->missing = g_strdup_printf ("no Debian %s source for %s could be fetched (see the notes); "
                                      "use --repo DIR or --tree %s=DIR", package, line, line);
    }
  if (not_served_changed)
    {
      g_key_file_set_comment (not_served, NULL, NULL,
                              " Debian versions the index lists but the pool answered 404 for;"
                              " retried with refresh.", NULL);
      if (!bp_trees_write_keyfile (not_served, ns_path, error))
        return FALSE;
    }
  return TRUE;
}
