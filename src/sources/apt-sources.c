/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system's apt sources -> the private deb-src list.  See apt-sources.h. */
#include <string.h>

#include "sources/apt-sources.h"
#include "sources/trees.h"

/* Suites the private deb-src list asks for when the caller names none. */
static const char *const default_suites[] = { "sid", "trixie", "trixie-backports", "experimental", NULL };

typedef struct {
  char *file;          /* where it was read, for notes */
  gboolean deb, deb_src, enabled, trusted;
  GPtrArray *uris;     /* char* */
  GPtrArray *suites;   /* char* */
  char *signed_by;     /* a key file path, or NULL (embedded keys are not carried) */
} AptEntry;

static void
apt_entry_free (AptEntry *e)
{
  g_free (e->file);
  g_ptr_array_unref (e->uris);
  g_ptr_array_unref (e->suites);
  g_free (e->signed_by);
  g_free (e);
}

static AptEntry *
apt_entry_new (const char *file)
{
  AptEntry *e = g_new0 (AptEntry, 1);
  e->file = g_strdup (file);
  e->enabled = TRUE;
  e->uris = g_ptr_array_new_with_free_func (g_free);
  e->suites = g_ptr_array_new_with_free_func (g_free);
  return e;
}

static gboolean
is_yes (const char *v)
{
  return g_ascii_strcasecmp (v, "yes") == 0 || g_ascii_strcasecmp (v, "true") == 0
         || g_ascii_strcasecmp (v, "with") == 0 || strcmp (v, "1") == 0;
}

/* A one-line entry: `deb [opt=v ...] URI SUITE [COMPONENT...]`. */
static void
parse_one_line (const char *file, const char *text, GPtrArray *entries)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *hash = strchr (*l, '#');
      if (hash)
        *hash = '\0';
      /* "[ a=b c=d ]" may have spaces inside: isolate the brackets first */
      g_autofree char *opts = NULL;
      char *p = *l + strspn (*l, " \t");
      p += strcspn (p, " \t");               /* past the type */
      p += strspn (p, " \t");
      char *open = *p == '[' ? p : NULL;     /* options come right after it; a URI may hold [::1] */
      char *close = open ? strchr (open, ']') : NULL;
      if (open && close)
        {
          opts = g_strndup (open + 1, close - open - 1);
          memset (open, ' ', close - open + 1);
        }
      g_auto(GStrv) tok = g_strsplit_set (g_strstrip (*l), " \t", -1);
      g_autoptr(GPtrArray) words = g_ptr_array_new ();
      for (char **t = tok; *t; t++)
        if (**t)
          g_ptr_array_add (words, *t);
      if (words->len < 3)
        continue;
      const char *type = words->pdata[0];
      if (strcmp (type, "deb") != 0 && strcmp (type, "deb-src") != 0)
        continue;
      AptEntry *e = apt_entry_new (file);
      e->deb = strcmp (type, "deb") == 0;
      e->deb_src = !e->deb;
      g_ptr_array_add (e->uris, g_strdup (words->pdata[1]));
      g_ptr_array_add (e->suites, g_strdup (words->pdata[2]));
      if (opts)
        {
          g_auto(GStrv) o = g_strsplit_set (g_strstrip (opts), " \t", -1);
          for (char **p = o; *p; p++)
            {
              if (g_str_has_prefix (*p, "signed-by="))
                e->signed_by = g_strdup (*p + strlen ("signed-by="));
              else if (g_str_has_prefix (*p, "trusted="))
                e->trusted = is_yes (*p + strlen ("trusted="));
            }
        }
      g_ptr_array_add (entries, e);
    }
}

