/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stacks as folded lines ("comm;main;work;leaf_[k]", root first, flamegraph.pl's input) with
 * their sample counts or nanoseconds, and what is printed from them: folded, text top-N.
 */
#ifndef VIGIL_PROFILE_STACKS_H
#define VIGIL_PROFILE_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Distinct stacks kept at most; later new ones are counted as dropped (bounded memory). */
#define STACKS_MAX 200000

struct stack_count {
	char *folded;
	uint64_t value;
};

struct stack_table {
	struct stack_count *slots; /* open addressing; folded NULL: empty */
	size_t size, used;
	uint64_t total, dropped;
};

int stack_table_init(struct stack_table *t);
/* Add @value to @folded's count (copied). 0, -ENOSPC (dropped, counted) or -ENOMEM. */
int stack_table_add(struct stack_table *t, const char *folded, uint64_t value);
/* The stacks, largest value first (pointers into @t; free() the array). 0 or -ENOMEM. */
int stack_table_sorted(const struct stack_table *t, struct stack_count **out, size_t *n);
void stack_table_free(struct stack_table *t);

/* "stack value" lines, as flamegraph.pl and speedscope read them. */
void stacks_write_folded(FILE *out, const struct stack_count *s, size_t n);
/*
 * The @top functions with the most self and total (inclusive) value; @unit "samples" or "ns"
 * (printed as ms). 0 or -ENOMEM.
 */
int stacks_write_top(FILE *out, const struct stack_count *s, size_t n, uint64_t total,
		     unsigned int top, bool ns);

#endif
