/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Repair against a tree: each damaged hunk is found in the tree ignoring
 * whitespace (refused when nowhere or ambiguous), its context and removed
 * lines get their true text back, blank context lines the archive dropped
 * are put back, added lines are re-indented, and the headers recounted.
 * The result checks itself (import-check.c).  See import.h. */
#include <string.h>

#include "sources/import-private.h"
#include "sources/indenter.h"

/* git's default section header: the nearest line above starting with a
 * letter, '_' or '$'. */
static char *
section_for (const BpLines *lines, guint start)
{
  for (guint k = start; k-- > 0;)
    {
      const char *l = lines->lines->pdata[k];
      if (g_ascii_isalpha (l[0]) || l[0] == '_' || l[0] == '$')
        {
          g_autofree char *s = g_strdup (l);
          g_strchomp (s);
          if (strlen (s) > 80)
            s[80] = '\0';
          return g_steal_pointer (&s);
        }
    }
  return g_strdup ("");
}

/* Does OLD (squashed) match the tree from P on, where blank tree lines the
 * patch lacks may sit between its lines?  GAPS[i]: blanks skipped before
 * OLD[i]. */
static gboolean
align_at (GPtrArray *tree_sq, guint p, GPtrArray *old, guint *gaps)
{
  guint j = p;
  for (guint i = 0; i < old->len; i++)
    {
      const char *want = old->pdata[i];
      gaps[i] = 0;
      while (i > 0 && *want && j < tree_sq->len && *(const char *) tree_sq->pdata[j] == '\0')
        gaps[i]++, j++;
      if (j >= tree_sq->len || strcmp (tree_sq->pdata[j], want) != 0)
        return FALSE;
      j++;
    }
  return TRUE;
}

static gboolean
blank_text (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isspace (*s))
      return FALSE;
  return TRUE;
}

/* Put back the blank context lines the archive dropped.  Inside a run of
 * added lines between two old lines, git puts context at a change region's
 * boundary: after the added lines, unless they are a pure insertion between
 * context lines that ends with a blank line (then the blank came first). */
static guint
insert_blank_context (BpHunk *hunk, guint n_old, const guint *gaps)
{
  g_autofree guint *at_old = g_new0 (guint, n_old);
  guint k = 0;
  for (guint j = 0; j < hunk->lines->len; j++)
    if (((BpDiffLine *) hunk->lines->pdata[j])->kind != '+')
      at_old[k++] = j;
  guint added = 0;
  for (guint i = n_old; i-- > 1;)
    {
      if (gaps[i] == 0)
        continue;
      guint a = at_old[i - 1], b = at_old[i], at = b;
      const BpDiffLine *la = hunk->lines->pdata[a], *lb = hunk->lines->pdata[b];
      if (b - a > 1 && la->kind == ' ' && lb->kind == ' ')
        {
          const BpDiffLine *first = hunk->lines->pdata[a + 1], *lastp = hunk->lines->pdata[b - 1];
          if (blank_text (lastp->text) && !blank_text (first->text))
            at = a + 1;
        }
      for (guint g = 0; g < gaps[i]; g++)
        {
          BpDiffLine *dl = g_new0 (BpDiffLine, 1);
          dl->kind = ' ';
          dl->text = g_strdup ("");
          g_ptr_array_insert (hunk->lines, at, dl);
          added++;
        }
    }
  return added;
}

/* Where a hunk goes in the tree. */
typedef struct {
  gint64 found;     /* 0-based line of its first old line, -1 none */
  gint64 other;     /* a second place as near, -1 none */
  guint *gaps;      /* blank tree lines before each old line (owned) */
} Place;

/* Search outward from EXPECTED (nearest first, never before MIN_START) for
 * the places where OLD (squashed) matches SQUASHED.  A hunk with no old
 * lines goes right after EXPECTED when it states a line (AFTER_STATED). */
static void
find_place (GPtrArray *squashed, GPtrArray *old, gint64 expected, guint min_start,
            gboolean after_stated, Place *place)
{
  guint n_lines = squashed->len;
  place->found = place->other = -1;
  place->gaps = g_new0 (guint, old->len + 1);
  if (old->len == 0)
    {
      place->found = CLAMP (expected + (after_stated ? 1 : 0), (gint64) min_start, (gint64) n_lines);
      return;
    }
  g_autofree guint *try_gaps = g_new0 (guint, old->len + 1);
  gint64 last = (gint64) n_lines - 1;
  /* a stated line past the file (or a count that wrapped) starts the
   * search at the file's end, not billions of lines away (fuzz-webtext) */
  expected = CLAMP (expected, (gint64) min_start, MAX (last, (gint64) min_start));
  gint64 span = MAX (expected - (gint64) min_start, last - expected);
  for (gint64 d = 0; d <= span && place->found < 0; d++)
    {
      gint64 cands[2] = { expected - d, expected + d };
      for (int c = 0; c < (d ? 2 : 1); c++)
        {
          gint64 p = cands[c];
          if (p < (gint64) min_start || p > last || !align_at (squashed, p, old, try_gaps))
            continue;
          if (place->found < 0)
            {
              place->found = p;
              memcpy (place->gaps, try_gaps, sizeof (guint) * (old->len + 1));
            }
          else
            place->other = p;
        }
    }
}

