/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tree policy: run a QEMU tree's own DMA-map decision.
 *
 * From the file that defines vfio_container_dma_map (hw/vfio/container.c on
 * 10.2+, hw/vfio/container-base.c on 9.2 to 10.1; 10.1's container.c is the
 * legacy container and only calls it), take that function and, when present,
 * vfio_container_can_dma_map_file; compile them with gcc against a shim of
 * the QEMU types of their API era, whose dma_map and dma_map_file callbacks
 * record which one the decision called, for private and for shared RAM with
 * an fd.  Results are cached by the hash of what was compiled, so a bisection
 * compiles each distinct text once. */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
#include <sys/wait.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <git2.h>

#include "base/read-limited.h"
#include "base/scratch.h"
#include "base/subprocess.h"
#include "base/test-pause.h"
#include "model/c-source.h"
#include "model/patch.h"
#include "base/bp-git.h"
#include "engines/repro/repro-private.h"

#define DECISION "vfio_container_dma_map"
#define HELPER "vfio_container_can_dma_map_file"

/* ---- extraction ------------------------------------------------------- */

/* The old signature, over the shared finder (c-source.c). */
static gboolean
find_definition (const char *s, gsize len, const char *name, gsize *start, gsize *end,
                 gsize *pstart, gsize *pend, gboolean *unparseable)
{
  BpCDefinition d;
  int found = bp_c_find_definition (s, len, name, &d);
  *unparseable = found < 0;
  if (found != 1)
    return FALSE;
  *start = d.start;
  *end = d.end;
  *pstart = d.params_start;
  *pend = d.params_end;
  return TRUE;
}

/* 1: S defines the decision; 0: it does not; -1: it names it but cannot be scanned. */
static int
defines_decision (const char *s, gsize len)
{
  gsize a, b, c, d;
  gboolean bad;
  if (!g_strstr_len (s, (gssize) len, DECISION))
    return 0;
  if (find_definition (s, len, DECISION, &a, &b, &c, &d, &bad))
    return 1;
  return bad ? -1 : 0;
}

/* ---- API eras and the shim -------------------------------------------- */

typedef enum {
  ERA_10_0,     /* 9.2, 10.0: VFIOContainerBase, ram_addr_t size, no mr */
  ERA_10_1,     /* 10.1: VFIOContainerBase, ram_addr_t size, mr */
  ERA_10_2,     /* 10.2+: VFIOContainer, uint64_t size, mr */
} Era;

static const char *const era_names[] = { "9.2/10.0", "10.1", "10.2+" };

static gboolean
detect_era (const char *params, Era *era)
{
  gboolean base = strstr (params, "VFIOContainerBase") != NULL;
  gboolean plain = !base && strstr (params, "VFIOContainer") != NULL;
  gboolean mr = strstr (params, "MemoryRegion") != NULL;
  if (base && !mr)
    *era = ERA_10_0;
  else if (base && mr)
    *era = ERA_10_1;
  else if (plain && mr)
    *era = ERA_10_2;
  else
    return FALSE;
  return TRUE;
}

static const char shim_common[] =
  "/* Shim of the QEMU types vfio_container_dma_map() uses (written for backport). */\n"
  "#include <assert.h>\n#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n"
  "#include <stdio.h>\n#include <stdlib.h>\n"
  "typedef uint64_t hwaddr;\ntypedef uint64_t ram_addr_t;\n"
  "typedef struct RAMBlock { int fd; ram_addr_t fd_offset; void *host; bool shared; } RAMBlock;\n"
  "typedef struct MemoryRegion { RAMBlock *ram_block; bool ram_device; } MemoryRegion;\n"
  "typedef struct IOMMUTLBEntry IOMMUTLBEntry;\ntypedef struct Error Error;\n"
  "#define g_assert(x) assert(x)\n#define g_assert_not_reached() abort()\n"
  "#define likely(x) (x)\n#define unlikely(x) (x)\n"
  "static inline int qemu_ram_get_fd(RAMBlock *rb) { return rb->fd; }\n"
  "static inline void *qemu_ram_get_host_addr(RAMBlock *rb) { return rb->host; }\n"
  "static inline ram_addr_t qemu_ram_get_fd_offset(RAMBlock *rb) { return rb->fd_offset; }\n"
  "static inline bool qemu_ram_is_shared(RAMBlock *rb) { return rb->shared; }\n"
  "static inline bool memory_region_is_ram_device(MemoryRegion *mr) { return mr->ram_device; }\n"
  "static const char *taken;\nstatic unsigned long taken_start;\n";

