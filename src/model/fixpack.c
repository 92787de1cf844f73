/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load and validate a fix pack: fix.ini, each line's series, each patch.
 * Every error names the file and line a maintainer has to fix. */
#include "model/fixpack.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/read-limited.h"
#include "base/version.h"
#include "bp-config.h"
#include "base/path-safety.h"

/* fix.ini and a series file are a few KiB: a bigger one is not a pack's */
#define BP_FIXPACK_FILE_MAX (1024 * 1024)

G_DEFINE_QUARK (bp-fixpack-error-quark, bp_fixpack_error)

const char *
bp_verdict_to_string (BpVerdict verdict)
{
  return verdict == BP_VERDICT_AFFECTED ? "affected" : "not-affected";
}

static void
fix_line_free (BpFixLine *line)
{
  g_free (line->name);
  g_free (line->file);
  g_free (line->api);
  g_free (line->base);
  g_free (line->evidence);
  g_free (line->note);
  g_free (line->dir);
  g_free (line->needs_human);
  g_free (line->fixed_by);
  g_ptr_array_unref (line->patch_names);
  g_ptr_array_unref (line->patches);
  g_free (line);
}

void
bp_fixpack_free (BpFixPack *pack)
{
  if (pack == NULL)
    return;
  g_free (pack->name);
  g_free (pack->dir);
  g_free (pack->subject);
  g_free (pack->author);
  g_free (pack->date);
  g_free (pack->posting);
  g_free (pack->bug);
  g_free (pack->upstream_id);
  g_free (pack->culprit_id);
  g_free (pack->culprit_subject);
  g_free (pack->function);
  g_free (pack->helper);
  g_free (pack->bug_pattern);
  g_free (pack->reproducer);
  g_free (pack->guard);
  g_free (pack->function_dir);
  g_free (pack->bug_summary);
  g_clear_pointer (&pack->trailers, g_ptr_array_unref);
  g_clear_pointer (&pack->lines, g_ptr_array_unref);
  g_free (pack);
}

/* GKeyFile does not keep line numbers; errors must name one.  Index where
 * each "[group]" and "group/key" sits in the text. */
static GHashTable *
index_ini_lines (const char *text)
{
  GHashTable *where = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *group = g_strdup ("");
  for (guint i = 0; lines[i]; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (l[0] == '[')
        {
          char *close = strchr (l, ']');
          g_free (group);
          group = g_strndup (l + 1, close ? (gsize) (close - l - 1) : strlen (l + 1));
          g_hash_table_insert (where, g_strdup (group), GUINT_TO_POINTER (i + 1));
        }
      else if (l[0] != '#' && strchr (l, '='))
        {
          g_autofree char *key = g_strstrip (g_strndup (l, strchr (l, '=') - l));
          g_hash_table_insert (where, g_strdup_printf ("%s/%s", group, key), GUINT_TO_POINTER (i + 1));
        }
    }
  return where;
}

typedef struct {
  const char *path;      /* fix.ini */
  GKeyFile *kf;
  GHashTable *where;
} Ini;

static guint
ini_line (const Ini *ini, const char *group, const char *key)
{
  g_autofree char *k = key ? g_strdup_printf ("%s/%s", group, key) : g_strdup (group);
  gpointer v = g_hash_table_lookup (ini->where, k);
  if (v == NULL && key)
    v = g_hash_table_lookup (ini->where, group);
  return GPOINTER_TO_UINT (v);
}

/* A required, non-empty string. */
static char *
ini_require (const Ini *ini, const char *group, const char *key, GError **error)
{
  g_autofree char *v = g_key_file_get_string (ini->kf, group, key, NULL);
  if (v)
    g_strstrip (v);
  if (v == NULL || *v == '\0')
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s:%u: [%s] has no '%s=': add it", ini->path,
                   ini_line (ini, group, key), group, key);
      return NULL;
    }
  return g_steal_pointer (&v);
}

static char *
ini_optional (const Ini *ini, const char *group, const char *key)
{
  char *v = g_key_file_get_string (ini->kf, group, key, NULL);
  if (v && *g_strstrip (v) == '\0')
    g_clear_pointer (&v, g_free);
  return v;
}

