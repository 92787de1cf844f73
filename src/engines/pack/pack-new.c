/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `pack new`: a fix pack made from any fix.  See pack-new.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <unistd.h>

#include <glib/gstdio.h>

#include "base/fs.h"
#include "base/git-autoptr.h"
#include "base/path-safety.h"
#include "engines/pack/pack-new.h"
#include "engines/pick/pick-history.h"
#include "engines/pick/pick-input.h"
#include "model/fixpack.h"
#include "sources/release-tags.h"

G_DEFINE_QUARK (bp-pack-error-quark, bp_pack_error)

static void
line_free (BpPackNewLine *l)
{
  g_free (l->line);
  g_free (l->tag);
  g_free (l->verdict);
  g_free (l->how);
  g_free (l->fixed_by);
  g_free (l);
}

void
bp_pack_new_result_free (BpPackNewResult *r)
{
  if (r == NULL)
    return;
  g_free (r->dir);
  g_free (r->culprit);
  g_clear_pointer (&r->lines, g_ptr_array_unref);
  g_free (r);
}

/* The fix, as one pick item (read again for every line: a pick takes it). */
static BpPickItem *
load_fix (git_repository *repo, const char *from, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_pick_item_free);
  if (!bp_pick_input_add (repo, from, NULL, items, error))
    return NULL;
  if (items->len != 1)
    {
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_INPUT,
                   "%s holds %u fixes: a pack carries one (split the mbox, or name one commit)",
                   from, items->len);
      return NULL;
    }
  return g_ptr_array_steal_index (items, 0);
}

static char *
resolve_commit (git_repository *repo, const char *rev)
{
  g_autoptr(git_object) obj = NULL, peeled = NULL;
  if (rev == NULL || git_revparse_single (&obj, repo, rev) != 0
      || git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) != 0)
    return NULL;
  return g_strdup (git_oid_tostr_s (git_object_id (peeled)));
}

static char *
commit_subject (git_repository *repo, const char *hex)
{
  git_oid oid;
  g_autoptr(git_commit) c = NULL;
  if (git_oid_fromstr (&oid, hex) != 0 || git_commit_lookup (&c, repo, &oid) != 0)
    return NULL;
  return g_strdup (git_commit_summary (c));
}

/* Is the culprit in TAG's commit? */
static gboolean
culprit_in (git_repository *repo, const BpReleaseTag *tag, const char *culprit, const char *fix,
            char **how)
{
  g_autoptr(BpPickHistory) h = bp_pick_history_new (repo, &tag->commit);
  BpPickEvidence *e = NULL;
  gboolean known;
  gboolean in = bp_pick_history_contains (h, culprit, fix, &e, &known, NULL);
  if (in && how)
    *how = g_strdup_printf ("culprit-reachable (%s)", e->how);
  bp_pick_evidence_free (e);
  return in;
}

/* The lines to make: the asked ones, or the first with the culprit, the one
 * before it and every later one.  PRESENT gets TRUE/FALSE per chosen line. */
static GPtrArray *
choose_lines (git_repository *repo, GPtrArray *tags, const BpPackNewOptions *o, const char *culprit,
              const char *fix, GHashTable *present, GError **error)
{
  GPtrArray *chosen = g_ptr_array_new ();   /* BpReleaseTag*, borrowed, newest first */
  if (o->lines)
    {
      for (const char *const *l = o->lines; *l; l++)
        {
          BpReleaseTag *t = bp_release_tags_get (tags, *l);
          if (t == NULL)
            {
              g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_INPUT,
                           "line %s: the repository has no release tag v%s.N", *l, *l);
              g_ptr_array_unref (chosen);
              return NULL;
            }
          g_ptr_array_add (chosen, t);
          g_hash_table_insert (present, t->line, GINT_TO_POINTER (culprit_in (repo, t, culprit, fix, NULL)));
        }
      return chosen;
    }
  /* tags are newest first: walk to the oldest line that has the culprit */
  gint first = -1;
  for (guint i = 0; i < tags->len; i++)
    {
      BpReleaseTag *t = tags->pdata[i];
      gboolean in = culprit_in (repo, t, culprit, fix, NULL);
      g_hash_table_insert (present, t->line, GINT_TO_POINTER (in));
      if (in)
        first = i;
      else if (first >= 0)
        break;   /* older lines than the first one without it are not needed */
    }
  guint last = first < 0 ? 0 : MIN ((guint) first + 1, tags->len - 1);
  for (guint i = 0; i <= last; i++)
    g_ptr_array_add (chosen, tags->pdata[i]);
  return chosen;
}

