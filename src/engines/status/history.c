/* SPDX-License-Identifier: GPL-2.0-or-later */
/* history: culprit and fix presence per ref, in one pass over the graph. */
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "base/history-git.h"
#include "engines/status/history.h"

#include "model/c-source.h"
#include "model/patch-id.h"
#include "base/transaction.h"

G_DEFINE_QUARK (bp-history-error-quark, bp_history_error)

const char *const bp_history_default_patterns[] = {
  "refs/tags/v*",
  "refs/heads/stable-*", "refs/heads/staging-*", "refs/heads/master", "refs/heads/main",
  "refs/remotes/*/stable-*", "refs/remotes/*/staging-*", "refs/remotes/*/master", "refs/remotes/*/main",
  NULL,
};

const char *
bp_status_verdict_to_string (BpStatusVerdict verdict)
{
  switch (verdict)
    {
    case BP_STATUS_NOT_AFFECTED: return "not-affected";
    case BP_STATUS_AFFECTED: return "affected";
    case BP_STATUS_FIXED: return "fixed";
    case BP_STATUS_UNKNOWN: return "unknown";
    }
  return "unknown";
}

const char *
bp_probe_state_to_string (BpProbeState state)
{
  switch (state)
    {
    case BP_PROBE_ABSENT: return "absent";
    case BP_PROBE_CLEAN: return "clean";
    case BP_PROBE_BUGGY: return "buggy";
    case BP_PROBE_FIXED: return "fixed";
    }
  return "absent";
}

static void
evidence_free (BpEvidence *e)
{
  g_free (e->how);
  g_free (e->commit);
  g_free (e->subject);
  g_free (e->detail);
  g_free (e->first_tag);
  g_free (e);
}

static BpEvidence *
evidence_new (const char *how, const char *commit, const char *subject, const char *detail,
              const char *first_tag)
{
  BpEvidence *e = g_new0 (BpEvidence, 1);
  e->how = g_strdup (how);
  e->commit = g_strdup (commit);
  e->subject = g_strdup (subject);
  e->detail = g_strdup (detail);
  e->first_tag = g_strdup (first_tag);
  return e;
}

static void
ref_status_free (BpRefStatus *r)
{
  g_free (r->name);
  g_free (r->refname);
  g_free (r->kind);
  g_free (r->commit);
  g_free (r->version);
  g_ptr_array_unref (r->culprit_evidence);
  g_ptr_array_unref (r->fix_evidence);
  g_free (r->probe.file);
  g_free (r->probe.detail);
  g_free (r->fixed_by);
  g_free (r->why);
  g_free (r);
}

static BpRefStatus *
ref_status_new (void)
{
  BpRefStatus *r = g_new0 (BpRefStatus, 1);
  r->culprit_evidence = g_ptr_array_new_with_free_func ((GDestroyNotify) evidence_free);
  r->fix_evidence = g_ptr_array_new_with_free_func ((GDestroyNotify) evidence_free);
  return r;
}

void
bp_status_report_free (BpStatusReport *report)
{
  if (report == NULL)
    return;
  g_free (report->path);
  g_free (report->history_note);
  g_free (report->culprit_first_tag);
  g_free (report->fix_first_tag);
  g_clear_pointer (&report->refs, g_ptr_array_unref);
  g_free (report);
}

static BpStatusReport *
report_new (const char *path)
{
  BpStatusReport *report = g_new0 (BpStatusReport, 1);
  report->path = g_strdup (path);
  report->refs = g_ptr_array_new_with_free_func ((GDestroyNotify) ref_status_free);
  return report;
}

/* ------------------------------------------------------------------ probe */

/* The body ("{...}") of the definition of NAME in TEXT, or FALSE (the
 * shared finder of c-source.c: prototypes, calls and strings do not count). */
static gboolean
find_function (const char *text, gsize len, const char *name, const char **body, gsize *body_len)
{
  BpCDefinition def;
  if (bp_c_find_definition (text, len, name, &def) != 1)
    return FALSE;
  *body = text + def.body_start;
  *body_len = def.end - def.body_start;
  return TRUE;
}

/* NAME called in TEXT (NAME followed by "("), as a whole word. */
static gboolean
calls (const char *text, gsize len, const char *name)
{
  const char *end = text + len;
  gsize nlen = strlen (name);
  for (const char *p = text; p < end; p++)
    {
      p = g_strstr_len (p, end - p, name);
      if (p == NULL)
        return FALSE;
      if (p > text && (g_ascii_isalnum (p[-1]) || p[-1] == '_'))
        continue;
      const char *q = p + nlen;
      while (q < end && g_ascii_isspace (*q))
        q++;
      if (q < end && *q == '(')
        return TRUE;
    }
  return FALSE;
}

/* NAME in TEXT as a whole word (not inside a longer identifier). */
static gboolean
has_word (const char *text, gsize len, const char *name)
{
  const char *end = text + len;
  gsize nlen = strlen (name);
  for (const char *p = text; p < end; p++)
    {
      p = g_strstr_len (p, end - p, name);
      if (p == NULL)
        return FALSE;
      gboolean left = p == text || !(g_ascii_isalnum (p[-1]) || p[-1] == '_');
      gboolean right = p + nlen >= end || !(g_ascii_isalnum (p[nlen]) || p[nlen] == '_');
      if (left && right)
        return TRUE;
    }
  return FALSE;
}

#define SHARED_CHECK "qemu_ram_is_shared"

BpProbeState
bp_history_probe_text (const char *text, gsize len, const BpFixPack *pack, char **detail)
{
  const char *function = pack->function ? pack->function : "vfio_container_dma_map";
  const char *helper = pack->helper ? pack->helper : "vfio_container_can_dma_map_file";
  const char *pattern = pack->bug_pattern ? pack->bug_pattern : "dma_map_file";
  const char *body;
  gsize body_len;
  if (!find_function (text, len, function, &body, &body_len))
    {
      *detail = g_strdup_printf ("no definition of %s()", function);
      return BP_PROBE_ABSENT;
    }
  if (has_word (body, body_len, SHARED_CHECK))
    {
      *detail = g_strdup_printf ("%s() checks %s() itself", function, SHARED_CHECK);
      return BP_PROBE_FIXED;
    }
  if (calls (body, body_len, helper))
    {
      const char *hbody;
      gsize hlen;
      if (find_function (text, len, helper, &hbody, &hlen) && has_word (hbody, hlen, SHARED_CHECK))
        {
          *detail = g_strdup_printf ("%s() maps by file only when %s() says so (%s)", function,
                                     helper, SHARED_CHECK);
          return BP_PROBE_FIXED;
        }
      *detail = g_strdup_printf ("%s() calls %s(), which has no %s() check", function, helper,
                                 SHARED_CHECK);
      return BP_PROBE_BUGGY;
    }
  if (has_word (body, body_len, pattern))
    {
      *detail = g_strdup_printf ("%s() maps by file (%s) without a shared-RAM check", function,
                                 pattern);
      return BP_PROBE_BUGGY;
    }
  *detail = g_strdup_printf ("%s() has no by-file branch (%s)", function, pattern);
  return BP_PROBE_CLEAN;
}

/* The files a probe looks in, the line's own first: the function moved
 * (container-base.c -> container.c in 10.2), and on 10.1 container.c is
 * another file, so the first file that defines the function wins. */
static GPtrArray *
probe_files (const BpFixPack *pack, const BpFixLine *line)
{
  GPtrArray *files = g_ptr_array_new ();
  if (line && line->file)
    g_ptr_array_add (files, line->file);
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *l = g_ptr_array_index (pack->lines, i);
      gboolean seen = FALSE;
      for (guint k = 0; k < files->len; k++)
        seen |= l->file && g_strcmp0 (g_ptr_array_index (files, k), l->file) == 0;
      if (l->file && !seen)
        g_ptr_array_add (files, l->file);
    }
  return files;
}

/* ---------------------------------------------------------- version order */

/* "v10.1.0-rc2" -> comparable numbers; a release sorts after its rcs. */
static void
version_key (const char *v, gint64 key[4])
{
  key[0] = key[1] = key[2] = -1;
  key[3] = G_MAXINT64;
  if (v == NULL)
    return;
  if (*v == 'v')
    v++;
  char *endp;
  for (int i = 0; i < 3; i++)
    {
      if (!g_ascii_isdigit (*v))
        return;
      key[i] = g_ascii_strtoll (v, &endp, 10);
      v = endp;
      if (*v == '.')
        v++;
      else
        break;
    }
  const char *rc = strstr (v, "rc");
  if (rc && g_ascii_isdigit (rc[2]))
    key[3] = g_ascii_strtoll (rc + 2, NULL, 10);
}

