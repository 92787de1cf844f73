/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Real trees per stable line: the user's, a git repository's, Debian's. */
#include "sources/trees.h"
#include "report/report.h"
#include "base/bp-git.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "base/fs.h"
#include "base/git-autoptr.h"
#include "sources/release-tags.h"
#include <glib/gstdio.h>

G_DEFINE_QUARK (bp-trees-error-quark, bp_trees_error)

/* libgit2 objects owned by a local */

/* Suites the private deb-src list asks for when the caller names none. */
static const char *const default_suites[] = { "sid", "trixie", "trixie-backports", "experimental", NULL };

const char *
bp_tree_kind_to_string (BpTreeKind kind)
{
  switch (kind)
    {
    case BP_TREE_DEBIAN: return "debian";
    case BP_TREE_GIT: return "git";
    case BP_TREE_USER: return "user";
    case BP_TREE_NONE: break;
    }
  return "none";
}

void
bp_tree_free (BpTree *tree)
{
  if (tree == NULL)
    return;
  g_free (tree->line);
  g_free (tree->path);
  g_free (tree->version);
  g_free (tree->origin);
  g_free (tree->deb_version);
  g_free (tree->ref);
  g_free (tree->commit);
  g_ptr_array_unref (tree->notes);
  g_free (tree->missing);
  g_free (tree);
}

BpTree *
bp_tree_new (const char *line)
{
  BpTree *tree = g_new0 (BpTree, 1);
  tree->line = g_strdup (line);
  tree->notes = g_ptr_array_new_with_free_func (g_free);
  return tree;
}

void
bp_tree_set_free (BpTreeSet *set)
{
  if (set == NULL)
    return;
  g_ptr_array_unref (set->trees);
  g_ptr_array_unref (set->notes);
  g_free (set);
}

BpTree *
bp_tree_set_get (BpTreeSet *set, const char *line)
{
  for (guint i = 0; i < set->trees->len; i++)
    {
      BpTree *tree = set->trees->pdata[i];
      if (g_strcmp0 (tree->line, line) == 0)
        return tree;
    }
  return NULL;
}

char *
bp_trees_default_cache_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "backport", NULL);
}

/* ---- progress ---- */

typedef struct {
  BpTreesProgress fn;
  gpointer data;
} Reporter;

static void G_GNUC_PRINTF (3, 4)
report (const Reporter *r, const char *line, const char *format, ...)
{
  if (r->fn == NULL)
    return;
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  r->fn (line, BP_TREES_PROGRESS_STEP, msg, r->data);
}

static void
report_output (const Reporter *r, const char *line, const char *text)
{
  if (r->fn)
    r->fn (line, BP_TREES_PROGRESS_OUTPUT, text, r->data);
}

static void G_GNUC_PRINTF (2, 3)
add_note (GPtrArray *notes, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_ptr_array_add (notes, g_strdup_vprintf (format, ap));
  va_end (ap);
}

/* ---- Debian versions ---- */

/* dpkg's order of one character in a version part: '~' before everything,
 * even the end; letters before non-letters. */
static int
deb_char_order (char c)
{
  if (g_ascii_isdigit (c))
    return 0;
  if (g_ascii_isalpha (c))
    return c;
  if (c == '~')
    return -1;
  if (c)
    return c + 256;
  return 0;
}

static int
deb_part_compare (const char *a, const char *b)
{
  while (*a || *b)
    {
      int first_diff = 0;
      while ((*a && !g_ascii_isdigit (*a)) || (*b && !g_ascii_isdigit (*b)))
        {
          int ac = deb_char_order (*a), bc = deb_char_order (*b);
          if (ac != bc)
            return ac - bc;
          a++;
          b++;
        }
      while (*a == '0')
        a++;
      while (*b == '0')
        b++;
      while (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          if (!first_diff)
            first_diff = *a - *b;
          a++;
          b++;
        }
      if (g_ascii_isdigit (*a))
        return 1;
      if (g_ascii_isdigit (*b))
        return -1;
      if (first_diff)
        return first_diff;
    }
  return 0;
}

typedef struct {
  guint64 epoch;
  char *upstream;
  char *revision;
} DebVersion;

static void
deb_version_split (const char *text, DebVersion *v)
{
  const char *colon = strchr (text, ':');
  v->epoch = 0;
  if (colon)
    {
      v->epoch = g_ascii_strtoull (text, NULL, 10);
      text = colon + 1;
    }
  const char *dash = strrchr (text, '-');
  if (dash)
    {
      v->upstream = g_strndup (text, dash - text);
      v->revision = g_strdup (dash + 1);
    }
  else
    {
      v->upstream = g_strdup (text);
      v->revision = g_strdup ("");
    }
}

int
bp_debian_version_compare (const char *a, const char *b)
{
  DebVersion va, vb;
  deb_version_split (a, &va);
  deb_version_split (b, &vb);
  int r;
  if (va.epoch != vb.epoch)
    r = va.epoch < vb.epoch ? -1 : 1;
  else if ((r = deb_part_compare (va.upstream, vb.upstream)) == 0)
    r = deb_part_compare (va.revision, vb.revision);
  g_free (va.upstream);
  g_free (va.revision);
  g_free (vb.upstream);
  g_free (vb.revision);
  return r;
}

char *
bp_debian_upstream_version (const char *deb_version)
{
  DebVersion v;
  deb_version_split (deb_version, &v);
  g_free (v.revision);
  /* "10.2.2+ds" -> "10.2.2", "10.2.0~rc1+ds" -> "10.2.0" */
  size_t n = strcspn (v.upstream, "+~");
  v.upstream[n] = '\0';
  return v.upstream;
}

static int
deb_version_compare_desc (gconstpointer a, gconstpointer b)
{
  return bp_debian_version_compare (*(const char *const *) b, *(const char *const *) a);
}

GPtrArray *
bp_trees_parse_showsrc (const char *text, const char *package)
{
  g_autoptr(GPtrArray) versions = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *pkg = NULL;
  for (char **l = lines; *l; l++)
    {
      if (**l == '\0')
        g_clear_pointer (&pkg, g_free);   /* end of a paragraph */
      else if (g_str_has_prefix (*l, "Package: "))
        {
          g_free (pkg);
          pkg = g_strstrip (g_strdup (*l + strlen ("Package: ")));
        }
      else if (g_str_has_prefix (*l, "Version: ") && g_strcmp0 (pkg, package) == 0)
        {
          g_autofree char *v = g_strstrip (g_strdup (*l + strlen ("Version: ")));
          gboolean seen = FALSE;
          for (guint i = 0; i < versions->len && !seen; i++)
            seen = strcmp (versions->pdata[i], v) == 0;
          if (!seen && *v)
            g_ptr_array_add (versions, g_steal_pointer (&v));
        }
    }
  g_ptr_array_sort (versions, deb_version_compare_desc);
  return g_steal_pointer (&versions);
}

