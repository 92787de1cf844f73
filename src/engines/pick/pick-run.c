/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pick queue.  See pick-run.h. */
#include <string.h>

#include <git2/sys/mempack.h>

#include "base/bp-git.h"
#include "base/git-autoptr.h"
#include "base/test-pause.h"
#include "engines/apply.h"
#include "engines/locate.h"
#include "engines/pick/pick-check.h"
#include "engines/pick/pick-history.h"
#include "engines/pick/pick-place.h"
#include "engines/pick/pick-renames.h"
#include "engines/pick/pick-run.h"
#include "engines/pick/pick-target.h"
#include "model/c-source.h"

static gboolean
git_fail (GError **error, const char *what)
{
  return bp_git_error (error, BP_PICK_ERROR, BP_PICK_ERROR_GIT, what);
}

/* One file of a pick as it will be written. */
typedef struct {
  char *old_path;     /* in the target before; NULL: created */
  char *new_path;     /* in the target after; NULL: deleted */
  GBytes *before, *after;
  guint mode;
} Change;

static void
change_free (Change *c)
{
  g_free (c->old_path);
  g_free (c->new_path);
  g_clear_pointer (&c->before, g_bytes_unref);
  g_clear_pointer (&c->after, g_bytes_unref);
  g_free (c);
}

