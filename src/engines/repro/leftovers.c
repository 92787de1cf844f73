/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a run that was killed with SIGKILL leaves on the machine: the huge
 * pages it added to nr_hugepages and the hugetlbfs mount it made.  A state
 * file per guest RAM records them while they exist; the next run gives them
 * back.  Without this, later runs took the raised pool as the baseline and
 * nothing ever lowered it again.  See guest-ram.h.  Plain C: libc only. */
#include "engines/repro/guest-ram.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

/* Where state files go: /run when it is writable, else /tmp. */
static const char *const state_dirs[] = { BP_REPRO_STATE_DIR, "/tmp/backport-repro" };

/* Field 22 of /proc/PID/stat: when the process started, 0 when it is gone.
 * With the pid it names one process, even after the pid is reused. */
static unsigned long long
start_time (pid_t pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  FILE *f = fopen (path, "re");
  if (!f)
    return 0;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  const char *p = strrchr (buf, ')');
  if (!p)
    return 0;
  /* after ") " come the fields from 3 (state) on; starttime is 22 */
  for (int field = 2; field < 22 && *p; p++)
    if (*p == ' ')
      field++;
  return strtoull (p, NULL, 10);
}

void
bp_guest_ram_state_save (BpGuestRam *ram)
{
  int holds = ram->pool.added > 0 || ram->mount_dir[0];
  if (!holds || geteuid () != 0)
    {
      if (ram->state_path[0])
        unlink (ram->state_path);
      ram->state_path[0] = '\0';
      return;
    }
  if (!ram->state_path[0])
    {
      static int seq;
      const char *dir = access ("/run", W_OK) == 0 ? state_dirs[0] : state_dirs[1];
      if (mkdir (dir, 0700) != 0 && errno != EEXIST)
        return;
      snprintf (ram->state_path, sizeof ram->state_path, "%s/%d-%d.state", dir, (int) getpid (), ++seq);
    }
  char tmp[300];
  snprintf (tmp, sizeof tmp, "%s.tmp", ram->state_path);
  FILE *f = fopen (tmp, "we");
  if (!f)
    return;
  fprintf (f, "pid=%d\nstart=%llu\nbaseline=%ld\nadded=%ld\nmount=%s\n", (int) getpid (),
           start_time (getpid ()), ram->pool.baseline, ram->pool.added, ram->mount_dir);
  if (fclose (f) != 0 || rename (tmp, ram->state_path) != 0)
    unlink (tmp);
}

typedef struct {
  int pid;
  unsigned long long start;
  long baseline, added;
  char mount[4096];
} State;

static int
read_state (FILE *f, State *s)
{
  memset (s, 0, sizeof *s);
  char line[4200];
  int fields = 0;
  while (fgets (line, sizeof line, f))
    {
      line[strcspn (line, "\n")] = '\0';
      if (sscanf (line, "pid=%d", &s->pid) == 1 || sscanf (line, "start=%llu", &s->start) == 1
          || sscanf (line, "baseline=%ld", &s->baseline) == 1 || sscanf (line, "added=%ld", &s->added) == 1)
        fields++;
      else if (strncmp (line, "mount=", 6) == 0)
        {
          size_t l = strnlen (line + 6, sizeof s->mount - 1);
          memcpy (s->mount, line + 6, l);
          s->mount[l] = '\0';
          fields++;
        }
    }
  return fields == 5 && s->pid > 0 ? 0 : -1;
}

static int
is_hugetlbfs_mount (const char *dir)
{
  FILE *f = fopen ("/proc/self/mounts", "re");
  if (!f)
    return 0;
  char line[4096], mnt[2048], type[64];
  int found = 0;
  while (!found && fgets (line, sizeof line, f))
    found = sscanf (line, "%*s %2047s %63s", mnt, type) == 2 && strcmp (mnt, dir) == 0
            && strcmp (type, "hugetlbfs") == 0;
  fclose (f);
  return found;
}

