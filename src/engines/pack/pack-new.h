/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fix pack for any fix: `backport pack new NAME --from COMMIT|MAIL`.
 *
 *   identity  from the commit or mail: subject, author, date, trailers;
 *             upstream= is the commit when there is one, or for a mail the
 *             newest line's commit with the mail's patch-id;
 *   culprit   the first Fixes: trailer, resolved to a full id (or given);
 *   lines     each line's newest release tag vX.Y.Z of the repository;
 *             by default the first line whose tag has the culprit, the line
 *             before it (to prove not affected) and every later line;
 *   verdict   affected when the culprit is in the line's tag (ancestry, a
 *             pick of it, a patch-id twin), else not-affected;
 *   series    each affected line's series is `pick` of the fix onto that
 *             tag, as a format-patch mail with the cherry-pick line and the
 *             backport note; a line whose pick needs a human records why
 *             (needs-human=), one that already has the fix records it
 *             (fixed-by=).
 * The pack is written to a temporary directory beside its place and renamed
 * there at the end: nothing half-made is ever found as a pack.  Objects of
 * the picks stay in memory: the repository is not written. */
#pragma once

#include <gio/gio.h>
#include <git2.h>

#include "engines/pick/pick-run.h"

#define BP_PACK_ERROR (bp_pack_error_quark ())
GQuark bp_pack_error_quark (void);

typedef enum {
  BP_PACK_ERROR_INPUT,      /* no such fix, no release tags */
  BP_PACK_ERROR_NO_CULPRIT, /* no Fixes: trailer the repository resolves */
  BP_PACK_ERROR_EXISTS,     /* a pack of that name exists (no force) */
  BP_PACK_ERROR_IO,
} BpPackErrorCode;

typedef struct {
  const char *name;           /* the pack's directory name */
  const char *from;           /* a commit of the repository, or a patch/mail file */
  const char *packs_dir;      /* where the pack goes; NULL: the user's packs */
  const char *const *lines;   /* "10.1", ...; NULL: as described above */
  const char *culprit;        /* the commit that brought the bug; NULL: from Fixes: */
  gboolean force;             /* replace a pack of that name */
  BpPickProgress progress;
  gpointer progress_data;
} BpPackNewOptions;

typedef struct {
  char *line;
  char *tag;                  /* the tag judged and picked onto */
  char *verdict;              /* "affected", "not-affected" */
  char *how;                  /* affected: "series: exact", "needs a human: ...", "fixed by X" */
  char *fixed_by;             /* the commit of the line that has the fix, or NULL */
  gboolean needs_human;       /* the pick did not fit: no series, needs-human= says why */
} BpPackNewLine;

typedef struct {
  char *dir;                  /* the pack written */
  char *culprit;              /* full id */
  GPtrArray *lines;           /* BpPackNewLine*, newest first */
} BpPackNewResult;

void bp_pack_new_result_free (BpPackNewResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPackNewResult, bp_pack_new_result_free)

BpPackNewResult *bp_pack_new (git_repository *repo, const BpPackNewOptions *options,
                              GCancellable *cancellable, GError **error);
