/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The staged-write transaction, moved out of apply.c: every write goes to a
 * temporary file beside its target, then all are renamed into place (so
 * hard-linked copies are never modified through the link); a failure puts
 * back what was there. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "base/transaction.h"

G_DEFINE_QUARK (bp-transaction-error-quark, bp_transaction_error)

typedef struct {
  char *rel;           /* path relative to the tree */
  GBytes *content;     /* NULL: delete */
  guint mode;          /* see bp_transaction_write */
  char *tmp;           /* staged temporary file */
  GBytes *original;    /* what was there (NULL: nothing), for rollback */
  guint original_mode;
  gboolean done;
} WriteOp;

typedef struct {
  char *path;
  GBytes *original;    /* NULL: absent */
} Guard;

struct _BpTransaction {
  char *tree;
  GPtrArray *ops;      /* WriteOp* */
  GPtrArray *guards;   /* Guard* */
  GPtrArray *created;  /* directories made, in order */
  gboolean committed, finished, signals_held;
  sigset_t saved_mask;
};

static void
write_op_free (WriteOp *op)
{
  g_free (op->rel);
  g_clear_pointer (&op->content, g_bytes_unref);
  if (op->tmp)
    {
      g_unlink (op->tmp);
      g_free (op->tmp);
    }
  g_clear_pointer (&op->original, g_bytes_unref);
  g_free (op);
}

static void
guard_free (Guard *g)
{
  g_free (g->path);
  g_clear_pointer (&g->original, g_bytes_unref);
  g_free (g);
}

static gboolean
io_error (GError **error, int e, const char *what, const char *path)
{
  g_set_error (error, BP_TRANSACTION_ERROR,
               e == ENOSPC || e == EDQUOT ? BP_TRANSACTION_ERROR_NO_SPACE : BP_TRANSACTION_ERROR_IO,
               "%s %s: %s", what, path, g_strerror (e));
  return FALSE;
}

BpTransaction *
bp_transaction_begin (const char *tree, GError **error)
{
  if (!g_file_test (tree, G_FILE_TEST_IS_DIR))
    {
      io_error (error, ENOTDIR, "cannot write in", tree);
      return NULL;
    }
  BpTransaction *t = g_new0 (BpTransaction, 1);
  t->tree = g_strdup (tree);
  t->ops = g_ptr_array_new_with_free_func ((GDestroyNotify) write_op_free);
  t->guards = g_ptr_array_new_with_free_func ((GDestroyNotify) guard_free);
  t->created = g_ptr_array_new_with_free_func (g_free);
  return t;
}

void
bp_transaction_free (BpTransaction *t)
{
  if (t == NULL)
    return;
  if (t->committed && !t->finished)
    bp_transaction_abort (t);
  g_free (t->tree);
  g_ptr_array_unref (t->ops);
  g_ptr_array_unref (t->guards);
  g_ptr_array_unref (t->created);
  g_free (t);
}

void
bp_transaction_write (BpTransaction *t, const char *rel, GBytes *content, guint mode)
{
  for (guint i = 0; i < t->ops->len; i++)
    {
      WriteOp *op = t->ops->pdata[i];
      if (strcmp (op->rel, rel) == 0)
        {
          g_clear_pointer (&op->content, g_bytes_unref);
          op->content = content ? g_bytes_ref (content) : NULL;
          if (mode)
            op->mode = mode;
          return;
        }
    }
  WriteOp *op = g_new0 (WriteOp, 1);
  op->rel = g_strdup (rel);
  op->content = content ? g_bytes_ref (content) : NULL;
  op->mode = mode;
  g_ptr_array_add (t->ops, op);
}

void
bp_transaction_delete (BpTransaction *t, const char *rel)
{
  bp_transaction_write (t, rel, NULL, 0);
}

gboolean
bp_transaction_guard (BpTransaction *t, const char *path, GError **error)
{
  Guard *g = g_new0 (Guard, 1);
  g->path = g_strdup (path);
  g_autofree char *data = NULL;
  gsize len = 0;
  if (g_file_get_contents (path, &data, &len, NULL))
    g->original = g_bytes_new_take (g_steal_pointer (&data), len);
  g_ptr_array_add (t->guards, g);
  return TRUE;
}

