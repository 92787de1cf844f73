/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status index: per-commit facts kept between runs, so a run reads only
 * the commits that are new since the last one.
 *
 * Every fact is keyed by a commit id and follows from that commit alone
 * (its parents, message and trees are part of the id), so the index can
 * never go stale: refs that move, rewritten history, new tags and repacks
 * only bring commits it has not seen.  What depends on the fix pack is
 * keyed by the pack too: "examined" bits per path set (a commit examined
 * for a set of files knows whether it changes them, and its files' hash
 * when it does).
 *
 * Facts per commit: author time, a hash of the subject, the commits its
 * message says it picks ("cherry picked from commit X") or reverts ("This
 * reverts commit X"), its parents when git's commit-graph does not hold it,
 * per path set whether it changes those files, and patch-ids computed.
 *
 * The file is <cache>/status/<hash of the repository's path>.idx, written
 * whole to a temporary file and renamed.  It carries a CRC-32 of its
 * content and is validated on load (sizes, order, every index); a file
 * that fails is not used but rebuilt, and the load says so in one line. */
#pragma once

#include <glib.h>
#include <git2.h>

#define BP_CACHE_NONE G_MAXUINT32
#define BP_CACHE_SECTIONS 8

enum {
  BP_FACT_READ = 1 << 0,      /* subject hash, author time and links were read */
  BP_FACT_PARENTS = 1 << 1,   /* its parents are recorded here */
};

typedef enum {
  BP_LINK_PICK = 1,           /* "(cherry picked from commit X)" */
  BP_LINK_REVERT = 2,         /* "This reverts commit X." */
} BpLinkKind;

typedef struct {
  gint64 author_time;
  guint32 subject_hash;
  guint32 first_link;         /* into links */
  guint32 first_parent;       /* into parents */
  guint16 n_links;
  guint16 n_parents;
  guint8 flags;               /* BP_FACT_* */
  guint8 examined;            /* bit s: examined for path section s */
} BpCacheCommit;

typedef struct {
  git_oid target;
  guint32 kind;               /* BpLinkKind */
} BpCacheLink;

typedef struct {
  guint32 commit;             /* index, or BP_CACHE_NONE for the repository itself */
  guint64 key;                /* what the note is, and for which pack (a fingerprint) */
} BpCacheNoteKey;

typedef struct {
  guint64 fingerprint;        /* of the sorted path set; 0 unused */
  gint64 last_used;
} BpCacheSection;

typedef struct {
  char *file;                 /* where it is read from and written to */
  char *repo;                 /* the repository it serves (for pruning) */
  GArray *oids;               /* git_oid: [0, n_sorted) sorted, then added ones */
  guint32 n_sorted;
  guint32 *slots;             /* open addressing over the added ones */
  guint32 cap;
  GArray *commits;            /* BpCacheCommit, parallel to oids */
  GArray *links;              /* BpCacheLink */
  GArray *parents;            /* guint32: commit indexes */
  GHashTable *touches;        /* (commit << 3 | section) -> files hash (never 0) */
  GHashTable *pids;           /* (commit << 1 | reverse) -> git_oid* */
  GHashTable *notes;          /* BpCacheNoteKey* -> char*: short texts keyed by commit and purpose */
  BpCacheSection sections[BP_CACHE_SECTIONS];
  gboolean dirty;
} BpStatusCache;

/* The index file for REPO_PATH (a repository's common directory) under
 * CACHE_DIR (NULL: $XDG_CACHE_HOME/backport). */
char *bp_status_cache_file (const char *cache_dir, const char *repo_path);

/* Load FILE; an absent file gives an empty index.  A file that is not a
 * valid index gives an empty one too, with *NOTE saying so (one line). */
BpStatusCache *bp_status_cache_load (const char *file, const char *repo_path, char **note);
void bp_status_cache_free (BpStatusCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpStatusCache, bp_status_cache_free)

/* Write it (when something was added): whole, to a temporary file renamed
 * over FILE.  Index files of repositories that no longer exist are removed
 * from the directory on the way. */
gboolean bp_status_cache_save (BpStatusCache *cache, GError **error);

guint32 bp_status_cache_size (const BpStatusCache *cache);

/* The index of OID, or BP_CACHE_NONE. */
guint32 bp_status_cache_find (const BpStatusCache *cache, const git_oid *oid);

/* The index of OID, added (with no facts) when absent. */
guint32 bp_status_cache_add (BpStatusCache *cache, const git_oid *oid);

const git_oid *bp_status_cache_oid (const BpStatusCache *cache, guint32 index);
BpCacheCommit *bp_status_cache_commit (const BpStatusCache *cache, guint32 index);

/* Record what a commit's message and header say; LINKS may be NULL. */
void bp_status_cache_set_facts (BpStatusCache *cache, guint32 index, gint64 author_time,
                                guint32 subject_hash, const BpCacheLink *links, guint n_links);

/* Record the parents of INDEX (indexes). */
void bp_status_cache_set_parents (BpStatusCache *cache, guint32 index, const guint32 *parents, guint n);

/* The section for a path set with FINGERPRINT: found, or a free or the
 * least recently used slot taken over (its examined bits and touches
 * dropped). */
guint bp_status_cache_section (BpStatusCache *cache, guint64 fingerprint);

/* Commit INDEX was examined for SECTION; it changes those files when
 * FILES_HASH is not 0 (the hash of the files it touches). */
void bp_status_cache_set_touch (BpStatusCache *cache, guint32 index, guint section, guint32 files_hash);

/* The files hash recorded for INDEX in SECTION (0: it does not change them). */
guint32 bp_status_cache_touch (const BpStatusCache *cache, guint32 index, guint section);

/* Patch-ids (REVERSE: of the change undone) computed for INDEX. */
const git_oid *bp_status_cache_pid (const BpStatusCache *cache, guint32 index, gboolean reverse);
void bp_status_cache_set_pid (BpStatusCache *cache, guint32 index, gboolean reverse, const git_oid *pid);

/* Notes: short texts keyed by a commit (or BP_CACHE_NONE: the repository)
 * and a 64-bit key naming what they are, for facts such as VERSION at a
 * commit, the probe's answer there for one pack, or the files a commit
 * touches.  NULL when there is none. */
const char *bp_status_cache_note (const BpStatusCache *cache, guint32 index, guint64 key);
void bp_status_cache_set_note (BpStatusCache *cache, guint32 index, guint64 key, const char *text);
