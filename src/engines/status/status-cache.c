/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status index on disk: see status-cache.h.
 *
 * File layout, little-endian:
 *   "BPSTIDX\n" version(u32)=1
 *   counts(u32): commits links parents touches pids notes; repo path length(u32)
 *   the repository's path
 *   sections: 8 x { fingerprint(u64) last_used(i64) }
 *   ids: commits x 20, sorted
 *   commits: x { author_time(i64) subject_hash first_link first_parent
 *                n_links(u16) n_parents(u16) flags(u8) examined(u8) pad(u16) }
 *   links: x { kind(u32) target(20) }
 *   parents: x u32 (commit indexes)
 *   touches: x { commit(u32) section(u32) files_hash(u32) }
 *   pids: x { commit(u32) reverse(u32) pid(20) }
 *   notes: x { commit(u32, or all ones: the repository) key(u64) length(u32) bytes }
 *   crc32 (u32) of everything before it */
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <gio/gio.h>

#include "engines/status/status-cache.h"
#include "base/read-limited.h"

#define MAGIC "BPSTIDX\n"
#define VERSION 1
#define COMMIT_LEN 28
#define LINK_LEN 24
#define TOUCH_LEN 12
#define PID_LEN 28

static guint
key_hash (gconstpointer p)
{
  return g_int64_hash (p);
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  return g_int64_equal (a, b);
}

static guint
note_hash (gconstpointer p)
{
  const BpCacheNoteKey *k = p;
  return (guint) (k->commit * 2654435761u) ^ (guint) k->key ^ (guint) (k->key >> 32);
}

static gboolean
note_equal (gconstpointer a, gconstpointer b)
{
  const BpCacheNoteKey *x = a, *y = b;
  return x->commit == y->commit && x->key == y->key;
}

static BpStatusCache *
cache_new (const char *file, const char *repo)
{
  BpStatusCache *c = g_new0 (BpStatusCache, 1);
  c->file = g_strdup (file);
  c->repo = g_strdup (repo);
  c->oids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  c->commits = g_array_new (FALSE, TRUE, sizeof (BpCacheCommit));
  c->links = g_array_new (FALSE, FALSE, sizeof (BpCacheLink));
  c->parents = g_array_new (FALSE, FALSE, sizeof (guint32));
  c->touches = g_hash_table_new_full (key_hash, key_equal, g_free, NULL);
  c->pids = g_hash_table_new_full (key_hash, key_equal, g_free, g_free);
  c->notes = g_hash_table_new_full (note_hash, note_equal, g_free, g_free);
  return c;
}

void
bp_status_cache_free (BpStatusCache *c)
{
  if (c == NULL)
    return;
  g_free (c->file);
  g_free (c->repo);
  g_array_unref (c->oids);
  g_array_unref (c->commits);
  g_array_unref (c->links);
  g_array_unref (c->parents);
  g_hash_table_unref (c->touches);
  g_hash_table_unref (c->pids);
  g_hash_table_unref (c->notes);
  g_free (c->slots);
  g_free (c);
}

char *
bp_status_cache_file (const char *cache_dir, const char *repo_path)
{
  g_autofree char *root = cache_dir ? g_strdup (cache_dir)
                                    : g_build_filename (g_get_user_cache_dir (), "backport", NULL);
  g_autofree char *real = g_canonicalize_filename (repo_path, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1, real, -1);
  g_autofree char *name = g_strdup_printf ("%.16s.idx", hash);
  return g_build_filename (root, "status", name, NULL);
}

/* ---------------------------------------------------------------- reading */

typedef struct {
  const guint8 *p, *end;
} Reader;

