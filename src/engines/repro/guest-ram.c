/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest RAM like QEMU's; see guest-ram.h.  Plain C: libc only. */
#include "engines/repro/guest-ram.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static int
fail (char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err, errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

static const char *const backing_names[] = { "hugetlbfs", "memfd-hugetlb", "memfd", "tmpfs" };

const char *
bp_gr_backing_name (int backing)
{
  if (backing < 0 || backing > BP_GR_TMPFS)
    return "?";
  return backing_names[backing];
}

int
bp_gr_backing_from_name (const char *name)
{
  for (int i = 0; i <= BP_GR_TMPFS; i++)
    if (name && strcmp (name, backing_names[i]) == 0)
      return i;
  return -1;
}

int
bp_gr_backing_is_huge (int backing)
{
  return backing == BP_GR_HUGETLBFS || backing == BP_GR_MEMFD_HUGETLB;
}

/* ---- small async-signal-safe helpers ---------------------------------- */

static long
read_long_file (const char *path)
{
  char buf[64];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  long v = 0;
  int any = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++, any = 1)
    v = v * 10 + (buf[i] - '0');
  return any ? v : -1;
}

static int
write_long_file (const char *path, long v)
{
  char buf[32];
  int i = sizeof buf;
  buf[--i] = '\n';
  if (v < 0)
    v = 0;
  do
    buf[--i] = (char) ('0' + v % 10);
  while ((v /= 10) > 0 && i > 0);
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write (fd, buf + i, sizeof buf - i);
  int saved = errno;
  close (fd);
  errno = saved;
  return n == (ssize_t) (sizeof buf - i) ? 0 : -1;
}

/* An flock serialising changes to nr_hugepages between runs.  Blocks
 * SIGINT/SIGTERM/SIGHUP while held: the cleanup handler takes the same lock,
 * and an flock is per open file, so it would wait on us forever. */
static int
pool_lock (sigset_t *old)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_BLOCK, &set, old);
  const char *path = access ("/run", W_OK) == 0 ? "/run/backport-hugepages.lock"
                                                 : "/tmp/backport-hugepages.lock";
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    flock (fd, LOCK_EX);
  return fd;
}

/* The shared "in use" lock (BP_HUGE_POOL_USERS), held from ensure to release. */
static void
pool_users_hold (BpHugePool *pool)
{
  if (pool->users_held)
    return;
  const char *path = access ("/run", W_OK) == 0 ? BP_HUGE_POOL_USERS : "/tmp/backport-hugepages.users";
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  flock (fd, LOCK_SH);
  pool->users_fd = fd;
  pool->users_held = 1;
}

static void
pool_unlock (int fd, const sigset_t *old)
{
  if (fd >= 0)
    close (fd);
  sigprocmask (SIG_SETMASK, old, NULL);
}

/* ---- /proc/meminfo ---------------------------------------------------- */

static int
meminfo (long *total, long *free_, long *rsvd, long *pagesize_kb)
{
  FILE *f = fopen ("/proc/meminfo", "re");
  if (!f)
    return -1;
  char line[256];
  int found = 0;
  *total = *free_ = *rsvd = *pagesize_kb = -1;
  while (fgets (line, sizeof line, f))
    {
      long v;
      if (sscanf (line, "HugePages_Total: %ld", &v) == 1)
        *total = v, found++;
      else if (sscanf (line, "HugePages_Free: %ld", &v) == 1)
        *free_ = v, found++;
      else if (sscanf (line, "HugePages_Rsvd: %ld", &v) == 1)
        *rsvd = v, found++;
      else if (sscanf (line, "Hugepagesize: %ld kB", &v) == 1)
        *pagesize_kb = v, found++;
    }
  fclose (f);
  return found == 4 ? 0 : -1;
}

long
bp_hugepages_in_use (void)
{
  long total, free_, rsvd, kb;
  if (meminfo (&total, &free_, &rsvd, &kb) < 0)
    return -1;
  return total - free_ + rsvd;
}

