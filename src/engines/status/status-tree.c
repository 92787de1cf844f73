/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tree mode: one plain source tree, no history.  VERSION says the line, the
 * content probe says what the code does, debian/patches says whether the
 * fix is carried (applied per .pc/applied-patches, else the series).
 * Every read goes through status-read.c: inside the tree, bounded. */
#include <string.h>

#include "base/path-safety.h"
#include "base/transaction.h"
#include "engines/status/status-probe.h"
#include "engines/status/status-read.h"
#include "engines/status/status-scan.h"
#include "model/patch-id.h"

#define SMALL_MAX (64 * 1024)   /* VERSION, series, applied-patches */

/* Is the Debian patch TEXT the pack's fix?  Same patch-id as a line's
 * patch, or it adds the helper, or its subject is the fix's. */
static gboolean
debian_patch_is_fix (const char *text, gsize len, BpFixPack *pack, GArray *pids, char **how)
{
  git_oid pid;
  if (bp_patch_id_from_text (text, len, &pid, NULL))
    for (guint i = 0; i < pids->len; i++)
      if (git_oid_equal (&pid, &g_array_index (pids, git_oid, i)))
        {
          *how = g_strdup ("same patch-id as a line's patch");
          return TRUE;
        }
  if (pack->helper)
    {
      g_autofree char *added = g_strdup_printf ("\n+static bool %s(", pack->helper);
      g_autofree char *added2 = g_strdup_printf ("\n+%s(", pack->helper);
      if (strstr (text, added) || strstr (text, added2))
        {
          *how = g_strdup_printf ("adds %s()", pack->helper);
          return TRUE;
        }
    }
  if (pack->subject && strstr (text, pack->subject))
    {
      *how = g_strdup ("carries the fix's subject");
      return TRUE;
    }
  return FALSE;
}

/* Names listed one per line (comments and quilt options dropped); NULL
 * when the file is not there. */
static GPtrArray *
read_list (const char *dir, const char *rel)
{
  g_autofree char *why = NULL;
  gsize len;
  gboolean missing;
  g_autofree char *text = bp_status_read_in_tree (dir, rel, SMALL_MAX, &len, &why, &missing);
  if (text == NULL)
    return NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (!l[0] || l[0] == '#')
        continue;
      char *sp = strpbrk (l, " \t");
      if (sp)
        *sp = '\0';
      g_ptr_array_add (names, g_strdup (l));
    }
  return names;
}

/* The specific probe over the candidate files: the first that defines the
 * function decides; when none does and the line's own file cannot be read
 * (or another candidate is there but is no file to read), that is said. */
static void
probe_specific (const char *dir, BpFixPack *pack, BpRefStatus *r)
{
  g_autoptr(GPtrArray) files = bp_status_probe_files (pack, r->line);
  g_autofree char *unreadable = NULL;
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      gboolean own = r->line && r->line->file && strcmp (file, r->line->file) == 0, missing;
      g_autofree char *why = NULL;
      gsize len = 0;
      g_autofree char *text = bp_status_read_in_tree (dir, file, BP_STATUS_READ_MAX, &len, &why, &missing);
      if (text && len == 0 && own)
        why = g_strdup_printf ("%s is empty", file);
      if (why && (own || !missing) && unreadable == NULL)
        unreadable = g_steal_pointer (&why);
      if (text == NULL || len == 0)
        continue;
      g_autofree char *detail = NULL;
      gboolean partial;
      BpProbeState st = bp_status_probe_text (text, len, pack, &detail, &partial);
      if (st == BP_PROBE_ABSENT)
        continue;
      r->probe = (BpProbe) { st, g_strdup (file), g_steal_pointer (&detail), partial };
      return;
    }
  if (unreadable)
    r->probe = (BpProbe) { BP_PROBE_UNREADABLE, NULL, g_steal_pointer (&unreadable), FALSE };
  else
    r->probe = (BpProbe) { BP_PROBE_ABSENT, NULL,
                           g_strdup_printf ("no definition of %s() in the files the pack names", pack->function), FALSE };
}

typedef struct {
  const char *dir;
  const BpFixLine *line;
  char *unreadable;       /* the first file that should be there and cannot be read */
} TreeRead;

static gboolean
in_line_patches (const BpFixLine *line, const char *path)
{
  for (guint i = 0; line && i < line->patches->len; i++)
    {
      const BpPatch *p = g_ptr_array_index (line->patches, i);
      for (guint f = 0; f < p->files->len; f++)
        if (g_strcmp0 (((BpFileDiff *) g_ptr_array_index (p->files, f))->new_path, path) == 0)
          return TRUE;
    }
  return FALSE;
}

static char *
read_tree_file (const char *path, gsize *len, gpointer user_data)
{
  TreeRead *tr = user_data;
  g_autofree char *why = NULL;
  gboolean missing;
  char *text = bp_status_read_in_tree (tr->dir, path, BP_STATUS_READ_MAX, len, &why, &missing);
  if (text && *len == 0 && in_line_patches (tr->line, path))
    why = g_strdup_printf ("%s is empty", path);
  if (why && tr->unreadable == NULL && (!missing || in_line_patches (tr->line, path)))
    tr->unreadable = g_steal_pointer (&why);
  return text;
}

