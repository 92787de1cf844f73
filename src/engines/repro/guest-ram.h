/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest RAM the way QEMU makes it: a backing file (hugetlbfs, memfd with
 * MFD_HUGETLB, plain memfd, or tmpfs) mapped MAP_PRIVATE for share=off and
 * MAP_SHARED for share=on, prefilled with a pattern or left sparse as a fresh
 * -mem-path file is.  Plus the pieces every tier of the reproducer needs:
 * the page patterns, the "guest" that reads all RAM and dirties every K-th
 * page, PFNs from /proc/self/pagemap, the huge page pool and its counters,
 * and cleanup that also runs from SIGINT/SIGTERM.
 *
 * Plain C (libc only, no GLib) so that it links into a static binary for a
 * minimal VM's initramfs.  Functions that can fail return 0 on success and -1
 * with a one-line reason in ERR (ERRLEN bytes) on failure; a failure that
 * means "this machine cannot do it" (no hugetlbfs, not root, no huge pages)
 * also sets *CAPABILITY to 1 where the function takes it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

/* Same values, same order as BpBacking in repro.h. */
typedef enum {
  BP_GR_HUGETLBFS = 0,      /* a file on a hugetlbfs mount (QEMU -mem-path) */
  BP_GR_MEMFD_HUGETLB = 1,  /* memfd_create(MFD_HUGETLB) */
  BP_GR_MEMFD = 2,          /* memfd, 4K pages */
  BP_GR_TMPFS = 3,          /* a file on tmpfs, 4K pages */
} BpGrBacking;

const char *bp_gr_backing_name (int backing);
/* -1 when NAME is not one of hugetlbfs, memfd-hugetlb, memfd, tmpfs. */
int bp_gr_backing_from_name (const char *name);
int bp_gr_backing_is_huge (int backing);

/* The huge page pool: raise /proc/sys/vm/nr_hugepages by what a run needs
 * (as root), and give back exactly what was added.  Changes are made under
 * an flock so that concurrent runs add and remove their own share only. */
typedef struct {
  long added;               /* pages this process added to nr_hugepages */
  long baseline;            /* nr_hugepages before this process first added, -1 unknown */
  size_t page_size;         /* the default huge page size (Hugepagesize) */
  int users_fd;             /* shared flock on BP_HUGE_POOL_USERS while in use */
  int users_held;
} BpHugePool;

/* While a run uses the pool it holds a shared flock on this file (or the same
 * name in /tmp when /run is not writable); `flock -x` on it waits until no run
 * is using huge pages, e.g. to check that nr_hugepages came back. */
#define BP_HUGE_POOL_USERS "/run/backport-hugepages.users"

/* Make sure at least NEEDED default-size huge pages are free and unreserved.
 * Adds to the pool when needed and allowed (root); sets *CAPABILITY on a
 * failure that is the machine's (not root, the kernel gave fewer pages). */
int bp_huge_pool_ensure (BpHugePool *pool, size_t needed, int *capability,
                         char *err, size_t errlen);
/* Give back what bp_huge_pool_ensure added.  Async-signal-safe. */
void bp_huge_pool_release (BpHugePool *pool);

/* Huge pages consumed or promised: HugePages_Total - Free + Rsvd (all sizes
 * of the default pool).  -1 when /proc/meminfo has no such lines. */
long bp_hugepages_in_use (void);
/* Default huge page size in bytes from /proc/meminfo, 0 when unknown. */
size_t bp_hugepage_size (void);

typedef struct {
  /* what was asked */
  int backing;              /* BpGrBacking actually used */
  int share;                /* 1: MAP_SHARED, 0: MAP_PRIVATE */
  int sparse;               /* 1: fresh file with holes; 0: prefilled */
  size_t size;              /* bytes, a multiple of page_size */
  /* what was made */
  size_t page_size;         /* 4096 or the huge page size */
  size_t pages;             /* size / page_size */
  int fd;                   /* the RAMBlock's fd (what MAP_FILE is given) */
  off_t fd_offset;          /* the RAMBlock's fd offset (0 here) */
  unsigned char *host;      /* the guest's mapping (the RAMBlock's host address) */
  char path[4096];          /* file path for hugetlbfs/tmpfs (already unlinked), "" for memfd */
  char mount_dir[4096];     /* hugetlbfs mount this process made, "" if none */
  BpHugePool pool;          /* huge pages this process added */
  unsigned dirty_every;     /* set by bp_guest_ram_guest_write */
  int dirtied;              /* 1 once the guest wrote */
  char state_path[256];     /* this ram's leftover-state file while it holds pages or a mount, "" if none */
} BpGuestRam;

/* Create and map guest RAM.  SIZE is rounded up to the page size.  For the
 * huge backings the pool is raised to hold everything a run may touch (the
 * file's pages and a private copy: 2x for share=off).  On failure everything
 * made so far is released. */
int bp_guest_ram_open (BpGuestRam *ram, int backing, int share, size_t size, int sparse,
                       int *capability, char *err, size_t errlen);
/* Unmap, close, unmount what this process mounted, give back huge pages.
 * Safe to call twice and on a zeroed struct. */
void bp_guest_ram_close (BpGuestRam *ram);

