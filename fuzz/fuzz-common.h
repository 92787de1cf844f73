/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the libFuzzer targets (fuzz/fuzz-*.c, built by fuzz/build.sh). */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* An exact-size copy without a terminating NUL, so that a parser reading
 * past LEN is caught by AddressSanitizer. */
static inline char *
fuzz_copy (const uint8_t *data, size_t size)
{
  char *text = g_malloc (size ? size : 1);
  memcpy (text, data, size);
  return text;
}

/* An invariant the parsers promise did not hold: crash, so libFuzzer keeps
 * the input. */
#define FUZZ_ASSERT(cond, what) \
  do { if (!(cond)) { g_printerr ("invariant broken: %s\n", what); abort (); } } while (0)
