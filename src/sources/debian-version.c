/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debian versions: dpkg's order, upstream part, apt-cache showsrc. */
#include <string.h>

#include "sources/debian-version.h"

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
