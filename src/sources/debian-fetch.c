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

/* What one call knows while it goes through the wanted lines. */
typedef struct {
  BpTreesCtx *c;
  const char *package;
  GPtrArray *cached;            /* CachedTree*: complete trees in the cache */
  GPtrArray *versions;          /* what the index lists, newest first; NULL without one */
  char *index_error;            /* why there is no index, or NULL */
  gboolean no_index;            /* the index must not be used (offline, apt.conf unwritable) */
  GKeyFile *not_served;         /* versions the pool answered 404 for */
  char *ns_path;
  gboolean not_served_changed;
} DebianRun;

static void
debian_run_clear (DebianRun *run)
{
  g_clear_pointer (&run->cached, g_ptr_array_unref);
  g_clear_pointer (&run->versions, g_ptr_array_unref);
  g_free (run->index_error);
  g_clear_pointer (&run->not_served, g_key_file_unref);
  g_free (run->ns_path);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DebianRun, debian_run_clear)

/* The index: downloaded when a line needs it and the cache has none (or
 * with refresh), then its versions read.  A missing index is no error
 * (run->versions stays NULL, run->index_error says why); FALSE only on
 * cancellation. */
static gboolean
debian_index (DebianRun *run, GPtrArray *wanted, GError **error)
{
  BpTreesCtx *c = run->c;
  /* The index is needed unless every line is in the cache already. */
  gboolean need_index = c->opts->refresh;
  for (guint i = 0; i < wanted->len; i++)
    need_index |= cached_find (run->cached, ((BpTree *) wanted->pdata[i])->line, NULL) == NULL;
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
          g_free (run->index_error);
          run->index_error = g_strdup (local->message);
          bp_trees_add_note (c->set->notes, "%s", local->message);
        }
    }
  if (!run->no_index && bp_trees_apt_have_index (c))
    {
      g_autoptr(GError) local = NULL;
      run->versions = bp_trees_apt_versions (c, &local);
      if (run->versions == NULL)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_free (run->index_error);
          run->index_error = g_strdup (local->message);
        }
    }

  if (run->versions && !c->set->index_updated)
    {
      GStatBuf st;
      g_autofree char *stamp = g_build_filename (c->apt_dir, "index.stamp", NULL);
      gint64 age = g_stat (stamp, &st) == 0 ? g_get_real_time () / G_USEC_PER_SEC - st.st_mtime : 0;
      if (age >= 7 * 86400)
        bp_trees_add_note (c->set->notes, "the deb-src index in %s is %d days old; refresh it to see newer Debian versions",
                           c->apt_dir, (int) (age / 86400));
    }
  return TRUE;
}

/* Without an index: the newest cached tree of the line, or what is missing. */
static void
line_without_index (DebianRun *run, BpTree *t)
{
  BpTreesCtx *c = run->c;
  const char *line = t->line;
  CachedTree *newest_cached = cached_find (run->cached, line, NULL);
  if (newest_cached && !c->opts->refresh)
    use_cached (t, newest_cached);
  else if (newest_cached)
    {
      use_cached (t, newest_cached);
      bp_trees_add_note (t->notes, "the index could not be refreshed; using the cached %s", newest_cached->deb_version);
    }
  else if (c->opts->offline)
    {
      t->missing = g_strdup_printf ("offline and no Debian %s tree for %s in %s", run->package, line, c->cache);
      t->remedy = BP_TREE_REMEDY_ONLINE | BP_TREE_REMEDY_REPO | BP_TREE_REMEDY_TREE;
    }
  else
    {
      t->missing = g_strdup_printf ("no Debian source index (%s)",
                                    run->index_error ? run->index_error : "apt-cache failed");
      t->remedy = BP_TREE_REMEDY_REPO | BP_TREE_REMEDY_TREE;
    }
  t->cached = t->kind != BP_TREE_NONE;
}

/* One line's way through the versions the index lists for it. */
typedef struct {
  GPtrArray *listed;        /* char*, borrowed from run->versions: this line's, newest first */
  GPtrArray *unserved;      /* char*: upstream versions the pool does not serve */
  char *unserved_why;       /* the first reason: "404", ... */
  char *offline_first;      /* offline: the newest listed version not in the cache */
} LineTry;

static void
line_try_clear (LineTry *lt)
{
  g_clear_pointer (&lt->listed, g_ptr_array_unref);
  g_clear_pointer (&lt->unserved, g_ptr_array_unref);
  g_free (lt->unserved_why);
  g_free (lt->offline_first);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LineTry, line_try_clear)

/* Take the newest listed version that is cached or can be fetched.  FALSE
 * only on cancellation or cache errors. */
static gboolean
line_try_versions (DebianRun *run, BpTree *t, LineTry *lt, GError **error)
{
  BpTreesCtx *c = run->c;
  const char *line = t->line;
  for (guint v = 0; v < lt->listed->len && t->kind == BP_TREE_NONE; v++)
    {
      const char *debver = lt->listed->pdata[v];
      CachedTree *ct = cached_find (run->cached, line, debver);
      if (ct)
        {
          use_cached (t, ct);
          t->cached = TRUE;
          break;
        }
      g_autofree char *seen = g_key_file_get_string (run->not_served, "not-served", debver, NULL);
      if (seen && !c->opts->refresh)
        {
          bp_trees_add_note (t->notes, "Debian %s is listed but the pool does not serve it (%s)", debver, seen);
          if (lt->unserved_why == NULL)
            lt->unserved_why = g_strndup (seen, strcspn (seen, ","));
          g_ptr_array_add (lt->unserved, bp_debian_upstream_version (debver));
          continue;
        }
      if (c->opts->offline)
        {
          bp_trees_add_note (t->notes, "Debian %s is listed but not in the cache (offline)", debver);
          if (lt->offline_first == NULL)
            lt->offline_first = g_strdup (debver);
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
          g_key_file_set_string (run->not_served, "not-served", debver, val);
          run->not_served_changed = TRUE;
          if (lt->unserved_why == NULL)
            lt->unserved_why = g_strdup (why);
          g_ptr_array_add (lt->unserved, bp_debian_upstream_version (debver));
          bp_trees_add_note (t->notes, "Debian %s is listed but the pool does not serve it (%s); trying the next", debver, why);
          bp_trees_report (&c->reporter, line, "Debian %s is listed but not served (%s)", debver, why);
        }
      else
        {
          bp_trees_add_note (t->notes, "Debian %s: %s", debver, why);
          bp_trees_report (&c->reporter, line, "Debian %s: %s", debver, why);
        }
    }
  return TRUE;
}

