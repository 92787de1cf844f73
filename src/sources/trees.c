/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Real trees per stable line: the resolver, which asks the user's trees,
 * a git repository's (git-trees.c) or Debian's (debian-fetch.c), and the
 * JSON of what it found.  See trees.h. */
#include <string.h>

#include "base/json.h"
#include "sources/trees-private.h"

G_DEFINE_QUARK (bp-trees-error-quark, bp_trees_error)

const char *
bp_tree_kind_to_string (BpTreeKind kind)
{
  switch (kind)
    {
    case BP_TREE_DEBIAN: return "debian";
    case BP_TREE_GIT: return "git";
    case BP_TREE_USER: return "user";
    case BP_TREE_NONE: break;
    }
  return "none";
}

void
bp_tree_free (BpTree *tree)
{
  if (tree == NULL)
    return;
  g_free (tree->line);
  g_free (tree->path);
  g_free (tree->version);
  g_free (tree->origin);
  g_free (tree->deb_version);
  g_free (tree->ref);
  g_free (tree->commit);
  g_ptr_array_unref (tree->notes);
  g_free (tree->missing);
  g_free (tree);
}

BpTree *
bp_tree_new (const char *line)
{
  BpTree *tree = g_new0 (BpTree, 1);
  tree->line = g_strdup (line);
  tree->notes = g_ptr_array_new_with_free_func (g_free);
  return tree;
}

void
bp_tree_set_free (BpTreeSet *set)
{
  if (set == NULL)
    return;
  g_ptr_array_unref (set->trees);
  g_ptr_array_unref (set->notes);
  g_free (set);
}

BpTree *
bp_tree_set_get (BpTreeSet *set, const char *line)
{
  for (guint i = 0; i < set->trees->len; i++)
    {
      BpTree *tree = set->trees->pdata[i];
      if (g_strcmp0 (tree->line, line) == 0)
        return tree;
    }
  return NULL;
}

char *
bp_trees_default_cache_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "backport", NULL);
}

/* ---- progress ---- */


void
bp_trees_report (const BpTreesReporter *r, const char *line, const char *format, ...)
{
  if (r->fn == NULL)
    return;
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  r->fn (line, BP_TREES_PROGRESS_STEP, msg, r->data);
}

void
bp_trees_report_output (const BpTreesReporter *r, const char *line, const char *text)
{
  if (r->fn)
    r->fn (line, BP_TREES_PROGRESS_OUTPUT, text, r->data);
}

void
bp_trees_add_note (GPtrArray *notes, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_ptr_array_add (notes, g_strdup_vprintf (format, ap));
  va_end (ap);
}

/* The line of PACK a VERSION text serves, or NULL. */
const char *
bp_trees_line_of_version (BpFixPack *pack, const char *version)
{
  BpFixLine *l = version ? bp_fixpack_line_for_version (pack, version) : NULL;
  return l ? l->name : NULL;
}

/* ---- resolution context ---- */

void
bp_trees_ctx_clear (BpTreesCtx *c)
{
  g_free (c->cache);
  g_free (c->apt_dir);
  g_free (c->apt_config);
  g_free (c->debian_dir);
  g_free (c->git_dir);
  g_free (c->logs);
}

/* ---- the pack's lines ---- */

gboolean
bp_trees_pack_has_line (BpFixPack *pack, const char *name)
{
  for (guint i = 0; i < pack->lines->len; i++)
    if (strcmp (((BpFixLine *) pack->lines->pdata[i])->name, name) == 0)
      return TRUE;
  return FALSE;
}

char *
bp_trees_pack_line_list (BpFixPack *pack)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < pack->lines->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", ((BpFixLine *) pack->lines->pdata[i])->name);
  return g_string_free (s, FALSE);
}

/* ---- resolve ---- */

static void
report_tree (BpTreesCtx *c, BpTree *t)
{
  if (t->path)
    bp_trees_report (&c->reporter, t->line, "%s tree %s (%s)%s", bp_tree_kind_to_string (t->kind), t->version,
                     t->origin, t->cached ? ", cached" : "");
  else
    bp_trees_report (&c->reporter, t->line, "no tree: %s", t->missing);
}

/* The lines of PENDING still without a tree get Debian's, as without a
 * repository.  With one, each such tree says why the repository had none,
 * and a line neither can serve says both. */
