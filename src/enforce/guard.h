/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tamper resistance of the running agent (bpf/guard.bpf.c, BPF LSM): no other process may
 * ptrace it, signal it to stop or end (but pid 1, the init system), get an fd to its BPF
 * programs, maps or links, or remove pins under /sys/fs/bpf/vigil. Without BPF LSM none of
 * this holds: guard_start() says so with -EOPNOTSUPP and the caller tells the user.
 */
#ifndef VIGIL_ENFORCE_GUARD_H
#define VIGIL_ENFORCE_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "vigil/guard.h"

struct guard;

struct guard_stats {
	size_t protected_ids; /* programs, maps and links in the protected set */
	__u64 refused[VIGIL_GUARD_COUNTERS];
};

/*
 * Protect the calling process: load and attach the guard, then guard_protect(). Returns 0,
 * -EOPNOTSUPP when this kernel cannot run BPF LSM programs, or another -errno.
 */
int guard_start(struct guard **out);
/*
 * Put every BPF object this process holds (its fds, the programs its links run, the maps its
 * programs use, the maps in its maps of maps) in the protected set, and drop the ids of
 * objects that are gone. Programs and maps it creates later are protected by the kernel at
 * once; links need this call after they are made.
 */
int guard_protect(struct guard *g);
void guard_stop(struct guard *g);
int guard_stats(const struct guard *g, struct guard_stats *st);

/* Can this kernel run the guard? When not, why (one line) in @why. */
bool guard_available(char *why, size_t len);

#endif
