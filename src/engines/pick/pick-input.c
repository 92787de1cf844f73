/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PICK arguments to BpPickItems.  See pick-input.h. */
#include <string.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "engines/pick/pick-input.h"
#include "sources/import.h"

static gboolean
git_fail (GError **error, const char *what)
{
  return bp_git_error (error, BP_PICK_ERROR, BP_PICK_ERROR_GIT, what);
}

/* Fixes: trailers, resolved to full ids where the repository knows them. */
static GPtrArray *
resolve_fixes (git_repository *repo, const BpPatch *patch)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) values = bp_patch_trailers (patch, "Fixes");
  for (guint i = 0; i < values->len; i++)
    {
      const char *v = values->pdata[i];
      gsize n = strspn (v, "0123456789abcdefABCDEF");
      if (n < 7 || n > GIT_OID_HEXSZ)
        continue;
      g_autofree char *hex = g_ascii_strdown (v, n);
      git_oid oid;
      g_autoptr(git_object) obj = NULL;
      if (repo && git_oid_fromstrn (&oid, hex, n) == 0
          && git_object_lookup_prefix (&obj, repo, &oid, n, GIT_OBJECT_COMMIT) == 0)
        g_ptr_array_add (out, g_strdup (git_oid_tostr_s (git_object_id (obj))));
      else
        g_ptr_array_add (out, g_steal_pointer (&hex));
    }
  return out;
}

void
bp_pick_item_free (BpPickItem *item)
{
  if (item == NULL)
    return;
  g_free (item->label);
  g_free (item->commit);
  g_free (item->parent);
  g_clear_pointer (&item->files, g_ptr_array_unref);
  g_clear_pointer (&item->patch, bp_patch_free);
  g_clear_pointer (&item->fixes, g_ptr_array_unref);
  g_free (item);
}

static void
pick_file_free (BpPickFile *f)
{
  g_free (f->old_path);
  g_free (f->new_path);
  g_free (f);
}

static BpPickItem *
item_new (const char *label)
{
  BpPickItem *item = g_new0 (BpPickItem, 1);
  item->label = g_strdup (label);
  item->files = g_ptr_array_new_with_free_func ((GDestroyNotify) pick_file_free);
  return item;
}

static GDateTime *
signature_time (const git_signature *sig)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (sig->when.offset * 60);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (sig->when.time);
  return utc ? g_date_time_to_timezone (utc, tz) : NULL;
}

/* Subject, author, date and message of COMMIT as a BpPatch without files. */
static BpPatch *
patch_from_commit (git_commit *commit, const char *label)
{
  BpPatch *patch = g_new0 (BpPatch, 1);
  patch->source = g_strdup (label);
  const char *msg = git_commit_message (commit);
  const char *nl = strstr (msg, "\n\n");
  g_autofree char *first = nl ? g_strndup (msg, nl - msg) : g_strdup (msg);
  g_strchomp (first);
  /* A subject folded over lines is one line. */
  g_strdelimit (first, "\n", ' ');
  patch->subject = g_steal_pointer (&first);
  patch->message = g_strdup (nl ? nl + 2 : "");
  const git_signature *a = git_commit_author (commit);
  patch->author_name = g_strdup (a->name);
  patch->author_email = g_strdup (a->email);
  patch->date = signature_time (a);
  patch->files = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_file_diff_free);
  return patch;
}

/* One delta of the commit's diff: its hunks (parsed from git's own patch
 * text, so the parser and the locator see exactly what git prints). */
