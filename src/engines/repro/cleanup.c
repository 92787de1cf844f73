/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cleanup on SIGINT/SIGTERM/SIGHUP for the reproducer: kill the device
 * processes and the compiler's process groups, remove the scratch
 * directories, unmount what was mounted, give back huge pages, forget the
 * leftover state, then die of the signal.  Everything the handler does is
 * async-signal-safe: kill, waitpid, openat/getdents64/unlinkat, umount2,
 * rmdir, and the pool's own read/write of nr_hugepages.  See guest-ram.h.
 * Plain C: libc only (it links into the static tier 2 binary). */
#include "engines/repro/guest-ram.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TRACKED 8
static BpGuestRam *volatile tracked_rams[MAX_TRACKED];
static volatile pid_t tracked_pids[MAX_TRACKED];
static volatile int tracked_groups[MAX_TRACKED];   /* 1: the pid leads its own process group */
static char tracked_dirs[MAX_TRACKED][4096];
static volatile int installed;                     /* nesting depth of bp_cleanup_install */
static struct sigaction old_actions[3];
static volatile pid_t handler_pid, handler_tid;  /* the process and thread that installed it */
static const int cleanup_signals[3] = { SIGINT, SIGTERM, SIGHUP };

/* DIR's entries (not DIR), depth first, with getdents64: no malloc.  A
 * second pass catches what a dying compiler wrote during the first; it stops
 * when a pass finds nothing left. */
static void
remove_entries (int dirfd, int depth)
{
  char buf[4096];
  for (int pass = 0; pass < 4; pass++)
    {
      int found = 0;
      lseek (dirfd, 0, SEEK_SET);
      for (long n; (n = syscall (SYS_getdents64, dirfd, buf, sizeof buf)) > 0;)
        for (long off = 0; off < n;)
          {
            struct { unsigned long long ino; long long off; unsigned short reclen; unsigned char type; char name[]; }
              *d = (void *) (buf + off);
            off += d->reclen;
            if (strcmp (d->name, ".") == 0 || strcmp (d->name, "..") == 0)
              continue;
            found = 1;
            if (unlinkat (dirfd, d->name, 0) == 0)
              continue;
            int sub = depth < 8 ? openat (dirfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
            if (sub >= 0)
              {
                remove_entries (sub, depth + 1);
                close (sub);
              }
            unlinkat (dirfd, d->name, AT_REMOVEDIR);
          }
      if (!found)
        return;
    }
}

static void
remove_tree (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  remove_entries (fd, 0);
  close (fd);
  rmdir (dir);
}

static void
cleanup_now (void)
{
  for (int i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] > 0)
      kill (tracked_groups[i] ? -tracked_pids[i] : tracked_pids[i], SIGKILL);
  /* a compiler must be gone before its directory goes, or it writes on */
  for (int i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] > 0 && tracked_groups[i])
      waitpid (tracked_pids[i], NULL, 0);
  for (int i = 0; i < MAX_TRACKED; i++)
    if (tracked_dirs[i][0])
      remove_tree (tracked_dirs[i]);
  for (int i = 0; i < MAX_TRACKED; i++)
    {
      BpGuestRam *ram = tracked_rams[i];
      if (!ram)
        continue;
      if (ram->mount_dir[0])
        {
          umount2 (ram->mount_dir, MNT_DETACH);
          rmdir (ram->mount_dir);
        }
      bp_huge_pool_release (&ram->pool);
      if (ram->state_path[0])
        unlink (ram->state_path);
    }
}

static void
cleanup_signal (int sig)
{
  /* A signal to the process may land on any thread that does not block it.
   * Handled on another thread, the reproducer's thread would run on while we
   * clean up, see the device we killed die and exit 3 (or of SIGPIPE): the
   * thread that runs the reproducer takes it instead. */
  if (handler_tid > 0 && getpid () == handler_pid && (pid_t) syscall (SYS_gettid) != handler_tid)
    {
      syscall (SYS_tgkill, (long) handler_pid, (long) handler_tid, (long) sig);
      return;
    }
  cleanup_now ();
  signal (sig, SIG_DFL);
  raise (sig);
}

void
bp_cleanup_install (void)
{
  if (installed++ > 0)
    return;
  handler_pid = getpid ();
  handler_tid = (pid_t) syscall (SYS_gettid);
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = cleanup_signal;
  sigfillset (&sa.sa_mask);
  for (int i = 0; i < 3; i++)
    sigaction (cleanup_signals[i], &sa, &old_actions[i]);
}

void
bp_cleanup_uninstall (void)
{
  if (installed == 0 || --installed > 0)
    return;
  for (int i = 0; i < 3; i++)
    sigaction (cleanup_signals[i], &old_actions[i], NULL);
}

void
bp_cleanup_block (sigset_t *old)
{
  sigset_t set;
  sigemptyset (&set);
  for (int i = 0; i < 3; i++)
    sigaddset (&set, cleanup_signals[i]);
  sigprocmask (SIG_BLOCK, &set, old);
}

void
bp_cleanup_unblock (const sigset_t *old)
{
  sigprocmask (SIG_SETMASK, old, NULL);
}

static void
add_pid (pid_t pid, int group)
{
  sigset_t old;
  bp_cleanup_block (&old);
  for (int i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] <= 0)
      {
        tracked_groups[i] = group;
        tracked_pids[i] = pid;
        break;
      }
  bp_cleanup_unblock (&old);
}

void
bp_cleanup_add_pid (pid_t pid)
{
  add_pid (pid, 0);
}

void
bp_cleanup_add_group (pid_t leader)
{
  add_pid (leader, 1);
}

void
bp_cleanup_remove_pid (pid_t pid)
{
  sigset_t old;
  bp_cleanup_block (&old);
  for (int i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] == pid)
      tracked_pids[i] = 0, tracked_groups[i] = 0;
  bp_cleanup_unblock (&old);
}

void
bp_cleanup_add_dir (const char *dir)
{
  sigset_t old;
  bp_cleanup_block (&old);
  for (int i = 0; i < MAX_TRACKED; i++)
    if (!tracked_dirs[i][0])
      {
        snprintf (tracked_dirs[i], sizeof tracked_dirs[i], "%s", dir);
        break;
      }
  bp_cleanup_unblock (&old);
}

void
bp_cleanup_remove_dir (const char *dir)
{
  sigset_t old;
  bp_cleanup_block (&old);
  for (int i = 0; i < MAX_TRACKED; i++)
    if (strcmp (tracked_dirs[i], dir) == 0)
      tracked_dirs[i][0] = '\0';
  bp_cleanup_unblock (&old);
}

void
bp_cleanup_track_ram (BpGuestRam *ram, int on)
{
  sigset_t old;
  bp_cleanup_block (&old);
  for (int i = 0; i < MAX_TRACKED; i++)
    {
      if (on && tracked_rams[i] == NULL)
        {
          tracked_rams[i] = ram;
          break;
        }
      if (!on && tracked_rams[i] == ram)
        tracked_rams[i] = NULL;
    }
  bp_cleanup_unblock (&old);
}
