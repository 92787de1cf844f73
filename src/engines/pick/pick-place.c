/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placing one file of a fix.  See pick-place.h for the ladder. */
#include <string.h>

#include "base/git-autoptr.h"
#include "engines/locate.h"
#include "engines/pick/pick-place.h"
#include "model/c-source.h"
#include "model/lines.h"

/* A context fix keeps at least one line of the hunk's context, and matches
 * at least two lines (context and removed) at one place only. */
#define CONTEXT_FIX_MIN_KEPT 1
#define CONTEXT_FIX_MIN_WINDOW 2

void
bp_place_result_clear (BpPlaceResult *r)
{
  g_clear_pointer (&r->result, g_bytes_unref);
  g_clear_pointer (&r->hunks, g_ptr_array_unref);
  g_clear_pointer (&r->why, g_free);
  g_clear_pointer (&r->conflict, g_free);
}

static BpLines *
lines_of (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &len) : "";
  return bp_lines_new_from_text (data ? data : "", len);
}

static GBytes *
bytes_of (const BpLines *lines)
{
  gsize len;
  char *text = bp_lines_to_text (lines, &len);
  return g_bytes_new_take (text, len);
}

static GBytes *
blob_bytes (git_repository *repo, const git_oid *oid)
{
  g_autoptr(git_blob) blob = NULL;
  if (repo == NULL || git_blob_lookup (&blob, repo, oid) != 0)
    return NULL;
  return g_bytes_new (git_blob_rawcontent (blob), git_blob_rawsize (blob));
}

static BpHunkReport *
report_new (const BpPlaceInput *in, guint index, const BpHunk *hunk, BpHunkMatch how)
{
  BpHunkReport *r = g_new0 (BpHunkReport, 1);
  r->patch = g_strdup (in->patch_name);
  r->file = g_strdup (in->target_path);
  r->hunk = index;
  r->stated_line = hunk->old_start;
  r->how = how;
  return r;
}

/* ---- hunks on lines ------------------------------------------------------ */

typedef struct {
  const BpHunk *hunk;
  BpLocation loc;
} Placed;

/* The old side of HUNK: context and removed lines, in order. */
static GPtrArray *
old_side (const BpHunk *hunk)
{
  GPtrArray *old = g_ptr_array_new ();
  for (guint i = 0; i < hunk->lines->len; i++)
    {
      const BpDiffLine *l = hunk->lines->pdata[i];
      if (l->kind != '+')
        g_ptr_array_add (old, (gpointer) l);
    }
  return old;
}

/* LINES with every placed hunk applied (PLACED in file order). */
static BpLines *
apply_placed (const BpLines *lines, GArray *placed)
{
  g_autoptr(BpLines) out = g_new0 (BpLines, 1);
  out->lines = g_ptr_array_new_with_free_func (g_free);
  out->final_newline = lines->final_newline;
  guint copied = 0;
  for (guint p = 0; p < placed->len; p++)
    {
      const Placed *pl = &g_array_index (placed, Placed, p);
      const BpHunk *hunk = pl->hunk;
      for (; copied < pl->loc.start && copied < lines->lines->len; copied++)
        g_ptr_array_add (out->lines, g_strdup (lines->lines->pdata[copied]));
      guint old_n = 0;
      for (guint i = 0; i < hunk->lines->len; i++)
        if (((const BpDiffLine *) hunk->lines->pdata[i])->kind != '+')
          old_n++;
      guint old_i = 0;
      gboolean last_no_newline = FALSE;
      for (guint i = 0; i < hunk->lines->len; i++)
        {
          const BpDiffLine *l = hunk->lines->pdata[i];
          if (l->kind != '+')
            {
              gboolean in_window = old_i >= pl->loc.skip_head && old_i < old_n - pl->loc.skip_tail;
              old_i++;
              if (!in_window)
                continue;
            }
          if (l->kind == ' ')
            {
              g_ptr_array_add (out->lines, g_strdup (lines->lines->pdata[copied++]));
              last_no_newline = l->no_newline;
            }
          else if (l->kind == '-')
            copied++;
          else
            {
              g_ptr_array_add (out->lines, g_strdup (l->text));
              last_no_newline = l->no_newline;
            }
        }
      if (copied == lines->lines->len && pl->loc.skip_tail == 0)
        out->final_newline = !last_no_newline;
    }
  for (; copied < lines->lines->len; copied++)
    g_ptr_array_add (out->lines, g_strdup (lines->lines->pdata[copied]));
  if (out->lines->len == 0)
    out->final_newline = TRUE;
  return g_steal_pointer (&out);
}