typedef struct {
  git_repository *repo;
  const BpPickOptions *options;
  git_oid start;               /* onto: the revision's commit */
  gboolean have_start;
  git_tree *tree;              /* onto: the queue's current tree */
  git_commit *tip;             /* onto + branch: the last commit made */
  BpPickHistory *history;      /* the target's history, when it has one */
  git_repository *tree_repo;   /* tree_dir: its own repository, if a git work tree */
  GHashTable *picked;          /* commit hex of the queue's applied picks */
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->tree, git_tree_free);
  g_clear_pointer (&run->tip, git_commit_free);
  g_clear_pointer (&run->history, bp_pick_history_free);
  g_clear_pointer (&run->tree_repo, git_repository_free);
  g_clear_pointer (&run->picked, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
progress (Run *run, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
progress (Run *run, const char *format, ...)
{
  if (run->options->progress == NULL)
    return;
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  run->options->progress (msg, run->options->progress_data);
}

/* ---- verdicts before placing ---------------------------------------------- */

static gboolean
find_present (Run *run, BpPickResult *r, GError **error)
{
  const BpPickItem *item = r->item;
  BpPickEvidence *e = NULL;
  if (item->commit == NULL)
    {
      /* a mail: its upstream commit, if the target has one, by patch-id */
      if (run->history == NULL || !bp_pick_history_contains_patch (run->history, item->patch, &e))
        {
          bp_pick_history_failed (run->history, error);
          return FALSE;
        }
      g_ptr_array_add (r->evidence, e);
      return TRUE;
    }
  if (g_hash_table_contains (run->picked, item->commit))
    {
      g_ptr_array_add (r->evidence, bp_pick_evidence_new ("queue", item->commit,
                                                          "picked earlier in this queue"));
      return TRUE;
    }
  if (run->history == NULL)
    return FALSE;
  gboolean known;
  if (!bp_pick_history_contains (run->history, item->commit, item->commit, &e, &known, error))
    return FALSE;
  g_ptr_array_add (r->evidence, e);
  return TRUE;
}

/* Every commit the fix's Fixes: trailers name is absent from the target
 * (and each is known to the repository): the bug is not there. */
static gboolean
find_not_needed (Run *run, BpPickResult *r, GError **error)
{
  const BpPickItem *item = r->item;
  if (item->fixes == NULL || item->fixes->len == 0 || run->history == NULL)
    return FALSE;
  g_autoptr(GPtrArray) evidence = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_pick_evidence_free);
  for (guint i = 0; i < item->fixes->len; i++)
    {
      const char *fix = item->fixes->pdata[i];
      BpPickEvidence *e = NULL;
      gboolean known;
      g_autoptr(GError) local = NULL;
      if (bp_pick_history_contains (run->history, fix, item->commit, &e, &known, &local))
        {
          bp_pick_evidence_free (e);
          return FALSE;   /* the bug is there: needed */
        }
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (!known)
        return FALSE;     /* cannot tell: pick it */
      g_autofree char *d = g_strdup_printf ("Fixes: %.12s is not in the target (no ancestry, "
                                            "no cherry-pick of it, no patch-id twin)", fix);
      g_ptr_array_add (evidence, bp_pick_evidence_new ("fixes", fix, d));
    }
  g_ptr_array_extend_and_steal (r->evidence, g_steal_pointer (&evidence));
  return TRUE;
}

/* ---- placing ---------------------------------------------------------------- */

static BpPickTarget *
current_target (Run *run, GError **error)
{
  if (run->options->tree_dir)
    return bp_pick_target_new_dir (run->options->tree_dir, error);
  return bp_pick_target_new_tree (run->repo, run->tree);
}

static gboolean
is_c_file (const char *name)
{
  return g_str_has_suffix (name, ".c") || g_str_has_suffix (name, ".h") || g_str_has_suffix (name, ".inc");
}

/* Another file beside NEAR (or beside ALSO) that defines FN, or NULL. */
static char *
file_defining (BpPickTarget *target, const char *near, const char *also, const char *fn)
{
  const char *dirs_of[] = { near, also };
  for (guint d = 0; d < G_N_ELEMENTS (dirs_of); d++)
    {
      if (dirs_of[d] == NULL)
        continue;
      g_autofree char *dir = g_path_get_dirname (dirs_of[d]);
      g_autoptr(GPtrArray) names = bp_pick_target_list (target, strcmp (dir, ".") ? dir : "");
      for (guint i = 0; i < names->len; i++)
        {
          const char *name = names->pdata[i];
          g_autofree char *path = strcmp (dir, ".") ? g_build_filename (dir, name, NULL) : g_strdup (name);
          if (!is_c_file (name) || strcmp (path, near) == 0)
            continue;
          g_autoptr(GBytes) text = NULL;
          if (!bp_pick_target_read (target, path, &text, NULL, NULL, NULL) || text == NULL)
            continue;
          gsize len;
          const char *data = g_bytes_get_data (text, &len);
          BpCDefinition def;
          if (data && memmem (data, len, fn, strlen (fn)) && bp_c_find_definition (data, len, fn, &def) == 1)
            return g_steal_pointer (&path);
        }
    }
  return NULL;
}

/* The function the hunk that failed (or the first hunk, when the file was
 * not there at all) belongs to: the one its section names, else one its
 * context defines (a line at column 0 naming it before a parenthesis). */
static char *
failed_function (const BpPickFile *f, const BpPlaceResult *placed)
{
  if (f->diff == NULL || f->diff->hunks->len == 0)
    return NULL;
  guint index = 1;
  for (guint i = 0; placed->hunks && i < placed->hunks->len; i++)
    {
      const BpHunkReport *h = placed->hunks->pdata[i];
      if (h->how == BP_HUNK_FAILED)
        index = h->hunk;
    }
  const BpHunk *hunk = f->diff->hunks->pdata[MIN (index, f->diff->hunks->len) - 1];
  char *fn = bp_locate_section_function (hunk->section);
  for (guint i = 0; fn == NULL && i < hunk->lines->len; i++)
    {
      const BpDiffLine *l = hunk->lines->pdata[i];
      if (l->kind != '+' && l->text[0] && !g_ascii_isspace (l->text[0]) && l->text[0] != '#'
          && l->text[0] != '/' && l->text[0] != '*' && !g_str_has_suffix (l->text, ";"))
        fn = bp_locate_section_function (l->text);
    }
  return fn;
}

static gboolean
place_at (Run *run, BpPickTarget *target, const BpPickItem *item, const BpPickFile *f,
          const char *path, gboolean other_file, BpPlaceResult *out, GError **error)
{
  g_autoptr(GBytes) ours = NULL;
  guint mode = 0;
  git_oid oid;
  memset (&oid, 0, sizeof oid);
  if (!bp_pick_target_read (target, path, &ours, &mode, &oid, error))
    return FALSE;
  g_autofree char *label = item->commit
    ? g_strdup_printf ("%.10s (%s)", item->commit, item->patch->subject ? item->patch->subject : "")
    : g_strdup (item->label);
  BpPlaceInput in = {
    .repo = run->repo, .file = f, .target_path = path, .ours = ours, .ours_mode = mode,
    .ours_id = ours ? &oid : NULL, .patch_name = item->label, .fix_label = label,
    .other_file = other_file,
  };
  return bp_pick_place_file (&in, out, error);
}

/* The placed result is what the target already has: nothing to write. */
static gboolean
same_content (BpPickTarget *target, const char *path, const BpPlaceResult *placed, const BpPickFile *f)
{
  if (f->new_path == NULL || (f->old_path && strcmp (f->old_path, f->new_path) != 0))
    return FALSE;
  g_autoptr(GBytes) ours = NULL;
  guint mode = 0;
  return bp_pick_target_read (target, path, &ours, &mode, NULL, NULL) && ours && placed->result
         && g_bytes_equal (ours, placed->result) && mode == placed->mode;
}

/* Place every file of R's item on TARGET: CHANGES get what to write.
 * FALSE with an error only when the store fails; a misfit sets the verdict. */
static gboolean
place_item (Run *run, BpPickTarget *target, BpPickResult *r, GPtrArray *changes, GError **error)
{
  const BpPickItem *item = r->item;
  g_autoptr(BpPickRenames) renames = NULL;
  if (run->have_start && item->parent && item->commit && run->history)
    {
      git_oid parent, fix;
      if (git_oid_fromstr (&parent, item->parent) == 0 && git_oid_fromstr (&fix, item->commit) == 0)
        renames = bp_pick_renames_new (run->repo, &parent, &run->start,
                                       bp_pick_history_base (run->history, &fix), NULL);
    }
  guint present = 0;
  for (guint i = 0; i < item->files->len; i++)
    {
      const BpPickFile *f = item->files->pdata[i];
      const char *fix_path = f->old_path ? f->old_path : f->new_path;
      g_autofree char *why = NULL;
      g_autofree char *path = NULL;
      if (f->old_path && renames)
        path = bp_pick_renames_follow (renames, f->old_path, &why, NULL);
      if (path == NULL)
        path = g_strdup (fix_path);
      g_auto(BpPlaceResult) placed = { 0 };
      if (!place_at (run, target, item, f, path, FALSE, &placed, error))
        return FALSE;
      /* The function a failing hunk names lives in another file here. */
      g_autofree char *fn = placed.placed ? NULL : failed_function (f, &placed);
      g_autofree char *other = fn ? file_defining (target, path, fix_path, fn) : NULL;
      if (other)
        {
          g_auto(BpPlaceResult) moved = { 0 };
          if (!place_at (run, target, item, f, other, TRUE, &moved, error))
            return FALSE;
          if (moved.placed)
            {
              bp_place_result_clear (&placed);
              placed = moved;
              memset (&moved, 0, sizeof moved);
              g_free (why);
              why = g_strdup_printf ("%s() is defined in %s here, not in %s", fn, other, path);
              g_free (path);
              path = g_steal_pointer (&other);
            }
        }
      g_ptr_array_extend (r->hunks, placed.hunks, NULL, NULL);
      g_ptr_array_set_free_func (placed.hunks, NULL);
      bp_pick_result_add_placement (r, fix_path, f->new_path ? path : NULL, why);
      if (!placed.placed)
        {
          r->verdict = BP_PICK_NEEDS_HUMAN;
          r->why = g_steal_pointer (&placed.why);
          r->conflict = g_steal_pointer (&placed.conflict);
          return TRUE;
        }
      if (placed.present || same_content (target, path, &placed, f))
        {
          present++;
          continue;
        }
      Change *c = g_new0 (Change, 1);
      c->old_path = f->old_path ? g_strdup (path) : NULL;
      c->new_path = f->new_path ? (f->old_path && strcmp (f->old_path, f->new_path) != 0
                                     ? g_strdup (f->new_path) : g_strdup (path))
                                : NULL;
      if (c->old_path)
        bp_pick_target_read (target, c->old_path, &c->before, NULL, NULL, NULL);
      c->after = g_steal_pointer (&placed.result);
      c->mode = placed.mode;
      g_ptr_array_add (changes, c);
    }
  if (present == item->files->len)
    {
      r->verdict = BP_PICK_PRESENT;
      g_ptr_array_add (r->evidence, bp_pick_evidence_new ("content", NULL,
                                                          "every hunk's result is already in the files"));
    }
  else
    r->verdict = BP_PICK_APPLIED;
  return TRUE;
}

/* ---- summaries ------------------------------------------------------------ */

static gboolean
noteworthy (BpHunkMatch how)
{
  return how == BP_HUNK_WHITESPACE || how == BP_HUNK_FUZZ || how == BP_HUNK_THREE_WAY
         || how == BP_HUNK_CONTEXT || how == BP_HUNK_FUNCTION;
}

/* "exact", "offset 12", "3-way; context fix in F", ... and the backport note. */
static void
summarise (BpPickResult *r)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) fixed = g_ptr_array_new_with_free_func (g_free);
  int max_offset = 0;
  gboolean three_way = FALSE;
  for (guint i = 0; i < r->hunks->len; i++)
    {
      const BpHunkReport *h = r->hunks->pdata[i];
      if (h->how == BP_HUNK_OFFSET && ABS (h->offset) > ABS (max_offset))
        max_offset = h->offset;
      three_way |= h->how == BP_HUNK_THREE_WAY;
      if (noteworthy (h->how) && !g_ptr_array_find_with_equal_func (fixed, h->file, g_str_equal, NULL))
        g_ptr_array_add (fixed, g_strdup (h->file));
    }
  for (guint i = 0; i < r->placements->len; i++)
    {
      const BpPickPlacement *p = r->placements->pdata[i];
      if (p->target_path && strcmp (p->fix_path, p->target_path) != 0)
        g_ptr_array_add (parts, g_strdup_printf ("%s -> %s", p->fix_path, p->target_path));
    }
  if (fixed->len)
    {
      g_ptr_array_add (fixed, NULL);
      g_autofree char *files = g_strjoinv (", ", (char **) fixed->pdata);
      g_ptr_array_add (parts, g_strdup_printf ("%scontext fix in %s", three_way ? "3-way, " : "", files));
    }
  else if (max_offset)
    g_ptr_array_add (parts, g_strdup_printf ("offset %+d", max_offset));
  if (parts->len == 0)
    g_ptr_array_add (parts, g_strdup ("exact"));
  g_ptr_array_add (parts, NULL);
  r->how = g_strjoinv ("; ", (char **) parts->pdata);
  if (strcmp (r->how, "exact") != 0)
    r->note = g_strdup_printf ("(backport: %s)", r->how);
}