static int
version_cmp (const char *a, const char *b)
{
  gint64 ka[4], kb[4];
  version_key (a, ka);
  version_key (b, kb);
  for (int i = 0; i < 4; i++)
    if (ka[i] != kb[i])
      return ka[i] < kb[i] ? -1 : 1;
  return g_strcmp0 (a, b);
}

/* ------------------------------------------------------------ git helpers */

static gboolean
git_fail (GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
git_fail (GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  const git_error *e = git_error_last ();
  if (e && e->message)
    g_set_error (error, BP_HISTORY_ERROR, code, "%s: %s", msg, e->message);
  else
    g_set_error_literal (error, BP_HISTORY_ERROR, code, msg);
  return FALSE;
}

/* The blob at PATH in the tree of COMMIT; NULL (no error) when absent. */
static git_blob *
blob_at (git_repository *repo, const git_oid *commit_id, const char *path, GError **error)
{
  g_autoptr(git_commit) commit = NULL;
  g_autoptr(git_tree) tree = NULL;
  if (git_commit_lookup (&commit, repo, commit_id) < 0 || git_commit_tree (&tree, commit) < 0)
    {
      git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT, "cannot read the tree of %s",
                 git_oid_tostr_s (commit_id));
      return NULL;
    }
  g_autoptr(git_tree_entry) entry = NULL;
  if (git_tree_entry_bypath (&entry, tree, path) < 0 || git_tree_entry_type (entry) != GIT_OBJECT_BLOB)
    return NULL;
  git_blob *blob = NULL;
  if (git_blob_lookup (&blob, repo, git_tree_entry_id (entry)) < 0)
    {
      git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT, "blob %s (%s at %s) is missing",
                 git_oid_tostr_s (git_tree_entry_id (entry)), path, git_oid_tostr_s (commit_id));
      return NULL;
    }
  return blob;
}

/* ------------------------------------------------------------- the graph */

typedef struct {
  git_oid oid;
  git_oid tree;
  gint64 author_time;
  guint32 parents;    /* offset into Graph.parents */
  guint32 nparents;
} Node;

typedef struct {
  GArray *nodes;      /* Node */
  GArray *parents;    /* guint32 node indices */
  guint32 *slots;     /* open addressing: node index + 1, 0 empty */
  guint32 cap;
} Graph;

static guint32
oid_hash (const git_oid *oid)
{
  guint32 h;
  memcpy (&h, oid->id, sizeof h);
  return h;
}

/* Index of OID, adding it when ADD; G_MAXUINT32 when absent. */
static guint32
graph_find (Graph *g, const git_oid *oid, gboolean add, gboolean *added)
{
  if (add && (g->nodes->len + 1) * 2 > g->cap)
    {
      guint32 ncap = g->cap ? g->cap * 2 : 1 << 16;
      guint32 *ns = g_new0 (guint32, ncap);
      for (guint32 i = 0; i < g->cap; i++)
        if (g->slots[i])
          {
            const Node *n = &g_array_index (g->nodes, Node, g->slots[i] - 1);
            guint32 j = oid_hash (&n->oid) & (ncap - 1);
            while (ns[j])
              j = (j + 1) & (ncap - 1);
            ns[j] = g->slots[i];
          }
      g_free (g->slots);
      g->slots = ns;
      g->cap = ncap;
    }
  if (added)
    *added = FALSE;
  if (g->cap == 0)
    return G_MAXUINT32;
  guint32 j = oid_hash (oid) & (g->cap - 1);
  while (g->slots[j])
    {
      guint32 idx = g->slots[j] - 1;
      if (git_oid_equal (&g_array_index (g->nodes, Node, idx).oid, oid))
        return idx;
      j = (j + 1) & (g->cap - 1);
    }
  if (!add)
    return G_MAXUINT32;
  Node n = { .oid = *oid };
  g_array_append_val (g->nodes, n);
  g->slots[j] = g->nodes->len;
  if (added)
    *added = TRUE;
  return g->nodes->len - 1;
}

/* -------------------------------------------------- path oids per commit */

/* The probe paths as a small trie; each directory node memoises, per tree
 * id, the ids of the leaves below it (trees below the root are shared by
 * many commits, so most lookups never read an object). */
typedef struct PathNode {
  char *name;
  int leaf;                 /* index into the path vector, -1 for a directory */
  GPtrArray *children;      /* PathNode* */
  GHashTable *memo;         /* git_oid* -> git_oid[K] (directories below the root) */
} PathNode;

typedef struct {
  git_odb *odb;
  PathNode *root;
  guint k;                  /* number of paths */
  GPtrArray *paths;         /* char* */
} PathSet;

static guint
oid_ghash (gconstpointer p)
{
  return oid_hash (p);
}

static gboolean
oid_gequal (gconstpointer a, gconstpointer b)
{
  return git_oid_equal (a, b);
}

static PathNode *
path_node_new (const char *name, int leaf)
{
  PathNode *n = g_new0 (PathNode, 1);
  n->name = g_strdup (name);
  n->leaf = leaf;
  n->children = g_ptr_array_new ();
  if (leaf < 0)
    n->memo = g_hash_table_new_full (oid_ghash, oid_gequal, g_free, g_free);
  return n;
}

static void
path_node_free (PathNode *n)
{
  for (guint i = 0; i < n->children->len; i++)
    path_node_free (g_ptr_array_index (n->children, i));
  g_ptr_array_unref (n->children);
  if (n->memo)
    g_hash_table_unref (n->memo);
  g_free (n->name);
  g_free (n);
}

static void
path_set_add (PathSet *ps, const char *path)
{
  for (guint i = 0; i < ps->paths->len; i++)
    if (strcmp (g_ptr_array_index (ps->paths, i), path) == 0)
      return;
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);
  PathNode *cur = ps->root;
  for (guint i = 0; i < n; i++)
    {
      gboolean last = i + 1 == n;
      PathNode *next = NULL;
      for (guint c = 0; c < cur->children->len; c++)
        {
          PathNode *ch = g_ptr_array_index (cur->children, c);
          if (strcmp (ch->name, parts[i]) == 0 && (ch->leaf >= 0) == last)
            next = ch;
        }
      if (next == NULL)
        {
          next = path_node_new (parts[i], last ? (int) ps->k : -1);
          g_ptr_array_add (cur->children, next);
        }
      cur = next;
    }
  g_ptr_array_add (ps->paths, g_strdup (path));
  ps->k++;
}

/* Fill OUT[leaf] for the leaves below NODE, whose directory is TREE. */
static gboolean
path_resolve (PathSet *ps, PathNode *node, const git_oid *tree, git_oid *out, GError **error)
{
  if (node->memo)
    {
      const git_oid *hit = g_hash_table_lookup (node->memo, tree);
      if (hit)
        {
          for (guint i = 0; i < ps->k; i++)
            if (!git_oid_is_zero (&hit[i]))
              out[i] = hit[i];
          return TRUE;
        }
    }
  g_autoptr(git_odb_object) obj = NULL;
  if (git_odb_read (&obj, ps->odb, tree) < 0)
    return git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT, "tree %s is missing", git_oid_tostr_s (tree));
  g_autofree git_oid *local = g_new0 (git_oid, ps->k);
  const char *p = git_odb_object_data (obj);
  const char *end = p + git_odb_object_size (obj);
  /* entries: "<mode> <name>\0<20-byte id>" */
  while (p < end)
    {
      const char *sp = memchr (p, ' ', (gsize) (end - p));
      if (sp == NULL)
        break;
      const char *name = sp + 1;
      const char *nul = memchr (name, '\0', (gsize) (end - name));
      if (nul == NULL || nul + 1 + GIT_OID_RAWSZ > end)
        break;
      gboolean is_tree = (sp - p) == 5 && p[0] == '4';
      for (guint c = 0; c < node->children->len; c++)
        {
          PathNode *ch = g_ptr_array_index (node->children, c);
          if (strcmp (ch->name, name) != 0)
            continue;
          git_oid id;
          git_oid_fromraw (&id, (const unsigned char *) nul + 1);
          if (ch->leaf >= 0 && !is_tree)
            local[ch->leaf] = id;
          else if (ch->leaf < 0 && is_tree && !path_resolve (ps, ch, &id, local, error))
            return FALSE;
        }
      p = nul + 1 + GIT_OID_RAWSZ;
    }
  for (guint i = 0; i < ps->k; i++)
    if (!git_oid_is_zero (&local[i]))
      out[i] = local[i];
  if (node->memo)
    g_hash_table_insert (node->memo, g_memdup2 (tree, sizeof *tree), g_steal_pointer (&local));
  return TRUE;
}

