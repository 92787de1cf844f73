/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run predicate: any command, with `git bisect run`'s exit conventions,
 * run in a scratch tree of its own.  The scratch tree lives in a temporary
 * directory outside the user's tree and is one directory for the whole
 * bisection: each step writes only the files that differ between the tree
 * checked out before and the next (sources/tree-sync.h), as git's checkout
 * does, with no index and nothing written into the repository.  Submodules
 * stay empty directories unless asked for, then come from the repository's
 * own modules/.  With path globs only the matching files are written, and
 * the answer is cached by those files alone; otherwise by the commit's tree
 * id: commits with the same tree (or the same matching files) get the same
 * answer without running the command again.
 *
 * The command may leave files behind (build outputs): they stay between
 * steps unless the next tree puts something where they are, as with git.  It
 * should not change tracked files: those are rewritten only when the tree
 * changes them. */
#include "base/fs.h"
#include "base/subprocess.h"
#include "engines/bisect/bisect-predicate.h"
#include "sources/tree-sync.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

typedef struct {
  BpBisectPredicate parent;
  char *command;
  char *dir;            /* the scratch tree */
  BpTreeSync *sync;
} RunPredicate;

static gboolean
run_key (BpBisectPredicate *self, git_commit *commit, git_oid *key, GError **error)
{
  RunPredicate *rp = (RunPredicate *) self;
  g_autoptr(GError) local = NULL;
  if (bp_tree_sync_key (rp->sync, git_commit_tree_id (commit), key, &local))
    return TRUE;
  g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "%s", local->message);
  return FALSE;
}

static gboolean
run_command (RunPredicate *rp, const char *hex, int *code, GCancellable *cancellable,
             GError **error)
{
  g_autofree char *commit = g_strdup_printf ("BACKPORT_BISECT_COMMIT=%s", hex);
  g_autofree char *repo = g_strdup_printf ("BACKPORT_BISECT_REPO=%s", git_repository_path (rp->parent.repo));
  const char *env[] = { commit, repo, NULL };
  /* the command's output is progress, not our data: it goes to stderr; its
   * process group dies with a cancel, as git's would with ^C */
  BpRunOptions o = { .cwd = rp->dir, .env = env, .to_stderr = TRUE };
  const char *argv[] = { "/bin/sh", "-c", rp->command, NULL };
  g_autoptr(GError) local = NULL;
  if (bp_run (argv, &o, NULL, code, cancellable, &local))
    return TRUE;
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_steal_pointer (&local));
  else
    g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_ABORT, "cannot run '%s': %s", rp->command,
                 local->message);
  return FALSE;
}

static gboolean
run_evaluate (BpBisectPredicate *self, git_commit *commit, const git_oid *key,
              BpBisectVerdict *verdict, char **evidence, GCancellable *cancellable,
              GError **error)
{
  RunPredicate *rp = (RunPredicate *) self;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr (hex, sizeof hex, git_commit_id (commit));
  BpTreeSyncStats stats;
  g_autoptr(GError) local = NULL;
  if (!bp_tree_sync_update (rp->sync, git_commit_tree_id (commit), &stats, cancellable, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_set_error (error, BP_BISECT_ERROR, BP_BISECT_ERROR_GIT, "checking out %.12s into %s: %s",
                   hex, rp->dir, local->message);
      return FALSE;
    }
  int code = 0;
  if (!run_command (rp, hex, &code, cancellable, error))
    return FALSE;
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
  if (stats.submodules_missing > 0)
    *evidence = g_strdup_printf ("'%s' exited %d (%u submodule%s not in %s: left empty)",
                                 rp->command, code, stats.submodules_missing,
                                 stats.submodules_missing == 1 ? "" : "s",
                                 bp_tree_sync_modules_dir (rp->sync));
  else
    *evidence = g_strdup_printf ("'%s' exited %d", rp->command, code);
  return TRUE;
}

static void
run_finalize (BpBisectPredicate *self)
{
  RunPredicate *rp = (RunPredicate *) self;
  g_clear_pointer (&rp->sync, bp_tree_sync_free);
  if (rp->dir)
    bp_fs_rm_rf (rp->dir, NULL);   /* whatever the command made in it too */
  g_free (rp->dir);
  g_free (rp->command);
}

/* The progress line that says where commands run and what they get. */
static char *
describe (RunPredicate *rp, const BpRunPredicateOptions *o)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "run: in scratch tree %s (only what changes between steps is written)",
                          rp->dir);
  if (o && o->paths && o->paths[0])
    {
      g_autofree char *globs = g_strjoinv ("', '", (char **) o->paths);
      g_string_append_printf (s, "; only paths matching '%s'", globs);
    }
  if (o && o->submodules)
    g_string_append_printf (s, "; submodules checked out from %s",
                            bp_tree_sync_modules_dir (rp->sync));
  else
    g_string_append (s, "; submodules not checked out (empty directories)");
  return g_string_free (s, FALSE);
}

BpBisectPredicate *
bp_bisect_predicate_run_new_full (git_repository *repo, const char *command,
                                  const BpRunPredicateOptions *options, GError **error)
{
  BpTreeSyncOptions so = { options ? options->paths : NULL, options && options->submodules, NULL };
  g_autofree char *dir = g_dir_make_tmp ("backport-bisect-XXXXXX", error);
  if (dir == NULL)
    return NULL;
  g_autoptr(GError) local = NULL;
  BpTreeSync *sync = bp_tree_sync_new (repo, dir, &so, &local);
  if (sync == NULL)
    {
      g_rmdir (dir);
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, local->message);
      return NULL;
    }
  RunPredicate *rp = (RunPredicate *)
    bp_bisect_predicate_alloc (sizeof (RunPredicate), "run", repo);
  rp->command = g_strdup (command);
  rp->dir = g_steal_pointer (&dir);
  rp->sync = sync;
  rp->parent.key = run_key;
  rp->parent.evaluate = run_evaluate;
  rp->parent.finalize = run_finalize;
  rp->parent.note = describe (rp, options);
  return &rp->parent;
}

BpBisectPredicate *
bp_bisect_predicate_run_new (git_repository *repo, const char *command, GError **error)
{
  return bp_bisect_predicate_run_new_full (repo, command, NULL, error);
}

const char *
bp_bisect_predicate_run_dir (BpBisectPredicate *self)
{
  return ((RunPredicate *) self)->dir;
}
