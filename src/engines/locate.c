/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hunk locator.  See locate.h for the order of the searches. */
#include <string.h>

#include "engines/locate.h"

G_DEFINE_QUARK (bp-locate-error-quark, bp_locate_error)

/* The old side of a hunk (context and removed lines), in order. */
static GPtrArray *
hunk_old_lines (const BpHunk *hunk)
{
  GPtrArray *old = g_ptr_array_new ();
  for (guint i = 0; i < hunk->lines->len; i++)
    {
      const BpDiffLine *l = hunk->lines->pdata[i];
      if (l->kind == ' ' || l->kind == '-')
        g_ptr_array_add (old, (gpointer) l);
    }
  return old;
}

typedef struct {
  const BpLines *lines;
  GPtrArray *squashed;     /* char*, lazily built, for whitespace mode */
} Target;

static const char *
target_line (Target *t, guint i, gboolean ws)
{
  if (!ws)
    return t->lines->lines->pdata[i];
  if (t->squashed == NULL)
    {
      t->squashed = g_ptr_array_new_full (t->lines->lines->len, g_free);
      for (guint j = 0; j < t->lines->lines->len; j++)
        g_ptr_array_add (t->squashed, bp_lines_squash (t->lines->lines->pdata[j]));
    }
  return t->squashed->pdata[i];
}

/* Does OLD[head .. n-tail) match the target at START? */
static gboolean
matches_at (Target *t, GPtrArray *old, GPtrArray *old_squashed, guint head, guint tail,
            guint start, gboolean ws)
{
  guint n = old->len - head - tail;
  if (start + n > t->lines->lines->len)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const char *want = ws ? old_squashed->pdata[head + i]
                            : ((const BpDiffLine *) old->pdata[head + i])->text;
      if (strcmp (target_line (t, start + i, ws), want) != 0)
        return FALSE;
    }
  return TRUE;
}

/* Search outward from EXPECTED, nearest first.  Returns 1 found, 0 none,
 * -1 ambiguous (two places at the same, smallest distance). */
static int
search (Target *t, GPtrArray *old, GPtrArray *old_squashed, guint head, guint tail,
        gint64 expected, guint min_start, gboolean ws, guint *found, guint *other)
{
  guint n = old->len - head - tail;
  guint n_lines = t->lines->lines->len;
  if (n > n_lines)
    return 0;
  gint64 last = (gint64) n_lines - n;   /* last possible start */
  if (expected < min_start)
    expected = min_start;
  if (expected > last)
    expected = last;
  gint64 span = MAX (expected - (gint64) min_start, last - expected);
  for (gint64 d = 0; d <= span; d++)
    {
      gint64 below = expected + d, above = expected - d;
      gboolean hit_below = below <= last && matches_at (t, old, old_squashed, head, tail, below, ws);
      gboolean hit_above = d > 0 && above >= min_start
                           && matches_at (t, old, old_squashed, head, tail, above, ws);
      if (hit_below && hit_above)
        {
          *found = above;
          *other = below;
          return -1;
        }
      if (hit_below || hit_above)
        {
          *found = hit_below ? below : above;
          return 1;
        }
    }
  return 0;
}

gboolean
bp_locate_hunk (const BpLines *lines, const BpHunk *hunk, gint64 expected,
                guint min_start, guint max_fuzz, BpLocation *location, GError **error)
{
  g_autoptr(GPtrArray) old = hunk_old_lines (hunk);
  g_autoptr(GPtrArray) old_squashed = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < old->len; i++)
    g_ptr_array_add (old_squashed, bp_lines_squash (((const BpDiffLine *) old->pdata[i])->text));
  Target t = { lines, NULL };
  memset (location, 0, sizeof *location);

  /* A pure insertion (no old line) goes where it says. */
  if (old->len == 0)
    {
      gint64 at = CLAMP (expected + (hunk->old_start > 0 ? 1 : 0), (gint64) min_start,
                         (gint64) lines->lines->len);
      location->how = at == (gint64) hunk->old_start ? BP_HUNK_EXACT : BP_HUNK_OFFSET;
      location->start = at;
      location->offset = (int) (at - (gint64) hunk->old_start);
      return TRUE;
    }

  /* Leading and trailing context, the only lines fuzz may drop. */
  guint lead = 0, trail = 0;
  while (lead < old->len && ((const BpDiffLine *) old->pdata[lead])->kind == ' ')
    lead++;
  while (trail < old->len - lead && ((const BpDiffLine *) old->pdata[old->len - 1 - trail])->kind == ' ')
    trail++;

  gint64 stated = hunk->old_start > 0 ? hunk->old_start - 1 : 0;
  int result = 0;
  for (guint fuzz = 0; fuzz <= max_fuzz; fuzz++)
    {
      guint head = MIN (fuzz, lead), tail = MIN (fuzz, trail);
      if (fuzz > 0 && head < fuzz && tail < fuzz)
        break;  /* nothing more to drop */
      if (head + tail >= old->len)
        break;
      for (int ws = 0; ws <= 1; ws++)
        {
          guint found = 0, other = 0;
          result = search (&t, old, old_squashed, head, tail, expected + head, min_start, ws,
                           &found, &other);
          if (result == -1)
            {
              g_clear_pointer (&t.squashed, g_ptr_array_unref);
              g_set_error (error, BP_LOCATE_ERROR, BP_LOCATE_ERROR_AMBIGUOUS,
                           "fits equally well at lines %u and %u%s; refusing to guess",
                           found + 1, other + 1, ws ? " (ignoring whitespace)" : "");
              return FALSE;
            }
          if (result == 1)
            {
              g_clear_pointer (&t.squashed, g_ptr_array_unref);
              location->start = found;
              location->skip_head = head;
              location->skip_tail = tail;
              location->fuzz = MAX (head, tail);
              location->whitespace = ws;
              /* Reported relative to the stated line of the hunk's first old line. */
              location->offset = (int) ((gint64) found - head - stated);
              if (fuzz > 0)
                location->how = BP_HUNK_FUZZ;
              else if (ws)
                location->how = BP_HUNK_WHITESPACE;
              else
                location->how = location->offset == 0 ? BP_HUNK_EXACT : BP_HUNK_OFFSET;
              return TRUE;
            }
        }
    }
  g_clear_pointer (&t.squashed, g_ptr_array_unref);
  g_set_error (error, BP_LOCATE_ERROR, BP_LOCATE_ERROR_NOT_FOUND,
               "its %u context and removed lines are not in the file%s", old->len,
               max_fuzz ? "" : ", not even ignoring whitespace");
  return FALSE;
}

