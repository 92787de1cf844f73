/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run predicate: any command, with `git bisect run`'s exit conventions,
 * run in a checkout of its own.  The checkout lives in a temporary directory
 * outside the user's tree, is written with git_checkout_tree() (target
 * directory) through a second, bare handle on the repository whose index
 * lives in memory, and is updated per step against the tree checked out
 * before.  The bare handle matters twice: libgit2 1.5 resolves every path
 * of a non-bare work tree with realpath() for attribute lookups (hundreds of
 * thousands of readlink calls on a 10,000-file tree), and the user's work
 * tree is never even read.  The price: .gitattributes filters (eol, ident)
 * are not applied, as in a bare checkout.  The user's work tree and index are
 * never touched.  Cached by tree id: two commits with the same tree get the
 * same answer without running the command again. */
#include "engines/bisect/bisect-predicate.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <git2/sys/repository.h>

typedef struct {
  BpBisectPredicate parent;
  char *command;
  char *dir;            /* the temporary checkout */
  git_repository *own;  /* our bare handle on the same objects, with an
                         * in-memory index */
  git_tree *checked_out; /* the tree in dir, the baseline for the next update */
} RunPredicate;

static gboolean
run_key (BpBisectPredicate *self, git_commit *commit, git_oid *key, GError **error)
{
  *key = *git_commit_tree_id (commit);
  return TRUE;
}

static gboolean
checkout (RunPredicate *rp, git_commit *commit, GError **error)
{
  git_tree *tree = NULL;
  if (git_tree_lookup (&tree, rp->own, git_commit_tree_id (commit)) < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "reading a tree: %s",
                   git_error_last () ? git_error_last ()->message : "libgit2 error");
      return FALSE;
    }
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX
                           | GIT_CHECKOUT_NO_REFRESH | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
  opts.target_directory = rp->dir;
  git_index *empty = NULL;
  if (rp->checked_out)
    opts.baseline = rp->checked_out;
  else
    {
      if (git_index_new (&empty) < 0)
        {
          git_tree_free (tree);
          g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "creating an index");
          return FALSE;
        }
      opts.baseline_index = empty;
    }
  int rc = git_checkout_tree (rp->own, (git_object *) tree, &opts);
  git_index_free (empty);
  if (rc < 0)
    {
      git_tree_free (tree);
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "checking out into %s: %s",
                   rp->dir, git_error_last () ? git_error_last ()->message : "libgit2 error");
      return FALSE;
    }
  if (rp->checked_out)
    git_tree_free (rp->checked_out);
  rp->checked_out = tree;
  return TRUE;
}

static gboolean
run_evaluate (BpBisectPredicate *self, git_commit *commit, const git_oid *key,
              BpBisectVerdict *verdict, char **evidence, GCancellable *cancellable,
              GError **error)
{
  RunPredicate *rp = (RunPredicate *) self;
  if (!checkout (rp, commit, error))
    return FALSE;

  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, git_commit_id (commit));
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_cwd (launcher, rp->dir);
  /* the command's output is progress, not our data: send it to stderr */
  int err_fd = dup (STDERR_FILENO);
  if (err_fd >= 0)
    g_subprocess_launcher_take_stdout_fd (launcher, err_fd);
  g_subprocess_launcher_setenv (launcher, "BACKPORT_BISECT_COMMIT", hex, TRUE);
  g_subprocess_launcher_setenv (launcher, "BACKPORT_BISECT_REPO",
                                git_repository_path (self->repo), TRUE);
  g_autoptr(GError) local = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawn (launcher, &local, "/bin/sh", "-c",
                                                             rp->command, NULL);
  if (proc == NULL)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ABORT,
                   "cannot run '%s': %s", rp->command, local->message);
      return FALSE;
    }
  if (!g_subprocess_wait (proc, cancellable, error))
    return FALSE;
  int code;
  if (g_subprocess_get_if_exited (proc))
    code = g_subprocess_get_exit_status (proc);
  else
    code = 128 + g_subprocess_get_term_sig (proc);
  if (code >= 128)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ABORT,
                   "bisect run failed: exit code %d from '%s' is >= 128 (abort) at %.12s",
                   code, rp->command, hex);
      return FALSE;
    }
  if (code == 0)
    *verdict = BP_VERDICT_GOOD;
  else if (code == 125)
    *verdict = BP_VERDICT_SKIP;
  else
    *verdict = BP_VERDICT_BAD;
  *evidence = g_strdup_printf ("'%s' exited %d", rp->command, code);
  return TRUE;
}

static void
run_finalize (BpBisectPredicate *self)
{
  RunPredicate *rp = (RunPredicate *) self;
  if (rp->checked_out)
    git_tree_free (rp->checked_out);
  if (rp->own)
    git_repository_free (rp->own);
  if (rp->dir)
    {
      /* rm -rf: the command may have created anything in its checkout */
      const char *argv[] = { "rm", "-rf", "--", rp->dir, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                    NULL, NULL);
    }
  g_free (rp->dir);
  g_free (rp->command);
}

BpBisectPredicate *
bp_bisect_predicate_run_new (git_repository *repo, const char *command, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("backport-bisect-XXXXXX", error);
  if (dir == NULL)
    return NULL;
  git_repository *own = NULL;
  git_index *index = NULL;
  if (git_repository_open_bare (&own, git_repository_path (repo)) < 0
      || git_index_new (&index) < 0
      || git_repository_set_index (own, index) < 0)
    {
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "preparing a checkout in %s: %s",
                   dir, git_error_last () ? git_error_last ()->message : "libgit2 error");
      git_index_free (index);
      git_repository_free (own);
      g_rmdir (dir);
      return NULL;
    }
  git_index_free (index);
  RunPredicate *rp = (RunPredicate *)
    bp_bisect_predicate_alloc (sizeof (RunPredicate), "run", repo);
  rp->command = g_strdup (command);
  rp->dir = g_steal_pointer (&dir);
  rp->own = own;
  rp->parent.key = run_key;
  rp->parent.evaluate = run_evaluate;
  rp->parent.finalize = run_finalize;
  return &rp->parent;
}

const char *
bp_bisect_predicate_run_dir (BpBisectPredicate *self)
{
  return ((RunPredicate *) self)->dir;
}
