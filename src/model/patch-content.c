/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Presence of a patch's change by content: see patch-content.h.  First by
 * whole hunk sides in order, which a line repeated elsewhere cannot fool;
 * then, where the context has drifted, line by line. */
#include <string.h>

#include "model/patch-content.h"

const char *
bp_content_state_to_string (BpContentState state)
{
  switch (state)
    {
    case BP_CONTENT_ABSENT: return "absent";
    case BP_CONTENT_BEFORE: return "before";
    case BP_CONTENT_PARTIAL: return "partial";
    case BP_CONTENT_APPLIED: return "applied";
    }
  return "absent";
}

/* TEXT[0..LEN) without whitespace; NULL when what is left proves nothing
 * (nothing, or only braces, brackets, parentheses, ';', ',', comment stars). */
static char *
squash_line (const char *text, gsize len)
{
  g_autoptr(GString) s = g_string_sized_new (len);
  gboolean telling = FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];
      if (g_ascii_isspace (c))
        continue;
      g_string_append_c (s, c);
      telling |= strchr ("{}()[];,*/", c) == NULL;
    }
  return telling ? g_string_free (g_steal_pointer (&s), FALSE) : NULL;
}

/* The set of squashed lines of a file's text. */
static GHashTable *
file_line_set (const char *text, gsize len)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize pos = 0;
  while (pos < len)
    {
      const char *nl = memchr (text + pos, '\n', len - pos);
      gsize end = nl ? (gsize) (nl - text) : len;
      char *sq = squash_line (text + pos, end - pos);
      if (sq)
        g_hash_table_add (set, sq);
      pos = end + 1;
    }
  return set;
}

/* The diff's lines of KIND (' ', '-', '+'), squashed, distinct. */
static GHashTable *
diff_line_set (const BpFileDiff *file, char kind)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint h = 0; h < file->hunks->len; h++)
    {
      const BpHunk *hunk = g_ptr_array_index (file->hunks, h);
      for (guint i = 0; i < hunk->lines->len; i++)
        {
          const BpDiffLine *line = g_ptr_array_index (hunk->lines, i);
          if (line->kind != kind)
            continue;
          char *sq = squash_line (line->text, strlen (line->text));
          if (sq)
            g_hash_table_add (set, sq);
        }
    }
  return set;
}

/* Lines of WANT that are in neither OTHER_A nor OTHER_B: how many, and how
 * many of those are in FILE. */
static void
count_telling (GHashTable *want, GHashTable *other_a, GHashTable *other_b, GHashTable *file,
               guint *n, guint *present)
{
  GHashTableIter it;
  gpointer key;
  *n = *present = 0;
  g_hash_table_iter_init (&it, want);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      if (g_hash_table_contains (other_a, key) || g_hash_table_contains (other_b, key))
        continue;
      (*n)++;
      *present += file && g_hash_table_contains (file, key);
    }
}

/* ---- in order: a hunk's whole side, as a run of lines ------------------- */

/* TEXT's lines, each with its whitespace removed (blank lines kept: a
 * hunk's side has them too). */
static GPtrArray *
squashed_lines (const char *text, gsize len)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gsize pos = 0;
  while (pos < len)
    {
      const char *nl = memchr (text + pos, '\n', len - pos);
      gsize end = nl ? (gsize) (nl - text) : len;
      GString *sq = g_string_sized_new (end - pos);
      for (gsize i = pos; i < end; i++)
        if (!g_ascii_isspace (text[i]))
          g_string_append_c (sq, text[i]);
      g_ptr_array_add (out, g_string_free (sq, FALSE));
      pos = end + 1;
    }
  return out;
}

/* One side of HUNK (' ' and KIND lines), squashed. */
static GPtrArray *
hunk_side (const BpHunk *hunk, char kind)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < hunk->lines->len; i++)
    {
      const BpDiffLine *l = g_ptr_array_index (hunk->lines, i);
      if (l->kind == ' ' || l->kind == kind)
        {
          GString *sq = g_string_new (NULL);
          for (const char *c = l->text; *c; c++)
            if (!g_ascii_isspace (*c))
              g_string_append_c (sq, *c);
          g_ptr_array_add (out, g_string_free (sq, FALSE));
        }
    }
  return out;
}

static gboolean
same_runs (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (strcmp (a->pdata[i], b->pdata[i]) != 0)
      return FALSE;
  return TRUE;
}

/* Does RUN stand, line after line, somewhere in LINES? */
static gboolean
has_run (GPtrArray *lines, GPtrArray *run)
{
  if (run->len == 0)
    return TRUE;
  for (guint at = 0; at + run->len <= lines->len; at++)
    {
      guint k = 0;
      while (k < run->len && strcmp (lines->pdata[at + k], run->pdata[k]) == 0)
        k++;
      if (k == run->len)
        return TRUE;
    }
  return FALSE;
}

/* Is the change applied, by whole hunk sides in order: every hunk's new
 * side stands in the file and its old side does not.  A removed line that
 * stands again elsewhere in the file says nothing here, unlike line by
 * line.  Only APPLIED is trusted this way: an old side standing with the
 * new side missing may be a half-applied change (the helper added, the
 * call site not), which line by line tells apart. */
