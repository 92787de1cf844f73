/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include <git2.h>

#include "cli/bp-commands.h"
#include "bp-config.h"

BP_CMD (version)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- print versions");
  if (!bp_cmd_parse (context, &argc, &argv, error))
    return FALSE;
  int major, minor, rev;
  git_libgit2_version (&major, &minor, &rev);
  printf ("backport %s (libgit2 %d.%d.%d, GLib %u.%u.%u)\n", BP_VERSION,
          major, minor, rev, glib_major_version, glib_minor_version, glib_micro_version);
  return TRUE;
}
