/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tier 2 core: the real kernel DMA paths through /dev/iommu and the iommufd
 * test mock, in plain C (libc only) so that the static reproducer a test VM
 * boots as /init can link it.  tier2.c wraps it for the GLib side.
 *
 * One session is one iommufd context with its own IOAS, a mock device and
 * domain (MOCK_DOMAIN) and an emulated device (CREATE_ACCESS).  Guest RAM is
 * mapped into it by file (IOMMU_IOAS_MAP_FILE: fd + offset) or by address
 * (IOMMU_IOAS_MAP), then, as QEMU maps at machine init before the guest runs,
 * the guest reads all of its RAM and writes every K-th page.  Then every guest
 * page is checked:
 *   - the device reads it (ACCESS_RW with SLOW_PATH, through the pages the
 *     IOAS pinned) and compares with what the guest holds: a stale read;
 *   - MD_CHECK_MAP compares the IOMMU's PFN with the guest's page: EINVAL is
 *     a PFN mismatch;
 *   - the device writes a marker and the guest looks for it: a lost write
 *     (and the backing file is read: did the write land there instead?).
 * Give each mapping path its own RAM: pinning by address breaks COW on every
 * page and would hide what the file path does to the same RAM. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "engines/repro/guest-ram.h"

#define BP_T2_DEV_IOMMU "/dev/iommu"

struct bp_t2_counts {
  uint64_t pages;            /* guest pages checked */
  uint64_t pages_dirtied;    /* pages the guest wrote after the map */
  uint64_t stale_reads;      /* device read != what the guest holds */
  uint64_t lost_writes;      /* device marker not seen by the guest */
  uint64_t pfn_mismatches;   /* MD_CHECK_MAP: IOMMU PFN != guest's page */
  uint64_t writes_in_file;   /* device marker found in the backing file */
  int64_t pfn_diverged;      /* guest PFN != file PFN after the writes; -1 unknown (not root) */
  int64_t extra_hugepages;   /* pool pages the map and the run consumed; -1 not hugetlb */
};

struct bp_t2 {
  int iommufd;
  int access_fd;
  uint32_t ioas_id;
  uint32_t hwpt_id;
  uint32_t stdev_id;
  int mapped;
  uint64_t iova;
  uint64_t length;
  int err_no;                /* errno of the failing call, 0 if none */
  char err[256];             /* what failed, one line */
};

/* 1 when this kernel has /dev/iommu, IOMMU_IOAS_MAP_FILE and the test mock;
 * 0 with REASON (one line) saying what is missing. */
int bp_t2_probe (char *reason, size_t reason_len);

/* Open /dev/iommu, allocate an IOAS, attach a mock domain, create an access.
 * 0, or -1 with T->err and T->err_no.  Call bp_t2_close in both cases. */
int bp_t2_open (struct bp_t2 *t);

/* Map RAM into the IOAS: BY_FILE uses IOMMU_IOAS_MAP_FILE (the RAMBlock's fd
 * and offset), otherwise IOMMU_IOAS_MAP (its host address).  0 or -1; err_no
 * ENOMEM: the pool could not hold the file's own pages; ENOTTY: no MAP_FILE. */
int bp_t2_map (struct bp_t2 *t, const BpGuestRam *ram, int by_file);

/* Check every guest page through the device and the IOMMU (see above); the
 * device writes its markers into RAM.  Adds to COUNTS.  0 or -1. */
int bp_t2_check (struct bp_t2 *t, const BpGuestRam *ram, struct bp_t2_counts *counts);

/* Unmap (when mapped) and close everything; safe after a failed open. */
void bp_t2_close (struct bp_t2 *t);

/* One whole case on fresh RAM: open, map by PATH, guest reads all and writes
 * every DIRTY_EVERY-th page, check, PFNs as root, close.  READ_BEFORE_MAP: the
 * guest reads all RAM before the map instead of after it (QEMU maps first; a
 * private read of a hugetlb hole before the map gets the guest its own page,
 * so then no page is shared with the file).  0, or -1 with the reason in ERR
 * and *ERR_NO set (ENOMEM from the map is worth reporting: MAP_FILE could not
 * get the file's second copy of guest RAM). */
int bp_t2_run_case (BpGuestRam *ram, int by_file, unsigned dirty_every, int read_before_map,
                    struct bp_t2_counts *counts, int *err_no, char *err, size_t errlen);
