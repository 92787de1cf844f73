/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bisection log in `git bisect log` form: written as a run goes (so
 * that `git bisect replay` and `backport bisect --replay` read it back), and
 * read back for --replay. */
#include "engines/bisect/bisect-log.h"
#include "base/read-limited.h"

#include <string.h>

char *
bp_bisect_subject (git_repository *repo, const git_oid *oid)
{
  git_commit *c = NULL;
  if (git_commit_lookup (&c, repo, oid) < 0)
    return g_strdup ("");
  char *s = g_strdup (git_commit_summary (c) ? git_commit_summary (c) : "");
  git_commit_free (c);
  return s;
}

char *
bp_bisect_hex (const git_oid *oid)
{
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, oid);
  return g_strdup (hex);
}

/* ---- writing ------------------------------------------------------------ */

void
bp_bisect_log_close (BpBisectLog *log)
{
  if (log->f)
    fclose (log->f);
  log->f = NULL;
}

void
bp_bisect_log_mark (BpBisectLog *log, const git_oid *oid, BpBisectVerdict verdict, const char *evidence)
{
  if (log->f == NULL)
    return;
  g_autofree char *hex = bp_bisect_hex (oid);
  g_autofree char *subject = bp_bisect_subject (log->repo, oid);
  fprintf (log->f, "# %s: [%s] %s\n", bp_verdict_name (verdict), hex, subject);
  if (evidence)
    fprintf (log->f, "#   %s\n", evidence);
  fprintf (log->f, "git bisect %s %s\n", bp_verdict_name (verdict), hex);
  fflush (log->f);
}

void
bp_bisect_log_start (BpBisectLog *log, BpBisect *b)
{
  if (log->f == NULL)
    return;
  fprintf (log->f, "# backport bisect log, in git's format: git bisect replay (or backport's replay) reads it"
                   " or `git bisect replay FILE`\n");
  g_autofree char *bad = bp_bisect_hex (bp_bisect_bad (b));
  g_autofree char *bad_subject = bp_bisect_subject (log->repo, bp_bisect_bad (b));
  fprintf (log->f, "# bad: [%s] %s\n", bad, bad_subject);
  GArray *goods = bp_bisect_goods (b);
  for (guint i = 0; i < goods->len; i++)
    {
      g_autofree char *g = bp_bisect_hex (&g_array_index (goods, git_oid, i));
      g_autofree char *s = bp_bisect_subject (log->repo, &g_array_index (goods, git_oid, i));
      fprintf (log->f, "# good: [%s] %s\n", g, s);
    }
  fprintf (log->f, "git bisect start%s '%s'", bp_bisect_first_parent (b) ? " '--first-parent'" : "", bad);   /* git's syntax */
  for (guint i = 0; i < goods->len; i++)
    {
      g_autofree char *g = bp_bisect_hex (&g_array_index (goods, git_oid, i));
      fprintf (log->f, " '%s'", g);
    }
  fprintf (log->f, "\n");
  fflush (log->f);
}

void
bp_bisect_log_finish (BpBisectLog *log, const BpBisectOutcome *out)
{
  if (log->f == NULL)
    return;
  if (out->kind == BP_BISECT_OUTCOME_FOUND)
    fprintf (log->f, "# first bad commit: [%s] %s\n", out->first_bad, out->first_bad_subject);
  else
    {
      fprintf (log->f, "# only skipped commits left to test\n");
      for (guint i = 0; i < out->suspects->len; i++)
        {
          const char *hex = g_ptr_array_index (out->suspects, i);
          git_oid oid;
          g_autofree char *s = git_oid_fromstr (&oid, hex) == 0 ? bp_bisect_subject (log->repo, &oid)
                                                                 : g_strdup ("");
          fprintf (log->f, "# possible first bad commit: [%s] %s\n", hex, s);
        }
    }
  bp_bisect_log_close (log);
}

/* ---- replay ------------------------------------------------------------ */

static void
mark_clear (gpointer p)
{
  g_free (((BpBisectMark *) p)->rev);
}

GArray *
bp_bisect_marks_new (void)
{
  GArray *marks = g_array_new (FALSE, FALSE, sizeof (BpBisectMark));
  g_array_set_clear_func (marks, mark_clear);
  return marks;
}

gboolean
bp_bisect_log_parse (const char *file, char **bad, GPtrArray *goods, gboolean *first_parent,
                     GArray *marks, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  /* a log of the biggest history's bisection is a few KiB */
  if ((text = bp_read_file_limited (file, 16 * 1024 * 1024, FALSE, NULL, NULL, &local)) == NULL)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY, "cannot read the bisect log %s: %s",
                   file, local->message);
      return FALSE;
    }
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint n = 0; lines[n]; n++)
    {
      char *line = g_strstrip (lines[n]);
      if (line[0] == '\0' || line[0] == '#')
        continue;
      g_auto(GStrv) argv = NULL;
      int argc = 0;
      if (!g_shell_parse_argv (line, &argc, &argv, NULL) || argc < 3
          || strcmp (argv[0], "git") != 0 || strcmp (argv[1], "bisect") != 0)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "%s:%u: not a bisect log line: %s", file, n + 1, line);
          return FALSE;
        }
      const char *cmd = argv[2];
      if (strcmp (cmd, "start") == 0)
        {
          gboolean revs_seen = FALSE;
          for (int i = 3; i < argc; i++)
            {
              if (strcmp (argv[i], "--first-parent") == 0)   /* git's syntax */
                *first_parent = TRUE;
              else if (strcmp (argv[i], "--no-checkout") == 0)
                continue;
              else if (strcmp (argv[i], "--") == 0)
                {
                  if (i + 1 < argc)
                    {
                      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                                   "%s:%u: path-limited bisection is not supported", file, n + 1);
                      return FALSE;
                    }
                }
              else if (argv[i][0] == '-')
                {
                  g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                               "%s:%u: unsupported option %s", file, n + 1, argv[i]);
                  return FALSE;
                }
              else if (!revs_seen && *bad == NULL)
                {
                  *bad = g_strdup (argv[i]);
                  revs_seen = TRUE;
                }
              else
                g_ptr_array_add (goods, g_strdup (argv[i]));
            }
          continue;
        }
      BpBisectVerdict v;
      if (strcmp (cmd, "good") == 0 || strcmp (cmd, "old") == 0)
        v = BP_VERDICT_GOOD;
      else if (strcmp (cmd, "bad") == 0 || strcmp (cmd, "new") == 0)
        v = BP_VERDICT_BAD;
      else if (strcmp (cmd, "skip") == 0)
        v = BP_VERDICT_SKIP;
      else
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "%s:%u: unknown bisect command '%s'", file, n + 1, cmd);
          return FALSE;
        }
      if (argc < 4)
        {
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                       "%s:%u: 'git bisect %s' without a commit", file, n + 1, cmd);
          return FALSE;
        }
      for (int i = 3; i < argc; i++)
        {
          gboolean started = *bad != NULL && goods->len > 0;
          if (!started && v == BP_VERDICT_BAD)
            {
              g_free (*bad);
              *bad = g_strdup (argv[i]);
            }
          else if (!started && v == BP_VERDICT_GOOD)
            g_ptr_array_add (goods, g_strdup (argv[i]));
          else
            {
              BpBisectMark m = { v, g_strdup (argv[i]) };
              g_array_append_val (marks, m);
            }
        }
    }
  if (*bad == NULL || goods->len == 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_REPLAY,
                   "the bisect log %s names no bad and good commits to start from", file);
      return FALSE;
    }
  return TRUE;
}