/* Restore HUNK's old side from LINES at FOUND and re-indent its new side;
 * headers recounted with DELTA, the line offset of the previous hunks. */
static void
restore_hunk (BpImported *imp, BpHunk *hunk, const BpLines *lines, gint64 found, gint64 delta)
{
  guint n_lines = lines->lines->len;
  g_autoptr(BpIndenter) ind = bp_indenter_new ();
  for (gint64 k = 0; k < found; k++)
    bp_indenter_feed (ind, lines->lines->pdata[k]);
  guint pos = found, n_old = 0, n_new = 0;
  for (guint k = 0; k < hunk->lines->len; k++)
    {
      BpDiffLine *dl = hunk->lines->pdata[k];
      if (dl->kind != '+')
        {
          const char *truth = lines->lines->pdata[pos++];
          if (strcmp (truth, dl->text) != 0)
            {
              g_free (dl->text);
              dl->text = g_strdup (truth);
              imp->restored_lines++;
            }
          if (dl->kind == ' ')
            {
              bp_indenter_feed (ind, dl->text);
              n_new++;
            }
          n_old++;
          if (pos == n_lines)
            dl->no_newline = !lines->final_newline;
          continue;
        }
      const char *s = dl->text;
      while (*s == ' ' || *s == '\t')
        s++;
      char *fixed = bp_indenter_indent (ind, s);
      if (strcmp (fixed, dl->text) != 0)
        imp->reindented_lines++;
      g_free (dl->text);
      dl->text = fixed;
      bp_indenter_feed (ind, dl->text);
      n_new++;
    }
  hunk->old_count = n_old;
  hunk->new_count = n_new;
  hunk->old_start = n_old ? found + 1 : found;
  hunk->new_start = (n_new ? found + 1 : found) + delta;
  if (n_old == 0 && n_new)
    hunk->new_start = found + 1 + delta;
  g_free (hunk->section);
  hunk->section = section_for (lines, found);
}

static gboolean
repair_file (BpImported *imp, BpFileDiff *f, const char *tree, GError **error)
{
  const char *rel = f->old_path ? f->old_path : f->new_path;
  g_autoptr(BpLines) lines = NULL;
  if (f->old_path)
    {
      lines = bp_import_read_tree_file (tree, f->old_path, error);
      if (lines == NULL)
        return FALSE;
    }
  else
    lines = bp_lines_new_from_text ("", 0);
  g_autoptr(GPtrArray) squashed = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < lines->lines->len; k++)
    g_ptr_array_add (squashed, bp_lines_squash (lines->lines->pdata[k]));

  gint64 delta = 0, shift = 0;
  guint min_start = 0;
  for (guint h = 0; h < f->hunks->len; h++)
    {
      BpHunk *hunk = f->hunks->pdata[h];
      g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func (g_free);
      for (guint k = 0; k < hunk->lines->len; k++)
        {
          BpDiffLine *dl = hunk->lines->pdata[k];
          if (dl->kind != '+')
            g_ptr_array_add (old, bp_lines_squash (dl->text));
        }
      /* Web archives drop blank lines: a blank tree line the patch lacks may
       * be skipped inside the hunk (never before its first line). */
      gint64 expected = (hunk->old_start ? hunk->old_start - 1 : 0) + shift;
      Place place;
      find_place (squashed, old, expected, min_start, hunk->old_start != 0, &place);
      g_autofree guint *gaps = place.gaps;
      if (place.found < 0)
        {
          g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_NOT_FOUND,
                       "%s: %s hunk #%u (stated line %u): its context and removed lines are not in %s/%s, "
                       "even ignoring whitespace; is this the tree the patch was made for?",
                       imp->patch->source, rel, h + 1, hunk->old_start, tree, rel);
          return FALSE;
        }
      if (place.other >= 0)
        {
          g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_AMBIGUOUS,
                       "%s: %s hunk #%u matches lines %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
                       " of the tree equally well; cannot tell which text to restore",
                       imp->patch->source, rel, h + 1, MIN (place.found, place.other) + 1,
                       MAX (place.found, place.other) + 1);
          return FALSE;
        }
      guint blanks = insert_blank_context (hunk, old->len, gaps);
      if (blanks)
        g_ptr_array_add (imp->notes, g_strdup_printf ("%s hunk #%u: put back %u blank context line(s) the input had lost",
                                                      rel, h + 1, blanks));
      restore_hunk (imp, hunk, lines, place.found, delta);
      delta += (gint64) hunk->new_count - hunk->old_count;
      shift = place.found - (gint64) (hunk->old_start ? hunk->old_start - 1 : 0);
      min_start = place.found + hunk->old_count;
    }
  return TRUE;
}

gboolean
bp_import_repair (BpImported *imp, const char *tree, GError **error)
{
  if (!imp->damaged)
    return TRUE;
  for (guint k = 0; k < imp->patch->files->len; k++)
    if (!repair_file (imp, imp->patch->files->pdata[k], tree, error))
      return FALSE;
  imp->repaired = TRUE;
  bp_import_render_diff (imp->patch);
  return bp_import_check_repaired (imp, tree, error);
}
