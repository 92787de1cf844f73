/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Build systems, their pre-requisites and configure: which build system a
 * tree has, what this machine lacks for it, the configure line (cached in
 * WORK/state.ini), and why a configure failed (missing packages, missing
 * subprojects, too old a meson). */
#include <string.h>

#include "engines/build/build-private.h"

/* Which build system TREE has: QEMU's configure wrapping meson, or meson.
 * SHOWN is the tree as the user gave it, for the message. */
gboolean
bp_build_detect_system (const char *tree, const char *shown, BpBuildSystem *system, GError **error)
{
  g_autofree char *configure_path = g_build_filename (tree, "configure", NULL);
  g_autofree char *meson_path = g_build_filename (tree, "meson.build", NULL);
  gboolean has_configure = g_file_test (configure_path, G_FILE_TEST_IS_REGULAR);
  gboolean has_meson = g_file_test (meson_path, G_FILE_TEST_IS_REGULAR);
  if (has_configure && has_meson)
    *system = BP_BUILD_QEMU;
  else if (has_meson)
    *system = BP_BUILD_MESON;
  else
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_NO_BUILD_SYSTEM,
                   "%s has no build system to compile with (neither QEMU's configure + meson.build nor "
                   "a meson.build): give the top of an unpacked QEMU source tree", shown);
      return FALSE;
    }
  return TRUE;
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

gboolean
bp_build_check_prerequisites (BpBuildCheck *ck, GCancellable *cancellable, GError **error)
{
  g_autofree char *ninja = g_find_program_in_path ("ninja");
  if (ninja == NULL)
    {
      g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_MISSING_DEPS,
                   "ninja is not installed: apt-get install ninja-build");
      return FALSE;
    }
  g_autofree char *meson = g_find_program_in_path ("meson");

  if (ck->system == BP_BUILD_MESON)
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
check_meson_version (BpBuildCheck *ck, GCancellable *cancellable, GError **error)
{
  if (ck->system != BP_BUILD_QEMU)
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
qemu_configure_argv (BpBuildCheck *ck, GCancellable *cancellable, GError **error)
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
          bp_build_add_unique (packages, "meson");
        }
      else if (strstr (line, "Python package 'meson' was not found"))
        bp_build_add_unique (packages, "meson");
      else if (strstr (line, "missing libfdt") || strstr (line, "fdt disabled but required")
               || strstr (line, "libfdt is too old"))
        bp_build_add_unique (packages, "libfdt-dev");
      else if (strstr (line, "Cannot find Ninja") || strstr (line, "Could not detect Ninja"))
        bp_build_add_unique (packages, "ninja-build");
      else if (strstr (line, "ensurepip") || strstr (line, "No module named 'venv'")
               || strstr (line, "No module named venv"))
        bp_build_add_unique (packages, "python3-venv");
      else if (strstr (line, "Pkg-config binary") && strstr (line, "not found"))
        bp_build_add_unique (packages, "pkgconf");
      else if ((strstr (line, "compiler") && strstr (line, "either does not exist or does not work"))
               || strstr (line, "Unknown compiler(s)"))
        bp_build_add_unique (packages, "gcc");
      else if (strstr (line, "ERROR") && (name = quoted_after (line, "Dependency")) != NULL
               && (strstr (line, "not found") || strstr (line, "failed")))
        {
          const char *pkg = package_for (name);
          g_autofree char *guess = g_strdup_printf ("the -dev package providing %s.pc", name);
          bp_build_add_unique (packages, pkg ? pkg : guess);
        }
      else if (strstr (line, "ERROR") && strstr (line, "library") && strstr (line, "not found")
               && (name = quoted_after (line, "library")) != NULL)
        {
          const char *pkg = package_for (name);
          g_autofree char *guess = g_strdup_printf ("lib%s-dev", name);
          bp_build_add_unique (packages, pkg ? pkg : guess);
        }
      else if (strstr (line, "ERROR") && (name = quoted_after (line, "Program")) != NULL
               && strstr (line, "not found"))
        {
          const char *pkg = package_for (name);
          bp_build_add_unique (packages, pkg ? pkg : name);
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

gboolean
bp_build_configure (BpBuildCheck *ck, GCancellable *cancellable, GError **error)
{
  g_autofree char *state_path = g_build_filename (ck->work, "state.ini", NULL);
  g_autoptr(GKeyFile) state = g_key_file_new ();
  g_key_file_load_from_file (state, state_path, G_KEY_FILE_NONE, NULL);

  /* What the configure line depends on: the script and the tools. */
  g_autofree char *python = find_tool ("python3");
  g_autofree char *key = NULL;
  if (ck->system == BP_BUILD_QEMU)
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
      bp_build_check_progress (ck, "reusing the configured build in %s", ck->build);
      return TRUE;
    }

  if (!check_meson_version (ck, cancellable, error))
    return FALSE;
  g_autoptr(GPtrArray) argv = NULL;
  if (ck->system == BP_BUILD_QEMU)
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

  if (!bp_build_rm_rf (ck->build, error))
    return FALSE;
  g_mkdir_with_parents (ck->build, 0755);
  g_key_file_set_boolean (state, "configure", "ok", FALSE);
  g_key_file_save_to_file (state, state_path, NULL);

  bp_build_check_progress (ck, "configuring %s (%s) in %s", ck->tree,
                  ck->system == BP_BUILD_QEMU ? "QEMU configure" : "meson setup", ck->build);
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
                       "configure of %s ran past its deadline of %u s and was killed",
                       ck->tree, ck->timeout);
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  ck->res->configure_seconds = bp_build_seconds_since (start);
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
  bp_build_check_progress (ck, "configured in %.1f s", ck->res->configure_seconds);
  g_key_file_set_string (state, "configure", "args", args);
  g_key_file_set_string (state, "configure", "key", key);
  g_key_file_set_boolean (state, "configure", "ok", TRUE);
  g_key_file_set_double (state, "configure", "seconds", ck->res->configure_seconds);
  if (ck->res->version)
    g_key_file_set_string (state, "configure", "version", ck->res->version);
  return g_key_file_save_to_file (state, state_path, error);
}
