/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tamper resistance (bpf/guard.bpf.c): the BPF objects of the running agent that no other
 * process may get a file descriptor to. Program, map and link ids are counted apart by the
 * kernel, so a key names the kind as well as the id.
 */
#ifndef VIGIL_GUARD_H
#define VIGIL_GUARD_H

#include "vigil/types.h"

enum vigil_guard_kind {
	VIGIL_GUARD_PROG = 1,
	VIGIL_GUARD_MAP = 2,
	VIGIL_GUARD_LINK = 3,
};

struct vigil_guard_key {
	__u32 kind; /* enum vigil_guard_kind */
	__u32 id;
};
VIGIL_ASSERT_SIZE(struct vigil_guard_key, 8);
VIGIL_ASSERT_OFFSET(struct vigil_guard_key, id, 4);

/* Room for every object of the agent: its sensors hold a few dozen. */
#define VIGIL_GUARD_MAX_IDS 4096

/* Counters of refusals, one per hook (an array map, indexed by these). */
enum vigil_guard_counter {
	VIGIL_GUARD_DENY_PTRACE,
	VIGIL_GUARD_DENY_SIGNAL,
	VIGIL_GUARD_DENY_BPF_FD,
	VIGIL_GUARD_DENY_UNPIN,
	VIGIL_GUARD_COUNTERS,
};

#endif
