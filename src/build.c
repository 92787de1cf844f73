/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compile a line's series with the tree's own build: see build.h.
 *
 * Why the scratch copy is synced the way it is: ninja decides by mtime.  A
 * hard link keeps the original's (old) mtime, so a file that was patched in
 * an earlier run and is linked back to the original would look older than
 * the headers generated from its patched text (trace-events, qapi), and
 * ninja would keep them.  So a scratch file whose content differs from the
 * tree's is replaced by a private copy stamped "now", never by a link; a
 * private copy whose content equals the tree's is left alone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "apply.h"
#include "build.h"

G_DEFINE_QUARK (bp-build-error-quark, bp_build_error)

#define DEFAULT_TIMEOUT 1800
#define MAX_LOG_TAIL 8

const char *
bp_compile_status_to_string (BpCompileStatus status)
{
  switch (status)
    {
    case BP_COMPILE_OK: return "ok";
    case BP_COMPILE_FAILED: return "error";
    case BP_COMPILE_ABSENT: return "absent";
    case BP_COMPILE_NOT_BUILT: return "not-built";
    }
  return "?";
}

const char *
bp_check_verdict_to_string (BpCheckVerdict verdict)
{
  switch (verdict)
    {
    case BP_CHECK_COMPILES: return "compiles";
    case BP_CHECK_SERIES_BREAKS: return "series-breaks-build";
    case BP_CHECK_ALREADY_BROKEN: return "already-broken";
    case BP_CHECK_DOES_NOT_APPLY: return "does-not-apply";
    }
  return "?";
}

static void
compile_result_free (BpCompileResult *r)
{
  if (r == NULL)
    return;
  g_free (r->file);
  g_free (r->object);
  g_free (r->before.output);
  g_free (r->after.output);
  g_clear_pointer (&r->new_warnings, g_ptr_array_unref);
  g_free (r);
}

void
bp_check_result_free (BpCheckResult *result)
{
  if (result == NULL)
    return;
  g_free (result->line);
  g_free (result->tree);
  g_free (result->version);
  g_free (result->build_system);
  g_free (result->work_dir);
  g_free (result->build_dir);
  g_free (result->scratch_dir);
  g_free (result->configure_args);
  g_clear_pointer (&result->touched, g_ptr_array_unref);
  g_clear_pointer (&result->results, g_ptr_array_unref);
  g_free (result->apply_message);
  g_clear_pointer (&result->apply_reports, g_ptr_array_unref);
  g_free (result);
}

/* ------------------------------------------------------------------ */
/* Running a step: own process group, deadline, cancellation.          */

typedef struct {
  GMainContext *context;
  pid_t pgid;
  gboolean done;
  gboolean terminating;
  gboolean timed_out;
  gboolean cancelled;
  GBytes *stdout_bytes;
  GError *error;
  GSource *kill_source;
} RunState;

static void
child_setup (gpointer data)
{
  setpgid (0, 0);
}

static gboolean
on_kill_timeout (gpointer data)
{
  RunState *st = data;
  if (st->pgid > 0)
    kill (-st->pgid, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
terminate_group (RunState *st)
{
  if (st->terminating)
    return;
  st->terminating = TRUE;
  if (st->pgid > 0)
    kill (-st->pgid, SIGTERM);
  st->kill_source = g_timeout_source_new_seconds (2);
  g_source_set_callback (st->kill_source, on_kill_timeout, st, NULL);
  g_source_attach (st->kill_source, st->context);
}

static gboolean
on_deadline (gpointer data)
{
  RunState *st = data;
  st->timed_out = TRUE;
  terminate_group (st);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  RunState *st = data;
  st->cancelled = TRUE;
  terminate_group (st);
  return G_SOURCE_REMOVE;
}

static void
on_communicated (GObject *source, GAsyncResult *res, gpointer data)
{
  RunState *st = data;
  g_subprocess_communicate_finish (G_SUBPROCESS (source), res, &st->stdout_bytes, NULL, &st->error);
  st->done = TRUE;
}

static void
destroy_source (GSource *source)
{
  if (source == NULL)
    return;
  g_source_destroy (source);
  g_source_unref (source);
}

gboolean
bp_build_run (const char * const *argv, const char *cwd, guint timeout, char **output,
              int *exit_status, GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  if (cwd)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  /* Messages we parse and show must not depend on the user's locale. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  g_autoptr(GMainContext) context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }

  RunState st = { .context = context };
  const char *ident = g_subprocess_get_identifier (proc);
  st.pgid = ident ? (pid_t) g_ascii_strtoll (ident, NULL, 10) : 0;

  g_subprocess_communicate_async (proc, NULL, NULL, on_communicated, &st);

  GSource *deadline = NULL;
  if (timeout > 0)
    {
      deadline = g_timeout_source_new_seconds (timeout);
      g_source_set_callback (deadline, on_deadline, &st, NULL);
      g_source_attach (deadline, context);
    }
  GSource *cancel_source = NULL;
  if (cancellable)
    {
      cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (cancel_source, G_SOURCE_FUNC (on_cancelled), &st, NULL);
      g_source_attach (cancel_source, context);
    }

  while (!st.done)
    g_main_context_iteration (context, TRUE);

  /* Stragglers of a killed group (the leader may die first). */
  if (st.terminating && st.pgid > 0)
    kill (-st.pgid, SIGKILL);
  destroy_source (deadline);
  destroy_source (cancel_source);
  destroy_source (st.kill_source);
  g_main_context_pop_thread_default (context);

  g_autoptr(GBytes) bytes = st.stdout_bytes;
  g_autoptr(GError) comm_error = st.error;
  if (st.cancelled)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
  if (st.timed_out)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT,
                   "`%s` ran past its deadline of %u s and was killed with its process group",
                   argv[0], timeout);
      return FALSE;
    }
  if (comm_error)
    {
      g_propagate_error (error, g_steal_pointer (&comm_error));
      return FALSE;
    }

  if (output)
    {
      gsize len = 0;
      const char *data = bytes ? g_bytes_get_data (bytes, &len) : "";
      *output = g_utf8_make_valid (data ? data : "", len);
    }
  if (exit_status)
    {
      if (g_subprocess_get_if_exited (proc))
        *exit_status = g_subprocess_get_exit_status (proc);
      else if (g_subprocess_get_if_signaled (proc))
        *exit_status = 128 + g_subprocess_get_term_sig (proc);
      else
        *exit_status = 255;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The scratch copy.                                                   */

typedef struct {
  gboolean can_link;   /* FALSE after link() said EXDEV or EPERM: copy instead */
  guint placed;        /* files linked or copied in */
  guint refreshed;     /* files replaced by a fresh private copy */
  guint removed;       /* entries removed from the scratch */
} SyncStats;

static gboolean
rm_fail (GError **error, const char *name)
{
  g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "cannot remove %s: %s", name, g_strerror (errno));
  return FALSE;
}

/* Remove NAME under the directory AT, never following a symlink. */
static gboolean
rm_rf_at (int at, const char *name, GError **error)
{
  struct stat st;
  if (fstatat (at, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? TRUE : rm_fail (error, name);
  if (!S_ISDIR (st.st_mode))
    return unlinkat (at, name, 0) == 0 || errno == ENOENT ? TRUE : rm_fail (error, name);

  int fd = openat (at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return rm_fail (error, name);
  DIR *dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return rm_fail (error, name);
    }
  gboolean ok = TRUE;
  struct dirent *de;
  while (ok && (de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      ok = rm_rf_at (dirfd (dir), de->d_name, error);
  closedir (dir);
  if (!ok)
    return FALSE;
  return unlinkat (at, name, AT_REMOVEDIR) == 0 ? TRUE : rm_fail (error, name);
}

static gboolean
rm_rf (const char *path, GError **error)
{
  return rm_rf_at (AT_FDCWD, path, error);
}

/* Copy SRC to DST through a temporary file renamed over DST.  With
 * PRESERVE_MTIME the copy keeps SRC's times (it stands for the same text);
 * without, it is stamped now (it replaces different text). */
static gboolean
copy_file (const char *src, const char *dst, gboolean preserve_mtime, GError **error)
{
  struct stat st;
  if (lstat (src, &st) != 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", src, g_strerror (errno));
      return FALSE;
    }
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (src, &data, &len, &local))
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s", local->message);
      return FALSE;
    }
  g_autofree char *tmp = g_strdup_printf ("%s.bp-tmp-XXXXXX", dst);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (errno));
      return FALSE;
    }
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          close (fd);
          g_unlink (tmp);
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (e));
          return FALSE;
        }
      done += (gsize) n;
    }
  fchmod (fd, st.st_mode & 07777);
  if (preserve_mtime)
    {
      struct timespec times[2] = { st.st_atim, st.st_mtim };
      futimens (fd, times);
    }
  if (close (fd) != 0 || g_rename (tmp, dst) != 0)
    {
      int e = errno;
      g_unlink (tmp);
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static gboolean
same_content (const char *a, const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;
  if (!g_file_get_contents (a, &da, &la, NULL) || !g_file_get_contents (b, &db, &lb, NULL))
    return FALSE;
  return la == lb && memcmp (da, db, la) == 0;
}

/* Put a file of the tree into the scratch for the first time: a hard link,
 * or a copy keeping its times where links cannot be made. */
static gboolean
place_file (const char *src, const char *dst, SyncStats *stats, GError **error)
{
  if (stats->can_link)
    {
      if (link (src, dst) == 0)
        {
          stats->placed++;
          return TRUE;
        }
      if (errno != EXDEV && errno != EPERM && errno != EMLINK)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (errno));
          return FALSE;
        }
      stats->can_link = FALSE;
    }
  stats->placed++;
  return copy_file (src, dst, TRUE, error);
}

static gboolean
sync_file (const char *src, const struct stat *sst, const char *dst, SyncStats *stats, GError **error)
{
  struct stat dstat;
  if (lstat (dst, &dstat) != 0)
    return place_file (src, dst, stats, error);
  if (!S_ISREG (dstat.st_mode))
    {
      if (!rm_rf (dst, error))
        return FALSE;
      return place_file (src, dst, stats, error);
    }
  if (dstat.st_ino == sst->st_ino && dstat.st_dev == sst->st_dev)
    return TRUE;
  if (dstat.st_size == sst->st_size
      && dstat.st_mtim.tv_sec == sst->st_mtim.tv_sec && dstat.st_mtim.tv_nsec == sst->st_mtim.tv_nsec)
    return TRUE;
  if (dstat.st_size == sst->st_size && same_content (src, dst))
    return TRUE;
  /* Different text: a fresh private copy, stamped now (see the top). */
  stats->refreshed++;
  return copy_file (src, dst, FALSE, error);
}