/* The content probe's keys (all optional; see fix.ini): guard= the call
 * that makes the by-pattern path safe, dir= the directory holding the
 * function, bug-summary= how texts name the buggy path.  dir= is a path in
 * the tree, so it must stay inside it; it is kept with a trailing '/'. */
static gboolean
load_probe_keys (BpFixPack *pack, const Ini *ini, GError **error)
{
  pack->guard = ini_optional (ini, "fix", "guard");
  pack->bug_summary = ini_optional (ini, "fix", "bug-summary");
  g_autofree char *dir = ini_optional (ini, "fix", "dir");
  if (dir == NULL)
    return TRUE;
  while (g_str_has_suffix (dir, "/") && strlen (dir) > 1)
    dir[strlen (dir) - 1] = '\0';
  if (!bp_path_is_safe (dir, NULL))
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s:%u: dir '%s' must be a relative path inside the tree (no '..', not absolute)",
                   ini->path, ini_line (ini, "fix", "dir"), dir);
      return FALSE;
    }
  pack->function_dir = g_strconcat (dir, "/", NULL);
  return TRUE;
}

/* "10.2" -> 10 * 1000 + 2, for ordering lines; -1 for no line name. */
static int
version_key (const char *name)
{
  guint v[3];
  if (!bp_version_parse (name, v) || strchr (name, '.') != strrchr (name, '.'))
    return -1;
  return (int) (v[0] * 1000 + v[1]);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
compare_lines_newest_first (gconstpointer a, gconstpointer b)
{
  const BpFixLine *la = *(BpFixLine * const *) a, *lb = *(BpFixLine * const *) b;
  return version_key (lb->name) - version_key (la->name);
}

static gboolean
load_series (BpFixLine *line, const char *series_path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if ((text = bp_read_file_limited (series_path, BP_FIXPACK_FILE_MAX, TRUE, NULL, NULL, &local)) == NULL)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s: line %s is affected but its series cannot be read: %s",
                   series_path, line->name, local->message);
      return FALSE;
    }
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (*l == '\0' || *l == '#')
        continue;
      /* quilt allows options after the name ("x.patch -p1"); we use -p1 only */
      char *space = strpbrk (l, " \t");
      if (space)
        {
          if (strcmp (g_strstrip (space + 1), "-p1") != 0)
            {
              g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                           "%s:%u: only -p1 patches are supported, got '%s'", series_path, i + 1, space + 1);
              return FALSE;
            }
          *space = '\0';
        }
      if (strchr (l, '/') || strcmp (l, "..") == 0)
        {
          g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                       "%s:%u: '%s': series entries are file names in %s/", series_path, i + 1, l, line->dir);
          return FALSE;
        }
      g_autofree char *patch_path = g_build_filename (line->dir, l, NULL);
      if (!g_file_test (patch_path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                       g_file_test (patch_path, G_FILE_TEST_EXISTS)
                         ? "%s:%u: '%s' is listed but %s is not a regular file"
                         : "%s:%u: '%s' is listed but %s does not exist",
                       series_path, i + 1, l, patch_path);
          return FALSE;
        }
      g_autoptr(GError) perr = NULL;
      BpPatch *patch = bp_patch_load (patch_path, &perr);
      if (patch == NULL)
        {
          g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_PATCH,
                       "%s (listed at %s:%u)", perr->message, series_path, i + 1);
          return FALSE;
        }
      if (patch->subject == NULL || patch->author_email == NULL)
        {
          g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_PATCH,
                       "%s: not a `git format-patch` mail (no From:/Subject:); the pack needs the author",
                       patch_path);
          bp_patch_free (patch);
          return FALSE;
        }
      g_ptr_array_add (line->patch_names, g_strdup (l));
      g_ptr_array_add (line->patches, patch);
    }
  if (line->patches->len == 0)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s: empty series for affected line %s: list its patches", series_path, line->name);
      return FALSE;
    }
  return TRUE;
}

