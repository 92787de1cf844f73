/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The staged-write transaction: a write-ahead journal, as git's index.lock
 * and a database's WAL do it.
 *
 *   stage    every new file is written and made durable in the tree's state
 *            directory (.git/backport-journal, .pc/.backport-journal or
 *            .backport-journal), where neither `git status` nor
 *            `dpkg-source -b` looks; every file about to be replaced or
 *            deleted is kept there as a hard link (the same inode: owner,
 *            mode and other links survive a roll-back), or a copy;
 *   journal  the plan (targets, staged and kept names, directories to make,
 *            guarded repository files) is written and fsynced, with the
 *            directory: from here on a crash is undone by recovery;
 *   rename   the staged files go into place, one rename each;
 *   finish   after the caller's own steps (index, ref), the journal becomes
 *            "done" and everything is removed.
 *
 * A crash at any point leaves a journal that the next command replays
 * (transaction-journal.c): back to the exact prior state, or forward when
 * every rename was done.  Test hook, inert unless set:
 * BACKPORT_TEST_TRANSACTION=kill-after:N | fail-after:N | count (steps are
 * the renames, then each checkpoint, then finish before and after "done"). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/test-pause.h"
#include "base/transaction-private.h"

G_DEFINE_QUARK (bp-transaction-error-quark, bp_transaction_error)

/* More files than this are made durable with one syncfs() instead of an
 * fsync() each. */
#define SYNC_BATCH 64

BpTransaction *
bp_tx_new (const char *tree)
{
  BpTransaction *t = g_new0 (BpTransaction, 1);
  t->tree = g_strdup (tree);
  t->ops = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_tx_op_free);
  t->by_rel = g_hash_table_new (g_str_hash, g_str_equal);
  t->guards = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_tx_guard_free);
  t->dirs = g_ptr_array_new_with_free_func (g_free);
  t->state_fd = -1;
  const char *hook = g_getenv ("BACKPORT_TEST_TRANSACTION");
  if (hook && g_str_has_prefix (hook, "kill-after:"))
    t->test_kind = 'k', t->test_at = atoi (hook + strlen ("kill-after:"));
  else if (hook && g_str_has_prefix (hook, "fail-after:"))
    t->test_kind = 'f', t->test_at = atoi (hook + strlen ("fail-after:"));
  else if (g_strcmp0 (hook, "count") == 0)
    t->test_kind = 's';
  return t;
}

BpTransaction *
bp_transaction_begin (const char *tree, GError **error)
{
  if (!g_file_test (tree, G_FILE_TEST_IS_DIR))
    {
      bp_tx_fail (error, ENOTDIR, "cannot write in", tree);
      return NULL;
    }
  g_autoptr(BpTransaction) t = bp_tx_new (tree);
  g_autoptr(GPtrArray) places = bp_tx_places (tree);
  BpTxPlace *first = places->pdata[0];
  t->place = *first;
  memset (first, 0, sizeof *first);  /* moved */
  return g_steal_pointer (&t);
}

static void release_signals (BpTransaction *t);

void
bp_transaction_free (BpTransaction *t)
{
  if (t == NULL)
    return;
  if (t->phase != BP_TX_OVER)
    bp_transaction_abort (t);
  release_signals (t);
  if (t->state_fd >= 0)
    close (t->state_fd);
  g_free (t->tree);
  bp_tx_place_clear (&t->place);
  g_hash_table_unref (t->by_rel);
  g_ptr_array_unref (t->ops);
  g_ptr_array_unref (t->guards);
  g_ptr_array_unref (t->dirs);
  g_free (t);
}

void
bp_transaction_write (BpTransaction *t, const char *rel, GBytes *content, guint mode)
{
  g_return_if_fail (t->phase == BP_TX_OPEN);
  BpTxOp *op = g_hash_table_lookup (t->by_rel, rel);
  if (op == NULL)
    {
      op = g_new0 (BpTxOp, 1);
      op->rel = g_strdup (rel);
      g_ptr_array_add (t->ops, op);
      g_hash_table_insert (t->by_rel, op->rel, op);
    }
  g_clear_pointer (&op->content, g_bytes_unref);
  op->content = content ? g_bytes_ref (content) : NULL;
  if (mode || content == NULL)
    op->mode = mode;
}

void
bp_transaction_delete (BpTransaction *t, const char *rel)
{
  bp_transaction_write (t, rel, NULL, 0);
}

/* PATH's directory resolved (it may not exist yet: its nearest existing
 * ancestor is), then PATH's remaining components. */