/* The lines [FIRST, LAST) of the definition of FN in LINES, when the file
 * is C and defines it. */
static gboolean
function_region (const BpLines *lines, GBytes *text, const char *path, const char *fn,
                 guint *first, guint *last)
{
  if (fn == NULL || !(g_str_has_suffix (path, ".c") || g_str_has_suffix (path, ".h")
                      || g_str_has_suffix (path, ".inc")))
    return FALSE;
  gsize len = 0;
  const char *data = g_bytes_get_data (text, &len);
  BpCDefinition def;
  if (data == NULL || bp_c_find_definition (data, len, fn, &def) != 1)
    return FALSE;
  guint line = 0;
  *first = 0;
  for (gsize i = 0; i < def.end && i < len; i++)
    {
      if (i == def.start)
        *first = line;
      if (data[i] == '\n')
        line++;
    }
  *last = MIN (line + 1, lines->lines->len);
  return *last > *first;
}

/* Search HUNK inside [FIRST, LAST) only: the locator on a window. */
static gboolean
locate_in_region (const BpLines *lines, const BpHunk *hunk, guint first, guint last,
                  gint64 expected, guint min_start, BpLocation *loc)
{
  if (min_start > first)
    first = min_start;
  if (first >= last)
    return FALSE;
  g_autoptr(GPtrArray) window = g_ptr_array_sized_new (last - first);
  for (guint i = first; i < last; i++)
    g_ptr_array_add (window, lines->lines->pdata[i]);
  BpLines sub = { window, TRUE };
  gint64 rel = CLAMP (expected - (gint64) first, 0, (gint64) (last - first));
  if (!bp_locate_hunk (&sub, hunk, rel, 0, 0, loc, NULL))
    return FALSE;
  loc->start += first;
  return TRUE;
}

/* Does OLD[from, to) match LINES at AT? */
static gboolean
window_matches (const BpLines *lines, GPtrArray *old, guint from, guint to, guint at)
{
  if (at + (to - from) > lines->lines->len)
    return FALSE;
  for (guint i = from; i < to; i++)
    if (strcmp (lines->lines->pdata[at + i - from], ((const BpDiffLine *) old->pdata[i])->text) != 0)
      return FALSE;
  return TRUE;
}

/* A context fix: the hunk's changed lines with as much of its context as
 * still matches, at exactly one place of [FIRST, LAST).  Refused when two
 * places fit with the same context. */