static gboolean
mkdir_parents_tracked (BpTransaction *t, const char *rel, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (rel);
  if (strcmp (dir, ".") == 0)
    return TRUE;
  g_auto(GStrv) parts = g_strsplit (dir, "/", -1);
  g_autofree char *cur = g_strdup (t->tree);
  for (guint i = 0; parts[i]; i++)
    {
      g_autofree char *next = g_build_filename (cur, parts[i], NULL);
      if (!g_file_test (next, G_FILE_TEST_IS_DIR))
        {
          if (g_mkdir (next, 0755) != 0)
            return io_error (error, errno, "cannot create", next);
          g_ptr_array_add (t->created, g_strdup (next));
        }
      g_free (cur);
      cur = g_steal_pointer (&next);
    }
  return TRUE;
}

static void
rollback (BpTransaction *t)
{
  for (guint i = t->ops->len; i-- > 0;)
    {
      WriteOp *op = t->ops->pdata[i];
      if (!op->done)
        continue;
      g_autofree char *path = g_build_filename (t->tree, op->rel, NULL);
      if (op->original)
        {
          gsize len;
          const char *data = g_bytes_get_data (op->original, &len);
          g_file_set_contents (path, data, len, NULL);
          g_chmod (path, op->original_mode);
        }
      else
        g_unlink (path);
      op->done = FALSE;
    }
  for (guint i = t->created->len; i-- > 0;)
    g_rmdir (t->created->pdata[i]);
  g_ptr_array_set_size (t->created, 0);
}

static gboolean
write_all (int fd, GBytes *content, const char *path, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (content, &len);
  gsize off = 0;
  while (off < len)
    {
      ssize_t n = write (fd, data + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return io_error (error, n < 0 ? errno : ENOSPC, "cannot write", path);
      off += n;
    }
  return TRUE;
}

/* Stage one write as a temporary file beside its target. */
static gboolean
stage (BpTransaction *t, WriteOp *op, GError **error)
{
  g_autofree char *path = g_build_filename (t->tree, op->rel, NULL);
  struct stat st;
  if (lstat (path, &st) == 0 && S_ISREG (st.st_mode))
    {
      g_autofree char *data = NULL;
      gsize len = 0;
      if (!g_file_get_contents (path, &data, &len, error))
        return FALSE;
      op->original = g_bytes_new_take (g_steal_pointer (&data), len);
      op->original_mode = st.st_mode & 07777;
    }
  if (op->content == NULL)
    return TRUE;
  if (!mkdir_parents_tracked (t, op->rel, error))
    return FALSE;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmpl = g_build_filename (dir, ".backport-XXXXXX", NULL);
  int fd = g_mkstemp_full (tmpl, O_RDWR, 0600);
  if (fd < 0)
    return io_error (error, errno, "cannot write in", dir);
  op->tmp = g_strdup (tmpl);
  if (!write_all (fd, op->content, op->tmp, error))
    {
      close (fd);
      return FALSE;
    }
  /* An existing file keeps its permissions; only the executable bits
   * follow the patch's mode. */
  guint mode = op->mode ? op->mode : 0644;
  if (op->original)
    {
      mode = op->original_mode;
      if (op->mode)
        mode = (op->mode & 0111) ? (mode | ((mode & 0444) >> 2)) : (mode & ~0111u);
    }
  fchmod (fd, mode);
  close (fd);
  return TRUE;
}

static void
hold_signals (BpTransaction *t)
{
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
  hold_signals (t);
  t->committed = TRUE;
  for (guint i = 0; i < t->ops->len; i++)
    if (!stage (t, t->ops->pdata[i], error))
      {
        bp_transaction_abort (t);
        return FALSE;
      }
  for (guint i = 0; i < t->ops->len; i++)
    {
      WriteOp *op = t->ops->pdata[i];
      g_autofree char *path = g_build_filename (t->tree, op->rel, NULL);
      int r = op->content ? g_rename (op->tmp, path) : (op->original ? g_unlink (path) : 0);
      if (r != 0)
        {
          io_error (error, errno, "cannot replace", path);
          bp_transaction_abort (t);
          return FALSE;
        }
      g_clear_pointer (&op->tmp, g_free);
      op->done = TRUE;
    }
  return TRUE;
}

void
bp_transaction_checkpoint (BpTransaction *t)
{
}

gboolean
bp_transaction_finish (BpTransaction *t, GError **error)
{
  t->finished = TRUE;
  release_signals (t);
  return TRUE;
}

void
bp_transaction_abort (BpTransaction *t)
{
  rollback (t);
  for (guint i = 0; i < t->guards->len; i++)
    {
      Guard *g = t->guards->pdata[i];
      if (g->original)
        {
          gsize len;
          const char *data = g_bytes_get_data (g->original, &len);
          g_file_set_contents (g->path, data, len, NULL);
        }
      else
        g_unlink (g->path);
    }
  t->finished = TRUE;
  release_signals (t);
}