static char *
harness_source (Era era, const char *helper, const char *decision)
{
  const char *ct = era == ERA_10_2 ? "VFIOContainer" : "VFIOContainerBase";
  const char *st = era == ERA_10_2 ? "uint64_t" : "ram_addr_t";
  gboolean mr = era != ERA_10_0;
  GString *s = g_string_new (shim_common);
  g_string_append_printf (s, "typedef struct %1$s %1$s;\n", ct);
  if (mr)
    g_string_append_printf (s,
      "typedef struct VFIOIOMMUClass {\n"
      "  int (*dma_map)(const %1$s *bcontainer, hwaddr iova, %2$s size, void *vaddr, bool readonly,\n"
      "                 MemoryRegion *mr);\n"
      "  int (*dma_map_file)(const %1$s *bcontainer, hwaddr iova, %2$s size, int fd,\n"
      "                      unsigned long start, bool readonly);\n"
      "} VFIOIOMMUClass;\n"
      "static int cb_dma_map(const %1$s *c, hwaddr iova, %2$s size, void *vaddr, bool ro,\n"
      "                      MemoryRegion *mr)\n"
      "{ (void) c; (void) iova; (void) size; (void) vaddr; (void) ro; (void) mr;\n"
      "  taken = \"dma_map\"; return 0; }\n"
      "static int cb_dma_map_file(const %1$s *c, hwaddr iova, %2$s size, int fd,\n"
      "                           unsigned long start, bool ro)\n"
      "{ (void) c; (void) iova; (void) size; (void) fd; (void) ro;\n"
      "  taken = \"dma_map_file\"; taken_start = start; return 0; }\n",
      ct, st);
  else
    g_string_append_printf (s,
      "typedef struct VFIOIOMMUClass {\n"
      "  int (*dma_map)(const %1$s *bcontainer, hwaddr iova, %2$s size, void *vaddr, bool readonly);\n"
      "} VFIOIOMMUClass;\n"
      "static int cb_dma_map(const %1$s *c, hwaddr iova, %2$s size, void *vaddr, bool ro)\n"
      "{ (void) c; (void) iova; (void) size; (void) vaddr; (void) ro;\n"
      "  taken = \"dma_map\"; return 0; }\n",
      ct, st);
  g_string_append_printf (s,
    "struct %s { VFIOIOMMUClass *cls; };\n"
    "#define VFIO_IOMMU_GET_CLASS(obj) ((obj)->cls)\n", ct);
  g_string_append (s, "\n/* ---- extracted from the tree ---- */\n");
  if (helper)
    g_string_append_printf (s, "%s\n\n", helper);
  g_string_append_printf (s, "%s\n", decision);
  g_string_append_printf (s,
    "/* ---- harness ---- */\n"
    "int main(void)\n{\n"
    "  static char ram[1 << 16];\n"
    "  for (int share = 0; share <= 1; share++) {\n"
    "    RAMBlock rb = { .fd = 3, .fd_offset = 1 << 20, .host = ram, .shared = share };\n"
    "    MemoryRegion mr = { .ram_block = &rb, .ram_device = false };\n"
    "    VFIOIOMMUClass cls = { .dma_map = cb_dma_map%s };\n"
    "    %s c = { .cls = &cls };\n"
    "    taken = NULL;\n"
    "    int r = vfio_container_dma_map(&c, 0x100000, 4096, ram + 4096, false%s);\n"
    "    (void) mr;\n"
    "    printf(\"%%s=%%s %%d %%lu\\n\", share ? \"on\" : \"off\", taken ? taken : \"none\", r, taken_start);\n"
    "  }\n  return 0;\n}\n",
    mr ? ", .dma_map_file = cb_dma_map_file" : "", ct, mr ? ", &mr" : "");
  return g_string_free (s, FALSE);
}

