/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pause hook of the fault tests.  See test-pause.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "base/test-pause.h"

void
bp_test_pause (const char *name)
{
  static gint reached;
  const char *want = g_getenv ("BACKPORT_TEST_PAUSE");
  if (want == NULL)
    return;
  const char *colon = strchr (want, ':');
  gsize len = colon ? (gsize) (colon - want) : strlen (want);
  if (strlen (name) != len || strncmp (want, name, len) != 0)
    return;
  int nth = colon ? atoi (colon + 1) : 1;
  if (g_atomic_int_add (&reached, 1) + 1 != nth)
    return;
  fflush (NULL);
  fprintf (stderr, "backport: test: paused at %s (pid %d)\n", name, (int) getpid ());
  fflush (stderr);
  raise (SIGSTOP);
}