static gboolean
take (Reader *r, gsize n, const guint8 **out)
{
  if ((gsize) (r->end - r->p) < n)
    return FALSE;
  *out = r->p;
  r->p += n;
  return TRUE;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
le64 (const guint8 *p)
{
  return (guint64) le32 (p) | (guint64) le32 (p + 4) << 32;
}

static gint64 *
key_new (guint64 v)
{
  gint64 *k = g_new (gint64, 1);
  *k = (gint64) v;
  return k;
}

/* Commits and their links and parents; every index checked. */
static const char *
parse_commits (BpStatusCache *c, Reader *r, guint32 n, guint32 n_links, guint32 n_parents)
{
  const guint8 *ids, *recs, *links, *parents;
  if (!take (r, (gsize) n * 20, &ids) || !take (r, (gsize) n * COMMIT_LEN, &recs)
      || !take (r, (gsize) n_links * LINK_LEN, &links) || !take (r, (gsize) n_parents * 4, &parents))
    return "it is cut off";
  g_array_set_size (c->oids, n);
  g_array_set_size (c->commits, n);
  for (guint32 i = 0; i < n; i++)
    {
      git_oid_fromraw (&g_array_index (c->oids, git_oid, i), ids + (gsize) i * 20);
      if (i && memcmp (ids + (gsize) (i - 1) * 20, ids + (gsize) i * 20, 20) >= 0)
        return "its ids are not sorted";
      const guint8 *q = recs + (gsize) i * COMMIT_LEN;
      BpCacheCommit *cc = &g_array_index (c->commits, BpCacheCommit, i);
      cc->author_time = (gint64) le64 (q);
      cc->subject_hash = le32 (q + 8);
      cc->first_link = le32 (q + 12);
      cc->first_parent = le32 (q + 16);
      cc->n_links = (guint16) (q[20] | q[21] << 8);
      cc->n_parents = (guint16) (q[22] | q[23] << 8);
      cc->flags = q[24];
      cc->examined = q[25];
      if ((cc->n_links && ((guint64) cc->first_link + cc->n_links > n_links))
          || (cc->n_parents && ((guint64) cc->first_parent + cc->n_parents > n_parents)))
        return "a commit's links or parents are out of range";
    }
  g_array_set_size (c->links, n_links);
  for (guint32 i = 0; i < n_links; i++)
    {
      BpCacheLink *l = &g_array_index (c->links, BpCacheLink, i);
      l->kind = le32 (links + (gsize) i * LINK_LEN);
      git_oid_fromraw (&l->target, links + (gsize) i * LINK_LEN + 4);
      if (l->kind != BP_LINK_PICK && l->kind != BP_LINK_REVERT)
        return "a link has an unknown kind";
    }
  g_array_set_size (c->parents, n_parents);
  for (guint32 i = 0; i < n_parents; i++)
    if ((g_array_index (c->parents, guint32, i) = le32 (parents + (gsize) i * 4)) >= n)
      return "a parent is out of range";
  c->n_sorted = n;
  return NULL;
}

static const char *
parse_notes (BpStatusCache *c, Reader *r, guint32 n_notes)
{
  for (guint32 i = 0; i < n_notes; i++)
    {
      const guint8 *q, *text;
      if (!take (r, 16, &q))
        return "it is cut off";
      BpCacheNoteKey k = { le32 (q), le64 (q + 4) };
      guint32 len = le32 (q + 12);
      if ((k.commit >= c->oids->len && k.commit != BP_CACHE_NONE) || !take (r, len, &text) || memchr (text, 0, len))
        return "a note is out of range";
      g_hash_table_insert (c->notes, g_memdup2 (&k, sizeof k), g_strndup ((const char *) text, len));
    }
  return r->p == r->end ? NULL : "it has trailing bytes";
}

static const char *
parse_extras (BpStatusCache *c, Reader *r, guint32 n_touches, guint32 n_pids)
{
  const guint8 *touches, *pids;
  guint32 n = c->oids->len;
  if (!take (r, (gsize) n_touches * TOUCH_LEN, &touches) || !take (r, (gsize) n_pids * PID_LEN, &pids))
    return "it is cut off";
  for (guint32 i = 0; i < n_touches; i++)
    {
      const guint8 *q = touches + (gsize) i * TOUCH_LEN;
      guint32 commit = le32 (q), section = le32 (q + 4), hash = le32 (q + 8);
      if (commit >= n || section >= BP_CACHE_SECTIONS || hash == 0)
        return "a touch record is out of range";
      g_hash_table_insert (c->touches, key_new ((guint64) commit << 3 | section), GUINT_TO_POINTER (hash));
    }
  for (guint32 i = 0; i < n_pids; i++)
    {
      const guint8 *q = pids + (gsize) i * PID_LEN;
      guint32 commit = le32 (q), reverse = le32 (q + 4);
      if (commit >= n || reverse > 1)
        return "a patch-id record is out of range";
      git_oid *pid = g_new (git_oid, 1);
      git_oid_fromraw (pid, q + 8);
      g_hash_table_insert (c->pids, key_new ((guint64) commit << 1 | reverse), pid);
    }
  return NULL;
}

static const char *
parse (BpStatusCache *c, const guint8 *data, gsize len)
{
  if (len < 8 + 32 + 4 || memcmp (data, MAGIC, 8) != 0)
    return "it is not a status index";
  if (crc32 (0, data, (uInt) (len - 4)) != le32 (data + len - 4))
    return "its checksum does not match";
  Reader r = { data + 8, data + len - 4 };
  const guint8 *h;
  take (&r, 32, &h);
  if (le32 (h) != VERSION)
    return "it was written by another version";
  guint32 n = le32 (h + 4), n_links = le32 (h + 8), n_parents = le32 (h + 12);
  guint32 n_touches = le32 (h + 16), n_pids = le32 (h + 20), n_notes = le32 (h + 24), path_len = le32 (h + 28);
  const guint8 *path, *sections;
  if (!take (&r, path_len, &path) || !take (&r, BP_CACHE_SECTIONS * 16, &sections))
    return "it is cut off";
  for (guint s = 0; s < BP_CACHE_SECTIONS; s++)
    {
      c->sections[s].fingerprint = le64 (sections + s * 16);
      c->sections[s].last_used = (gint64) le64 (sections + s * 16 + 8);
    }
  const char *why = parse_commits (c, &r, n, n_links, n_parents);
  if (why == NULL)
    why = parse_extras (c, &r, n_touches, n_pids);
  return why ? why : parse_notes (c, &r, n_notes);
}

BpStatusCache *
bp_status_cache_load (const char *file, const char *repo_path, char **note)
{
  *note = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  /* QEMU's whole history makes a 6 MiB index: 512 MiB is no index of ours */
  if ((data = bp_read_file_limited (file, 512 * 1024 * 1024, TRUE, &len, NULL, &error)) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
        *note = g_strdup_printf ("status index %s cannot be read (%s): rebuilding it", file, error->message);
      return cache_new (file, repo_path);
    }
  BpStatusCache *c = cache_new (file, repo_path);
  const char *why = parse (c, (const guint8 *) data, len);
  if (why == NULL)
    return c;
  bp_status_cache_free (c);
  *note = g_strdup_printf ("status index %s is corrupt (%s): not used, rebuilding it", file, why);
  c = cache_new (file, repo_path);
  c->dirty = TRUE;   /* replace the bad file even if nothing new is found */
  return c;
}

/* ---------------------------------------------------------------- lookups */

guint32
bp_status_cache_size (const BpStatusCache *c)
{
  return c->oids->len;
}

static guint32
tail_hash (const git_oid *oid)
{
  guint32 h;
  memcpy (&h, oid->id, sizeof h);
  return h;
}

guint32
bp_status_cache_find (const BpStatusCache *c, const git_oid *oid)
{
  guint32 lo = 0, hi = c->n_sorted;
  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;
      int cmp = git_oid_cmp (&g_array_index (c->oids, git_oid, mid), oid);
      if (cmp == 0)
        return mid;
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (c->cap == 0)
    return BP_CACHE_NONE;
  for (guint32 j = tail_hash (oid) & (c->cap - 1); c->slots[j]; j = (j + 1) & (c->cap - 1))
    if (git_oid_equal (&g_array_index (c->oids, git_oid, c->slots[j] - 1), oid))
      return c->slots[j] - 1;
  return BP_CACHE_NONE;
}

static void
tail_insert (BpStatusCache *c, guint32 index)
{
  guint32 j = tail_hash (&g_array_index (c->oids, git_oid, index)) & (c->cap - 1);
  while (c->slots[j])
    j = (j + 1) & (c->cap - 1);
  c->slots[j] = index + 1;
}

guint32
bp_status_cache_add (BpStatusCache *c, const git_oid *oid)
{
  guint32 found = bp_status_cache_find (c, oid);
  if (found != BP_CACHE_NONE)
    return found;
  guint32 tail = c->oids->len - c->n_sorted;
  if ((tail + 1) * 2 > c->cap)
    {
      g_free (c->slots);
      c->cap = c->cap ? c->cap * 2 : 1 << 10;
      c->slots = g_new0 (guint32, c->cap);
      for (guint32 i = c->n_sorted; i < c->oids->len; i++)
        tail_insert (c, i);
    }
  g_array_append_val (c->oids, *oid);
  g_array_set_size (c->commits, c->oids->len);
  tail_insert (c, c->oids->len - 1);
  c->dirty = TRUE;
  return c->oids->len - 1;
}

const git_oid *
bp_status_cache_oid (const BpStatusCache *c, guint32 index)
{
  return &g_array_index (c->oids, git_oid, index);
}

BpCacheCommit *
bp_status_cache_commit (const BpStatusCache *c, guint32 index)
{
  return &g_array_index (c->commits, BpCacheCommit, index);
}

void
bp_status_cache_set_facts (BpStatusCache *c, guint32 index, gint64 author_time, guint32 subject_hash,
                           const BpCacheLink *links, guint n_links)
{
  BpCacheCommit *cc = bp_status_cache_commit (c, index);
  cc->author_time = author_time;
  cc->subject_hash = subject_hash;
  cc->first_link = c->links->len;
  cc->n_links = (guint16) MIN (n_links, G_MAXUINT16);
  if (links)
    g_array_append_vals (c->links, links, cc->n_links);
  cc->flags |= BP_FACT_READ;
  c->dirty = TRUE;
}

void
bp_status_cache_set_parents (BpStatusCache *c, guint32 index, const guint32 *parents, guint n)
{
  BpCacheCommit *cc = bp_status_cache_commit (c, index);
  cc->first_parent = c->parents->len;
  cc->n_parents = (guint16) MIN (n, G_MAXUINT16);
  g_array_append_vals (c->parents, parents, cc->n_parents);
  cc->flags |= BP_FACT_PARENTS;
  c->dirty = TRUE;
}

guint
bp_status_cache_section (BpStatusCache *c, guint64 fingerprint)
{
  fingerprint |= 1;   /* 0 marks a free slot */
  for (guint s = 0; s < BP_CACHE_SECTIONS; s++)
    if (c->sections[s].fingerprint == fingerprint)
      {
        c->sections[s].last_used = g_get_real_time () / G_USEC_PER_SEC;
        return s;
      }
  /* a free slot, else the least recently used one */
  guint pick = 0;
  for (guint s = 1; s < BP_CACHE_SECTIONS; s++)
    if (c->sections[pick].fingerprint
        && (!c->sections[s].fingerprint || c->sections[s].last_used < c->sections[pick].last_used))
      pick = s;
  /* take over PICK: what was examined for its old path set no longer holds */
  for (guint32 i = 0; i < c->commits->len; i++)
    g_array_index (c->commits, BpCacheCommit, i).examined &= (guint8) ~(1u << pick);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, c->touches);
  while (g_hash_table_iter_next (&it, &key, NULL))
    if ((*(gint64 *) key & 7) == pick)
      g_hash_table_iter_remove (&it);
  c->sections[pick].fingerprint = fingerprint;
  c->sections[pick].last_used = g_get_real_time () / G_USEC_PER_SEC;
  c->dirty = TRUE;
  return pick;
}