size_t
bp_hugepage_size (void)
{
  long total, free_, rsvd, kb;
  if (meminfo (&total, &free_, &rsvd, &kb) < 0 || kb <= 0)
    return 0;
  return (size_t) kb * 1024;
}

/* KEY's value in /proc/meminfo in kB, -1 when absent. */
static long long
meminfo_kb (const char *key)
{
  FILE *f = fopen ("/proc/meminfo", "re");
  if (!f)
    return -1;
  char line[256];
  long long v = -1;
  size_t klen = strlen (key);
  while (fgets (line, sizeof line, f))
    if (strncmp (line, key, klen) == 0 && line[klen] == ':')
      {
        v = strtoll (line + klen + 1, NULL, 10);
        break;
      }
  fclose (f);
  return v;
}

int
bp_guest_ram_fits (int backing, int share, size_t size, char *err, size_t errlen)
{
  long long avail_kb = meminfo_kb ("MemAvailable"), total_kb = meminfo_kb ("MemTotal");
  if (avail_kb < 0 || total_kb <= 0)
    return 0;   /* nothing to go by */
  unsigned long long avail = (unsigned long long) avail_kb * 1024;
  if (bp_gr_backing_is_huge (backing))
    {
      long total, free_, rsvd, kb;
      if (meminfo (&total, &free_, &rsvd, &kb) == 0 && free_ > rsvd)
        avail += (unsigned long long) (free_ - rsvd) * (unsigned long long) kb * 1024;
    }
  unsigned long long margin = (unsigned long long) total_kb * 1024 / 16;
  if (margin < 256ull << 20)
    margin = 256ull << 20;
  unsigned long long usable = avail > margin ? avail - margin : 0;
  unsigned factor = share ? 1 : 2;
  if (size <= usable / factor)
    return 0;
  const double gib = 1024.0 * 1024 * 1024;
  return fail (err, errlen,
               "guest RAM of %.1f GiB touches up to %.1f GiB (%s), and this host has %.1f GiB available, "
               "%.1f GiB of it kept free: ask for %.1f GiB or less", (double) size / gib,
               (double) size * factor / gib, share ? "the file's pages" : "the file's pages and a private copy of each",
               (double) avail / gib, (double) margin / gib, (double) (usable / factor) / gib);
}

/* ---- the huge page pool ----------------------------------------------- */

int
bp_huge_pool_ensure (BpHugePool *pool, size_t needed, int *capability,
                     char *err, size_t errlen)
{
  long total, free_, rsvd, kb;
  if (meminfo (&total, &free_, &rsvd, &kb) < 0 || kb <= 0)
    {
      *capability = 1;
      return fail (err, errlen, "the kernel has no huge pages (no HugePages_* in /proc/meminfo)");
    }
  pool->page_size = (size_t) kb * 1024;
  pool_users_hold (pool);
  sigset_t mask;
  int lock = pool_lock (&mask);
  meminfo (&total, &free_, &rsvd, &kb);
  long avail = free_ - rsvd;
  if (avail >= (long) needed)
    {
      pool_unlock (lock, &mask);
      return 0;
    }
  long deficit = (long) needed - avail;
  if (geteuid () != 0)
    {
      pool_unlock (lock, &mask);
      *capability = 1;
      return fail (err, errlen, "%zu free huge pages needed, %ld available, and only root can raise "
                   NR_HUGEPAGES, needed, avail < 0 ? 0 : avail);
    }
  long before = read_long_file (NR_HUGEPAGES);
  if (before < 0 || write_long_file (NR_HUGEPAGES, before + deficit) < 0)
    {
      int e = errno;
      pool_unlock (lock, &mask);
      *capability = 1;
      return fail (err, errlen, "cannot raise " NR_HUGEPAGES " by %ld: %s", deficit, strerror (e));
    }
  long after = read_long_file (NR_HUGEPAGES);
  if (pool->added == 0)
    pool->baseline = before;
  pool->added += after > before ? after - before : 0;
  meminfo (&total, &free_, &rsvd, &kb);
  avail = free_ - rsvd;
  pool_unlock (lock, &mask);
  if (avail < (long) needed)
    {
      bp_huge_pool_release (pool);
      *capability = 1;
      return fail (err, errlen, "%zu free huge pages needed, the kernel gave only %ld (memory fragmented?)",
                   needed, avail < 0 ? 0 : avail);
    }
  return 0;
}

