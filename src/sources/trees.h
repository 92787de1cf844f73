/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Real QEMU trees, one per stable line of a fix pack, fetched and cached.
 *
 * Where a line's tree comes from, first match wins:
 *   1. the user's own unpacked tree (`--tree LINE=DIR`), validated: DIR/VERSION
 *      exists and serves LINE;
 *   2. with a git repository (`--repo DIR`): the line's newest vX.Y.Z tag, or
 *      the stable-X.Y branch where it is newer, exported with libgit2 into the
 *      cache (blobs, modes, symlinks; no checkout: the repository's worktree,
 *      index and refs are never touched), cached by commit id;
 *   3. otherwise Debian's qemu source package through apt, without root and
 *      without touching the system's apt configuration (see below).
 * With a repository, a line it has no tag or branch for takes Debian's tree,
 * as without one (a note says so; a line neither has says both).  Trees
 * exported from git lack the subprojects QEMU's offline configure needs
 * (keycodemapdb, berkeley-softfloat-3, berkeley-testfloat-3) and release
 * tarballs carry: they are copied into the export from another tree of this
 * call or of the cache with the same .wrap (a Debian tree, usually), or
 * exported from the repository when it holds the .wrap's revision, the
 * export's own subprojects/packagefiles/ on top; a note says from where, or
 * names those still missing.
 * A line that gets no tree is still reported (path NULL) with `missing`
 * saying what would provide one.  Nothing is dropped.
 *
 * Debian: a private apt state lives in <cache>/apt: apt.conf (APT_CONFIG),
 * its own sources list, lists, archives, no locking.  Its deb-src entries are
 * built from the Debian archive URIs of the system's apt sources (one-line
 * *.list and deb822 *.sources, under opts->apt_etc, /etc/apt by default): an
 * entry counts as the Debian archive when the system's downloaded Release
 * file for it says "Origin: Debian" and "Label: Debian" (so the security,
 * debug and ports archives and third-party repositories are left out); when
 * the system never downloaded one, its suite must be a Debian suite name
 * (bookworm, bookworm-updates, sid, ...) and neither the suite nor the URI
 * may name the security archive.  No mirror host is written in this code.
 * The index is downloaded (`apt-get update`) only when the cache has none or
 * opts->refresh is set.  A line takes the newest version the index lists for
 * it whose files the pool really serves: versions that answer 404 are
 * remembered in the cache (retried only with refresh) and the next one is
 * tried, with a note.  The tree is unpacked with `dpkg-source --no-check -x`
 * into <cache>/trees/debian/<version>, the downloaded files are removed, and a
 * stamp written last marks the tree complete.  A second call downloads
 * nothing: the cached tree of the version the (unchanged) index picks is
 * used.  Offline, only cached trees are used and each missing one is named.
 *
 * Cache layout (<cache> = opts->cache_dir, default $XDG_CACHE_HOME/backport):
 *   apt/                       private apt state
 *   trees/debian/<ver>/        unpacked Debian tree, <ver> = 1_10.2.2+ds-1
 *   trees/debian/<ver>.stamp   key file: version, deb-version, line, fetched
 *   trees/debian/not-served    key file: versions the pool answered 404 for
 *   trees/git/<commit>/        exported tree of a commit (plus supplied subprojects)
 *   trees/git/<commit>.stamp   key file: commit, ref, version, exported, subprojects
 *   logs/                      output of the last apt/dpkg-source runs
 * Trees in the cache are shared: callers work on a copy (verify's scratch
 * copy), never in the cached tree itself.
 *
 * Subprocesses run through GSubprocess with LC_ALL=C; each output line goes
 * to the caller's progress callback.  Cancelling stops the running command
 * and removes its work dir; a work dir left by a killed run is swept by the
 * next one.
 *
 * Use (verify):
 *   BpTreesOptions opts = { .cache_dir = cache, .offline = offline, .repo = repo,
 *                           .user_trees = trees, .lines = lines };
 *   g_autoptr(BpTreeSet) set = bp_trees_resolve (pack, &opts, progress, NULL, cancellable, error);
 *   for each BpTree *t in set->trees: t->path ? work on a copy of t->path : report t->missing */
#pragma once

#include <gio/gio.h>
#include <git2.h>
#include <json-glib/json-glib.h>

#include "model/fixpack.h"

#define BP_TREES_ERROR (bp_trees_error_quark ())
GQuark bp_trees_error_quark (void);

typedef enum {
  BP_TREES_ERROR_INVALID_TREE,  /* a worker's tree document without line or kind */
  BP_TREES_ERROR_UNKNOWN_LINE,  /* a line the pack does not have */
  BP_TREES_ERROR_REPO,          /* the --repo is not a readable git repository */
  BP_TREES_ERROR_SOURCES,       /* the system's apt sources are unreadable */
  BP_TREES_ERROR_COMMAND,       /* a subprocess could not be run or failed */
  BP_TREES_ERROR_IO,            /* the cache could not be written */
  BP_TREES_ERROR_USER_TREE,     /* a user tree "LINE=DIR" that is not a tree of LINE;
                                   the message starts with the spec */
} BpTreesErrorCode;