static gboolean
context_fix (const BpLines *lines, const BpHunk *hunk, guint first, guint last, guint min_start,
             BpLocation *loc, guint *kept_out)
{
  g_autoptr(GPtrArray) old = old_side (hunk);
  guint n = old->len, lead = 0, trail = 0;
  /* Context before the first change and after the last one, counted in
   * old-side lines; what lies between (the core) must match as it is. */
  guint first_change = hunk->lines->len, last_change = 0;
  for (guint i = 0; i < hunk->lines->len; i++)
    {
      const BpDiffLine *l = hunk->lines->pdata[i];
      if (l->kind == ' ')
        continue;
      first_change = MIN (first_change, i);
      last_change = i;
    }
  if (first_change == hunk->lines->len)
    return FALSE;
  for (guint i = 0; i < first_change; i++)
    lead++;
  for (guint i = last_change + 1; i < hunk->lines->len; i++)
    trail++;
  if (lead + trail < CONTEXT_FIX_MIN_KEPT + 1)
    return FALSE;   /* nothing to drop */
  /* The change groups at the core's edges: pure insertions, or anchored by
   * a line they remove? */
  gboolean head_adds = TRUE, tail_adds = TRUE;
  for (guint i = first_change; i <= last_change && ((const BpDiffLine *) hunk->lines->pdata[i])->kind != ' '; i++)
    head_adds &= ((const BpDiffLine *) hunk->lines->pdata[i])->kind == '+';
  for (guint i = last_change + 1; i-- > first_change && ((const BpDiffLine *) hunk->lines->pdata[i])->kind != ' ';)
    tail_adds &= ((const BpDiffLine *) hunk->lines->pdata[i])->kind == '+';
  first = MAX (first, min_start);
  for (guint total = lead + trail - 1; total >= CONTEXT_FIX_MIN_KEPT; total--)
    {
      gint64 found_core = -1;
      gboolean twice = FALSE;
      BpLocation best = { 0 };
      for (guint l = MIN (lead, total); ; l--)
        {
          guint t = total - l;
          /* Lines added at an edge of the core go next to a kept context
           * line, or they could land on the wrong side of a line the tree
           * has and the fix did not know (git would call that a conflict).
           * Added at the head: the line before must be kept.  Added at the
           * tail: the line after, or two lines before (new code follows
           * what it followed in the fix, as maintainers place it). */
          gboolean anchored = (!head_adds || l >= 1 || lead == 0)
                              && (!tail_adds || t >= 1 || trail == 0 || l >= 2);
          guint window = n - (lead - l) - (trail - t);
          if (t <= trail && anchored && window >= CONTEXT_FIX_MIN_WINDOW)
            {
              guint from = lead - l, to = n - (trail - t);
              for (guint at = first; at + (to - from) <= last; at++)
                {
                  if (!window_matches (lines, old, from, to, at))
                    continue;
                  gint64 core = (gint64) at + l;
                  if (found_core >= 0 && core != found_core)
                    twice = TRUE;
                  if (found_core < 0)
                    {
                      found_core = core;
                      best.start = at;
                      best.skip_head = from;
                      best.skip_tail = n - to;
                    }
                }
            }
          if (l == 0 || l + trail == total)
            break;
        }
      if (twice)
        return FALSE;   /* two places keep the same context: refuse to guess */
      if (found_core >= 0)
        {
          *loc = best;
          loc->how = BP_HUNK_CONTEXT;
          loc->fuzz = MAX (best.skip_head, best.skip_tail);
          loc->offset = (int) ((gint64) best.start - best.skip_head
                               - (hunk->old_start > 0 ? hunk->old_start - 1 : 0));
          *kept_out = total;
          return TRUE;
        }
    }
  return FALSE;
}

/* Place every hunk of DIFF on OURS.  TRUE with PLACED filled when all fit;
 * else *WHY names the first hunk that does not. */
static gboolean
place_hunks (const BpPlaceInput *in, const BpLines *lines, GBytes *ours, GArray *placed,
             GPtrArray *reports, char **why)
{
  const BpFileDiff *diff = in->file->diff;
  gint64 shift = 0;
  guint min_start = 0;
  for (guint h = 0; h < diff->hunks->len; h++)
    {
      const BpHunk *hunk = diff->hunks->pdata[h];
      gint64 expected = (hunk->old_start > 0 ? hunk->old_start - 1 : 0) + shift;
      Placed pl = { hunk, { 0 } };
      g_autoptr(GError) local = NULL;
      gboolean ok = bp_locate_hunk (lines, hunk, expected, min_start, 0, &pl.loc, &local);
      g_autofree char *detail = NULL;
      g_autofree char *fn = bp_locate_section_function (hunk->section);
      guint first = 0, last = lines->lines->len;
      gboolean in_function = !ok && function_region (lines, ours, in->target_path, fn, &first, &last);
      if (!ok && in_function && locate_in_region (lines, hunk, first, last, expected, min_start, &pl.loc))
        {
          ok = TRUE;
          pl.loc.how = BP_HUNK_FUNCTION;
          detail = g_strdup_printf ("placed inside %s() (lines %u-%u): %s", fn, first + 1, last,
                                    local->message);
        }
      guint kept = 0;
      if (!ok && context_fix (lines, hunk, first, last, min_start, &pl.loc, &kept))
        {
          ok = TRUE;
          detail = g_strdup_printf ("context fix: %u of the hunk's context lines still match%s%s%s",
                                    kept, in_function ? " inside " : "", in_function ? fn : "",
                                    in_function ? "()" : "");
        }
      BpHunkReport *r = report_new (in, h + 1, hunk, ok ? pl.loc.how : BP_HUNK_FAILED);
      g_ptr_array_add (reports, r);
      if (!ok)
        {
          r->detail = g_strdup (local ? local->message : "does not fit");
          *why = g_strdup_printf ("%s hunk #%u (stated line %u%s%s%s): %s", in->target_path, h + 1,
                                  hunk->old_start, fn ? ", in " : "", fn ? fn : "", fn ? "()" : "",
                                  r->detail);
          return FALSE;
        }
      r->offset = pl.loc.offset;
      r->fuzz = pl.loc.fuzz;
      r->applied_line = pl.loc.start - pl.loc.skip_head + 1;
      if (pl.loc.how == BP_HUNK_WHITESPACE)
        r->detail = g_strdup ("context matched ignoring whitespace; the tree's text kept");
      else
        r->detail = g_steal_pointer (&detail);
      g_array_append_val (placed, pl);
      guint window = 0;
      for (guint i = 0; i < hunk->lines->len; i++)
        if (((const BpDiffLine *) hunk->lines->pdata[i])->kind != '+')
          window++;
      window -= pl.loc.skip_head + pl.loc.skip_tail;
      min_start = pl.loc.start + window;
      shift = (gint64) pl.loc.start - pl.loc.skip_head - (hunk->old_start > 0 ? hunk->old_start - 1 : 0);
    }
  return TRUE;
}