/* ---- compile, run, cache ---------------------------------------------- */

/* CACHE_DIR/repro/KEY; NULL is $XDG_CACHE_HOME/backport. */
static char *
cache_path (const char *cache_dir, const char *key)
{
  if (cache_dir)
    return g_build_filename (cache_dir, "repro", key, NULL);
  return g_build_filename (g_get_user_cache_dir (), "backport", "repro", key, NULL);
}

/* In the child, before exec: its own process group (so that a signal's
 * cleanup kills the compiler and everything it runs), and the signals the
 * parent blocked around the spawn unblocked again. */
static void
child_setup (gpointer data)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  setpgid (0, 0);
  bp_child_guard ();   /* the group goes even if we are killed with SIGKILL */
}

/* Run ARGV with stdout and stderr to files in DIR (*OUT, *ERR get them) and
 * TMPDIR=DIR, so that all it writes is in DIR; registered with the signal
 * cleanup while it runs.  *STATUS gets its wait status. */
static gboolean
run_in (const char *dir, const char *const *argv, gboolean search_path, char **out, char **err,
        int *status, GError **error)
{
  g_autofree char *out_path = g_build_filename (dir, "stdout", NULL);
  g_autofree char *err_path = g_build_filename (dir, "stderr", NULL);
  int out_fd = open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open (err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "TMPDIR", dir, TRUE);
  GPid pid = 0;
  gboolean spawned = FALSE;
  if (out_fd >= 0 && err_fd >= 0)
    {
      bp_child_guard_prepare ();
      sigset_t old;
      bp_cleanup_block (&old);
      spawned = g_spawn_async_with_fds (dir, (char **) argv, env,
                                        G_SPAWN_DO_NOT_REAP_CHILD | (search_path ? G_SPAWN_SEARCH_PATH : 0),
                                        child_setup, NULL, &pid, -1, out_fd, err_fd, error);
      if (spawned)
        bp_cleanup_add_group (pid);
      bp_cleanup_unblock (&old);
    }
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir, g_strerror (errno));
  if (out_fd >= 0)
    close (out_fd);
  if (err_fd >= 0)
    close (err_fd);
  if (spawned)
    {
      while (waitpid (pid, status, 0) < 0 && errno == EINTR)
        ;
      bp_cleanup_remove_pid (pid);
      g_spawn_close_pid (pid);
    }
  if (out)
    g_file_get_contents (out_path, out, NULL, NULL);
  if (err)
    g_file_get_contents (err_path, err, NULL, NULL);
  g_unlink (out_path);
  g_unlink (err_path);
  return spawned;
}

/* The first error line of the compiler's stderr: what the shim lacks. */
static const char *
first_error (char **lines)
{
  const char *first = "";
  for (char **l = lines; *l; l++)
    {
      const char *p = strstr (*l, "harness.c:");
      if (strstr (*l, "error:") && (p || !first[0]))
        first = p ? p : *l;
      if (p && strstr (*l, "error:"))
        break;
    }
  return first;
}