/* ---- the system's apt sources ---- */

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
                   "add one (e.g. a deb line for your Debian mirror) or use --repo DIR / --tree LINE=DIR",
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

/* ---- subprocesses ---- */

typedef struct {
  int status;         /* exit status, -1 when killed by a signal */
  char *output;       /* stdout and stderr, merged */
} CommandResult;

static void
command_result_clear (CommandResult *r)
{
  g_clear_pointer (&r->output, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CommandResult, command_result_clear)

/* Run ARGV in CWD with LC_ALL=C (and APT_CONFIG when given), passing each
 * output line to the progress callback and saving the output in LOG.
 * FALSE only when the command could not be run (or was cancelled). */
static gboolean
run_command (const char *const *argv, const char *cwd, const char *apt_config,
             const char *log, const Reporter *r, const char *line,
             CommandResult *result, GCancellable *cancellable, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  if (apt_config)
    g_subprocess_launcher_setenv (launcher, "APT_CONFIG", apt_config, TRUE);
  if (cwd)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  g_autoptr(GError) local = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, &local);
  if (proc == NULL)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_COMMAND,
                   "cannot run %s: %s", argv[0], local->message);
      return FALSE;
    }
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  g_autoptr(GString) out = g_string_new (NULL);
  for (;;)
    {
      gsize len;
      g_autofree char *text = g_data_input_stream_read_line (in, &len, cancellable, &local);
      if (text == NULL)
        break;
      g_string_append_len (out, text, len);
      g_string_append_c (out, '\n');
      g_strchomp (text);
      if (*text)
        report_output (r, line, text);
    }
  if (local == NULL)
    g_subprocess_wait (proc, cancellable, &local);
  if (local)
    {
      g_subprocess_force_exit (proc);
      g_subprocess_wait (proc, NULL, NULL);
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", argv[0]);
      return FALSE;
    }
  if (log)
    (void) g_file_set_contents (log, out->str, out->len, NULL);
  result->status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  result->output = g_string_free (g_steal_pointer (&out), FALSE);
  return TRUE;
}

/* The first line of OUTPUT that starts with one of the prefixes, trimmed. */
static char *
first_line_with (const char *output, const char *const *prefixes)
{
  g_auto(GStrv) lines = g_strsplit (output ? output : "", "\n", -1);
  for (const char *const *p = prefixes; *p; p++)
    for (char **l = lines; *l; l++)
      if (g_str_has_prefix (*l, *p))
        return g_strstrip (g_strdup (*l));
  return NULL;
}

/* ---- small file helpers ---- */

static char *
read_version_file (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "VERSION", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  if (*text == '\0' || strchr (text, '\n'))
    return NULL;
  return g_steal_pointer (&text);
}

static gboolean
rm_rf (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (bp_fs_rm_rf (path, &local))
    return TRUE;
  g_set_error_literal (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, local->message);
  return FALSE;
}

static gboolean
mkdirs (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO,
                   "cannot create %s: %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* Remove what an interrupted run left in DIR: entries named ...MARKER...-<pid> whose
 * process is gone. */
static void
sweep_stale (const char *dir, const char *marker)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *n; d && (n = g_dir_read_name (d)) != NULL;)
    {
      const char *dash = strrchr (n, '-');
      guint64 pid;
      if (strstr (n, marker) == NULL || dash == NULL
          || !g_ascii_string_to_unsigned (dash + 1, 10, 1, G_MAXINT, &pid, NULL))
        continue;
      if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;   /* still running (or not ours to judge) */
      g_autofree char *path = g_build_filename (dir, n, NULL);
      rm_rf (path, NULL);
    }
}

static char *
now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

static gboolean
write_keyfile (GKeyFile *kf, const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!g_key_file_save_to_file (kf, path, &local))
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "cannot write %s: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}

/* The line of PACK a VERSION text serves, or NULL. */
static const char *
line_of_version (BpFixPack *pack, const char *version)
{
  BpFixLine *l = version ? bp_fixpack_line_for_version (pack, version) : NULL;
  return l ? l->name : NULL;
}

/* ---- resolution context ---- */

typedef struct {
  BpFixPack *pack;
  const BpTreesOptions *opts;
  Reporter reporter;
  GCancellable *cancellable;
  char *cache;          /* absolute */
  char *apt_dir;        /* <cache>/apt */
  char *apt_config;     /* <cache>/apt/apt.conf */
  char *debian_dir;     /* <cache>/trees/debian */
  char *git_dir;        /* <cache>/trees/git */
  char *logs;           /* <cache>/logs */
  BpTreeSet *set;
} Ctx;

static void
ctx_clear (Ctx *c)
{
  g_free (c->cache);
  g_free (c->apt_dir);
  g_free (c->apt_config);
  g_free (c->debian_dir);
  g_free (c->git_dir);
  g_free (c->logs);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctx, ctx_clear)

/* ---- user trees ---- */

static gboolean
pack_has_line (BpFixPack *pack, const char *name)
{
  for (guint i = 0; i < pack->lines->len; i++)
    if (strcmp (((BpFixLine *) pack->lines->pdata[i])->name, name) == 0)
      return TRUE;
  return FALSE;
}

static char *
pack_line_list (BpFixPack *pack)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < pack->lines->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", ((BpFixLine *) pack->lines->pdata[i])->name);
  return g_string_free (s, FALSE);
}