/* ---- writing: the object database ----------------------------------------- */

static gboolean
write_tree (Run *run, BpPickResult *r, GPtrArray *changes, GError **error)
{
  g_autoptr(GArray) updates = g_array_new (FALSE, TRUE, sizeof (git_tree_update));
  for (guint i = 0; i < changes->len; i++)
    {
      Change *c = changes->pdata[i];
      if (c->old_path && (c->new_path == NULL || strcmp (c->old_path, c->new_path) != 0))
        {
          git_tree_update u = { .action = GIT_TREE_UPDATE_REMOVE, .path = c->old_path };
          g_array_append_val (updates, u);
        }
      if (c->new_path)
        {
          git_tree_update u = { .action = GIT_TREE_UPDATE_UPSERT, .path = c->new_path,
                                .filemode = c->mode ? c->mode : GIT_FILEMODE_BLOB };
          gsize len;
          const void *data = g_bytes_get_data (c->after, &len);
          if (git_blob_create_from_buffer (&u.id, run->repo, data ? data : "", len) != 0)
            return git_fail (error, "cannot store a blob");
          g_array_append_val (updates, u);
        }
    }
  git_oid tree_id;
  if (git_tree_create_updated (&tree_id, run->repo, run->tree, updates->len,
                               (const git_tree_update *) (void *) updates->data) != 0)
    return git_fail (error, "cannot write the result tree");
  git_tree *next = NULL;
  if (git_tree_lookup (&next, run->repo, &tree_id) != 0)
    return git_fail (error, "cannot read back the result tree");
  git_tree_free (run->tree);
  run->tree = next;
  return TRUE;
}

