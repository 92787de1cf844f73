/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/bp-git.h"

#include <string.h>

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

static void (*initializer) (void);

void
bp_git_set_initializer (void (*init) (void))
{
  initializer = init;
}

void
bp_git_require (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      if (initializer)
        initializer ();
      else
        git_libgit2_init ();   /* a program without main.c: a unit test */
      g_once_init_leave (&once, 1);
    }
}

gboolean
bp_git_error (GError **error, GQuark domain, int code, const char *what)
{
  const git_error *e = git_error_last ();
  g_set_error (error, domain, code, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
  return FALSE;
}

guint
bp_git_oid_hash (gconstpointer oid)
{
  /* The id is already a hash: its first bytes are as good as any. */
  guint h;
  memcpy (&h, ((const git_oid *) oid)->id, sizeof h);
  return h;
}

gboolean
bp_git_oid_equal (gconstpointer a, gconstpointer b)
{
  return git_oid_equal (a, b);
}

gpointer
bp_git_oid_dup (gconstpointer oid)
{
  return g_memdup2 (oid, sizeof (git_oid));
}

gboolean
bp_git_objects_in_memory (git_repository *repo, GQuark domain, int code, GError **error)
{
  git_odb *odb = NULL;
  git_odb_backend *mempack = NULL;
  if (git_repository_odb (&odb, repo) != 0)
    return bp_git_error (error, domain, code, "cannot open the object database");
  if (git_mempack_new (&mempack) != 0)
    {
      git_odb_free (odb);
      return bp_git_error (error, domain, code, "cannot make an in-memory object store");
    }
  /* the highest priority: libgit2 writes to the first writable backend */
  if (git_odb_add_backend (odb, mempack, 1000) != 0)
    {
      mempack->free (mempack);
      git_odb_free (odb);
      return bp_git_error (error, domain, code, "cannot add an in-memory object store");
    }
  git_odb_free (odb);
  return TRUE;
}
