/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Quilt bookkeeping of an unpacked Debian source: debian/patches/<name> with
 * a DEP-3 header, the series file, and .pc/ (applied-patches, one directory
 * of backup copies per patch, .version, .quilt_patches, .quilt_series) kept
 * the way quilt itself keeps them, so `quilt pop`/`quilt push` and
 * `dpkg-source -b` keep working.  Computes the files to write; writing is the
 * caller's (apply.c, atomically). */
#pragma once

#include <gio/gio.h>
#include "model/patch.h"

#define BP_QUILT_ERROR (bp_quilt_error_quark ())
GQuark bp_quilt_error_quark (void);

typedef enum {
  BP_QUILT_ERROR_NOT_DEBIAN,   /* no debian/patches: not an unpacked Debian source */
  BP_QUILT_ERROR_UNSAFE,       /* .pc or a patch name points outside the tree */
  BP_QUILT_ERROR_NOT_PUSHED,   /* not every patch of the series is applied */
  BP_QUILT_ERROR_EXISTS,       /* the patch is already in the series or on disk */
  BP_QUILT_ERROR_FAILED,       /* cannot make the diff */
} BpQuiltErrorCode;

typedef struct _BpQuilt BpQuilt;

/* One file a patch changes: its content before and after (NULL: absent). */
typedef struct {
  const char *old_path, *new_path;
  GBytes *before, *after;
} BpQuiltFile;

/* A file to write, relative to the tree. */
typedef struct {
  char *path;
  GBytes *content;
} BpQuiltWrite;

void bp_quilt_write_free (BpQuiltWrite *write);

/* TREE must have debian/patches (or .pc/.quilt_patches naming the directory). */
BpQuilt *bp_quilt_open (const char *tree, GError **error);
void bp_quilt_free (BpQuilt *quilt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpQuilt, bp_quilt_free)

/* Every patch of the series is applied (.pc/applied-patches = series): the
 * new patch can go on top. */
gboolean bp_quilt_check_clean (BpQuilt *quilt, GError **error);

/* Add patch NAME on top: its DEP-3 file (model/dep3.h: UPSTREAM_ID, LINK the
 * posting, BUG), series, .pc.  FILES (BpQuiltFile*)
 * are its effects; *WRITES receives the BpQuiltWrite* to perform.  Successive
 * calls stack (the series and applied-patches accumulate in memory). */
gboolean bp_quilt_add_patch (BpQuilt *quilt, const char *name, const BpPatch *patch,
                             const char *upstream_id, const char *link, const char *bug, GPtrArray *files,
                             GPtrArray **writes, GError **error);

/* The unified diff (diff --git, 3 lines of context) of FILES. */
char *bp_quilt_diff (GPtrArray *files, GError **error);