static void
deb822_flush (const char *file, GHashTable *fields, GPtrArray *entries)
{
  if (g_hash_table_size (fields) == 0)
    return;
  const char *types = g_hash_table_lookup (fields, "types");
  const char *uris = g_hash_table_lookup (fields, "uris");
  const char *suites = g_hash_table_lookup (fields, "suites");
  if (types && uris && suites)
    {
      AptEntry *e = apt_entry_new (file);
      g_auto(GStrv) t = g_strsplit_set (types, " \t\n", -1);
      for (char **p = t; *p; p++)
        {
          e->deb |= strcmp (*p, "deb") == 0;
          e->deb_src |= strcmp (*p, "deb-src") == 0;
        }
      g_auto(GStrv) u = g_strsplit_set (uris, " \t\n", -1);
      for (char **p = u; *p; p++)
        if (**p)
          g_ptr_array_add (e->uris, g_strdup (*p));
      g_auto(GStrv) s = g_strsplit_set (suites, " \t\n", -1);
      for (char **p = s; *p; p++)
        if (**p)
          g_ptr_array_add (e->suites, g_strdup (*p));
      const char *enabled = g_hash_table_lookup (fields, "enabled");
      if (enabled && !is_yes (enabled))
        e->enabled = FALSE;
      const char *trusted = g_hash_table_lookup (fields, "trusted");
      e->trusted = trusted && is_yes (trusted);
      const char *signed_by = g_hash_table_lookup (fields, "signed-by");
      if (signed_by && strchr (signed_by, '\n') == NULL && *signed_by)
        e->signed_by = g_strdup (signed_by);
      g_ptr_array_add (entries, e);
    }
  g_hash_table_remove_all (fields);
}

/* deb822 stanzas: "Field: value", continuation lines start with a blank. */
static void
parse_deb822 (const char *file, const char *text, GPtrArray *entries)
{
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *last = NULL;
  for (char **l = lines; *l; l++)
    {
      char *line = *l;
      if (line[0] == '#')
        continue;
      if (line[strspn (line, " \t\r")] == '\0')
        {
          deb822_flush (file, fields, entries);
          g_clear_pointer (&last, g_free);
          continue;
        }
      if ((line[0] == ' ' || line[0] == '\t') && last)
        {
          const char *old = g_hash_table_lookup (fields, last);
          g_autofree char *cont = g_strstrip (g_strdup (line));
          g_hash_table_insert (fields, g_strdup (last), g_strdup_printf ("%s\n%s", old ? old : "", cont));
          continue;
        }
      char *colon = strchr (line, ':');
      if (colon == NULL)
        continue;
      g_free (last);
      last = g_ascii_strdown (line, colon - line);
      g_strstrip (last);
      g_hash_table_insert (fields, g_strdup (last), g_strstrip (g_strdup (colon + 1)));
    }
  deb822_flush (file, fields, entries);
}

/* The name apt gives a downloaded index file (apt-pkg URItoFileName):
 * the URI without scheme and credentials, special characters %-quoted,
 * '/' turned into '_'. */
static char *
uri_to_list_name (const char *uri)
{
  const char *p = strstr (uri, "://");
  if (p)
    p += 3;
  else if ((p = strchr (uri, ':')) != NULL)
    p += 1;   /* file:/srv/x */
  else
    p = uri;
  const char *at = strchr (p, '@'), *slash = strchr (p, '/');
  if (at && (!slash || at < slash))
    p = at + 1;
  GString *out = g_string_new (NULL);
  for (; *p; p++)
    {
      unsigned char c = *p;
      if (c == '/')
        g_string_append_c (out, '_');
      else if (c <= 0x20 || c >= 0x7f || strchr ("\\|{}[]<>\"^~_=!@#$%^&*", c))
        g_string_append_printf (out, "%%%02x", c);
      else
        g_string_append_c (out, c);
    }
  return g_string_free (out, FALSE);
}

static char *
strip_trailing_slash (const char *uri)
{
  char *u = g_strdup (uri);
  size_t n = strlen (u);
  while (n > 1 && u[n - 1] == '/')
    u[--n] = '\0';
  return u;
}