static gboolean
is_build_dir (const char *path)
{
  g_autofree char *ninja = g_build_filename (path, "build.ninja", NULL);
  g_autofree char *private = g_build_filename (path, "meson-private", NULL);
  return g_file_test (ninja, G_FILE_TEST_EXISTS) || g_file_test (private, G_FILE_TEST_IS_DIR);
}

static gboolean
sync_dir (const char *src, const char *dst, gboolean top, SyncStats *stats,
          GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  struct stat dst_st;
  if (lstat (dst, &dst_st) == 0 && !S_ISDIR (dst_st.st_mode) && !rm_rf (dst, error))
    return FALSE;
  if (g_mkdir_with_parents (dst, 0755) != 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", dst, g_strerror (errno));
      return FALSE;
    }

  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  DIR *dir = opendir (src);
  if (dir == NULL)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NOT_A_TREE, "%s: %s", src, g_strerror (errno));
      return FALSE;
    }
  gboolean ok = TRUE;
  struct dirent *de;
  while (ok && (de = readdir (dir)) != NULL)
    {
      const char *name = de->d_name;
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      /* The scratch is a plain tree: the repository stays out. */
      if (top && strcmp (name, ".git") == 0)
        continue;
      g_autofree char *s = g_build_filename (src, name, NULL);
      /* ... and so do build directories the user made inside the tree. */
      if (top && is_build_dir (s))
        continue;
      g_hash_table_add (seen, g_strdup (name));
      g_autofree char *d = g_build_filename (dst, name, NULL);
      struct stat sst;
      if (lstat (s, &sst) != 0)
        continue;  /* vanished meanwhile */
      if (S_ISDIR (sst.st_mode))
        ok = sync_dir (s, d, FALSE, stats, cancellable, error);
      else if (S_ISREG (sst.st_mode))
        ok = sync_file (s, &sst, d, stats, error);
      else if (S_ISLNK (sst.st_mode))
        {
          g_autofree char *target = g_file_read_link (s, NULL);
          g_autofree char *have = g_file_read_link (d, NULL);
          if (target && g_strcmp0 (target, have) != 0)
            {
              ok = rm_rf (d, error);
              if (ok && symlink (target, d) != 0)
                {
                  g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", d, g_strerror (errno));
                  ok = FALSE;
                }
            }
        }
    }
  closedir (dir);
  if (!ok)
    return FALSE;

  /* What the tree no longer has (or a series created) goes. */
  DIR *ddir = opendir (dst);
  if (ddir == NULL)
    return TRUE;
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func (g_free);
  while ((de = readdir (ddir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0
        && !g_hash_table_contains (seen, de->d_name))
      g_ptr_array_add (extra, g_strdup (de->d_name));
  closedir (ddir);
  for (guint i = 0; i < extra->len; i++)
    {
      g_autofree char *d = g_build_filename (dst, extra->pdata[i], NULL);
      if (!rm_rf (d, error))
        return FALSE;
      stats->removed++;
    }
  return TRUE;
}

/* Make sure the scratch copy of REL is a private file, not a link to the
 * user's tree, before anything writes it. */
static gboolean
unshare_file (const char *tree, const char *scratch, const char *rel, GError **error)
{
  g_autofree char *s = g_build_filename (tree, rel, NULL);
  g_autofree char *d = g_build_filename (scratch, rel, NULL);
  struct stat sst, dst;
  if (lstat (d, &dst) != 0 || !S_ISREG (dst.st_mode) || dst.st_nlink < 2)
    return TRUE;
  if (lstat (s, &sst) != 0 || sst.st_ino != dst.st_ino || sst.st_dev != dst.st_dev)
    return TRUE;
  return copy_file (s, d, TRUE, error);
}

/* ------------------------------------------------------------------ */
/* Build systems, their pre-requisites and configure.                  */

typedef enum {
  BUILD_QEMU,    /* ./configure wrapping meson */
  BUILD_MESON,   /* plain meson */
} BuildSystem;

typedef struct {
  BpFixLine *line;
  char *tree;          /* absolute */
  char *work;          /* canonical */
  char *src;
  char *build;
  char *objects;
  BuildSystem system;
  guint jobs;
  guint timeout;
  gboolean keep;
  BpBuildProgress progress;
  gpointer progress_data;
  BpCheckResult *res;
} Check;

static void check_progress (Check *ck, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
check_progress (Check *ck, const char *format, ...)
{
  if (ck->progress == NULL)
    return;
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  ck->progress (ck->line->name, msg, ck->progress_data);
}

static double
seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

/* Compare dotted versions numerically: <0, 0, >0. */
static int
version_compare (const char *a, const char *b)
{
  for (;;)
    {
      char *ea, *eb;
      guint64 na = g_ascii_strtoull (a, &ea, 10);
      guint64 nb = g_ascii_strtoull (b, &eb, 10);
      if (na != nb)
        return na < nb ? -1 : 1;
      gboolean more_a = *ea == '.', more_b = *eb == '.';
      if (!more_a && !more_b)
        return 0;
      a = more_a ? ea + 1 : ea;
      b = more_b ? eb + 1 : eb;
    }
}

static char *
read_trimmed (const char *path)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strdup (g_strstrip (text));
}

static const char *
tool_path (const char *name)
{
  /* Debian's python3 sees Debian's meson; a pyenv or venv one may not. */
  if (strcmp (name, "python3") == 0 && g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return "/usr/bin/python3";
  return NULL;
}

static char *
find_tool (const char *name)
{
  const char *fixed = tool_path (name);
  if (fixed)
    return g_strdup (fixed);
  return g_find_program_in_path (name);
}

/* The meson version QEMU's pythondeps.toml accepts (">=1.5.0" -> "1.5.0"),
 * or NULL when the tree has none or bundles a meson wheel. */
static char *
qemu_required_meson (const char *src)
{
  g_autofree char *wheels = g_build_filename (src, "python", "wheels", NULL);
  g_autoptr(GDir) dir = g_dir_open (wheels, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "meson-") && g_str_has_suffix (name, ".whl"))
      return NULL;
  g_autofree char *toml_path = g_build_filename (src, "pythondeps.toml", NULL);
  g_autofree char *toml = NULL;
  if (!g_file_get_contents (toml_path, &toml, NULL, NULL))
    return NULL;
  g_auto(GStrv) lines = g_strsplit (toml, "\n", -1);
  gboolean in_meson = FALSE;
  for (char **l = lines; *l; l++)
    {
      const char *t = *l;
      while (*t == ' ' || *t == '\t')
        t++;
      if (*t == '[')
        {
          in_meson = g_str_has_prefix (t, "[meson]");
          continue;
        }
      if (!in_meson || !g_str_has_prefix (t, "meson"))
        continue;
      const char *acc = strstr (t, "accepted");
      const char *ge = acc ? strstr (acc, ">=") : NULL;
      if (ge == NULL)
        continue;
      ge += 2;
      const char *end = ge;
      while (g_ascii_isdigit (*end) || *end == '.')
        end++;
      if (end > ge)
        return g_strndup (ge, end - ge);
    }
  return NULL;
}

static gboolean
tool_version (const char *tool, char **version, GCancellable *cancellable, GError **error)
{
  const char *argv[] = { tool, "--version", NULL };
  g_autofree char *out = NULL;
  int status = 0;
  if (!bp_build_run (argv, NULL, 60, &out, &status, cancellable, error))
    return FALSE;
  *version = g_strdup (g_strstrip (out));
  return TRUE;
}

static const char *
missing_meson_hint (void)
{
  if (g_file_test ("/etc/debian_version", G_FILE_TEST_EXISTS))
    {
      g_autofree char *os = NULL;
      if (g_file_get_contents ("/etc/os-release", &os, NULL, NULL) && strstr (os, "VERSION_CODENAME=bookworm"))
        return "on Debian 12, add a `deb` entry for bookworm-backports and run "
               "`apt-get install -t bookworm-backports meson` (tools/install-deps.sh does both)";
    }
  return "install a newer meson from your distribution (Debian: `apt-get install meson`)";
}

/* Subprojects QEMU needs offline and a git export lacks. */
static const char *const qemu_subprojects[] = {
  "keycodemapdb", "berkeley-softfloat-3", "berkeley-testfloat-3", NULL,
};

static gboolean
check_prerequisites (Check *ck, GCancellable *cancellable, GError **error)
{
  g_autofree char *ninja = g_find_program_in_path ("ninja");
  if (ninja == NULL)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_DEPS,
                   "ninja is not installed: apt-get install ninja-build");
      return FALSE;
    }
  g_autofree char *meson = g_find_program_in_path ("meson");

  if (ck->system == BUILD_MESON)
    {
      if (meson == NULL)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_DEPS,
                       "%s builds with meson, which is not installed: apt-get install meson", ck->tree);
          return FALSE;
        }
      return TRUE;
    }

  g_autofree char *python = find_tool ("python3");
  if (python == NULL)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_DEPS,
                   "QEMU's configure needs python3: apt-get install python3 python3-venv");
      return FALSE;
    }

  /* A git export has no subprojects; configure would stop with "missing
   * subprojects", or meson deep inside ui/ or tests/fp/. */
  g_autoptr(GPtrArray) missing = g_ptr_array_new ();
  for (const char *const *p = qemu_subprojects; *p; p++)
    {
      g_autofree char *wrap = g_strdup_printf ("%s/subprojects/%s.wrap", ck->tree, *p);
      g_autofree char *dir = g_strdup_printf ("%s/subprojects/%s", ck->tree, *p);
      if (g_file_test (wrap, G_FILE_TEST_EXISTS) && !g_file_test (dir, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (missing, (gpointer) *p);
    }
  if (missing->len > 0)
    {
      g_ptr_array_add (missing, NULL);
      g_autofree char *names = g_strjoinv (" ", (char **) missing->pdata);
      g_autofree char *commas = g_strjoinv (", ", (char **) missing->pdata);
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_SUBPROJECTS,
                   "%s lacks the subprojects %s (a `git archive` export carries none; release tarballs "
                   "and Debian's source do): run `meson subprojects download %s` in it (needs network), "
                   "or copy subprojects/<name>/ from a release tarball or Debian source of QEMU",
                   ck->tree, commas, names);
      return FALSE;
    }

  return TRUE;
}