static gboolean
add_delta (BpPickItem *item, git_diff *diff, size_t i, GString *text, GError **error)
{
  const git_diff_delta *d = git_diff_get_delta (diff, i);
  BpPickFile *f = g_new0 (BpPickFile, 1);
  g_ptr_array_add (item->files, f);
  if (d->status != GIT_DELTA_ADDED)
    {
      f->old_path = g_strdup (d->old_file.path);
      f->old_mode = d->old_file.mode;
      f->pre = d->old_file.id;
      f->has_pre = TRUE;
    }
  if (d->status != GIT_DELTA_DELETED)
    {
      f->new_path = g_strdup (d->new_file.path);
      f->new_mode = d->new_file.mode;
      f->post = d->new_file.id;
      f->has_post = TRUE;
    }
  f->binary = (d->flags & GIT_DIFF_FLAG_BINARY) != 0;
  if (f->binary || f->old_mode == GIT_FILEMODE_COMMIT || f->new_mode == GIT_FILEMODE_COMMIT)
    {
      f->binary = TRUE;  /* a submodule moves as an object, like a binary file */
      return TRUE;
    }
  g_autoptr(git_patch) patch = NULL;
  git_buf buf = GIT_BUF_INIT;
  if (git_patch_from_diff (&patch, diff, i) != 0 || git_patch_to_buf (&buf, patch) != 0)
    return git_fail (error, "cannot print the commit's diff");
  g_string_append_len (text, buf.ptr, buf.size);
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) parsed = bp_diff_parse (buf.ptr, buf.size, item->label, &local);
  git_buf_dispose (&buf);
  if (parsed == NULL)
    {
      if (g_error_matches (local, BP_PATCH_ERROR, BP_PATCH_ERROR_BINARY))
        {
          f->binary = TRUE;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  for (guint k = 0; k < parsed->len; k++)
    {
      BpFileDiff *fd = g_steal_pointer (&parsed->pdata[k]);
      if (k == 0)
        f->diff = fd;
      g_ptr_array_add (item->patch->files, fd);
    }
  g_ptr_array_set_free_func (parsed, NULL);
  return TRUE;
}

BpPickItem *
bp_pick_item_from_commit (git_repository *repo, const git_oid *oid, const char *label,
                          GError **error)
{
  g_autoptr(git_commit) commit = NULL;
  if (git_commit_lookup (&commit, repo, oid) != 0)
    {
      git_fail (error, "cannot read the commit");
      return NULL;
    }
  if (git_commit_parentcount (commit) > 1)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT,
                   "%s is a merge; pick the commits it merges instead", label);
      return NULL;
    }
  g_autoptr(BpPickItem) item = item_new (label);
  item->commit = g_strdup (git_oid_tostr_s (oid));
  item->patch = patch_from_commit (commit, label);
  item->fixes = resolve_fixes (repo, item->patch);

  g_autoptr(git_tree) tree = NULL, parent_tree = NULL;
  if (git_commit_tree (&tree, commit) != 0)
    {
      git_fail (error, "cannot read the commit's tree");
      return NULL;
    }
  if (git_commit_parentcount (commit) == 1)
    {
      g_autoptr(git_commit) parent = NULL;
      if (git_commit_parent (&parent, commit, 0) != 0 || git_commit_tree (&parent_tree, parent) != 0)
        {
          git_fail (error, "cannot read the commit's parent");
          return NULL;
        }
      item->parent = g_strdup (git_oid_tostr_s (git_commit_id (parent)));
    }
  /* git show's defaults: renames found, 3 lines of context. */
  git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
  dopts.flags |= GIT_DIFF_INDENT_HEURISTIC;
  g_autoptr(git_diff) diff = NULL;
  if (git_diff_tree_to_tree (&diff, repo, parent_tree, tree, &dopts) != 0)
    {
      git_fail (error, "cannot diff the commit");
      return NULL;
    }
  git_diff_find_options fopts = GIT_DIFF_FIND_OPTIONS_INIT;
  fopts.flags = GIT_DIFF_FIND_RENAMES;
  if (git_diff_find_similar (diff, &fopts) != 0)
    {
      git_fail (error, "cannot find the commit's renames");
      return NULL;
    }
  g_autoptr(GString) text = g_string_new (NULL);
  for (size_t i = 0; i < git_diff_num_deltas (diff); i++)
    if (!add_delta (item, diff, i, text, error))
      return NULL;
  item->patch->diff = g_string_free (g_steal_pointer (&text), FALSE);
  if (item->files->len == 0)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT, "%s changes nothing: nothing to pick", label);
      return NULL;
    }
  return g_steal_pointer (&item);
}

static guint
mode_from_text (const char *mode, guint fallback)
{
  return mode ? (guint) g_ascii_strtoull (mode, NULL, 8) : fallback;
}

/* Full blob id for an index line's abbreviation, when REPO has it. */
static gboolean
resolve_blob (git_repository *repo, const char *abbrev, git_oid *out)
{
  if (repo == NULL || abbrev == NULL)
    return FALSE;
  gsize n = strlen (abbrev);
  if (n < 7 || n > GIT_OID_HEXSZ || strspn (abbrev, "0123456789abcdef") != n
      || strspn (abbrev, "0") == n)
    return FALSE;
  git_oid oid;
  g_autoptr(git_object) obj = NULL;
  if (git_oid_fromstrn (&oid, abbrev, n) != 0
      || git_object_lookup_prefix (&obj, repo, &oid, n, GIT_OBJECT_BLOB) != 0)
    return FALSE;
  *out = *git_object_id (obj);
  return TRUE;
}

