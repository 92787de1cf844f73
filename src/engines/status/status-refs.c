/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The refs a scan looks at.
 *
 * A pattern with glob characters matches full names (refs/tags/v10.*) and
 * short ones (v10.*, stable-*, and origin/ with a star for remote-tracking
 * branches).  A name without them is resolved to one ref, a local branch
 * first, then a tag, then a remote-tracking branch: `--refs stable-10.1` is
 * refs/heads/stable-10.1 when there is one, never origin/stable-10.1 as
 * well.  Anything else is a revision (a commit id, HEAD~3).  The defaults
 * are release tags and the stable, staging and main branches, local and
 * remote-tracking. */
#include <string.h>

#include "base/history-git.h"
#include "engines/status/status-scan.h"

static gboolean
has_glob (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

static const char *
short_name (const char *refname, const char **kind)
{
  static const struct { const char *prefix, *kind; } kinds[] = {
    { "refs/tags/", "tag" }, { "refs/heads/", "branch" }, { "refs/remotes/", "remote" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_has_prefix (refname, kinds[i].prefix))
      {
        *kind = kinds[i].kind;
        return refname + strlen (kinds[i].prefix);
      }
  *kind = "ref";
  return refname;
}

/* The commit REF names, without reading an object when git already says:
 * a direct ref to a commit of the commit-graph or of the status index, or a
 * packed tag with its peeled id.  Else peeled through the object store. */
static int
peel (BpScan *s, git_reference *ref, git_oid *out)
{
  const git_oid *target = git_reference_target (ref), *peeled = git_reference_target_peel (ref);
  guint32 pos, ci;
  if (peeled)
    target = peeled;
  if (target && ((s->cg && bp_commit_graph_lookup (s->cg, target, &pos))
                 || ((ci = bp_status_cache_find (s->cache, target)) != BP_CACHE_NONE
                     && (bp_status_cache_commit (s->cache, ci)->flags & BP_FACT_READ))))
    {
      git_oid_cpy (out, target);
      return 0;
    }
  /* an annotated tag (a chain of them, at most a few): "object <id>" lines */
  git_oid id;
  git_oid_cpy (&id, target ? target : &(git_oid) { { 0 } });
  for (guint depth = 0; target && depth < 8; depth++)
    {
      git_object_t type = GIT_OBJECT_INVALID;
      gsize len = 0;
      g_autofree char *data = (char *) bp_commit_reader_object (s->reader, &id, &type, &len);
      if (data == NULL)
        return GIT_ENOTFOUND;
      if (type == GIT_OBJECT_COMMIT)
        {
          git_oid_cpy (out, &id);
          return 0;
        }
      if (type != GIT_OBJECT_TAG || len < 7 + GIT_OID_HEXSZ || memcmp (data, "object ", 7) != 0
          || git_oid_fromstrn (&id, data + 7, GIT_OID_HEXSZ) < 0)
        return GIT_EINVALIDSPEC;   /* a tag of a tree or a blob: no commit */
    }
  g_autoptr(git_object) obj = NULL;
  int rc = git_reference_peel (&obj, ref, GIT_OBJECT_COMMIT);   /* symbolic, or deeper */
  if (rc == 0)
    git_oid_cpy (out, git_object_id (obj));
  return rc;
}

/* Add REFNAME (peeled to a commit) unless it is there already.  A ref that
 * peels to no commit is skipped when SKIP_ODD (the defaults), else an error. */
static gboolean
add_ref (BpScan *s, git_reference *ref, gboolean skip_odd, GError **error)
{
  const char *refname = git_reference_name (ref);
  for (guint i = 0; i < s->refs->len; i++)
    if (g_strcmp0 (g_array_index (s->refs, BpScanRef, i).refname, refname) == 0)
      return TRUE;
  git_oid commit;
  int rc = peel (s, ref, &commit);
  if (rc == GIT_ENOTFOUND)
    return bp_scan_git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT,
                             "%s: the object %s points to is missing (the repository is incomplete: "
                             "fetch it again, or run `git fsck`)", s->path, refname);
  if (rc < 0)
    return skip_odd ? TRUE
                    : bp_scan_git_fail (error, BP_HISTORY_ERROR_UNKNOWN_REF, "%s: ref %s does not name a commit",
                                        s->path, refname);
  const char *kind;
  BpScanRef sr = { .name = g_strdup (short_name (refname, &kind)), .refname = g_strdup (refname),
                   .node = BP_NODE_NONE };
  sr.kind = g_strdup (kind);
  git_oid_cpy (&sr.oid, &commit);
  g_array_append_val (s->refs, sr);
  return TRUE;
}

static GPtrArray *
list_refnames (BpScan *s, GError **error)
{
  g_autoptr(git_reference_iterator) it = NULL;
  if (git_reference_iterator_new (&it, s->repo) < 0)
    {
      bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot list refs", s->path);
      return NULL;
    }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  int rc;
  while ((rc = git_reference_next_name (&name, it)) == 0)
    if (!g_str_has_suffix (name, "/HEAD"))
      g_ptr_array_add (names, g_strdup (name));
  if (rc != GIT_ITEROVER)
    {
      bp_scan_git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot list refs", s->path);
      return NULL;
    }
  return g_steal_pointer (&names);
}

/* Every ref whose full or short name matches GLOB; how many. */
static gboolean
add_glob (BpScan *s, GPtrArray *names, const char *glob, gboolean defaults, guint *n, GError **error)
{
  g_autoptr(GPatternSpec) spec = g_pattern_spec_new (glob);
  for (guint i = 0; i < names->len; i++)
    {
      const char *refname = g_ptr_array_index (names, i), *kind;
      const char *shortname = short_name (refname, &kind);
      if (!g_pattern_spec_match_string (spec, refname) && !g_pattern_spec_match_string (spec, shortname))
        continue;
      /* the default "v*" means release tags: v10.1.0, not a pull-request tag */
      if (defaults && strcmp (kind, "tag") == 0 && !(shortname[0] == 'v' && g_ascii_isdigit (shortname[1])))
        continue;
      g_autoptr(git_reference) ref = NULL;
      if (git_reference_lookup (&ref, s->repo, refname) < 0)
        continue;   /* gone since it was listed */
      guint before = s->refs->len;
      if (!add_ref (s, ref, defaults, error))
        return FALSE;
      *n += s->refs->len > before || !defaults;
    }
  return TRUE;
}

/* NAME as git's rev-parse would take it, but a branch before a tag: the
 * first of NAME (a full name), refs/heads/NAME, refs/tags/NAME,
 * refs/remotes/NAME, refs/remotes/NAME/HEAD; else a revision. */
static gboolean
add_name (BpScan *s, const char *name, GError **error)
{
  const char *const forms[] = { "%s", "refs/heads/%s", "refs/tags/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD" };
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      if (i == 0 && !g_str_has_prefix (name, "refs/"))
        continue;
      g_autofree char *full = g_strdup_printf (forms[i], name);
      g_autoptr(git_reference) ref = NULL, resolved = NULL;
      if (git_reference_lookup (&ref, s->repo, full) < 0 || git_reference_resolve (&resolved, ref) < 0)
        continue;
      return add_ref (s, resolved, FALSE, error);
    }
  g_autoptr(git_object) obj = NULL;
  g_autoptr(git_object) peeled = NULL;
  if (git_revparse_single (&obj, s->repo, name) < 0 || git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) < 0)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_UNKNOWN_REF,
                   "%s: unknown ref '%s' (no branch, tag or revision matches it; "
                   "`git -C %s tag -l` and `git -C %s branch -a` list them)", s->path, name, s->path, s->path);
      return FALSE;
    }
  BpScanRef sr = { .name = g_strdup (name), .kind = g_strdup ("commit"), .node = BP_NODE_NONE };
  git_oid_cpy (&sr.oid, git_object_id (peeled));
  g_array_append_val (s->refs, sr);
  return TRUE;
}

gboolean
bp_status_collect_refs (BpScan *s, const char *const *patterns, GError **error)
{
  gboolean defaults = patterns == NULL || patterns[0] == NULL;
  if (defaults)
    patterns = bp_history_default_patterns;
  g_autoptr(GPtrArray) names = list_refnames (s, error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; patterns[i]; i++)
    {
      guint n = 0;
      if (!has_glob (patterns[i]) && !defaults)
        {
          if (!add_name (s, patterns[i], error))
            return FALSE;
          continue;
        }
      if (!add_glob (s, names, patterns[i], defaults, &n, error))
        return FALSE;
      if (n == 0 && !defaults)
        {
          g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_UNKNOWN_REF,
                       "%s: no ref matches '%s' (`git -C %s tag -l` and `git -C %s branch -a` list them)",
                       s->path, patterns[i], s->path, s->path);
          return FALSE;
        }
    }
  if (s->refs->len == 0)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NO_REFS,
                   "%s has no refs to scan (no v* tags, stable-*/staging-* branches, master or main)",
                   s->path);
      return FALSE;
    }
  return TRUE;
}
