/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Web-text recovery: a mail or a paste from a web archive whose diff may be
 * damaged.  Headers (folded lines whose leading blank was lost too), the
 * message and the notes, the diff (import-diff.c), and trailers that
 * reviewers gave in replies.  See import-private.h. */
#include <string.h>

#include "base/bp-gmime.h"
#include "sources/import-private.h"

static gboolean
is_header_line (const char *l)
{
  const char *p = l;
  if (!g_ascii_isalpha (*p))
    return FALSE;
  while (g_ascii_isalnum (*p) || *p == '-')
    p++;
  return p[0] == ':' && (p[1] == ' ' || p[1] == '\0');
}

static gboolean
is_diffstat_line (const char *l)
{
  while (*l == ' ')
    l++;
  if (g_regex_match_simple ("^\\S+\\s+\\|\\s+(\\d+|Bin)", l, 0, 0))
    return TRUE;
  return g_regex_match_simple ("^\\d+ files? changed", l, 0, 0);
}

void
bp_import_set_author (BpPatch *patch, const char *value)
{
  bp_gmime_init ();
  InternetAddressList *list = internet_address_list_parse (NULL, value);
  if (list && internet_address_list_length (list) > 0)
    {
      InternetAddress *addr = internet_address_list_get_address (list, 0);
      if (INTERNET_ADDRESS_IS_MAILBOX (addr))
        {
          g_free (patch->author_email);
          patch->author_email = g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (addr)));
        }
      const char *name = internet_address_get_name (addr);
      g_free (patch->author_name);
      patch->author_name = g_strdup (name && *name ? name : patch->author_email);
    }
  if (list)
    g_object_unref (list);
}

static void
take_header (BpPatch *patch, const char *key, const char *value)
{
  if (g_ascii_strcasecmp (key, "Subject") == 0)
    {
      g_autofree char *dec = g_mime_utils_header_decode_text (NULL, value);
      g_free (patch->subject);   /* a repeated header: the last one counts */
      patch->subject = bp_patch_clean_subject (dec);
    }
  else if (g_ascii_strcasecmp (key, "From") == 0)
    bp_import_set_author (patch, value);
  else if (g_ascii_strcasecmp (key, "Date") == 0)
    {
      g_clear_pointer (&patch->date, g_date_time_unref);
      patch->date = g_mime_utils_header_decode_date (value);
    }
}

/* Headers from LINES[*I] on, with folded lines whose leading blank was
 * lost too; *I ends past the blank line that closes them. */
static void
take_headers (BpPatch *patch, char **lines, guint n, guint *i)
{
  if (!(*i < n && is_header_line (lines[*i])))
    return;
  g_autofree char *key = NULL;
  g_autoptr(GString) value = g_string_new (NULL);
  for (;; (*i)++)
    {
      gboolean end = *i >= n || lines[*i][0] == '\0';
      gboolean next_header = !end && is_header_line (lines[*i]);
      if ((end || next_header) && key)
        {
          take_header (patch, key, value->str);
          g_clear_pointer (&key, g_free);
        }
      if (end)
        break;
      if (next_header)
        {
          const char *colon = strchr (lines[*i], ':');
          key = g_strndup (lines[*i], colon - lines[*i]);
          g_string_assign (value, colon + 1);
          g_strstrip (value->str);
          g_string_set_size (value, strlen (value->str));
        }
      else
        {
          g_autofree char *cont = g_strstrip (g_strdup (lines[*i]));
          g_string_append_printf (value, " %s", cont);
        }
    }
  if (*i < n)
    (*i)++;  /* the blank line */
}

/* The message of LINES[BODY, MSG_END): trimmed, and when its blank lines
 * were lost too, the trailers set apart by one. */
static char *
take_message (char **lines, guint body, guint msg_end)
{
  g_autoptr(GString) msg = g_string_new (NULL);
  for (guint k = body; k < msg_end; k++)
    g_string_append_printf (msg, "%s\n", lines[k]);
  g_autofree char *message = g_strstrip (g_strdup (msg->str));
  if (strstr (message, "\n\n") != NULL)
    return g_steal_pointer (&message);
  g_auto(GStrv) ml = g_strsplit (message, "\n", -1);
  guint mn = g_strv_length (ml), t = mn;
  while (t > 0 && is_header_line (ml[t - 1]))
    t--;
  if (t == 0 || t >= mn)
    return g_steal_pointer (&message);
  GString *m = g_string_new (NULL);
  for (guint k = 0; k < mn; k++)
    g_string_append_printf (m, "%s%s%s", k == t ? "\n" : "", ml[k], k + 1 < mn ? "\n" : "");
  return g_string_free (m, FALSE);
}

