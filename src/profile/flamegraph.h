/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flame graph of folded stacks as one self-contained SVG: the frames, and a small script
 * for zoom (click a frame; click the root or "Reset zoom" to go back) and search (highlight the
 * frames matching a regular expression, with their share). Nothing is fetched from a network.
 */
#ifndef VIGIL_PROFILE_FLAMEGRAPH_H
#define VIGIL_PROFILE_FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile/stacks.h"

/* @ns: values are nanoseconds (off-CPU), not samples. 0 or -ENOMEM. */
int flamegraph_write_svg(FILE *out, const struct stack_count *s, size_t n, const char *title,
			 bool ns);

#endif