void
bp_huge_pool_release (BpHugePool *pool)
{
  if (pool->added > 0)
    {
      sigset_t mask;
      int lock = pool_lock (&mask);
      long now = read_long_file (NR_HUGEPAGES);
      if (now >= 0)
        write_long_file (NR_HUGEPAGES, now > pool->added ? now - pool->added : 0);
      pool->added = 0;
      pool_unlock (lock, &mask);
    }
  if (pool->users_held)
    {
      pool->users_held = 0;
      close (pool->users_fd);
    }
}


/* ---- backing files ---------------------------------------------------- */

/* A writable hugetlbfs mount of the default page size, or "" . */
static void
find_hugetlbfs (char *dir, size_t len, size_t huge_size)
{
  dir[0] = '\0';
  FILE *f = fopen ("/proc/self/mounts", "re");
  if (!f)
    return;
  char line[4096];
  while (fgets (line, sizeof line, f))
    {
      char src[1024], mnt[2048], type[64], opts[1024];
      if (sscanf (line, "%1023s %2047s %63s %1023s", src, mnt, type, opts) != 4)
        continue;
      if (strcmp (type, "hugetlbfs") != 0)
        continue;
      if (strncmp (opts, "ro", 2) == 0 && (opts[2] == ',' || opts[2] == '\0'))
        continue;
      const char *ps = strstr (opts, "pagesize=");
      if (ps)
        {
          char *end;
          unsigned long v = strtoul (ps + 9, &end, 10);
          if (*end == 'M')
            v <<= 20;
          else if (*end == 'G')
            v <<= 30;
          else if (*end == 'K' || *end == 'k')
            v <<= 10;
          if (v != huge_size)
            continue;
        }
      struct statfs st;
      if (access (mnt, W_OK) != 0 || statfs (mnt, &st) != 0 || (unsigned long) st.f_type != HUGETLBFS_MAGIC)
        continue;
      snprintf (dir, len, "%s", mnt);
      break;
    }
  fclose (f);
}

static int
is_tmpfs (const char *dir)
{
  struct statfs st;
  return statfs (dir, &st) == 0 && (unsigned long) st.f_type == TMPFS_MAGIC && access (dir, W_OK) == 0;
}

static int
temp_file_in (const char *dir, char *path, size_t len, char *err, size_t errlen)
{
  snprintf (path, len, "%s/bp-guest-ram.XXXXXX", dir);
  int fd = mkostemp (path, O_CLOEXEC);
  if (fd < 0)
    return fail (err, errlen, "cannot create a file in %s: %s", dir, strerror (errno));
  /* As QEMU does with a -mem-path directory: the file lives on through its fd. */
  unlink (path);
  return fd;
}

