/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User stacks from a sample's registers and copy of the stack, unwound with the DWARF CFI
 * (.eh_frame, .debug_frame) through elfutils' libdwfl, and named from .symtab/.dynsym, debug
 * files found by build-id (/usr/lib/debug/.build-id/) and /tmp/perf-PID.map. Binaries are
 * opened through /proc/PID/root: those of containers too. One Dwfl per process, at most
 * UNWIND_PROCS of them (the least recently used goes).
 */
#ifndef VIGIL_PROFILE_UNWIND_H
#define VIGIL_PROFILE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>

#include "vigil/profile.h"

#define UNWIND_FRAMES	127
#define UNWIND_NAME_MAX 160
#define UNWIND_PROCS	256

struct uframe {
	char name[UNWIND_NAME_MAX];
	bool resolved; /* named by a symbol; otherwise "module+0xoff" or "[unknown]" */
};

struct ustack {
	size_t n;	/* frames, leaf first */
	bool complete;	/* reached the outermost frame (_start, a thread's start) */
	bool truncated; /* needed stack beyond the copy, or more than UNWIND_FRAMES */
	struct uframe frames[UNWIND_FRAMES];
};

struct unwinder;

/* -EOPNOTSUPP in a build without libdw (the static one). */
int unwinder_new(struct unwinder **out);
/* Unwind @s (its ustack_bytes of @stack). 0 or -errno; an empty stack is not an error. */
int unwinder_stack(struct unwinder *u, const struct vigil_prof_sample *s, const void *stack,
		   struct ustack *out);
void unwinder_free(struct unwinder *u);

#endif