/* Label each hunk by where the locator alone would put it (exact, offset),
 * "3-way" where it would not: for a file the 3-way merge placed. */
static void
label_hunks (const BpPlaceInput *in, const BpLines *lines, GPtrArray *reports)
{
  const BpFileDiff *diff = in->file->diff;
  gint64 shift = 0;
  for (guint h = 0; diff && h < diff->hunks->len; h++)
    {
      const BpHunk *hunk = diff->hunks->pdata[h];
      gint64 expected = (hunk->old_start > 0 ? hunk->old_start - 1 : 0) + shift;
      BpLocation loc;
      gboolean ok = bp_locate_hunk (lines, hunk, expected, 0, 0, &loc, NULL)
                    && loc.how != BP_HUNK_WHITESPACE;
      BpHunkReport *r = report_new (in, h + 1, hunk, ok ? loc.how : BP_HUNK_THREE_WAY);
      if (ok)
        {
          r->offset = loc.offset;
          r->applied_line = loc.start + 1;
          shift = (gint64) loc.start - (hunk->old_start > 0 ? hunk->old_start - 1 : 0);
        }
      else
        r->detail = g_strdup ("merged through the fix's preimage: its context differs in the tree");
      g_ptr_array_add (reports, r);
    }
}

/* ---- 3-way ----------------------------------------------------------------- */

/* The conflict regions of a diff3-style merge output, with 3 lines around. */
static char *
conflict_regions (const char *merged, gsize len, const char *path)
{
  g_autoptr(BpLines) lines = bp_lines_new_from_text (merged, len);
  GString *out = g_string_new (NULL);
  guint n = lines->lines->len;
  for (guint i = 0; i < n; i++)
    {
      if (!g_str_has_prefix (lines->lines->pdata[i], "<<<<<<< "))
        continue;
      guint end = i;
      while (end < n && !g_str_has_prefix (lines->lines->pdata[end], ">>>>>>> "))
        end++;
      guint from = i >= 3 ? i - 3 : 0, to = MIN (n, end + 4);
      g_string_append_printf (out, "--- %s, near line %u\n", path, i + 1);
      for (guint k = from; k < to; k++)
        g_string_append_printf (out, "%s\n", (const char *) lines->lines->pdata[k]);
      i = end;
    }
  return g_string_free (out, out->len == 0);
}

/* git_merge_file of (PRE, OURS, POST).  TRUE when clean (*MERGED set);
 * else *CONFLICT gets the diff3 regions. */