/* ------------------------------------------------------------ the scan */

typedef struct {
  git_oid oid;                /* the special commit */
  gboolean culprit;           /* culprit-equivalent (else: a fix) */
  char *how;
  char *detail;
  guint32 node;               /* index in the graph, G_MAXUINT32 if unreached */
  char *first_tag;
} Special;

static void
special_clear (gpointer p)
{
  Special *s = p;
  g_free (s->how);
  g_free (s->detail);
  g_free (s->first_tag);
}

typedef struct {
  git_oid id;
  char *label;                /* "the culprit" or "line 10.2's 0001-x.patch" */
  char *paths;                /* the files it touches, sorted, one a line */
  gboolean culprit;
} PatchIdTarget;

typedef struct {
  guint32 node;
  git_oid source;             /* "(cherry picked from commit <source>)" */
} Pick;

typedef struct {
  char *name, *refname, *kind;
  git_oid oid;
  guint32 node;
} ScanRef;

static void
scan_ref_clear (gpointer p)
{
  ScanRef *r = p;
  g_free (r->name);
  g_free (r->refname);
  g_free (r->kind);
}

static gboolean
has_glob (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

static const char *
short_name (const char *refname, const char **kind)
{
  if (g_str_has_prefix (refname, "refs/tags/"))
    {
      *kind = "tag";
      return refname + strlen ("refs/tags/");
    }
  if (g_str_has_prefix (refname, "refs/heads/"))
    {
      *kind = "branch";
      return refname + strlen ("refs/heads/");
    }
  if (g_str_has_prefix (refname, "refs/remotes/"))
    {
      *kind = "remote";
      return refname + strlen ("refs/remotes/");
    }
  *kind = "ref";
  return refname;
}

static gboolean
pattern_matches (const char *pattern, const char *refname)
{
  const char *kind;
  const char *shortname = short_name (refname, &kind);
  if (g_pattern_match_simple (pattern, refname) || g_pattern_match_simple (pattern, shortname))
    return TRUE;
  /* "stable-10.1" also names origin/stable-10.1 */
  if (strcmp (kind, "remote") == 0)
    {
      const char *slash = strchr (shortname, '/');
      return slash && g_pattern_match_simple (pattern, slash + 1);
    }
  return FALSE;
}

static gboolean
collect_refs (git_repository *repo, const char *path, const char *const *patterns,
              gboolean defaults, GArray *out, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree gboolean *matched = g_new0 (gboolean, g_strv_length ((char **) patterns) + 1);
  g_autoptr(git_reference_iterator) it = NULL;
  if (git_reference_iterator_new (&it, repo) < 0)
    return git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot list refs", path);
  git_reference *ref;
  int rc;
  while ((rc = git_reference_next (&ref, it)) == 0)
    {
      g_autoptr(git_reference) owned = ref;
      const char *refname = git_reference_name (ref);
      gboolean want = FALSE;
      for (guint i = 0; patterns[i]; i++)
        if (pattern_matches (patterns[i], refname))
          want = matched[i] = TRUE;
      if (!want || g_str_has_suffix (refname, "/HEAD"))
        continue;
      /* the default "v*" means release tags: v10.1.0, not vfio-next-20250702 */
      if (defaults && g_str_has_prefix (refname, "refs/tags/v") && !g_ascii_isdigit (refname[11]))
        continue;
      g_autoptr(git_object) peeled = NULL;
      int peel_rc = git_reference_peel (&peeled, ref, GIT_OBJECT_COMMIT);
      if (peel_rc == GIT_ENOTFOUND)
        return git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT,
                         "%s: the object %s points to is missing (the repository is incomplete: "
                         "fetch it again, or run `git fsck`)", path, refname);
      if (peel_rc < 0)
        {
          if (defaults)
            continue;   /* a tag of a tree or blob: not ours to judge */
          return git_fail (error, BP_HISTORY_ERROR_UNKNOWN_REF, "%s: ref %s does not name a commit",
                            path, refname);
        }
      ScanRef sr = { 0 };
      const char *kind;
      sr.name = g_strdup (short_name (refname, &kind));
      sr.kind = g_strdup (kind);
      sr.refname = g_strdup (refname);
      git_oid_cpy (&sr.oid, git_object_id (peeled));
      g_array_append_val (out, sr);
    }
  if (rc != GIT_ITEROVER)
    return git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot list refs", path);
  if (defaults)
    return TRUE;
  for (guint i = 0; patterns[i]; i++)
    {
      if (matched[i])
        continue;
      g_autoptr(git_object) obj = NULL;
      g_autoptr(git_object) peeled = NULL;
      if (has_glob (patterns[i]) || git_revparse_single (&obj, repo, patterns[i]) < 0
          || git_object_peel (&peeled, obj, GIT_OBJECT_COMMIT) < 0)
        {
          g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_UNKNOWN_REF,
                       "%s: unknown ref '%s' (no tag, branch or revision matches it; "
                       "`git -C %s tag -l` and `git -C %s branch -a` list them)",
                       path, patterns[i], path, path);
          return FALSE;
        }
      ScanRef sr = { 0 };
      sr.name = g_strdup (patterns[i]);
      sr.kind = g_strdup ("commit");
      git_oid_cpy (&sr.oid, git_object_id (peeled));
      g_array_append_val (out, sr);
    }
  return TRUE;
}

/* Refuse what libgit2 1.5 cannot read, saying what to do. */
static gboolean
check_clone_kind (git_repository *repo, const char *path, GError **error)
{
  const char *gitdir = git_repository_commondir (repo);
  g_autofree char *shallow = g_build_filename (gitdir, "shallow", NULL);
  if (git_repository_is_shallow (repo) == 1 || g_file_test (shallow, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_SHALLOW,
                   "%s is a shallow clone: its history is cut off and libgit2 cannot walk it; "
                   "run `git -C %s fetch --unshallow` (or clone without --depth)", path, path);
      return FALSE;
    }
  g_autoptr(git_config) cfg = NULL;
  if (git_repository_config_snapshot (&cfg, repo) == 0)
    {
      git_buf buf = GIT_BUF_INIT;
      gboolean partial = git_config_get_string_buf (&buf, cfg, "extensions.partialclone") == 0;
      git_buf_dispose (&buf);
      int promisor = 0;
      git_config_iterator *it = NULL;
      if (!partial && git_config_iterator_glob_new (&it, cfg, "remote\\..*\\.promisor") == 0)
        {
          git_config_entry *entry;
          while (git_config_next (&entry, it) == 0)
            if (git_config_parse_bool (&promisor, entry->value) == 0 && promisor)
              partial = TRUE;
          git_config_iterator_free (it);
        }
      if (partial)
        {
          g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_PARTIAL,
                       "%s is a partial clone (promisor remote): objects are missing and libgit2 "
                       "cannot fetch them; run `git -C %s fetch --refetch --no-filter` "
                       "(or clone without --filter)", path, path);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
open_repo (const char *path, git_repository **out, GError **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_A_REPO,
                   "%s: no such directory (give --repo a QEMU git clone)", path);
      return FALSE;
    }
  if (git_repository_open_ext (out, path, 0, NULL) == 0)
    return TRUE;
  const git_error *e = git_error_last ();
  const char *msg = e && e->message ? e->message : "";
  if (strstr (msg, "partialclone") || strstr (msg, "extension"))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_PARTIAL,
                   "%s uses a repository extension libgit2 cannot read (%s); if it is a partial "
                   "clone, run `git -C %s fetch --refetch --no-filter` or clone without --filter",
                   path, msg, path);
      return FALSE;
    }
  g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_A_REPO,
               "%s is not a git repository (give --repo a QEMU clone, or --tree for an unpacked source)",
               path);
  return FALSE;
}