/* "Origin" and "Label" of a Release or InRelease file. */
static gboolean
read_release (const char *path, char **origin, char **label)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      if (g_str_has_prefix (*l, "Origin:") && *origin == NULL)
        *origin = g_strstrip (g_strdup (*l + strlen ("Origin:")));
      else if (g_str_has_prefix (*l, "Label:") && *label == NULL)
        *label = g_strstrip (g_strdup (*l + strlen ("Label:")));
    }
  return TRUE;
}

static const char *const debian_suites[] = {
  "stable", "testing", "unstable", "oldstable", "oldoldstable", "experimental", "rc-buggy",
  "buzz", "rex", "bo", "hamm", "slink", "potato", "woody", "sarge", "etch", "lenny",
  "squeeze", "wheezy", "jessie", "stretch", "buster", "bullseye", "bookworm", "trixie",
  "forky", "duke", "sid", NULL
};

/* Is (URI, SUITE) the Debian archive?  Returns NULL when it is, else why not. */
static char *
debian_archive_reason (const char *uri, const char *suite, const char *lists_dir)
{
  if (!(g_str_has_prefix (uri, "http://") || g_str_has_prefix (uri, "https://")
        || g_str_has_prefix (uri, "ftp://") || g_str_has_prefix (uri, "file:")
        || g_str_has_prefix (uri, "tor+")))
    return g_strdup ("not an http, ftp or file URI");
  if (g_str_has_suffix (suite, "/"))
    return g_strdup ("a flat repository");

  /* The system's own copy of the Release file says whose archive it is. */
  g_autofree char *base = strip_trailing_slash (uri);
  g_autofree char *dists = g_strdup_printf ("%s/dists/%s/", base, suite);
  g_autofree char *mangled = uri_to_list_name (dists);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s%s", lists_dir, mangled, i == 0 ? "InRelease" : "Release");
      g_autofree char *origin = NULL, *label = NULL;
      if (!read_release (path, &origin, &label))
        continue;
      /* the main archive; its backports suites say "Debian Backports" */
      if ((g_strcmp0 (origin, "Debian") == 0 && g_strcmp0 (label, "Debian") == 0)
          || (g_strcmp0 (origin, "Debian Backports") == 0 && g_strcmp0 (label, "Debian Backports") == 0))
        return NULL;
      return g_strdup_printf ("its Release file says Origin: %s, Label: %s",
                              origin ? origin : "(none)", label ? label : "(none)");
    }

  /* Never downloaded: judge by the names. */
  if (strstr (suite, "-security") || strstr (suite, "/updates"))
    return g_strdup ("the security archive");
  const char *last = strrchr (base, '/');
  last = last ? last + 1 : base;
  if (g_str_has_suffix (last, "-security"))
    return g_strdup ("the security archive");
  if (g_str_has_suffix (last, "-debug") || g_str_has_suffix (last, "-ports"))
    return g_strdup_printf ("the %s archive", last);
  g_autofree char *name = g_strdup (suite);
  const char *suffixes[] = { "-proposed-updates", "-backports-sloppy", "-backports", "-updates", NULL };
  for (const char **s = suffixes; *s; s++)
    if (g_str_has_suffix (name, *s))
      {
        name[strlen (name) - strlen (*s)] = '\0';
        break;
      }
  if (!g_strv_contains (debian_suites, name))
    return g_strdup_printf ("suite %s is not a Debian suite (and the system has no Release file for it)", suite);
  return NULL;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
