/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compiled by run-tier2.sh against the kernel source it builds: our own
 * iommufd definitions (src/repro/iommufd-abi.h) must agree with the kernel's
 * uapi header and its test-mock header in every size, offset and number we
 * use.  A mismatch is a compile error naming the field. */
#include <stddef.h>
#include <stdio.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"

#include "engines/repro/iommufd-abi.h"

#define SAME_SIZE(k, o) _Static_assert (sizeof (struct k) == sizeof (struct o), #k " size")
#define SAME_OFF(k, o, m) _Static_assert (offsetof (struct k, m) == offsetof (struct o, m), #k "." #m)
#define SAME_NUM(k, o) _Static_assert ((unsigned long) (k) == (unsigned long) (o), #k)

SAME_SIZE (iommu_ioas_alloc, bp_iommu_ioas_alloc);
SAME_OFF (iommu_ioas_alloc, bp_iommu_ioas_alloc, out_ioas_id);

SAME_SIZE (iommu_ioas_map, bp_iommu_ioas_map);
SAME_OFF (iommu_ioas_map, bp_iommu_ioas_map, ioas_id);
SAME_OFF (iommu_ioas_map, bp_iommu_ioas_map, user_va);
SAME_OFF (iommu_ioas_map, bp_iommu_ioas_map, length);
SAME_OFF (iommu_ioas_map, bp_iommu_ioas_map, iova);

SAME_SIZE (iommu_ioas_map_file, bp_iommu_ioas_map_file);
SAME_OFF (iommu_ioas_map_file, bp_iommu_ioas_map_file, ioas_id);
SAME_OFF (iommu_ioas_map_file, bp_iommu_ioas_map_file, fd);
SAME_OFF (iommu_ioas_map_file, bp_iommu_ioas_map_file, start);
SAME_OFF (iommu_ioas_map_file, bp_iommu_ioas_map_file, length);
SAME_OFF (iommu_ioas_map_file, bp_iommu_ioas_map_file, iova);

SAME_SIZE (iommu_ioas_unmap, bp_iommu_ioas_unmap);
SAME_OFF (iommu_ioas_unmap, bp_iommu_ioas_unmap, ioas_id);
SAME_OFF (iommu_ioas_unmap, bp_iommu_ioas_unmap, iova);
SAME_OFF (iommu_ioas_unmap, bp_iommu_ioas_unmap, length);

SAME_SIZE (iommu_test_cmd, bp_iommu_test_cmd);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, op);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, id);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, mock_domain.out_stdev_id);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, mock_domain.out_hwpt_id);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, check_map.iova);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, check_map.length);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, check_map.uptr);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, create_access.out_access_fd);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, create_access.flags);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, access_rw.iova);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, access_rw.length);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, access_rw.uptr);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, access_rw.flags);
SAME_OFF (iommu_test_cmd, bp_iommu_test_cmd, last);

SAME_NUM (IOMMU_IOAS_ALLOC, BP_IOMMU_IOAS_ALLOC);
SAME_NUM (IOMMU_IOAS_MAP, BP_IOMMU_IOAS_MAP);
SAME_NUM (IOMMU_IOAS_UNMAP, BP_IOMMU_IOAS_UNMAP);
SAME_NUM (IOMMU_IOAS_MAP_FILE, BP_IOMMU_IOAS_MAP_FILE);
SAME_NUM (IOMMU_TEST_CMD, BP_IOMMU_TEST_CMD);
SAME_NUM (IOMMU_IOAS_MAP_FIXED_IOVA, BP_IOAS_MAP_FIXED_IOVA);
SAME_NUM (IOMMU_IOAS_MAP_WRITEABLE, BP_IOAS_MAP_WRITEABLE);
SAME_NUM (IOMMU_IOAS_MAP_READABLE, BP_IOAS_MAP_READABLE);
SAME_NUM (IOMMU_TEST_OP_MOCK_DOMAIN, BP_TEST_OP_MOCK_DOMAIN);
SAME_NUM (IOMMU_TEST_OP_MD_CHECK_MAP, BP_TEST_OP_MD_CHECK_MAP);
SAME_NUM (IOMMU_TEST_OP_CREATE_ACCESS, BP_TEST_OP_CREATE_ACCESS);
SAME_NUM (IOMMU_TEST_OP_ACCESS_RW, BP_TEST_OP_ACCESS_RW);
SAME_NUM (MOCK_ACCESS_RW_WRITE, BP_ACCESS_RW_WRITE);
SAME_NUM (MOCK_ACCESS_RW_SLOW_PATH, BP_ACCESS_RW_SLOW_PATH);

int
main (void)
{
  printf ("abi-check: iommufd definitions match the kernel's (iommu_test_cmd %zu bytes, "
          "iommu_ioas_map_file %zu bytes)\n", sizeof (struct iommu_test_cmd), sizeof (struct iommu_ioas_map_file));
  return 0;
}
