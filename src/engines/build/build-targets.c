/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The objects of the touched files, from compile_commands.json, and the
 * generated headers they need, from ninja and the compiler. */
#include <string.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>

#include "engines/build/build-private.h"

#define MAX_LOG_TAIL 8

void
bp_compile_entry_free (BpCompileEntry *e)
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
GPtrArray *
bp_build_load_compile_entries (BpBuildCheck *ck, GHashTable *wanted, GError **error)
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
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_compile_entry_free);
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
      BpCompileEntry *e = g_new0 (BpCompileEntry, 1);
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

gint64
bp_build_file_mtime (const char *path)
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

char *
bp_build_replace_all (const char *text, const char *from, const char *to)
{
  if (from == NULL || from[0] == '\0')
    return g_strdup (text);
  g_auto(GStrv) parts = g_strsplit (text, from, -1);
  return g_strjoinv (to, parts);
}

/* The generated headers the objects need.  meson makes every generated
 * header of a target an order-only input of each of its objects (166 ninja
 * steps for hw/vfio/container.c on 10.2); the object itself includes a
 * handful.  So ask the compiler (-M -MG lists headers that do not exist
 * yet), build those with ninja, and ask again until nothing new appears.
 * The list is cached for the next run, and each compile's own depfile
 * catches a header the list missed. */

void
bp_build_headers_clear (BpBuildHeaders *h)
{
  g_clear_pointer (&h->all, g_hash_table_unref);
  g_clear_pointer (&h->needed, g_hash_table_unref);
  g_clear_pointer (&h->cache_path, g_free);
  g_clear_pointer (&h->cache_key, g_free);
}

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

gboolean
bp_build_headers_load (BpBuildCheck *ck, GPtrArray *entries, BpBuildHeaders *h, GCancellable *cancellable, GError **error)
{
  bp_build_headers_clear (h);
  h->all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  h->needed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (entries->len == 0)
    return TRUE;

  g_autofree char *ninja_file = g_build_filename (ck->build, "build.ninja", NULL);
  GString *key = g_string_new (NULL);
  g_string_append_printf (key, "%" G_GINT64_FORMAT, bp_build_file_mtime (ninja_file));
  for (guint i = 0; i < entries->len; i++)
    g_string_append_printf (key, " %s", ((BpCompileEntry *) entries->pdata[i])->output);
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
        g_ptr_array_add (qargv, ((BpCompileEntry *) entries->pdata[i])->output);
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
gboolean
bp_build_headers_build (BpBuildCheck *ck, BpBuildHeaders *h, GHashTable *set, GCancellable *cancellable, GError **error)
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
    bp_build_check_progress (ck, "generating all %u headers the target generates", g_hash_table_size (set));
  else
    bp_build_check_progress (ck, "generating %u header%s the objects include", g_hash_table_size (set),
                    g_hash_table_size (set) == 1 ? "" : "s");
  gint64 start = g_get_monotonic_time ();
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) local = NULL;
  if (!bp_build_run ((const char *const *) argv->pdata, NULL, ck->timeout, &out, &status, cancellable, &local))
    {
      if (g_error_matches (local, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT))
        g_set_error (error, BP_BUILD_ERROR, BP_BUILD_ERROR_TIMEOUT,
                     "generating headers in %s ran past its deadline of %u s and was killed",
                     ck->build, ck->timeout);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  double secs = bp_build_seconds_since (start);
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
  bp_build_check_progress (ck, "headers ready: %u ninja step%s in %.1f s", steps, steps == 1 ? "" : "s", secs);
  return TRUE;
}

/* The files a make-style depfile names, relative to the build directory
 * where they are inside it. */
GPtrArray *
bp_build_depfile_entries (BpBuildCheck *ck, const char *path)
{
  GPtrArray *deps = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return deps;
  g_autofree char *joined = bp_build_replace_all (text, "\\\n", " ");
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
headers_note (BpBuildHeaders *h, GPtrArray *deps, GHashTable *fresh)
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
GPtrArray *
bp_build_compiler_argv (const BpCompileEntry *e, const char *obj, const char *depfile)
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
headers_closure (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *entries, gboolean *preprocessed,
                 GCancellable *cancellable, GError **error)
{
  *preprocessed = TRUE;
  for (guint round = 0; round < 8; round++)
    {
      g_autoptr(GHashTable) fresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < entries->len; i++)
        {
          BpCompileEntry *e = entries->pdata[i];
          g_autofree char *src_file = g_build_filename (ck->src, e->rel, NULL);
          if (!g_file_test (src_file, G_FILE_TEST_EXISTS))
            continue;
          g_autofree char *flat = g_strdelimit (g_strdup (e->output), "/", '_');
          g_autofree char *depfile = g_strdup_printf ("%s/%s.includes.d", ck->objects, flat);
          g_autoptr(GPtrArray) argv = bp_build_compiler_argv (e, NULL, depfile);
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
          g_autoptr(GPtrArray) deps = bp_build_depfile_entries (ck, depfile);
          headers_note (h, deps, fresh);
        }
      if (g_hash_table_size (fresh) == 0)
        return TRUE;
      if (!bp_build_headers_build (ck, h, fresh, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* Bring the generated headers of ENTRIES up to date: the cached list, or
 * the compiler's answer, or (when it cannot say) all of them. */
gboolean
bp_build_headers_prepare (BpBuildCheck *ck, BpBuildHeaders *h, GPtrArray *entries, GCancellable *cancellable, GError **error)
{
  if (g_hash_table_size (h->all) == 0)
    return TRUE;
  if (h->cached)
    return bp_build_headers_build (ck, h, h->needed, cancellable, error);
  gboolean preprocessed = TRUE;
  if (!headers_closure (ck, h, entries, &preprocessed, cancellable, error))
    return FALSE;
  if (!preprocessed)
    {
      bp_build_check_progress (ck, "the preprocessor cannot list the includes: generating every header of the target");
      return bp_build_headers_build (ck, h, NULL, cancellable, error);
    }
  write_cache (h->cache_path, h->cache_key, h->needed);
  h->cached = TRUE;
  return TRUE;
}

/* After compiling E: when it turned out to include a generated header that
 * was not built (or not refreshed) yet, generate it and set *AGAIN. */
gboolean
bp_build_headers_follow_up (BpBuildCheck *ck, BpBuildHeaders *h, BpCompileEntry *e, BpCompileRun *run, GPtrArray *deps,
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
      bp_build_check_progress (ck, "%s includes %u generated header%s not refreshed yet: compiling again", e->rel,
                      g_hash_table_size (fresh), g_hash_table_size (fresh) == 1 ? "" : "s");
      if (!bp_build_headers_build (ck, h, fresh, cancellable, error))
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
      bp_build_check_progress (ck, "%s includes generated headers that were missing: compiling again", e->rel);
    }
  write_cache (h->cache_path, h->cache_key, h->needed);
  *again = TRUE;
  return TRUE;
}
