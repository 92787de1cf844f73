/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A repository's release tags, by stable line: the newest vX.Y.Z of each
 * X.Y (release candidates left out).  What verify exports a line's tree
 * from, what `pack new` judges and picks a line onto. */
#pragma once

#include <git2.h>
#include <glib.h>

typedef struct {
  char *line;        /* "10.1" */
  char *tag;         /* "v10.1.3" */
  guint version[3];
  git_oid commit;
} BpReleaseTag;

void bp_release_tag_free (BpReleaseTag *tag);

/* The newest release tag of each line of REPO (BpReleaseTag*), newest
 * line first.  Empty when the repository has none; FALSE only when its
 * tags cannot be listed. */
GPtrArray *bp_release_tags_by_line (git_repository *repo, GError **error);

/* The entry of LINE in TAGS, or NULL. */
BpReleaseTag *bp_release_tags_get (GPtrArray *tags, const char *line);