/* QEMU's venv takes the system's meson (Debian's +ds source drops the
 * bundled wheel): is it new enough?  Asked only before configuring. */
static gboolean
check_meson_version (Check *ck, GCancellable *cancellable, GError **error)
{
  if (ck->system != BUILD_QEMU)
    return TRUE;
  g_autofree char *meson = g_find_program_in_path ("meson");
  g_autofree char *need = qemu_required_meson (ck->tree);
  if (need)
    {
      if (meson == NULL)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_DEPS,
                       "%s needs meson >= %s and meson is not installed: %s", ck->tree, need,
                       missing_meson_hint ());
          return FALSE;
        }
      g_autofree char *have = NULL;
      if (!tool_version (meson, &have, cancellable, error))
        return FALSE;
      if (version_compare (have, need) < 0)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_DEPS,
                       "%s needs meson >= %s, this machine has %s: %s", ck->tree, need, have,
                       missing_meson_hint ());
          return FALSE;
        }
    }
  return TRUE;
}

/* Does the help or the script of QEMU's configure know OPTION? */
static gboolean
configure_knows (const char *help, const char *script, const char *option)
{
  if (strstr (help, option))
    return TRUE;
  g_autofree char *case_label = g_strdup_printf ("%s)", option);
  return strstr (script, case_label) != NULL;
}

/* A feature listed in the help's "Optional features" section ("  docs  ..."). */
static gboolean
configure_has_feature (const char *help, const char *feature)
{
  g_autofree char *pat = g_strdup_printf ("\n  %s ", feature);
  return strstr (help, pat) != NULL;
}

static GPtrArray *
qemu_configure_argv (Check *ck, GCancellable *cancellable, GError **error)
{
  g_autofree char *configure = g_build_filename (ck->src, "configure", NULL);
  g_autofree char *script = NULL;
  if (!g_file_get_contents (configure, &script, NULL, NULL))
    script = g_strdup ("");
  const char *help_argv[] = { configure, "--help", NULL };
  g_autofree char *help = NULL;
  int status = 0;
  if (!bp_build_run (help_argv, ck->work, 120, &help, &status, cancellable, error))
    return NULL;

  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (configure));
  g_autofree char *python = find_tool ("python3");
  if (python && configure_knows (help, script, "--python="))
    g_ptr_array_add (argv, g_strdup_printf ("--python=%s", python));
  if (strstr (help, "--target-list="))
    {
      const char *target = strstr (help, "x86_64-softmmu") ? "x86_64-softmmu" : NULL;
      if (target == NULL)
        {
          /* The first system emulator the tree offers. */
          const char *p = strstr (help, "-softmmu");
          if (p)
            {
              const char *b = p;
              while (b > help && !g_ascii_isspace (b[-1]))
                b--;
              g_ptr_array_add (argv, g_strdup_printf ("--target-list=%.*s", (int) (p - b) + 8, b));
            }
        }
      else
        g_ptr_array_add (argv, g_strdup_printf ("--target-list=%s", target));
    }
  if (configure_knows (help, script, "--without-default-features"))
    g_ptr_array_add (argv, g_strdup ("--without-default-features"));
  if (configure_has_feature (help, "docs") || configure_knows (help, script, "--disable-docs"))
    g_ptr_array_add (argv, g_strdup ("--disable-docs"));
  if (configure_knows (help, script, "--disable-download"))
    g_ptr_array_add (argv, g_strdup ("--disable-download"));
  if (configure_knows (help, script, "--disable-install-blobs"))
    g_ptr_array_add (argv, g_strdup ("--disable-install-blobs"));
  return argv;
}

static char *
argv_to_string (GPtrArray *argv)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < argv->len; i++)
    {
      g_autofree char *q = g_shell_quote (argv->pdata[i]);
      if (i)
        g_string_append_c (s, ' ');
      g_string_append (s, q);
    }
  return g_string_free (s, FALSE);
}

/* Debian packages for what meson or configure name as missing. */
static const struct {
  const char *name;
  const char *package;
} debian_packages[] = {
  { "glib-2.0", "libglib2.0-dev" }, { "gio-2.0", "libglib2.0-dev" },
  { "gio-unix-2.0", "libglib2.0-dev" }, { "gmodule-2.0", "libglib2.0-dev" },
  { "gmodule-no-export-2.0", "libglib2.0-dev" }, { "gthread-2.0", "libglib2.0-dev" },
  { "gobject-2.0", "libglib2.0-dev" }, { "pixman-1", "libpixman-1-dev" },
  { "zlib", "zlib1g-dev" }, { "z", "zlib1g-dev" }, { "fdt", "libfdt-dev" },
  { "libfdt", "libfdt-dev" }, { "slirp", "libslirp-dev" }, { "libseccomp", "libseccomp-dev" },
  { "gnutls", "libgnutls28-dev" }, { "libcap-ng", "libcap-ng-dev" }, { "cap-ng", "libcap-ng-dev" },
  { "liburing", "liburing-dev" }, { "numa", "libnuma-dev" }, { "ncursesw", "libncurses-dev" },
  { "libzstd", "libzstd-dev" }, { "libudev", "libudev-dev" }, { "libusb-1.0", "libusb-1.0-0-dev" },
  { "epoxy", "libepoxy-dev" }, { "sdl2", "libsdl2-dev" }, { "gtk+-3.0", "libgtk-3-dev" },
  { "libpng", "libpng-dev" }, { "libjpeg", "libjpeg-dev" }, { "bzip2", "libbz2-dev" },
  { "bz2", "libbz2-dev" }, { "libaio", "libaio-dev" }, { "aio", "libaio-dev" },
  { "ninja", "ninja-build" }, { "meson", "meson" }, { "python3", "python3" },
  { "python", "python3" }, { "flex", "flex" }, { "bison", "bison" }, { "pkg-config", "pkgconf" },
  { "cc", "gcc" }, { "gcc", "gcc" }, { "c++", "g++" }, { "bzip2-program", "bzip2" },
  { "diff", "diffutils" }, { "sed", "sed" }, { "perl", "perl" }, { "git", "git" },
};

static const char *
package_for (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (debian_packages); i++)
    if (strcmp (debian_packages[i].name, name) == 0)
      return debian_packages[i].package;
  return NULL;
}

static void
add_unique (GPtrArray *array, const char *text)
{
  for (guint i = 0; i < array->len; i++)
    if (strcmp (array->pdata[i], text) == 0)
      return;
  g_ptr_array_add (array, g_strdup (text));
}

/* A quoted name following PREFIX in LINE: `PREFIX "glib-2.0"` or `PREFIX 'x'`. */
static char *
quoted_after (const char *line, const char *prefix)
{
  const char *p = strstr (line, prefix);
  if (p == NULL)
    return NULL;
  p += strlen (prefix);
  while (*p == ' ')
    p++;
  char q = *p;
  if (q == '"' || q == '\'')
    {
      const char *e = strchr (p + 1, q);
      return e ? g_strndup (p + 1, e - p - 1) : NULL;
    }
  const char *e = p;
  while (*e && !g_ascii_isspace (*e))
    e++;
  return e > p ? g_strndup (p, e - p) : NULL;
}

/* Packages (and notes) that the configure output says are missing.
 * Exposed for the tests through the parse of a real log only. */
static GPtrArray *
missing_packages (const char *output, gboolean *meson_too_old)
{
  GPtrArray *packages = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
  *meson_too_old = FALSE;
  for (char **l = lines; *l; l++)
    {
      const char *line = *l;
      g_autofree char *name = NULL;
      if (strstr (line, "Python package 'meson'") && strstr (line, "isn't suitable"))
        {
          *meson_too_old = TRUE;
          add_unique (packages, "meson");
        }
      else if (strstr (line, "Python package 'meson' was not found"))
        add_unique (packages, "meson");
      else if (strstr (line, "missing libfdt") || strstr (line, "fdt disabled but required")
               || strstr (line, "libfdt is too old"))
        add_unique (packages, "libfdt-dev");
      else if (strstr (line, "Cannot find Ninja") || strstr (line, "Could not detect Ninja"))
        add_unique (packages, "ninja-build");
      else if (strstr (line, "ensurepip") || strstr (line, "No module named 'venv'")
               || strstr (line, "No module named venv"))
        add_unique (packages, "python3-venv");
      else if (strstr (line, "Pkg-config binary") && strstr (line, "not found"))
        add_unique (packages, "pkgconf");
      else if ((strstr (line, "compiler") && strstr (line, "either does not exist or does not work"))
               || strstr (line, "Unknown compiler(s)"))
        add_unique (packages, "gcc");
      else if (strstr (line, "ERROR") && (name = quoted_after (line, "Dependency")) != NULL
               && (strstr (line, "not found") || strstr (line, "failed")))
        {
          const char *pkg = package_for (name);
          g_autofree char *guess = g_strdup_printf ("the -dev package providing %s.pc", name);
          add_unique (packages, pkg ? pkg : guess);
        }
      else if (strstr (line, "ERROR") && strstr (line, "library") && strstr (line, "not found")
               && (name = quoted_after (line, "library")) != NULL)
        {
          const char *pkg = package_for (name);
          g_autofree char *guess = g_strdup_printf ("lib%s-dev", name);
          add_unique (packages, pkg ? pkg : guess);
        }
      else if (strstr (line, "ERROR") && (name = quoted_after (line, "Program")) != NULL
               && strstr (line, "not found"))
        {
          const char *pkg = package_for (name);
          add_unique (packages, pkg ? pkg : name);
        }
    }
  return packages;
}

static char *
log_tail_errors (const char *output)
{
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
  for (char **l = lines; *l; l++)
    if (strstr (*l, "ERROR:"))
      return g_strdup (g_strstrip (*l));
  guint n = g_strv_length (lines);
  for (guint i = n; i > 0; i--)
    if (lines[i - 1][0] != '\0')
      return g_strdup (g_strstrip (lines[i - 1]));
  return g_strdup ("(no output)");
}