/* Compile and run the harness in DIR; *OUTPUT gets its "off=... on=..." lines. */
static gboolean
build_and_run (const char *dir, const char *source, char **output, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *c_file = g_build_filename (dir, "harness.c", NULL);
  g_autofree char *exe = g_build_filename (dir, "harness", NULL);
  if (!g_file_set_contents (c_file, source, -1, &local))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "%s", local->message);
      return FALSE;
    }
  bp_test_pause ("repro-harness");
  const char *cc = g_getenv ("CC");
  if (!cc || !*cc)
    cc = "gcc";
  const char *argv[] = { cc, "-std=gnu11", "-O0", "-Werror=implicit-function-declaration",
                         "-Werror=implicit-int", "-Werror=incompatible-pointer-types",
                         "-Werror=int-conversion", "-o", exe, c_file, NULL };
  g_autofree char *err = NULL;
  int status = 0;
  if (!run_in (dir, argv, TRUE, NULL, &err, &status, &local))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY,
                   "cannot run %s to compile the tree's decision: %s", cc, local->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_auto(GStrv) lines = g_strsplit (err ? err : "", "\n", -1);
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_COMPILE,
                   "the extracted decision does not compile against the shim: %s", first_error (lines));
      return FALSE;
    }
  const char *run[] = { exe, NULL };
  g_autofree char *out = NULL;
  if (!run_in (dir, run, FALSE, &out, NULL, &status, &local))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "harness: %s", local->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_COMPILE,
                   "the compiled decision crashed or failed its assertions");
      return FALSE;
    }
  *output = g_steal_pointer (&out);
  if (*output == NULL)
    *output = g_strdup ("");
  return TRUE;
}

/* The harness in a scratch directory of its own, removed afterwards, and
 * on SIGINT/SIGTERM too (with the compiler's whole process group killed
 * first): a signal used to leave bp-repro-harness-* behind. */
static gboolean
compile_and_run (const char *source, char **output, GError **error)
{
  g_autoptr(GError) local = NULL;
  bp_cleanup_install ();
  g_autofree char *dir = NULL;
  {
    sigset_t old;
    bp_cleanup_block (&old);
    dir = bp_scratch_dir_new (g_get_tmp_dir (), BP_REPRO_HARNESS_PREFIX, &local);
    if (dir)
      bp_cleanup_add_dir (dir);
    bp_cleanup_unblock (&old);
  }
  if (!dir)
    {
      bp_cleanup_uninstall ();
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "temp dir for the harness: %s", local->message);
      return FALSE;
    }
  gboolean ok = build_and_run (dir, source, output, error);
  g_autofree char *c_file = g_build_filename (dir, "harness.c", NULL);
  g_autofree char *exe = g_build_filename (dir, "harness", NULL);
  g_unlink (exe);
  g_unlink (c_file);
  g_rmdir (dir);
  bp_cleanup_remove_dir (dir);
  bp_cleanup_uninstall ();
  return ok;
}

/* What the harness printed for SHARE: "dma_map" or "dma_map_file". */
static char *
taken_for (const char *output, gboolean share)
{
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
  const char *want = share ? "on=" : "off=";
  for (char **l = lines; *l; l++)
    if (g_str_has_prefix (*l, want))
      {
        const char *v = *l + strlen (want);
        return g_strndup (v, strcspn (v, " "));
      }
  return NULL;
}

gboolean
bp_repro_tree_decision (const char *source, gsize len, const char *path,
                        gboolean share, BpDmaPath *path_out, char **evidence, GError **error)
{
  return bp_repro_tree_decision_in (NULL, source, len, path, share, path_out, evidence, error);
}