static char *
resolve_existing (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *real = realpath (dir, NULL);
  if (real)
    return g_build_filename (real, base, NULL);
  if (strcmp (dir, path) == 0)
    return NULL;
  g_autofree char *up = resolve_existing (dir);
  return up ? g_build_filename (up, base, NULL) : NULL;
}

static char *
rel_under (const char *path, const char *root)
{
  if (root == NULL)
    return NULL;
  g_autofree char *real_root = realpath (root, NULL);
  g_autofree char *real = resolve_existing (path);
  gsize n = real_root ? strlen (real_root) : 0;
  if (real == NULL || n == 0 || strncmp (real, real_root, n) != 0 || real[n] != '/')
    return NULL;
  return g_strdup (real + n + 1);
}

gboolean
bp_transaction_guard (BpTransaction *t, const char *path, GError **error)
{
  g_autofree char *g = rel_under (path, t->place.gitdir);
  g_autofree char *c = g ? NULL : rel_under (path, t->place.commondir);
  if (g == NULL && c == NULL)
    {
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_UNSAFE,
                   "cannot guard %s: not a file of %s's git repository", path, t->tree);
      return FALSE;
    }
  BpTxGuard *guard = g_new0 (BpTxGuard, 1);
  guard->spec = g ? g_strconcat ("g:", g, NULL) : g_strconcat ("c:", c, NULL);
  g_ptr_array_add (t->guards, guard);
  return TRUE;
}

/* ---- staging ------------------------------------------------------------ */

static gboolean
open_state (BpTransaction *t, GError **error)
{
  const char *parent = t->place.parent_to_make;
  if (parent && !g_file_test (parent, G_FILE_TEST_IS_DIR))
    {
      if (g_mkdir (parent, 0755) != 0)
        return bp_tx_fail (error, errno, "cannot create", parent);
      t->made_parent = TRUE;
    }
  if (g_mkdir (t->place.state, 0700) != 0)
    {
      if (errno != EEXIST)
        return bp_tx_fail (error, errno, "cannot create", t->place.state);
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_BUSY,
                   "%s exists: another backport is writing %s, or one was interrupted",
                   t->place.state, t->tree);
      return FALSE;
    }
  t->phase = BP_TX_STAGED;
  t->state_fd = open (t->place.state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat a, b;
  if (t->state_fd < 0 || flock (t->state_fd, LOCK_EX | LOCK_NB) != 0 || fstat (t->state_fd, &a) != 0
      || stat (t->place.state, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
    {
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_BUSY,
                   "cannot lock %s: another backport is writing %s", t->place.state, t->tree);
      return FALSE;
    }
  if (t->made_parent)
    {
      /* Recovery must know the parent is ours even before the journal is. */
      g_autofree char *marker = g_build_filename (t->place.state, "made-parent", NULL);
      if (!g_file_set_contents (marker, "", 0, NULL))
        return bp_tx_fail (error, errno, "cannot write in", t->place.state);
    }
  return TRUE;
}

static gboolean
write_all (int fd, const char *data, gsize len, const char *path, GError **error)
{
  gsize off = 0;
  while (off < len)
    {
      ssize_t n = write (fd, data + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return bp_tx_fail (error, n < 0 ? errno : ENOSPC, "cannot write", path);
      off += n;
    }
  return TRUE;
}

/* A new file at PATH with DATA, owner and MODE; made durable unless BATCH
 * (then one syncfs covers it).  Its identity goes to *ST. */
static gboolean
create_file (const char *path, const char *data, gsize len, const struct stat *owner, guint mode,
             gboolean batch, struct stat *st, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return bp_tx_fail (error, errno, "cannot write", path);
  gboolean ok = write_all (fd, data, len, path, error);
  /* Root keeps a file's owner (and fchown may clear set-id bits: chmod after). */
  if (ok && owner && (owner->st_uid != geteuid () || owner->st_gid != getegid ())
      && fchown (fd, owner->st_uid, owner->st_gid) != 0)
    (void) !fchown (fd, (uid_t) -1, owner->st_gid);
  if (ok && fchmod (fd, mode) != 0)
    ok = bp_tx_fail (error, errno, "cannot set the mode of", path);
  if (ok && !batch && fsync (fd) != 0)
    ok = bp_tx_fail (error, errno, "cannot write", path);
  if (ok && fstat (fd, st) != 0)
    ok = bp_tx_fail (error, errno, "cannot stat", path);
  if (close (fd) != 0 && ok)
    ok = bp_tx_fail (error, errno, "cannot write", path);
  return ok;
}

static gboolean
create_symlink (const char *path, GBytes *target, const struct stat *owner, struct stat *st,
                GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (target, &len);
  g_autofree char *text = g_strndup (data, len);
  if (strlen (text) != len || len == 0)
    {
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_UNSAFE,
                   "cannot make the symlink %s: its target is empty or holds a NUL byte", path);
      return FALSE;
    }
  if (symlink (text, path) != 0)
    return bp_tx_fail (error, errno, "cannot write", path);
  if (owner && (owner->st_uid != geteuid () || owner->st_gid != getegid ()))
    (void) !lchown (path, owner->st_uid, owner->st_gid);
  if (lstat (path, st) != 0)
    return bp_tx_fail (error, errno, "cannot stat", path);
  return TRUE;
}

/* Keep the original at BACKUP: a second hard link to it, or (where links
 * are refused) a copy with its owner and mode. */
static gboolean
keep_original (const char *path, const struct stat *st, const char *backup, gboolean batch,
               GError **error)
{
  if (linkat (AT_FDCWD, path, AT_FDCWD, backup, 0) == 0)
    return TRUE;
  if (errno == ENOSPC || errno == EDQUOT || errno == EEXIST)
    return bp_tx_fail (error, errno, "cannot keep a copy of", path);
  struct stat copy_st;
  if (S_ISLNK (st->st_mode))
    {
      g_autofree char *target = g_file_read_link (path, NULL);
      g_autoptr(GBytes) bytes = target ? g_bytes_new (target, strlen (target)) : NULL;
      return bytes && create_symlink (backup, bytes, st, &copy_st, error);
    }
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return bp_tx_fail (error, errno, "cannot read", path);
  return create_file (backup, data, len, st, st->st_mode & 07777, batch, &copy_st, error);
}

/* Directories REL needs that do not exist yet, parents first; an ancestor
 * that is not a directory makes REL unwritable. */
static gboolean
plan_dirs (BpTransaction *t, const char *rel, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (rel, "/", -1);
  g_autoptr(GString) cur = g_string_new (NULL);
  gboolean missing = FALSE;
  for (guint i = 0; parts[i] && parts[i + 1]; i++)
    {
      if (cur->len)
        g_string_append_c (cur, '/');
      g_string_append (cur, parts[i]);
      g_autofree char *abs = g_build_filename (t->tree, cur->str, NULL);
      struct stat st;
      if (!missing && stat (abs, &st) == 0)
        {
          if (!S_ISDIR (st.st_mode))
            {
              g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_UNSAFE,
                           "cannot write %s: %s is not a directory", rel, cur->str);
              return FALSE;
            }
          continue;
        }
      missing = TRUE;
      if (!g_ptr_array_find_with_equal_func (t->dirs, cur->str, g_str_equal, NULL))
        g_ptr_array_add (t->dirs, g_strdup (cur->str));
    }
  return TRUE;
}

