/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PICK arguments to BpPickItems.  See pick-input.h. */
#include <string.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "base/tree-diff.h"
#include "engines/pick/pick-renames.h"
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

/* A change of the commit as a pick file: its hunks come from libgit2's
 * patch of the two blobs (parsed, so the parser and the locator see what
 * git prints). */
static gboolean
add_change (BpPickItem *item, git_repository *repo, const BpTreeChange *old, const BpTreeChange *new,
            GString *text, GError **error)
{
  BpPickFile *f = g_new0 (BpPickFile, 1);
  g_ptr_array_add (item->files, f);
  if (old)
    {
      f->old_path = g_strdup (old->path);
      f->old_mode = old->old_mode;
      f->pre = old->old_id;
      f->has_pre = TRUE;
    }
  if (new)
    {
      f->new_path = g_strdup (new->path);
      f->new_mode = new->new_mode;
      f->post = new->new_id;
      f->has_post = TRUE;
    }
  if (f->old_mode == GIT_FILEMODE_COMMIT || f->new_mode == GIT_FILEMODE_COMMIT)
    {
      f->binary = TRUE;  /* a submodule moves as an object, like a binary file */
      return TRUE;
    }
  g_autoptr(git_blob) ob = NULL, nb = NULL;
  if ((old && git_blob_lookup (&ob, repo, &f->pre) != 0) || (new && git_blob_lookup (&nb, repo, &f->post) != 0))
    return git_fail (error, "cannot read a blob of the commit");
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.flags |= GIT_DIFF_INDENT_HEURISTIC;
  g_autoptr(git_patch) patch = NULL;
  git_buf buf = GIT_BUF_INIT;
  if (git_patch_from_blobs (&patch, ob, f->old_path ? f->old_path : f->new_path, nb,
                            f->new_path ? f->new_path : f->old_path, &opts) != 0)
    return git_fail (error, "cannot diff the commit's blobs");
  if (git_patch_get_delta (patch)->flags & GIT_DIFF_FLAG_BINARY)
    {
      f->binary = TRUE;
      return TRUE;
    }
  if (git_patch_num_hunks (patch) == 0)
    return TRUE;   /* a mode change or a pure rename */
  if (git_patch_to_buf (&buf, patch) != 0)
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

/* Pair deleted and added files into renames, as git's default finds them:
 * the same blob first, then the most similar at 50% or more.  PAIRS gets
 * (deleted, added) BpTreeChange* pairs, taken out of DELETED and ADDED.
 * Too many candidates (git's limit) finds exact renames only. */
static void
find_renames (git_repository *repo, GPtrArray *deleted, GPtrArray *added, GPtrArray *pairs)
{
  for (guint pass = 0; pass < 2; pass++)
    {
      if (pass == 1 && (guint64) deleted->len * added->len > 1000 * 1000)
        return;
      for (guint i = 0; i < deleted->len;)
        {
          const BpTreeChange *d = deleted->pdata[i];
          gint best = -1, best_score = pass == 0 ? 99 : 49;
          for (guint j = 0; j < added->len; j++)
            {
              const BpTreeChange *a = added->pdata[j];
              int score = git_oid_equal (&d->old_id, &a->new_id) ? 100
                        : pass == 0 ? 0 : bp_pick_blob_similarity (repo, &d->old_id, &a->new_id);
              if (score > best_score)
                best = j, best_score = score;
            }
          if (best < 0)
            {
              i++;
              continue;
            }
          g_ptr_array_add (pairs, g_ptr_array_steal_index (deleted, i));
          g_ptr_array_add (pairs, g_ptr_array_steal_index (added, best));
        }
    }
}

/* The commit's change, file by file, with git show's defaults: renames
 * found, 3 lines of context. */
static gboolean
add_changes (BpPickItem *item, git_repository *repo, git_tree *parent_tree, git_tree *tree, GError **error)
{
  g_autoptr(GPtrArray) changes = bp_tree_diff (repo, parent_tree, tree, error);
  if (changes == NULL)
    return FALSE;
  g_autoptr(GPtrArray) deleted = g_ptr_array_new ();
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  g_autoptr(GPtrArray) pairs = g_ptr_array_new ();
  for (guint i = 0; i < changes->len; i++)
    {
      BpTreeChange *c = changes->pdata[i];
      if (c->status == GIT_DELTA_DELETED)
        g_ptr_array_add (deleted, c);
      else if (c->status == GIT_DELTA_ADDED)
        g_ptr_array_add (added, c);
    }
  if (deleted->len && added->len)
    find_renames (repo, deleted, added, pairs);
  g_autoptr(GString) text = g_string_new (NULL);
  for (guint i = 0; i < changes->len; i++)
    {
      BpTreeChange *c = changes->pdata[i];
      gboolean ok = TRUE;
      if (c->status == GIT_DELTA_MODIFIED)
        ok = add_change (item, repo, c, c, text, error);
      else if (g_ptr_array_find (deleted, c, NULL))
        ok = add_change (item, repo, c, NULL, text, error);
      else if (g_ptr_array_find (added, c, NULL))
        ok = add_change (item, repo, NULL, c, text, error);
      else
        for (guint k = 0; k < pairs->len; k += 2)
          if (pairs->pdata[k] == c)
            ok = add_change (item, repo, c, pairs->pdata[k + 1], text, error);
      if (!ok)
        return FALSE;
    }
  item->patch->diff = g_string_free (g_steal_pointer (&text), FALSE);
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
  if (!add_changes (item, repo, parent_tree, tree, error))
    return NULL;
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
          g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_DAMAGED,
                       "%s: the patch lost its whitespace; repair it against a tree first", path);
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
                   trailer ? " that matches the trailer filter" : "");
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
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_NO_REPO,
                   "%s: no such file, and no repository to find it as a commit in", pick);
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
