/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Patches as data: a `git format-patch` mail (headers, message, trailers) and
 * its unified diff (files, hunks, lines).  Parsing only; applying is apply.c. */
#pragma once

#include <glib.h>

#define BP_PATCH_ERROR (bp_patch_error_quark ())
GQuark bp_patch_error_quark (void);

typedef enum {
  BP_PATCH_ERROR_IO,          /* cannot read the file */
  BP_PATCH_ERROR_PARSE,       /* not a mail or diff we understand */
  BP_PATCH_ERROR_CORRUPT,     /* a hunk's counts or line prefixes are wrong */
  BP_PATCH_ERROR_TOO_LARGE,   /* input over BP_PATCH_MAX_SIZE */
  BP_PATCH_ERROR_UNSAFE_PATH, /* absolute path or a '..' component */
  BP_PATCH_ERROR_BINARY,      /* binary patches are refused */
} BpPatchErrorCode;

/* Untrusted input is capped: a QEMU fix is kilobytes, not megabytes. */
#define BP_PATCH_MAX_SIZE (16 * 1024 * 1024)

typedef struct {
  char kind;            /* ' ' context, '-' removed, '+' added */
  char *text;           /* the line without its prefix and without '\n' */
  gboolean no_newline;  /* followed by "\ No newline at end of file" */
} BpDiffLine;

typedef struct {
  guint old_start, old_count;   /* as in "@@ -old_start,old_count ..." */
  guint new_start, new_count;
  char *section;                /* text after the second "@@", may be "" */
  GPtrArray *lines;             /* BpDiffLine*, in order */
} BpHunk;

typedef struct {
  char *old_path;     /* without "a/"; NULL for /dev/null (new file) */
  char *new_path;     /* without "b/"; NULL for /dev/null (deleted file) */
  char *old_blob;     /* abbreviated id from "index old..new", or NULL */
  char *new_blob;
  char *old_mode, *new_mode;  /* octal text or NULL */
  gboolean is_binary;
  GPtrArray *hunks;   /* BpHunk* */
} BpFileDiff;

typedef struct {
  char *source;        /* file name or "<stdin>", for error messages */
  char *subject;       /* without "[PATCH n/m]" */
  char *author_name;
  char *author_email;
  GDateTime *date;     /* NULL when the input had none (plain diff) */
  char *message;       /* commit message body, trailers included, no subject */
  char *notes;         /* between "---" and the diff: diffstat, "Changes in v2" */
  char *diff;          /* the diff text exactly as in the input */
  GPtrArray *files;    /* BpFileDiff* */
} BpPatch;

void bp_patch_free (BpPatch *patch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpPatch, bp_patch_free)
void bp_file_diff_free (BpFileDiff *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpFileDiff, bp_file_diff_free)
void bp_hunk_free (BpHunk *hunk);

/* One mail as written by `git format-patch` (an optional leading mbox
 * "From <id> <date>" line), or a plain diff (then subject/author/date are
 * NULL).  SOURCE names the input in errors ("file:line: what"). */
BpPatch *bp_patch_parse (const char *text, gsize len, const char *source, GError **error);
BpPatch *bp_patch_load (const char *path, GError **error);

/* LINE (LEN bytes, no newline needed) starts a message in an mbox: "From "
 * followed by a sender and a date with a time and a year, as git mailsplit
 * wants it; "From the kernel log:" in a message is not one. */
gboolean bp_patch_is_from_line (const char *line, gsize len);

/* The files and hunks of a unified diff ("diff --git" or plain "---/+++"). */
GPtrArray *bp_diff_parse (const char *diff, gsize len, const char *source, GError **error);

/* Trailer values in message order ("Fixes", "Signed-off-by", ...), matched
 * case-insensitively.  The array is empty when there is none. */
GPtrArray *bp_patch_trailers (const BpPatch *patch, const char *key);

/* "Name <email>" of the author. */
char *bp_patch_author (const BpPatch *patch);

/* Re-serialise as a `git format-patch` mail (mbox "From " line included). */
char *bp_patch_to_mail (const BpPatch *patch, const char *from_id);

/* "[PATCH v2 3/7] subject" -> "subject": leading [...] tags dropped, header
 * folding undone. */
char *bp_patch_clean_subject (const char *subject);

/* g_mime_init() once, for every module that parses mail. */
void bp_gmime_init (void);