static gboolean
user_tree (Ctx *c, const char *spec, BpTree **out, GError **error)
{
  const char *eq = strchr (spec, '=');
  if (eq == NULL || eq == spec || eq[1] == '\0')
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_INVALID_TREE,
                   "--tree %s: expected LINE=DIR, e.g. --tree 10.2=$HOME/src/qemu-10.2.2", spec);
      return FALSE;
    }
  g_autofree char *line = g_strndup (spec, eq - spec);
  if (!pack_has_line (c->pack, line))
    {
      g_autofree char *all = pack_line_list (c->pack);
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_UNKNOWN_LINE,
                   "--tree %s: fix pack %s has no line %s (its lines: %s)", spec, c->pack->name, line, all);
      return FALSE;
    }
  g_autofree char *dir = g_canonicalize_filename (eq + 1, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_INVALID_TREE,
                   "--tree %s: %s is not a directory", spec, dir);
      return FALSE;
    }
  g_autofree char *version = read_version_file (dir);
  if (version == NULL)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_INVALID_TREE,
                   "--tree %s: %s has no VERSION file: give the top directory of an unpacked QEMU tree",
                   spec, dir);
      return FALSE;
    }
  const char *served = line_of_version (c->pack, version);
  if (g_strcmp0 (served, line) != 0)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_INVALID_TREE,
                   "--tree %s: %s/VERSION says %s, which %s%s, not %s",
                   spec, dir, version, served ? "is line " : "is no line of the pack",
                   served ? served : "", line);
      return FALSE;
    }
  BpTree *t = bp_tree_new (line);
  t->kind = BP_TREE_USER;
  t->path = g_steal_pointer (&dir);
  t->version = g_steal_pointer (&version);
  t->origin = g_strdup_printf ("user %s", t->path);
  t->cached = TRUE;
  *out = t;
  return TRUE;
}

/* ---- git ---- */

static gboolean
git_fail (GError **error, const char *what)
{
  return bp_git_error (error, BP_TREES_ERROR, BP_TREES_ERROR_REPO, what);
}

typedef struct {
  git_repository *repo;
  git_oid commit;
  GCancellable *cancellable;
  gboolean has_attributes;   /* the commit's tree has a .gitattributes somewhere */
} Export;

static gboolean
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
export_ignored (Export *x, const char *rel)
{
  if (!x->has_attributes)
    return FALSE;
  git_attr_options ao = GIT_ATTR_OPTIONS_INIT;
  ao.flags = GIT_ATTR_CHECK_INDEX_ONLY | GIT_ATTR_CHECK_INCLUDE_COMMIT;
  git_oid_cpy (&ao.attr_commit_id, &x->commit);
  const char *value = NULL;
  if (git_attr_get_ext (&value, x->repo, &ao, rel, "export-ignore") != 0)
    return FALSE;
  return GIT_ATTR_IS_TRUE (value);
}

static gboolean
export_tree (Export *x, const git_tree *tree, const char *dir, const char *prefix, GError **error)
{
  size_t n = git_tree_entrycount (tree);
  for (size_t i = 0; i < n; i++)
    {
      if (g_cancellable_set_error_if_cancelled (x->cancellable, error))
        return FALSE;
      const git_tree_entry *e = git_tree_entry_byindex (tree, i);
      const char *name = git_tree_entry_name (e);
      g_autofree char *rel = g_strconcat (prefix, name, NULL);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (strcmp (name, ".git") == 0 || strchr (name, '/') || strcmp (name, "..") == 0 || strcmp (name, ".") == 0)
        continue;   /* never write what a checkout would refuse */
      if (export_ignored (x, rel))
        continue;
      git_filemode_t mode = git_tree_entry_filemode (e);
      switch (mode)
        {
        case GIT_FILEMODE_TREE:
          {
            g_autoptr(git_tree) sub = NULL;
            if (git_tree_lookup (&sub, x->repo, git_tree_entry_id (e)) != 0)
              return git_fail (error, rel);
            if (mkdir (path, 0777) != 0)
              {
                int err = errno;
                g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", path, g_strerror (err));
                return FALSE;
              }
            g_autofree char *sub_prefix = g_strconcat (rel, "/", NULL);
            if (!export_tree (x, sub, path, sub_prefix, error))
              return FALSE;
            break;
          }
        case GIT_FILEMODE_COMMIT:
          /* a submodule: git archive writes an empty directory */
          if (mkdir (path, 0777) != 0)
            {
              int err = errno;
              g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", path, g_strerror (err));
              return FALSE;
            }
          break;
        case GIT_FILEMODE_LINK:
          {
            g_autoptr(git_blob) blob = NULL;
            if (git_blob_lookup (&blob, x->repo, git_tree_entry_id (e)) != 0)
              return git_fail (error, rel);
            g_autofree char *target = g_strndup (git_blob_rawcontent (blob), git_blob_rawsize (blob));
            if (symlink (target, path) != 0)
              {
                int err = errno;
                g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "symlink %s: %s", path, g_strerror (err));
                return FALSE;
              }
            break;
          }
        case GIT_FILEMODE_BLOB:
        case GIT_FILEMODE_BLOB_EXECUTABLE:
          {
            g_autoptr(git_blob) blob = NULL;
            if (git_blob_lookup (&blob, x->repo, git_tree_entry_id (e)) != 0)
              return git_fail (error, rel);
            git_buf buf = GIT_BUF_INIT;
            const char *data = git_blob_rawcontent (blob);
            size_t len = git_blob_rawsize (blob);
            if (x->has_attributes)
              {
                git_blob_filter_options fo = GIT_BLOB_FILTER_OPTIONS_INIT;
                /* not CHECK_FOR_BINARY: with it libgit2 returns an empty buffer for
                 * binary blobs; the filters themselves leave binary content alone */
                fo.flags = GIT_BLOB_FILTER_ATTRIBUTES_FROM_COMMIT;
                git_oid_cpy (&fo.attr_commit_id, &x->commit);
                if (git_blob_filter (&buf, blob, rel, &fo) != 0)
                  return git_fail (error, rel);
                data = buf.ptr;
                len = buf.size;
              }
            int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                           mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666);
            gboolean ok = fd >= 0 && write_all (fd, data, len);
            int err = errno;
            if (fd >= 0 && close (fd) != 0 && ok)
              {
                ok = FALSE;
                err = errno;
              }
            git_buf_dispose (&buf);
            if (!ok)
              {
                g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "write %s: %s", path, g_strerror (err));
                return FALSE;
              }
            break;
          }
        default:
          break;
        }
    }
  return TRUE;
}