static BpFixLine *
load_line (BpFixPack *pack, const Ini *ini, const char *group, GError **error)
{
  g_autoptr(GPtrArray) holder = g_ptr_array_new_with_free_func ((GDestroyNotify) fix_line_free);
  BpFixLine *line = g_new0 (BpFixLine, 1);
  g_ptr_array_add (holder, line);
  line->pack = pack;
  line->name = g_strstrip (g_strdup (group + strlen ("line ")));
  line->patch_names = g_ptr_array_new_with_free_func (g_free);
  line->patches = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_patch_free);
  if (version_key (line->name) < 0)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s:%u: [%s]: a line is named X.Y, like [line 10.2]", ini->path,
                   ini_line (ini, group, NULL), group);
      return NULL;
    }

  g_autofree char *verdict = ini_require (ini, group, "verdict", error);
  if (verdict == NULL)
    return NULL;
  if (strcmp (verdict, "affected") == 0)
    line->verdict = BP_VERDICT_AFFECTED;
  else if (strcmp (verdict, "not-affected") == 0)
    line->verdict = BP_VERDICT_NOT_AFFECTED;
  else
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s:%u: [%s] verdict '%s': use 'affected' or 'not-affected'", ini->path,
                   ini_line (ini, group, "verdict"), group, verdict);
      return NULL;
    }
  /* The API era only matters to a reproducer, which needs it. */
  if (!(line->base = ini_require (ini, group, "base", error))
      || (pack->reproducer && !(line->api = ini_require (ini, group, "api", error))))
    return NULL;
  line->file = ini_optional (ini, group, "file");
  if (line->api == NULL)
    line->api = ini_optional (ini, group, "api");
  line->needs_human = ini_optional (ini, group, "needs-human");
  line->fixed_by = ini_optional (ini, group, "fixed-by");
  line->evidence = ini_optional (ini, group, "evidence");
  line->note = ini_optional (ini, group, "note");
  if (line->verdict == BP_VERDICT_NOT_AFFECTED && line->evidence == NULL)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s:%u: [%s] is not-affected but gives no 'evidence=' rule", ini->path,
                   ini_line (ini, group, NULL), group);
      return NULL;
    }

  g_autofree char *dir = g_build_filename (pack->dir, line->name, NULL);
  g_autofree char *series = g_build_filename (dir, "series", NULL);
  if (line->verdict == BP_VERDICT_AFFECTED && (line->needs_human || line->fixed_by))
    {
      /* Recorded by `pack new`: no series to carry (yet). */
      if (g_file_test (series, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                       "%s: line %s says %s but carries a series: remove one of them", series,
                       line->name, line->needs_human ? "needs-human=" : "fixed-by=");
          return NULL;
        }
    }
  else if (line->verdict == BP_VERDICT_AFFECTED)
    {
      line->dir = g_steal_pointer (&dir);
      if (!load_series (line, series, error))
        return NULL;
    }
  else if (g_file_test (series, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s: line %s is not-affected but carries a series: remove it or mark the line affected",
                   series, line->name);
      return NULL;
    }
  return g_ptr_array_steal_index (holder, 0);
}

