/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `backport repro` prints: see repro-report.h. */
#include "report/repro-report.h"

static const char *const backing_names[] = { "hugetlbfs", "memfd-hugetlb", "memfd", "tmpfs" };
static const char *const policy_names[] = { "old", "fixed", "tree" };

static const char *
path_name (BpDmaPath p)
{
  return p == BP_DMA_BY_FILE ? "by-file" : "by-address";
}

static char *
verdict (const BpReproResult *r)
{
  if (!r->reproduced)
    return g_strdup_printf ("no inconsistency: the device saw every guest page as the guest wrote it, "
                            "and the guest saw all %" G_GUINT64_FORMAT " device writes",
                            r->device_writes);
  GString *s = g_string_new ("BUG REPRODUCED:");
  const char *sep = " ";
  if (r->stale_reads)
    {
      g_string_append_printf (s, "%sthe device read %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                              " pages stale", sep, r->stale_reads, r->pages);
      sep = "; ";
    }
  if (r->lost_writes)
    {
      g_string_append_printf (s, "%s%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                              " device writes were lost to the guest", sep, r->lost_writes, r->device_writes);
      sep = "; ";
    }
  if (r->pfn_mismatches)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT " IOMMU PFNs differ from the guest's", sep, r->pfn_mismatches);
  return g_string_free (s, FALSE);
}

static double
gib_per_second (const BpReproResult *r, double seconds)
{
  if (seconds <= 0)
    return 0;
  return (double) r->pages * (double) r->page_size / (double) (1 << 30) / seconds;
}

JsonNode *
bp_repro_report_json (const BpReproConfig *c, const BpReproResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
#define STR(k, v) do { json_builder_set_member_name (b, k); \
    if (v) json_builder_add_string_value (b, v); else json_builder_add_null_value (b); } while (0)
#define INT(k, v) do { json_builder_set_member_name (b, k); json_builder_add_int_value (b, (gint64) (v)); } while (0)
#define BOOL(k, v) do { json_builder_set_member_name (b, k); json_builder_add_boolean_value (b, (v)); } while (0)
#define DBL(k, v) do { json_builder_set_member_name (b, k); json_builder_add_double_value (b, (v)); } while (0)
  BOOL ("reproduced", r->reproduced);
  g_autofree char *v = verdict (r);
  STR ("verdict", v);
  INT ("tier", r->tier);
  STR ("tier_reason", r->tier_reason);
  STR ("backing", backing_names[r->backing]);
  STR ("backing_reason", r->backing_reason);
  BOOL ("share", c->share);
  BOOL ("sparse", c->sparse);
  INT ("size", (gint64) (r->pages * r->page_size));
  INT ("page_size", r->page_size);
  INT ("dirty_every", c->dirty_every);
  STR ("policy", policy_names[c->policy]);
  STR ("path", path_name (r->path));
  STR ("policy_evidence", r->policy_evidence);
  INT ("pages", r->pages);
  INT ("pages_dirtied", r->pages_dirtied);
  INT ("stale_reads", r->stale_reads);
  INT ("device_writes", r->device_writes);
  INT ("lost_writes", r->lost_writes);
  INT ("pfn_mismatches", r->pfn_mismatches);
  INT ("pfn_diverged_before", r->pfn_diverged_before);
  INT ("pfn_diverged", r->pfn_diverged);
  INT ("extra_hugepages", r->extra_hugepages);
  INT ("hugepages_pool_delta", r->hugepages_pool_delta);
  DBL ("verify_seconds", r->seconds);
  DBL ("verify_gib_per_second", gib_per_second (r, r->seconds));
  if (c->measure_memcmp)
    {
      DBL ("memcmp_seconds", r->memcmp_seconds);
      DBL ("memcmp_gib_per_second", gib_per_second (r, r->memcmp_seconds));
    }
  json_builder_end_object (b);
#undef STR
#undef INT
#undef BOOL
#undef DBL
  return json_builder_get_root (b);
}

char *
bp_repro_report_text (const BpReproConfig *c, const BpReproResult *r)
{
  GString *out = g_string_new (NULL);
  g_autofree char *size = g_format_size_full (r->pages * r->page_size, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *psize = g_format_size_full (r->page_size, G_FORMAT_SIZE_IEC_UNITS);
  g_string_append_printf (out, "tier %d (%s)\n", r->tier, r->tier_reason ? r->tier_reason : "");
  if (r->backing_reason)
    g_string_append_printf (out, "backing: %s\n", r->backing_reason);
  g_string_append_printf (out, "guest RAM: %s, share=%s, %s, %s in %" G_GUINT64_FORMAT " pages of %s, guest writes every %u%s page\n",
          backing_names[r->backing], c->share ? "on" : "off", c->sparse ? "sparse" : "prefilled",
          size, r->pages, psize, c->dirty_every,
          c->dirty_every == 1 ? "" : c->dirty_every == 2 ? "nd" : c->dirty_every == 3 ? "rd" : "th");
  g_string_append_printf (out, "DMA path: %s (%s)\n", path_name (r->path), r->policy_evidence ? r->policy_evidence : "");
  g_string_append_printf (out, "pages dirtied by the guest:    %" G_GUINT64_FORMAT "\n", r->pages_dirtied);
  g_string_append_printf (out, "stale device reads:            %" G_GUINT64_FORMAT "\n", r->stale_reads);
  g_string_append_printf (out, "device writes lost:            %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "\n",
          r->lost_writes, r->device_writes);
  if (r->tier == 2)
    g_string_append_printf (out, "IOMMU PFN != guest PFN:        %" G_GUINT64_FORMAT "\n", r->pfn_mismatches);
  if (r->pfn_diverged >= 0)
    g_string_append_printf (out, "guest PFN != file PFN:         %" G_GINT64_FORMAT " before the guest wrote, %" G_GINT64_FORMAT " after\n",
            r->pfn_diverged_before, r->pfn_diverged);
  else
    g_string_append_printf (out, "guest PFN != file PFN:         unknown (PFNs need root)\n");
  if (r->extra_hugepages >= 0)
    g_string_append_printf (out, "extra %s pages allocated:    %" G_GINT64_FORMAT " (huge page pool in use: %+" G_GINT64_FORMAT " system-wide)\n",
            r->page_size > 4096 ? "huge" : "file", r->extra_hugepages, r->hugepages_pool_delta);
  g_string_append_printf (out, "verified %s in %.3f s (%.2f GiB/s)", size, r->seconds, gib_per_second (r, r->seconds));
  if (c->measure_memcmp && r->memcmp_seconds > 0)
    g_string_append_printf (out, "; memcmp %.3f s (%.2f GiB/s), ratio %.2f", r->memcmp_seconds,
            gib_per_second (r, r->memcmp_seconds), r->memcmp_seconds / r->seconds);
  g_string_append_printf (out, "\n");
  g_autofree char *v = verdict (r);
  g_string_append_printf (out, "%s\n", v);
  return g_string_free (out, FALSE);
}
