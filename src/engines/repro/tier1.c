/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tier 1 of the reproducer, for any Linux: a forked "device" process that
 * holds only what the DMA path gives it.
 *
 *   by file    (IOMMU_IOAS_MAP_FILE): the fd; it maps fd + offset MAP_SHARED
 *              and touches every page at attach, as the pin does;
 *   by address (IOMMU_IOAS_MAP): the guest's pid and address; it reads and
 *              writes through process_vm_readv/writev, which, like the pin,
 *              reach the pages the guest really uses.
 *
 * The device reads every page and checks it holds what the guest last wrote
 * (stale reads), then writes a marker into every page; the guest checks it
 * sees each marker (lost writes). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/test-pause.h"
#include "engines/repro/repro-private.h"

typedef struct {
  unsigned dirty_every;      /* parent -> device before 'V' */
  int dirtied;
  double verify_seconds;     /* device -> parent */
  guint64 stale;
  guint64 written;
  char error[256];
  unsigned char map[];       /* per page: 1 stale */
} DevShared;

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
full_write (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

static int
read_byte (int fd)
{
  unsigned char c;
  for (;;)
    {
      ssize_t n = read (fd, &c, 1);
      if (n == 1)
        return c;
      if (n < 0 && errno == EINTR)
        continue;
      return -1;
    }
}

/* ---- the device process ----------------------------------------------- */

typedef struct {
  BpGuestRam ram;            /* a copy: sizes and the fd; ram.host is the guest's address, not mapped here */
  BpDmaPath path;
  pid_t guest;
  unsigned char *view;       /* by file: our own MAP_SHARED view of fd + offset */
  unsigned char *buf;        /* by address: bounce buffer */
  size_t chunk;
  DevShared *sh;
} Device;

static int
dev_error (Device *d, const char *what)
{
  snprintf (d->sh->error, sizeof d->sh->error, "device: %s: %s", what, strerror (errno));
  return -1;
}

static int
dev_attach (Device *d)
{
  if (d->path == BP_DMA_BY_FILE)
    {
      d->view = mmap (NULL, d->ram.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->ram.fd, d->ram.fd_offset);
      if (d->view == MAP_FAILED)
        return dev_error (d, "mmap of the guest RAM file");
      /* The pin: every page of the file now, allocated if it was a hole. */
      const volatile unsigned char *v = d->view;
      unsigned sink = 0;
      for (size_t off = 0; off < d->ram.size; off += 4096)
        sink += v[off];
      (void) sink;
    }
  else
    {
      /* By address the device holds no fd: only the pid and the address. */
      close (d->ram.fd);
      d->ram.fd = -1;
      d->chunk = d->ram.page_size > (1u << 20) ? d->ram.page_size : (1u << 20);
      d->buf = mmap (NULL, d->chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (d->buf == MAP_FAILED)
        return dev_error (d, "bounce buffer");
    }
  return 0;
}

static int
dev_verify (Device *d)
{
  d->ram.dirty_every = d->sh->dirty_every ? d->sh->dirty_every : 1;
  d->ram.dirtied = d->sh->dirtied;
  const size_t ps = d->ram.page_size;
  guint64 stale = 0;
  double t0 = now ();
  if (d->path == BP_DMA_BY_FILE)
    for (size_t i = 0; i < d->ram.pages; i++)
      {
        int bad = !bp_words_are (d->view + i * ps, ps, bp_guest_ram_expected (&d->ram, i));
        d->sh->map[i] = (unsigned char) bad;
        stale += (guint64) bad;
      }
  else
    for (size_t off = 0; off < d->ram.size; off += d->chunk)
      {
        size_t len = MIN (d->chunk, d->ram.size - off);
        struct iovec local = { d->buf, len };
        struct iovec remote = { d->ram.host + off, len };
        ssize_t n = process_vm_readv (d->guest, &local, 1, &remote, 1, 0);
        if (n != (ssize_t) len)
          return dev_error (d, "process_vm_readv of guest RAM");
        for (size_t j = 0; j < len; j += ps)
          {
            size_t i = (off + j) / ps;
            int bad = !bp_words_are (d->buf + j, ps, bp_guest_ram_expected (&d->ram, i));
            d->sh->map[i] = (unsigned char) bad;
            stale += (guint64) bad;
          }
      }
  d->sh->verify_seconds = now () - t0;
  d->sh->stale = stale;
  return 0;
}

static int
dev_write_markers (Device *d)
{
  const size_t ps = d->ram.page_size;
  if (d->path == BP_DMA_BY_FILE)
    for (size_t i = 0; i < d->ram.pages; i++)
      bp_fill_words (d->view + i * ps, BP_MARKER_BYTES, bp_pattern_word (BP_GEN_MARKER, i));
  else
    {
      enum { BATCH = 512 };
      guint64 (*marks)[BP_MARKER_BYTES / 8] = (void *) d->buf;   /* BATCH * 64 bytes <= chunk */
      struct iovec local[BATCH], remote[BATCH];
      for (size_t first = 0; first < d->ram.pages; first += BATCH)
        {
          size_t n = MIN ((size_t) BATCH, d->ram.pages - first);
          for (size_t k = 0; k < n; k++)
            {
              bp_fill_words (marks[k], BP_MARKER_BYTES, bp_pattern_word (BP_GEN_MARKER, first + k));
              local[k] = (struct iovec) { marks[k], BP_MARKER_BYTES };
              remote[k] = (struct iovec) { d->ram.host + (first + k) * ps, BP_MARKER_BYTES };
            }
          ssize_t w = process_vm_writev (d->guest, local, n, remote, n, 0);
          if (w != (ssize_t) (n * BP_MARKER_BYTES))
            return dev_error (d, "process_vm_writev into guest RAM");
        }
    }
  d->sh->written = d->ram.pages;
  return 0;
}

static G_GNUC_NORETURN void
device_main (Device *d, int cmd_fd, int reply_fd)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != d->guest)
    _exit (1);
  char r = dev_attach (d) == 0 ? 'R' : 'E';
  full_write (reply_fd, &r, 1);
  for (;;)
    {
      int c = read_byte (cmd_fd);
      int ok;
      if (c == 'V')
        ok = dev_verify (d);
      else if (c == 'W')
        ok = dev_write_markers (d);
      else
        _exit (0);
      r = ok == 0 ? 'K' : 'E';
      if (full_write (reply_fd, &r, 1) < 0)
        _exit (1);
    }
}