gboolean
bp_pick_items_from_file (git_repository *repo, const char *path, GPtrArray *items, GError **error)
{
  g_autoptr(GPtrArray) imported = bp_import_load (path, error);
  if (imported == NULL)
    return FALSE;
  for (guint i = 0; i < imported->len; i++)
    {
      BpImported *imp = imported->pdata[i];
      if (imp->damaged)
        {
          g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT,
                       "%s: the patch lost its whitespace; repair it first with "
                       "`backport import %s --tree DIR -o FILE`", path, path);
          return FALSE;
        }
      g_autofree char *label = imported->len > 1 ? g_strdup_printf ("%s#%u", path, i + 1) : g_strdup (path);
      g_autoptr(BpPickItem) item = item_new (label);
      item->patch = g_steal_pointer (&imp->patch);
      item->fixes = resolve_fixes (repo, item->patch);
      for (guint k = 0; k < item->patch->files->len; k++)
        {
          const BpFileDiff *fd = item->patch->files->pdata[k];
          BpPickFile *f = g_new0 (BpPickFile, 1);
          f->old_path = g_strdup (fd->old_path);
          f->new_path = g_strdup (fd->new_path);
          f->old_mode = fd->old_path ? mode_from_text (fd->old_mode, GIT_FILEMODE_BLOB) : 0;
          f->new_mode = fd->new_path ? mode_from_text (fd->new_mode, f->old_mode ? f->old_mode : GIT_FILEMODE_BLOB) : 0;
          f->has_pre = fd->old_path && resolve_blob (repo, fd->old_blob, &f->pre);
          f->has_post = fd->new_path && resolve_blob (repo, fd->new_blob, &f->post);
          f->binary = fd->is_binary;
          f->diff = fd;
          g_ptr_array_add (item->files, f);
        }
      g_ptr_array_add (items, g_steal_pointer (&item));
    }
  return TRUE;
}

/* The commits of A..B, oldest first, merges left out, filtered by TRAILER. */
static gboolean
add_range (git_repository *repo, const char *range, const GRegex *trailer, GPtrArray *items,
           GError **error)
{
  g_autoptr(git_revwalk) walk = NULL;
  if (git_revwalk_new (&walk, repo) != 0)
    return git_fail (error, "cannot walk the history");
  git_revwalk_sorting (walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE);
  if (git_revwalk_push_range (walk, range) != 0)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT,
                   "%s: not a range of this repository (%s)", range,
                   git_error_last () ? git_error_last ()->message : "unknown revision");
      return FALSE;
    }
  guint added = 0;
  git_oid oid;
  while (git_revwalk_next (&oid, walk) == 0)
    {
      g_autoptr(git_commit) commit = NULL;
      if (git_commit_lookup (&commit, repo, &oid) != 0)
        return git_fail (error, "cannot read a commit of the range");
      if (git_commit_parentcount (commit) > 1)
        continue;
      if (trailer && !g_regex_match (trailer, git_commit_message (commit), 0, NULL))
        continue;
      char hex[GIT_OID_HEXSZ + 1];
      git_oid_tostr (hex, sizeof hex, &oid);
      BpPickItem *item = bp_pick_item_from_commit (repo, &oid, hex, error);
      if (item == NULL)
        return FALSE;
      g_ptr_array_add (items, item);
      added++;
    }
  if (added == 0)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT, "%s holds no commit to pick%s", range,
                   trailer ? " that matches --trailer" : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
bp_pick_input_add (git_repository *repo, const char *pick, const GRegex *trailer,
                   GPtrArray *items, GError **error)
{
  if (g_file_test (pick, G_FILE_TEST_EXISTS))
    {
      if (!g_file_test (pick, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT,
                       "%s is not a regular file; give a patch or mail file, a commit or a range", pick);
          return FALSE;
        }
      return bp_pick_items_from_file (repo, pick, items, error);
    }
  if (repo == NULL)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT,
                   "%s: no such file, and no repository to find it as a commit in (give --repo DIR)", pick);
      return FALSE;
    }
  if (strstr (pick, ".."))
    return add_range (repo, pick, trailer, items, error);
  g_autoptr(git_object) obj = NULL;
  g_autoptr(git_object) peeled = NULL;
  if (git_revparse_single (&obj, repo, pick) != 0 || git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) != 0)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_INPUT,
                   "%s: not a file, a commit or a range of the repository", pick);
      return FALSE;
    }
  BpPickItem *item = bp_pick_item_from_commit (repo, git_object_id (peeled), pick, error);
  if (item == NULL)
    return FALSE;
  g_ptr_array_add (items, item);
  return TRUE;
}