static gboolean
configure (Check *ck, GCancellable *cancellable, GError **error)
{
  g_autofree char *state_path = g_build_filename (ck->work, "state.ini", NULL);
  g_autoptr(GKeyFile) state = g_key_file_new ();
  g_key_file_load_from_file (state, state_path, G_KEY_FILE_NONE, NULL);

  /* What the configure line depends on: the script and the tools. */
  g_autofree char *python = find_tool ("python3");
  g_autofree char *key = NULL;
  if (ck->system == BUILD_QEMU)
    {
      g_autofree char *configure_path = g_build_filename (ck->src, "configure", NULL);
      g_autofree char *script = NULL;
      gsize len = 0;
      if (!g_file_get_contents (configure_path, &script, &len, NULL))
        script = g_strdup ("");
      g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) script, len);
      key = g_strdup_printf ("qemu %s %s", sum, python ? python : "-");
    }
  else
    key = g_strdup ("meson");

  g_autofree char *done_key = g_key_file_get_string (state, "configure", "key", NULL);
  g_autofree char *done_args = g_key_file_get_string (state, "configure", "args", NULL);
  g_autofree char *ninja_file = g_build_filename (ck->build, "build.ninja", NULL);
  g_autofree char *cc_json = g_build_filename (ck->build, "compile_commands.json", NULL);
  if (done_args && g_strcmp0 (done_key, key) == 0 && g_key_file_get_boolean (state, "configure", "ok", NULL)
      && g_file_test (ninja_file, G_FILE_TEST_EXISTS) && g_file_test (cc_json, G_FILE_TEST_EXISTS))
    {
      ck->res->configure_args = g_strdup (done_args);
      check_progress (ck, "reusing the configured build in %s", ck->build);
      return TRUE;
    }

  if (!check_meson_version (ck, cancellable, error))
    return FALSE;
  g_autoptr(GPtrArray) argv = NULL;
  if (ck->system == BUILD_QEMU)
    {
      argv = qemu_configure_argv (ck, cancellable, error);
      if (argv == NULL)
        return FALSE;
    }
  else
    {
      argv = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (argv, g_find_program_in_path ("meson"));
      g_ptr_array_add (argv, g_strdup ("setup"));
      g_ptr_array_add (argv, g_strdup (ck->build));
      g_ptr_array_add (argv, g_strdup (ck->src));
    }
  g_autofree char *args = argv_to_string (argv);
  ck->res->configure_args = g_strdup (args);

  if (!rm_rf (ck->build, error))
    return FALSE;
  g_mkdir_with_parents (ck->build, 0755);
  g_key_file_set_boolean (state, "configure", "ok", FALSE);
  g_key_file_save_to_file (state, state_path, NULL);

  check_progress (ck, "configuring %s (%s) in %s", ck->tree,
                  ck->system == BUILD_QEMU ? "QEMU configure" : "meson setup", ck->build);
  gint64 start = g_get_monotonic_time ();
  g_ptr_array_add (argv, NULL);
  g_autofree char *output = NULL;
  int status = 0;
  g_autoptr(GError) local = NULL;
  gboolean ran = bp_build_run ((const char *const *) argv->pdata, ck->build, ck->timeout, &output,
                               &status, cancellable, &local);
  g_autofree char *log_path = g_build_filename (ck->work, "configure.log", NULL);
  if (output)
    g_file_set_contents (log_path, output, -1, NULL);
  if (!ran)
    {
      if (g_error_matches (local, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT))
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT,
                       "configure of %s ran past its deadline of %u s and was killed (see --timeout)",
                       ck->tree, ck->timeout);
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  ck->res->configure_seconds = seconds_since (start);
  ck->res->configured_now = TRUE;

  if (status != 0)
    {
      if (strstr (output, "ERROR: missing subprojects"))
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_SUBPROJECTS,
                       "configure of %s says \"missing subprojects\" (a `git archive` export carries none): "
                       "run `meson subprojects download` in the tree (needs network), or copy "
                       "subprojects/<name>/ from a release tarball of QEMU; log: %s", ck->tree, log_path);
          return FALSE;
        }
      gboolean meson_too_old = FALSE;
      g_autoptr(GPtrArray) packages = missing_packages (output, &meson_too_old);
      if (packages->len > 0)
        {
          g_ptr_array_add (packages, NULL);
          g_autofree char *list = g_strjoinv (" ", (char **) packages->pdata);
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_DEPS,
                       "configure of %s needs packages this machine lacks: apt-get install %s%s%s%s; log: %s",
                       ck->tree, list, meson_too_old ? " (meson is too old: " : "",
                       meson_too_old ? missing_meson_hint () : "", meson_too_old ? ")" : "", log_path);
          return FALSE;
        }
      g_autofree char *why = log_tail_errors (output);
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_CONFIGURE,
                   "configure of %s failed (exit %d): %s; log: %s", ck->tree, status, why, log_path);
      return FALSE;
    }
  if (!g_file_test (ninja_file, G_FILE_TEST_EXISTS) || !g_file_test (cc_json, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_CONFIGURE,
                   "configure of %s left no build.ninja and compile_commands.json in %s; log: %s",
                   ck->tree, ck->build, log_path);
      return FALSE;
    }
  check_progress (ck, "configured in %.1f s", ck->res->configure_seconds);
  g_key_file_set_string (state, "configure", "args", args);
  g_key_file_set_string (state, "configure", "key", key);
  g_key_file_set_boolean (state, "configure", "ok", TRUE);
  g_key_file_set_double (state, "configure", "seconds", ck->res->configure_seconds);
  if (ck->res->version)
    g_key_file_set_string (state, "configure", "version", ck->res->version);
  return g_key_file_save_to_file (state, state_path, error);
}

/* ------------------------------------------------------------------ */
/* Objects: compile_commands.json and ninja.                           */

typedef struct {
  char *rel;            /* the tree file */
  char *directory;
  char *output;         /* ninja's target */
  char *file_arg;       /* the source file as the command names it */
  char *shadow_of;      /* compiling a copy of this tree file kept beside it */
  GStrv argv;
} CompileEntry;

static void
compile_entry_free (CompileEntry *e)
{
  g_free (e->file_arg);
  g_free (e->shadow_of);
  g_free (e->rel);
  g_free (e->directory);
  g_free (e->output);
  g_strfreev (e->argv);
  g_free (e);
}

/* Entries of compile_commands.json for the files in WANTED (canonical
 * absolute path -> tree-relative path). */
static GPtrArray *
load_compile_entries (Check *ck, GHashTable *wanted, GError **error)
{
  g_autofree char *path = g_build_filename (ck->build, "compile_commands.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_file (parser, path, &local))
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", path, local->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: not a JSON array", path);
      return NULL;
    }
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_entry_free);
  JsonArray *array = json_node_get_array (root);
  guint n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      if (o == NULL)
        continue;
      const char *dir = json_object_get_string_member_with_default (o, "directory", NULL);
      const char *file = json_object_get_string_member_with_default (o, "file", NULL);
      if (dir == NULL || file == NULL)
        continue;
      g_autofree char *abs = g_canonicalize_filename (file, dir);
      const char *rel = g_hash_table_lookup (wanted, abs);
      if (rel == NULL)
        continue;
      g_auto(GStrv) argv = NULL;
      if (json_object_has_member (o, "arguments"))
        {
          JsonArray *a = json_object_get_array_member (o, "arguments");
          guint m = a ? json_array_get_length (a) : 0;
          argv = g_new0 (char *, m + 1);
          for (guint k = 0; k < m; k++)
            argv[k] = g_strdup (json_array_get_string_element (a, k));
        }
      else
        {
          const char *command = json_object_get_string_member_with_default (o, "command", NULL);
          if (command == NULL || !g_shell_parse_argv (command, NULL, &argv, NULL))
            continue;
        }
      if (argv == NULL || argv[0] == NULL)
        continue;
      CompileEntry *e = g_new0 (CompileEntry, 1);
      e->rel = g_strdup (rel);
      e->directory = g_strdup (dir);
      e->file_arg = g_strdup (file);
      const char *out = json_object_get_string_member_with_default (o, "output", NULL);
      if (out == NULL)
        for (guint k = 0; argv[k]; k++)
          if (strcmp (argv[k], "-o") == 0 && argv[k + 1])
            out = argv[k + 1];
      e->output = g_strdup (out ? out : rel);
      e->argv = g_steal_pointer (&argv);
      g_ptr_array_add (entries, e);
    }
  return entries;
}

static gint64
file_mtime (const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0)
    return 0;
  return (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
}

static guint
ninja_steps (const char *output)
{
  /* The last "[n/m]" status line says how many steps ran. */
  const char *p = output, *last = NULL;
  while ((p = strchr (p, '[')) != NULL)
    {
      if (g_ascii_isdigit (p[1]) && strchr (p, '/') && strchr (p, ']'))
        last = p;
      p++;
    }
  if (last == NULL)
    return 0;
  const char *slash = strchr (last, '/');
  return (guint) g_ascii_strtoull (slash + 1, NULL, 10);
}

static char *
tail_lines (const char *text, guint n)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint len = g_strv_length (lines);
  while (len > 0 && lines[len - 1][0] == '\0')
    len--;
  guint from = len > n ? len - n : 0;
  GString *s = g_string_new (NULL);
  for (guint i = from; i < len; i++)
    g_string_append_printf (s, "%s%s", i > from ? " | " : "", lines[i]);
  return g_string_free (s, FALSE);
}

static char *
replace_all (const char *text, const char *from, const char *to)
{
  if (from == NULL || from[0] == '\0')
    return g_strdup (text);
  g_auto(GStrv) parts = g_strsplit (text, from, -1);
  return g_strjoinv (to, parts);
}

/* The compiler's output with the scratch copy's paths made tree-relative. */
static char *
clean_diagnostics (Check *ck, const CompileEntry *e, const char *output)
{
  g_autofree char *abs_prefix = g_strconcat (ck->src, "/", NULL);
  g_autofree char *a = replace_all (output, abs_prefix, "");
  /* Relative spelling as meson writes it ("../src/"). */
  g_autofree char *rel = NULL;
  if (g_str_has_prefix (ck->src, ck->work) && g_str_has_prefix (e->directory, ck->work))
    {
      const char *dsub = e->directory + strlen (ck->work);
      guint depth = 0;
      for (const char *p = dsub; *p; p++)
        if (*p == '/' && p[1] && p[1] != '/')
          depth++;
      GString *r = g_string_new (NULL);
      for (guint i = 0; i < depth; i++)
        g_string_append (r, "../");
      g_string_append (r, ck->src + strlen (ck->work) + 1);
      g_string_append_c (r, '/');
      rel = g_string_free (r, FALSE);
    }
  g_autofree char *b = rel ? replace_all (a, rel, "") : g_steal_pointer (&a);
  return e->shadow_of ? replace_all (b, e->rel, e->shadow_of) : g_steal_pointer (&b);
}