char *
bp_locate_section_function (const char *section)
{
  if (section == NULL)
    return NULL;
  const char *paren = strchr (section, '(');
  if (paren == NULL)
    return NULL;
  const char *end = paren;
  while (end > section && end[-1] == ' ')
    end--;
  const char *start = end;
  while (start > section && (g_ascii_isalnum (start[-1]) || start[-1] == '_'))
    start--;
  if (start == end || g_ascii_isdigit (*start))
    return NULL;
  g_autofree char *ident = g_strndup (start, end - start);
  static const char *const keywords[] = { "if", "for", "while", "switch", "return", "sizeof", NULL };
  if (g_strv_contains (keywords, ident))
    return NULL;
  return g_steal_pointer (&ident);
}

gboolean
bp_locate_has_function (const BpLines *lines, const char *ident)
{
  gsize n = strlen (ident);
  for (guint i = 0; i < lines->lines->len; i++)
    {
      const char *line = lines->lines->pdata[i];
      /* A definition starts at column 0 (QEMU and kernel style); a call or
       * a prototype (ending with ';') does not count. */
      if (line[0] == '\0' || g_ascii_isspace (line[0]) || line[0] == '#' || line[0] == '/'
          || line[0] == '*' || g_str_has_suffix (line, ";"))
        continue;
      for (const char *p = strstr (line, ident); p; p = strstr (p + 1, ident))
        {
          if (p > line && (g_ascii_isalnum (p[-1]) || p[-1] == '_'))
            continue;
          const char *q = p + n;
          while (*q == ' ')
            q++;
          if (*q == '(' || (*q == '\0' && p == line))
            return TRUE;
        }
    }
  return FALSE;
}

static BpHunkReport *
report_new (const char *patch_name, const char *path, guint index, const BpHunk *hunk)
{
  BpHunkReport *r = g_new0 (BpHunkReport, 1);
  r->patch = g_strdup (patch_name);
  r->file = g_strdup (path);
  r->hunk = index;
  r->stated_line = hunk->old_start;
  r->how = BP_HUNK_FAILED;
  return r;
}

