/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fix pack: patches/<fix>/fix.ini plus one series per stable line.
 * Loading validates everything: a broken pack is an error naming file:line. */
#pragma once

#include <glib.h>
#include "model/patch.h"

#define BP_FIXPACK_ERROR (bp_fixpack_error_quark ())
GQuark bp_fixpack_error_quark (void);

typedef enum {
  BP_FIXPACK_ERROR_NOT_FOUND,    /* no such pack or line */
  BP_FIXPACK_ERROR_INVALID,      /* fix.ini or series is wrong */
  BP_FIXPACK_ERROR_PATCH,        /* a patch file is unreadable or does not parse */
  BP_FIXPACK_ERROR_SEVERAL,      /* no pack named, and there are several */
} BpFixPackErrorCode;

typedef enum {
  BP_VERDICT_AFFECTED,
  BP_VERDICT_NOT_AFFECTED,
} BpVerdict;

const char *bp_verdict_to_string (BpVerdict verdict);  /* "affected" / "not-affected" */

typedef struct _BpFixPack BpFixPack;

typedef struct {
  BpFixPack *pack;      /* owner (not a reference) */
  char *name;           /* "10.2" */
  BpVerdict verdict;
  char *file;           /* file holding the function on this line: hw/vfio/container.c */
  char *api;            /* API era for the reproducer's shim: "9.2", "10.1" or "10.2" */
  char *base;           /* what the series was made for, e.g. "v10.2.2 (Debian 1:10.2.2+ds-1)" */
  char *evidence;       /* evidence rule, e.g. "culprit-not-reachable no-by-file-branch" */
  char *note;           /* free text, may be NULL */
  char *dir;            /* patches/<fix>/<line>, NULL when the line carries no series */
  char *needs_human;    /* affected, but its series could not be made: which hunk and
                           why (`pack new` records this instead of a series), or NULL */
  char *fixed_by;       /* affected, and the line already has the fix (this commit or
                           tag): no series to carry, or NULL */
  GPtrArray *patch_names;  /* char*, as listed in <line>/series */
  GPtrArray *patches;      /* BpPatch*, same order */
} BpFixLine;

struct _BpFixPack {
  char *name;           /* directory name: vfio-map-file-private */
  char *dir;            /* absolute path of the pack */
  guint version;        /* the pack's own version (fix pack N) */
  char *subject;        /* the fix's subject */
  char *author;         /* "Name <email>" of the posting */
  char *date;           /* RFC 2822 date of the posting */
  char *posting;        /* link to the posting */
  char *bug;            /* bug tracker link (Closes:) */
  char *upstream_id;    /* full id of the fix in master, NULL while unknown */
  char *culprit_id;     /* full id of the commit that brought the bug */
  char *culprit_subject;
  char *function;       /* the function the fix changes: vfio_container_dma_map */
  char *helper;         /* the helper the fix adds: vfio_container_can_dma_map_file */
  char *bug_pattern;    /* text present in the function while buggy: dma_map_file */
  char *reproducer;     /* the reproducer this pack has ("vfio-dma-map"), NULL: none
                           (verify says "no reproducer in pack", bisect uses content) */
  char *guard;          /* a call that, in the function or its helper, makes the
                           pattern safe (the fix's check); NULL: no specific probe */
  char *function_dir;   /* directory holding the function, with a trailing '/', or NULL */
  char *bug_summary;    /* how texts say what the pattern does ("maps by file"), or NULL */
  GPtrArray *trailers;  /* char* "Key: value", in posting order */
  GPtrArray *lines;     /* BpFixLine*, newest line first */
};

void bp_fixpack_free (BpFixPack *pack);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpFixPack, bp_fixpack_free)

/* Load and validate the pack in DIR. */
BpFixPack *bp_fixpack_load (const char *dir, GError **error);

/* Directory holding the bundled packs: $BACKPORT_PACKS, else <source>/patches. */
const char *bp_fixpack_default_root (void);

/* Where `pack new` writes and every command also looks: $XDG_DATA_HOME/
 * backport/packs (NULL while $BACKPORT_PACKS replaces every root). */
char *bp_fixpack_user_root (void);

/* The directories searched for packs, first match wins: $BACKPORT_PACKS
 * alone when set; else the user's packs, then the bundled ones. */
GPtrArray *bp_fixpack_roots (void);

/* Load the pack NAME from the roots; NAME NULL means the only bundled pack
 * (the only pack of $BACKPORT_PACKS when set). */
BpFixPack *bp_fixpack_load_default (const char *name, GError **error);

/* The line named "10.2", or NULL with BP_FIXPACK_ERROR_NOT_FOUND. */
BpFixLine *bp_fixpack_get_line (BpFixPack *pack, const char *name, GError **error);

/* The line serving a QEMU VERSION file's text ("10.2.2" -> 10.2).  A
 * development version x.y.90+ (rc of the next release) maps to line x.(y+1),
 * or (x+1).0 after x.2 (QEMU makes three releases a year).  NULL when no
 * line serves it. */
BpFixLine *bp_fixpack_line_for_version (BpFixPack *pack, const char *version);

/* Every pack under the roots (BpFixPack*), sorted by name. */
GPtrArray *bp_fixpack_load_all (GError **error);
