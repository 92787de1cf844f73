/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "base/version.h"
#include "sources/release-tags.h"
#include <gio/gio.h>

void
bp_release_tag_free (BpReleaseTag *t)
{
  if (t == NULL)
    return;
  g_free (t->line);
  g_free (t->tag);
  g_free (t);
}

static int
newest_first (gconstpointer a, gconstpointer b)
{
  const BpReleaseTag *ta = *(BpReleaseTag *const *) a, *tb = *(BpReleaseTag *const *) b;
  return bp_version_compare (tb->version, ta->version);
}

GPtrArray *
bp_release_tags_by_line (git_repository *repo, GError **error)
{
  g_autoptr(GHashTable) by_line = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_release_tag_free);
  git_strarray tags = { 0 };
  if (git_tag_list_match (&tags, "v*", repo) != 0)
    {
      bp_git_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot list the repository's tags");
      return NULL;
    }
  for (size_t i = 0; i < tags.count; i++)
    {
      guint v[3];
      if (!bp_version_parse_release_tag (tags.strings[i], v))
        continue;
      g_autofree char *line = g_strdup_printf ("%u.%u", v[0], v[1]);
      BpReleaseTag *old = g_hash_table_lookup (by_line, line);
      if (old && bp_version_compare (old->version, v) >= 0)
        continue;
      g_autofree char *spec = g_strdup_printf ("refs/tags/%s^{commit}", tags.strings[i]);
      g_autoptr(git_object) obj = NULL;
      if (git_revparse_single (&obj, repo, spec) != 0)
        continue;
      BpReleaseTag *t = old;
      if (t == NULL)
        {
          t = g_new0 (BpReleaseTag, 1);
          t->line = g_steal_pointer (&line);
          g_ptr_array_add (out, t);
          g_hash_table_insert (by_line, t->line, t);
        }
      g_free (t->tag);
      t->tag = g_strdup (tags.strings[i]);
      memcpy (t->version, v, sizeof v);
      git_oid_cpy (&t->commit, git_object_id (obj));
    }
  git_strarray_dispose (&tags);
  g_ptr_array_sort (out, newest_first);
  return g_steal_pointer (&out);
}

BpReleaseTag *
bp_release_tags_get (GPtrArray *tags, const char *line)
{
  for (guint i = 0; i < tags->len; i++)
    if (strcmp (((BpReleaseTag *) tags->pdata[i])->line, line) == 0)
      return tags->pdata[i];
  return NULL;
}