/* Parse a raw commit: tree, parents, message. */
static gboolean
parse_commit (const char *data, gsize size, git_oid *tree, GArray *parents, gint64 *author_time,
              const char **message,
              gsize *message_len)
{
  const char *p = data, *end = data + size;
  g_array_set_size (parents, 0);
  gboolean have_tree = FALSE;
  while (p < end && *p != '\n')
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      if (nl == NULL)
        nl = end;
      if (nl - p >= 5 + GIT_OID_HEXSZ && memcmp (p, "tree ", 5) == 0)
        have_tree = git_oid_fromstrn (tree, p + 5, GIT_OID_HEXSZ) == 0;
      else if (nl - p > 7 && memcmp (p, "author ", 7) == 0)
        {
          /* "author Name <email> TIME TZ" */
          const char *gt = g_strrstr_len (p, nl - p, "> ");
          if (gt)
            *author_time = g_ascii_strtoll (gt + 2, NULL, 10);
        }
      else if (nl - p >= 7 + GIT_OID_HEXSZ && memcmp (p, "parent ", 7) == 0)
        {
          git_oid parent;
          if (git_oid_fromstrn (&parent, p + 7, GIT_OID_HEXSZ) < 0)
            return FALSE;
          g_array_append_val (parents, parent);
        }
      p = nl + 1;
    }
  if (p < end && *p == '\n')
    p++;
  *message = p;
  *message_len = p < end ? (gsize) (end - p) : 0;
  return have_tree;
}

/* Message is the pack's fix: its subject (or a line patch's) and its
 * Fixes:/Closes: identity. */
static gboolean
message_is_fix (const char *msg, gsize len, GPtrArray *subjects, const char *culprit_prefix,
                const char *bug)
{
  const char *nl = memchr (msg, '\n', len);
  gsize slen = nl ? (gsize) (nl - msg) : len;
  gboolean subject = FALSE;
  for (guint i = 0; i < subjects->len && !subject; i++)
    {
      const char *s = g_ptr_array_index (subjects, i);
      subject = strlen (s) == slen && memcmp (s, msg, slen) == 0;
    }
  if (!subject)
    return FALSE;
  g_autofree char *fixes = g_strdup_printf ("Fixes: %s", culprit_prefix);
  return g_strstr_len (msg, len, fixes) || (bug && g_strstr_len (msg, len, bug));
}

static char *
commit_subject (git_repository *repo, const git_oid *oid)
{
  g_autoptr(git_commit) c = NULL;
  if (git_commit_lookup (&c, repo, oid) < 0)
    return NULL;
  return g_strdup (git_commit_summary (c));
}

typedef struct {
  git_repository *repo;
  BpFixPack *pack;
  const char *path;
  Graph g;
  PathSet ps;
  GArray *pathoids;           /* git_oid, K per node, filled lazily */
  guint8 *resolved;           /* per node: pathoids filled */
  GArray *picks;              /* Pick */
  GArray *trailer_fixes;      /* guint32 node */
  GArray *specials;           /* Special */
  GArray *targets;            /* PatchIdTarget */
  GArray *refs;               /* ScanRef */
  gint64 min_time;            /* a twin is not authored before its original (less a day) */
} Scan;

static void
scan_clear (Scan *s)
{
  g_clear_pointer (&s->g.nodes, g_array_unref);
  g_clear_pointer (&s->g.parents, g_array_unref);
  g_clear_pointer (&s->g.slots, g_free);
  if (s->ps.root)
    path_node_free (s->ps.root);
  g_clear_pointer (&s->ps.paths, g_ptr_array_unref);
  git_odb_free (s->ps.odb);
  g_clear_pointer (&s->pathoids, g_array_unref);
  g_clear_pointer (&s->resolved, g_free);
  g_clear_pointer (&s->picks, g_array_unref);
  g_clear_pointer (&s->trailer_fixes, g_array_unref);
  g_clear_pointer (&s->specials, g_array_unref);
  if (s->targets)
    for (guint i = 0; i < s->targets->len; i++)
      {
        g_free (g_array_index (s->targets, PatchIdTarget, i).label);
        g_free (g_array_index (s->targets, PatchIdTarget, i).paths);
      }
  g_clear_pointer (&s->targets, g_array_unref);
  g_clear_pointer (&s->refs, g_array_unref);
  git_repository_free (s->repo);
}

typedef Scan ScanAuto;
static void scan_auto_clear (ScanAuto *s) { scan_clear (s); }
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ScanAuto, scan_auto_clear)

static void
add_special (Scan *s, const git_oid *oid, gboolean culprit, const char *how, const char *detail)
{
  for (guint i = 0; i < s->specials->len; i++)
    {
      Special *sp = &g_array_index (s->specials, Special, i);
      if (git_oid_equal (&sp->oid, oid) && sp->culprit == culprit)
        return;   /* first reason wins: id, then trailers, then picks, then patch-id */
    }
  Special sp = { .culprit = culprit, .how = g_strdup (how), .detail = g_strdup (detail) };
  git_oid_cpy (&sp.oid, oid);
  sp.node = graph_find (&s->g, oid, FALSE, NULL);
  g_array_append_val (s->specials, sp);
}

static int
compare_strv_items (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* "a\nb\n": the sorted, unique paths of a set, to compare sets cheaply. */
static char *
paths_key (GPtrArray *paths)
{
  g_ptr_array_sort (paths, compare_strv_items);
  GString *key = g_string_new (NULL);
  const char *last = NULL;
  for (guint i = 0; i < paths->len; i++)
    {
      const char *p = g_ptr_array_index (paths, i);
      if (p && g_strcmp0 (p, last) != 0)
        g_string_append_printf (key, "%s\n", p);
      last = p;
    }
  return g_string_free (key, FALSE);
}

/* The files a tree-to-tree diff touches (no content read, no renames). */
static char *
diff_paths_key (git_diff *diff)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  for (gsize i = 0; i < git_diff_num_deltas (diff); i++)
    {
      const git_diff_delta *d = git_diff_get_delta (diff, i);
      if (d->old_file.path && d->status != GIT_DELTA_ADDED)
        g_ptr_array_add (paths, (gpointer) d->old_file.path);
      if (d->new_file.path && d->status != GIT_DELTA_DELETED)
        g_ptr_array_add (paths, (gpointer) d->new_file.path);
    }
  return paths_key (paths);
}

static git_diff *
commit_diff (git_repository *repo, const git_oid *id, gint64 *author_time)
{
  g_autoptr(git_commit) c = NULL;
  g_autoptr(git_commit) parent = NULL;
  g_autoptr(git_tree) tree = NULL;
  g_autoptr(git_tree) ptree = NULL;
  git_diff *diff = NULL;
  if (git_commit_lookup (&c, repo, id) < 0 || git_commit_tree (&tree, c) < 0)
    return NULL;
  if (author_time)
    *author_time = git_commit_author (c)->when.time;
  if (git_commit_parentcount (c) == 1
      && (git_commit_parent (&parent, c, 0) < 0 || git_commit_tree (&ptree, parent) < 0))
    return NULL;
  if (git_commit_parentcount (c) > 1 || git_diff_tree_to_tree (&diff, repo, ptree, tree, NULL) < 0)
    return NULL;
  return diff;
}

/* The patch-ids to look for, the files each touches, and the paths whose
 * change makes a commit worth hashing. */