/* Page contents.  Every page is filled with one 64-bit word repeated, so a
 * page is checked in one pass with no reference buffer. */
typedef enum {
  BP_GEN_ZERO = 0,          /* a hole */
  BP_GEN_PREFILL = 1,       /* what the file held before the guest ran */
  BP_GEN_GUEST = 2,         /* what the guest wrote */
  BP_GEN_MARKER = 3,        /* what the device wrote (first BP_MARKER_BYTES of a page) */
} BpGen;
#define BP_MARKER_BYTES 64

uint64_t bp_pattern_word (int gen, size_t page);
void bp_fill_words (void *p, size_t bytes, uint64_t word);
/* 1 when all BYTES at P are WORD repeated (BYTES a multiple of 8). */
int bp_words_are (const void *p, size_t bytes, uint64_t word);

/* The guest: read every page (as a running guest touches its RAM; a private
 * mapping of a hugetlbfs hole gets its own page here), returning a checksum
 * so the reads are not optimised away. */
uint64_t bp_guest_ram_guest_read (BpGuestRam *ram);
/* The guest writes BP_GEN_GUEST to every K-th page (0, K, 2K, ...).  Returns
 * the number of pages written. */
size_t bp_guest_ram_guest_write (BpGuestRam *ram, unsigned every);
/* 1 when the guest wrote page I. */
int bp_guest_ram_page_dirtied (const BpGuestRam *ram, size_t i);
/* The word the guest's page I holds now (what a correct device must see). */
uint64_t bp_guest_ram_expected (const BpGuestRam *ram, size_t i);
/* Pages whose first BP_MARKER_BYTES do not hold the device marker: the
 * device writes the guest did not see.  WRITTEN (may be NULL) says which
 * pages the device wrote; NULL means all. */
size_t bp_guest_ram_lost_markers (const BpGuestRam *ram, const unsigned char *written);

/* PFNs of the pages at ADDR (PAGES pages of PAGE_SIZE bytes) from
 * /proc/self/pagemap: 0 for a page not present.  Needs root (PFNs read as 0
 * otherwise: then returns -1 with the reason). */
int bp_pagemap_pfns (const void *addr, size_t pages, size_t page_size, uint64_t *pfns,
                     char *err, size_t errlen);
/* PFNs of the file's pages: maps the file MAP_SHARED read-only for a moment
 * and touches each page (for a sparse file this allocates the file's pages). */
int bp_guest_ram_file_pfns (const BpGuestRam *ram, uint64_t *pfns, char *err, size_t errlen);

/* Cleanup on signals (cleanup.c): while installed, SIGINT/SIGTERM/SIGHUP
 * kill the registered child processes (and process groups), remove the
 * registered scratch directories, lazily unmount what was mounted, give back
 * huge pages, then die of the signal.  Rams opened while installed are
 * registered automatically; children with bp_cleanup_add_pid, a child that
 * leads its own process group (a compiler and what it runs) with
 * bp_cleanup_add_group, directories with bp_cleanup_add_dir.  Installs
 * nest: the handlers stay until the last bp_cleanup_uninstall. */
void bp_cleanup_install (void);
void bp_cleanup_uninstall (void);
void bp_cleanup_add_pid (pid_t pid);
void bp_cleanup_add_group (pid_t leader);
void bp_cleanup_remove_pid (pid_t pid);
void bp_cleanup_add_dir (const char *dir);
void bp_cleanup_remove_dir (const char *dir);
/* For guest-ram.c: RAM to clean up on a signal (ON), or no longer. */
void bp_cleanup_track_ram (BpGuestRam *ram, int on);
/* Block SIGINT/SIGTERM/SIGHUP (the old mask in OLD), and restore it. */
void bp_cleanup_block (sigset_t *old);
void bp_cleanup_unblock (const sigset_t *old);

/* Memory for guest RAM (guest-ram.c): a run touches at most SIZE bytes
 * for share=on and twice that for share=off (the file's pages and a
 * private copy of each).  That must fit in MemAvailable (plus the pool's
 * free huge pages for the huge backings) less a margin of max(256 MiB,
 * MemTotal / 16), or the host's OOM killer would end the run and more.
 * 0 when it fits (or /proc/meminfo says nothing), -1 with the reason. */
int bp_guest_ram_fits (int backing, int share, size_t size, char *err, size_t errlen);

/* Leftovers of runs that were killed (leftovers.c).  While a run holds huge
 * pages it added or a hugetlbfs mount it made, a state file under
 * BP_REPRO_STATE_DIR (pid, start time, nr_hugepages before, pages added,
 * mount) says so; a normal exit or a signal removes it, SIGKILL cannot.
 * bp_guest_ram_recover gives back what runs that are gone left (pages
 * subtracted from nr_hugepages, mounts unmounted) and writes one line about
 * it to NOTE ("" when there was nothing).  Returns how many it recovered. */
#define BP_REPRO_STATE_DIR "/run/backport-repro"
int bp_guest_ram_recover (char *note, size_t notelen);
/* Write RAM's state file (or remove it when RAM holds nothing to give back). */
void bp_guest_ram_state_save (BpGuestRam *ram);
