/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/bp-git.h"

#include <git2.h>

gboolean
bp_git_error (GError **error, GQuark domain, int code, const char *what)
{
  const git_error *e = git_error_last ();
  g_set_error (error, domain, code, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
  return FALSE;
}