/* The generated headers the objects need.  meson makes every generated
 * header of a target an order-only input of each of its objects (166 ninja
 * steps for hw/vfio/container.c on 10.2); the object itself includes a
 * handful.  So ask the compiler (-M -MG lists headers that do not exist
 * yet), build those with ninja, and ask again until nothing new appears.
 * The list is cached for the next run, and each compile's own depfile
 * catches a header the list missed. */
typedef struct {
  GHashTable *all;         /* order-only inputs of the objects: files ninja generates */
  GHashTable *needed;      /* those the objects include */
  char *cache_path;
  char *cache_key;
  gboolean cached;         /* NEEDED came from the cache */
} Headers;

static void
headers_clear (Headers *h)
{
  g_clear_pointer (&h->all, g_hash_table_unref);
  g_clear_pointer (&h->needed, g_hash_table_unref);
  g_clear_pointer (&h->cache_path, g_free);
  g_clear_pointer (&h->cache_key, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Headers, headers_clear)

/* Lines of a cache file whose first line is KEY, or NULL. */
static GStrv
read_cache (const char *path, const char *key)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  gsize klen = strlen (key);
  if (strncmp (text, key, klen) != 0 || text[klen] != '\n')
    return NULL;
  return g_strsplit (text + klen + 1, "\n", -1);
}

static void
write_cache (const char *path, const char *key, GHashTable *set)
{
  GString *s = g_string_new (key);
  g_string_append_c (s, '\n');
  g_autoptr(GList) keys = g_hash_table_get_keys (set);
  for (GList *l = keys; l; l = l->next)
    g_string_append_printf (s, "%s\n", (const char *) l->data);
  g_file_set_contents (path, s->str, s->len, NULL);
  g_string_free (s, TRUE);
}

static gboolean
headers_load (Check *ck, GPtrArray *entries, Headers *h, GCancellable *cancellable, GError **error)
{
  headers_clear (h);
  h->all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  h->needed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (entries->len == 0)
    return TRUE;

  g_autofree char *ninja_file = g_build_filename (ck->build, "build.ninja", NULL);
  GString *key = g_string_new (NULL);
  g_string_append_printf (key, "%" G_GINT64_FORMAT, file_mtime (ninja_file));
  for (guint i = 0; i < entries->len; i++)
    g_string_append_printf (key, " %s", ((CompileEntry *) entries->pdata[i])->output);
  h->cache_key = g_string_free (key, FALSE);

  /* Which files ninja generates for these objects: ninja -t query. */
  g_autofree char *all_path = g_build_filename (ck->work, "headers.cache", NULL);
  g_auto(GStrv) cached_all = read_cache (all_path, h->cache_key);
  if (cached_all)
    {
      for (char **l = cached_all; *l; l++)
        if (**l)
          g_hash_table_add (h->all, g_strdup (*l));
    }
  else
    {
      g_autoptr(GPtrArray) qargv = g_ptr_array_new ();
      g_ptr_array_add (qargv, (gpointer) "ninja");
      g_ptr_array_add (qargv, (gpointer) "-C");
      g_ptr_array_add (qargv, ck->build);
      g_ptr_array_add (qargv, (gpointer) "-t");
      g_ptr_array_add (qargv, (gpointer) "query");
      for (guint i = 0; i < entries->len; i++)
        g_ptr_array_add (qargv, ((CompileEntry *) entries->pdata[i])->output);
      g_ptr_array_add (qargv, NULL);
      g_autofree char *qout = NULL;
      int status = 0;
      if (!bp_build_run ((const char *const *) qargv->pdata, NULL, ck->timeout, &qout, &status, cancellable,
                         error))
        return FALSE;
      if (status != 0)
        {
          g_autofree char *why = tail_lines (qout, 3);
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED,
                       "ninja does not know the objects of the touched files in %s: %s", ck->build, why);
          return FALSE;
        }
      /* Order-only inputs ("|| x"): the generated files meson lists. */
      g_auto(GStrv) lines = g_strsplit (qout, "\n", -1);
      for (char **l = lines; *l; l++)
        {
          const char *t = *l;
          while (*t == ' ')
            t++;
          if (g_str_has_prefix (t, "|| ") && t[3])
            g_hash_table_add (h->all, g_strdup (t + 3));
        }
      write_cache (all_path, h->cache_key, h->all);
    }

  h->cache_path = g_build_filename (ck->work, "headers-needed.cache", NULL);
  g_auto(GStrv) cached_needed = read_cache (h->cache_path, h->cache_key);
  for (char **l = cached_needed; l && *l; l++)
    if (**l && g_hash_table_contains (h->all, *l))
      g_hash_table_add (h->needed, g_strdup (*l));
  h->cached = cached_needed != NULL;
  return TRUE;
}

/* ninja the files in SET (NULL: every generated file the objects may use). */
static gboolean
headers_build (Check *ck, Headers *h, GHashTable *set, GCancellable *cancellable, GError **error)
{
  if (set == NULL)
    set = h->all;
  if (g_hash_table_size (set) == 0)
    return TRUE;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup ("ninja"));
  g_ptr_array_add (argv, g_strdup ("-C"));
  g_ptr_array_add (argv, g_strdup (ck->build));
  g_ptr_array_add (argv, g_strdup_printf ("-j%u", ck->jobs));
  g_autoptr(GList) keys = g_hash_table_get_keys (set);
  for (GList *l = keys; l; l = l->next)
    g_ptr_array_add (argv, g_strdup (l->data));
  g_ptr_array_add (argv, NULL);

  if (set == h->all)
    check_progress (ck, "generating all %u headers the target generates", g_hash_table_size (set));
  else
    check_progress (ck, "generating %u header%s the objects include", g_hash_table_size (set),
                    g_hash_table_size (set) == 1 ? "" : "s");
  gint64 start = g_get_monotonic_time ();
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) local = NULL;
  if (!bp_build_run ((const char *const *) argv->pdata, NULL, ck->timeout, &out, &status, cancellable, &local))
    {
      if (g_error_matches (local, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT))
        g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT,
                     "generating headers in %s ran past its deadline of %u s and was killed (see --timeout)",
                     ck->build, ck->timeout);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  double secs = seconds_since (start);
  ck->res->header_seconds += secs;
  guint steps = strstr (out, "no work to do") ? 0 : ninja_steps (out);
  ck->res->header_steps += steps;
  if (status != 0)
    {
      g_autofree char *why = tail_lines (out, MAX_LOG_TAIL);
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED,
                   "generating the headers the touched files need failed in %s: %s", ck->build, why);
      return FALSE;
    }
  check_progress (ck, "headers ready: %u ninja step%s in %.1f s", steps, steps == 1 ? "" : "s", secs);
  return TRUE;
}

/* The files a make-style depfile names, relative to the build directory
 * where they are inside it. */
static GPtrArray *
depfile_entries (Check *ck, const char *path)
{
  GPtrArray *deps = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return deps;
  g_autofree char *joined = replace_all (text, "\\\n", " ");
  g_autofree char *build_prefix = g_strconcat (ck->build, "/", NULL);
  g_auto(GStrv) words = g_strsplit_set (joined, " \t\n", -1);
  gboolean first = TRUE;
  for (char **w = words; *w; w++)
    {
      if (**w == '\0')
        continue;
      if (first)
        {
          first = FALSE;  /* "target:" */
          if (g_str_has_suffix (*w, ":"))
            continue;
        }
      const char *d = g_str_has_prefix (*w, build_prefix) ? *w + strlen (build_prefix) : *w;
      g_ptr_array_add (deps, g_strdup (d));
    }
  return deps;
}

/* Add to H->needed the generated files DEPS names; how many were new. */
static guint
headers_note (Headers *h, GPtrArray *deps, GHashTable *fresh)
{
  guint added = 0;
  for (guint i = 0; i < deps->len; i++)
    {
      const char *d = deps->pdata[i];
      if (g_hash_table_contains (h->all, d) && !g_hash_table_contains (h->needed, d))
        {
          g_hash_table_add (h->needed, g_strdup (d));
          if (fresh)
            g_hash_table_add (fresh, g_strdup (d));
          added++;
        }
    }
  return added;
}

/* The compiler's command for E, to compile into OBJ (writing DEPFILE) or,
 * with OBJ NULL, only to list its includes into DEPFILE (-M -MG). */
static GPtrArray *
compiler_argv (const CompileEntry *e, const char *obj, const char *depfile)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; e->argv[i]; i++)
    {
      const char *a = e->argv[i];
      if (strcmp (a, "-MD") == 0 || strcmp (a, "-MMD") == 0 || (obj == NULL && strcmp (a, "-c") == 0))
        continue;
      if ((strcmp (a, "-MQ") == 0 || strcmp (a, "-MF") == 0 || strcmp (a, "-MT") == 0 || strcmp (a, "-o") == 0)
          && e->argv[i + 1])
        {
          i++;
          continue;
        }
      if (g_str_has_prefix (a, "-fdiagnostics-color"))
        a = "-fdiagnostics-color=never";
      g_ptr_array_add (argv, g_strdup (a));
    }
  if (obj)
    {
      g_ptr_array_add (argv, g_strdup ("-MD"));
      g_ptr_array_add (argv, g_strdup ("-MF"));
      g_ptr_array_add (argv, g_strdup (depfile));
      g_ptr_array_add (argv, g_strdup ("-o"));
      g_ptr_array_add (argv, g_strdup (obj));
    }
  else
    {
      g_ptr_array_add (argv, g_strdup ("-M"));
      g_ptr_array_add (argv, g_strdup ("-MG"));
      g_ptr_array_add (argv, g_strdup ("-MF"));
      g_ptr_array_add (argv, g_strdup (depfile));
    }
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Find what the objects include until nothing new appears, generating it
 * on the way.  FALSE (without error) when the preprocessor itself fails:
 * then the caller generates everything. */