static gboolean
tree_has_attributes (git_repository *repo, const git_tree *tree)
{
  size_t n = git_tree_entrycount (tree);
  for (size_t i = 0; i < n; i++)
    {
      const git_tree_entry *e = git_tree_entry_byindex (tree, i);
      if (strcmp (git_tree_entry_name (e), ".gitattributes") == 0)
        return TRUE;
      if (git_tree_entry_filemode (e) == GIT_FILEMODE_TREE)
        {
          g_autoptr(git_tree) sub = NULL;
          if (git_tree_lookup (&sub, repo, git_tree_entry_id (e)) == 0 && tree_has_attributes (repo, sub))
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
export_commit (git_repository *repo, const git_oid *commit_id, const char *dest,
               GCancellable *cancellable, GError **error)
{
  g_autoptr(git_commit) commit = NULL;
  g_autoptr(git_tree) tree = NULL;
  if (git_commit_lookup (&commit, repo, commit_id) != 0 || git_commit_tree (&tree, commit) != 0)
    return git_fail (error, "reading the commit to export");
  if (mkdir (dest, 0777) != 0)
    {
      int err = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", dest, g_strerror (err));
      return FALSE;
    }
  Export x = { repo, *commit_id, cancellable, tree_has_attributes (repo, tree) };
  return export_tree (&x, tree, dest, "", error);
}

gboolean
bp_trees_export_tree (git_repository *repo, const git_oid *tree_id, const git_oid *attr_commit,
                      const char *dest, GCancellable *cancellable, GError **error)
{
  g_autoptr(git_tree) tree = NULL;
  if (git_tree_lookup (&tree, repo, tree_id) != 0)
    return git_fail (error, "reading the tree to export");
  if (mkdir (dest, 0777) != 0)
    {
      int err = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "mkdir %s: %s", dest, g_strerror (err));
      return FALSE;
    }
  Export x = { repo, *attr_commit, cancellable, tree_has_attributes (repo, tree) };
  return export_tree (&x, tree, dest, "", error);
}

gboolean
bp_trees_export_commit (const char *repo_path, const char *commit, const char *dest,
                        GCancellable *cancellable, GError **error)
{
  bp_git_require ();
  g_autoptr(git_repository) repo = NULL;
  gboolean ok;
  git_object *obj = NULL;
  if (git_repository_open_ext (&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0)
    ok = git_fail (error, repo_path);
  else if (git_revparse_single (&obj, repo, commit) != 0)
    ok = git_fail (error, commit);
  else
    {
      g_autoptr(git_object) peeled = NULL;
      if (git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) != 0)
        ok = git_fail (error, commit);
      else
        ok = export_commit (repo, git_object_id (peeled), dest, cancellable, error);
    }
  git_object_free (obj);
  g_clear_pointer (&repo, git_repository_free);
  return ok;
}

typedef struct {
  guint v[3];
  char *ref;           /* "v10.1.3" or "stable-10.1" */
  git_oid commit;
} GitPick;

static void
git_pick_free (GitPick *p)
{
  g_free (p->ref);
  g_free (p);
}

static char *
commit_version (git_repository *repo, const git_oid *id)
{
  g_autoptr(git_commit) commit = NULL;
  g_autoptr(git_tree) tree = NULL;
  g_autoptr(git_tree_entry) entry = NULL;
  g_autoptr(git_blob) blob = NULL;
  if (git_commit_lookup (&commit, repo, id) != 0 || git_commit_tree (&tree, commit) != 0
      || git_tree_entry_bypath (&entry, tree, "VERSION") != 0
      || git_blob_lookup (&blob, repo, git_tree_entry_id (entry)) != 0)
    return NULL;
  char *v = g_strndup (git_blob_rawcontent (blob), git_blob_rawsize (blob));
  return g_strstrip (v);
}

/* Pick a commit per line: newest release tag, or the stable-X.Y branch
 * when it is a descendant of that tag (newer), or the only one there is. */
static GHashTable *
git_picks (Ctx *c, git_repository *repo, GError **error)
{
  g_autoptr(GHashTable) picks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) git_pick_free);
  g_autoptr(GPtrArray) tags = bp_release_tags_by_line (repo, error);
  if (tags == NULL)
    return NULL;
  for (guint i = 0; i < tags->len; i++)
    {
      const BpReleaseTag *t = tags->pdata[i];
      if (!pack_has_line (c->pack, t->line))
        continue;
      GitPick *p = g_new0 (GitPick, 1);
      memcpy (p->v, t->version, sizeof p->v);
      p->ref = g_strdup (t->tag);
      git_oid_cpy (&p->commit, &t->commit);
      g_hash_table_insert (picks, g_strdup (t->line), p);
    }

  /* stable-X.Y: local branch first, then remote-tracking ones */
  for (guint i = 0; i < c->pack->lines->len; i++)
    {
      const char *line = ((BpFixLine *) c->pack->lines->pdata[i])->name;
      g_autofree char *local = g_strdup_printf ("refs/heads/stable-%s", line);
      g_autofree char *glob = g_strdup_printf ("refs/remotes/*/stable-%s", line);
      g_autoptr(git_reference) ref = NULL;
      if (git_reference_lookup (&ref, repo, local) != 0)
        {
          git_reference_iterator *it = NULL;
          if (git_reference_iterator_glob_new (&it, repo, glob) == 0)
            {
              git_reference *r = NULL;
              while (ref == NULL && git_reference_next (&r, it) == 0)
                ref = r;
              git_reference_iterator_free (it);
            }
        }
      if (ref == NULL)
        continue;
      g_autoptr(git_object) obj = NULL;
      if (git_reference_peel (&obj, ref, GIT_OBJECT_COMMIT) != 0)
        continue;
      const git_oid *tip = git_object_id (obj);
      GitPick *tag = g_hash_table_lookup (picks, line);
      if (tag && (git_oid_equal (tip, &tag->commit) || git_graph_descendant_of (repo, tip, &tag->commit) != 1))
        continue;
      g_autofree char *version = commit_version (repo, tip);
      if (g_strcmp0 (line_of_version (c->pack, version), line) != 0)
        continue;   /* a branch whose VERSION serves another line is not this line's */
      GitPick *p = g_new0 (GitPick, 1);
      p->ref = g_strdup (git_reference_shorthand (ref));
      git_oid_cpy (&p->commit, tip);
      g_hash_table_insert (picks, g_strdup (line), p);
    }
  return g_steal_pointer (&picks);
}