/* "vfio/container: Use x" -> "vfio-container-Use-x", as format-patch names files. */
static char *
patch_name (const char *subject)
{
  GString *s = g_string_new ("0001-");
  gboolean dash = FALSE;
  for (const char *p = subject ? subject : "fix"; *p && s->len < 57; p++)
    {
      gboolean keep = g_ascii_isalnum (*p) || *p == '_' || *p == '.';
      if (keep)
        g_string_append_c (s, *p);
      else if (!dash)
        g_string_append_c (s, '-');
      dash = !keep;
    }
  while (s->len > 5 && (s->str[s->len - 1] == '-' || s->str[s->len - 1] == '.'))
    g_string_truncate (s, s->len - 1);
  g_string_append (s, ".patch");
  return g_string_free (s, FALSE);
}

static gboolean
write_file (const char *path, const char *text, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_IO, "cannot create %s: %s", dir, g_strerror (e));
      return FALSE;
    }
  return g_file_set_contents (path, text, -1, error);
}

/* One affected line: the pick onto its tag, as a series or as a record. */
static gboolean
make_series (git_repository *repo, const BpPackNewOptions *o, const BpReleaseTag *tag,
             const char *dir, GString *ini, BpPackNewLine *out, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_pick_item_free);
  BpPickItem *item = load_fix (repo, o->from, error);
  if (item == NULL)
    return FALSE;
  g_ptr_array_add (items, item);
  BpPickOptions popts = { .onto = tag->tag, .force = TRUE, .in_memory = TRUE, .want_diff = TRUE,
                          .progress = o->progress, .progress_data = o->progress_data };
  g_autoptr(GPtrArray) results = bp_pick_run (repo, g_steal_pointer (&items), &popts, cancellable, error);
  if (results == NULL)
    return FALSE;
  BpPickResult *r = results->pdata[0];
  const BpPickPlacement *first = r->placements->len ? r->placements->pdata[0] : NULL;
  if (first && first->target_path)
    g_string_append_printf (ini, "file=%s\n", first->target_path);
  switch (r->verdict)
    {
    case BP_PICK_APPLIED:
      {
        g_autoptr(BpPatch) mail = g_new0 (BpPatch, 1);
        const BpPatch *fix = r->item->patch;
        mail->subject = g_strdup (fix->subject);
        mail->author_name = g_strdup (fix->author_name);
        mail->author_email = g_strdup (fix->author_email);
        mail->date = fix->date ? g_date_time_ref (fix->date) : NULL;
        g_autofree char *full = bp_pick_commit_message (r->item, r->note, NULL);
        const char *body = strstr (full, "\n\n");
        mail->message = g_strchomp (g_strdup (body ? body + 2 : ""));
        mail->diff = g_strdup (r->diff);
        g_autofree char *name = patch_name (fix->subject);
        g_autofree char *text = bp_patch_to_mail (mail, r->item->commit);
        g_autofree char *patch_path = g_build_filename (dir, tag->line, name, NULL);
        g_autofree char *series_path = g_build_filename (dir, tag->line, "series", NULL);
        g_autofree char *series = g_strdup_printf ("%s\n", name);
        if (!write_file (patch_path, text, error) || !write_file (series_path, series, error))
          return FALSE;
        out->how = g_strdup_printf ("series: %s", r->how ? r->how : "exact");
        g_string_append_printf (ini, "note=picked onto %s: %s\n", tag->tag, r->how ? r->how : "exact");
        break;
      }
    case BP_PICK_PRESENT:
      {
        const BpPickEvidence *e = r->evidence->len ? r->evidence->pdata[0] : NULL;
        g_autofree char *by = e && e->commit ? g_strdup (e->commit) : g_strdup_printf ("%s (content)", tag->tag);
        g_string_append_printf (ini, "fixed-by=%s\n", by);
        out->how = g_strdup_printf ("fixed by %s", by);
        out->fixed_by = e && e->commit ? g_strdup (e->commit) : NULL;
        break;
      }
    case BP_PICK_NOT_NEEDED:
    case BP_PICK_NEEDS_HUMAN:
      {
        g_autofree char *why = g_strdup (r->why ? r->why : "the pick does not fit");
        g_strdelimit (why, "\n", ' ');
        g_string_append_printf (ini, "needs-human=%s\n", why);
        out->needs_human = TRUE;
        out->how = g_strdup_printf ("needs a human: %s", why);
        break;
      }
    }
  return TRUE;
}

