/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bp-repro-static: tier 2 of the reproducer as one static binary, for a
 * minimal VM whose kernel has CONFIG_IOMMUFD_TEST (tests/vm/run-tier2.sh).
 * As PID 1 it is the VM's /init: it mounts /proc, /sys and /dev, runs the
 * matrix and reboots (the tiny kernel has no ACPI; -no-reboot makes QEMU exit).
 *
 * The matrix: share off/on x by file/by address x prefilled/sparse x
 * memfd-hugetlb/memfd, each case on its own fresh guest RAM.  One line per
 * case with the counters, then a verdict:
 *   BUG REPRODUCED     every private by-file case shows stale reads, lost
 *                      writes or PFN mismatches, and every by-address and
 *                      every shared case shows none;
 *   no inconsistency   no case shows any;
 *   INCONCLUSIVE       anything else (a case failed, or the pattern differs).
 * Exit 1, 0, 99 for those; 3 when the kernel lacks what tier 2 needs.
 *
 * Plain C, libc only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engines/repro/guest-ram.h"
#include "engines/repro/tier2-core.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* PID 1 in an initramfs: the file systems the run needs, and a console. */
static void
init_setup (void)
{
  mkdir ("/proc", 0755);
  mkdir ("/sys", 0755);
  mkdir ("/dev", 0755);
  mkdir ("/tmp", 01777);
  mount ("proc", "/proc", "proc", 0, NULL);
  mount ("sysfs", "/sys", "sysfs", 0, NULL);
  mount ("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  /* Keep kernel messages (the mock device's attach notes) off the console
   * the results go to; errors still show. */
  int pk = open ("/proc/sys/kernel/printk", O_WRONLY);
  if (pk >= 0)
    {
      if (write (pk, "3\n", 2) != 2)
        perror ("bp-repro-static: /proc/sys/kernel/printk");
      close (pk);
    }
  if (fcntl (1, F_GETFD) < 0)
    {
      int fd = open ("/dev/console", O_RDWR);
      if (fd >= 0)
        {
          dup2 (fd, 0);
          dup2 (fd, 1);
          dup2 (fd, 2);
          if (fd > 2)
            close (fd);
        }
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
}

static void
init_finish (int code)
{
  printf ("bp-repro-static: exit %d, rebooting\n", code);
  fflush (stdout);
  sync ();
  reboot (RB_AUTOBOOT);
  /* Not reached; PID 1 must not exit. */
  for (;;)
    pause ();
}

typedef struct {
  int share, by_file, sparse, backing;
  int failed;                /* the case could not run */
  struct bp_t2_counts c;
} Case;

static int
case_bad (const Case *k)
{
  return k->c.stale_reads || k->c.lost_writes || k->c.pfn_mismatches;
}

/* Run PROG (ARGV) as a child and return its exit status; its output goes to
 * our console.  Lets the VM run more checks (the unit test's kernel cases). */
static int
run_then (char **argv)
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      execv (argv[0], argv);
      fprintf (stderr, "bp-repro-static: cannot run %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* Run each line of FILE as a command (words split at blanks, no quoting),
 * printing its exit status.  Lets the VM run the dynamic programs the
 * initramfs carries beside us. */
static void
run_then_file (const char *file)
{
  FILE *f = fopen (file, "re");
  char line[1024];
  if (!f)
    {
      printf ("bp-repro-static: cannot read %s: %s\n", file, strerror (errno));
      return;
    }
  while (fgets (line, sizeof line, f))
    {
      char *argv[64];
      int argc = 0;
      char *save = NULL;
      for (char *w = strtok_r (line, " \t\n", &save); w && argc < 63; w = strtok_r (NULL, " \t\n", &save))
        argv[argc++] = w;
      argv[argc] = NULL;
      if (argc == 0 || argv[0][0] == '#')
        continue;
      char cmd[1024] = "";
      for (int i = 0; i < argc; i++)
        {
          strncat (cmd, argv[i], sizeof cmd - strlen (cmd) - 2);
          if (i + 1 < argc)
            strcat (cmd, " ");
        }
      printf ("bp-repro-static: then: %s\n", cmd);
      int r = run_then (argv);
      printf ("bp-repro-static: then: %s exited %d\n", cmd, r);
    }
  fclose (f);
}

static int
run_matrix (size_t pages, unsigned every, int read_before_map)
{
  static const int backings[] = { BP_GR_MEMFD_HUGETLB, BP_GR_MEMFD };
  Case cases[16];
  int n = 0;
  double t_all = now ();

  for (int b = 0; b < 2; b++)
    for (int share = 0; share < 2; share++)
      for (int sparse = 0; sparse < 2; sparse++)
        for (int by_file = 1; by_file >= 0; by_file--)
          {
            Case *k = &cases[n++];
            memset (k, 0, sizeof *k);
            k->share = share;
            k->by_file = by_file;
            k->sparse = sparse;
            k->backing = backings[b];

            char err[512] = "";
            int cap = 0, err_no = 0;
            size_t ps = bp_gr_backing_is_huge (k->backing) ? bp_hugepage_size () : (size_t) sysconf (_SC_PAGESIZE);
            BpGuestRam ram;
            double t0 = now ();
            printf ("case %-13s share=%-3s %-7s %-7s ", bp_gr_backing_name (k->backing),
                    share ? "on" : "off", by_file ? "by-file" : "by-va", sparse ? "sparse" : "prefill");
            fflush (stdout);
            if (bp_guest_ram_open (&ram, k->backing, share, pages * ps, sparse, &cap, err, sizeof err) != 0)
              {
                k->failed = 1;
                printf ("ERROR guest RAM: %s\n", err);
                continue;
              }
            if (bp_t2_run_case (&ram, by_file, every, read_before_map, &k->c, &err_no, err, sizeof err) != 0)
              {
                k->failed = 1;
                printf ("ERROR %s%s\n", err,
                        err_no == ENOMEM && by_file ? " (MAP_FILE needs the file's own pages: pool too small)" : "");
                bp_guest_ram_close (&ram);
                continue;
              }
            bp_guest_ram_close (&ram);
            printf ("pages=%llu dirtied=%llu stale=%llu lost=%llu pfn_mismatch=%llu in_file=%llu "
                    "pfn_diverged=%lld extra_hugepages=%lld %.2fs\n",
                    (unsigned long long) k->c.pages, (unsigned long long) k->c.pages_dirtied,
                    (unsigned long long) k->c.stale_reads, (unsigned long long) k->c.lost_writes,
                    (unsigned long long) k->c.pfn_mismatches, (unsigned long long) k->c.writes_in_file,
                    (long long) k->c.pfn_diverged, (long long) k->c.extra_hugepages, now () - t0);
          }

  int failed = 0, private_file_bad = 0, private_file = 0, others_bad = 0, any_bad = 0;
  for (int i = 0; i < n; i++)
    {
      const Case *k = &cases[i];
      failed += k->failed;
      any_bad += case_bad (k);
      if (!k->share && k->by_file)
        {
          private_file++;
          private_file_bad += !k->failed && case_bad (k);
        }
      else
        others_bad += case_bad (k);
    }
  printf ("summary: %d cases, %d failed, private by-file inconsistent %d/%d, "
          "by-address or shared inconsistent %d/%d, %.1fs\n",
          n, failed, private_file_bad, private_file, others_bad, n - private_file, now () - t_all);
  if (!failed && private_file_bad == private_file && others_bad == 0)
    {
      printf ("verdict: BUG REPRODUCED (share=off + IOMMU_IOAS_MAP_FILE: the device misses the guest's pages; "
              "IOMMU_IOAS_MAP and share=on are consistent)\n");
      return 1;
    }
  if (!failed && any_bad == 0)
    {
      printf ("verdict: no inconsistency\n");
      return 0;
    }
  printf ("verdict: INCONCLUSIVE (%d failed cases; the pattern is not the bug's)\n", failed);
  return 99;
}

static void
usage (void)
{
  fprintf (stderr, "usage: bp-repro-static [--pages N] [--dirty-every K] [--read-before-map]\n"
                   "                       [--then-file FILE] [--then PROG ARGS...]\n"
                   "  Tier 2 matrix on /dev/iommu with the iommufd test mock.  --read-before-map: the guest\n"
                   "  reads its RAM before the map (QEMU maps first).  --then: run PROG afterwards;\n"
                   "  --then-file: run each line of FILE (words split at blanks) afterwards.\n");
}

int
main (int argc, char **argv)
{
  const int init = getpid () == 1;
  size_t pages = 16;
  unsigned every = 2;
  int read_before_map = 0;
  char **then = NULL;
  const char *then_file = NULL;
  int code;

  if (init)
    init_setup ();
  else
    bp_cleanup_install ();   /* give back huge pages on SIGINT/SIGTERM */
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--pages") == 0 && i + 1 < argc)
        pages = strtoul (argv[++i], NULL, 10);
      else if (strcmp (argv[i], "--dirty-every") == 0 && i + 1 < argc)
        every = (unsigned) strtoul (argv[++i], NULL, 10);
      else if (strcmp (argv[i], "--read-before-map") == 0)
        read_before_map = 1;
      else if (strcmp (argv[i], "--then-file") == 0 && i + 1 < argc)
        then_file = argv[++i];
      else if (strcmp (argv[i], "--then") == 0 && i + 1 < argc)
        {
          then = argv + i + 1;
          break;
        }
      else if (!init)
        {
          usage ();
          return 2;
        }
    }
  if (pages == 0 || every == 0)
    {
      usage ();
      return 2;
    }

  struct utsname u;
  struct timespec boot;
  uname (&u);
  clock_gettime (CLOCK_BOOTTIME, &boot);
  printf ("bp-repro-static: tier 2 on Linux %s, %.2f s after boot; %zu pages per case, guest writes every %u%s "
          "%s the map\n",
          u.release, (double) boot.tv_sec + (double) boot.tv_nsec / 1e9, pages, every,
          every == 1 ? "st page" : every == 2 ? "nd page" : "th page", read_before_map ? "and reads all before" : "after");
  char reason[256];
  if (!bp_t2_probe (reason, sizeof reason))
    {
      printf ("bp-repro-static: tier 2 unavailable: %s\n", reason);
      printf ("verdict: CAPABILITY MISSING\n");
      code = 3;
    }
  else
    {
      long hp = bp_hugepages_in_use ();
      printf ("bp-repro-static: %s; huge page size %zu KiB, in use %ld\n", reason, bp_hugepage_size () / 1024, hp);
      code = run_matrix (pages, every, read_before_map);
    }
  if (then)
    {
      int r = run_then (then);
      printf ("bp-repro-static: then: %s exited %d\n", then[0], r);
    }
  if (then_file)
    run_then_file (then_file);
  fflush (stdout);
  if (init)
    init_finish (code);
  bp_cleanup_uninstall ();
  return code;
}