static gboolean
three_way (const BpPlaceInput *in, GBytes *pre, GBytes *ours, GBytes *post, GBytes **merged,
           char **conflict)
{
  git_merge_file_input base = GIT_MERGE_FILE_INPUT_INIT, o = GIT_MERGE_FILE_INPUT_INIT,
                       t = GIT_MERGE_FILE_INPUT_INIT;
  gsize len;
  base.ptr = g_bytes_get_data (pre, &len), base.size = len;
  o.ptr = ours ? g_bytes_get_data (ours, &len) : "", o.size = ours ? len : 0;
  t.ptr = g_bytes_get_data (post, &len), t.size = len;
  base.path = o.path = t.path = in->target_path;
  g_autofree char *parent_label = g_strdup_printf ("parent of %s", in->fix_label ? in->fix_label : "the fix");
  git_merge_file_options opts = GIT_MERGE_FILE_OPTIONS_INIT;
  opts.ancestor_label = parent_label;
  opts.our_label = "target";
  opts.their_label = in->fix_label ? in->fix_label : "fix";
  opts.flags = GIT_MERGE_FILE_STYLE_DIFF3;
  git_merge_file_result result = { 0 };
  if (git_merge_file (&result, &base, &o, &t, &opts) != 0)
    return FALSE;
  gboolean clean = result.automergeable;
  if (clean)
    *merged = g_bytes_new (result.ptr, result.len);
  else
    *conflict = conflict_regions (result.ptr, result.len, in->target_path);
  git_merge_file_result_free (&result);
  return clean;
}

/* Without a preimage: the failing hunk against the target's lines where it
 * should go, as diff3 shows a conflict. */
static char *
synthetic_conflict (const BpPlaceInput *in, const BpLines *lines, GPtrArray *reports)
{
  const BpHunkReport *failed = reports->len ? reports->pdata[reports->len - 1] : NULL;
  if (failed == NULL || failed->hunk == 0 || failed->hunk > in->file->diff->hunks->len)
    return NULL;
  const BpHunk *hunk = in->file->diff->hunks->pdata[failed->hunk - 1];
  GString *out = g_string_new (NULL);
  guint from = hunk->old_start > 0 ? hunk->old_start - 1 : 0;
  guint to = MIN (lines->lines->len, from + MAX (hunk->old_count, 1));
  g_string_append_printf (out, "--- %s, near line %u\n<<<<<<< target\n", in->target_path, from + 1);
  for (guint i = from; i < to; i++)
    g_string_append_printf (out, "%s\n", (const char *) lines->lines->pdata[i]);
  g_string_append (out, "||||||| the fix's preimage\n");
  for (guint i = 0; i < hunk->lines->len; i++)
    {
      const BpDiffLine *l = hunk->lines->pdata[i];
      if (l->kind != '+')
        g_string_append_printf (out, "%s\n", l->text);
    }
  g_string_append (out, "=======\n");
  for (guint i = 0; i < hunk->lines->len; i++)
    {
      const BpDiffLine *l = hunk->lines->pdata[i];
      if (l->kind != '-')
        g_string_append_printf (out, "%s\n", l->text);
    }
  g_string_append_printf (out, ">>>>>>> %s\n", in->fix_label ? in->fix_label : "fix");
  return g_string_free (out, FALSE);
}

/* ---- presence ---------------------------------------------------------------- */