gboolean
bp_repro_tree_decision_in (const char *cache_dir, const char *source, gsize len, const char *path,
                           gboolean share, BpDmaPath *path_out, char **evidence, GError **error)
{
  const char *where = path ? path : "source";
  gsize s0, s1, p0, p1;
  gboolean bad;
  if (!find_definition (source, len, DECISION, &s0, &s1, &p0, &p1, &bad))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT, bad
                   ? "%s: cannot parse the file to find " DECISION "() (unbalanced braces or comments)"
                   : "%s does not define " DECISION "()", where);
      return FALSE;
    }
  g_autofree char *decision = g_strndup (source + s0, s1 - s0);
  g_autofree char *params = g_strndup (source + p0, p1 - p0);
  Era era;
  if (!detect_era (params, &era))
    {
      g_autofree char *flat = g_strdelimit (g_strdup (params), "\n\t", ' ');
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT,
                   "%s: " DECISION "(%s) matches no known API era (VFIOContainerBase without or with mr, "
                   "VFIOContainer with mr)", where, flat);
      return FALSE;
    }
  g_autofree char *helper = NULL;
  gsize h0, h1, hp0, hp1;
  if (find_definition (source, len, HELPER, &h0, &h1, &hp0, &hp1, &bad))
    helper = g_strndup (source + h0, h1 - h0);

  g_autofree char *harness = harness_source (era, helper, decision);
  g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, harness, -1);
  g_autofree char *cache = cache_path (cache_dir, key);
  g_autofree char *output = NULL;
  if (!g_file_get_contents (cache, &output, NULL, NULL))
    {
      g_autoptr(GError) local = NULL;
      if (!compile_and_run (harness, &output, &local))
        {
          if (local->domain == BP_REPRO_ERROR && local->code == BP_REPRO_ERROR_COMPILE)
            {
              /* cache failures too: a bisection meets the same text again */
              g_autofree char *msg = g_strdup_printf ("error=%s\n", local->message);
              g_autofree char *dir = g_path_get_dirname (cache);
              if (g_mkdir_with_parents (dir, 0755) == 0)
                g_file_set_contents (cache, msg, -1, NULL);
            }
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", where);
          return FALSE;
        }
      g_autofree char *dir = g_path_get_dirname (cache);
      if (g_mkdir_with_parents (dir, 0755) == 0)
        g_file_set_contents (cache, output, -1, NULL);
    }
  if (g_str_has_prefix (output, "error="))
    {
      g_autofree char *msg = g_strchomp (g_strdup (output + 6));
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_COMPILE, "%s: %s", where, msg);
      return FALSE;
    }
  g_autofree char *taken = taken_for (output, share);
  if (!taken || (strcmp (taken, "dma_map") != 0 && strcmp (taken, "dma_map_file") != 0))
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT,
                   "%s: " DECISION "() called neither dma_map nor dma_map_file", where);
      return FALSE;
    }
  *path_out = strcmp (taken, "dma_map_file") == 0 ? BP_DMA_BY_FILE : BP_DMA_BY_ADDRESS;
  if (evidence)
    *evidence = g_strdup_printf ("%s (%s API%s): share=%s -> %s()", where, era_names[era],
                                 helper ? ", with " HELPER "()" : "", share ? "on" : "off", taken);
  return TRUE;
}

/* ---- finding the file in a tree or a revision ------------------------- */

/* Known homes first, then the rest of hw/vfio in name order. */
static int
candidate_rank (const char *name)
{
  if (strcmp (name, "container.c") == 0)
    return 0;
  if (strcmp (name, "container-base.c") == 0)
    return 1;
  return 2;
}

static gint
candidate_cmp (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  int rx = candidate_rank (x), ry = candidate_rank (y);
  return rx != ry ? rx - ry : strcmp (x, y);
}

/* A candidate file's text; NULL without an error when it is not there, NULL
 * with one when it cannot be read as it should (a device, too large). */
typedef char *(*ReadFn) (gpointer data, const char *rel, gsize *len, GError **error);

/* Ask the decision of the first of NAMES (files in hw/vfio) that defines it.
 * FOUND is FALSE when no file defines it or even names it unparseably. */
static gboolean
decide_in (const char *cache_dir, GPtrArray *names, ReadFn read, gpointer data, gboolean share,
           BpDmaPath *path, char **ev, gboolean *found, GError **error)
{
  g_autofree char *bad = NULL;
  g_autofree char *bad_text = NULL;
  gsize bad_len = 0;
  *found = TRUE;
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *rel = g_strdup_printf ("hw/vfio/%s", (char *) names->pdata[i]);
      gsize len = 0;
      g_autoptr(GError) local = NULL;
      g_autofree char *text = read (data, rel, &len, &local);
      if (local)
        {
          g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT, "%s", local->message);
          return FALSE;   /* FOUND stays TRUE: this error is the answer */
        }
      int def = text ? defines_decision (text, len) : 0;
      if (def > 0)
        return bp_repro_tree_decision_in (cache_dir, text, len, rel, share, path, ev, error);
      if (def < 0 && !bad)
        {
          bad = g_steal_pointer (&rel);
          bad_text = g_steal_pointer (&text);
          bad_len = len;
        }
    }
  if (bad)   /* it names the decision but cannot be scanned: let that error say so */
    return bp_repro_tree_decision_in (cache_dir, bad_text, bad_len, bad, share, path, ev, error);
  *found = FALSE;
  return FALSE;
}