static gboolean
debian_for_the_rest (BpTreesCtx *c, GPtrArray *pending, GError **error)
{
  g_autoptr(GPtrArray) rest = g_ptr_array_new ();
  g_autoptr(GPtrArray) git_why = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < pending->len; i++)
    {
      BpTree *t = pending->pdata[i];
      if (t->kind != BP_TREE_NONE)
        continue;
      g_ptr_array_add (rest, t);
      g_ptr_array_add (git_why, t->missing ? g_steal_pointer (&t->missing) : g_strdup ("no tree"));
      if (c->opts->repo)
        bp_trees_add_note (t->notes, "%s: Debian's source instead", (char *) git_why->pdata[git_why->len - 1]);
    }
  if (rest->len == 0)
    return TRUE;
  if (!bp_trees_debian_lines (c, rest, error))
    return FALSE;
  for (guint i = 0; c->opts->repo && i < rest->len; i++)
    {
      BpTree *t = rest->pdata[i];
      if (t->kind != BP_TREE_NONE)
        continue;
      g_autofree char *debian = t->missing ? g_steal_pointer (&t->missing) : g_strdup ("no Debian tree");
      t->missing = g_strdup_printf ("%s, and %s", (char *) git_why->pdata[i], debian);
      /* the repository was tried: what is left is a download or the user's tree */
      t->remedy &= ~BP_TREE_REMEDY_REPO;
      t->remedy |= BP_TREE_REMEDY_TREE;
      /* the note said Debian would serve it: it did not */
      g_ptr_array_remove_index (t->notes, 0);
    }
  return TRUE;
}

BpTreeSet *
bp_trees_resolve (BpFixPack *pack, const BpTreesOptions *opts,
                  BpTreesProgress progress, gpointer user_data,
                  GCancellable *cancellable, GError **error)
{
  g_auto(BpTreesCtx) c = { 0 };
  c.pack = pack;
  c.opts = opts;
  c.reporter.fn = progress;
  c.reporter.data = user_data;
  c.cancellable = cancellable;
  g_autofree char *default_cache = bp_trees_default_cache_dir ();
  c.cache = g_canonicalize_filename (opts->cache_dir ? opts->cache_dir : default_cache, NULL);
  c.apt_dir = g_build_filename (c.cache, "apt", NULL);
  c.apt_config = g_build_filename (c.apt_dir, "apt.conf", NULL);
  c.debian_dir = g_build_filename (c.cache, "trees", "debian", NULL);
  c.git_dir = g_build_filename (c.cache, "trees", "git", NULL);
  c.logs = g_build_filename (c.cache, "logs", NULL);

  g_autoptr(BpTreeSet) set = g_new0 (BpTreeSet, 1);
  set->trees = g_ptr_array_new_with_free_func ((GDestroyNotify) bp_tree_free);
  set->notes = g_ptr_array_new_with_free_func (g_free);
  c.set = set;

  if (opts->lines)
    for (const char *const *l = opts->lines; *l; l++)
      if (!bp_trees_pack_has_line (pack, *l))
        {
          g_autofree char *all = bp_trees_pack_line_list (pack);
          g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_UNKNOWN_LINE,
                       "fix pack %s has no line %s (its lines: %s)", pack->name, *l, all);
          return NULL;
        }

  /* user trees, validated whether wanted or not */
  g_autoptr(GHashTable) users = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) bp_tree_free);
  if (opts->user_trees)
    for (const char *const *u = opts->user_trees; *u; u++)
      {
        BpTree *t = NULL;
        if (!bp_trees_user_tree (&c, *u, &t, error))
          return NULL;
        g_hash_table_replace (users, t->line, t);
      }

  g_autoptr(GPtrArray) pending = g_ptr_array_new ();   /* BpTree* owned by set, still without a tree */
  for (guint i = 0; i < pack->lines->len; i++)
    {
      const char *name = ((BpFixLine *) pack->lines->pdata[i])->name;
      if (opts->lines && !g_strv_contains (opts->lines, name))
        continue;
      gpointer key, value;
      if (g_hash_table_steal_extended (users, name, &key, &value))
        g_ptr_array_add (set->trees, value);
      else
        {
          BpTree *t = bp_tree_new (name);
          g_ptr_array_add (set->trees, t);
          g_ptr_array_add (pending, t);
        }
    }

  if (pending->len > 0 && opts->repo && !bp_trees_git_lines (&c, pending, error))
    return NULL;
  if (!debian_for_the_rest (&c, pending, error))
    return NULL;

  for (guint i = 0; i < set->trees->len; i++)
    bp_trees_subprojects (&c, set->trees->pdata[i]);
  for (guint i = 0; i < set->trees->len; i++)
    report_tree (&c, set->trees->pdata[i]);
  return g_steal_pointer (&set);
}

