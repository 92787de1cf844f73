/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tier 2 core: see tier2-core.h.  libc only. */
#include "engines/repro/tier2-core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engines/repro/iommufd-abi.h"

static int
t2_fail (struct bp_t2 *t, int err_no, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (t->err, sizeof t->err, fmt, ap);
  va_end (ap);
  t->err_no = err_no;
  return -1;
}

static int
test_cmd (int fd, struct bp_iommu_test_cmd *cmd, uint32_t op, uint32_t id)
{
  cmd->size = sizeof *cmd;
  cmd->op = op;
  cmd->id = id;
  cmd->reserved = 0;
  cmd->last = 0;
  return ioctl (fd, BP_IOMMU_TEST_CMD, cmd);
}

int
bp_t2_probe (char *reason, size_t reason_len)
{
  int fd = open (BP_T2_DEV_IOMMU, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      if (e == ENOENT || e == ENXIO || e == ENODEV)
        snprintf (reason, reason_len, "no %s (kernel without CONFIG_IOMMUFD)", BP_T2_DEV_IOMMU);
      else
        snprintf (reason, reason_len, "cannot open %s: %s", BP_T2_DEV_IOMMU, strerror (e));
      return 0;
    }

  struct bp_iommu_ioas_alloc alloc = { .size = sizeof alloc };
  if (ioctl (fd, BP_IOMMU_IOAS_ALLOC, &alloc) != 0)
    {
      snprintf (reason, reason_len, "%s does not answer IOMMU_IOAS_ALLOC: %s", BP_T2_DEV_IOMMU,
                strerror (errno));
      close (fd);
      return 0;
    }

  /* MAP_FILE with a bad fd: EBADF where it exists, ENOTTY before Linux 6.13. */
  struct bp_iommu_ioas_map_file mf = {
    .size = sizeof mf, .flags = BP_IOAS_MAP_READABLE, .ioas_id = alloc.out_ioas_id,
    .fd = -1, .length = 4096,
  };
  if (ioctl (fd, BP_IOMMU_IOAS_MAP_FILE, &mf) != 0 && errno == ENOTTY)
    {
      snprintf (reason, reason_len, "kernel without IOMMU_IOAS_MAP_FILE (older than Linux 6.13)");
      close (fd);
      return 0;
    }

  /* The mock exists only with CONFIG_IOMMUFD_TEST; ENOTTY otherwise. */
  struct bp_iommu_test_cmd cmd = { 0 };
  if (test_cmd (fd, &cmd, BP_TEST_OP_MOCK_DOMAIN, alloc.out_ioas_id) != 0)
    {
      if (errno == ENOTTY)
        snprintf (reason, reason_len, "kernel without CONFIG_IOMMUFD_TEST (no iommufd test mock)");
      else
        snprintf (reason, reason_len, "iommufd test mock refused a mock domain: %s", strerror (errno));
      close (fd);
      return 0;
    }
  close (fd);
  snprintf (reason, reason_len, "%s with the iommufd test mock and IOMMU_IOAS_MAP_FILE", BP_T2_DEV_IOMMU);
  return 1;
}

int
bp_t2_open (struct bp_t2 *t)
{
  memset (t, 0, sizeof *t);
  t->access_fd = -1;
  t->iommufd = open (BP_T2_DEV_IOMMU, O_RDWR | O_CLOEXEC);
  if (t->iommufd < 0)
    return t2_fail (t, errno, "cannot open %s: %s", BP_T2_DEV_IOMMU, strerror (errno));

  struct bp_iommu_ioas_alloc alloc = { .size = sizeof alloc };
  if (ioctl (t->iommufd, BP_IOMMU_IOAS_ALLOC, &alloc) != 0)
    return t2_fail (t, errno, "IOMMU_IOAS_ALLOC: %s", strerror (errno));
  t->ioas_id = alloc.out_ioas_id;

  struct bp_iommu_test_cmd cmd = { 0 };
  if (test_cmd (t->iommufd, &cmd, BP_TEST_OP_MOCK_DOMAIN, t->ioas_id) != 0)
    return t2_fail (t, errno, "IOMMU_TEST_CMD MOCK_DOMAIN: %s", strerror (errno));
  t->stdev_id = cmd.mock_domain.out_stdev_id;
  t->hwpt_id = cmd.mock_domain.out_hwpt_id;

  memset (&cmd, 0, sizeof cmd);
  if (test_cmd (t->iommufd, &cmd, BP_TEST_OP_CREATE_ACCESS, t->ioas_id) != 0)
    return t2_fail (t, errno, "IOMMU_TEST_CMD CREATE_ACCESS: %s", strerror (errno));
  t->access_fd = (int) cmd.create_access.out_access_fd;
  return 0;
}

