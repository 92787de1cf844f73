/* SPDX-License-Identifier: GPL-2.0-or-later */
/* git's stable patch-id, written from its documented behaviour
 * (git-patch-id(1)) and checked against `git patch-id --stable`:
 *
 * - everything before the first "diff " line (message, diffstat) is ignored;
 * - "index" lines, hunk headers ("@@ ... @@") and "\ No newline" lines are
 *   not hashed; every other line of the patch is hashed with all its
 *   whitespace removed;
 * - --stable: each file's part is hashed on its own and the 20-byte digests
 *   are added together (byte-wise with carry), so file order does not count;
 * - the patch ends where a line is neither a hunk line, a hunk header nor
 *   the next "diff " (e.g. the "-- " signature of a mail). */
#include <ctype.h>
#include <string.h>

#include "base/history-git.h"
#include "model/patch-id.h"
#include "base/bp-git.h"

G_DEFINE_QUARK (bp-patch-id-error-quark, bp_patch_id_error)

typedef struct {
  GChecksum *sum;
  guint8 result[GIT_OID_RAWSZ];
} PatchIdState;

/* Finish the current file's digest and add it into the result. */
static void
flush_one (PatchIdState *st)
{
  guint8 digest[GIT_OID_RAWSZ];
  gsize digest_len = sizeof digest;
  g_checksum_get_digest (st->sum, digest, &digest_len);
  g_checksum_reset (st->sum);
  guint carry = 0;
  for (guint i = 0; i < GIT_OID_RAWSZ; i++)
    {
      carry += st->result[i] + digest[i];
      st->result[i] = (guint8) carry;
      carry >>= 8;
    }
}

static gboolean
starts_with (const char *line, gsize len, const char *prefix)
{
  gsize n = strlen (prefix);
  return len >= n && memcmp (line, prefix, n) == 0;
}

/* A line "commit <hex>", "From <hex>", "diff-tree <hex>" or "<hex>" starts a
 * new patch in git's input format. */
static gboolean
is_patch_header (const char *line, gsize len)
{
  static const char *const prefixes[] = { "diff-tree ", "commit ", "From ", "" };
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      gsize n = strlen (prefixes[i]);
      if (!starts_with (line, len, prefixes[i]))
        continue;
      if (len - n < GIT_OID_HEXSZ)
        return FALSE;
      for (guint k = 0; k < GIT_OID_HEXSZ; k++)
        if (!g_ascii_isxdigit (line[n + k]))
          return FALSE;
      return TRUE;
    }
  return FALSE;
}

/* "@@ -a[,b] +c[,d] @@": the counts b and d (1 when absent). */
static gboolean
scan_hunk_header (const char *line, gsize len, int *before, int *after)
{
  g_autofree char *copy = g_strndup (line, len);
  const char *q = copy + 4;
  gsize n = strspn (q, "0123456789");
  if (q[n] == ',')
    {
      q += n + 1;
      *before = atoi (q);
      n = strspn (q, "0123456789");
    }
  else
    *before = 1;
  if (n == 0 || q[n] != ' ' || q[n + 1] != '+')
    return FALSE;
  const char *r = q + n + 2;
  n = strspn (r, "0123456789");
  if (r[n] == ',')
    {
      r += n + 1;
      *after = atoi (r);
      n = strspn (r, "0123456789");
    }
  else
    *after = 1;
  return n != 0;
}

static gsize
hash_without_space (GChecksum *sum, const char *line, gsize len)
{
  char buf[256];
  gsize fill = 0, total = 0;
  for (gsize i = 0; i < len; i++)
    {
      if (g_ascii_isspace (line[i]))
        continue;
      buf[fill++] = line[i];
      total++;
      if (fill == sizeof buf)
        {
          g_checksum_update (sum, (const guchar *) buf, (gssize) fill);
          fill = 0;
        }
    }
  if (fill)
    g_checksum_update (sum, (const guchar *) buf, (gssize) fill);
  return total;
}