read_sources_dir (const char *apt_etc, GPtrArray *entries, GError **error)
{
  g_autofree char *main_list = g_build_filename (apt_etc, "sources.list", NULL);
  g_autofree char *text = NULL;
  if (g_file_get_contents (main_list, &text, NULL, NULL))
    parse_one_line (main_list, text, entries);

  g_autofree char *parts = g_build_filename (apt_etc, "sources.list.d", NULL);
  g_autoptr(GDir) dir = g_dir_open (parts, 0, NULL);
  if (dir == NULL)
    return TRUE;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *n; (n = g_dir_read_name (dir)) != NULL;)
    if (g_str_has_suffix (n, ".list") || g_str_has_suffix (n, ".sources"))
      g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = names->pdata[i];
      g_autofree char *path = g_build_filename (parts, n, NULL);
      g_autofree char *body = NULL;
      g_autoptr(GError) local = NULL;
      if (!g_file_get_contents (path, &body, NULL, &local))
        {
          g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_SOURCES,
                       "cannot read apt sources %s: %s", path, local->message);
          return FALSE;
        }
      if (g_str_has_suffix (n, ".list"))
        parse_one_line (path, body, entries);
      else
        parse_deb822 (path, body, entries);
    }
  return TRUE;
}

char *
bp_trees_debian_sources (const char *apt_etc, const char *lists_dir,
                         const char *const *suites, GPtrArray *notes,
                         GError **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) apt_entry_free);
  if (!read_sources_dir (apt_etc, entries, error))
    return NULL;
  if (suites == NULL)
    suites = default_suites;

  /* URI (without trailing slash) -> options text, in first-seen order */
  g_autoptr(GPtrArray) uris = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* entries left out, said only when their URI is not taken from another entry */
  g_autoptr(GPtrArray) left_base = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) left_text = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < entries->len; i++)
    {
      AptEntry *e = entries->pdata[i];
      for (guint u = 0; u < e->uris->len; u++)
        {
          const char *uri = e->uris->pdata[u];
          g_autofree char *base = strip_trailing_slash (uri);
          if (!e->enabled)
            {
              g_ptr_array_add (left_base, g_strdup (base));
              g_ptr_array_add (left_text, g_strdup_printf ("%s: %s left out: disabled", e->file, uri));
              continue;
            }
          g_autofree char *why = NULL;
          for (guint s = 0; s < e->suites->len; s++)
            {
              g_autofree char *r = debian_archive_reason (uri, e->suites->pdata[s], lists_dir);
              if (r == NULL)
                {
                  g_clear_pointer (&why, g_free);
                  break;
                }
              if (why == NULL)
                why = g_steal_pointer (&r);
            }
          if (why)
            {
              g_ptr_array_add (left_base, g_strdup (base));
              g_ptr_array_add (left_text, g_strdup_printf ("%s: %s left out: %s", e->file, uri, why));
              continue;
            }
          if (g_hash_table_contains (options, base))
            continue;
          GString *o = g_string_new (NULL);
          if (e->signed_by)
            g_string_append_printf (o, "signed-by=%s ", e->signed_by);
          if (e->trusted)
            g_string_append (o, "trusted=yes ");
          if (o->len)
            {
              g_string_truncate (o, o->len - 1);
              g_string_prepend (o, "[");
              g_string_append (o, "] ");
            }
          g_hash_table_insert (options, g_strdup (base), g_string_free (o, FALSE));
          g_ptr_array_add (uris, g_strdup (base));
        }
    }
  for (guint i = 0; notes && i < left_base->len; i++)
    if (!g_hash_table_contains (options, left_base->pdata[i]))
      g_ptr_array_add (notes, g_strdup (left_text->pdata[i]));
  if (uris->len == 0)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_SOURCES,
                   "no Debian archive URI in the apt sources under %s to build deb-src entries from; "
                   "add one (e.g. a deb line for your Debian mirror)",
                   apt_etc);
      return NULL;
    }
  GString *out = g_string_new ("# Generated by backport from the system's apt sources; rewritten on each run.\n");
  for (guint i = 0; i < uris->len; i++)
    for (const char *const *s = suites; *s; s++)
      g_string_append_printf (out, "deb-src %s%s %s main\n",
                              (char *) g_hash_table_lookup (options, uris->pdata[i]),
                              (char *) uris->pdata[i], *s);
  return g_string_free (out, FALSE);
}