/* Trailers given in replies (not quoted) after the diff, from LINES[FROM]:
 * Reviewed-by, Acked-by, Tested-by; appended to MESSAGE unless there. */
static void
take_reply_trailers (GString *message, char **lines, guint from, guint n, GPtrArray *notes)
{
  for (guint k = from; k < n; k++)
    {
      const char *l = lines[k];
      if (!(g_str_has_prefix (l, "Reviewed-by: ") || g_str_has_prefix (l, "Acked-by: ")
            || g_str_has_prefix (l, "Tested-by: ")))
        continue;
      g_autofree char *needle = g_strdup_printf ("\n%s", l);
      if (strstr (message->str, needle) == NULL && !g_str_has_prefix (message->str, l))
        {
          g_string_append_printf (message, "\n%s", l);
          g_ptr_array_add (notes, g_strdup_printf ("took \"%s\" from a reply", l));
        }
    }
}

/* The notes between "---" and the diff, LINES[FROM, DIFF). */
static char *
take_notes (char **lines, guint from, guint diff)
{
  g_autoptr(GString) nts = g_string_new (NULL);
  for (guint k = from; k < diff; k++)
    {
      /* Web archives lose the diffstat's leading blank: put it back. */
      if (is_diffstat_line (lines[k]) && lines[k][0] != ' ')
        g_string_append_c (nts, ' ');
      g_string_append_printf (nts, "%s\n", lines[k]);
    }
  const char *nstart = nts->str;
  while (*nstart == '\n')
    nstart++;
  return g_strchomp (g_strdup (nstart));
}

BpPatch *
bp_import_parse_lenient (const char *text, gsize len, const char *source, gboolean *damaged,
                         GPtrArray *notes, GError **error)
{
  bp_gmime_init ();
  g_autoptr(BpPatch) patch = g_new0 (BpPatch, 1);
  patch->source = g_strdup (source);
  /* CRLF was made LF by bp_import_parse. */
  g_autofree char *copy = g_strndup (text, len);
  g_auto(GStrv) lines = g_strsplit (copy, "\n", -1);
  guint n = g_strv_length (lines);
  guint i = 0;
  if (n && g_str_has_prefix (lines[0], "From ") && !is_header_line (lines[0]))
    i++;
  take_headers (patch, lines, n, &i);

  /* Message, notes, diff. */
  guint body = i, sep = G_MAXUINT, diff = G_MAXUINT;
  for (guint k = body; k < n; k++)
    {
      if (sep == G_MAXUINT && strcmp (lines[k], "---") == 0)
        sep = k;
      if (g_str_has_prefix (lines[k], "diff --git ")
          || (g_str_has_prefix (lines[k], "--- ") && lines[k + 1] && g_str_has_prefix (lines[k + 1], "+++ ")))
        {
          diff = k;
          break;
        }
    }
  if (diff == G_MAXUINT)
    {
      g_set_error (error, BP_IMPORT_ERROR, BP_IMPORT_ERROR_PARSE,
                   "%s: no diff found (no \"diff --git\" or \"---\"/\"+++\" lines)", source);
      return NULL;
    }
  /* A web archive may put the diffstat above the message: skip it. */
  while (body < diff && (is_diffstat_line (lines[body]) || lines[body][0] == '\0'))
    body++;
  g_autofree char *message = take_message (lines, body, sep < diff ? sep : diff);
  patch->notes = take_notes (lines, sep < diff ? sep + 1 : diff, diff);
  i = diff;
  patch->files = bp_import_parse_diff_lenient (lines, &i, damaged, notes, source, error);
  if (patch->files == NULL)
    return NULL;
  g_autoptr(GString) full = g_string_new (message);
  take_reply_trailers (full, lines, i, n, notes);
  patch->message = g_string_free (g_steal_pointer (&full), FALSE);
  return g_steal_pointer (&patch);
}