/* Files of an unpacked tree, read as untrusted input: inside the tree (a
 * symlink out of it is refused), a regular file (a link to /dev/zero is
 * refused before it is read), and within the 16 MiB limit, streamed. */
static char *
read_from_dir (gpointer data, const char *rel, gsize *len, GError **error)
{
  const char *dir = data;
  g_autofree char *file = g_build_filename (dir, rel, NULL);
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    return NULL;
  g_autofree char *real_dir = realpath (dir, NULL);
  g_autofree char *real = realpath (file, NULL);
  gsize n = real_dir ? strlen (real_dir) : 0;
  if (!real || !real_dir || strncmp (real, real_dir, n) != 0 || real[n] != '/')
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT, "%s/%s leads out of the tree (%s): refused",
                   dir, rel, real ? real : "unresolvable");
      return NULL;
    }
  g_autoptr(GError) local = NULL;
  char *text = bp_read_file_limited (real, BP_PATCH_MAX_SIZE, TRUE, len, NULL, &local);
  if (!text)
    g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT, "%s/%s: %s", dir, rel, local->message);
  return text;
}

static gboolean
tree_from_dir (const char *cache_dir, const char *dir, gboolean share, BpDmaPath *path, char **evidence, GError **error)
{
  g_autofree char *vfio = g_build_filename (dir, "hw", "vfio", NULL);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) d = g_dir_open (vfio, 0, &local);
  if (!d)
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT,
                   "%s has no hw/vfio: it must be the top of an unpacked QEMU source tree", dir);
      return FALSE;
    }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *n; (n = g_dir_read_name (d));)
    if (g_str_has_suffix (n, ".c"))
      g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, candidate_cmp);
  g_autofree char *version = NULL;
  g_autofree char *vfile = g_build_filename (dir, "VERSION", NULL);
  if ((version = bp_read_file_limited (vfile, 4096, TRUE, NULL, NULL, NULL)))
    g_strstrip (version);
  g_autofree char *ev = NULL;
  gboolean found;
  if (decide_in (cache_dir, names, read_from_dir, (gpointer) dir, share, path, &ev, &found, error))
    {
      *evidence = g_strdup_printf ("tree %s %s", version ? version : dir, ev);
      return TRUE;
    }
  if (found)
    return FALSE;
  g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT,
               "no file in %s defines " DECISION "() (not a QEMU 9.2+ tree?)", vfio);
  return FALSE;
}

static gboolean
git_fail (GError **error, int code, const char *what)
{
  const git_error *e = git_error_last ();
  g_set_error (error, BP_REPRO_ERROR, code, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
  return FALSE;
}

typedef struct {
  git_repository *repo;
  git_object *obj;
  git_commit *commit;
  git_tree *tree;
  git_tree *vfio;
} GitState;

static void
git_state_clear (GitState *g)
{
  if (g->vfio)
    git_tree_free (g->vfio);
  if (g->tree)
    git_tree_free (g->tree);
  if (g->commit)
    git_commit_free (g->commit);
  if (g->obj)
    git_object_free (g->obj);
  if (g->repo)
    git_repository_free (g->repo);
  memset (g, 0, sizeof *g);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GitState, git_state_clear)

static char *
blob_text (git_repository *repo, const git_tree *tree, const char *path, gsize *len)
{
  git_tree_entry *entry = NULL;
  if (git_tree_entry_bypath (&entry, tree, path) != 0)
    return NULL;
  git_blob *blob = NULL;
  char *text = NULL;
  if (git_tree_entry_type (entry) == GIT_OBJECT_BLOB
      && git_blob_lookup (&blob, repo, git_tree_entry_id (entry)) == 0)
    {
      *len = (gsize) git_blob_rawsize (blob);
      text = g_strndup (git_blob_rawcontent (blob), *len);
      git_blob_free (blob);
    }
  git_tree_entry_free (entry);
  return text;
}

typedef struct {
  git_repository *repo;
  git_tree *tree;
} BlobReader;

static char *
read_from_git (gpointer data, const char *rel, gsize *len, GError **error)
{
  BlobReader *br = data;
  char *text = blob_text (br->repo, br->tree, rel, len);
  if (text && *len > BP_PATCH_MAX_SIZE)
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT, "%s: %" G_GSIZE_FORMAT " bytes is over the %d MiB limit",
                   rel, *len, BP_PATCH_MAX_SIZE / (1024 * 1024));
      g_clear_pointer (&text, g_free);
    }
  return text;
}

