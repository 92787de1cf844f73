/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one DEP-3 header writer (https://dep-team.pages.debian.net/deps/dep3/),
 * for `export --format dep3` and `apply --quilt` alike. */
#pragma once

#include <glib.h>
#include "model/patch.h"

/* The header of PATCH, ending with the "---" line that precedes its diff:
 *   Description  the subject, then the message as continuation lines;
 *   Author       the patch's author;
 *   Origin       "upstream, <gitlab commit URL>" when UPSTREAM_ID (the fix's
 *                commit in master) is known, else "backport, POSTING" (or
 *                BUG when there is no posting);
 *   Bug          BUG, then every Closes: trailer that is not BUG;
 *   Forwarded    not-needed (it came from upstream);
 *   Applied-Upstream  commit:UPSTREAM_ID, when known;
 *   Last-Update  the patch's own Date (the day its text last changed), so
 *                the same patch gives the same header on any day and from
 *                either command; without a Date, SOURCE_DATE_EPOCH, else
 *                none (the field is optional).
 * Any of UPSTREAM_ID, POSTING, BUG may be NULL or empty. */
char *bp_dep3_header (const BpPatch *patch, const char *upstream_id, const char *posting,
                      const char *bug);
