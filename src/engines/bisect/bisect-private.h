/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by bisect.c (the algorithm) and bisect-walk.c (the range from a
 * repository): git's date-ordered queue, and the goods' ids for the log. */
#pragma once

#include "engines/bisect/bisect.h"

/* Priority queue of node indices: newest committer date first; equal dates
 * in queueing order (git's commit_list_insert_by_date puts a commit after
 * those of the same date already queued). */
typedef struct {
  int node;
  gint64 date;
  guint seq;
} BpQItem;

void bp_q_push (GArray *heap, BpQItem item);
BpQItem bp_q_pop (GArray *heap);

/* Remember GOODS (N ids) as the goods the bisection was started with. */
void bp_bisect_set_goods (BpBisect *b, const git_oid *goods, guint n);