static gboolean
headers_closure (Check *ck, Headers *h, GPtrArray *entries, gboolean *preprocessed,
                 GCancellable *cancellable, GError **error)
{
  *preprocessed = TRUE;
  for (guint round = 0; round < 8; round++)
    {
      g_autoptr(GHashTable) fresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < entries->len; i++)
        {
          CompileEntry *e = entries->pdata[i];
          g_autofree char *src_file = g_build_filename (ck->src, e->rel, NULL);
          if (!g_file_test (src_file, G_FILE_TEST_EXISTS))
            continue;
          g_autofree char *flat = g_strdelimit (g_strdup (e->output), "/", '_');
          g_autofree char *depfile = g_strdup_printf ("%s/%s.includes.d", ck->objects, flat);
          g_autoptr(GPtrArray) argv = compiler_argv (e, NULL, depfile);
          g_autofree char *out = NULL;
          int status = 0;
          if (!bp_build_run ((const char *const *) argv->pdata, e->directory, ck->timeout, &out, &status,
                             cancellable, error))
            return FALSE;
          if (status != 0)
            {
              *preprocessed = FALSE;
              return TRUE;
            }
          g_autoptr(GPtrArray) deps = depfile_entries (ck, depfile);
          headers_note (h, deps, fresh);
        }
      if (g_hash_table_size (fresh) == 0)
        return TRUE;
      if (!headers_build (ck, h, fresh, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* Bring the generated headers of ENTRIES up to date: the cached list, or
 * the compiler's answer, or (when it cannot say) all of them. */
static gboolean
headers_prepare (Check *ck, Headers *h, GPtrArray *entries, GCancellable *cancellable, GError **error)
{
  if (g_hash_table_size (h->all) == 0)
    return TRUE;
  if (h->cached)
    return headers_build (ck, h, h->needed, cancellable, error);
  gboolean preprocessed = TRUE;
  if (!headers_closure (ck, h, entries, &preprocessed, cancellable, error))
    return FALSE;
  if (!preprocessed)
    {
      check_progress (ck, "the preprocessor cannot list the includes: generating every header of the target");
      return headers_build (ck, h, NULL, cancellable, error);
    }
  write_cache (h->cache_path, h->cache_key, h->needed);
  h->cached = TRUE;
  return TRUE;
}

static gboolean
compile_entry (Check *ck, const CompileEntry *e, const char *phase, BpCompileRun *run, GPtrArray **deps,
               GCancellable *cancellable, GError **error)
{
  g_autofree char *src_file = g_build_filename (ck->src, e->rel, NULL);
  if (!g_file_test (src_file, G_FILE_TEST_EXISTS))
    {
      run->status = BP_COMPILE_ABSENT;
      return TRUE;
    }
  g_autofree char *flat = g_strdelimit (g_strdup (e->output), "/", '_');
  g_autofree char *obj = g_strdup_printf ("%s/%s.%s.o", ck->objects, flat, phase);
  g_autofree char *depfile = g_strdup_printf ("%s/%s.%s.d", ck->objects, flat, phase);
  g_unlink (depfile);
  g_autoptr(GPtrArray) argv = compiler_argv (e, obj, depfile);

  gint64 start = g_get_monotonic_time ();
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) local = NULL;
  if (!bp_build_run ((const char *const *) argv->pdata, e->directory, ck->timeout, &out, &status,
                     cancellable, &local))
    {
      if (g_error_matches (local, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT))
        g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT,
                     "compiling %s ran past its deadline of %u s and was killed (see --timeout)",
                     e->rel, ck->timeout);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  run->seconds = seconds_since (start);
  run->status = status == 0 ? BP_COMPILE_OK : BP_COMPILE_FAILED;
  g_free (run->output);
  run->output = clean_diagnostics (ck, e, out);
  *deps = depfile_entries (ck, depfile);
  return TRUE;
}

/* After compiling E: when it turned out to include a generated header that
 * was not built (or not refreshed) yet, generate it and set *AGAIN. */
static gboolean
headers_follow_up (Check *ck, Headers *h, CompileEntry *e, BpCompileRun *run, GPtrArray *deps,
                   gboolean *again, GCancellable *cancellable, GError **error)
{
  *again = FALSE;
  if (run->status == BP_COMPILE_ABSENT || g_hash_table_size (h->all) == 0)
    return TRUE;
  guint known = g_hash_table_size (h->needed);
  if (run->status == BP_COMPILE_OK)
    {
      g_autoptr(GHashTable) fresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if (deps == NULL || headers_note (h, deps, fresh) == 0)
        return TRUE;
      check_progress (ck, "%s includes %u generated header%s not refreshed yet: compiling again", e->rel,
                      g_hash_table_size (fresh), g_hash_table_size (fresh) == 1 ? "" : "s");
      if (!headers_build (ck, h, fresh, cancellable, error))
        return FALSE;
    }
  else
    {
      if (run->output == NULL || !strstr (run->output, "No such file or directory"))
        return TRUE;
      g_autoptr(GPtrArray) one = g_ptr_array_new ();
      g_ptr_array_add (one, e);
      gboolean preprocessed = TRUE;
      if (!headers_closure (ck, h, one, &preprocessed, cancellable, error))
        return FALSE;
      if (g_hash_table_size (h->needed) == known)
        return TRUE;
      check_progress (ck, "%s includes generated headers that were missing: compiling again", e->rel);
    }
  write_cache (h->cache_path, h->cache_key, h->needed);
  *again = TRUE;
  return TRUE;
}

/* One compile of a check: an entry (or its shadow) in a phase. */
typedef struct {
  Check *ck;
  CompileEntry *e;
  const char *phase;      /* "before" / "after" */
  BpCompileRun *run;
  GPtrArray *deps;
  GCancellable *cancellable;
  GError *error;
  gboolean ok;
} CompileTask;

static void
compile_task_free (CompileTask *t)
{
  g_clear_pointer (&t->deps, g_ptr_array_unref);
  g_clear_error (&t->error);
  g_free (t);
}

static gpointer
compile_task_thread (gpointer data)
{
  CompileTask *t = data;
  t->ok = compile_entry (t->ck, t->e, t->phase, t->run, &t->deps, t->cancellable, &t->error);
  return NULL;
}

/* Run TASKS, up to ck->jobs at once; then, one by one, generate what a
 * compile found missing and compile it again. */
static gboolean
run_compile_tasks (Check *ck, Headers *h, GPtrArray *tasks, guint *n, guint m, GCancellable *cancellable,
                   GError **error)
{
  for (guint i = 0; i < tasks->len; i += ck->jobs)
    {
      guint end = MIN (tasks->len, i + ck->jobs);
      g_autoptr(GPtrArray) threads = g_ptr_array_new ();
      for (guint k = i; k < end; k++)
        {
          CompileTask *t = tasks->pdata[k];
          (*n)++;
          check_progress (ck, "compiling %u of %u: %s (%s the series)", *n, m,
                          t->e->shadow_of ? t->e->shadow_of : t->e->rel,
                          strcmp (t->phase, "after") == 0 ? "with" : "before");
          if (end - i == 1)
            compile_task_thread (t);
          else
            g_ptr_array_add (threads, g_thread_new ("bp-compile", compile_task_thread, t));
        }
      for (guint k = 0; k < threads->len; k++)
        g_thread_join (threads->pdata[k]);
      for (guint k = i; k < end; k++)
        {
          CompileTask *t = tasks->pdata[k];
          if (!t->ok)
            {
              g_propagate_error (error, g_steal_pointer (&t->error));
              return FALSE;
            }
        }
    }
  for (guint i = 0; i < tasks->len; i++)
    {
      CompileTask *t = tasks->pdata[i];
      for (guint attempt = 0; attempt < 2; attempt++)
        {
          gboolean again = FALSE;
          if (!headers_follow_up (ck, h, t->e, t->run, t->deps, &again, cancellable, error))
            return FALSE;
          if (!again)
            break;
          g_clear_pointer (&t->deps, g_ptr_array_unref);
          if (!compile_entry (ck, t->e, t->phase, t->run, &t->deps, cancellable, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The check.                                                          */

typedef int LockFd;
static void
lock_fd_close (LockFd fd)
{
  if (fd >= 0)
    close (fd);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (LockFd, lock_fd_close, -1)

static LockFd
take_lock (Check *ck, GCancellable *cancellable, GError **error)
{
  g_autofree char *path = g_build_filename (ck->work, "lock", NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", path, g_strerror (errno));
      return -1;
    }
  gint64 deadline = g_get_monotonic_time () + (gint64) ck->timeout * G_USEC_PER_SEC;
  gboolean told = FALSE;
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "%s: %s", path, g_strerror (errno));
          close (fd);
          return -1;
        }
      if (!told)
        check_progress (ck, "waiting for another check using %s", ck->work);
      told = TRUE;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return -1;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_BUSY,
                       "another check has held %s for %u s; use --build-dir for a separate one",
                       ck->work, ck->timeout);
          close (fd);
          return -1;
        }
      g_usleep (200 * 1000);
    }
  return fd;
}

static char *
path_key (const char *tree, const char *version)
{
  g_autofree char *real = g_canonicalize_filename (tree, NULL);
  char *resolved = realpath (real, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, resolved ? resolved : real, -1);
  free (resolved);
  GString *key = g_string_new (NULL);
  for (const char *p = version ? version : "tree"; *p; p++)
    g_string_append_c (key, g_ascii_isalnum (*p) || *p == '.' || *p == '-' ? *p : '_');
  g_string_append_printf (key, "-%.12s", hash);
  return g_string_free (key, FALSE);
}

/* realpath of PATH, whose last components may not exist yet. */
static char *
resolve_path (const char *path)
{
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  g_autoptr(GString) tail = g_string_new (NULL);
  g_autofree char *dir = g_strdup (abs);
  for (;;)
    {
      char *real = realpath (dir, NULL);
      if (real)
        {
          char *out = g_strconcat (real, tail->str, NULL);
          free (real);
          return out;
        }
      if (strcmp (dir, "/") == 0)
        return g_strdup (abs);
      g_autofree char *base = g_path_get_basename (dir);
      g_string_prepend (tail, base);
      g_string_prepend_c (tail, '/');
      char *up = g_path_get_dirname (dir);
      g_free (dir);
      dir = up;
    }
}

static gboolean
path_within (const char *inner, const char *outer)
{
  gsize len = strlen (outer);
  return strncmp (inner, outer, len) == 0 && (inner[len] == '/' || inner[len] == '\0');
}

char *
bp_build_default_work_dir (const char *tree)
{
  g_autofree char *vpath = g_build_filename (tree, "VERSION", NULL);
  g_autofree char *version = read_trimmed (vpath);
  g_autofree char *key = path_key (tree, version);
  return g_build_filename (g_get_user_cache_dir (), "backport", "build", key, NULL);
}

/* Files the series changes in the scratch tree, from the apply engine's
 * reports; files it creates or deletes from the diffs. */
static GPtrArray *
touched_files (BpFixLine *line, GPtrArray *reports)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; reports && i < reports->len; i++)
    {
      BpHunkReport *r = reports->pdata[i];
      if (r->file)
        add_unique (files, r->file);
    }
  for (guint p = 0; line->patches && p < line->patches->len; p++)
    {
      BpPatch *patch = line->patches->pdata[p];
      for (guint f = 0; patch->files && f < patch->files->len; f++)
        {
          BpFileDiff *fd = patch->files->pdata[f];
          /* A rename or a created/deleted file has no hunk to report. */
          if (files->len == 0 || fd->old_path == NULL || fd->new_path == NULL
              || g_strcmp0 (fd->old_path, fd->new_path) != 0)
            {
              if (fd->new_path)
                add_unique (files, fd->new_path);
              if (fd->old_path && fd->new_path == NULL)
                add_unique (files, fd->old_path);
            }
        }
    }
  return files;
}

static gboolean
is_source_file (const char *path)
{
  static const char *const exts[] = { ".c", ".cc", ".cpp", ".cxx", ".m", ".S", ".s", ".rs", NULL };
  for (const char *const *e = exts; *e; e++)
    if (g_str_has_suffix (path, *e))
      return TRUE;
  return FALSE;
}

static gboolean
is_header_file (const char *path)
{
  return g_str_has_suffix (path, ".h") || g_str_has_suffix (path, ".hpp") || g_str_has_suffix (path, ".inc")
         || g_str_has_suffix (path, ".c.inc") || g_str_has_suffix (path, ".h.inc");
}

/* "warning: text [-Wflag]" without its location, to compare runs. */
static char *
warning_key (const char *line)
{
  const char *w = strstr (line, ": warning: ");
  if (w == NULL)
    return NULL;
  /* The file name stays (up to its first ':'), the line number goes. */
  const char *colon = strchr (line, ':');
  return g_strdup_printf ("%.*s%s", (int) (colon - line), line, w);
}

static GPtrArray *
new_warnings (const char *before, const char *after)
{
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) bl = g_strsplit (before ? before : "", "\n", -1);
  for (char **l = bl; *l; l++)
    {
      char *k = warning_key (*l);
      if (k)
        {
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, k));
          g_hash_table_replace (counts, k, GUINT_TO_POINTER (n + 1));
        }
    }
  GPtrArray *added = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) al = g_strsplit (after ? after : "", "\n", -1);
  for (char **l = al; *l; l++)
    {
      g_autofree char *k = warning_key (*l);
      if (k == NULL)
        continue;
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, k));
      if (n > 0)
        g_hash_table_replace (counts, g_strdup (k), GUINT_TO_POINTER (n - 1));
      else
        g_ptr_array_add (added, g_strdup (*l));
    }
  return added;
}