static BpTree *
git_tree_for_line (Ctx *c, git_repository *repo, GHashTable *picks, const char *line, GError **error)
{
  BpTree *t = bp_tree_new (line);
  GitPick *p = g_hash_table_lookup (picks, line);
  if (p == NULL)
    {
      t->missing = g_strdup_printf ("no v%s.N tag or stable-%s branch in %s; fetch QEMU's release tags "
                                    "(git -C %s fetch --tags QEMU-REMOTE), "
                                    "omit --repo to use Debian's source, or use --tree %s=DIR",
                                    line, line, c->opts->repo, c->opts->repo, line);
      return t;
    }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, &p->commit);
  t->ref = g_strdup (p->ref);
  t->commit = g_strdup (hex);
  g_autofree char *dest = g_build_filename (c->git_dir, hex, NULL);
  g_autofree char *stamp = g_strconcat (dest, ".stamp", NULL);
  g_autofree char *version = read_version_file (dest);
  if (version && g_file_test (stamp, G_FILE_TEST_EXISTS))
    t->cached = TRUE;
  else
    {
      report (&c->reporter, line, "exporting %s (%.12s) from %s", p->ref, hex, c->opts->repo);
      g_autofree char *tmp = g_strdup_printf ("%s.tmp-%d", dest, (int) getpid ());
      if (!rm_rf (tmp, error))
        {
          bp_tree_free (t);
          return NULL;
        }
      g_autoptr(GError) local = NULL;
      if (!export_commit (repo, &p->commit, tmp, c->cancellable, &local))
        {
          rm_rf (tmp, NULL);
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              bp_tree_free (t);
              return NULL;
            }
          t->missing = g_strdup_printf ("exporting %s from %s failed: %s; use --tree %s=DIR",
                                        p->ref, c->opts->repo, local->message, line);
          return t;
        }
      g_autofree char *theirs = read_version_file (dest);
      if (theirs && g_file_test (stamp, G_FILE_TEST_EXISTS))
        {
          /* another run exported the same commit meanwhile: keep theirs */
          if (!rm_rf (tmp, error))
            {
              bp_tree_free (t);
              return NULL;
            }
        }
      else
        {
          /* a half-made export (no stamp) is replaced */
          g_unlink (stamp);
          if (!rm_rf (dest, error))
            {
              bp_tree_free (t);
              return NULL;
            }
          if (g_rename (tmp, dest) != 0)
            {
              int err = errno;
              g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "rename %s: %s", tmp, g_strerror (err));
              rm_rf (tmp, NULL);
              bp_tree_free (t);
              return NULL;
            }
          g_autofree char *exported = read_version_file (dest);
          g_autoptr(GKeyFile) kf = g_key_file_new ();
          g_autofree char *now = now_iso8601 ();
          g_key_file_set_string (kf, "tree", "kind", "git");
          g_key_file_set_string (kf, "tree", "commit", hex);
          g_key_file_set_string (kf, "tree", "ref", p->ref);
          g_key_file_set_string (kf, "tree", "version", exported ? exported : "");
          g_key_file_set_string (kf, "tree", "exported", now);
          if (!write_keyfile (kf, stamp, error))
            {
              bp_tree_free (t);
              return NULL;
            }
          c->set->exports++;
        }
      g_free (version);
      version = read_version_file (dest);
    }
  if (version == NULL || g_strcmp0 (line_of_version (c->pack, version), line) != 0)
    {
      t->missing = g_strdup_printf ("%s (%.12s) has VERSION %s, which is not line %s; use --tree %s=DIR",
                                    p->ref, hex, version ? version : "(none)", line, line);
      t->cached = FALSE;
      return t;
    }
  t->kind = BP_TREE_GIT;
  t->path = g_steal_pointer (&dest);
  t->version = g_steal_pointer (&version);
  t->origin = g_strdup_printf ("git %s (%s)", p->ref, hex);
  return t;
}

/* ---- Debian ---- */

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
debian_cached (Ctx *c)
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
      g_autofree char *version = read_version_file (path);
      const char *line = line_of_version (c->pack, version);
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

static gboolean
apt_write_config (Ctx *c, GError **error)
{
  g_autofree char *lists = g_build_filename (c->apt_dir, "lists", "partial", NULL);
  g_autofree char *archives = g_build_filename (c->apt_dir, "archives", "partial", NULL);
  g_autofree char *parts = g_build_filename (c->apt_dir, "sources.list.d", NULL);
  g_autofree char *prefs = g_build_filename (c->apt_dir, "preferences.d", NULL);
  if (!mkdirs (lists, error) || !mkdirs (archives, error) || !mkdirs (parts, error) || !mkdirs (prefs, error))
    return FALSE;
  if (strpbrk (c->apt_dir, "\"\n{};"))
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO,
                   "cache dir %s has characters apt's configuration cannot quote; use --cache DIR", c->cache);
      return FALSE;
    }
  const char *a = c->apt_dir;
  g_autofree char *conf = g_strdup_printf (
    "// Generated by backport: a private apt state for fetching source packages.\n"
    "Dir::State \"%s\";\n"
    "Dir::State::lists \"%s/lists\";\n"
    "Dir::Cache \"%s\";\n"
    "Dir::Cache::archives \"%s/archives\";\n"
    "Dir::Etc::sourcelist \"%s/sources.list\";\n"
    "Dir::Etc::sourceparts \"%s/sources.list.d\";\n"
    "Dir::Etc::preferences \"%s/preferences\";\n"
    "Dir::Etc::preferencesparts \"%s/preferences.d\";\n"
    "Debug::NoLocking \"true\";\n"
    "APT::Sandbox::User \"%s\";\n"
    "Acquire::Languages \"none\";\n"
    "Acquire::Retries \"1\";\n",
    a, a, a, a, a, a, a, a, g_get_user_name ());
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents (c->apt_config, conf, -1, &local))
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "cannot write %s: %s", c->apt_config, local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
apt_have_index (Ctx *c)
{
  g_autofree char *stamp = g_build_filename (c->apt_dir, "index.stamp", NULL);
  return g_file_test (stamp, G_FILE_TEST_EXISTS);
}

