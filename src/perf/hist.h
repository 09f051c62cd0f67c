/* SPDX-License-Identifier: GPL-2.0 */
/* log2 histograms (vigil/latency.h): percentiles, bcc's ASCII bars, JSON. */
#ifndef VIGIL_PERF_HIST_H
#define VIGIL_PERF_HIST_H

#include <stdio.h>

#include "vigil/latency.h"

/* The range of slot @i: [*lo, *hi] (slot 0 holds 0 and 1). */
void hist_slot_range(unsigned int i, unsigned long long *lo, unsigned long long *hi);

/*
 * The @q quantile (0 < q <= 1) of @h in its unit, interpolated linearly inside the slot it
 * falls in; 0 when empty. As exact as log2 slots allow: within the slot's range.
 */
double hist_quantile(const struct vigil_lat_hist *h, double q);

/* @a += @b; and @a -= @b (what happened since @b was read). */
void hist_add(struct vigil_lat_hist *a, const struct vigil_lat_hist *b);
void hist_sub(struct vigil_lat_hist *a, const struct vigil_lat_hist *b);

/*
 * As bcc prints them: "     usecs : count    distribution" and a row per slot up to the last
 * one used, with a bar of stars scaled to the largest. @unit names the values ("usecs").
 */
void hist_print(FILE *out, const struct vigil_lat_hist *h, const char *unit);

/*
 * "count 1234, mean 12.3 us, p50 5 us, p90 30 us, p99 120 us": @unit is the histogram's
 * ("us"), @ns_per_unit converts the sum (kept in ns; 0 when the sum is in the unit itself).
 */
void hist_summary(FILE *out, const struct vigil_lat_hist *h, const char *unit, double ns_per_unit);

/*
 * The JSON members (no braces) "count", @sum_name (the sum: "sum_ns", "sum_bytes"), "errors",
 * "p50", "p90", "p99" (in the unit) and "buckets": an array of {"le": the slot's upper bound,
 * "count": in that slot} up to the last used.
 */
void hist_json(FILE *out, const struct vigil_lat_hist *h, const char *sum_name);

#endif
