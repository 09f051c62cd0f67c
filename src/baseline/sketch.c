// SPDX-License-Identifier: GPL-2.0
#include "baseline/sketch.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* FNV-1a, started from a different basis on each row: independent enough for a sketch. */
static uint32_t row_hash(const char *value, unsigned int row)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (0x9e3779b97f4a7c15ull * (row + 1));

	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32)) % SKETCH_WIDTH;
}

void sketch_add(struct sketch *s, const char *value, uint32_t n)
{
	for (unsigned int r = 0; r < SKETCH_DEPTH; r++) {
		uint32_t *c = &s->count[r][row_hash(value, r)];

		*c = *c > UINT32_MAX - n ? UINT32_MAX : *c + n;
	}
	s->total += n;
}

uint32_t sketch_estimate(const struct sketch *s, const char *value)
{
	uint32_t min = UINT32_MAX;

	for (unsigned int r = 0; r < SKETCH_DEPTH; r++) {
		uint32_t c = s->count[r][row_hash(value, r)];

		if (c < min)
			min = c;
	}
	return min;
}

void sketch_to_hex(const struct sketch *s, char *buf)
{
	for (unsigned int r = 0; r < SKETCH_DEPTH; r++)
		for (unsigned int i = 0; i < SKETCH_WIDTH; i++)
			sprintf(buf + (r * SKETCH_WIDTH + i) * 8, "%08x", s->count[r][i]);
}

int sketch_from_hex(struct sketch *s, const char *hex)
{
	uint64_t total = 0;

	if (strlen(hex) != SKETCH_HEX_LEN ||
	    strspn(hex, "0123456789abcdefABCDEF") != SKETCH_HEX_LEN)
		return -EINVAL;
	for (unsigned int r = 0; r < SKETCH_DEPTH; r++)
		for (unsigned int i = 0; i < SKETCH_WIDTH; i++) {
			char digits[9];

			memcpy(digits, hex + (r * SKETCH_WIDTH + i) * 8, 8);
			digits[8] = 0;
			s->count[r][i] = (uint32_t)strtoul(digits, NULL, 16);
			if (!r)
				total += s->count[r][i];
		}
	/* every value adds to each row once: row 0's sum is the total */
	s->total = total;
	return 0;
}