/* Write the private sources list from the system's, and download the index. */
static gboolean
apt_update (Ctx *c, GError **error)
{
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  const char *etc = c->opts->apt_etc ? c->opts->apt_etc : "/etc/apt";
  const char *lists = c->opts->apt_lists ? c->opts->apt_lists : "/var/lib/apt/lists";
  g_autofree char *sources = bp_trees_debian_sources (etc, lists, c->opts->suites, notes, error);
  if (sources == NULL)
    return FALSE;
  for (guint i = 0; i < notes->len; i++)
    report (&c->reporter, NULL, "apt sources: %s", (char *) notes->pdata[i]);
  g_autofree char *list = g_build_filename (c->apt_dir, "sources.list", NULL);
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents (list, sources, -1, &local))
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "cannot write %s: %s", list, local->message);
      return FALSE;
    }
  report (&c->reporter, NULL, "downloading the deb-src index into %s", c->apt_dir);
  g_autofree char *log = g_build_filename (c->logs, "apt-update.log", NULL);
  const char *argv[] = { "apt-get", "update", "-q", NULL };
  g_auto(CommandResult) res = { 0 };
  if (!run_command (argv, c->apt_dir, c->apt_config, log, &c->reporter, NULL, &res, c->cancellable, error))
    return FALSE;
  /* apt-get update fails when any suite fails; what counts is whether some index came */
  gboolean got = FALSE;
  g_autofree char *lists_dir = g_build_filename (c->apt_dir, "lists", NULL);
  g_autoptr(GDir) dir = g_dir_open (lists_dir, 0, NULL);
  for (const char *n; dir && (n = g_dir_read_name (dir)) != NULL;)
    got |= strstr (n, "_source_Sources") != NULL;
  if (res.status != 0)
    {
      const char *const prefixes[] = { "E: ", "Err:", NULL };
      g_autofree char *why = first_line_with (res.output, prefixes);
      if (!got)
        {
          g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_COMMAND,
                       "apt-get update of the private deb-src index failed (%s): see %s",
                       why ? why : "no reason given", log);
          return FALSE;
        }
      add_note (c->set->notes, "apt-get update: %s (the other suites were updated; see %s)",
                why ? why : "some suites failed", log);
    }
  if (!got)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_COMMAND,
                   "apt-get update downloaded no Sources index: see %s", log);
      return FALSE;
    }
  g_autofree char *stamp = g_build_filename (c->apt_dir, "index.stamp", NULL);
  g_autofree char *now = now_iso8601 ();
  g_autofree char *body = g_strdup_printf ("%s\n", now);
  (void) g_file_set_contents (stamp, body, -1, NULL);
  c->set->index_updated = TRUE;
  return TRUE;
}

/* Versions the index lists, newest first; NULL with an error when apt-cache cannot run. */
static GPtrArray *
apt_versions (Ctx *c, GError **error)
{
  const char *package = c->opts->package ? c->opts->package : "qemu";
  const char *argv[] = { "apt-cache", "showsrc", "--only-source", package, NULL };
  g_auto(CommandResult) res = { 0 };
  Reporter quiet = { NULL, NULL };
  if (!run_command (argv, c->apt_dir, c->apt_config, NULL, &quiet, NULL, &res, c->cancellable, error))
    return NULL;
  if (res.status != 0 && strstr (res.output, "Unable to locate") == NULL)
    {
      const char *const prefixes[] = { "E: ", NULL };
      g_autofree char *why = first_line_with (res.output, prefixes);
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_COMMAND, "apt-cache showsrc %s failed: %s",
                   package, why ? why : "no reason given");
      return NULL;
    }
  return bp_trees_parse_showsrc (res.output, package);
}

static GKeyFile *
not_served_load (Ctx *c, char **path_out)
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
debian_fetch (Ctx *c, const char *line, const char *deb_version, FetchResult *result,
              char **why, GError **error)
{
  const char *package = c->opts->package ? c->opts->package : "qemu";
  g_autofree char *name = deb_dir_name (deb_version);
  g_autofree char *dest = g_build_filename (c->debian_dir, name, NULL);
  g_autofree char *stamp = g_strconcat (dest, ".stamp", NULL);
  g_autofree char *work = g_strdup_printf ("%s/.work-%s-%d", c->debian_dir, name, (int) getpid ());
  if (!rm_rf (work, error) || !mkdirs (work, error))
    return FALSE;

  report (&c->reporter, line, "downloading Debian %s %s", package, deb_version);
  g_autofree char *spec = g_strdup_printf ("%s=%s", package, deb_version);
  g_autofree char *log = g_strdup_printf ("%s/apt-source-%s.log", c->logs, name);
  const char *argv[] = { "apt-get", "source", "--download-only", "-q", spec, NULL };
  g_auto(CommandResult) res = { 0 };
  if (!run_command (argv, work, c->apt_config, log, &c->reporter, line, &res, c->cancellable, error))
    {
      rm_rf (work, NULL);
      return FALSE;
    }
  if (res.status != 0)
    {
      rm_rf (work, NULL);
      const char *const prefixes[] = { "E: Failed to fetch", "E: ", "Err:", NULL };
      g_autofree char *e = first_line_with (res.output, prefixes);
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
      rm_rf (work, NULL);
      *result = FETCH_FAILED;
      *why = g_strdup_printf ("apt-get source downloaded no .dsc (see %s)", log);
      return TRUE;
    }

  report (&c->reporter, line, "unpacking %s", dsc);
  g_autofree char *tree = g_build_filename (work, "tree", NULL);
  g_autofree char *xlog = g_strdup_printf ("%s/dpkg-source-%s.log", c->logs, name);
  const char *xargv[] = { "dpkg-source", "--no-check", "-x", dsc, tree, NULL };
  g_auto(CommandResult) xres = { 0 };
  if (!run_command (xargv, work, NULL, xlog, &c->reporter, line, &xres, c->cancellable, error))
    {
      rm_rf (work, NULL);
      return FALSE;
    }
  g_autofree char *version = xres.status == 0 ? read_version_file (tree) : NULL;
  if (xres.status != 0 || version == NULL)
    {
      rm_rf (work, NULL);
      *result = FETCH_FAILED;
      *why = xres.status != 0 ? g_strdup_printf ("dpkg-source -x failed (see %s)", xlog)
                              : g_strdup ("the unpacked source has no VERSION file");
      return TRUE;
    }
  if (g_strcmp0 (line_of_version (c->pack, version), line) != 0)
    {
      rm_rf (work, NULL);
      *result = FETCH_NOT_SERVED;   /* remembered too: fetching it again would not help */
      *why = g_strdup_printf ("its VERSION says %s, not a %s release", version, line);
      return TRUE;
    }
  if (g_file_test (stamp, G_FILE_TEST_EXISTS) && g_file_test (dest, G_FILE_TEST_IS_DIR))
    {
      /* another run unpacked the same version meanwhile: keep theirs */
      c->set->downloads++;
      *result = FETCH_OK;
      return rm_rf (work, error);
    }
  g_unlink (stamp);
  if (!rm_rf (dest, error))
    return FALSE;
  if (g_rename (tree, dest) != 0)
    {
      int err = errno;
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_IO, "rename %s: %s", tree, g_strerror (err));
      rm_rf (work, NULL);
      return FALSE;
    }
  if (!rm_rf (work, error))
    return FALSE;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *now = now_iso8601 ();
  g_key_file_set_string (kf, "tree", "kind", "debian");
  g_key_file_set_string (kf, "tree", "package", package);
  g_key_file_set_string (kf, "tree", "deb-version", deb_version);
  g_key_file_set_string (kf, "tree", "version", version);
  g_key_file_set_string (kf, "tree", "line", line);
  g_key_file_set_string (kf, "tree", "fetched", now);
  if (!write_keyfile (kf, stamp, error))
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