int
bp_t2_map (struct bp_t2 *t, const BpGuestRam *ram, int by_file)
{
  const uint32_t flags = BP_IOAS_MAP_READABLE | BP_IOAS_MAP_WRITEABLE;
  if (by_file)
    {
      struct bp_iommu_ioas_map_file mf = {
        .size = sizeof mf, .flags = flags, .ioas_id = t->ioas_id, .fd = ram->fd,
        .start = (uint64_t) ram->fd_offset, .length = ram->size,
      };
      if (ioctl (t->iommufd, BP_IOMMU_IOAS_MAP_FILE, &mf) != 0)
        return t2_fail (t, errno, "IOMMU_IOAS_MAP_FILE of %zu bytes: %s", ram->size, strerror (errno));
      t->iova = mf.iova;
    }
  else
    {
      struct bp_iommu_ioas_map m = {
        .size = sizeof m, .flags = flags, .ioas_id = t->ioas_id,
        .user_va = (uint64_t) (uintptr_t) ram->host, .length = ram->size,
      };
      if (ioctl (t->iommufd, BP_IOMMU_IOAS_MAP, &m) != 0)
        return t2_fail (t, errno, "IOMMU_IOAS_MAP of %zu bytes: %s", ram->size, strerror (errno));
      t->iova = m.iova;
    }
  t->length = ram->size;
  t->mapped = 1;
  return 0;
}

/* The device reads or writes LEN bytes at IOVA through the pinned pages. */
static int
access_rw (struct bp_t2 *t, uint64_t iova, void *buf, size_t len, int write)
{
  for (size_t done = 0; done < len;)
    {
      size_t n = len - done < BP_ACCESS_RW_MAX ? len - done : BP_ACCESS_RW_MAX;
      struct bp_iommu_test_cmd cmd = { 0 };
      cmd.access_rw.iova = iova + done;
      cmd.access_rw.length = n;
      cmd.access_rw.uptr = (uint64_t) (uintptr_t) ((unsigned char *) buf + done);
      cmd.access_rw.flags = BP_ACCESS_RW_SLOW_PATH | (write ? BP_ACCESS_RW_WRITE : 0);
      if (test_cmd (t->iommufd, &cmd, BP_TEST_OP_ACCESS_RW, (uint32_t) t->access_fd) != 0)
        return -1;
      done += n;
    }
  return 0;
}

int
bp_t2_check (struct bp_t2 *t, const BpGuestRam *ram, struct bp_t2_counts *c)
{
  const size_t ps = ram->page_size;
  unsigned char marker[BP_MARKER_BYTES];
  unsigned char infile[BP_MARKER_BYTES];
  unsigned char *buf = NULL;
  if (!t->mapped)
    return t2_fail (t, EINVAL, "nothing mapped");
  if (posix_memalign ((void **) &buf, 4096, ps) != 0)
    return t2_fail (t, ENOMEM, "no memory for a %zu-byte device buffer", ps);

  for (size_t i = 0; i < ram->pages; i++)
    {
      const uint64_t iova = t->iova + i * ps;
      unsigned char *page = ram->host + i * ps;

      /* The device reads the page and compares with what the guest holds. */
      if (access_rw (t, iova, buf, ps, 0) != 0)
        {
          free (buf);
          return t2_fail (t, errno, "ACCESS_RW read of page %zu: %s", i, strerror (errno));
        }
      if (!bp_words_are (buf, ps, bp_guest_ram_expected (ram, i)) || memcmp (buf, page, ps) != 0)
        c->stale_reads++;

      /* The IOMMU's PFN against the guest's page. */
      struct bp_iommu_test_cmd cmd = { 0 };
      cmd.check_map.iova = iova;
      cmd.check_map.length = ps;
      cmd.check_map.uptr = (uint64_t) (uintptr_t) page;
      if (test_cmd (t->iommufd, &cmd, BP_TEST_OP_MD_CHECK_MAP, t->hwpt_id) != 0)
        {
          if (errno != EINVAL)
            {
              free (buf);
              return t2_fail (t, errno, "MD_CHECK_MAP of page %zu: %s", i, strerror (errno));
            }
          c->pfn_mismatches++;
        }

      /* The device writes a marker: does the guest see it?  The file? */
      bp_fill_words (marker, sizeof marker, bp_pattern_word (BP_GEN_MARKER, i));
      if (access_rw (t, iova, marker, sizeof marker, 1) != 0)
        {
          free (buf);
          return t2_fail (t, errno, "ACCESS_RW write to page %zu: %s", i, strerror (errno));
        }
      if (memcmp (page, marker, sizeof marker) != 0)
        c->lost_writes++;
      if (pread (ram->fd, infile, sizeof infile, ram->fd_offset + (off_t) (i * ps)) == (ssize_t) sizeof infile
          && memcmp (infile, marker, sizeof marker) == 0)
        c->writes_in_file++;
      c->pages++;
    }
  free (buf);
  return 0;
}