static gboolean
write_commit (Run *run, BpPickResult *r, GError **error)
{
  const BpPickItem *item = r->item;
  g_autoptr(git_signature) committer = NULL;
  if (git_signature_default (&committer, run->repo) != 0)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET,
                   "no committer identity for the branch's commits: set user.name and user.email (git config)");
      return FALSE;
    }
  g_autoptr(git_signature) author = NULL;
  if (item->patch->author_email)
    {
      gint64 when = item->patch->date ? g_date_time_to_unix (item->patch->date) : (gint64) time (NULL);
      int tz = item->patch->date ? (int) (g_date_time_get_utc_offset (item->patch->date) / G_TIME_SPAN_MINUTE) : 0;
      if (git_signature_new (&author, item->patch->author_name ? item->patch->author_name : "",
                             item->patch->author_email, when, tz) != 0)
        return git_fail (error, "bad author in the pick");
    }
  g_autofree char *sob = run->options->signoff
    ? g_strdup_printf ("Signed-off-by: %s <%s>", committer->name, committer->email) : NULL;
  g_autofree char *msg = bp_pick_commit_message (item, r->note, sob);
  const git_commit *parents[1] = { run->tip };
  git_oid id;
  if (git_commit_create (&id, run->repo, NULL, author ? author : committer, committer, NULL, msg,
                         run->tree, 1, parents) != 0)
    return git_fail (error, "cannot create the commit");
  git_commit *next = NULL;
  if (git_commit_lookup (&next, run->repo, &id) != 0)
    return git_fail (error, "cannot read back the commit");
  git_commit_free (run->tip);
  run->tip = next;
  r->commit = g_strdup (git_oid_tostr_s (&id));
  return TRUE;
}