static gboolean
applied_in_order (const BpFileDiff *file, const char *text, gsize len)
{
  g_autoptr(GPtrArray) lines = squashed_lines (text, len);
  guint hunks = 0, applied = 0;
  for (guint h = 0; h < file->hunks->len; h++)
    {
      const BpHunk *hunk = g_ptr_array_index (file->hunks, h);
      g_autoptr(GPtrArray) old_side = hunk_side (hunk, '-');
      g_autoptr(GPtrArray) new_side = hunk_side (hunk, '+');
      if (same_runs (old_side, new_side))
        continue;   /* a whitespace-only hunk tells nothing */
      hunks++;
      gboolean has_new = has_run (lines, new_side), has_old = has_run (lines, old_side);
      applied += has_new && !has_old;
    }
  return hunks > 0 && applied == hunks;
}

static BpContentState
state_of (guint added, guint added_present, guint removed, guint removed_present)
{
  if (added + removed == 0)
    return BP_CONTENT_ABSENT;   /* a whitespace-only change: nothing tells */
  if (added_present == added && removed_present == 0)
    return BP_CONTENT_APPLIED;
  if (added_present == 0 && removed_present == 0)
    return BP_CONTENT_ABSENT;
  if (added_present == 0 && removed_present == removed)
    return BP_CONTENT_BEFORE;
  return BP_CONTENT_PARTIAL;
}

void
bp_content_match_file (const BpFileDiff *file, const char *text, gsize len, BpContentMatch *out)
{
  g_autoptr(GHashTable) added = diff_line_set (file, '+');
  g_autoptr(GHashTable) removed = diff_line_set (file, '-');
  g_autoptr(GHashTable) context = diff_line_set (file, ' ');
  g_autoptr(GHashTable) lines = text ? file_line_set (text, len) : NULL;
  memset (out, 0, sizeof *out);
  count_telling (added, removed, context, lines, &out->added, &out->added_present);
  count_telling (removed, added, context, lines, &out->removed, &out->removed_present);
  if (text == NULL)
    {
      out->state = file->old_path == NULL ? BP_CONTENT_BEFORE
                   : file->new_path == NULL ? BP_CONTENT_APPLIED : BP_CONTENT_ABSENT;
      return;
    }
  if (file->new_path == NULL)   /* a deletion whose file is still there */
    {
      out->state = BP_CONTENT_BEFORE;
      return;
    }
  if (applied_in_order (file, text, len))
    {
      out->state = BP_CONTENT_APPLIED;
      /* say it as the sides showed it */
      out->added_present = out->added;
      out->removed_present = 0;
      return;
    }
  out->state = state_of (out->added, out->added_present, out->removed, out->removed_present);
  /* a change that only adds lines has no removed line to show it unapplied:
   * its context being here does */
  if (out->state == BP_CONTENT_ABSENT && out->removed == 0 && out->added > 0)
    {
      guint n, present;
      g_autoptr(GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);
      count_telling (context, added, none, lines, &n, &present);
      if (n > 0 && present * 2 >= n)
        out->state = BP_CONTENT_BEFORE;
    }
}

void
bp_content_match_patch (const BpPatch *patch, BpContentReadFunc read, gpointer user_data,
                        BpContentMatch *out)
{
  memset (out, 0, sizeof *out);
  guint n_applied = 0, n_before = 0, n_absent = 0, n_files = 0;
  for (guint i = 0; patch->files && i < patch->files->len; i++)
    {
      const BpFileDiff *file = g_ptr_array_index (patch->files, i);
      const char *path = file->new_path ? file->new_path : file->old_path;
      if (path == NULL || file->is_binary)
        continue;
      gsize len = 0;
      g_autofree char *text = read (path, &len, user_data);
      BpContentMatch m;
      bp_content_match_file (file, text, len, &m);
      out->added += m.added;
      out->added_present += m.added_present;
      out->removed += m.removed;
      out->removed_present += m.removed_present;
      n_files++;
      n_applied += m.state == BP_CONTENT_APPLIED;
      n_before += m.state == BP_CONTENT_BEFORE;
      n_absent += m.state == BP_CONTENT_ABSENT;
    }
  if (n_files == 0 || n_absent == n_files)
    out->state = BP_CONTENT_ABSENT;
  else if (n_applied == n_files)
    out->state = BP_CONTENT_APPLIED;
  else if (n_before + n_absent == n_files)
    out->state = BP_CONTENT_BEFORE;
  else
    out->state = BP_CONTENT_PARTIAL;
}

char *
bp_content_match_describe (const BpContentMatch *m, const char *where)
{
  switch (m->state)
    {
    case BP_CONTENT_APPLIED:
      return g_strdup_printf ("all %u added lines of the fix are in %s and its %u removed lines are gone",
                              m->added, where, m->removed);
    case BP_CONTENT_BEFORE:
      return g_strdup_printf ("%s has the %u lines the fix removes and none of the %u it adds",
                              where, m->removed_present, m->added);
    case BP_CONTENT_PARTIAL:
      return g_strdup_printf ("%u of the fix's %u added lines are in %s, and %u of its %u removed lines are still there",
                              m->added_present, m->added, where, m->removed_present, m->removed);
    case BP_CONTENT_ABSENT:
      break;
    }
  return g_strdup_printf ("%s shows neither side of the fix (none of its %u added or %u removed lines)",
                          where, m->added, m->removed);
}