void
bp_status_cache_set_touch (BpStatusCache *c, guint32 index, guint section, guint32 files_hash)
{
  bp_status_cache_commit (c, index)->examined |= (guint8) (1u << section);
  if (files_hash)
    g_hash_table_insert (c->touches, key_new ((guint64) index << 3 | section), GUINT_TO_POINTER (files_hash));
  c->dirty = TRUE;
}

guint32
bp_status_cache_touch (const BpStatusCache *c, guint32 index, guint section)
{
  gint64 key = (gint64) ((guint64) index << 3 | section);
  return GPOINTER_TO_UINT (g_hash_table_lookup (c->touches, &key));
}

const git_oid *
bp_status_cache_pid (const BpStatusCache *c, guint32 index, gboolean reverse)
{
  gint64 key = (gint64) ((guint64) index << 1 | (reverse ? 1 : 0));
  return g_hash_table_lookup (c->pids, &key);
}

void
bp_status_cache_set_pid (BpStatusCache *c, guint32 index, gboolean reverse, const git_oid *pid)
{
  g_hash_table_insert (c->pids, key_new ((guint64) index << 1 | (reverse ? 1 : 0)), g_memdup2 (pid, sizeof *pid));
  c->dirty = TRUE;
}

const char *
bp_status_cache_note (const BpStatusCache *c, guint32 index, guint64 key)
{
  BpCacheNoteKey k = { index, key };
  return g_hash_table_lookup (c->notes, &k);
}

void
bp_status_cache_set_note (BpStatusCache *c, guint32 index, guint64 key, const char *text)
{
  const char *old = bp_status_cache_note (c, index, key);
  if (old && strcmp (old, text) == 0)
    return;
  BpCacheNoteKey k = { index, key };
  g_hash_table_insert (c->notes, g_memdup2 (&k, sizeof k), g_strdup (text));
  c->dirty = TRUE;
}
