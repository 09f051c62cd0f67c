/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A count-min sketch: how often each value of a noisy dimension (files, peers) was seen, in a
 * fixed 2 KiB whatever the number of distinct values. An estimate is never below the true
 * count, and above it by at most total * e / SKETCH_WIDTH with probability 1 - e^-SKETCH_DEPTH.
 */
#ifndef VIGIL_BASELINE_SKETCH_H
#define VIGIL_BASELINE_SKETCH_H

#include <stdint.h>

#define SKETCH_WIDTH 128
#define SKETCH_DEPTH 4
/* Its counters as hex text (8 digits each), for the baseline file. */
#define SKETCH_HEX_LEN (SKETCH_WIDTH * SKETCH_DEPTH * 8)

struct sketch {
	uint32_t count[SKETCH_DEPTH][SKETCH_WIDTH];
	uint64_t total;
};

void sketch_add(struct sketch *s, const char *value, uint32_t n);
uint32_t sketch_estimate(const struct sketch *s, const char *value);
/* @buf: SKETCH_HEX_LEN + 1 bytes. */
void sketch_to_hex(const struct sketch *s, char *buf);
/* 0, or -EINVAL when @hex is not SKETCH_HEX_LEN hex digits. */
int sketch_from_hex(struct sketch *s, const char *hex);

#endif
