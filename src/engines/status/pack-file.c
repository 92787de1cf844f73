/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One pack, read-only: see pack-file.h. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>

#include "engines/status/pack-file.h"

#define OBJ_OFS_DELTA 6
#define MAX_OBJECT (64u << 20)    /* no commit or tree is this big; larger goes another way */
#define MAX_DEPTH 64

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

void
bp_pack_file_clear (gpointer p)
{
  BpPackFile *pk = p;
  g_clear_pointer (&pk->idx_file, g_mapped_file_unref);
  g_clear_pointer (&pk->pack_file, g_mapped_file_unref);
}

gboolean
bp_pack_file_open (const char *idx_path, BpPackFile *pk)
{
  g_autofree char *base = g_strndup (idx_path, strlen (idx_path) - 4);
  g_autofree char *pack_path = g_strconcat (base, ".pack", NULL);
  pk->idx_file = g_mapped_file_new (idx_path, FALSE, NULL);
  pk->pack_file = pk->idx_file ? g_mapped_file_new (pack_path, FALSE, NULL) : NULL;
  if (pk->pack_file == NULL)
    return FALSE;
  const guint8 *idx = (const guint8 *) g_mapped_file_get_contents (pk->idx_file);
  gsize size = g_mapped_file_get_length (pk->idx_file);
  if (size < 8 + 1024 + 40 || memcmp (idx, "\377tOc", 4) != 0 || be32 (idx + 4) != 2)
    return FALSE;
  pk->idx = idx;
  pk->idx_size = size;
  pk->fanout = idx + 8;
  pk->n = be32 (pk->fanout + 255 * 4);
  gsize fixed = 8 + 1024 + (gsize) pk->n * 28 + 40;
  if (size < fixed || (size - fixed) % 8)
    return FALSE;
  pk->ids = pk->fanout + 1024;
  pk->ofs32 = pk->ids + (gsize) pk->n * 24;   /* after ids and crcs */
  pk->ofs64 = pk->ofs32 + (gsize) pk->n * 4;
  pk->n_big = (guint32) ((size - fixed) / 8);
  pk->pack = (const guint8 *) g_mapped_file_get_contents (pk->pack_file);
  pk->pack_size = g_mapped_file_get_length (pk->pack_file);
  return pk->pack_size >= 12 + 20 && memcmp (pk->pack, "PACK", 4) == 0;
}

gboolean
bp_pack_file_find (const BpPackFile *pk, const git_oid *oid, guint64 *offset)
{
  const guint8 *id = oid->id;
  guint32 lo = id[0] ? be32 (pk->fanout + (id[0] - 1) * 4) : 0, hi = be32 (pk->fanout + id[0] * 4);
  if (hi > pk->n || lo > hi)
    return FALSE;
  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;
      int c = memcmp (pk->ids + (gsize) mid * 20, id, 20);
      if (c < 0)
        lo = mid + 1;
      else if (c > 0)
        hi = mid;
      else
        {
          guint64 ofs = be32 (pk->ofs32 + (gsize) mid * 4);
          if (ofs & 0x80000000u)
            {
              guint32 big = (guint32) (ofs & 0x7fffffffu);
              if (big >= pk->n_big)
                return FALSE;
              ofs = (guint64) be32 (pk->ofs64 + (gsize) big * 8) << 32 | be32 (pk->ofs64 + (gsize) big * 8 + 4);
            }
          if (ofs < 12 || ofs >= pk->pack_size - 20)
            return FALSE;
          *offset = ofs;
          return TRUE;
        }
    }
  return FALSE;
}

static guint8 *
inflate_exact (z_stream *z, const guint8 *in, gsize avail, gsize size)
{
  g_autofree guint8 *out = g_malloc (size + 1);
  if (inflateReset (z) != Z_OK)
    return NULL;
  z->next_in = (Bytef *) in;
  z->avail_in = (uInt) MIN (avail, (gsize) G_MAXUINT32);
  z->next_out = out;
  z->avail_out = (uInt) size + 1;
  if (inflate (z, Z_FINISH) != Z_STREAM_END || z->total_out != size)
    return NULL;
  return g_steal_pointer (&out);
}