/* Undo the state at PATH when its run is gone.  1 when it was undone. */
static int
recover_one (const char *path, long *pages, char *mounts, size_t mlen)
{
  int fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return 0;
  /* one recoverer per state: locked, and still the file at PATH */
  struct stat a, b;
  FILE *f = NULL;
  State s;
  int done = 0;
  if (flock (fd, LOCK_EX | LOCK_NB) == 0 && fstat (fd, &a) == 0 && stat (path, &b) == 0 && a.st_ino == b.st_ino
      && (f = fdopen (fd, "r")) != NULL && read_state (f, &s) == 0)
    {
      unsigned long long now = start_time (s.pid);
      /* gone, or its pid now names another process (a start time of 0 is
       * unknown: then only a pid that is gone counts) */
      if (now == 0 || (s.start != 0 && now != s.start))
        {
          if (s.added > 0)
            {
              BpHugePool give = { 0 };
              give.added = s.added;
              bp_huge_pool_release (&give);   /* under the pool lock, as a run gives back */
              *pages += s.added;
            }
          if (s.mount[0] && is_hugetlbfs_mount (s.mount) && umount2 (s.mount, MNT_DETACH) == 0)
            {
              rmdir (s.mount);
              size_t l = strlen (mounts);
              if (l + strlen (s.mount) + 3 < mlen)
                {
                  memcpy (mounts + l, l ? ", " : "", l ? 2 : 0);
                  strcpy (mounts + l + (l ? 2 : 0), s.mount);
                }
            }
          unlink (path);
          done = 1;
        }
    }
  if (f)
    fclose (f);
  else
    close (fd);
  return done;
}

int
bp_guest_ram_recover (char *note, size_t notelen)
{
  if (note && notelen)
    note[0] = '\0';
  if (geteuid () != 0)
    return 0;   /* only root raises the pool or mounts */
  long before = -1, pages = 0;
  char mounts[2048] = "";
  int runs = 0;
  for (size_t i = 0; i < sizeof state_dirs / sizeof state_dirs[0]; i++)
    {
      DIR *d = opendir (state_dirs[i]);
      if (!d)
        continue;
      for (struct dirent *e; (e = readdir (d));)
        {
          size_t n = strlen (e->d_name);
          if (n < 7 || strcmp (e->d_name + n - 6, ".state") != 0)
            continue;
          char path[4200];
          snprintf (path, sizeof path, "%s/%s", state_dirs[i], e->d_name);
          if (before < 0)
            {
              FILE *nr = fopen (NR_HUGEPAGES, "re");
              if (nr && fscanf (nr, "%ld", &before) != 1)
                before = -1;
              if (nr)
                fclose (nr);
            }
          runs += recover_one (path, &pages, mounts, sizeof mounts);
        }
      closedir (d);
    }
  if (runs == 0 || !note || !notelen)
    return runs;
  long after = -1;
  FILE *nr = fopen (NR_HUGEPAGES, "re");
  if (nr && fscanf (nr, "%ld", &after) != 1)
    after = -1;
  if (nr)
    fclose (nr);
  int len = snprintf (note, notelen, "recovered what %d interrupted run%s left: ", runs, runs > 1 ? "s" : "");
  if (pages > 0 && len >= 0 && (size_t) len < notelen)
    len += snprintf (note + len, notelen - len, "gave back %ld huge page%s (nr_hugepages %ld -> %ld)%s", pages,
                     pages > 1 ? "s" : "", before, after, mounts[0] ? ", " : "");
  if (mounts[0] && len >= 0 && (size_t) len < notelen)
    snprintf (note + len, notelen - len, "unmounted %s", mounts);
  else if (pages == 0 && !mounts[0] && len >= 0 && (size_t) len < notelen)
    snprintf (note + len, notelen - len, "nothing was still held");
  return runs;
}