static gboolean
debian_trees (Ctx *c, GPtrArray *wanted, GError **error)
{
  /* offline, an empty cache stays untouched */
  if ((!c->opts->offline || g_file_test (c->apt_dir, G_FILE_TEST_IS_DIR))
      && (!mkdirs (c->debian_dir, error) || !mkdirs (c->logs, error) || !apt_write_config (c, error)))
    return FALSE;
  sweep_stale (c->debian_dir, ".work-");
  const char *package = c->opts->package ? c->opts->package : "qemu";
  g_autoptr(GPtrArray) cached = debian_cached (c);

  /* The index is needed unless every line is in the cache already. */
  gboolean need_index = c->opts->refresh;
  for (guint i = 0; i < wanted->len; i++)
    need_index |= cached_find (cached, ((BpTree *) wanted->pdata[i])->line, NULL) == NULL;
  g_autofree char *index_error = NULL;
  if (need_index && !c->opts->offline && (c->opts->refresh || !apt_have_index (c)))
    {
      g_autoptr(GError) local = NULL;
      if (!apt_update (c, &local))
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_free (index_error);
          index_error = g_strdup (local->message);
          add_note (c->set->notes, "%s", local->message);
        }
    }
  g_autoptr(GPtrArray) versions = NULL;
  if (apt_have_index (c))
    {
      g_autoptr(GError) local = NULL;
      versions = apt_versions (c, &local);
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
        add_note (c->set->notes, "the deb-src index in %s is %d days old; refresh it to see newer Debian versions",
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
              add_note (t->notes, "the index could not be refreshed; using the cached %s", newest_cached->deb_version);
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
          if (g_strcmp0 (line_of_version (c->pack, up), line) == 0)
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
              add_note (t->notes, "Debian %s is listed but the pool does not serve it (%s)", debver, seen);
              if (unserved_why == NULL)
                unserved_why = g_strndup (seen, strcspn (seen, ","));
              g_ptr_array_add (unserved, bp_debian_upstream_version (debver));
              continue;
            }
          if (c->opts->offline)
            {
              add_note (t->notes, "Debian %s is listed but not in the cache (offline)", debver);
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
              t->version = read_version_file (t->path);
              t->deb_version = g_strdup (debver);
              t->origin = g_strdup_printf ("Debian %s", debver);
              break;
            }
          if (res == FETCH_NOT_SERVED)
            {
              g_autofree char *now = now_iso8601 ();
              g_autofree char *val = g_strdup_printf ("%s, %s", why, now);
              g_key_file_set_string (not_served, "not-served", debver, val);
              not_served_changed = TRUE;
              if (unserved_why == NULL)
                unserved_why = g_strdup (why);
              g_ptr_array_add (unserved, bp_debian_upstream_version (debver));
              add_note (t->notes, "Debian %s is listed but the pool does not serve it (%s); trying the next", debver, why);
              report (&c->reporter, line, "Debian %s is listed but not served (%s)", debver, why);
            }
          else
            {
              add_note (t->notes, "Debian %s: %s", debver, why);
              report (&c->reporter, line, "Debian %s: %s", debver, why);
            }
        }
      if (t->kind != BP_TREE_NONE)
        continue;
      if (newest_cached)
        {
          use_cached (t, newest_cached);
          t->cached = TRUE;
          add_note (t->notes, "using the cached %s", newest_cached->deb_version);
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
      if (!write_keyfile (not_served, ns_path, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- resolve ---- */

/* QEMU keeps some subprojects as .wrap files in git; release tarballs (and so
 * Debian's source) carry them unpacked, and an offline configure needs them. */
static void
note_missing_subprojects (BpTree *t)
{
  static const char *const needed[] = { "keycodemapdb", "berkeley-softfloat-3", "berkeley-testfloat-3", NULL };
  g_autoptr(GString) missing = g_string_new (NULL);
  for (const char *const *n = needed; *n; n++)
    {
      g_autofree char *wrap = g_strdup_printf ("%s/subprojects/%s.wrap", t->path, *n);
      g_autofree char *dir = g_strdup_printf ("%s/subprojects/%s", t->path, *n);
      if (g_file_test (wrap, G_FILE_TEST_EXISTS) && !g_file_test (dir, G_FILE_TEST_IS_DIR))
        g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", *n);
    }
  if (missing->len)
    add_note (t->notes, "subprojects %s are only .wrap files here (a git tree; release tarballs carry them): "
              "an offline configure refuses the tree until they are added", missing->str);
}

static void
report_tree (Ctx *c, BpTree *t)
{
  if (t->path)
    report (&c->reporter, t->line, "%s tree %s (%s)%s", bp_tree_kind_to_string (t->kind), t->version,
            t->origin, t->cached ? ", cached" : "");
  else
    report (&c->reporter, t->line, "no tree: %s", t->missing);
}

BpTreeSet *
bp_trees_resolve (BpFixPack *pack, const BpTreesOptions *opts,
                  BpTreesProgress progress, gpointer user_data,
                  GCancellable *cancellable, GError **error)
{
  g_auto(Ctx) c = { 0 };
  c.pack = pack;
  c.opts = opts;
  c.reporter.fn = progress;
  c.reporter.data = user_data;
  c.cancellable = cancellable;
  g_autofree char *default_cache = bp_trees_default_cache_dir ();
  c.cache = g_canonicalize_filename (opts->cache_dir ? opts->cache_dir : default_cache, NULL);
  c.apt_dir = g_build_filename (c.cache, "apt", NULL);
  c.apt_config = g_build_filename (c.apt_dir, "apt.conf", NULL);
  c.debian_dir = g_build_filename (c.cache, "trees", "debian", NULL);
  c.git_dir = g_build_filename (c.cache, "trees", "git", NULL);
  c.logs = g_build_filename (c.cache, "logs", NULL);

  g_autoptr(BpTreeSet) set = g_new0 (BpTreeSet, 1);
  set->trees = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_tree_free);
  set->notes = g_ptr_array_new_with_free_func (g_free);
  c.set = set;

  if (opts->lines)
    for (const char *const *l = opts->lines; *l; l++)
      if (!pack_has_line (pack, *l))
        {
          g_autofree char *all = pack_line_list (pack);
          g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_UNKNOWN_LINE,
                       "fix pack %s has no line %s (its lines: %s)", pack->name, *l, all);
          return NULL;
        }

  /* user trees, validated whether wanted or not */
  g_autoptr(GHashTable) users = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) bp_tree_free);
  if (opts->user_trees)
    for (const char *const *u = opts->user_trees; *u; u++)
      {
        BpTree *t = NULL;
        if (!user_tree (&c, *u, &t, error))
          return NULL;
        g_hash_table_replace (users, t->line, t);
      }

  g_autoptr(GPtrArray) pending = g_ptr_array_new ();   /* BpTree* owned by set, still without a tree */
  for (guint i = 0; i < pack->lines->len; i++)
    {
      const char *name = ((BpFixLine *) pack->lines->pdata[i])->name;
      if (opts->lines && !g_strv_contains (opts->lines, name))
        continue;
      gpointer key, value;
      if (g_hash_table_steal_extended (users, name, &key, &value))
        g_ptr_array_add (set->trees, value);
      else
        {
          BpTree *t = bp_tree_new (name);
          g_ptr_array_add (set->trees, t);
          g_ptr_array_add (pending, t);
        }
    }

  if (pending->len > 0 && opts->repo)
    {
      bp_git_require ();
      g_autoptr(git_repository) repo = NULL;
      if (git_repository_open_ext (&repo, opts->repo, 0, NULL) != 0)
        {
          git_fail (error, opts->repo);
          g_prefix_error (error, "--repo %s is not a git repository we can read: ", opts->repo);
          return NULL;
        }
      if (!mkdirs (c.git_dir, error))
        {
          g_clear_pointer (&repo, git_repository_free);
          return NULL;
        }
      sweep_stale (c.git_dir, ".tmp-");
      gboolean ok = TRUE;
      g_autoptr(GHashTable) picks = git_picks (&c, repo, error);
      ok = picks != NULL;
      for (guint i = 0; ok && i < pending->len; i++)
        {
          BpTree *t = pending->pdata[i];
          BpTree *got = git_tree_for_line (&c, repo, picks, t->line, error);
          if (got == NULL)
            ok = FALSE;
          else
            {
              /* move the result into the slot */
              for (guint k = 0; k < set->trees->len; k++)
                if (set->trees->pdata[k] == t)
                  {
                    set->trees->pdata[k] = got;
                    pending->pdata[i] = got;
                    bp_tree_free (t);
                  }
            }
        }
      g_clear_pointer (&picks, g_hash_table_unref);
      g_clear_pointer (&repo, git_repository_free);
      if (!ok)
        return NULL;
    }
  else if (pending->len > 0)
    {
      if (!debian_trees (&c, pending, error))
        return NULL;
    }

  for (guint i = 0; i < set->trees->len; i++)
    if (((BpTree *) set->trees->pdata[i])->path)
      note_missing_subprojects (set->trees->pdata[i]);
  for (guint i = 0; i < set->trees->len; i++)
    report_tree (&c, set->trees->pdata[i]);
  return g_steal_pointer (&set);
}