static int
open_backing (BpGuestRam *ram, int *capability, char *err, size_t errlen)
{
  switch (ram->backing)
    {
    case BP_GR_HUGETLBFS:
      {
        char dir[4096];
        find_hugetlbfs (dir, sizeof dir, ram->page_size);
        if (!dir[0])
          {
            if (geteuid () != 0)
              {
                *capability = 1;
                return fail (err, errlen, "no writable hugetlbfs mount, and only root can mount one");
              }
            snprintf (ram->mount_dir, sizeof ram->mount_dir, "/tmp/bp-hugetlbfs.XXXXXX");
            if (!mkdtemp (ram->mount_dir))
              {
                ram->mount_dir[0] = '\0';
                return fail (err, errlen, "cannot make a mount point in /tmp: %s", strerror (errno));
              }
            if (mount ("none", ram->mount_dir, "hugetlbfs", MS_NOSUID | MS_NODEV, NULL) != 0)
              {
                int e = errno;
                rmdir (ram->mount_dir);
                ram->mount_dir[0] = '\0';
                *capability = 1;
                return fail (err, errlen, "cannot mount hugetlbfs: %s", strerror (e));
              }
            snprintf (dir, sizeof dir, "%s", ram->mount_dir);
          }
        return temp_file_in (dir, ram->path, sizeof ram->path, err, errlen);
      }
    case BP_GR_MEMFD_HUGETLB:
    case BP_GR_MEMFD:
      {
        unsigned flags = MFD_CLOEXEC | (ram->backing == BP_GR_MEMFD_HUGETLB ? MFD_HUGETLB : 0);
        int fd = memfd_create ("bp-guest-ram", flags);
        if (fd < 0)
          {
            *capability = errno == EINVAL || errno == ENOSYS || errno == EPERM;
            return fail (err, errlen, "memfd_create(%s): %s", bp_gr_backing_name (ram->backing),
                         strerror (errno));
          }
        return fd;
      }
    case BP_GR_TMPFS:
      {
        const char *dirs[] = { "/dev/shm", "/run/shm", "/tmp", "/run" };
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
          if (is_tmpfs (dirs[i]))
            return temp_file_in (dirs[i], ram->path, sizeof ram->path, err, errlen);
        *capability = 1;
        return fail (err, errlen, "no writable tmpfs mount (/dev/shm, /tmp, /run)");
      }
    default:
      return fail (err, errlen, "unknown backing %d", ram->backing);
    }
}

void
bp_guest_ram_close (BpGuestRam *ram)
{
  if (ram->host && ram->host != MAP_FAILED)
    munmap (ram->host, ram->size);
  ram->host = NULL;
  if (ram->fd > 0)
    close (ram->fd);
  ram->fd = -1;
  if (ram->mount_dir[0])
    {
      if (umount2 (ram->mount_dir, 0) != 0)
        umount2 (ram->mount_dir, MNT_DETACH);
      rmdir (ram->mount_dir);
      ram->mount_dir[0] = '\0';
    }
  bp_huge_pool_release (&ram->pool);
  bp_guest_ram_state_save (ram);
  bp_cleanup_track_ram (ram, 0);
}

int
bp_guest_ram_open (BpGuestRam *ram, int backing, int share, size_t size, int sparse,
                   int *capability, char *err, size_t errlen)
{
  int cap = 0;
  memset (ram, 0, sizeof *ram);
  ram->fd = -1;
  ram->pool.baseline = -1;
  ram->backing = backing;
  ram->share = share ? 1 : 0;
  ram->sparse = sparse ? 1 : 0;
  if (capability)
    *capability = 0;
  else
    capability = &cap;

  if (bp_gr_backing_is_huge (backing))
    {
      ram->page_size = bp_hugepage_size ();
      if (ram->page_size == 0)
        {
          *capability = 1;
          return fail (err, errlen, "the kernel has no huge pages (no Hugepagesize in /proc/meminfo)");
        }
    }
  else
    ram->page_size = (size_t) sysconf (_SC_PAGESIZE);
  if (size == 0)
    size = ram->page_size;
  /* before anything is allocated: a size the host cannot hold is refused,
   * not left to the OOM killer */
  if (bp_guest_ram_fits (backing, share, size, err, errlen) < 0)
    return -1;
  ram->size = (size + ram->page_size - 1) / ram->page_size * ram->page_size;
  ram->pages = ram->size / ram->page_size;

  bp_cleanup_track_ram (ram, 1);
  if (bp_gr_backing_is_huge (backing))
    {
      /* The file's pages, plus a private copy of each for share=off (a
       * private hugetlb mapping reserves its whole range at mmap). */
      size_t need = ram->pages * (ram->share ? 1 : 2);
      if (bp_huge_pool_ensure (&ram->pool, need, capability, err, errlen) < 0)
        {
          bp_guest_ram_close (ram);
          return -1;
        }
      bp_guest_ram_state_save (ram);
    }

  ram->fd = open_backing (ram, capability, err, errlen);
  bp_guest_ram_state_save (ram);   /* the mount it may have made */
  if (ram->fd < 0)
    {
      bp_guest_ram_close (ram);
      return -1;
    }
  if (ftruncate (ram->fd, (off_t) ram->size) != 0)
    {
      fail (err, errlen, "cannot size the %s file to %zu bytes: %s", bp_gr_backing_name (backing),
            ram->size, strerror (errno));
      bp_guest_ram_close (ram);
      return -1;
    }

  if (!ram->sparse)
    {
      /* hugetlbfs has no write(2): prefill through a shared mapping. */
      unsigned char *p = mmap (NULL, ram->size, PROT_READ | PROT_WRITE, MAP_SHARED, ram->fd, 0);
      if (p == MAP_FAILED)
        {
          *capability = errno == ENOMEM;
          fail (err, errlen, "cannot map the %s file to prefill it: %s", bp_gr_backing_name (backing),
                strerror (errno));
          bp_guest_ram_close (ram);
          return -1;
        }
      for (size_t i = 0; i < ram->pages; i++)
        bp_fill_words (p + i * ram->page_size, ram->page_size, bp_pattern_word (BP_GEN_PREFILL, i));
      munmap (p, ram->size);
    }

  ram->host = mmap (NULL, ram->size, PROT_READ | PROT_WRITE, ram->share ? MAP_SHARED : MAP_PRIVATE,
                    ram->fd, ram->fd_offset);
  if (ram->host == MAP_FAILED)
    {
      ram->host = NULL;
      *capability = errno == ENOMEM;
      fail (err, errlen, "cannot map guest RAM (%s, share=%s, %zu bytes): %s", bp_gr_backing_name (backing),
            ram->share ? "on" : "off", ram->size, strerror (errno));
      bp_guest_ram_close (ram);
      return -1;
    }
  /* As QEMU does for guest RAM: a forked helper (our device) does not inherit it. */
  madvise (ram->host, ram->size, MADV_DONTFORK);
  return 0;
}