/* Where the staged and kept files of REL go: the state directory when it is
 * on the same file system as REL's directory (a rename cannot cross file
 * systems), else beside the target, under a name git status would show. */
static char *
stage_name (BpTransaction *t, guint i, const char *rel, char kind, dev_t state_dev)
{
  g_autofree char *abs = g_build_filename (t->tree, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (abs);
  struct stat st;
  while (stat (dir, &st) != 0 && strcmp (dir, t->tree) != 0)
    {
      char *up = g_path_get_dirname (dir);
      g_free (dir);
      dir = up;
    }
  if (st.st_dev == state_dev)
    return g_strdup_printf ("s:%c%u", kind, i);
  g_autofree char *dir_rel = g_strdup (dir + MIN (strlen (dir), strlen (t->tree) + 1));
  return g_strdup_printf ("t:%s%s.backport-%c%u-%d", dir_rel, *dir_rel ? "/" : "", kind, i,
                          (int) getpid ());
}

static guint
new_mode (const BpTxOp *op, const struct stat *old)
{
  if (old == NULL || !S_ISREG (old->st_mode))
    return op->mode ? op->mode & 0777 : 0644;
  /* An existing file keeps its permissions; only the executable bits
   * follow the patch's mode. */
  guint mode = old->st_mode & 07777;
  if (op->mode)
    mode = (op->mode & 0111) ? (mode | ((mode & 0444) >> 2)) : (mode & ~0111u);
  return mode;
}

static gboolean
stage_op (BpTransaction *t, guint i, BpTxOp *op, dev_t state_dev, gboolean batch, GError **error)
{
  g_autofree char *path = g_build_filename (t->tree, op->rel, NULL);
  struct stat old;
  gboolean have = lstat (path, &old) == 0;
  if (!have && errno != ENOENT)
    return bp_tx_fail (error, errno, "cannot write", path);
  if (have && !S_ISREG (old.st_mode) && !S_ISLNK (old.st_mode))
    {
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_UNSAFE,
                   "cannot replace %s: it is not a file", path);
      return FALSE;
    }
  if (have)
    {
      op->backup = stage_name (t, i, op->rel, 'o', state_dev);
      g_autofree char *backup = bp_tx_resolve (t, op->backup);
      if (!keep_original (path, &old, backup, batch, error))
        return FALSE;
    }
  if (op->content == NULL)
    return TRUE;
  if (!plan_dirs (t, op->rel, error))
    return FALSE;
  op->tmp = stage_name (t, i, op->rel, 't', state_dev);
  g_autofree char *tmp = bp_tx_resolve (t, op->tmp);
  struct stat st;
  gboolean ok;
  if (op->mode == BP_TRANSACTION_SYMLINK)
    ok = create_symlink (tmp, op->content, have ? &old : NULL, &st, error);
  else
    {
      gsize len;
      const char *data = g_bytes_get_data (op->content, &len);
      ok = create_file (tmp, data, len, have ? &old : NULL, new_mode (op, have ? &old : NULL),
                        batch && op->tmp[0] == 's', &st, error);
    }
  op->new_dev = st.st_dev;
  op->new_ino = st.st_ino;
  return ok;
}