BpLines *
bp_locate_apply_file (const BpLines *lines, const BpFileDiff *file, const char *patch_name,
                      const char *path, guint max_fuzz, GPtrArray *reports, GError **error)
{
  g_autoptr(BpLines) out = g_new0 (BpLines, 1);
  out->lines = g_ptr_array_new_with_free_func (g_free);
  out->final_newline = lines->final_newline;
  guint copied = 0;        /* lines of LINES already copied to OUT */
  gint64 shift = 0;        /* offset found for the previous hunk */

  for (guint h = 0; h < file->hunks->len; h++)
    {
      const BpHunk *hunk = file->hunks->pdata[h];
      BpHunkReport *report = report_new (patch_name, path, h + 1, hunk);
      if (reports)
        g_ptr_array_add (reports, report);
      gint64 expected = (hunk->old_start > 0 ? hunk->old_start - 1 : 0) + shift;
      BpLocation loc;
      g_autoptr(GError) local = NULL;
      if (!bp_locate_hunk (lines, hunk, expected, copied, max_fuzz, &loc, &local))
        {
          g_autofree char *fn = bp_locate_section_function (hunk->section);
          g_autofree char *why = NULL;
          if (fn && !bp_locate_has_function (lines, fn))
            why = g_strdup_printf ("%s; its section names %s(), which is not in %s "
                                   "(on this line the code may live in another file)",
                                   local->message, fn, path);
          else
            why = g_strdup (local->message);
          report->detail = g_strdup (why);
          g_set_error (error, BP_LOCATE_ERROR, local->code, "%s: %s hunk #%u (stated line %u): %s",
                       patch_name, path, h + 1, hunk->old_start, why);
          if (!reports)
            bp_hunk_report_free (report);
          return NULL;
        }
      report->how = loc.how;
      report->fuzz = loc.fuzz;
      report->offset = loc.offset;
      report->applied_line = loc.start - loc.skip_head + 1;
      if (hunk->old_count == 0 && hunk->old_start > 0)
        report->applied_line = loc.start;  /* "insert after line N" */
      if (loc.how == BP_HUNK_FUZZ)
        report->detail = g_strdup_printf ("dropped %u context line(s) to fit", loc.fuzz);
      else if (loc.how == BP_HUNK_WHITESPACE)
        report->detail = g_strdup ("context matched ignoring whitespace; the tree's text kept");
      {
        /* The hunk fits, yet the function its header names is not in this
         * file: the same file name may hold other code on this line (10.1's
         * hw/vfio/container.c is the legacy container).  Say so. */
        g_autofree char *fn = bp_locate_section_function (hunk->section);
        if (fn && !bp_locate_has_function (lines, fn))
          {
            g_autofree char *old = g_steal_pointer (&report->detail);
            report->detail = g_strdup_printf ("%s%swarning: its section names %s(), which is not in %s",
                                              old ? old : "", old ? "; " : "", fn, path);
          }
      }

      /* Copy the untouched lines before the hunk. */
      for (; copied < loc.start; copied++)
        g_ptr_array_add (out->lines, g_strdup (lines->lines->pdata[copied]));

      /* Walk the hunk: the old lines between skip_head and skip_tail are
       * consumed from the file; context keeps the file's own text. */
      guint old_n = 0;
      for (guint i = 0; i < hunk->lines->len; i++)
        if (((const BpDiffLine *) hunk->lines->pdata[i])->kind != '+')
          old_n++;
      guint old_i = 0;
      gboolean touched_end = FALSE;
      gboolean last_new_no_newline = FALSE;
      for (guint i = 0; i < hunk->lines->len; i++)
        {
          const BpDiffLine *l = hunk->lines->pdata[i];
          gboolean in_window = TRUE;
          if (l->kind != '+')
            {
              in_window = old_i >= loc.skip_head && old_i < old_n - loc.skip_tail;
              old_i++;
            }
          if (!in_window)
            continue;
          switch (l->kind)
            {
            case ' ':
              g_ptr_array_add (out->lines, g_strdup (lines->lines->pdata[copied]));
              last_new_no_newline = l->no_newline;
              copied++;
              break;
            case '-':
              copied++;
              break;
            default:
              g_ptr_array_add (out->lines, g_strdup (l->text));
              last_new_no_newline = l->no_newline;
              break;
            }
        }
      touched_end = copied == lines->lines->len;
      if (touched_end && loc.skip_tail == 0)
        out->final_newline = !last_new_no_newline;
      if (old_n == 0)
        shift = (gint64) loc.start - hunk->old_start;
      else
        shift = (gint64) loc.start - loc.skip_head - (hunk->old_start > 0 ? hunk->old_start - 1 : 0);
      if (!reports)
        bp_hunk_report_free (report);
    }
  for (; copied < lines->lines->len; copied++)
    g_ptr_array_add (out->lines, g_strdup (lines->lines->pdata[copied]));
  if (out->lines->len == 0)
    out->final_newline = TRUE;
  return g_steal_pointer (&out);
}

static void
reverse_line_free (BpDiffLine *line)
{
  g_free (line->text);
  g_free (line);
}

BpFileDiff *
bp_locate_reverse (const BpFileDiff *file)
{
  BpFileDiff *r = g_new0 (BpFileDiff, 1);
  r->old_path = g_strdup (file->new_path);
  r->new_path = g_strdup (file->old_path);
  r->old_blob = g_strdup (file->new_blob);
  r->new_blob = g_strdup (file->old_blob);
  r->old_mode = g_strdup (file->new_mode);
  r->new_mode = g_strdup (file->old_mode);
  r->is_binary = file->is_binary;
  r->hunks = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_hunk_free);
  for (guint i = 0; i < file->hunks->len; i++)
    {
      const BpHunk *h = file->hunks->pdata[i];
      BpHunk *rh = g_new0 (BpHunk, 1);
      rh->old_start = h->new_start;
      rh->old_count = h->new_count;
      rh->new_start = h->old_start;
      rh->new_count = h->old_count;
      rh->section = g_strdup (h->section);
      rh->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) reverse_line_free);
      for (guint k = 0; k < h->lines->len; k++)
        {
          const BpDiffLine *l = h->lines->pdata[k];
          BpDiffLine *rl = g_new0 (BpDiffLine, 1);
          rl->kind = l->kind == '+' ? '-' : l->kind == '-' ? '+' : l->kind;
          rl->text = g_strdup (l->text);
          rl->no_newline = l->no_newline;
          g_ptr_array_add (rh->lines, rl);
        }
      g_ptr_array_add (r->hunks, rh);
    }
  return r;
}