static void
probe_tree (const char *dir, BpFixPack *pack, BpRefStatus *r)
{
  if (bp_status_probe_is_specific (pack))
    {
      probe_specific (dir, pack, r);
      return;
    }
  TreeRead tr = { dir, r->line, NULL };
  bp_status_probe_generic (pack, r->line, read_tree_file, &tr, &r->probe);
  if (tr.unreadable && (r->probe.state == BP_PROBE_ABSENT || r->probe.state == BP_PROBE_CLEAN))
    {
      g_free (r->probe.detail);
      g_clear_pointer (&r->probe.file, g_free);
      r->probe = (BpProbe) { BP_PROBE_UNREADABLE, NULL, g_steal_pointer (&tr.unreadable), FALSE };
    }
  g_free (tr.unreadable);
}

/* The fix among debian/patches; TRUE in *CARRIED_UNAPPLIED when it is
 * listed but not applied. */
static void
debian_patches (const char *dir, BpFixPack *pack, BpRefStatus *r, gboolean *carried_unapplied)
{
  g_autoptr(GPtrArray) series = read_list (dir, "debian/patches/series");
  g_autoptr(GPtrArray) applied = read_list (dir, ".pc/applied-patches");
  g_autoptr(GArray) pids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (pack->lines, i);
      for (guint j = 0; j < line->patches->len; j++)
        {
          git_oid pid;
          if (bp_patch_id_from_patch (g_ptr_array_index (line->patches, j), &pid, NULL))
            g_array_append_val (pids, pid);
        }
    }
  for (guint i = 0; series && i < series->len; i++)
    {
      const char *name = g_ptr_array_index (series, i);
      g_autofree char *rel = g_strdup_printf ("debian/patches/%s", name);
      g_autofree char *why = NULL, *how = NULL;
      gsize len;
      gboolean missing;
      g_autofree char *text = bp_path_is_safe (name, NULL)
                              ? bp_status_read_in_tree (dir, rel, BP_STATUS_READ_MAX, &len, &why, &missing) : NULL;
      if (text == NULL || !debian_patch_is_fix (text, len, pack, pids, &how))
        continue;
      gboolean is_applied = applied == NULL;   /* no .pc: the series is what the build applies */
      for (guint a = 0; applied && a < applied->len; a++)
        is_applied |= strcmp (g_ptr_array_index (applied, a), name) == 0;
      g_autofree char *detail = g_strdup_printf ("%s; %s", how,
                                                 applied == NULL ? "listed in series (no .pc/applied-patches)"
                                                 : is_applied ? "applied per .pc/applied-patches"
                                                 : "listed in series but NOT applied per .pc/applied-patches");
      g_ptr_array_add (r->fix_evidence, bp_evidence_new ("debian-patch", NULL, rel, detail, NULL));
      r->fix_in_history |= is_applied;
      *carried_unapplied |= !is_applied;
    }
}

/* VERSION says it is a release tree, and hw/ a QEMU one where the pack's
 * probe looks for QEMU code (a pack made from any fix reads only the
 * patches' own files); the version, stripped. */
static char *
tree_version (const char *dir, const BpFixPack *pack, GError **error)
{
  g_autofree char *hw = g_build_filename (dir, "hw", NULL);
  g_autofree char *why = NULL;
  gsize len;
  gboolean missing;
  g_autofree char *version = bp_status_read_in_tree (dir, "VERSION", SMALL_MAX, &len, &why, &missing);
  if (version == NULL || (bp_status_probe_is_specific (pack) && !g_file_test (hw, G_FILE_TEST_IS_DIR)))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_QEMU,
                   "%s is not a QEMU source tree (%s): it must be the top directory of an unpacked QEMU source",
                   dir, version == NULL ? why : "no hw/");
      return NULL;
    }
  return g_strdup (g_strstrip (version));
}

BpStatusReport *
bp_history_scan_tree (const char *dir, BpFixPack *pack, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_QEMU,
                   "%s: no such directory (an unpacked QEMU source)", dir);
      return NULL;
    }
  if (!bp_transaction_recover (dir, error))  /* a write to DIR interrupted by a crash */
    return NULL;
  g_autofree char *version = tree_version (dir, pack, error);
  if (version == NULL)
    return NULL;
  g_autoptr(BpStatusReport) report = bp_status_report_new (dir);
  report->history = FALSE;
  report->history_note = g_strdup ("plain tree: history evidence (culprit reachable, picks, patch-ids of "
                                   "commits) is unavailable; the verdict rests on the code and debian/patches");
  report->n_refs = 1;
  BpRefStatus *r = bp_ref_status_new ();
  g_ptr_array_add (report->refs, r);
  r->name = g_path_get_basename (dir);
  r->kind = g_strdup ("tree");
  r->version = g_steal_pointer (&version);
  r->line = bp_fixpack_line_for_version (pack, r->version);
  probe_tree (dir, pack, r);
  gboolean carried_unapplied = FALSE;
  debian_patches (dir, pack, r, &carried_unapplied);
  r->culprit_present = r->probe.state == BP_PROBE_BUGGY;   /* by content: the culprit's pattern is there */
  bp_status_decide (r, pack, FALSE);
  if (r->probe.state == BP_PROBE_FIXED && r->fix_evidence->len)
    {
      g_free (r->fixed_by);
      r->fixed_by = g_strdup (((BpEvidence *) g_ptr_array_index (r->fix_evidence, 0))->subject);
    }
  if (carried_unapplied && r->verdict == BP_STATUS_AFFECTED)
    {
      g_autofree char *old = g_steal_pointer (&r->why);
      r->why = g_strdup_printf ("%s; the fix is in debian/patches/series but not applied in this tree", old);
    }
  if (r->line)
    {
      g_autofree char *old = g_steal_pointer (&r->why);
      r->why = g_strdup_printf ("%s; the pack says line %s is %s", old, r->line->name,
                                bp_verdict_to_string (r->line->verdict));
    }
  report->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&report);
}
