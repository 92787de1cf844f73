/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kept for the modules that include it: the libgit2 autoptrs now live in
 * base/git-autoptr.h, one definition for the whole program. */
#pragma once

#include "base/git-autoptr.h"