char *
bp_pick_commit_message (const BpPickItem *item, const char *note, const char *signoff)
{
  GString *msg = g_string_new (item->patch->subject ? item->patch->subject : "backported fix");
  g_string_append (msg, "\n\n");
  if (item->patch->message && *item->patch->message)
    {
      g_autofree char *body = g_strdup (item->patch->message);
      g_strchomp (body);
      if (*body)
        g_string_append_printf (msg, "%s\n", body);
    }
  if (item->commit)
    g_string_append_printf (msg, "(cherry picked from commit %s)\n", item->commit);
  if (note)
    g_string_append_printf (msg, "%s\n", note);
  if (signoff && !strstr (msg->str, signoff))
    g_string_append_printf (msg, "%s\n", signoff);
  return g_string_free (msg, FALSE);
}

/* ---- writing: a directory, through apply --------------------------------- */

/* The change as a diff --git text against the target (what --tree applies,
 * what --check compiles, what a pack's series holds). */
static char *
render_diff (GPtrArray *changes, GError **error)
{
  GString *out = g_string_new (NULL);
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.flags |= GIT_DIFF_INDENT_HEURISTIC | GIT_DIFF_SHOW_BINARY;
  for (guint i = 0; i < changes->len; i++)
    {
      Change *c = changes->pdata[i];
      gsize blen = 0, alen = 0;
      const void *b = c->before ? g_bytes_get_data (c->before, &blen) : NULL;
      const void *a = c->after ? g_bytes_get_data (c->after, &alen) : NULL;
      g_autoptr(git_patch) patch = NULL;
      if (git_patch_from_buffers (&patch, b, blen, c->old_path, a, alen, c->new_path, &opts) != 0)
        {
          git_fail (error, "cannot render the pick's diff");
          return g_string_free (out, TRUE);
        }
      git_buf buf = GIT_BUF_INIT;
      if (git_patch_to_buf (&buf, patch) != 0)
        {
          git_fail (error, "cannot render the pick's diff");
          return g_string_free (out, TRUE);
        }
      g_string_append_len (out, buf.ptr, buf.size);
      git_buf_dispose (&buf);
    }
  return g_string_free (out, FALSE);
}

/* "0001-vfio-container-Use-x.patch"-style name for quilt. */
static char *
patch_file_name (const BpPickItem *item, guint n)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "%04u-", n);
  gboolean dash = FALSE;
  for (const char *p = item->patch->subject ? item->patch->subject : "pick"; *p && s->len < 57; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '_' || *p == '.')
        {
          g_string_append_c (s, *p);
          dash = FALSE;
        }
      else if (!dash)
        {
          g_string_append_c (s, '-');
          dash = TRUE;
        }
    }
  while (s->len > 5 && (s->str[s->len - 1] == '-' || s->str[s->len - 1] == '.'))
    g_string_truncate (s, s->len - 1);
  g_string_append (s, ".patch");
  return g_string_free (s, FALSE);
}