static gboolean
prepare_targets (Scan *s, GError **error)
{
  BpFixPack *pack = s->pack;
  gboolean bounded = TRUE;
  s->min_time = G_MAXINT64;
  git_oid culprit;
  if (git_oid_fromstr (&culprit, pack->culprit_id) == 0 && git_odb_exists (s->ps.odb, &culprit))
    {
      PatchIdTarget t = { .culprit = TRUE };
      gint64 when = G_MININT64;
      g_autoptr(git_diff) diff = commit_diff (s->repo, &culprit, &when);
      if (diff && git_diff_num_deltas (diff) > 0 && bp_patch_id_from_commit (s->repo, &culprit, &t.id, NULL))
        {
          t.label = g_strdup ("the culprit");
          t.paths = diff_paths_key (diff);
          g_array_append_val (s->targets, t);
          s->min_time = MIN (s->min_time, when);
          /* its files under hw/vfio (a backport to a renamed file must
           * still be caught), or its first file */
          guint before = s->ps.k;
          for (gsize i = 0; i < git_diff_num_deltas (diff); i++)
            {
              const char *f = git_diff_get_delta (diff, i)->new_file.path;
              if (g_str_has_prefix (f, "hw/vfio/"))
                path_set_add (&s->ps, f);
            }
          if (s->ps.k == before)
            path_set_add (&s->ps, git_diff_get_delta (diff, 0)->new_file.path);
        }
    }
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (pack->lines, i);
      if (line->file)
        path_set_add (&s->ps, line->file);
      for (guint j = 0; j < line->patches->len; j++)
        {
          BpPatch *patch = g_ptr_array_index (line->patches, j);
          PatchIdTarget t = { .culprit = FALSE };
          if (!bp_patch_id_from_patch (patch, &t.id, NULL))
            continue;
          t.label = g_strdup_printf ("line %s's %s", line->name,
                                     (char *) g_ptr_array_index (line->patch_names, j));
          g_autoptr(GPtrArray) paths = g_ptr_array_new ();
          for (guint f = 0; f < patch->files->len; f++)
            {
              BpFileDiff *fd = g_ptr_array_index (patch->files, f);
              g_ptr_array_add (paths, fd->old_path);
              g_ptr_array_add (paths, fd->new_path);
              if (fd->new_path)
                path_set_add (&s->ps, fd->new_path);
            }
          t.paths = paths_key (paths);
          g_array_append_val (s->targets, t);
          if (patch->date)
            s->min_time = MIN (s->min_time, g_date_time_to_unix (patch->date));
          else
            bounded = FALSE;
        }
    }
  /* clocks and time zones: a day of slack */
  s->min_time = bounded && s->min_time != G_MAXINT64 ? s->min_time - 86400 : G_MININT64;
  (void) error;
  return TRUE;
}

/* The pass: read every commit reachable from the refs once. */
static gboolean
walk (Scan *s, GPtrArray *subjects, const char *culprit_prefix, GError **error)
{
  g_autoptr(GArray) queue = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) parent_oids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  for (guint i = 0; i < s->refs->len; i++)
    {
      ScanRef *r = &g_array_index (s->refs, ScanRef, i);
      gboolean added;
      guint32 idx = graph_find (&s->g, &r->oid, TRUE, &added);
      if (added)
        g_array_append_val (queue, idx);
    }
  const char pick_marker[] = "cherry picked from commit ";
  for (guint qi = 0; qi < queue->len; qi++)
    {
      guint32 idx = g_array_index (queue, guint32, qi);
      git_oid oid = g_array_index (s->g.nodes, Node, idx).oid;
      g_autoptr(git_odb_object) obj = NULL;
      if (git_odb_read (&obj, s->ps.odb, &oid) < 0)
        return git_fail (error, BP_HISTORY_ERROR_MISSING_OBJECT,
                          "%s: commit %s is missing (the repository is incomplete: fetch it again, "
                          "or run `git fsck`)", s->path, git_oid_tostr_s (&oid));
      if (git_odb_object_type (obj) != GIT_OBJECT_COMMIT)
        return git_fail (error, BP_HISTORY_ERROR_GIT, "%s: %s is not a commit", s->path,
                          git_oid_tostr_s (&oid));
      git_oid tree;
      gint64 author_time = G_MININT64;
      const char *msg;
      gsize msg_len;
      if (!parse_commit (git_odb_object_data (obj), git_odb_object_size (obj), &tree, parent_oids,
                         &author_time, &msg, &msg_len))
        return git_fail (error, BP_HISTORY_ERROR_GIT, "%s: commit %s does not parse", s->path,
                          git_oid_tostr_s (&oid));

      /* parents: add to the graph (this may move the node array) */
      guint32 off = s->g.parents->len;
      for (guint p = 0; p < parent_oids->len; p++)
        {
          gboolean added;
          guint32 pidx = graph_find (&s->g, &g_array_index (parent_oids, git_oid, p), TRUE, &added);
          g_array_append_val (s->g.parents, pidx);
          if (added)
            g_array_append_val (queue, pidx);
        }
      Node *n = &g_array_index (s->g.nodes, Node, idx);
      n->parents = off;
      n->nparents = parent_oids->len;
      n->tree = tree;
      n->author_time = author_time;

      /* messages: cherry-pick trailers and the fix's identity */
      for (const char *m = g_strstr_len (msg, msg_len, pick_marker); m;
           m = g_strstr_len (m + 1, msg + msg_len - m - 1, pick_marker))
        {
          const char *hex = m + sizeof pick_marker - 1;
          Pick pk = { .node = idx };
          if (hex + GIT_OID_HEXSZ <= msg + msg_len && git_oid_fromstrn (&pk.source, hex, GIT_OID_HEXSZ) == 0)
            g_array_append_val (s->picks, pk);
        }
      if (message_is_fix (msg, msg_len, subjects, culprit_prefix, s->pack->bug))
        g_array_append_val (s->trailer_fixes, idx);

    }
  return TRUE;
}

/* The probe paths' blob ids in commit IDX, resolved on first use. */
static const git_oid *
node_paths (Scan *s, guint32 idx, GError **error)
{
  guint k = s->ps.k;
  if (s->resolved == NULL)
    {
      s->resolved = g_new0 (guint8, s->g.nodes->len);
      g_array_set_size (s->pathoids, (gsize) s->g.nodes->len * k);
    }
  git_oid *vec = &g_array_index (s->pathoids, git_oid, (gsize) idx * k);
  if (!s->resolved[idx])
    {
      memset (vec, 0, sizeof (git_oid) * k);
      if (!path_resolve (&s->ps, s->ps.root, &g_array_index (s->g.nodes, Node, idx).tree, vec, error))
        return NULL;
      s->resolved[idx] = 1;
    }
  return vec;
}

/* Topological order (parents first), iteratively. */
static GArray *
topo_order (Graph *g)
{
  guint n = g->nodes->len;
  GArray *order = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
  g_autofree guint8 *state = g_new0 (guint8, n);   /* 0 new, 1 open, 2 done */
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint32 root = 0; root < n; root++)
    {
      if (state[root])
        continue;
      g_array_append_val (stack, root);
      while (stack->len)
        {
          guint32 v = g_array_index (stack, guint32, stack->len - 1);
          if (state[v] == 2)
            {
              g_array_set_size (stack, stack->len - 1);
              continue;
            }
          const Node *node = &g_array_index (g->nodes, Node, v);
          gboolean pushed = FALSE;
          if (state[v] == 0)
            {
              state[v] = 1;
              for (guint p = 0; p < node->nparents; p++)
                {
                  guint32 pv = g_array_index (g->parents, guint32, node->parents + p);
                  if (state[pv] == 0)
                    {
                      g_array_append_val (stack, pv);
                      pushed = TRUE;
                    }
                }
            }
          if (!pushed)
            {
              state[v] = 2;
              g_array_append_val (order, v);
              g_array_set_size (stack, stack->len - 1);
            }
        }
    }
  return order;
}

static gboolean
ref_status_probe (Scan *s, BpRefStatus *r, const git_oid *commit, GHashTable *probe_memo, GError **error)
{
  g_autoptr(GPtrArray) files = probe_files (s->pack, r->line);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autoptr(GError) local = NULL;
      g_autoptr(git_blob) blob = blob_at (s->repo, commit, file, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (blob == NULL)
        continue;
      g_autofree char *key = g_strdup (git_oid_tostr_s (git_blob_id (blob)));
      BpProbe *memo = g_hash_table_lookup (probe_memo, key);
      if (memo == NULL)
        {
          memo = g_new0 (BpProbe, 1);
          memo->state = bp_history_probe_text (git_blob_rawcontent (blob), (gsize) git_blob_rawsize (blob),
                                               s->pack, &memo->detail);
          g_hash_table_insert (probe_memo, g_steal_pointer (&key), memo);
        }
      if (memo->state == BP_PROBE_ABSENT)
        continue;
      r->probe.state = memo->state;
      r->probe.detail = g_strdup (memo->detail);
      r->probe.file = g_strdup (file);
      return TRUE;
    }
  r->probe.state = BP_PROBE_ABSENT;
  g_autoptr(GString) list = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    g_string_append_printf (list, "%s%s", i ? ", " : "", (char *) g_ptr_array_index (files, i));
  r->probe.detail = g_strdup_printf ("no definition of %s() in %s", s->pack->function, list->str);
  return TRUE;
}