void
bp_t2_close (struct bp_t2 *t)
{
  if (t->mapped && t->iommufd >= 0)
    {
      struct bp_iommu_ioas_unmap u = {
        .size = sizeof u, .ioas_id = t->ioas_id, .iova = t->iova, .length = t->length,
      };
      ioctl (t->iommufd, BP_IOMMU_IOAS_UNMAP, &u);
      t->mapped = 0;
    }
  if (t->access_fd >= 0)
    close (t->access_fd);
  t->access_fd = -1;
  if (t->iommufd >= 0)
    close (t->iommufd);
  t->iommufd = -1;
}

/* Pages whose guest PFN differs from the file's, or -1 when PFNs are hidden. */
static int64_t
pfns_diverged (const BpGuestRam *ram)
{
  uint64_t *guest = calloc (ram->pages, sizeof *guest);
  uint64_t *file = calloc (ram->pages, sizeof *file);
  char err[256];
  int64_t n = -1;
  if (guest && file
      && bp_pagemap_pfns (ram->host, ram->pages, ram->page_size, guest, err, sizeof err) == 0
      && bp_guest_ram_file_pfns (ram, file, err, sizeof err) == 0)
    {
      n = 0;
      for (size_t i = 0; i < ram->pages; i++)
        n += guest[i] != file[i];
    }
  free (guest);
  free (file);
  return n;
}

int
bp_t2_run_case (BpGuestRam *ram, int by_file, unsigned dirty_every, int read_before_map,
                struct bp_t2_counts *c, int *err_no, char *err, size_t errlen)
{
  struct bp_t2 t;
  const int huge = bp_gr_backing_is_huge (ram->backing);
  memset (c, 0, sizeof *c);
  c->pfn_diverged = -1;
  c->extra_hugepages = -1;
  *err_no = 0;

  if (bp_t2_open (&t) != 0)
    {
      snprintf (err, errlen, "%s", t.err);
      *err_no = t.err_no;
      bp_t2_close (&t);
      return -1;
    }
  if (read_before_map)
    (void) bp_guest_ram_guest_read (ram);
  long before = huge ? bp_hugepages_in_use () : -1;
  if (bp_t2_map (&t, ram, by_file) != 0)
    {
      snprintf (err, errlen, "%s", t.err);
      *err_no = t.err_no;
      bp_t2_close (&t);
      return -1;
    }
  /* The guest runs after QEMU mapped its RAM: reads everything, writes some. */
  if (!read_before_map)
    (void) bp_guest_ram_guest_read (ram);
  c->pages_dirtied = bp_guest_ram_guest_write (ram, dirty_every);

  if (bp_t2_check (&t, ram, c) != 0)
    {
      snprintf (err, errlen, "%s", t.err);
      *err_no = t.err_no;
      bp_t2_close (&t);
      return -1;
    }
  if (huge && before >= 0)
    {
      long after = bp_hugepages_in_use ();
      if (after >= 0)
        c->extra_hugepages = after - before;
    }
  /* After the page-pool count: reading the file's PFNs maps its holes. */
  c->pfn_diverged = pfns_diverged (ram);
  bp_t2_close (&t);
  return 0;
}
