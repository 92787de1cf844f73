/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The options several commands share, declared once: one storage (a
 * process runs one command), one name, type and metavariable.  A command
 * puts BP_OPTION_PACK and the others in its GOptionEntry table and reads
 * bp_opt; bp_cmd_parse() clears them before each parse. */
#pragma once

#include <glib.h>

typedef struct {
  char *pack;       /* --pack NAME */
  char *repo;       /* --repo DIR */
  char *cache;      /* --cache DIR */
  gboolean json;    /* --json */
} BpCommonOptions;

extern BpCommonOptions bp_opt;

#define BP_OPTION_PACK \
  { "pack", 0, 0, G_OPTION_ARG_STRING, &bp_opt.pack, "Fix pack, by name (when there are several: `backport list`)", "NAME" }
#define BP_OPTION_JSON(help) { "json", 0, 0, G_OPTION_ARG_NONE, &bp_opt.json, help, NULL }
/* --repo means a different repository to each command: each says which */
#define BP_OPTION_REPO(help) { "repo", 0, 0, G_OPTION_ARG_FILENAME, &bp_opt.repo, help, "DIR" }
#define BP_OPTION_CACHE(help) { "cache", 0, 0, G_OPTION_ARG_FILENAME, &bp_opt.cache, help, "DIR" }

/* Free and zero bp_opt. */
void bp_common_options_clear (void);
