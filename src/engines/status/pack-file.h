/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One pack of a repository, read-only: its index (find an object's offset)
 * and its entries (an object inflated, offset deltas resolved).  Formats
 * from git's Documentation/gitformat-pack.txt:
 *   index v2: "\377tOc" 2, fanout[256], ids[n], crc[n], offset32[n] (high
 *             bit: index into offset64), offset64[], two checksums;
 *   entry:    type and size in a varint (type in bits 4-6 of the first
 *             byte), then the zlib stream; an OFS_DELTA entry has the
 *             distance back to its base first.
 * Every offset and length is checked against the file; an entry that does
 * not parse, or a delta against a base named by id, is "not here" and the
 * caller reads it another way. */
#pragma once

#include <glib.h>
#include <git2.h>
#include <zlib.h>

typedef struct {
  GMappedFile *idx_file, *pack_file;
  const guint8 *idx, *fanout, *ids, *ofs32, *ofs64;
  gsize idx_size;
  guint32 n, n_big;
  const guint8 *pack;
  gsize pack_size;
} BpPackFile;

/* Map IDX_PATH (a .idx) and its .pack; FALSE when either is not what it
 * should be (PK is then to be cleared all the same). */
gboolean bp_pack_file_open (const char *idx_path, BpPackFile *pk);
void bp_pack_file_clear (gpointer pk);

/* The offset of OID in the pack, or FALSE. */
gboolean bp_pack_file_find (const BpPackFile *pk, const git_oid *oid, guint64 *offset);

/* The object at OFFSET, fully resolved (NUL-terminated, *SIZE bytes, to
 * g_free), its type in *TYPE (git's numbers: commit 1, tree 2, blob 3,
 * tag 4); NULL when it is not readable here.  Z is the caller's inflate
 * stream (inflateInit done): one per thread. */
guint8 *bp_pack_file_read (const BpPackFile *pk, z_stream *z, guint64 offset, int *type, gsize *size);

/* Give back the pages of [FROM, TO) of the pack, and with INDEX all of the
 * index: they are page cache, touching them again maps them again. */
void bp_pack_file_release (const BpPackFile *pk, guint64 from, guint64 to, gboolean index);