/* ---- JSON ---- */

static void
json_notes (JsonBuilder *b, GPtrArray *notes)
{
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < notes->len; i++)
    json_builder_add_string_value (b, notes->pdata[i]);
  json_builder_end_array (b);
}

void
bp_tree_add_json (JsonBuilder *b, const BpTree *t)
{
  json_builder_begin_object (b);
  bp_json_add_string (b, "line", t->line);
  bp_json_add_string (b, "kind", bp_tree_kind_to_string (t->kind));
  bp_json_add_string (b, "path", t->path);
  bp_json_add_string (b, "version", t->version);
  bp_json_add_string (b, "origin", t->origin);
  bp_json_add_string (b, "deb-version", t->deb_version);
  bp_json_add_string (b, "ref", t->ref);
  bp_json_add_string (b, "commit", t->commit);
  json_builder_set_member_name (b, "cached");
  json_builder_add_boolean_value (b, t->cached);
  json_notes (b, t->notes);
  bp_json_add_string (b, "missing", t->missing);
  json_builder_end_object (b);
}

static char *
member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? g_strdup (json_node_get_string (n)) : NULL;
}

BpTree *
bp_tree_from_json (JsonNode *node, GError **error)
{
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  g_autofree char *line = o ? member (o, "line") : NULL;
  g_autofree char *kind = o ? member (o, "kind") : NULL;
  if (line == NULL || kind == NULL)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_INVALID_TREE, "a tree without \"line\" or \"kind\"");
      return NULL;
    }
  BpTree *t = bp_tree_new (line);
  static const BpTreeKind kinds[] = { BP_TREE_NONE, BP_TREE_DEBIAN, BP_TREE_GIT, BP_TREE_USER };
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kind, bp_tree_kind_to_string (kinds[i])) == 0)
      t->kind = kinds[i];
  t->path = member (o, "path");
  t->version = member (o, "version");
  t->origin = member (o, "origin");
  t->deb_version = member (o, "deb-version");
  t->ref = member (o, "ref");
  t->commit = member (o, "commit");
  t->missing = member (o, "missing");
  t->cached = json_object_get_boolean_member_with_default (o, "cached", FALSE);
  JsonArray *notes = json_object_has_member (o, "notes") ? json_object_get_array_member (o, "notes") : NULL;
  for (guint i = 0; notes && i < json_array_get_length (notes); i++)
    {
      const char *n = json_array_get_string_element (notes, i);
      if (n)
        g_ptr_array_add (t->notes, g_strdup (n));
    }
  return t;
}

JsonNode *
bp_tree_set_to_json (BpTreeSet *set)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "trees");
  json_builder_begin_array (b);
  for (guint i = 0; i < set->trees->len; i++)
    bp_tree_add_json (b, set->trees->pdata[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "downloads");
  json_builder_add_int_value (b, set->downloads);
  json_builder_set_member_name (b, "exports");
  json_builder_add_int_value (b, set->exports);
  json_builder_set_member_name (b, "index-updated");
  json_builder_add_boolean_value (b, set->index_updated);
  json_notes (b, set->notes);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