/* ---- patterns and the guest ------------------------------------------- */

uint64_t
bp_pattern_word (int gen, size_t page)
{
  static const uint64_t tags[] = { 0, 0xa5, 0x5b, 0xd3 };
  if (gen <= BP_GEN_ZERO || gen > BP_GEN_MARKER)
    return 0;
  return (tags[gen] << 56) | ((uint64_t) gen << 48) | ((uint64_t) page + 1);
}

void
bp_fill_words (void *p, size_t bytes, uint64_t word)
{
  uint64_t *w = p;
  for (size_t i = 0; i < bytes / 8; i++)
    w[i] = word;
}

int
bp_words_are (const void *p, size_t bytes, uint64_t word)
{
  const unsigned char *c = p;
  size_t n = bytes / 8, i = 0;
#if defined(__GNUC__)
  /* Blocks of 4 KiB, XOR-ORed into four 16-byte accumulators without
   * branches, so a matching page runs at memory speed and a mismatching one
   * stops at the end of its first bad block. */
  typedef uint64_t v2 __attribute__ ((vector_size (16)));
  const v2 w = { word, word };
  for (; i + 512 <= n; i += 512)
    {
      v2 a0 = { 0, 0 }, a1 = a0, a2 = a0, a3 = a0;
      for (size_t j = 0; j < 512; j += 8)
        {
          v2 x0, x1, x2, x3;
          const unsigned char *q = c + (i + j) * 8;
          memcpy (&x0, q, 16);
          memcpy (&x1, q + 16, 16);
          memcpy (&x2, q + 32, 16);
          memcpy (&x3, q + 48, 16);
          a0 |= x0 ^ w;
          a1 |= x1 ^ w;
          a2 |= x2 ^ w;
          a3 |= x3 ^ w;
        }
      v2 a = a0 | a1 | a2 | a3;
      if (a[0] | a[1])
        return 0;
    }
#endif
  uint64_t diff = 0;
  for (; i < n; i++)
    {
      uint64_t x;
      memcpy (&x, c + i * 8, 8);
      diff |= x ^ word;
    }
  return diff == 0;
}

uint64_t
bp_guest_ram_guest_read (BpGuestRam *ram)
{
  const volatile uint64_t *vw;
  uint64_t sum = 0;
  const uint64_t *w = (const uint64_t *) ram->host;
  size_t n = ram->size / 8;
  for (size_t i = 0; i < n; i++)
    sum ^= w[i];
  /* Make sure every 4K piece was faulted even if the compiler got clever. */
  vw = (const volatile uint64_t *) ram->host;
  for (size_t off = 0; off < ram->size; off += 4096)
    sum += vw[off / 8];
  return sum;
}