static BpCheckVerdict
verdict_of (GPtrArray *results)
{
  gboolean breaks = FALSE, broken = FALSE;
  for (guint i = 0; i < results->len; i++)
    {
      BpCompileResult *r = results->pdata[i];
      if (r->object == NULL)
        continue;
      if (r->after.status == BP_COMPILE_FAILED && r->before.status != BP_COMPILE_FAILED)
        breaks = TRUE;
      else if (r->after.status == BP_COMPILE_OK && r->new_warnings && r->new_warnings->len > 0)
        breaks = TRUE;
      else if (r->after.status == BP_COMPILE_FAILED)
        broken = TRUE;
    }
  if (breaks)
    return BP_CHECK_SERIES_BREAKS;
  if (broken)
    return BP_CHECK_ALREADY_BROKEN;
  return BP_CHECK_COMPILES;
}

static BpCompileResult *
result_for (Check *ck, CompileEntry *e)
{
  for (guint k = 0; k < ck->res->results->len; k++)
    {
      BpCompileResult *c = ck->res->results->pdata[k];
      if (g_strcmp0 (c->object, e->output) == 0)
        return c;
    }
  BpCompileResult *r = g_new0 (BpCompileResult, 1);
  r->file = g_strdup (e->shadow_of ? e->shadow_of : e->rel);
  r->object = g_strdup (e->output);
  r->before.status = BP_COMPILE_ABSENT;
  r->after.status = BP_COMPILE_ABSENT;
  g_ptr_array_add (ck->res->results, r);
  return r;
}

static void
add_task (Check *ck, GPtrArray *tasks, CompileEntry *e, gboolean after, GCancellable *cancellable)
{
  BpCompileResult *r = result_for (ck, e);
  CompileTask *t = g_new0 (CompileTask, 1);
  t->ck = ck;
  t->e = e;
  t->phase = after ? "after" : "before";
  t->run = after ? &r->after : &r->before;
  t->cancellable = cancellable;
  g_ptr_array_add (tasks, t);
}

static void
remove_shadows (Check *ck, GPtrArray *shadows)
{
  for (guint i = 0; i < shadows->len; i++)
    {
      g_autofree char *path = g_build_filename (ck->src, ((CompileEntry *) shadows->pdata[i])->rel, NULL);
      g_unlink (path);
    }
  g_ptr_array_set_size (shadows, 0);
}

static gboolean
compile_all (Check *ck, Headers *h, GPtrArray *entries, gboolean after, guint *n, guint m,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_task_free);
  for (guint i = 0; i < entries->len; i++)
    add_task (ck, tasks, entries->pdata[i], after, cancellable);
  return run_compile_tasks (ck, h, tasks, n, m, cancellable, error);
}

/* The unpatched text of E's file as a copy beside it (same directory, so
 * the same quoted includes), and an entry that compiles that copy: then
 * the compiles before and after the series can run at the same time.
 * NULL when the command does not name the file plainly. */
static CompileEntry *
shadow_entry (Check *ck, const CompileEntry *e, GError **error)
{
  guint found = 0;
  for (guint i = 0; e->argv[i]; i++)
    found += strcmp (e->argv[i], e->file_arg) == 0;
  if (found != 1)
    return NULL;
  g_autofree char *rdir = g_path_get_dirname (e->rel);
  g_autofree char *base = g_path_get_basename (e->rel);
  g_autofree char *shadow_base = g_strconcat (".bp-before.", base, NULL);
  g_autofree char *arg_dir = g_path_get_dirname (e->file_arg);

  CompileEntry *s = g_new0 (CompileEntry, 1);
  s->rel = strcmp (rdir, ".") == 0 ? g_strdup (shadow_base) : g_build_filename (rdir, shadow_base, NULL);
  s->shadow_of = g_strdup (e->rel);
  s->directory = g_strdup (e->directory);
  s->output = g_strdup (e->output);
  s->file_arg = g_build_filename (arg_dir, shadow_base, NULL);
  s->argv = g_strdupv (e->argv);
  for (guint i = 0; s->argv[i]; i++)
    if (strcmp (s->argv[i], e->file_arg) == 0)
      {
        g_free (s->argv[i]);
        s->argv[i] = g_strdup (s->file_arg);
      }
  g_autofree char *from = g_build_filename (ck->src, e->rel, NULL);
  g_autofree char *to = g_build_filename (ck->src, s->rel, NULL);
  if (g_file_test (from, G_FILE_TEST_IS_REGULAR) && !copy_file (from, to, TRUE, error))
    {
      compile_entry_free (s);
      return NULL;
    }
  return s;
}

static GHashTable *
wanted_paths (Check *ck, GPtrArray *touched)
{
  GHashTable *wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < touched->len; i++)
    g_hash_table_insert (wanted, g_build_filename (ck->src, touched->pdata[i], NULL),
                         g_strdup (touched->pdata[i]));
  return wanted;
}

/* The apply engine said no (taking APPLY_ERROR and REPORTS): a series that
 * does not apply is the check's finding; anything else is an error. */
static gboolean
does_not_apply (BpCheckResult *res, GError *apply_error, GPtrArray *reports, GError **error)
{
  g_autoptr(GError) local = apply_error;
  g_autoptr(GPtrArray) hunks = reports;
  if (local->domain != BP_APPLY_ERROR
      || (local->code != BP_APPLY_ERROR_DOES_NOT_APPLY && local->code != BP_APPLY_ERROR_AMBIGUOUS
          && local->code != BP_APPLY_ERROR_CONFLICT))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  res->verdict = BP_CHECK_DOES_NOT_APPLY;
  res->apply_message = g_strdup (local->message);
  res->apply_reports = g_steal_pointer (&hunks);
  return TRUE;
}

