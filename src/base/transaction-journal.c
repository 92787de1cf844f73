/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transaction's journal on disk, undo, and recovery after a crash.
 *
 * The journal is a text file, one record a line, every string written as
 * "=" + C escape (space too) or "-" for none:
 *   backport-journal 1
 *   dir =REL                       a directory the renames create
 *   op =REL TMP BACKUP DEV INO     TMP: staged name, BACKUP: the kept original
 *   guard NAME BACKUP              a repository file the caller changes
 *   end N                          N op lines: a journal without it is not
 *                                  complete, so no rename had begun
 * Undo only ever touches what the journal proves is ours: a target is
 * removed only when it is the very inode we staged. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/path-safety.h"
#include "base/transaction-private.h"

#define JOURNAL_MAGIC "backport-journal 1"
#define SYNC_BATCH 64

gboolean
bp_tx_fail (GError **error, int err, const char *what, const char *path)
{
  int code = err == ENOSPC || err == EDQUOT ? BP_TRANSACTION_ERROR_NO_SPACE : BP_TRANSACTION_ERROR_IO;
  g_set_error (error, BP_TRANSACTION_ERROR, code, "%s %s: %s", what, path, g_strerror (err));
  return FALSE;
}

void
bp_tx_op_free (BpTxOp *op)
{
  g_free (op->rel);
  g_clear_pointer (&op->content, g_bytes_unref);
  g_free (op->tmp);
  g_free (op->backup);
  g_free (op);
}

void
bp_tx_guard_free (BpTxGuard *guard)
{
  g_free (guard->spec);
  g_free (guard->backup);
  g_free (guard);
}

void
bp_tx_place_clear (BpTxPlace *place)
{
  g_clear_pointer (&place->state, g_free);
  g_clear_pointer (&place->parent_to_make, g_free);
  g_clear_pointer (&place->gitdir, g_free);
  g_clear_pointer (&place->commondir, g_free);
}

static void
place_free (BpTxPlace *place)
{
  bp_tx_place_clear (place);
  g_free (place);
}

/* First line of FILE (a .git file's "gitdir: X", a commondir file), as a
 * path resolved against BASE. */
static char *
read_path_file (const char *file, const char *prefix, const char *base)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (file, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  if (!g_str_has_prefix (text, prefix))
    return NULL;
  const char *p = text + strlen (prefix);
  while (*p == ' ')
    p++;
  return *p ? g_canonicalize_filename (p, base) : NULL;
}

GPtrArray *
bp_tx_places (const char *tree)
{
  GPtrArray *places = g_ptr_array_new_with_free_func ((GDestroyNotify) place_free);
  g_autofree char *dotgit = g_build_filename (tree, ".git", NULL);
  g_autofree char *gitdir = NULL;
  if (g_file_test (dotgit, G_FILE_TEST_IS_DIR))
    gitdir = g_strdup (dotgit);
  else if (g_file_test (dotgit, G_FILE_TEST_IS_REGULAR))
    gitdir = read_path_file (dotgit, "gitdir:", tree);
  g_autofree char *commondir = NULL;
  if (gitdir)
    {
      g_autofree char *cfile = g_build_filename (gitdir, "commondir", NULL);
      commondir = read_path_file (cfile, "", gitdir);
      if (commondir == NULL)
        commondir = g_strdup (gitdir);
    }
  g_autofree char *pc = g_build_filename (tree, ".pc", NULL);
  g_autofree char *debian = g_build_filename (tree, "debian", NULL);
  gboolean have_pc = g_file_test (pc, G_FILE_TEST_IS_DIR);
  gboolean debian_tree = g_file_test (debian, G_FILE_TEST_IS_DIR);
  const char *states[3] = { NULL, NULL, NULL };
  g_autofree char *in_git = gitdir ? g_build_filename (gitdir, "backport-journal", NULL) : NULL;
  g_autofree char *in_pc = g_build_filename (pc, ".backport-journal", NULL);
  g_autofree char *in_tree = g_build_filename (tree, ".backport-journal", NULL);
  /* The first is where a new journal goes: the repository, else quilt's
   * .pc (which dpkg-source skips), else the tree's top. */
  guint n = 0;
  if (in_git)
    states[n++] = in_git;
  if (have_pc || debian_tree)
    states[n++] = in_pc;
  states[n++] = in_tree;
  for (guint i = 0; i < n; i++)
    {
      BpTxPlace *place = g_new0 (BpTxPlace, 1);
      place->state = g_strdup (states[i]);
      if (states[i] == in_pc && !have_pc)
        place->parent_to_make = g_strdup (pc);
      place->gitdir = g_strdup (gitdir);
      place->commondir = g_strdup (commondir);
      g_ptr_array_add (places, place);
    }
  if (!(have_pc || debian_tree))
    {
      /* A journal in .pc of a tree that has since lost debian/ is still ours. */
      BpTxPlace *place = g_new0 (BpTxPlace, 1);
      place->state = g_strdup (in_pc);
      place->gitdir = g_strdup (gitdir);
      place->commondir = g_strdup (commondir);
      g_ptr_array_add (places, place);
    }
  return places;
}

