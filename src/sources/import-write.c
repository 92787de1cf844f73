/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing the imported mails: to a directory (one 000N-<subject>.patch per
 * mail, as format-patch names them) or to one file.  What is there already
 * must be a regular file: a device, a FIFO or a symlink (/proc/self/fd/1)
 * is refused, never replaced.  All or nothing.  See import.h. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "sources/import.h"

/* "vfio/container: Use x" -> "vfio-container-Use-x", as format-patch names files. */
static char *
file_name_for (guint n, const char *subject)
{
  GString *s = g_string_new (NULL);
  gboolean dash = FALSE;
  for (const char *p = subject ? subject : ""; *p && s->len < 52; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '_' || *p == '.')
        {
          if (dash && s->len)
            g_string_append_c (s, '-');
          g_string_append_c (s, *p);
          dash = FALSE;
        }
      else
        dash = TRUE;
    }
  g_autofree char *slug = g_string_free (s, FALSE);
  return g_strdup_printf ("%04u-%s.patch", n, *slug ? slug : "patch");
}

static const char *
kind_of (mode_t mode)
{
  if (S_ISLNK (mode))
    return "a symbolic link";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a regular file";
}

/* PATH may be written: absent or a regular file.  *EXISTED says which. */
static gboolean
writable_target (const char *path, gboolean *existed, GError **error)
{
  struct stat st;
  *existed = FALSE;
  if (lstat (path, &st) != 0)
    {
      if (errno == ENOENT)
        return TRUE;
      int e = errno;
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_OUTPUT, "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_OUTPUT,
                   "%s is %s: refusing to replace it; give the path of a regular file or a directory",
                   path, kind_of (st.st_mode));
      return FALSE;
    }
  *existed = TRUE;
  return TRUE;
}

/* Write CONTENTS[i] to PATHS[i], each checked first; on a failure the files
 * this call created are removed again. */
static gboolean
write_all (GPtrArray *paths, GPtrArray *contents, GError **error)
{
  g_autofree gboolean *existed = g_new0 (gboolean, paths->len + 1);
  for (guint i = 0; i < paths->len; i++)
    if (!writable_target (paths->pdata[i], &existed[i], error))
      return FALSE;
  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GError) local = NULL;
      if (g_file_set_contents (paths->pdata[i], contents->pdata[i], -1, &local))
        continue;
      for (guint j = 0; j < i; j++)
        if (!existed[j])
          g_unlink (paths->pdata[j]);
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_OUTPUT, "cannot write %s: %s",
                   (char *) paths->pdata[i], local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
bp_import_write (GPtrArray *imported, const char *output, GPtrArray **written, GError **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  struct stat st;
  /* a directory, also through a symlink; files themselves are never links */
  gboolean to_dir = stat (output, &st) == 0 && S_ISDIR (st.st_mode);
  if (to_dir)
    for (guint k = 0; k < imported->len; k++)
      {
        const BpImported *imp = imported->pdata[k];
        g_autofree char *name = file_name_for (k + 1, imp->patch->subject);
        g_ptr_array_add (paths, g_build_filename (output, name, NULL));
        g_ptr_array_add (contents, bp_patch_to_mail (imp->patch, NULL));
      }
  else
    {
      GString *all = g_string_new (NULL);
      for (guint k = 0; k < imported->len; k++)
        {
          g_autofree char *mail = bp_patch_to_mail (((const BpImported *) imported->pdata[k])->patch, NULL);
          g_string_append (all, mail);
        }
      g_ptr_array_add (paths, g_strdup (output));
      g_ptr_array_add (contents, g_string_free (all, FALSE));
    }
  if (!write_all (paths, contents, error))
    return FALSE;
  if (written)
    *written = to_dir ? g_steal_pointer (&paths) : g_ptr_array_new_with_free_func (g_free);
  return TRUE;
}