/* The [fix] group. */
static void
write_identity (GString *ini, const BpPickItem *item, const char *upstream, const char *culprit,
                const char *culprit_subject)
{
  const BpPatch *p = item->patch;
  g_autofree char *author = bp_patch_author (p);
  g_autofree char *date = p->date ? g_date_time_format (p->date, "%a, %d %b %Y %H:%M:%S %z") : g_strdup ("unknown");
  g_autoptr(GPtrArray) links = bp_patch_trailers (p, "Link");
  g_autoptr(GPtrArray) bugs = bp_patch_trailers (p, "Closes");
  g_autoptr(GPtrArray) resolves = bp_patch_trailers (p, "Resolves");
  g_string_append_printf (ini, "# Fix pack made by `backport pack new` from %s.\n\n[fix]\nversion=1\n", item->label);
  g_string_append_printf (ini, "subject=%s\nauthor=%s\ndate=%s\n", p->subject ? p->subject : "", author, date);
  if (links->len)
    g_string_append_printf (ini, "posting=%s\n", (char *) links->pdata[0]);
  if (bugs->len || resolves->len)
    g_string_append_printf (ini, "bug=%s\n", (char *) (bugs->len ? bugs->pdata[0] : resolves->pdata[0]));
  if (upstream)
    g_string_append_printf (ini, "upstream=%s\n", upstream);
  g_string_append_printf (ini, "culprit=%s\n", culprit);
  if (culprit_subject)
    g_string_append_printf (ini, "culprit-subject=%s\n", culprit_subject);
  /* The last paragraph's "Key: value" lines, as the pack carries trailers. */
  g_autoptr(GString) trailers = g_string_new (NULL);
  const char *msg = p->message ? p->message : "";
  const char *last = msg;
  for (const char *q = msg; (q = strstr (q, "\n\n")); q += 2)
    last = q + 2;
  g_auto(GStrv) lines = g_strsplit (last, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      const char *colon = strchr (*l, ':');
      if (colon && colon > *l && colon[1] == ' ' && strspn (*l, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") == (gsize) (colon - *l)
          && !strchr (*l, ';'))
        g_string_append_printf (trailers, "%s%s", trailers->len ? ";" : "", *l);
    }
  if (trailers->len)
    g_string_append_printf (ini, "trailers=%s\n", trailers->str);
}

static char *
choose_culprit (git_repository *repo, const BpPackNewOptions *o, const BpPickItem *item, GError **error)
{
  if (o->culprit)
    {
      char *c = resolve_commit (repo, o->culprit);
      if (c == NULL)
        g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_INPUT, "culprit %s: not a commit of the repository",
                     o->culprit);
      return c;
    }
  for (guint i = 0; item->fixes && i < item->fixes->len; i++)
    {
      const char *f = item->fixes->pdata[i];
      if (strlen (f) == GIT_OID_HEXSZ)
        return g_strdup (f);
    }
  g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_NO_CULPRIT,
               item->fixes && item->fixes->len
                 ? "%s: its Fixes: commit is not in the repository; fetch it, or name the culprit"
                 : "%s has no Fixes: trailer naming the commit that brought the bug: name the culprit",
               o->from);
  return NULL;
}

/* Put TMP in place of DEST (replacing a pack there when FORCE). */
static gboolean
move_into_place (const char *tmp, const char *dest, gboolean force, GError **error)
{
  g_autofree char *old = NULL;
  if (g_file_test (dest, G_FILE_TEST_EXISTS))
    {
      old = g_strdup_printf ("%s.old-%d", dest, (int) getpid ());
      if (!force || g_rename (dest, old) != 0)
        {
          g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_EXISTS, "%s exists", dest);
          return FALSE;
        }
    }
  if (g_rename (tmp, dest) != 0)
    {
      int e = errno;
      if (old)
        g_rename (old, dest);
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_IO, "cannot move the pack to %s: %s", dest, g_strerror (e));
      return FALSE;
    }
  if (old)
    bp_fs_rm_rf (old, NULL);
  return TRUE;
}