static gboolean
stage_guard (BpTransaction *t, guint i, BpTxGuard *guard, gboolean batch, GError **error)
{
  g_autofree char *path = bp_tx_resolve (t, guard->spec);
  struct stat st;
  if (lstat (path, &st) != 0)
    return errno == ENOENT ? TRUE : bp_tx_fail (error, errno, "cannot read", path);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return bp_tx_fail (error, errno, "cannot read", path);
  guard->backup = g_strdup_printf ("s:g%u", i);
  g_autofree char *backup = bp_tx_resolve (t, guard->backup);
  struct stat copy_st;
  return create_file (backup, data, len, &st, st.st_mode & 07777, batch, &copy_st, error);
}

static gboolean
stage_all (BpTransaction *t, GError **error)
{
  if (!open_state (t, error))
    return FALSE;
  struct stat st;
  if (fstat (t->state_fd, &st) != 0)
    return bp_tx_fail (error, errno, "cannot stat", t->place.state);
  gboolean batch = t->ops->len + t->guards->len > SYNC_BATCH;
  for (guint i = 0; i < t->ops->len; i++)
    if (!stage_op (t, i, t->ops->pdata[i], st.st_dev, batch, error))
      return FALSE;
  for (guint i = 0; i < t->guards->len; i++)
    if (!stage_guard (t, i, t->guards->pdata[i], batch, error))
      return FALSE;
  if (batch && syncfs (t->state_fd) != 0)
    return bp_tx_fail (error, errno, "cannot write", t->place.state);
  return TRUE;
}

/* ---- renames ------------------------------------------------------------ */

/* Count a step; the test hook may kill the process or fail here. */
static gboolean
test_point (BpTransaction *t, GError **error)
{
  t->steps++;
  if (t->test_kind == 'k' && t->steps == t->test_at)
    {
      fflush (NULL);
      raise (SIGKILL);
    }
  if (t->test_kind == 'f' && t->steps == t->test_at)
    {
      g_set_error (error, BP_TRANSACTION_ERROR, BP_TRANSACTION_ERROR_IO,
                   "cannot write %s: failure injected at step %u (BACKPORT_TEST_TRANSACTION)",
                   t->tree, t->steps);
      return FALSE;
    }
  return TRUE;
}

static gboolean
rename_all (BpTransaction *t, GError **error)
{
  for (guint i = 0; i < t->dirs->len; i++)
    {
      g_autofree char *dir = g_build_filename (t->tree, t->dirs->pdata[i], NULL);
      if (g_mkdir (dir, 0755) != 0 && errno != EEXIST)
        return bp_tx_fail (error, errno, "cannot create", dir);
    }
  for (guint i = 0; i < t->ops->len; i++)
    {
      BpTxOp *op = t->ops->pdata[i];
      g_autofree char *path = g_build_filename (t->tree, op->rel, NULL);
      g_autofree char *tmp = op->tmp ? bp_tx_resolve (t, op->tmp) : NULL;
      int r = tmp ? g_rename (tmp, path) : op->backup ? g_unlink (path) : 0;
      if (r != 0)
        return bp_tx_fail (error, errno, "cannot replace", path);
      if (!test_point (t, error))
        return FALSE;
      bp_test_pause ("tx-rename");
    }
  return TRUE;
}