/* No listed version could be had: the newest cached tree, or why not. */
static void
line_fallback (DebianRun *run, BpTree *t, LineTry *lt)
{
  BpTreesCtx *c = run->c;
  const char *line = t->line;
  CachedTree *newest_cached = cached_find (run->cached, line, NULL);
  if (newest_cached)
    {
      use_cached (t, newest_cached);
      t->cached = TRUE;
      bp_trees_add_note (t->notes, "using the cached %s", newest_cached->deb_version);
      return;
    }
  t->remedy = BP_TREE_REMEDY_REPO | BP_TREE_REMEDY_TREE;
  if (lt->offline_first)
    {
      t->missing = g_strdup_printf ("offline: Debian %s is not in the cache %s", lt->offline_first, c->cache);
      t->remedy |= BP_TREE_REMEDY_ONLINE;
    }
  else if (lt->listed->len == 0)
    {
      g_autoptr(GString) all = g_string_new (NULL);
      for (guint v = 0; v < run->versions->len; v++)
        {
          g_autofree char *up = bp_debian_upstream_version (run->versions->pdata[v]);
          if (strstr (all->str, up) == NULL)
            g_string_append_printf (all, "%s%s", all->len ? ", " : "", up);
        }
      t->missing = g_strdup_printf ("Debian's index lists no %s %s.x (it lists %s)",
                                    run->package, line, all->len ? all->str : "none");
    }
  else if (lt->unserved->len == lt->listed->len)
    {
      g_autoptr(GString) all = g_string_new (NULL);
      for (guint v = lt->unserved->len; v > 0; v--)
        if (strstr (all->str, lt->unserved->pdata[v - 1]) == NULL)
          g_string_append_printf (all, "%s%s", all->len ? ", " : "", (char *) lt->unserved->pdata[v - 1]);
      t->missing = g_strdup_printf ("no Debian source serves %s (%s listed but not served: %s)",
                                    line, all->str, lt->unserved_why);
    }
  else
    t->missing = g_strdup_printf ("no Debian %s source for %s could be fetched (see the notes)",
                                  run->package, line);
}

/* One wanted line.  FALSE only on cancellation or cache errors. */
static gboolean
debian_line (DebianRun *run, BpTree *t, GError **error)
{
  if (run->versions == NULL)
    {
      line_without_index (run, t);
      return TRUE;
    }
  g_auto(LineTry) lt = { 0 };
  lt.listed = g_ptr_array_new ();
  lt.unserved = g_ptr_array_new_with_free_func (g_free);
  for (guint v = 0; v < run->versions->len; v++)
    {
      g_autofree char *up = bp_debian_upstream_version (run->versions->pdata[v]);
      if (g_strcmp0 (bp_trees_line_of_version (run->c->pack, up), t->line) == 0)
        g_ptr_array_add (lt.listed, run->versions->pdata[v]);
    }
  if (!line_try_versions (run, t, &lt, error))
    return FALSE;
  if (t->kind == BP_TREE_NONE)
    line_fallback (run, t, &lt);
  return TRUE;
}

gboolean
bp_trees_debian_lines (BpTreesCtx *c, GPtrArray *wanted, GError **error)
{
  g_auto(DebianRun) run = { 0 };
  run.c = c;
  if (!c->opts->offline)
    {
      if (!bp_trees_mkdirs (c->debian_dir, error) || !bp_trees_mkdirs (c->logs, error)
          || !bp_trees_apt_write_config (c, error))
        return FALSE;
      bp_trees_sweep_stale (c->debian_dir, ".work-");
    }
  else if (g_file_test (c->apt_dir, G_FILE_TEST_IS_DIR))
    {
      /* Offline nothing is fetched: the cache is only read (it may be
       * read-only), apt.conf written only when its text must change. */
      g_autoptr(GError) local = NULL;
      if (!bp_trees_apt_write_config (c, &local))
        {
          run.no_index = TRUE;
          run.index_error = g_strdup_printf ("the cached deb-src index cannot be used: %s", local->message);
          bp_trees_add_note (c->set->notes, "%s", run.index_error);
        }
    }
  run.package = c->opts->package ? c->opts->package : "qemu";
  run.cached = debian_cached (c);
  if (!debian_index (&run, wanted, error))
    return FALSE;
  run.not_served = not_served_load (c, &run.ns_path);

  for (guint i = 0; i < wanted->len; i++)
    if (!debian_line (&run, wanted->pdata[i], error))
      return FALSE;
  if (run.not_served_changed)
    {
      g_key_file_set_comment (run.not_served, NULL, NULL,
                              " Debian versions the index lists but the pool answered 404 for;"
                              " retried with refresh.", NULL);
      if (!bp_trees_write_keyfile (run.not_served, run.ns_path, error))
        return FALSE;
    }
  return TRUE;
}