static void
probe_free (gpointer p)
{
  BpProbe *probe = p;
  g_free (probe->detail);
  g_free (probe);
}

static const char *
first_evidence_commit (GPtrArray *evidence)
{
  return evidence->len ? ((BpEvidence *) g_ptr_array_index (evidence, 0))->commit : NULL;
}

/* The verdict from history and content (see history.h). */
static void
decide (BpRefStatus *r, const BpFixPack *pack, gboolean history)
{
  const char *file = r->probe.file;
  g_autofree char *culprit_how = NULL;
  if (r->culprit_present && r->culprit_evidence->len)
    {
      BpEvidence *e = g_ptr_array_index (r->culprit_evidence, 0);
      culprit_how = g_strdup_printf ("the culprit is here (%s %.12s)", e->how, e->commit);
    }
  else if (r->culprit_present)
    culprit_how = g_strdup ("the culprit's by-file branch is in the code (no history to name the commit)");
  else if (history)
    culprit_how = g_strdup_printf ("the culprit %.12s is not here (not reachable, no pick, no patch-id twin)",
                                   pack->culprit_id);
  else
    culprit_how = g_strdup ("no history to look for the culprit in");

  switch (r->probe.state)
    {
    case BP_PROBE_BUGGY:
      if (r->fix_present)
        {
          r->verdict = BP_STATUS_UNKNOWN;
          r->why = g_strdup_printf ("fix %s is here but %s: %s (reverted or mis-merged?)",
                                    first_evidence_commit (r->fix_evidence) ? first_evidence_commit (r->fix_evidence) : "",
                                    file, r->probe.detail);
        }
      else
        {
          r->verdict = BP_STATUS_AFFECTED;
          r->why = g_strdup_printf ("%s; %s: %s", culprit_how, file, r->probe.detail);
        }
      break;
    case BP_PROBE_FIXED:
      r->verdict = BP_STATUS_FIXED;
      r->fixed_by = g_strdup (first_evidence_commit (r->fix_evidence));
      r->why = g_strdup_printf ("%s: %s%s", file, r->probe.detail,
                                r->fix_present ? "" : " (found by content only: no fix commit identified)");
      break;
    case BP_PROBE_CLEAN:
    case BP_PROBE_ABSENT:
      if (r->fix_present)
        {
          r->verdict = BP_STATUS_FIXED;
          r->fixed_by = g_strdup (first_evidence_commit (r->fix_evidence));
          r->why = g_strdup_printf ("the fix is here by history; the code has moved on (%s)", r->probe.detail);
        }
      else if (!r->culprit_present)
        {
          r->verdict = BP_STATUS_NOT_AFFECTED;
          r->why = g_strdup_printf ("%s; %s", culprit_how, r->probe.detail);
        }
      else
        {
          r->verdict = BP_STATUS_UNKNOWN;
          r->why = g_strdup_printf ("%s, but %s%s%s: the code was reworked; check it by hand", culprit_how,
                                    file ? file : "", file ? ": " : "", r->probe.detail);
        }
      break;
    }
}

static int
ref_order (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const BpRefStatus *x = *(BpRefStatus * const *) a, *y = *(BpRefStatus * const *) b;
  const BpFixPack *pack = user_data;
  guint lx = G_MAXUINT, ly = G_MAXUINT;
  for (guint i = 0; i < pack->lines->len; i++)
    {
      if (g_ptr_array_index (pack->lines, i) == x->line)
        lx = i;
      if (g_ptr_array_index (pack->lines, i) == y->line)
        ly = i;
    }
  if (lx != ly)
    return lx < ly ? -1 : 1;
  gboolean tx = g_strcmp0 (x->kind, "tag") == 0, ty = g_strcmp0 (y->kind, "tag") == 0;
  if (tx != ty)
    return tx ? 1 : -1;
  int c = version_cmp (tx ? x->name : x->version, ty ? y->name : y->version);
  if (c)
    return -c;
  return g_strcmp0 (x->name, y->name);
}

static char *
read_version_at (git_repository *repo, const git_oid *commit, GError **error)
{
  g_autoptr(git_blob) blob = blob_at (repo, commit, "VERSION", error);
  if (blob == NULL)
    return NULL;
  g_autofree char *text = g_strndup (git_blob_rawcontent (blob), (gsize) git_blob_rawsize (blob));
  return g_strdup (g_strstrip (text));
}

