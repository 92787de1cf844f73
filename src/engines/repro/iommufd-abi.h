/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The part of the iommufd ioctl ABI tier 2 uses, written for this project.
 *
 * Debian 12's kernel headers predate IOMMU_IOAS_MAP_FILE (Linux 6.13), and the
 * test mock's command (CONFIG_IOMMUFD_TEST) lives in a kernel-internal header
 * that is never installed.  The layouts below were checked against Linux
 * 7.2.8's include/uapi/linux/iommufd.h and drivers/iommu/iommufd/iommufd_test.h
 * (Debian's linux source package); every size and offset is pinned by a static
 * assertion at the end.
 *
 * Plain C, libc only: the static reproducer includes it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* Every iommufd ioctl is _IO(';', nr): the argument's size is its first u32,
 * not part of the request number. */
#define BP_IOMMUFD_TYPE ';'
#define BP_IOMMUFD_NR_BASE 0x80

#define BP_IOMMU_IOAS_ALLOC    _IO (BP_IOMMUFD_TYPE, 0x81)
#define BP_IOMMU_IOAS_MAP      _IO (BP_IOMMUFD_TYPE, 0x85)
#define BP_IOMMU_IOAS_UNMAP    _IO (BP_IOMMUFD_TYPE, 0x86)
#define BP_IOMMU_IOAS_MAP_FILE _IO (BP_IOMMUFD_TYPE, 0x8f)   /* Linux >= 6.13 */
#define BP_IOMMU_TEST_CMD      _IO (BP_IOMMUFD_TYPE, BP_IOMMUFD_NR_BASE + 32) /* CONFIG_IOMMUFD_TEST */

/* Flags of IOAS_MAP and IOAS_MAP_FILE. */
enum {
  BP_IOAS_MAP_FIXED_IOVA = 1u << 0,
  BP_IOAS_MAP_WRITEABLE  = 1u << 1,
  BP_IOAS_MAP_READABLE   = 1u << 2,
};

/* __aligned_u64 of the uapi: 8-byte aligned on every ABI, i386 included. */
typedef uint64_t bp_au64 __attribute__ ((aligned (8)));

struct bp_iommu_ioas_alloc {
  uint32_t size;
  uint32_t flags;          /* 0 */
  uint32_t out_ioas_id;
};

struct bp_iommu_ioas_map {
  uint32_t size;
  uint32_t flags;
  uint32_t ioas_id;
  uint32_t reserved;       /* 0 */
  bp_au64 user_va;
  bp_au64 length;
  bp_au64 iova;            /* out, or in with FIXED_IOVA */
};

struct bp_iommu_ioas_map_file {
  uint32_t size;
  uint32_t flags;
  uint32_t ioas_id;
  int32_t fd;              /* memfd or hugetlbfs file */
  bp_au64 start;           /* byte offset in the file */
  bp_au64 length;
  bp_au64 iova;
};

struct bp_iommu_ioas_unmap {
  uint32_t size;
  uint32_t ioas_id;
  bp_au64 iova;
  bp_au64 length;          /* in, and out: bytes unmapped */
};

/* IOMMU_TEST_CMD operations (enum in iommufd_test.h, counted from 1). */
enum {
  BP_TEST_OP_MOCK_DOMAIN   = 2,  /* id = ioas: attach a mock device + domain */
  BP_TEST_OP_MD_CHECK_MAP  = 3,  /* id = hwpt: EINVAL when the IOMMU PFN differs from uptr's page */
  BP_TEST_OP_CREATE_ACCESS = 5,  /* id = ioas: an in-kernel access (emulated device) */
  BP_TEST_OP_ACCESS_RW     = 8,  /* id = access fd: read/write through the IOAS */
};

enum {
  BP_ACCESS_RW_WRITE     = 1u << 0,
  BP_ACCESS_RW_SLOW_PATH = 1u << 2,  /* through the pinned pages, not a copy from the VA */
};

/* At most this many bytes per ACCESS_RW call. */
#define BP_ACCESS_RW_MAX (16u * 1024 * 1024)

struct bp_iommu_test_cmd {
  uint32_t size;
  uint32_t op;
  uint32_t id;
  uint32_t reserved;
  union {
    struct {
      uint32_t out_stdev_id;
      uint32_t out_hwpt_id;
      uint32_t out_idev_id;
    } mock_domain;
    struct {
      bp_au64 iova;
      bp_au64 length;
      bp_au64 uptr;
    } check_map;
    struct {
      uint32_t out_access_fd;
      uint32_t flags;
    } create_access;
    struct {
      bp_au64 iova;
      bp_au64 length;
      bp_au64 uptr;
      uint32_t flags;
    } access_rw;
    /* The kernel's largest member (the dirty-bitmap op) is 48 bytes; the
     * union must be as large for `last` to sit where the kernel expects it. */
    bp_au64 raw[6];
  };
  uint32_t last;
};

#define BP_OFFSETOFEND(type, member) (offsetof (type, member) + sizeof (((type *) 0)->member))

_Static_assert (BP_IOMMU_IOAS_ALLOC == 0x3b81, "IOMMU_IOAS_ALLOC");
_Static_assert (BP_IOMMU_IOAS_MAP == 0x3b85, "IOMMU_IOAS_MAP");
_Static_assert (BP_IOMMU_IOAS_UNMAP == 0x3b86, "IOMMU_IOAS_UNMAP");
_Static_assert (BP_IOMMU_IOAS_MAP_FILE == 0x3b8f, "IOMMU_IOAS_MAP_FILE");
_Static_assert (BP_IOMMU_TEST_CMD == 0x3ba0, "IOMMU_TEST_CMD");
_Static_assert (sizeof (struct bp_iommu_ioas_alloc) == 12, "iommu_ioas_alloc");
_Static_assert (sizeof (struct bp_iommu_ioas_map) == 40, "iommu_ioas_map");
_Static_assert (offsetof (struct bp_iommu_ioas_map, user_va) == 16, "iommu_ioas_map.user_va");
_Static_assert (offsetof (struct bp_iommu_ioas_map, iova) == 32, "iommu_ioas_map.iova");
_Static_assert (sizeof (struct bp_iommu_ioas_map_file) == 40, "iommu_ioas_map_file");
_Static_assert (offsetof (struct bp_iommu_ioas_map_file, fd) == 12, "iommu_ioas_map_file.fd");
_Static_assert (offsetof (struct bp_iommu_ioas_map_file, start) == 16, "iommu_ioas_map_file.start");
_Static_assert (offsetof (struct bp_iommu_ioas_map_file, iova) == 32, "iommu_ioas_map_file.iova");
_Static_assert (sizeof (struct bp_iommu_ioas_unmap) == 24, "iommu_ioas_unmap");
_Static_assert (offsetof (struct bp_iommu_ioas_unmap, iova) == 8, "iommu_ioas_unmap.iova");
_Static_assert (offsetof (struct bp_iommu_test_cmd, mock_domain) == 16, "iommu_test_cmd union");
_Static_assert (offsetof (struct bp_iommu_test_cmd, access_rw.flags) == 40, "iommu_test_cmd.access_rw.flags");
_Static_assert (offsetof (struct bp_iommu_test_cmd, last) == 64, "iommu_test_cmd.last");
_Static_assert (sizeof (struct bp_iommu_test_cmd) == 72, "iommu_test_cmd");
/* The kernel refuses a command shorter than offsetofend(last). */
_Static_assert (BP_OFFSETOFEND (struct bp_iommu_test_cmd, last) == 68, "iommu_test_cmd min size");
