/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reproducer: private hugetlbfs guest RAM, a device that DMAs through
 * the path a mapping policy picks (by file, like IOMMU_IOAS_MAP_FILE, or by
 * address, like IOMMU_IOAS_MAP), and the evidence of what it saw.
 *
 * This header is the contract between the parts of src/repro/ and their
 * users (cmd-repro.c, bisect, verify). */
#pragma once

#include <glib.h>

#define BP_REPRO_ERROR (bp_repro_error_quark ())

/* The harness of the tree policy compiles in TMPDIR/BP_REPRO_HARNESS_PREFIX
 * <pid>.<start>-XXXXXX (base/scratch.h): what a killed run left, the next
 * removes. */
#define BP_REPRO_HARNESS_PREFIX "bp-repro-harness-"
GQuark bp_repro_error_quark (void);

typedef enum {
  BP_REPRO_ERROR_CAPABILITY,   /* no hugetlbfs / no /dev/iommu / not root: exit 3 */
  BP_REPRO_ERROR_EXTRACT,      /* the tree has no (parseable) decision function */
  BP_REPRO_ERROR_COMPILE,      /* the extracted decision did not compile */
  BP_REPRO_ERROR_FAILED,       /* a system call failed */
  BP_REPRO_ERROR_TOO_LARGE,    /* the guest RAM asked for does not fit in the host's memory */
} BpReproErrorCode;

typedef enum {
  BP_BACKING_HUGETLBFS,        /* a file on a hugetlbfs mount (QEMU -mem-path) */
  BP_BACKING_MEMFD_HUGETLB,    /* memfd_create(MFD_HUGETLB) */
  BP_BACKING_MEMFD,            /* memfd, 4K pages */
  BP_BACKING_TMPFS,            /* a file on tmpfs, 4K pages */
} BpBacking;

typedef enum {
  BP_POLICY_OLD,     /* by file whenever there is an fd: QEMU 10.1 .. 11.0 */
  BP_POLICY_FIXED,   /* by file only when shared or a RAM device: the fix */
  BP_POLICY_TREE,    /* the tree's own vfio_container_dma_map, compiled */
} BpPolicy;

typedef enum {
  BP_DMA_BY_ADDRESS, /* IOMMU_IOAS_MAP: the process's pages at vaddr */
  BP_DMA_BY_FILE,    /* IOMMU_IOAS_MAP_FILE: the file's pages at fd+offset */
} BpDmaPath;

typedef struct {
  BpBacking backing;
  gboolean backing_forced;   /* user asked for it: no fallback, exit 3 */
  gboolean share;            /* share=on: MAP_SHARED */
  gsize size;                /* guest RAM bytes */
  guint dirty_every;         /* guest writes every K-th page */
  gboolean sparse;           /* fresh file (holes) instead of prefilled */
  int tier;                  /* 1, 2, or 0 for auto */
  BpPolicy policy;
  const char *tree_dir;      /* policy tree: an unpacked tree ... */
  const char *repo_dir;      /* ... or a repo and a revision (blob, no checkout) */
  const char *rev;
  gboolean measure_memcmp;    /* also time a plain memcmp of guest RAM against the
                                 device's view (bench/repro.sh's ceiling) */
  const char *cache_dir;     /* the tree policy's compiled decisions go to DIR/repro;
                                NULL: $XDG_CACHE_HOME/backport (verify --cache) */
} BpReproConfig;

typedef struct {
  int tier;                  /* tier that ran */
  char *tier_reason;         /* why that tier ("no /dev/iommu: tier 1") */
  BpBacking backing;         /* backing used (after any fallback) */
  char *backing_reason;      /* why a fallback happened, or NULL */
  BpDmaPath path;            /* path the policy chose for guest RAM */
  char *policy_evidence;     /* e.g. "tree v10.2.2 hw/vfio/container.c: dma_map_file()" */
  guint64 pages;             /* guest pages checked */
  gsize page_size;           /* bytes per guest page */
  guint64 pages_dirtied;     /* pages the guest wrote */
  guint64 stale_reads;       /* pages the device read stale */
  guint64 lost_writes;       /* device writes the guest did not see */
  guint64 pfn_mismatches;    /* tier 2: IOMMU PFN != guest PFN */
  gint64 pfn_diverged_before; /* as root: the same, before the guest wrote; -1 unknown */
  gint64 pfn_diverged;       /* as root: guest PFN != file PFN after writes; -1 unknown */
  gint64 extra_hugepages;    /* pages the DMA path allocated in the file beyond guest RAM
                                (huge pages for the huge backings; from the file's
                                st_blocks, so other processes do not count); -1 unknown */
  gint64 hugepages_pool_delta; /* HugePages_Total - Free + Rsvd after minus before the
                                device (system-wide); -1 unknown */
  double seconds;            /* time to verify */
  guint64 device_writes;     /* pages the device wrote a marker to */
  double memcmp_seconds;     /* with measure_memcmp: memcmp of the same buffers; else 0 */
  gboolean reproduced;       /* stale_reads || lost_writes || pfn_mismatches */
  char *recovered;           /* what runs killed before this one had left and was given back
                                (one line), or NULL; set even when the run fails */
} BpReproResult;

void bp_repro_result_clear (BpReproResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpReproResult, bp_repro_result_clear)

/* Run one reproduction.  FALSE with BP_REPRO_ERROR_CAPABILITY when the
 * machine cannot do what CONFIG asks. */
gboolean bp_repro_run (const BpReproConfig *config, BpReproResult *result, GError **error);

/* Does the guest RAM CONFIG asks for fit in the host's memory (see
 * bp_guest_ram_fits)?  FALSE with BP_REPRO_ERROR_TOO_LARGE saying how much
 * would.  bp_repro_run checks this first too. */
gboolean bp_repro_check_size (const BpReproConfig *config, GError **error);

/* The tree policy alone: which path does the decision in SOURCE (the text of
 * the file holding vfio_container_dma_map, from a tree or a blob) choose for
 * RAM with an fd, shared or not?  Compiles the extracted function against the
 * shim for its API era (detected from the text).  Used by bisect's repro
 * predicate: an EXTRACT or COMPILE error there means "skip".
 * EVIDENCE gets a one-line description. */
gboolean bp_repro_tree_decision (const char *source, gsize len, const char *path,
                                 gboolean share, BpDmaPath *path_out,
                                 char **evidence, GError **error);
/* The same, keeping the compiled decisions under CACHE_DIR/repro (NULL: the default). */
gboolean bp_repro_tree_decision_in (const char *cache_dir, const char *source, gsize len, const char *path,
                                    gboolean share, BpDmaPath *path_out, char **evidence, GError **error);