gboolean
bp_patch_id_from_text (const char *text, gsize len, git_oid *out, GError **error)
{
  PatchIdState st = { .sum = g_checksum_new (G_CHECKSUM_SHA1) };
  gsize patchlen = 0;
  int before = -1, after = -1;
  gboolean binary = FALSE;

  const char *p = text, *end = text + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      gsize llen = nl ? (gsize) (nl - p) + 1 : (gsize) (end - p);
      const char *line = p;
      p += llen;

      /* "\ No newline at end of file" is not part of the change. */
      if (starts_with (line, llen, "\\ ") && llen > 12)
        continue;
      if (is_patch_header (line, llen))
        {
          if (patchlen == 0)
            continue;
          break;
        }
      /* The commit message and anything else before the diff. */
      if (patchlen == 0 && !starts_with (line, llen, "diff "))
        continue;

      if (before == -1)
        {
          if (starts_with (line, llen, "GIT binary patch") || starts_with (line, llen, "Binary files"))
            {
              /* git hashes the blob ids of a binary change; we have no use
               * for binary patches (patch.c refuses them), so hash the line. */
              binary = TRUE;
              before = 0;
              hash_without_space (st.sum, line, llen);
              flush_one (&st);
              continue;
            }
          else if (starts_with (line, llen, "index "))
            continue;
          else if (starts_with (line, llen, "--- "))
            before = after = 1;
          else if (!g_ascii_isalpha (line[0]))
            break;
        }

      if (binary)
        {
          if (starts_with (line, llen, "diff "))
            {
              binary = FALSE;
              before = -1;
            }
          continue;
        }

      if (before == 0 && after == 0)
        {
          if (starts_with (line, llen, "@@ -"))
            {
              if (!scan_hunk_header (line, llen, &before, &after))
                before = after = 0;
              continue;
            }
          if (!starts_with (line, llen, "diff "))
            break;
          /* the next file: its own digest */
          flush_one (&st);
          before = after = -1;
        }

      if (line[0] == '-' || line[0] == ' ')
        before--;
      if (line[0] == '+' || line[0] == ' ')
        after--;
      patchlen += hash_without_space (st.sum, line, llen);
    }

  if (patchlen == 0)
    {
      g_checksum_free (st.sum);
      g_set_error_literal (error, BP_PATCH_ID_ERROR, BP_PATCH_ID_ERROR_EMPTY, "no diff to hash");
      return FALSE;
    }
  flush_one (&st);
  g_checksum_free (st.sum);
  git_oid_fromraw (out, st.result);
  return TRUE;
}

gboolean
bp_patch_id_from_patch (const BpPatch *patch, git_oid *out, GError **error)
{
  if (patch->diff == NULL)
    {
      g_set_error (error, BP_PATCH_ID_ERROR, BP_PATCH_ID_ERROR_EMPTY, "%s: no diff to hash",
                   patch->source ? patch->source : "patch");
      return FALSE;
    }
  return bp_patch_id_from_text (patch->diff, strlen (patch->diff), out, error);
}

static gboolean
git_fail (GError **error, const char *what)
{
  return bp_git_error (error, BP_PATCH_ID_ERROR, BP_PATCH_ID_ERROR_GIT, what);
}

gboolean
bp_patch_id_from_git_diff (git_diff *diff, git_oid *out, GError **error)
{
  git_buf buf = GIT_BUF_INIT;
  if (git_diff_to_buf (&buf, diff, GIT_DIFF_FORMAT_PATCH) < 0)
    return git_fail (error, "printing a diff");
  gboolean ok = bp_patch_id_from_text (buf.ptr, buf.size, out, error);
  git_buf_dispose (&buf);
  return ok;
}

/* The patch-id of COMMIT_ID against its first parent, or of the reverse. */
static gboolean
commit_patch_id (git_repository *repo, const git_oid *commit_id, gboolean reverse,
                 git_oid *out, GError **error)
{
  g_autoptr(git_commit) commit = NULL;
  if (git_commit_lookup (&commit, repo, commit_id) < 0)
    return git_fail (error, "reading a commit");
  if (git_commit_parentcount (commit) > 1)
    {
      g_set_error_literal (error, BP_PATCH_ID_ERROR, BP_PATCH_ID_ERROR_EMPTY,
                           "a merge commit has no patch-id");
      return FALSE;
    }
  g_autoptr(git_tree) tree = NULL;
  g_autoptr(git_tree) parent_tree = NULL;
  g_autoptr(git_commit) parent = NULL;
  if (git_commit_tree (&tree, commit) < 0)
    return git_fail (error, "reading a commit's tree");
  if (git_commit_parentcount (commit) == 1
      && (git_commit_parent (&parent, commit, 0) < 0 || git_commit_tree (&parent_tree, parent) < 0))
    return git_fail (error, "reading a commit's parent");

  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.flags = GIT_DIFF_INDENT_HEURISTIC;
  g_autoptr(git_diff) diff = NULL;
  if (git_diff_tree_to_tree (&diff, repo, reverse ? tree : parent_tree, reverse ? parent_tree : tree, &opts) < 0)
    return git_fail (error, "diffing a commit");
  git_diff_find_options fopts = GIT_DIFF_FIND_OPTIONS_INIT;
  fopts.flags = GIT_DIFF_FIND_RENAMES;
  if (git_diff_find_similar (diff, &fopts) < 0)
    return git_fail (error, "finding renames");
  return bp_patch_id_from_git_diff (diff, out, error);
}

gboolean
bp_patch_id_from_commit (git_repository *repo, const git_oid *commit_id,
                         git_oid *out, GError **error)
{
  return commit_patch_id (repo, commit_id, FALSE, out, error);
}

gboolean
bp_patch_id_from_commit_reverse (git_repository *repo, const git_oid *commit_id,
                                 git_oid *out, GError **error)
{
  return commit_patch_id (repo, commit_id, TRUE, out, error);
}