/* ---- the guest side --------------------------------------------------- */

typedef struct {
  pid_t pid;
  int cmd_fd, reply_fd;
  DevShared *sh;
  size_t sh_size;
} DeviceHandle;

static void
device_handle_stop (DeviceHandle *h)
{
  if (h->cmd_fd >= 0)
    close (h->cmd_fd);
  if (h->reply_fd >= 0)
    close (h->reply_fd);
  h->cmd_fd = h->reply_fd = -1;
  if (h->pid > 0)
    {
      kill (h->pid, SIGKILL);
      while (waitpid (h->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      bp_cleanup_remove_pid (h->pid);
      h->pid = 0;
    }
  if (h->sh && h->sh != MAP_FAILED)
    munmap (h->sh, h->sh_size);
  h->sh = NULL;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DeviceHandle, device_handle_stop)

static gboolean
device_command (DeviceHandle *h, char c, GError **error)
{
  if (c && full_write (h->cmd_fd, &c, 1) < 0)
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "device process gone: %s", g_strerror (errno));
      return FALSE;
    }
  int r = read_byte (h->reply_fd);
  if (r == 'R' || r == 'K')
    return TRUE;
  g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "%s",
               r == 'E' && h->sh->error[0] ? h->sh->error : "device process died");
  return FALSE;
}

static gboolean
device_start (DeviceHandle *h, BpGuestRam *ram, BpDmaPath path, GError **error)
{
  h->sh_size = sizeof (DevShared) + ram->pages;
  h->sh = mmap (NULL, h->sh_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (h->sh == MAP_FAILED)
    {
      h->sh = NULL;
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "shared memory for the device: %s",
                   g_strerror (errno));
      return FALSE;
    }
  int cmd[2], reply[2];
  if (pipe2 (cmd, O_CLOEXEC) < 0)
    {
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "pipe: %s", g_strerror (errno));
      return FALSE;
    }
  if (pipe2 (reply, O_CLOEXEC) < 0)
    {
      close (cmd[0]);
      close (cmd[1]);
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "pipe: %s", g_strerror (errno));
      return FALSE;
    }
  Device d = { .ram = *ram, .path = path, .guest = getpid (), .sh = h->sh };
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (cmd[0]); close (cmd[1]); close (reply[0]); close (reply[1]);
      g_set_error (error, BP_REPRO_ERROR, BP_REPRO_ERROR_FAILED, "fork of the device process: %s", g_strerror (e));
      return FALSE;
    }
  if (pid == 0)
    {
      close (cmd[1]);
      close (reply[0]);
      device_main (&d, cmd[0], reply[1]);
    }
  h->pid = pid;
  bp_cleanup_add_pid (pid);
  close (cmd[0]);
  close (reply[1]);
  h->cmd_fd = cmd[1];
  h->reply_fd = reply[0];