static gboolean
make_lines (git_repository *repo, const BpPackNewOptions *o, GPtrArray *chosen, GHashTable *present,
            const char *tmp, GString *ini, BpPackNewResult *result, GCancellable *cancellable, GError **error)
{
  for (guint i = 0; i < chosen->len; i++)
    {
      const BpReleaseTag *t = chosen->pdata[i];
      gboolean affected = GPOINTER_TO_INT (g_hash_table_lookup (present, t->line));
      BpPackNewLine *l = g_new0 (BpPackNewLine, 1);
      g_ptr_array_add (result->lines, l);
      l->line = g_strdup (t->line);
      l->tag = g_strdup (t->tag);
      l->verdict = g_strdup (affected ? "affected" : "not-affected");
      g_string_append_printf (ini, "\n[line %s]\nverdict=%s\nbase=%s (%.12s)\n", t->line, l->verdict, t->tag,
                              git_oid_tostr_s (&t->commit));
      if (!affected)
        {
          g_string_append_printf (ini, "evidence=culprit-not-reachable\n"
                                       "note=the culprit is not in %s (no ancestry, no pick of it, no patch-id twin)\n",
                                  t->tag);
          l->how = g_strdup_printf ("culprit not in %s", t->tag);
          continue;
        }
      g_string_append (ini, "evidence=culprit-reachable\n");
      if (!make_series (repo, o, t, tmp, ini, l, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* A mail's upstream commit: the newest line that has it (by patch-id). */
static const char *
upstream_of_mail (const BpPackNewResult *result)
{
  for (guint i = 0; i < result->lines->len; i++)
    {
      const BpPackNewLine *l = result->lines->pdata[i];
      if (l->fixed_by)
        return l->fixed_by;
    }
  return NULL;
}

BpPackNewResult *
bp_pack_new (git_repository *repo, const BpPackNewOptions *o, GCancellable *cancellable, GError **error)
{
  if (!bp_path_is_safe (o->name, NULL) || strchr (o->name, '/'))
    {
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_INPUT,
                   "'%s' is not a pack name: one directory name, like vhost-user-snd-config-size", o->name);
      return NULL;
    }
  g_autofree char *user_root = bp_fixpack_user_root ();
  const char *root = o->packs_dir ? o->packs_dir : user_root ? user_root : bp_fixpack_default_root ();
  g_autofree char *dest = g_build_filename (root, o->name, NULL);
  if (!o->force && g_file_test (dest, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_EXISTS, "%s exists", dest);
      return NULL;
    }
  g_autoptr(BpPickItem) item = load_fix (repo, o->from, error);
  if (item == NULL)
    return NULL;
  g_autoptr(BpPackNewResult) result = g_new0 (BpPackNewResult, 1);
  result->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) line_free);
  result->culprit = choose_culprit (repo, o, item, error);
  if (result->culprit == NULL)
    return NULL;
  g_autoptr(GPtrArray) tags = bp_release_tags_by_line (repo, error);
  if (tags == NULL)
    return NULL;
  if (tags->len == 0)
    {
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_INPUT,
                   "the repository has no release tags vX.Y.Z: a pack's lines come from them");
      return NULL;
    }
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) chosen = choose_lines (repo, tags, o, result->culprit, item->commit, present, error);
  if (chosen == NULL)
    return NULL;

  if (g_mkdir_with_parents (root, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_IO, "cannot create %s: %s", root, g_strerror (e));
      return NULL;
    }
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.new-XXXXXX", root, o->name);
  if (g_mkdtemp (tmp) == NULL)
    {
      int e = errno;
      g_set_error (error, BP_PACK_ERROR, BP_PACK_ERROR_IO, "cannot write in %s: %s", root, g_strerror (e));
      return NULL;
    }
  g_autoptr(GString) lines = g_string_new (NULL);
  gboolean ok = make_lines (repo, o, chosen, present, tmp, lines, result, cancellable, error);
  g_autoptr(GString) ini = g_string_new (NULL);
  g_autofree char *culprit_subject = commit_subject (repo, result->culprit);
  write_identity (ini, item, item->commit ? item->commit : upstream_of_mail (result), result->culprit,
                  culprit_subject);
  g_string_append (ini, lines->str);
  g_autofree char *ini_path = g_build_filename (tmp, "fix.ini", NULL);
  ok = ok && write_file (ini_path, ini->str, error);
  /* What we wrote must load as a pack, or it is not one. */
  g_autoptr(BpFixPack) check = ok ? bp_fixpack_load (tmp, error) : NULL;
  if (!ok || check == NULL || !move_into_place (tmp, dest, o->force, error))
    {
      bp_fs_rm_rf (tmp, NULL);
      return NULL;
    }
  result->dir = g_steal_pointer (&dest);
  return g_steal_pointer (&result);
}