size_t
bp_guest_ram_guest_write (BpGuestRam *ram, unsigned every)
{
  if (every == 0)
    every = 1;
  ram->dirty_every = every;
  ram->dirtied = 1;
  size_t n = 0;
  for (size_t i = 0; i < ram->pages; i += every, n++)
    bp_fill_words (ram->host + i * ram->page_size, ram->page_size, bp_pattern_word (BP_GEN_GUEST, i));
  return n;
}

int
bp_guest_ram_page_dirtied (const BpGuestRam *ram, size_t i)
{
  return ram->dirtied && i % ram->dirty_every == 0;
}

uint64_t
bp_guest_ram_expected (const BpGuestRam *ram, size_t i)
{
  if (bp_guest_ram_page_dirtied (ram, i))
    return bp_pattern_word (BP_GEN_GUEST, i);
  return ram->sparse ? 0 : bp_pattern_word (BP_GEN_PREFILL, i);
}

size_t
bp_guest_ram_lost_markers (const BpGuestRam *ram, const unsigned char *written)
{
  size_t lost = 0;
  for (size_t i = 0; i < ram->pages; i++)
    if ((!written || written[i])
        && !bp_words_are (ram->host + i * ram->page_size, BP_MARKER_BYTES, bp_pattern_word (BP_GEN_MARKER, i)))
      lost++;
  return lost;
}

/* ---- PFNs ------------------------------------------------------------- */

int
bp_pagemap_pfns (const void *addr, size_t pages, size_t page_size, uint64_t *pfns,
                 char *err, size_t errlen)
{
  if (geteuid () != 0)
    return fail (err, errlen, "PFNs in /proc/self/pagemap need root");
  int fd = open ("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail (err, errlen, "cannot open /proc/self/pagemap: %s", strerror (errno));
  const size_t small = 4096;
  uintptr_t base = (uintptr_t) addr / small;
  int any_pfn = 0, any_present = 0;
  if (page_size == small)
    {
      ssize_t want = (ssize_t) (pages * 8);
      ssize_t got = pread (fd, pfns, (size_t) want, (off_t) (base * 8));
      if (got != want)
        {
          close (fd);
          return fail (err, errlen, "short read from /proc/self/pagemap");
        }
    }
  else
    for (size_t i = 0; i < pages; i++)
      {
        uint64_t e = 0;
        if (pread (fd, &e, 8, (off_t) ((base + i * (page_size / small)) * 8)) != 8)
          {
            close (fd);
            return fail (err, errlen, "short read from /proc/self/pagemap");
          }
        pfns[i] = e;
      }
  close (fd);
  for (size_t i = 0; i < pages; i++)
    {
      uint64_t e = pfns[i];
      int present = (int) (e >> 63);
      pfns[i] = present ? e & ((1ULL << 55) - 1) : 0;
      any_present |= present;
      any_pfn |= pfns[i] != 0;
    }
  if (any_present && !any_pfn)
    return fail (err, errlen, "/proc/self/pagemap hides PFNs (needs CAP_SYS_ADMIN)");
  return 0;
}

int
bp_guest_ram_file_pfns (const BpGuestRam *ram, uint64_t *pfns, char *err, size_t errlen)
{
  unsigned char *p = mmap (NULL, ram->size, PROT_READ, MAP_SHARED, ram->fd, ram->fd_offset);
  if (p == MAP_FAILED)
    return fail (err, errlen, "cannot map the guest RAM file to read its PFNs: %s", strerror (errno));
  const volatile unsigned char *v = p;
  unsigned sink = 0;
  for (size_t i = 0; i < ram->pages; i++)
    sink += v[i * ram->page_size];
  (void) sink;
  int r = bp_pagemap_pfns (p, ram->pages, ram->page_size, pfns, err, errlen);
  munmap (p, ram->size);
  return r;
}