static gboolean
tree_from_rev (const char *cache_dir, const char *repo_dir, const char *rev, gboolean share, BpDmaPath *path,
               char **evidence, GError **error)
{
  g_auto(GitState) g = { 0 };
  bp_git_require ();   /* main.c's set-up, once */
  if (git_repository_open_ext (&g.repo, repo_dir, 0, NULL) != 0)
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY, "%s is not a git repository (a QEMU clone)",
                   repo_dir);
      return FALSE;
    }
  if (git_revparse_single (&g.obj, g.repo, rev) != 0)
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY,
                   "revision '%s' not found in %s: give a commit, tag or branch of that repository", rev, repo_dir);
      return FALSE;
    }
  if (git_object_peel ((git_object **) &g.commit, g.obj, GIT_OBJECT_COMMIT) != 0)
    return git_fail (error, BP_REPRO_ERROR_CAPABILITY, "revision is not a commit");
  if (git_commit_tree (&g.tree, g.commit) != 0)
    return git_fail (error, BP_REPRO_ERROR_FAILED, "commit tree");
  git_tree_entry *e = NULL;
  if (git_tree_entry_bypath (&e, g.tree, "hw/vfio") != 0 || git_tree_entry_type (e) != GIT_OBJECT_TREE
      || git_tree_lookup (&g.vfio, g.repo, git_tree_entry_id (e)) != 0)
    {
      if (e)
        git_tree_entry_free (e);
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT, "%s at %s has no hw/vfio", repo_dir, rev);
      return FALSE;
    }
  git_tree_entry_free (e);

  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (size_t i = 0; i < git_tree_entrycount (g.vfio); i++)
    {
      const git_tree_entry *te = git_tree_entry_byindex (g.vfio, i);
      if (git_tree_entry_type (te) == GIT_OBJECT_BLOB && g_str_has_suffix (git_tree_entry_name (te), ".c"))
        g_ptr_array_add (names, g_strdup (git_tree_entry_name (te)));
    }
  g_ptr_array_sort (names, candidate_cmp);
  char short_id[12] = "";
  git_oid_tostr (short_id, sizeof short_id, git_commit_id (g.commit));
  gsize vlen;
  g_autofree char *version = blob_text (g.repo, g.tree, "VERSION", &vlen);
  if (version)
    g_strstrip (version);
  g_autofree char *ev = NULL;
  gboolean found;
  BlobReader br = { g.repo, g.tree };
  if (decide_in (cache_dir, names, read_from_git, &br, share, path, &ev, &found, error))
    {
      *evidence = g_strdup_printf ("rev %s (%s%s%s) %s", rev, short_id, version ? ", VERSION " : "",
                                   version ? version : "", ev);
      return TRUE;
    }
  if (found)
    return FALSE;
  g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_EXTRACT,
               "no file in hw/vfio of %s at %s defines " DECISION "() (before QEMU 9.2?)", repo_dir, rev);
  return FALSE;
}

gboolean
bp_repro_tree_policy (const BpReproConfig *config, gboolean share, BpDmaPath *path,
                      char **evidence, GError **error)
{
  if (config->tree_dir)
    return tree_from_dir (config->cache_dir, config->tree_dir, share, path, evidence, error);
  if (config->repo_dir && config->rev)
    return tree_from_rev (config->cache_dir, config->repo_dir, config->rev, share, path, evidence, error);
  g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_CAPABILITY,
               "the tree policy needs a tree: a directory, or a repository and a revision");
  return FALSE;
}