char *
bp_tx_resolve (BpTransaction *t, const char *name)
{
  if (name == NULL || strlen (name) < 3 || name[1] != ':')
    return NULL;
  const char *rest = name + 2;
  switch (name[0])
    {
    case 's': return g_build_filename (t->place.state, rest, NULL);
    case 't': return g_build_filename (t->tree, rest, NULL);
    case 'g': return t->place.gitdir ? g_build_filename (t->place.gitdir, rest, NULL) : NULL;
    case 'c': return t->place.commondir ? g_build_filename (t->place.commondir, rest, NULL) : NULL;
    default: return NULL;
    }
}

void
bp_tx_sync_dirs (GPtrArray *dirs)
{
  for (guint i = 0; i < dirs->len; i++)
    {
      int fd = open (dirs->pdata[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        continue;
      /* Many directories: one syncfs of their file system is cheaper. */
      int r = dirs->len > SYNC_BATCH ? syncfs (fd) : fsync (fd);
      close (fd);
      if (r == 0 && dirs->len > SYNC_BATCH)
        return;
    }
}

/* ---- writing and reading ------------------------------------------------ */

static void
put_str (GString *out, const char *s)
{
  if (s == NULL)
    {
      g_string_append (out, " -");
      return;
    }
  g_autofree char *esc = g_strescape (s, NULL);
  g_string_append (out, " =");
  for (const char *p = esc; *p; p++)
    if (*p == ' ')
      g_string_append (out, "\\040");
    else
      g_string_append_c (out, *p);
}

gboolean
bp_tx_journal_write (BpTransaction *t, GError **error)
{
  g_autoptr(GString) j = g_string_new (JOURNAL_MAGIC "\n");
  for (guint i = 0; i < t->dirs->len; i++)
    {
      g_string_append (j, "dir");
      put_str (j, t->dirs->pdata[i]);
      g_string_append_c (j, '\n');
    }
  for (guint i = 0; i < t->ops->len; i++)
    {
      BpTxOp *op = t->ops->pdata[i];
      g_string_append (j, "op");
      put_str (j, op->rel);
      put_str (j, op->tmp);
      put_str (j, op->backup);
      g_string_append_printf (j, " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n", op->new_dev, op->new_ino);
    }
  for (guint i = 0; i < t->guards->len; i++)
    {
      BpTxGuard *guard = t->guards->pdata[i];
      g_string_append (j, "guard");
      put_str (j, guard->spec);
      put_str (j, guard->backup);
      g_string_append_c (j, '\n');
    }
  g_string_append_printf (j, "end %u\n", t->ops->len);

  g_autofree char *path = g_build_filename (t->place.state, "journal", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return bp_tx_fail (error, errno, "cannot write", path);
  gsize off = 0;
  while (off < j->len)
    {
      ssize_t n = write (fd, j->str + off, j->len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = n < 0 ? errno : ENOSPC;
          close (fd);
          return bp_tx_fail (error, e, "cannot write", path);
        }
      off += n;
    }
  if (fsync (fd) != 0)
    {
      int e = errno;
      close (fd);
      return bp_tx_fail (error, e, "cannot write", path);
    }
  close (fd);
  /* The journal's name, the staged and kept files' names, the state
   * directory itself (new) and a parent made for it. */
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (dirs, g_strdup (t->place.state));
  g_ptr_array_add (dirs, g_path_get_dirname (t->place.state));
  if (t->made_parent)
    g_ptr_array_add (dirs, g_path_get_dirname (t->place.parent_to_make));
  for (guint i = 0; i < t->ops->len; i++)
    {
      BpTxOp *op = t->ops->pdata[i];
      const char *names[2] = { op->tmp, op->backup };
      for (guint k = 0; k < 2; k++)
        if (names[k] && names[k][0] == 't')
          {
            g_autofree char *abs = bp_tx_resolve (t, names[k]);
            g_ptr_array_add (dirs, g_path_get_dirname (abs));
          }
    }
  if (fsync (t->state_fd) != 0)
    return bp_tx_fail (error, errno, "cannot write", t->place.state);
  g_ptr_array_remove_index (dirs, 0);
  bp_tx_sync_dirs (dirs);
  return TRUE;
}

/* One token: "-" (NULL) or "=" + escaped text.  FALSE on anything else. */
static gboolean
get_str (const char *tok, char **out)
{
  if (strcmp (tok, "-") == 0)
    {
      *out = NULL;
      return TRUE;
    }
  if (tok[0] != '=')
    return FALSE;
  *out = g_strcompress (tok + 1);
  return **out != '\0';
}

/* A journal name must stay where it says: a plain name in the state
 * directory, a safe relative path in the tree or the repository. */
static gboolean
name_ok (const char *name)
{
  if (name == NULL)
    return TRUE;
  if (strlen (name) < 3 || name[1] != ':' || strchr ("stgc", name[0]) == NULL)
    return FALSE;
  if (name[0] == 's')
    return strchr (name + 2, '/') == NULL && strcmp (name + 2, "..") != 0 && strcmp (name + 2, ".") != 0;
  return bp_path_is_safe (name + 2, NULL);
}

static gboolean
parse_line (BpTransaction *t, char **tok, guint ntok, guint *end)
{
  if (strcmp (tok[0], "dir") == 0 && ntok == 2)
    {
      char *rel = NULL;
      if (!get_str (tok[1], &rel) || !bp_path_is_safe (rel, NULL))
        return g_free (rel), FALSE;
      g_ptr_array_add (t->dirs, rel);
      return TRUE;
    }
  if (strcmp (tok[0], "op") == 0 && ntok == 6)
    {
      BpTxOp *op = g_new0 (BpTxOp, 1);
      g_ptr_array_add (t->ops, op);
      if (!get_str (tok[1], &op->rel) || !get_str (tok[2], &op->tmp) || !get_str (tok[3], &op->backup))
        return FALSE;
      op->new_dev = g_ascii_strtoull (tok[4], NULL, 10);
      op->new_ino = g_ascii_strtoull (tok[5], NULL, 10);
      return op->rel && bp_path_is_safe (op->rel, NULL) && name_ok (op->tmp) && name_ok (op->backup);
    }
  if (strcmp (tok[0], "guard") == 0 && ntok == 3)
    {
      BpTxGuard *guard = g_new0 (BpTxGuard, 1);
      g_ptr_array_add (t->guards, guard);
      if (!get_str (tok[1], &guard->spec) || !get_str (tok[2], &guard->backup))
        return FALSE;
      return guard->spec && strchr ("gc", guard->spec[0]) && name_ok (guard->spec)
             && name_ok (guard->backup) && (guard->backup == NULL || guard->backup[0] == 's');
    }
  if (strcmp (tok[0], "end") == 0 && ntok == 2)
    {
      *end = (guint) g_ascii_strtoull (tok[1], NULL, 10);
      return TRUE;
    }
  return FALSE;
}

/* Read the journal TEXT into T.  *COMPLETE is FALSE for a journal cut short
 * (no rename had begun: nothing to undo). */
static gboolean
journal_parse (BpTransaction *t, const char *text, gboolean *complete)
{
  *complete = FALSE;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL || strcmp (lines[0], JOURNAL_MAGIC) != 0)
    return lines[0] == NULL || lines[1] == NULL;  /* cut before its first line ended */
  guint end = G_MAXUINT;
  for (guint i = 1; lines[i] && lines[i + 1]; i++)
    {
      if (end != G_MAXUINT)
        return FALSE;  /* something after "end" */
      g_auto(GStrv) tok = g_strsplit (lines[i], " ", -1);
      if (tok[0] == NULL || !parse_line (t, tok, g_strv_length (tok), &end))
        return FALSE;
    }
  *complete = end != G_MAXUINT;
  return !*complete || end == t->ops->len;
}

/* ---- undo, redo, clean up ----------------------------------------------- */

static gboolean
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

guint
bp_tx_undo (BpTransaction *t)
{
  guint changed = 0;
  for (guint i = t->ops->len; i-- > 0;)
    {
      BpTxOp *op = t->ops->pdata[i];
      g_autofree char *path = g_build_filename (t->tree, op->rel, NULL);
      struct stat now, kept;
      gboolean have = lstat (path, &now) == 0;
      g_autofree char *backup = op->backup ? bp_tx_resolve (t, op->backup) : NULL;
      if (backup && lstat (backup, &kept) == 0)
        {
          /* rename() of two links to one inode does nothing: drop the name. */
          if (have && same_file (&now, &kept))
            g_unlink (backup);
          else if (g_rename (backup, path) == 0)
            changed++;
        }
      else if (!op->backup && have && now.st_dev == op->new_dev && now.st_ino == op->new_ino)
        {
          if (g_unlink (path) == 0)
            changed++;
        }
      g_autofree char *tmp = op->tmp ? bp_tx_resolve (t, op->tmp) : NULL;
      if (tmp)
        g_unlink (tmp);
    }
  for (guint i = t->dirs->len; i-- > 0;)
    {
      g_autofree char *dir = g_build_filename (t->tree, t->dirs->pdata[i], NULL);
      g_rmdir (dir);
    }
  for (guint i = 0; i < t->guards->len; i++)
    {
      BpTxGuard *guard = t->guards->pdata[i];
      g_autofree char *path = bp_tx_resolve (t, guard->spec);
      g_autofree char *backup = guard->backup ? bp_tx_resolve (t, guard->backup) : NULL;
      if (path == NULL)
        continue;
      if (backup == NULL)
        g_unlink (path);
      else if (g_file_test (backup, G_FILE_TEST_EXISTS))
        g_rename (backup, path);
      /* libgit2 writes through PATH.lock: one left by a crash is ours. */
      g_autofree char *lock = g_strconcat (path, ".lock", NULL);
      g_unlink (lock);
    }
  return changed;
}

gboolean
bp_tx_all_done (BpTransaction *t)
{
  for (guint i = 0; i < t->ops->len; i++)
    {
      BpTxOp *op = t->ops->pdata[i];
      g_autofree char *path = g_build_filename (t->tree, op->rel, NULL);
      struct stat st;
      gboolean have = lstat (path, &st) == 0;
      if (op->tmp && !(have && st.st_dev == op->new_dev && st.st_ino == op->new_ino))
        return FALSE;
      if (!op->tmp && op->backup && have)
        return FALSE;
    }
  return TRUE;
}

static void
remove_names (BpTransaction *t)
{
  for (guint i = 0; i < t->ops->len; i++)
    {
      BpTxOp *op = t->ops->pdata[i];
      g_autofree char *tmp = bp_tx_resolve (t, op->tmp);
      g_autofree char *backup = bp_tx_resolve (t, op->backup);
      if (tmp)
        g_unlink (tmp);
      if (backup)
        g_unlink (backup);
    }
  for (guint i = 0; i < t->guards->len; i++)
    {
      BpTxGuard *guard = t->guards->pdata[i];
      g_autofree char *backup = bp_tx_resolve (t, guard->backup);
      if (backup)
        g_unlink (backup);
    }
}

/* Every entry of the state directory: what a journal-less crash left. */
static void
empty_state_dir (const char *state)
{
  g_autoptr(GDir) d = g_dir_open (state, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      if (strcmp (name, "journal") == 0 || strcmp (name, "done") == 0 || strcmp (name, "made-parent") == 0)
        continue;
      g_autofree char *path = g_build_filename (state, name, NULL);
      g_unlink (path);
    }
}

void
bp_tx_cleanup (BpTransaction *t)
{
  /* Kept and staged files first, the journal last: a crash in between
   * leaves a journal that still names everything left. */
  remove_names (t);
  empty_state_dir (t->place.state);
  static const char *const last[] = { "journal", "done", "made-parent" };
  for (guint i = 0; i < G_N_ELEMENTS (last); i++)
    {
      g_autofree char *path = g_build_filename (t->place.state, last[i], NULL);
      g_unlink (path);
    }
  g_rmdir (t->place.state);
  if (t->place.parent_to_make && t->made_parent)
    g_rmdir (t->place.parent_to_make);
}

/* ---- recovery ----------------------------------------------------------- */

static gboolean
recover_one (const char *tree, BpTxPlace *place, GError **error)
{
  g_autoptr(BpTransaction) t = bp_tx_new (tree);
  t->place = *place;
  memset (place, 0, sizeof *place);  /* moved */
  t->phase = BP_TX_OVER;             /* nothing for free() to abort */
  t->state_fd = open (t->place.state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (t->state_fd < 0)
    return TRUE;
  if (flock (t->state_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_BUSY,
                   "%s: another backport is writing this tree now (%s is locked); "
                   "wait for it to finish", tree, t->place.state);
      return FALSE;
    }
  struct stat a, b;
  if (fstat (t->state_fd, &a) != 0 || stat (t->place.state, &b) != 0 || !same_file (&a, &b))
    return TRUE;  /* its writer finished while we waited */
  g_autofree char *marker = g_build_filename (t->place.state, "made-parent", NULL);
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    {
      g_free (t->place.parent_to_make);
      t->place.parent_to_make = g_path_get_dirname (t->place.state);
      t->made_parent = TRUE;
    }
  g_autofree char *done = g_build_filename (t->place.state, "done", NULL);
  g_autofree char *journal = g_build_filename (t->place.state, "journal", NULL);
  gboolean is_done = g_file_test (done, G_FILE_TEST_EXISTS);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (is_done ? done : journal, &text, NULL, NULL))
    {
      bp_tx_cleanup (t);
      g_printerr ("backport: %s: an interrupted write had not changed the tree yet; "
                  "its staged files were removed\n", tree);
      return TRUE;
    }
  gboolean complete = FALSE;
  if (!journal_parse (t, text, &complete))
    {
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_JOURNAL,
                   "%s: cannot read the journal %s of an interrupted write; nothing was "
                   "changed: restore the tree from a copy, then remove %s", tree,
                   is_done ? done : journal, t->place.state);
      return FALSE;
    }
  if (!complete)
    {
      g_ptr_array_set_size (t->ops, 0);
      g_ptr_array_set_size (t->guards, 0);
      g_ptr_array_set_size (t->dirs, 0);
      bp_tx_cleanup (t);
      g_printerr ("backport: %s: an interrupted write had not changed the tree yet; "
                  "its staged files were removed\n", tree);
      return TRUE;
    }
  if (is_done || (t->guards->len == 0 && bp_tx_all_done (t)))
    {
      bp_tx_cleanup (t);
      g_printerr ("backport: %s: an interrupted write was completed: all %u of its files "
                  "were in place\n", tree, t->ops->len);
      return TRUE;
    }
  guint changed = bp_tx_undo (t);
  g_autoptr(GPtrArray) dirs = bp_tx_touched_dirs (t);
  bp_tx_sync_dirs (dirs);
  bp_tx_cleanup (t);
  g_printerr ("backport: %s: an interrupted write was rolled back (%u of its %u files put "
              "back); the tree is as it was before\n", tree, changed, t->ops->len);
  return TRUE;
}

gboolean
bp_transaction_recover (const char *tree, GError **error)
{
  if (!g_file_test (tree, G_FILE_TEST_IS_DIR))
    return TRUE;
  g_autoptr(GPtrArray) places = bp_tx_places (tree);
  for (guint i = 0; i < places->len; i++)
    {
      BpTxPlace *place = places->pdata[i];
      struct stat st;
      if (lstat (place->state, &st) != 0 || !S_ISDIR (st.st_mode))
        continue;
      if (!recover_one (tree, place, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
bp_transaction_pending (const char *tree)
{
  g_autoptr(GPtrArray) places = bp_tx_places (tree);
  for (guint i = 0; i < places->len; i++)
    {
      struct stat st;
      if (lstat (((BpTxPlace *) places->pdata[i])->state, &st) == 0 && S_ISDIR (st.st_mode))
        return TRUE;
    }
  return FALSE;
}