static gboolean
varint (const guint8 **p, const guint8 *end, gsize *value)
{
  gsize v = 0;
  for (guint shift = 0; *p < end && shift < 64; shift += 7)
    {
      guint8 c = *(*p)++;
      v |= (gsize) (c & 0x7f) << shift;
      if (!(c & 0x80))
        {
          *value = v;
          return TRUE;
        }
    }
  return FALSE;
}

/* git's delta format: base size, result size, then copy/insert ops. */
static guint8 *
delta_apply (const guint8 *base, gsize base_len, const guint8 *d, gsize d_len, gsize *out_len)
{
  const guint8 *end = d + d_len;
  gsize src, dst;
  if (!varint (&d, end, &src) || !varint (&d, end, &dst) || src != base_len || dst > MAX_OBJECT)
    return NULL;
  g_autofree guint8 *out = g_malloc (dst + 1);
  gsize pos = 0;
  while (d < end)
    {
      guint8 op = *d++;
      if (op & 0x80)
        {
          gsize off = 0, len = 0;
          for (guint b = 0; b < 4; b++)
            if (op & (1u << b))
              {
                if (d >= end)
                  return NULL;
                off |= (gsize) *d++ << (8 * b);
              }
          for (guint b = 0; b < 3; b++)
            if (op & (0x10u << b))
              {
                if (d >= end)
                  return NULL;
                len |= (gsize) *d++ << (8 * b);
              }
          if (len == 0)
            len = 0x10000;
          if (off > base_len || len > base_len - off || len > dst - pos)
            return NULL;
          memcpy (out + pos, base + off, len);
          pos += len;
        }
      else if (op)
        {
          if (op > (gsize) (end - d) || op > dst - pos)
            return NULL;
          memcpy (out + pos, d, op);
          d += op;
          pos += op;
        }
      else
        return NULL;
    }
  if (pos != dst)
    return NULL;
  *out_len = dst;
  return g_steal_pointer (&out);
}

static guint8 *
entry_read (const BpPackFile *pk, z_stream *z, guint64 ofs, guint depth, int *type, gsize *size)
{
  const guint8 *p = pk->pack + ofs, *end = pk->pack + pk->pack_size - 20;
  if (depth > MAX_DEPTH || p >= end)
    return NULL;
  guint8 c = *p++;
  *type = (c >> 4) & 7;
  gsize len = c & 15;
  for (guint shift = 4; c & 0x80; shift += 7)
    {
      if (p >= end || shift > 57)
        return NULL;
      c = *p++;
      len |= (gsize) (c & 0x7f) << shift;
    }
  if (len > MAX_OBJECT)
    return NULL;
  if (*type >= 1 && *type <= 4)
    {
      *size = len;
      return inflate_exact (z, p, (gsize) (end - p), len);
    }
  if (*type != OBJ_OFS_DELTA)
    return NULL;   /* REF_DELTA (base by id) and anything odd: libgit2 */
  if (p >= end)
    return NULL;
  c = *p++;
  guint64 back = c & 0x7f;
  while (c & 0x80)
    {
      if (p >= end || back > (G_GUINT64_CONSTANT (1) << 48))
        return NULL;
      c = *p++;
      back = ((back + 1) << 7) | (c & 0x7f);
    }
  if (back == 0 || back > ofs)
    return NULL;
  g_autofree guint8 *delta = inflate_exact (z, p, (gsize) (end - p), len);
  gsize base_len;
  g_autofree guint8 *base = delta ? entry_read (pk, z, ofs - back, depth + 1, type, &base_len) : NULL;
  if (base == NULL)
    return NULL;
  return delta_apply (base, base_len, delta, len, size);
}

guint8 *
bp_pack_file_read (const BpPackFile *pk, z_stream *z, guint64 offset, int *type, gsize *size)
{
  return entry_read (pk, z, offset, 0, type, size);
}

/* Give the pages of [FROM, TO) of a mapping back: they are only page cache. */
static void
release (const guint8 *map, guint64 from, guint64 to)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  guint64 a = (from + page - 1) / page * page, b = to / page * page;
  if (b > a)
    madvise ((void *) (map + a), (gsize) (b - a), MADV_DONTNEED);
}

void
bp_pack_file_release (const BpPackFile *pk, guint64 from, guint64 to, gboolean index)
{
  release (pk->pack, from, MIN (to, (guint64) pk->pack_size));
  if (index)
    release (pk->idx, 0, pk->idx_size);
}