BpFixPack *
bp_fixpack_load (const char *dir, GError **error)
{
  g_autoptr(BpFixPack) pack = g_new0 (BpFixPack, 1);
  g_autoptr(GFile) dir_file = g_file_new_for_path (dir);
  pack->dir = g_file_get_path (dir_file);   /* absolute */
  pack->name = g_path_get_basename (pack->dir);
  pack->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) fix_line_free);
  pack->trailers = g_ptr_array_new_with_free_func (g_free);

  g_autofree char *path = g_build_filename (pack->dir, "fix.ini", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if ((text = bp_read_file_limited (path, BP_FIXPACK_FILE_MAX, TRUE, NULL, NULL, &local)) == NULL)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND,
                   "%s: no fix pack here (%s)", path, local->message);
      return NULL;
    }
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_key_file_set_list_separator (kf, ';');
  if (!g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID, "%s: %s", path, local->message);
      return NULL;
    }
  g_autoptr(GHashTable) where = index_ini_lines (text);
  Ini ini = { path, kf, where };

  if (!g_key_file_has_group (kf, "fix"))
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s:1: no [fix] group: the pack's identity is missing", path);
      return NULL;
    }
  g_autofree char *version = ini_require (&ini, "fix", "version", error);
  if (version == NULL)
    return NULL;
  pack->version = (guint) g_ascii_strtoull (version, NULL, 10);
  if (!(pack->subject = ini_require (&ini, "fix", "subject", error)) ||
      !(pack->author = ini_require (&ini, "fix", "author", error)) ||
      !(pack->date = ini_require (&ini, "fix", "date", error)) ||
      !(pack->culprit_id = ini_require (&ini, "fix", "culprit", error)))
    return NULL;
  pack->reproducer = ini_optional (&ini, "fix", "reproducer");
  /* The reproducer drives the function it names; other packs may name one. */
  if (pack->reproducer && !(pack->function = ini_require (&ini, "fix", "function", error)))
    return NULL;
  if (pack->function == NULL)
    pack->function = ini_optional (&ini, "fix", "function");
  pack->culprit_subject = ini_optional (&ini, "fix", "culprit-subject");
  pack->posting = ini_optional (&ini, "fix", "posting");
  pack->bug = ini_optional (&ini, "fix", "bug");
  pack->upstream_id = ini_optional (&ini, "fix", "upstream");
  pack->helper = ini_optional (&ini, "fix", "helper");
  pack->bug_pattern = ini_optional (&ini, "fix", "bug-pattern");
  if (!load_probe_keys (pack, &ini, error))
    return NULL;
  const char *ids[] = { pack->culprit_id, pack->upstream_id };
  const char *keys[] = { "culprit", "upstream" };
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    if (ids[i] && (strlen (ids[i]) != 40 || strspn (ids[i], "0123456789abcdef") != 40))
      {
        g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                     "%s:%u: %s '%s' is not a full 40-hex commit id", path,
                     ini_line (&ini, "fix", keys[i]), keys[i], ids[i]);
        return NULL;
      }
  g_auto(GStrv) trailers = g_key_file_get_string_list (kf, "fix", "trailers", NULL, NULL);
  for (char **t = trailers; t && *t; t++)
    if (*g_strstrip (*t))
      g_ptr_array_add (pack->trailers, g_strdup (*t));

  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);
  for (char **g = groups; *g; g++)
    {
      if (strcmp (*g, "fix") == 0)
        continue;
      if (!g_str_has_prefix (*g, "line "))
        {
          g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                       "%s:%u: unknown group [%s]: expected [fix] or [line X.Y]", path,
                       ini_line (&ini, *g, NULL), *g);
          return NULL;
        }
      BpFixLine *line = load_line (pack, &ini, *g, error);
      if (line == NULL)
        return NULL;
      g_ptr_array_add (pack->lines, line);
    }
  if (pack->lines->len == 0)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_INVALID,
                   "%s: no [line X.Y] group: say which stable lines the fix concerns", path);
      return NULL;
    }
  g_ptr_array_sort (pack->lines, compare_lines_newest_first);
  return g_steal_pointer (&pack);
}

const char *
bp_fixpack_default_root (void)
{
  const char *env = g_getenv ("BACKPORT_PACKS");
  if (env && *env)
    return env;
  return BP_SOURCE_DIR "/patches";
}

char *
bp_fixpack_user_root (void)
{
  const char *env = g_getenv ("BACKPORT_PACKS");
  if (env && *env)
    return NULL;
  return g_build_filename (g_get_user_data_dir (), "backport", "packs", NULL);
}

GPtrArray *
bp_fixpack_roots (void)
{
  GPtrArray *roots = g_ptr_array_new_with_free_func (g_free);
  char *user = bp_fixpack_user_root ();
  if (user)
    g_ptr_array_add (roots, user);
  g_ptr_array_add (roots, g_strdup (bp_fixpack_default_root ()));
  return roots;
}

/* The pack directories of ROOT (those with a fix.ini), sorted. */
static GPtrArray *
packs_in (const char *root)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = g_dir_open (root, 0, NULL);
  const char *entry;
  while (d && (entry = g_dir_read_name (d)))
    {
      g_autofree char *ini = g_build_filename (root, entry, "fix.ini", NULL);
      if (g_file_test (ini, G_FILE_TEST_EXISTS))
        g_ptr_array_add (found, g_strdup (entry));
    }
  g_ptr_array_sort (found, (GCompareFunc) compare_strings);
  return found;
}