#ifdef PR_SET_PTRACER
  /* Yama: let our own device read us by address even when not root. */
  prctl (PR_SET_PTRACER, pid, 0, 0, 0);
#endif
  return device_command (h, 0, error);
}

static gint64
count_differ (const guint64 *a, const guint64 *b, size_t n)
{
  gint64 c = 0;
  for (size_t i = 0; i < n; i++)
    c += a[i] != b[i];
  return c;
}

/* A plain memcmp of guest RAM against the file's view, page by page (so a
 * difference does not stop it): the ceiling the verification is held to. */
static double
memcmp_seconds (BpGuestRam *ram)
{
  unsigned char *view = mmap (NULL, ram->size, PROT_READ, MAP_SHARED | MAP_POPULATE, ram->fd, ram->fd_offset);
  if (view == MAP_FAILED)
    return 0;
  volatile size_t differ = 0;
  double t0 = now ();
  for (size_t i = 0; i < ram->pages; i++)
    differ += memcmp (ram->host + i * ram->page_size, view + i * ram->page_size, ram->page_size) != 0;
  double t = now () - t0;
  munmap (view, ram->size);
  return t;
}

gboolean
bp_repro_tier1_run (const BpReproConfig *config, BpGuestRam *ram, BpDmaPath path,
                    BpReproResult *result, GError **error)
{
  result->tier = 1;
  result->pages = ram->pages;
  result->page_size = ram->page_size;
  result->path = path;
  char err[256];

  /* The guest runs and reads all of its RAM. */
  bp_guest_ram_guest_read (ram);
  long in_use_before = bp_hugepages_in_use ();

  g_autofree guint64 *guest_before = g_new0 (guint64, ram->pages);
  g_autofree guint64 *guest_after = g_new0 (guint64, ram->pages);
  g_autofree guint64 *file_pfns = g_new0 (guint64, ram->pages);
  gboolean have_pfns = bp_pagemap_pfns (ram->host, ram->pages, ram->page_size, guest_before, err, sizeof err) == 0;

  /* The device attaches (QEMU maps guest RAM for DMA at machine init) ... */
  struct stat st;
  gint64 blocks_before = fstat (ram->fd, &st) == 0 ? (gint64) st.st_blocks : -1;
  g_auto(DeviceHandle) dev = { .cmd_fd = -1, .reply_fd = -1 };
  if (!device_start (&dev, ram, path, error))
    return FALSE;
  bp_test_pause ("repro-device");

  /* ... then the guest writes, and the device reads every page. */
  result->pages_dirtied = bp_guest_ram_guest_write (ram, config->dirty_every);
  bp_test_pause ("repro-dirtied");
  if (have_pfns)
    have_pfns = bp_pagemap_pfns (ram->host, ram->pages, ram->page_size, guest_after, err, sizeof err) == 0;
  dev.sh->dirty_every = ram->dirty_every;
  dev.sh->dirtied = ram->dirtied;
  if (!device_command (&dev, 'V', error))
    return FALSE;
  result->stale_reads = dev.sh->stale;
  result->seconds = dev.sh->verify_seconds;
  long in_use_after = bp_hugepages_in_use ();
  result->hugepages_pool_delta = in_use_before >= 0 && in_use_after >= 0 ? in_use_after - in_use_before : -1;
  if (blocks_before >= 0 && fstat (ram->fd, &st) == 0)
    result->extra_hugepages = ((gint64) st.st_blocks - blocks_before) * 512 / (gint64) ram->page_size;
  if (config->measure_memcmp)
    result->memcmp_seconds = memcmp_seconds (ram);

  /* The device writes a marker into every page; does the guest see them? */
  if (!device_command (&dev, 'W', error))
    return FALSE;
  result->device_writes = dev.sh->written;
  result->lost_writes = bp_guest_ram_lost_markers (ram, NULL);
  bp_test_pause ("repro-written");
  device_handle_stop (&dev);

  /* Evidence from the page tables: the guest's pages against the file's. */
  if (have_pfns && bp_guest_ram_file_pfns (ram, file_pfns, err, sizeof err) == 0)
    {
      result->pfn_diverged_before = count_differ (guest_before, file_pfns, ram->pages);
      result->pfn_diverged = count_differ (guest_after, file_pfns, ram->pages);
    }
  return TRUE;
}