BpStatusReport *
bp_history_scan_repo (const char *path, BpFixPack *pack, const char *const *patterns, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  git_libgit2_init ();
  g_auto(ScanAuto) s = { .pack = pack, .path = path };
  if (!open_repo (path, &s.repo, error) || !check_clone_kind (s.repo, path, error))
    return NULL;
  if (git_repository_odb (&s.ps.odb, s.repo) < 0)
    {
      git_fail (error, BP_HISTORY_ERROR_GIT, "%s: cannot open the object store", path);
      return NULL;
    }
  s.g.nodes = g_array_new (FALSE, FALSE, sizeof (Node));
  s.g.parents = g_array_new (FALSE, FALSE, sizeof (guint32));
  s.ps.root = path_node_new ("", -1);
  g_hash_table_unref (g_steal_pointer (&s.ps.root->memo));   /* root trees are rarely shared */
  s.ps.paths = g_ptr_array_new_with_free_func (g_free);
  s.pathoids = g_array_new (FALSE, TRUE, sizeof (git_oid));
  s.picks = g_array_new (FALSE, FALSE, sizeof (Pick));
  s.trailer_fixes = g_array_new (FALSE, FALSE, sizeof (guint32));
  s.specials = g_array_new (FALSE, FALSE, sizeof (Special));
  g_array_set_clear_func (s.specials, special_clear);
  s.targets = g_array_new (FALSE, FALSE, sizeof (PatchIdTarget));
  s.refs = g_array_new (FALSE, FALSE, sizeof (ScanRef));
  g_array_set_clear_func (s.refs, scan_ref_clear);

  gboolean defaults = patterns == NULL || patterns[0] == NULL;
  if (!collect_refs (s.repo, path, defaults ? bp_history_default_patterns : patterns, defaults, s.refs, error))
    return NULL;
  if (s.refs->len == 0)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_UNKNOWN_REF,
                   "%s has no refs to scan (no v* tags, stable-*/staging-* branches, master or main); "
                   "name some with --refs", path);
      return NULL;
    }
  git_oid culprit;
  if (pack->culprit_id == NULL || git_oid_fromstr (&culprit, pack->culprit_id) < 0)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_GIT,
                   "fix pack %s: culprit '%s' is not a full commit id", pack->name,
                   pack->culprit_id ? pack->culprit_id : "");
      return NULL;
    }
  if (!prepare_targets (&s, error))
    return NULL;

  g_autoptr(GPtrArray) subjects = g_ptr_array_new ();
  if (pack->subject)
    g_ptr_array_add (subjects, pack->subject);
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (pack->lines, i);
      for (guint j = 0; j < line->patches->len; j++)
        {
          BpPatch *p = g_ptr_array_index (line->patches, j);
          if (p->subject)
            g_ptr_array_add (subjects, p->subject);
        }
    }
  g_autofree char *culprit_prefix = g_strndup (pack->culprit_id, 7);
  if (isatty (2))
    g_printerr ("backport status: reading the history of %u refs in %s...\n", s.refs->len, path);
  g_debug ("status: prepared in %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  /* Each commit is read once: libgit2's object cache (256 MiB by default)
   * would only hold on to them.  Caching is a global switch; it is put back. */
  git_libgit2_opts (GIT_OPT_ENABLE_CACHING, 0);
  gboolean walked = walk (&s, subjects, culprit_prefix, error);
  git_libgit2_opts (GIT_OPT_ENABLE_CACHING, 1);
  if (!walked)
    return NULL;
  g_debug ("status: walked %u commits in %.2f s", s.g.nodes->len, (g_get_monotonic_time () - t0) / 1e6);

  /* the special commits, strongest reason first */
  add_special (&s, &culprit, TRUE, "id", NULL);
  git_oid upstream;
  gboolean have_upstream = pack->upstream_id && git_oid_fromstr (&upstream, pack->upstream_id) == 0;
  if (have_upstream)
    add_special (&s, &upstream, FALSE, "id", "the fix's upstream id");
  for (guint i = 0; i < s.trailer_fixes->len; i++)
    add_special (&s, &g_array_index (s.g.nodes, Node, g_array_index (s.trailer_fixes, guint32, i)).oid,
                 FALSE, "trailers", "the fix's subject and Fixes:/Closes: trailers");
  /* patch-id twins: a commit authored after its original (less a day) that
   * changes a probe path and touches exactly the original's files */
  guint k = s.ps.k, n_candidates = 0;
  for (guint32 i = 0; i < s.g.nodes->len && k && s.targets->len; i++)
    {
      const Node *n = &g_array_index (s.g.nodes, Node, i);
      if (n->nparents > 1 || n->author_time < s.min_time)
        continue;
      const git_oid *mine = node_paths (&s, i, error);
      const git_oid *theirs = NULL;
      if (mine && n->nparents == 1)
        {
          theirs = node_paths (&s, g_array_index (s.g.parents, guint32, n->parents), error);
          if (theirs == NULL)
            return NULL;
        }
      if (mine == NULL)
        return NULL;
      gboolean changed = FALSE;
      for (guint p = 0; p < k && !changed; p++)
        changed = theirs ? !git_oid_equal (&mine[p], &theirs[p]) : !git_oid_is_zero (&mine[p]);
      if (!changed)
        continue;
      git_oid id = n->oid;
      g_autoptr(git_diff) diff = commit_diff (s.repo, &id, NULL);
      if (diff == NULL)
        continue;
      g_autofree char *key = diff_paths_key (diff);
      gboolean same_files = FALSE;
      for (guint t = 0; t < s.targets->len && !same_files; t++)
        same_files = strcmp (key, g_array_index (s.targets, PatchIdTarget, t).paths) == 0;
      if (!same_files)
        continue;
      n_candidates++;
      git_oid pid;
      if (!bp_patch_id_from_commit (s.repo, &id, &pid, NULL))
        continue;
      for (int culprit_kind = 0; culprit_kind < 2; culprit_kind++)
        {
          g_autoptr(GString) labels = g_string_new (NULL);
          for (guint t = 0; t < s.targets->len; t++)
            {
              PatchIdTarget *tg = &g_array_index (s.targets, PatchIdTarget, t);
              if (tg->culprit == culprit_kind && git_oid_equal (&pid, &tg->id))
                g_string_append_printf (labels, "%s%s", labels->len ? ", " : "", tg->label);
            }
          if (labels->len == 0)
            continue;
          g_autofree char *detail = g_strdup_printf ("same patch-id as %s", labels->str);
          add_special (&s, &id, culprit_kind, "patch-id", detail);
        }
    }
  g_debug ("status: %u patch-id candidates done at %.2f s", n_candidates, (g_get_monotonic_time () - t0) / 1e6);
  /* cherry-picks of anything special, until nothing changes (pick chains) */
  for (gboolean grew = TRUE; grew;)
    {
      grew = FALSE;
      for (guint i = 0; i < s.picks->len; i++)
        {
          Pick *pk = &g_array_index (s.picks, Pick, i);
          git_oid picked = g_array_index (s.g.nodes, Node, pk->node).oid;
          guint before = s.specials->len;
          gboolean culprit_src = FALSE, fix_src = FALSE;
          for (guint j = 0; j < before; j++)
            {
              Special *sp = &g_array_index (s.specials, Special, j);
              if (git_oid_equal (&sp->oid, &pk->source))
                {
                  if (sp->culprit)
                    culprit_src = TRUE;
                  else
                    fix_src = TRUE;
                }
            }
          g_autofree char *detail = g_strdup_printf ("cherry picked from commit %s", git_oid_tostr_s (&pk->source));
          if (culprit_src)
            add_special (&s, &picked, TRUE, "cherry-pick", detail);
          if (fix_src)
            add_special (&s, &picked, FALSE, "cherry-pick", detail);
          grew |= s.specials->len > before;
        }
    }

  /* reachability: one bit per special commit, parents before children */
  guint S = s.specials->len, W = (S + 63) / 64;
  guint N = s.g.nodes->len;
  g_autofree guint64 *masks = g_new0 (guint64, (gsize) N * W);
  for (guint j = 0; j < S; j++)
    {
      Special *sp = &g_array_index (s.specials, Special, j);
      if (sp->node != G_MAXUINT32)
        masks[(gsize) sp->node * W + j / 64] |= G_GUINT64_CONSTANT (1) << (j % 64);
    }
  if (W)
    {
      g_autoptr(GArray) order = topo_order (&s.g);
      for (guint i = 0; i < order->len; i++)
        {
          guint32 v = g_array_index (order, guint32, i);
          const Node *n = &g_array_index (s.g.nodes, Node, v);
          for (guint p = 0; p < n->nparents; p++)
            {
              guint32 pv = g_array_index (s.g.parents, guint32, n->parents + p);
              for (guint w = 0; w < W; w++)
                masks[(gsize) v * W + w] |= masks[(gsize) pv * W + w];
            }
        }
    }
#define HAS_BIT(node, j) ((masks[(gsize) (node) * W + (j) / 64] >> ((j) % 64)) & 1)

  /* first tag (version order) containing each special */
  g_autoptr(GPtrArray) tags = g_ptr_array_new ();
  for (guint i = 0; i < s.refs->len; i++)
    {
      ScanRef *r = &g_array_index (s.refs, ScanRef, i);
      r->node = graph_find (&s.g, &r->oid, FALSE, NULL);
      gint64 key[4];
      version_key (r->name, key);
      if (strcmp (r->kind, "tag") == 0 && key[0] >= 0)   /* "first tag" is among release tags */
        g_ptr_array_add (tags, r);
    }
  for (guint i = 1; i < tags->len; i++)   /* insertion sort by version: few hundred */
    for (guint j = i; j > 0; j--)
      {
        ScanRef *a = g_ptr_array_index (tags, j - 1), *b = g_ptr_array_index (tags, j);
        if (version_cmp (a->name, b->name) <= 0)
          break;
        tags->pdata[j - 1] = b;
        tags->pdata[j] = a;
      }
  g_autoptr(GPtrArray) special_subjects = g_ptr_array_new_with_free_func (g_free);
  for (guint j = 0; j < S; j++)
    {
      Special *sp = &g_array_index (s.specials, Special, j);
      for (guint i = 0; i < tags->len && sp->node != G_MAXUINT32 && !sp->first_tag; i++)
        {
          ScanRef *t = g_ptr_array_index (tags, i);
          if (HAS_BIT (t->node, j))
            sp->first_tag = g_strdup (t->name);
        }
      g_ptr_array_add (special_subjects, sp->node != G_MAXUINT32 ? commit_subject (s.repo, &sp->oid) : NULL);
    }

  g_autoptr(BpStatusReport) report = report_new (path);
  report->history = TRUE;
  report->n_refs = s.refs->len;
  report->n_commits = N;
  report->n_candidates = n_candidates;
  if (s.targets->len == 0 || !git_odb_exists (s.ps.odb, &culprit))
    report->history_note = g_strdup_printf ("the culprit %.12s is not in this repository: picks are found by "
                                            "their trailers, patch-id twins cannot be", pack->culprit_id);
  for (guint j = 0; j < S; j++)
    {
      Special *sp = &g_array_index (s.specials, Special, j);
      char **slot = sp->culprit ? &report->culprit_first_tag : &report->fix_first_tag;
      if (sp->first_tag && (*slot == NULL || version_cmp (sp->first_tag, *slot) < 0))
        {
          g_free (*slot);
          *slot = g_strdup (sp->first_tag);
        }
    }

  g_debug ("status: reachability done at %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  g_autoptr(GHashTable) probe_memo = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, probe_free);
  gboolean any_version = FALSE;
  for (guint i = 0; i < s.refs->len; i++)
    {
      ScanRef *sr = &g_array_index (s.refs, ScanRef, i);
      BpRefStatus *r = ref_status_new ();
      g_ptr_array_add (report->refs, r);
      r->name = g_strdup (sr->name);
      r->refname = g_strdup (sr->refname);
      r->kind = g_strdup (sr->kind);
      r->commit = g_strdup (git_oid_tostr_s (&sr->oid));
      g_autoptr(GError) local = NULL;
      r->version = read_version_at (s.repo, &sr->oid, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      any_version |= r->version != NULL;
      r->line = r->version ? bp_fixpack_line_for_version (pack, r->version) : NULL;
      for (guint j = 0; j < S; j++)
        {
          Special *sp = &g_array_index (s.specials, Special, j);
          if (sp->node == G_MAXUINT32 || !HAS_BIT (sr->node, j))
            continue;
          BpEvidence *e = evidence_new (sp->how, git_oid_tostr_s (&sp->oid),
                                        g_ptr_array_index (special_subjects, j), sp->detail, sp->first_tag);
          g_ptr_array_add (sp->culprit ? r->culprit_evidence : r->fix_evidence, e);
        }
      r->culprit_present = r->culprit_evidence->len > 0;
      r->fix_present = r->fix_evidence->len > 0;
      if (!ref_status_probe (&s, r, &sr->oid, probe_memo, error))
        return NULL;
      decide (r, pack, TRUE);
    }
#undef HAS_BIT
  if (!any_version)
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_QEMU,
                   "%s is not a QEMU repository: none of the %u refs has a VERSION file", path, s.refs->len);
      return NULL;
    }
  g_ptr_array_sort_with_data (report->refs, ref_order, pack);
  report->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&report);
}

