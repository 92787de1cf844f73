/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A libgit2 repository whose objects come through the commit reader: the
 * scan's diffs, patch-ids, tree and blob lookups then read the packs the
 * way the reader does (its pages given back as it goes) instead of through
 * libgit2's own mappings, whose every touched page of a 400 MB pack and
 * its index stays in the process.  Objects the reader cannot give (loose,
 * alternates) come from the repository's own object database.  Read-only:
 * the backend has no write callback, so nothing can be written through it. */
#include <string.h>

#include <git2/sys/odb_backend.h>

#include "base/history-git.h"
#include "engines/status/status-scan.h"

typedef struct {
  git_odb_backend parent;
  BpCommitReader *reader;
} ReaderBackend;

static int
backend_read (void **out, size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *oid)
{
  ReaderBackend *rb = (ReaderBackend *) b;
  gsize size = 0;
  g_autofree guint8 *data = bp_commit_reader_object (rb->reader, oid, type, &size);
  if (data == NULL)
    return GIT_ENOTFOUND;
  *out = git_odb_backend_data_alloc (b, size + 1);
  if (*out == NULL)
    return -1;
  memcpy (*out, data, size + 1);
  *len = size;
  return 0;
}

static int
backend_read_header (size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *oid)
{
  ReaderBackend *rb = (ReaderBackend *) b;
  gsize size = 0;
  g_autofree guint8 *data = bp_commit_reader_object (rb->reader, oid, type, &size);
  if (data == NULL)
    return GIT_ENOTFOUND;
  *len = size;
  return 0;
}

static int
backend_exists (git_odb_backend *b, const git_oid *oid)
{
  ReaderBackend *rb = (ReaderBackend *) b;
  return bp_commit_reader_has (rb->reader, oid);
}

static void
backend_free (git_odb_backend *b)
{
  g_free (b);
}

gboolean
bp_status_open_objects (BpScan *s, GError **error)
{
  g_autoptr(git_odb) odb = NULL;
  if (git_odb_new (&odb) < 0)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot make an object database", s->path);
  ReaderBackend *rb = g_new0 (ReaderBackend, 1);
  rb->parent.version = GIT_ODB_BACKEND_VERSION;
  rb->parent.read = backend_read;
  rb->parent.read_header = backend_read_header;
  rb->parent.exists = backend_exists;
  rb->parent.free = backend_free;
  rb->reader = s->reader;
  if (git_odb_add_backend (odb, &rb->parent, 1) < 0)
    {
      g_free (rb);
      return bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot make an object database", s->path);
    }
  if (git_repository_wrap_odb (&s->objects, odb) < 0)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot open the object store", s->path);
  return TRUE;
}