typedef enum {
  BP_TREE_NONE,      /* no tree for this line */
  BP_TREE_DEBIAN,    /* Debian source package */
  BP_TREE_GIT,       /* exported from a git tag or branch */
  BP_TREE_USER,      /* the user's own tree (--tree) */
} BpTreeKind;

/* What would give a line without a tree one.  The command words it in
 * its own options (verify: the repository and user-tree options). */
typedef enum {
  BP_TREE_REMEDY_ONLINE = 1 << 0,  /* a run allowed to download */
  BP_TREE_REMEDY_REPO = 1 << 1,    /* a QEMU clone to export the line from */
  BP_TREE_REMEDY_TREE = 1 << 2,    /* the user's own unpacked tree of the line */
} BpTreeRemedy;

/* "none", "debian", "git", "user" */
const char *bp_tree_kind_to_string (BpTreeKind kind);

typedef struct {
  char *line;         /* pack line: "10.2" */
  BpTreeKind kind;
  char *path;         /* absolute path of the unpacked tree, NULL when none */
  char *version;      /* the tree's VERSION file: "10.2.2" */
  char *origin;       /* one line: "Debian 1:10.2.2+ds-1", "git v10.1.3 (<commit>)",
                         "user /path"; NULL when none */
  char *deb_version;  /* Debian: "1:10.2.2+ds-1" */
  char *ref;          /* git: "v10.1.3" or "stable-10.1" */
  char *commit;       /* git: full commit id */
  gboolean cached;    /* the tree came from the cache, nothing was fetched */
  GPtrArray *notes;   /* char*: what was tried and skipped, in order */
  char *missing;      /* kind NONE: why */
  guint remedy;       /* kind NONE: BpTreeRemedy flags, what would give one */
} BpTree;

typedef struct {
  GPtrArray *trees;     /* BpTree*, in the pack's line order (newest first) */
  guint downloads;      /* source packages downloaded by this call */
  guint exports;        /* git trees exported by this call */
  gboolean index_updated;  /* this call ran apt-get update */
  GPtrArray *notes;     /* char*: notes not tied to one line (index, sources) */
} BpTreeSet;

void bp_tree_set_free (BpTreeSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpTreeSet, bp_tree_set_free)

/* The entry for LINE, or NULL. */
BpTree *bp_tree_set_get (BpTreeSet *set, const char *line);

BpTree *bp_tree_new (const char *line);
void bp_tree_free (BpTree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BpTree, bp_tree_free)

/* One tree as a JSON object (the members bp_tree_set_to_json lists), and
 * back: what verify sends a worker process. */
void bp_tree_add_json (JsonBuilder *b, const BpTree *tree);
BpTree *bp_tree_from_json (JsonNode *node, GError **error);

typedef struct {
  const char *cache_dir;    /* NULL: $XDG_CACHE_HOME/backport */
  gboolean offline;         /* only the cache; never the network */
  gboolean refresh;         /* update the deb-src index, retry versions once not served */
  const char *repo;         /* a QEMU git repository; NULL: Debian's sources */
  const char *const *user_trees;  /* "LINE=DIR", NULL-terminated, may be NULL */
  const char *const *lines; /* lines wanted, NULL-terminated; NULL: every line of the pack */
  const char *apt_etc;      /* the system's apt configuration dir: NULL is /etc/apt */
  const char *apt_lists;    /* the system's downloaded lists: NULL is /var/lib/apt/lists */
  const char *const *suites;  /* deb-src suites; NULL: sid, trixie, trixie-backports, experimental */
  const char *package;      /* Debian source package: NULL is "qemu" */
} BpTreesOptions;

/* Progress for anything slow: LINE is the line concerned or NULL, MESSAGE
 * one line of text; KIND says whether it is a step or a subprocess's output
 * (show steps, and output only when asked to be verbose). */
typedef enum {
  BP_TREES_PROGRESS_STEP,     /* what is being done: "downloading Debian qemu 1:10.2.2+ds-1" */
  BP_TREES_PROGRESS_OUTPUT,   /* a line of a subprocess's output (apt-get, dpkg-source) */
} BpTreesProgressKind;

typedef void (*BpTreesProgress) (const char *line, BpTreesProgressKind kind,
                                 const char *message, gpointer user_data);

/* A tree for every wanted line of PACK.  Returns NULL with an error only for
 * bad input (a --tree that is not a tree of its line, an unknown line, a
 * repository that cannot be opened, an unusable cache dir); a line that
 * cannot be had is an entry with kind BP_TREE_NONE. */
BpTreeSet *bp_trees_resolve (BpFixPack *pack, const BpTreesOptions *opts,
                             BpTreesProgress progress, gpointer user_data,
                             GCancellable *cancellable, GError **error);

/* ---- parts, exposed for tests and for other modules ---- */

/* $XDG_CACHE_HOME/backport */
char *bp_trees_default_cache_dir (void);

/* The set as JSON, for reports: {"trees": [{"line", "kind", "path", "version",
 * "origin", "deb-version", "ref", "commit", "cached", "notes": [...],
 * "missing", "remedy": ["online", "repo", "tree"]}...], "downloads", "exports", "index-updated", "notes": [...]};
 * members that do not apply are null. */
JsonNode *bp_tree_set_to_json (BpTreeSet *set);