gboolean
bp_pick_place_is_present (const BpFileDiff *diff, GBytes *ours)
{
  if (diff == NULL || diff->hunks->len == 0 || ours == NULL)
    return FALSE;
  g_autoptr(BpLines) lines = lines_of (ours);
  /* The fix itself still applies: not there (the reversed diff may fit too
   * where the fix removes one of two copies of the same lines). */
  g_autoptr(BpLines) forward = bp_locate_apply_file (lines, diff, "", "", 0, NULL, NULL);
  if (forward)
    return FALSE;
  /* The reversed diff applies: the fix's result is there. */
  g_autoptr(BpFileDiff) rev = g_new0 (BpFileDiff, 1);
  rev->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_free);
  gboolean changes = FALSE;
  for (guint h = 0; h < diff->hunks->len; h++)
    {
      const BpHunk *src = diff->hunks->pdata[h];
      BpHunk *r = g_new0 (BpHunk, 1);
      r->old_start = src->new_start, r->old_count = src->new_count;
      r->new_start = src->old_start, r->new_count = src->old_count;
      r->section = g_strdup (src->section);
      r->lines = g_ptr_array_new ();
      for (guint i = 0; i < src->lines->len; i++)
        {
          BpDiffLine *l = src->lines->pdata[i];
          changes |= l->kind != ' ';
          g_ptr_array_add (r->lines, l);   /* borrowed: only the kind is read differently */
        }
      g_ptr_array_add (rev->hunks, r);
    }
  if (!changes)
    return FALSE;
  /* Swap the kinds in place for the check, then back. */
  for (guint h = 0; h < rev->hunks->len; h++)
    for (guint i = 0; i < ((BpHunk *) rev->hunks->pdata[h])->lines->len; i++)
      {
        BpDiffLine *l = ((BpHunk *) rev->hunks->pdata[h])->lines->pdata[i];
        l->kind = l->kind == '+' ? '-' : l->kind == '-' ? '+' : ' ';
      }
  g_autoptr(BpLines) back = bp_locate_apply_file (lines, rev, "", "", 0, NULL, NULL);
  for (guint h = 0; h < rev->hunks->len; h++)
    {
      BpHunk *r = rev->hunks->pdata[h];
      for (guint i = 0; i < r->lines->len; i++)
        {
          BpDiffLine *l = r->lines->pdata[i];
          l->kind = l->kind == '+' ? '-' : l->kind == '-' ? '+' : ' ';
        }
      g_ptr_array_set_size (r->lines, 0);   /* the lines are the fix's: not ours to free */
    }
  return back != NULL;
}

/* ---- the ladder ---------------------------------------------------------- */

static gboolean
same_id (const git_oid *a, const git_oid *b)
{
  return a && b && git_oid_equal (a, b);
}

/* A file the fix creates, deletes or changes as a whole (binary, mode). */
static gboolean
place_whole (const BpPlaceInput *in, BpPlaceResult *out)
{
  const BpPickFile *f = in->file;
  gboolean adds = f->old_path == NULL, deletes = f->new_path == NULL;
  if (deletes)
    {
      if (in->ours == NULL)
        {
          out->placed = out->present = TRUE;   /* already gone */
          return TRUE;
        }
      if (f->has_pre && same_id (in->ours_id, &f->pre))
        {
          out->placed = TRUE;
          return TRUE;
        }
      if (!f->has_pre && f->diff)
        {
          g_autoptr(BpLines) lines = lines_of (in->ours);
          g_autoptr(BpLines) after = bp_locate_apply_file (lines, f->diff, in->patch_name,
                                                           in->target_path, 0, NULL, NULL);
          if (after && after->lines->len == 0)
            {
              out->placed = TRUE;
              return TRUE;
            }
        }
      out->why = g_strdup_printf ("%s: the fix deletes it, but the target's copy differs from the "
                                  "fix's parent", in->target_path);
      return TRUE;
    }
  if (adds && in->ours != NULL)
    {
      if (f->has_post && same_id (in->ours_id, &f->post))
        out->placed = out->present = TRUE;
      else
        out->why = g_strdup_printf ("%s: the fix creates it, but the target already has a "
                                    "different file there", in->target_path);
      return TRUE;
    }
  /* Binary, or the same blob before and after (a mode change). */
  if (f->has_post && same_id (in->ours_id, &f->post) && in->ours_mode == f->new_mode)
    {
      out->placed = out->present = TRUE;
      return TRUE;
    }
  if (adds || (f->has_pre && same_id (in->ours_id, &f->pre)))
    {
      out->result = f->has_post ? blob_bytes (in->repo, &f->post) : NULL;
      out->placed = out->result != NULL;
      if (!out->placed)
        out->why = g_strdup_printf ("%s: the fix's new blob is not in the object store", in->target_path);
      return TRUE;
    }
  if (f->has_pre && f->has_post && git_oid_equal (&f->pre, &f->post) && in->ours)
    {
      out->result = g_bytes_ref (in->ours);   /* mode only */
      out->placed = TRUE;
      return TRUE;
    }
  out->why = g_strdup_printf ("%s: %s in the target differs from the fix's parent",
                              in->target_path, f->binary ? "the binary file" : "the file");
  return TRUE;
}