static gboolean
write_dir (Run *run, BpPickResult *r, guint n, GCancellable *cancellable, GError **error)
{
  const BpPickItem *item = r->item;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) files = bp_diff_parse (r->diff, strlen (r->diff), item->label, &local);
  if (files == NULL)
    {
      r->verdict = BP_PICK_NEEDS_HUMAN;
      r->why = g_strdup_printf ("the result cannot go through apply: %s", local->message);
      return TRUE;
    }
  g_autoptr(BpPatch) patch = g_new0 (BpPatch, 1);
  patch->source = g_strdup (item->label);
  patch->subject = g_strdup (item->patch->subject);
  patch->author_name = g_strdup (item->patch->author_name);
  patch->author_email = g_strdup (item->patch->author_email);
  patch->date = item->patch->date ? g_date_time_ref (item->patch->date) : NULL;
  /* The cherry-pick line and the note go in the message: apply writes it as is. */
  g_autofree char *full = bp_pick_commit_message (item, r->note, NULL);
  const char *body = strstr (full, "\n\n");
  patch->message = g_strdup (body ? body + 2 : "");
  patch->diff = g_strdup (r->diff);
  patch->files = g_steal_pointer (&files);
  g_autoptr(GPtrArray) patches = g_ptr_array_new ();
  g_ptr_array_add (patches, patch);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (names, patch_file_name (item, n));
  BpApplyOptions aopts = {
    .target = run->options->quilt ? BP_APPLY_TARGET_QUILT : BP_APPLY_TARGET_AUTO,
    .signoff = run->options->signoff,
  };
  g_autoptr(GPtrArray) reports = NULL;
  if (!bp_apply_patches (patches, names, NULL, NULL, run->options->tree_dir, &aopts, &reports,
                         cancellable, error))
    return FALSE;
  return TRUE;
}

/* ---- the queue -------------------------------------------------------------- */

static gboolean
open_target (Run *run, GError **error)
{
  const BpPickOptions *o = run->options;
  if (o->onto)
    {
      g_autoptr(git_object) obj = NULL, peeled = NULL;
      if (git_revparse_single (&obj, run->repo, o->onto) != 0
          || git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) != 0)
        {
          g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET,
                       "%s: not a commit of the repository", o->onto);
          return FALSE;
        }
      run->start = *git_object_id (peeled);
      run->have_start = TRUE;
      g_autoptr(git_commit) commit = NULL;
      if (git_commit_lookup (&commit, run->repo, &run->start) != 0
          || git_commit_tree (&run->tree, commit) != 0)
        return git_fail (error, "cannot read the target's tree");
      run->history = bp_pick_history_new (run->repo, &run->start);
      if (o->branch)
        run->tip = g_steal_pointer (&commit);
      return TRUE;
    }
  /* A directory: its own repository, when it is a git work tree, gives
   * the history (and, when it shares the fix's, the renames). */
  g_autofree char *dotgit = g_build_filename (o->tree_dir, ".git", NULL);
  git_oid head;
  if (g_file_test (dotgit, G_FILE_TEST_EXISTS)
      && git_repository_open_ext (&run->tree_repo, o->tree_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0
      && git_reference_name_to_id (&head, run->tree_repo, "HEAD") == 0)
    {
      run->history = bp_pick_history_new (run->tree_repo, &head);
      g_autoptr(git_commit) c = NULL;
      if (run->repo && git_commit_lookup (&c, run->repo, &head) == 0)
        {
          run->start = head;
          run->have_start = TRUE;
        }
    }
  return TRUE;
}

static gboolean
check_branch (Run *run, GError **error)
{
  const char *branch = run->options->branch;
  if (branch == NULL)
    return TRUE;
  if (run->options->onto == NULL)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET, "a branch starts at a revision: commits need one");
      return FALSE;
    }
  g_autofree char *ref = g_strdup_printf ("refs/heads/%s", branch);
  if (!git_reference_is_valid_name (ref))
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET, "%s: not a valid branch name", branch);
      return FALSE;
    }
  g_autoptr(git_reference) existing = NULL;
  if (git_reference_lookup (&existing, run->repo, ref) == 0 && !run->options->force)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_EXISTS,
                   "branch %s already exists", branch);
      return FALSE;
    }
  return TRUE;
}