/* ------------------------------------------------------------ tree mode */

/* Is the Debian patch at PATH the pack's fix?  Same patch-id as a line's
 * patch, or it adds the helper, or its subject is the fix's. */
static gboolean
debian_patch_is_fix (const char *path, BpFixPack *pack, GArray *pids, char **how)
{
  g_autofree char *text = NULL;
  gsize len;
  if (!g_file_get_contents (path, &text, &len, NULL))
    return FALSE;
  git_oid pid;
  if (bp_patch_id_from_text (text, len, &pid, NULL))
    for (guint i = 0; i < pids->len; i++)
      if (git_oid_equal (&pid, &g_array_index (pids, git_oid, i)))
        {
          *how = g_strdup ("same patch-id as a line's patch");
          return TRUE;
        }
  if (pack->helper)
    {
      g_autofree char *added = g_strdup_printf ("\n+static bool %s(", pack->helper);
      g_autofree char *added2 = g_strdup_printf ("\n+%s(", pack->helper);
      if (strstr (text, added) || strstr (text, added2))
        {
          *how = g_strdup_printf ("adds %s()", pack->helper);
          return TRUE;
        }
    }
  if (pack->subject && (strstr (text, pack->subject)))
    {
      *how = g_strdup ("carries the fix's subject");
      return TRUE;
    }
  return FALSE;
}

/* Names listed one per line (comments and quilt options dropped). */
static GPtrArray *
read_list (const char *path)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (!l[0] || l[0] == '#')
        continue;
      char *sp = strpbrk (l, " \t");
      if (sp)
        *sp = '\0';
      g_ptr_array_add (names, g_strdup (l));
    }
  return names;
}

BpStatusReport *
bp_history_scan_tree (const char *dir, BpFixPack *pack, GError **error)
{
  if (!bp_transaction_recover (dir, error))  /* a write to DIR interrupted by a crash */
    return NULL;
  gint64 t0 = g_get_monotonic_time ();
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_QEMU,
                   "%s: no such directory (give --tree an unpacked QEMU source)", dir);
      return NULL;
    }
  g_autofree char *version_path = g_build_filename (dir, "VERSION", NULL);
  g_autofree char *hw = g_build_filename (dir, "hw", NULL);
  g_autofree char *version = NULL;
  if (!g_file_get_contents (version_path, &version, NULL, NULL) || !g_file_test (hw, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BP_HISTORY_ERROR, BP_HISTORY_ERROR_NOT_QEMU,
                   "%s is not a QEMU source tree (no VERSION file or no hw/); give --tree the "
                   "top directory of an unpacked QEMU source", dir);
      return NULL;
    }
  g_strstrip (version);

  g_autoptr(BpStatusReport) report = report_new (dir);
  report->history = FALSE;
  report->history_note = g_strdup ("plain tree: history evidence (culprit reachable, picks, patch-ids of "
                                   "commits) is unavailable; the verdict rests on the code and debian/patches");
  report->n_refs = 1;
  BpRefStatus *r = ref_status_new ();
  g_ptr_array_add (report->refs, r);
  g_autofree char *base = g_path_get_basename (dir);
  r->name = g_strdup (base);
  r->kind = g_strdup ("tree");
  r->version = g_strdup (version);
  r->line = bp_fixpack_line_for_version (pack, version);

  /* the code */
  g_autoptr(GPtrArray) files = probe_files (pack, r->line);
  r->probe.state = BP_PROBE_ABSENT;
  for (guint i = 0; i < files->len && r->probe.state == BP_PROBE_ABSENT; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *p = g_build_filename (dir, file, NULL);
      g_autofree char *text = NULL;
      gsize len;
      if (!g_file_get_contents (p, &text, &len, NULL))
        continue;
      g_autofree char *detail = NULL;
      BpProbeState st = bp_history_probe_text (text, len, pack, &detail);
      if (st == BP_PROBE_ABSENT)
        continue;
      r->probe.state = st;
      r->probe.file = g_strdup (file);
      r->probe.detail = g_steal_pointer (&detail);
    }
  if (r->probe.state == BP_PROBE_ABSENT)
    r->probe.detail = g_strdup_printf ("no definition of %s() in the files the pack names", pack->function);

  /* debian/patches: applied ones per .pc/applied-patches, else the series */
  g_autofree char *series_path = g_build_filename (dir, "debian", "patches", "series", NULL);
  g_autofree char *applied_path = g_build_filename (dir, ".pc", "applied-patches", NULL);
  g_autoptr(GPtrArray) series = read_list (series_path);
  g_autoptr(GPtrArray) applied = read_list (applied_path);
  g_autoptr(GArray) pids = g_array_new (FALSE, FALSE, sizeof (git_oid));
  for (guint i = 0; i < pack->lines->len; i++)
    {
      BpFixLine *line = g_ptr_array_index (pack->lines, i);
      for (guint j = 0; j < line->patches->len; j++)
        {
          git_oid pid;
          if (bp_patch_id_from_patch (g_ptr_array_index (line->patches, j), &pid, NULL))
            g_array_append_val (pids, pid);
        }
    }
  gboolean carried_unapplied = FALSE;
  for (guint i = 0; series && i < series->len; i++)
    {
      const char *name = g_ptr_array_index (series, i);
      g_autofree char *p = g_build_filename (dir, "debian", "patches", name, NULL);
      g_autofree char *how = NULL;
      if (!debian_patch_is_fix (p, pack, pids, &how))
        continue;
      gboolean is_applied = applied == NULL;   /* no .pc: the series is what the build applies */
      for (guint a = 0; applied && a < applied->len; a++)
        is_applied |= strcmp (g_ptr_array_index (applied, a), name) == 0;
      g_autofree char *rel = g_strdup_printf ("debian/patches/%s", name);
      g_autofree char *detail = g_strdup_printf ("%s; %s", how,
                                                 applied == NULL ? "listed in series (no .pc/applied-patches)"
                                                 : is_applied ? "applied per .pc/applied-patches"
                                                 : "listed in series but NOT applied per .pc/applied-patches");
      g_ptr_array_add (r->fix_evidence, evidence_new ("debian-patch", NULL, rel, detail, NULL));
      if (is_applied)
        r->fix_present = TRUE;
      else
        carried_unapplied = TRUE;
    }
  if (r->probe.state == BP_PROBE_BUGGY)
    r->culprit_present = TRUE;   /* by content: the culprit's branch is there */
  decide (r, pack, FALSE);
  if (r->probe.state == BP_PROBE_FIXED && r->fix_evidence->len)
    {
      g_free (r->fixed_by);
      r->fixed_by = g_strdup (((BpEvidence *) g_ptr_array_index (r->fix_evidence, 0))->subject);
    }
  if (carried_unapplied && r->verdict == BP_STATUS_AFFECTED)
    {
      g_autofree char *old = g_steal_pointer (&r->why);
      r->why = g_strdup_printf ("%s; the fix is in debian/patches/series but not applied in this tree", old);
    }
  if (r->line)
    {
      g_autofree char *old = g_steal_pointer (&r->why);
      r->why = g_strdup_printf ("%s; the pack says line %s is %s", old, r->line->name,
                                bp_verdict_to_string (r->line->verdict));
    }
  report->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&report);
}