gboolean
bp_pick_place_file (const BpPlaceInput *in, BpPlaceResult *out, GError **error)
{
  const BpPickFile *f = in->file;
  memset (out, 0, sizeof *out);
  out->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  /* The fix's mode when it changes it; else the tree's mode stays. */
  if (f->old_mode && f->new_mode && f->old_mode != f->new_mode)
    out->mode = f->new_mode;
  else
    out->mode = in->ours_mode ? in->ours_mode : (f->new_mode ? f->new_mode : GIT_FILEMODE_BLOB);
  gboolean hunks = f->diff && f->diff->hunks->len > 0 && !f->binary;
  if (!hunks || (f->old_path == NULL && f->has_post) || (f->new_path == NULL && f->has_pre))
    return place_whole (in, out);
  if (in->ours == NULL && f->old_path)
    {
      out->why = g_strdup_printf ("%s is not in the target", in->target_path);
      return TRUE;
    }
  if (in->ours != NULL && f->old_path == NULL && !bp_pick_place_is_present (f->diff, in->ours))
    {
      out->why = g_strdup_printf ("%s: the fix creates it, but the target already has a "
                                  "different file there", in->target_path);
      return TRUE;
    }
  /* Mails creating or deleting a file without blob ids: hunks only. */
  g_autoptr(BpLines) lines = lines_of (in->ours);
  if (bp_pick_place_is_present (f->diff, in->ours))
    {
      out->placed = out->present = TRUE;
      out->result = in->ours ? g_bytes_ref (in->ours) : NULL;
      return TRUE;
    }
  /* 1. The target has the fix's preimage: the postimage, exactly. */
  if (f->has_pre && f->has_post && same_id (in->ours_id, &f->pre) && !in->other_file)
    {
      out->result = blob_bytes (in->repo, &f->post);
      if (out->result)
        {
          label_hunks (in, lines, out->hunks);
          out->placed = TRUE;
          return TRUE;
        }
    }
  /* 2. 3-way through the preimage, as git merges. */
  g_autofree char *conflict = NULL;
  if (f->has_pre && !in->other_file)
    {
      g_autoptr(GBytes) pre = blob_bytes (in->repo, &f->pre);
      g_autoptr(GBytes) post = f->has_post ? blob_bytes (in->repo, &f->post) : NULL;
      if (pre && post == NULL)
        {
          g_autoptr(BpLines) pre_lines = lines_of (pre);
          g_autoptr(BpLines) after = bp_locate_apply_file (pre_lines, f->diff, "", "", 0, NULL, NULL);
          post = after ? bytes_of (after) : NULL;
        }
      g_autoptr(GBytes) merged = NULL;
      if (pre && post && in->ours && three_way (in, pre, in->ours, post, &merged, &conflict))
        {
          label_hunks (in, lines, out->hunks);
          out->result = g_steal_pointer (&merged);
          out->placed = TRUE;
          return TRUE;
        }
    }
  /* 3. Hunk by hunk: exact, offset, whitespace, function, context fix. */
  g_autoptr(GArray) placed = g_array_new (FALSE, FALSE, sizeof (Placed));
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_report_free);
  g_autofree char *why = NULL;
  if (place_hunks (in, lines, in->ours, placed, reports, &why))
    {
      g_autoptr(BpLines) after = apply_placed (lines, placed);
      out->result = f->new_path ? bytes_of (after) : NULL;
      if (f->new_path == NULL && after->lines->len != 0)
        {
          out->why = g_strdup_printf ("%s: the fix deletes it, but the target's copy has more "
                                      "than the fix removes", in->target_path);
          return TRUE;
        }
      g_ptr_array_extend_and_steal (out->hunks, g_steal_pointer (&reports));
      out->placed = TRUE;
      return TRUE;
    }
  out->why = g_steal_pointer (&why);
  out->conflict = conflict ? g_steal_pointer (&conflict) : synthetic_conflict (in, lines, reports);
  g_ptr_array_extend_and_steal (out->hunks, g_steal_pointer (&reports));
  (void) error;
  return TRUE;
}