static BpPickResult *
pick_one (Run *run, BpPickItem *item, guint n, GCancellable *cancellable, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(BpPickResult) r = bp_pick_result_new (item);
  if (find_present (run, r, error))
    r->verdict = BP_PICK_PRESENT;
  else if (error && *error)
    return NULL;
  else if (!run->options->force && find_not_needed (run, r, error))
    r->verdict = BP_PICK_NOT_NEEDED;
  else if (error && *error)
    return NULL;
  else
    {
      g_autoptr(BpPickTarget) target = current_target (run, error);
      if (target == NULL)
        return NULL;
      g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
      if (!place_item (run, target, r, changes, error))
        return NULL;
      if (r->verdict == BP_PICK_APPLIED)
        {
          summarise (r);
          /* The change as text costs a diff of every file: only when asked. */
          if (run->options->tree_dir || run->options->check || run->options->want_diff)
            {
              r->diff = render_diff (changes, error);
              if (r->diff == NULL)
                return NULL;
            }
          if (run->options->check)
            {
              BpPickCheckTarget ct = {
                .tree_dir = run->options->tree_dir, .repo = run->repo,
                .tree = run->tree ? git_tree_id (run->tree) : NULL, .attr_commit = &run->start,
                .cache_dir = run->options->cache_dir,
              };
              if (!bp_pick_check (r, &ct, cancellable, error))
                return NULL;
            }
          bp_test_pause ("pick-placed");
          if (r->verdict != BP_PICK_APPLIED)
            ;   /* the check found it breaks the build: nothing is written */
          else if (run->options->onto)
            {
              if (!write_tree (run, r, changes, error)
                  || (run->options->branch && !write_commit (run, r, error)))
                return NULL;
            }
          else if (!write_dir (run, r, n, cancellable, error))
            return NULL;
          bp_test_pause ("pick-written");
          if (item->commit)
            g_hash_table_add (run->picked, g_strdup (item->commit));
        }
    }
  if (run->tree)
    r->tree = g_strdup (git_oid_tostr_s (git_tree_id (run->tree)));
  r->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&r);
}

GPtrArray *
bp_pick_run (git_repository *repo, GPtrArray *items, const BpPickOptions *options,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) owned = items;
  g_auto(Run) run = { .repo = repo, .options = options };
  run.picked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if ((options->onto == NULL) == (options->tree_dir == NULL))
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET, "a pick goes onto one target: a revision or a directory");
      return NULL;
    }
  if (options->onto && repo == NULL)
    {
      g_set_error (error, BP_PICK_ERROR, BP_PICK_ERROR_TARGET, "picking onto a revision needs its repository");
      return NULL;
    }
  if (options->in_memory && repo)
    {
      git_odb *odb = NULL;
      git_odb_backend *mempack = NULL;
      if (git_repository_odb (&odb, repo) != 0 || git_mempack_new (&mempack) != 0
          || git_odb_add_backend (odb, mempack, 1000) != 0)
        {
          git_odb_free (odb);
          git_fail (error, "cannot keep the work objects in memory");
          return NULL;
        }
      git_odb_free (odb);
    }
  if (!open_target (&run, error) || !check_branch (&run, error))
    return NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_pick_result_free);
  for (guint i = 0; i < owned->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      BpPickItem *item = g_steal_pointer (&owned->pdata[i]);
      progress (&run, "picking %u/%u onto %s: %s", i + 1, owned->len,
                run.options->onto ? run.options->onto : run.options->tree_dir, item->label);
      BpPickResult *r = pick_one (&run, item, i + 1, cancellable, error);
      if (r == NULL)
        {
          for (guint k = i + 1; k < owned->len; k++)
            g_clear_pointer (&owned->pdata[k], bp_pick_item_free);
          return NULL;
        }
      g_ptr_array_add (results, r);
    }
  if (options->branch)
    bp_test_pause ("pick-ref");
  if (options->branch)
    {
      g_autofree char *ref = g_strdup_printf ("refs/heads/%s", options->branch);
      g_autoptr(git_reference) created = NULL;
      if (git_reference_create (&created, repo, ref, git_commit_id (run.tip), options->force,
                                "backport pick") != 0)
        {
          git_fail (error, "cannot create the branch");
          return NULL;
        }
    }
  return g_steal_pointer (&results);
}
