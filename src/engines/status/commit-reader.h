/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading many commit objects fast, read-only: the raw text (header and
 * message) of each.
 *
 * A scan of a whole history reads every commit once, and inflating them is
 * most of its time.  So commits are read straight from the repository's
 * packs: each id is looked up in the pack indexes, the lookups are sorted
 * by pack offset so the pack is read front to back, deltas against other
 * entries of the same pack are resolved here, and large batches are split
 * between two threads (zlib is the cost, and libgit2 serialises pack access
 * behind one global lock).  Pages already read are given back to the kernel
 * as the scan moves on, so a 400 MB pack does not become 400 MB of memory.
 * Anything else (loose objects, alternates, base-by-id deltas, an entry that
 * does not parse) is read through libgit2's object database, so the answer
 * is always libgit2's. */
#pragma once

#include <glib.h>
#include <git2.h>

typedef struct BpCommitReader BpCommitReader;

/* Read commits of ODB, from the packs of OBJECT_DIRS (NULL-terminated: the
 * repository's objects directory and its alternates, bp_object_dirs()). */
BpCommitReader *bp_commit_reader_new (git_odb *odb, const char *const *object_dirs);

/* OBJECTS_DIR and the alternates it names (objects/info/alternates, and
 * theirs), canonical, first the repository's own. */
GStrv bp_object_dirs (const char *objects_dir);
void bp_commit_reader_free (BpCommitReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpCommitReader, bp_commit_reader_free)

/* Called once for each commit read: INDEX into the ids given, DATA the raw
 * commit (valid during the call only).  It may be called from two threads
 * at once for different indexes: touch only what belongs to INDEX.  FALSE
 * stops the read (the commit does not parse). */
typedef gboolean (*BpCommitFunc) (guint index, const char *data, gsize len, gpointer user_data);

typedef enum {
  BP_COMMIT_READ_OK,
  BP_COMMIT_READ_MISSING,     /* an id is in no pack and not in the object database */
  BP_COMMIT_READ_NOT_COMMIT,  /* an id names another kind of object */
  BP_COMMIT_READ_REFUSED,     /* FUNC returned FALSE */
} BpCommitReadResult;

/* Read the N commits OIDS, calling FUNC for each.  On failure *FAILED is the
 * index of the commit that failed. */
BpCommitReadResult bp_commit_reader_read (BpCommitReader *reader, const git_oid *oids, guint n,
                                          BpCommitFunc func, gpointer user_data, guint *failed);

/* One object of any kind (a tree, say): its content (NUL-terminated, to
 * g_free) and type, from the packs or else libgit2; NULL when missing.
 * Pages read are given back every hundred objects or so. */
guint8 *bp_commit_reader_object (BpCommitReader *reader, const git_oid *oid, git_object_t *type, gsize *len);

/* Give back the pages of every pack and index mapped in this process (by
 * this reader, and by libgit2 for the same directories): they are page cache, and
 * touching them again only maps them again.  Call between the steps of a
 * scan, never while another thread reads objects. */
void bp_commit_reader_release (BpCommitReader *reader);

/* TRUE when OID is in a pack or in the object database. */
gboolean bp_commit_reader_has (BpCommitReader *reader, const git_oid *oid);
