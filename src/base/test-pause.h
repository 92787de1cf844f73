/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A test hook that stops the program at a named point, so that a test can
 * interrupt it at a known moment (tests/cli/test-faults.sh).  Inert unless
 * BACKPORT_TEST_PAUSE=NAME[:N] is set: the Nth time (default the first) the
 * process reaches the point NAME it prints "backport: test: paused at NAME
 * (pid P)" on stderr and stops itself with SIGSTOP; the test sends its
 * signal, then SIGCONT. */
#pragma once

void bp_test_pause (const char *name);