BpFixPack *
bp_fixpack_load_default (const char *name, GError **error)
{
  if (name)
    {
      if (strchr (name, '/') || strcmp (name, "..") == 0 || strcmp (name, ".") == 0)
        {
          g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND,
                       "'%s' is not a pack name: a pack is named by its directory name, without '/'", name);
          return NULL;
        }
      g_autoptr(GPtrArray) roots = bp_fixpack_roots ();
      for (guint i = 0; i < roots->len; i++)
        {
          g_autofree char *dir = g_build_filename (roots->pdata[i], name, NULL);
          g_autofree char *ini = g_build_filename (dir, "fix.ini", NULL);
          if (g_file_test (ini, G_FILE_TEST_EXISTS))
            return bp_fixpack_load (dir, error);
        }
      g_ptr_array_add (roots, NULL);
      g_autofree char *where = g_strjoinv (", ", (char **) roots->pdata);
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND,
                   "no fix pack '%s' in %s; `backport list` shows the packs", name, where);
      return NULL;
    }
  const char *root = bp_fixpack_default_root ();
  g_autoptr(GPtrArray) found = packs_in (root);
  if (found->len != 1)
    {
      g_set_error (error, BP_FIXPACK_ERROR,
                   found->len == 0 ? BP_FIXPACK_ERROR_NOT_FOUND : BP_FIXPACK_ERROR_SEVERAL,
                   found->len == 0 ? "%s: no fix pack (a directory with fix.ini); set BACKPORT_PACKS"
                                   : "%s: several fix packs", root);
      return NULL;
    }
  g_autofree char *dir = g_build_filename (root, g_ptr_array_index (found, 0), NULL);
  return bp_fixpack_load (dir, error);
}

BpFixLine *
bp_fixpack_get_line (BpFixPack *pack, const char *name, GError **error)
{
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (pack->lines, i);
      if (strcmp (line->name, name) == 0)
        return line;
    }
  g_autoptr(GString) names = g_string_new (NULL);
  for (guint i = 0; i < pack->lines->len; i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "", ((BpFixLine *) g_ptr_array_index (pack->lines, i))->name);
  g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND,
               "no line '%s' in fix pack %s (lines: %s)", name, pack->name, names->str);
  return NULL;
}

BpFixLine *
bp_fixpack_line_for_version (BpFixPack *pack, const char *version)
{
  g_autofree char *name = bp_version_line (version);
  for (guint i = 0; name && i < pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (pack->lines, i);
      if (strcmp (line->name, name) == 0)
        return line;
    }
  return NULL;
}

static int
compare_pack_names (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(BpFixPack * const *) a)->name, (*(BpFixPack * const *) b)->name);
}

GPtrArray *
bp_fixpack_load_all (GError **error)
{
  g_autoptr(GPtrArray) roots = bp_fixpack_roots ();
  g_autoptr(GPtrArray) packs = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_fixpack_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint r = 0; r < roots->len; r++)
    {
      g_autoptr(GPtrArray) names = packs_in (roots->pdata[r]);
      for (guint i = 0; i < names->len; i++)
        {
          if (g_hash_table_contains (seen, names->pdata[i]))
            continue;   /* the first root wins */
          g_autofree char *dir = g_build_filename (roots->pdata[r], names->pdata[i], NULL);
          BpFixPack *pack = bp_fixpack_load (dir, error);
          if (pack == NULL)
            return NULL;
          g_hash_table_add (seen, g_strdup (names->pdata[i]));
          g_ptr_array_add (packs, pack);
        }
    }
  if (packs->len == 0)
    {
      g_set_error (error, BP_FIXPACK_ERROR, BP_FIXPACK_ERROR_NOT_FOUND,
                   "%s: no fix pack (a directory with fix.ini); set BACKPORT_PACKS",
                   bp_fixpack_default_root ());
      return NULL;
    }
  g_ptr_array_sort (packs, compare_pack_names);
  return g_steal_pointer (&packs);
}