/* The directories whose entries the renames changed. */
GPtrArray *
bp_tx_touched_dirs (BpTransaction *t)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < t->ops->len + t->dirs->len; i++)
    {
      const char *rel = i < t->ops->len ? ((BpTxOp *) t->ops->pdata[i])->rel
                                        : t->dirs->pdata[i - t->ops->len];
      g_autofree char *abs = g_build_filename (t->tree, rel, NULL);
      char *dir = g_path_get_dirname (abs);
      if (g_hash_table_add (seen, dir))
        g_ptr_array_add (dirs, g_strdup (dir));
    }
  for (guint i = 0; i < t->guards->len; i++)
    {
      g_autofree char *path = bp_tx_resolve (t, ((BpTxGuard *) t->guards->pdata[i])->spec);
      char *dir = path ? g_path_get_dirname (path) : NULL;
      if (dir && g_hash_table_add (seen, dir))
        g_ptr_array_add (dirs, g_strdup (dir));
    }
  return dirs;
}

static void
hold_signals (BpTransaction *t)
{
  if (t->signals_held)
    return;
  sigset_t block;
  sigemptyset (&block);
  sigaddset (&block, SIGINT);
  sigaddset (&block, SIGTERM);
  sigaddset (&block, SIGHUP);
  sigaddset (&block, SIGQUIT);
  pthread_sigmask (SIG_BLOCK, &block, &t->saved_mask);
  t->signals_held = TRUE;
}

static void
release_signals (BpTransaction *t)
{
  if (t->signals_held)
    pthread_sigmask (SIG_SETMASK, &t->saved_mask, NULL);
  t->signals_held = FALSE;
}

gboolean
bp_transaction_commit (BpTransaction *t, GError **error)
{
  g_return_val_if_fail (t->phase == BP_TX_OPEN, FALSE);
  /* An interrupt now would only be undone; after this it waits. */
  hold_signals (t);
  if (!stage_all (t, error))
    {
      bp_transaction_abort (t);
      return FALSE;
    }
  bp_test_pause ("tx-staged");
  if (!bp_tx_journal_write (t, error))
    {
      bp_transaction_abort (t);
      return FALSE;
    }
  bp_test_pause ("tx-journal");
  t->phase = BP_TX_RENAMING;
  if (!rename_all (t, error))
    {
      bp_transaction_abort (t);
      return FALSE;
    }
  g_autoptr(GPtrArray) dirs = bp_tx_touched_dirs (t);
  bp_tx_sync_dirs (dirs);
  bp_test_pause ("tx-renamed");
  return TRUE;
}

void
bp_transaction_checkpoint (BpTransaction *t)
{
  bp_test_pause ("tx-checkpoint");
  test_point (t, NULL);
}

/* The guarded files as the caller left them are durable before "done". */
static void
sync_guards (BpTransaction *t)
{
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < t->guards->len; i++)
    {
      BpTxGuard *guard = t->guards->pdata[i];
      g_autofree char *path = bp_tx_resolve (t, guard->spec);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          fsync (fd);
          close (fd);
        }
      char *dir = g_path_get_dirname (path);
      if (g_ptr_array_find_with_equal_func (dirs, dir, g_str_equal, NULL))
        g_free (dir);
      else
        g_ptr_array_add (dirs, dir);
    }
  bp_tx_sync_dirs (dirs);
}

gboolean
bp_transaction_finish (BpTransaction *t, GError **error)
{
  if (t->phase == BP_TX_RENAMING)
    {
      if (!test_point (t, error))
        {
          bp_transaction_abort (t);
          return FALSE;
        }
      sync_guards (t);
      g_autofree char *journal = g_build_filename (t->place.state, "journal", NULL);
      g_autofree char *done = g_build_filename (t->place.state, "done", NULL);
      if (g_rename (journal, done) != 0)
        {
          bp_tx_fail (error, errno, "cannot write", journal);
          bp_transaction_abort (t);
          return FALSE;
        }
      bp_test_pause ("tx-done");
      test_point (t, NULL);
      if (t->test_kind == 's')
        g_printerr ("backport: test: %u transaction steps\n", t->steps);
    }
  bp_tx_cleanup (t);
  t->phase = BP_TX_OVER;
  release_signals (t);
  return TRUE;
}

void
bp_transaction_abort (BpTransaction *t)
{
  if (t->phase == BP_TX_RENAMING)
    {
      bp_tx_undo (t);
      g_autoptr(GPtrArray) dirs = bp_tx_touched_dirs (t);
      bp_tx_sync_dirs (dirs);
    }
  if (t->phase != BP_TX_OPEN)
    bp_tx_cleanup (t);
  else if (t->made_parent)
    g_rmdir (t->place.parent_to_make);
  t->phase = BP_TX_OVER;
  release_signals (t);
}