/* ---- JSON ---- */

static void
json_notes (JsonBuilder *b, GPtrArray *notes)
{
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < notes->len; i++)
    json_builder_add_string_value (b, notes->pdata[i]);
  json_builder_end_array (b);
}

/* BpTreeRemedy's flags, bit by bit */
static const char *const remedy_names[] = { "online", "repo", "tree" };

void
bp_tree_add_json (JsonBuilder *b, const BpTree *t)
{
  json_builder_begin_object (b);
  bp_json_add_string (b, "line", t->line);
  bp_json_add_string (b, "kind", bp_tree_kind_to_string (t->kind));
  bp_json_add_string (b, "path", t->path);
  bp_json_add_string (b, "version", t->version);
  bp_json_add_string (b, "origin", t->origin);
  bp_json_add_string (b, "deb-version", t->deb_version);
  bp_json_add_string (b, "ref", t->ref);
  bp_json_add_string (b, "commit", t->commit);
  json_builder_set_member_name (b, "cached");
  json_builder_add_boolean_value (b, t->cached);
  json_notes (b, t->notes);
  bp_json_add_string (b, "missing", t->missing);
  json_builder_set_member_name (b, "remedy");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (remedy_names); i++)
    if (t->remedy & (1u << i))
      json_builder_add_string_value (b, remedy_names[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static char *
member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? g_strdup (json_node_get_string (n)) : NULL;
}

BpTree *
bp_tree_from_json (JsonNode *node, GError **error)
{
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  g_autofree char *line = o ? member (o, "line") : NULL;
  g_autofree char *kind = o ? member (o, "kind") : NULL;
  if (line == NULL || kind == NULL)
    {
      g_set_error (error, BP_TREES_ERROR, BP_TREES_ERROR_INVALID_TREE, "a tree without \"line\" or \"kind\"");
      return NULL;
    }
  BpTree *t = bp_tree_new (line);
  static const BpTreeKind kinds[] = { BP_TREE_NONE, BP_TREE_DEBIAN, BP_TREE_GIT, BP_TREE_USER };
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kind, bp_tree_kind_to_string (kinds[i])) == 0)
      t->kind = kinds[i];
  t->path = member (o, "path");
  t->version = member (o, "version");
  t->origin = member (o, "origin");
  t->deb_version = member (o, "deb-version");
  t->ref = member (o, "ref");
  t->commit = member (o, "commit");
  t->missing = member (o, "missing");
  JsonArray *remedy = json_object_has_member (o, "remedy") ? json_object_get_array_member (o, "remedy") : NULL;
  for (guint i = 0; remedy && i < json_array_get_length (remedy); i++)
    for (guint k = 0; k < G_N_ELEMENTS (remedy_names); k++)
      if (g_strcmp0 (json_array_get_string_element (remedy, i), remedy_names[k]) == 0)
        t->remedy |= 1u << k;
  t->cached = json_object_get_boolean_member_with_default (o, "cached", FALSE);
  JsonArray *notes = json_object_has_member (o, "notes") ? json_object_get_array_member (o, "notes") : NULL;
  for (guint i = 0; notes && i < json_array_get_length (notes); i++)
    {
      const char *n = json_array_get_string_element (notes, i);
      if (n)
        g_ptr_array_add (t->notes, g_strdup (n));
    }
  return t;
}

JsonNode *
bp_tree_set_to_json (BpTreeSet *set)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "trees");
  json_builder_begin_array (b);
  for (guint i = 0; i < set->trees->len; i++)
    bp_tree_add_json (b, set->trees->pdata[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "downloads");
  json_builder_add_int_value (b, set->downloads);
  json_builder_set_member_name (b, "exports");
  json_builder_add_int_value (b, set->exports);
  json_builder_set_member_name (b, "index-updated");
  json_builder_add_boolean_value (b, set->index_updated);
  json_notes (b, set->notes);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