static gboolean
run_check (Check *ck, GCancellable *cancellable, GError **error)
{
  BpCheckResult *res = ck->res;
  gint64 start = g_get_monotonic_time ();

  if (!check_prerequisites (ck, cancellable, error))
    return FALSE;
  if (g_mkdir_with_parents (ck->work, 0755) != 0)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_FAILED, "cannot create %s: %s", ck->work,
                   g_strerror (errno));
      return FALSE;
    }
  /* Paths in compile_commands.json are canonical: so must ours be. */
  char *real = realpath (ck->work, NULL);
  if (real)
    {
      g_free (ck->work);
      ck->work = g_strdup (real);
      free (real);
    }
  ck->src = g_build_filename (ck->work, "src", NULL);
  ck->build = g_build_filename (ck->work, "build", NULL);
  ck->objects = g_build_filename (ck->work, "objects", NULL);
  res->work_dir = g_strdup (ck->work);
  res->build_dir = g_strdup (ck->build);
  res->scratch_dir = g_strdup (ck->src);

  g_auto(LockFd) lock = take_lock (ck, cancellable, error);
  if (lock < 0)
    return FALSE;

  /* 1. The scratch copy. */
  gint64 t = g_get_monotonic_time ();
  SyncStats stats = { .can_link = TRUE };
  if (!sync_dir (ck->tree, ck->src, TRUE, &stats, cancellable, error))
    return FALSE;
  check_progress (ck, "scratch copy %s ready in %.1f s (%u placed%s, %u refreshed, %u removed)", ck->src,
                  seconds_since (t), stats.placed, stats.can_link ? " as hard links" : " as copies",
                  stats.refreshed, stats.removed);

  /* 2. Where does the series go?  Nothing is written yet. */
  BpApplyOptions check_opts = { .target = BP_APPLY_TARGET_FILES, .check_only = TRUE };
  g_autoptr(GPtrArray) dry_reports = NULL;
  g_autoptr(GError) apply_error = NULL;
  if (!bp_apply_series (ck->line, ck->src, &check_opts, &dry_reports, cancellable, &apply_error))
    {
      res->seconds = seconds_since (start);
      return does_not_apply (res, g_steal_pointer (&apply_error), g_steal_pointer (&dry_reports), error);
    }
  res->touched = touched_files (ck->line, dry_reports);

  /* 3. Configure (once per work directory). */
  if (!configure (ck, cancellable, error))
    return FALSE;

  /* 4. The objects of the touched files. */
  g_autoptr(GHashTable) wanted = wanted_paths (ck, res->touched);
  g_autofree char *cc_json = g_build_filename (ck->build, "compile_commands.json", NULL);
  gint64 cc_mtime = file_mtime (cc_json);
  t = g_get_monotonic_time ();
  g_autoptr(GPtrArray) entries = load_compile_entries (ck, wanted, error);
  if (entries == NULL)
    return FALSE;
  check_progress (ck, "%u object%s to compile, from compile_commands.json in %.1f s", entries->len,
                  entries->len == 1 ? "" : "s", seconds_since (t));
  for (guint i = 0; i < res->touched->len; i++)
    {
      const char *f = res->touched->pdata[i];
      gboolean built = FALSE;
      for (guint k = 0; k < entries->len && !built; k++)
        built = strcmp (((CompileEntry *) entries->pdata[k])->rel, f) == 0;
      if (!built)
        {
          BpCompileResult *r = g_new0 (BpCompileResult, 1);
          r->file = g_strdup (f);
          r->before.status = r->after.status = BP_COMPILE_NOT_BUILT;
          g_ptr_array_add (res->results, r);
        }
    }
  if (entries->len == 0)
    {
      gboolean any_source = FALSE;
      for (guint i = 0; i < res->touched->len; i++)
        any_source |= is_source_file (res->touched->pdata[i]);
      g_ptr_array_add (res->touched, NULL);
      g_autofree char *list = g_strjoinv (", ", (char **) res->touched->pdata);
      g_ptr_array_remove_index (res->touched, res->touched->len - 1);
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NO_OBJECT,
                   "none of the files the series touches (%s) is compiled in this configuration (%s)%s",
                   list, res->configure_args,
                   any_source ? "" : "; headers are only checked through the .c files of the series");
      return FALSE;
    }

  /* 5. Private copies of what the series will write, then the unpatched compile. */
  for (guint i = 0; i < res->touched->len; i++)
    if (!unshare_file (ck->tree, ck->src, res->touched->pdata[i], error))
      return FALSE;
  g_mkdir_with_parents (ck->objects, 0755);
  g_auto(Headers) headers = { 0 };
  if (!headers_load (ck, entries, &headers, cancellable, error)
      || !headers_prepare (ck, &headers, entries, cancellable, error))
    return FALSE;
  guint n = 0, m = entries->len * 2;

  /* When the series changes only C sources, the compiles before and after
   * it run at the same time: the unpatched text from a copy beside each file. */
  gboolean together = ck->jobs >= 2;
  for (guint i = 0; i < res->touched->len; i++)
    together &= is_source_file (res->touched->pdata[i]);
  g_autoptr(GPtrArray) shadows = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_entry_free);
  for (guint i = 0; together && i < entries->len; i++)
    {
      g_autoptr(GError) local = NULL;
      CompileEntry *shadow = shadow_entry (ck, entries->pdata[i], &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (shadow)
        g_ptr_array_add (shadows, shadow);
      else
        together = FALSE;
    }
  if (!together)
    {
      remove_shadows (ck, shadows);
      if (!compile_all (ck, &headers, entries, FALSE, &n, m, cancellable, error))
        return FALSE;
    }

  /* 6. Apply for real (files only: no quilt bookkeeping, no commits). */
  BpApplyOptions opts = { .target = BP_APPLY_TARGET_FILES };
  g_autoptr(GPtrArray) reports = NULL;
  if (!bp_apply_series (ck->line, ck->src, &opts, &reports, cancellable, &apply_error))
    {
      res->seconds = seconds_since (start);
      return does_not_apply (res, g_steal_pointer (&apply_error), g_steal_pointer (&reports), error);
    }
  res->apply_reports = g_steal_pointer (&reports);

  /* 7. Inputs of generated files (trace-events, qapi, meson.build) may have
   * changed: let ninja regenerate what depends on them. */
  gboolean other_inputs = FALSE;
  for (guint i = 0; i < res->touched->len; i++)
    {
      const char *f = res->touched->pdata[i];
      other_inputs |= !is_source_file (f) && !is_header_file (f);
    }
  if (other_inputs)
    {
      if (!headers_build (ck, &headers, headers.needed, cancellable, error))
        return FALSE;
      if (file_mtime (cc_json) != cc_mtime)
        {
          /* The build was regenerated: a new file may have an object now. */
          g_autoptr(GPtrArray) again = load_compile_entries (ck, wanted, error);
          if (again == NULL)
            return FALSE;
          g_clear_pointer (&entries, g_ptr_array_unref);
          entries = g_steal_pointer (&again);
          m = n + entries->len;
          if (!headers_load (ck, entries, &headers, cancellable, error)
              || !headers_prepare (ck, &headers, entries, cancellable, error))
            return FALSE;
        }
    }
  if (together)
    {
      g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_task_free);
      for (guint i = 0; i < entries->len; i++)
        {
          add_task (ck, tasks, shadows->pdata[i], FALSE, cancellable);
          add_task (ck, tasks, entries->pdata[i], TRUE, cancellable);
        }
      gboolean ok = run_compile_tasks (ck, &headers, tasks, &n, m, cancellable, error);
      remove_shadows (ck, shadows);
      if (!ok)
        return FALSE;
    }
  else if (!compile_all (ck, &headers, entries, TRUE, &n, m, cancellable, error))
    return FALSE;

  for (guint i = 0; i < res->results->len; i++)
    {
      BpCompileResult *r = res->results->pdata[i];
      r->new_warnings = new_warnings (r->before.output, r->after.output);
    }
  res->verdict = verdict_of (res->results);
  res->seconds = seconds_since (start);

  /* 8. Leave the cache unpatched unless asked to keep the result. */
  if (!ck->keep)
    {
      for (guint i = 0; i < res->touched->len; i++)
        {
          const char *f = res->touched->pdata[i];
          g_autofree char *s = g_build_filename (ck->tree, f, NULL);
          g_autofree char *d = g_build_filename (ck->src, f, NULL);
          g_autoptr(GError) local = NULL;
          if (g_file_test (s, G_FILE_TEST_IS_REGULAR))
            copy_file (s, d, FALSE, &local);
          else
            g_unlink (d);
        }
      rm_rf (ck->objects, NULL);
    }
  return TRUE;
}

BpCheckResult *
bp_build_check (BpFixLine *line, const char *tree, const BpCheckOptions *options,
                GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (line != NULL && tree != NULL, NULL);
  BpCheckOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;

  if (!g_file_test (tree, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NOT_A_TREE,
                   "%s is not a directory: give the unpacked source tree with --tree", tree);
      return NULL;
    }
  g_autoptr(BpCheckResult) res = g_new0 (BpCheckResult, 1);
  res->line = g_strdup (line->name);
  res->tree = g_strdup (tree);
  g_autofree char *vpath = g_build_filename (tree, "VERSION", NULL);
  res->version = read_trimmed (vpath);
  res->results = g_ptr_array_new_with_free_func ((GDestroyNotify) compile_result_free);
  res->touched = NULL;

  Check ck = {
    .line = line,
    .tree = g_canonicalize_filename (tree, NULL),
    .jobs = options->jobs ? options->jobs : g_get_num_processors (),
    .timeout = options->timeout ? options->timeout : DEFAULT_TIMEOUT,
    .keep = options->keep,
    .progress = options->progress,
    .progress_data = options->progress_data,
    .res = res,
  };
  g_autofree char *ck_tree = ck.tree;

  g_autofree char *configure_path = g_build_filename (ck.tree, "configure", NULL);
  g_autofree char *meson_path = g_build_filename (ck.tree, "meson.build", NULL);
  gboolean has_configure = g_file_test (configure_path, G_FILE_TEST_IS_REGULAR);
  gboolean has_meson = g_file_test (meson_path, G_FILE_TEST_IS_REGULAR);
  if (has_configure && has_meson)
    ck.system = BUILD_QEMU;
  else if (has_meson)
    ck.system = BUILD_MESON;
  else
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NO_BUILD_SYSTEM,
                   "%s has no build system to compile with (neither QEMU's configure + meson.build nor "
                   "a meson.build): give the top of an unpacked QEMU source tree", tree);
      return NULL;
    }
  res->build_system = g_strdup (ck.system == BUILD_QEMU ? "qemu" : "meson");
  ck.work = options->work_dir ? g_canonicalize_filename (options->work_dir, NULL)
                              : bp_build_default_work_dir (ck.tree);
  /* The scratch copy must neither contain the tree nor live inside it. */
  g_autofree char *rtree = resolve_path (ck.tree);
  g_autofree char *rwork = resolve_path (ck.work);
  gboolean nested = path_within (rwork, rtree) || path_within (rtree, rwork);
  if (nested)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NOT_A_TREE,
                   "the work directory %s and the tree %s are inside one another: give --build-dir outside the tree",
                   ck.work, ck.tree);
      g_free (ck.work);
      return NULL;
    }

  gboolean ok = run_check (&ck, cancellable, error);
  g_free (ck.work);
  g_free (ck.src);
  g_free (ck.build);
  g_free (ck.objects);
  if (!ok)
    return NULL;
  if (res->touched == NULL)
    res->touched = g_ptr_array_new_with_free_func (g_free);
  return g_steal_pointer (&res);
}
