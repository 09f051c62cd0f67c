/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A profiling session: the BPF side (bpf/profile.bpf.c) attached to a cpu-clock event on every
 * CPU (on-CPU) or to sched_switch (off-CPU); samples read from the ring buffer, unwound and
 * named as they come, and counted as folded stacks (profile/stacks.h).
 */
#ifndef VIGIL_PROFILE_PROFILE_H
#define VIGIL_PROFILE_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/stacks.h"

struct prof_config {
	uint32_t tgid;	      /* 0: every process */
	const char *cgroup;   /* a cgroup2 path: its subtree only; NULL: all */
	unsigned int hz;      /* on-CPU samples a second on each CPU */
	bool off_cpu;	      /* time off CPU instead of samples on it */
	uint64_t min_off_ns;  /* off-CPU spells shorter than this are not counted */
	bool kernel, user;    /* which parts of the stacks */
	uint32_t ustack_size; /* bytes of user stack copied at most (a multiple of 4096) */
};

/* What was lost, where: every sample and frame that is not in the stacks is counted. */
struct prof_stats {
	uint64_t samples;	 /* received (on-CPU ticks, or matched off-CPU spells) */
	uint64_t ring_lost;	 /* the kernel found the ring buffer full */
	uint64_t no_ustack;	 /* the user stack could not be read (paged out, bad sp) */
	uint64_t complete;	 /* user stacks unwound to their outermost frame */
	uint64_t truncated;	 /* user stacks that needed more than the copy */
	uint64_t unwind_failed;	 /* user stacks that stopped early otherwise (no CFI) */
	uint64_t gone;		 /* the process exited before its sample was read */
	uint64_t user_stacks;	 /* samples with a user stack (not kernel threads) */
	uint64_t frames;	 /* user and kernel frames */
	uint64_t unresolved;	 /* frames without a name */
	uint64_t kstack_failed;	 /* kernel stacks the kernel could not walk */
	uint64_t off_unmatched;	 /* off-CPU spells whose switch-out was not received */
	uint64_t off_short;	 /* off-CPU spells below the threshold */
	uint64_t dropped_stacks; /* samples of stacks beyond STACKS_MAX distinct */
	uint64_t late;		 /* left unwound: still queued when the profile ended */
	uint64_t unwind_ns;	 /* time spent unwinding and naming */
	uint64_t bytes;		 /* ring buffer bytes received */
};

struct prof_session;

/*
 * Load and attach. 0 or -errno: -ENOENT no such cgroup, -EOPNOTSUPP built without libdw (and
 * user stacks asked for), -ENODEV no perf event could be opened, -EPERM not root.
 */
int prof_open(const struct prof_config *cfg, struct prof_session **out);
/*
 * Read and unwind what has come, waiting up to @timeout_ms, and working about as long at most
 * (the rest stays queued). 0 or -errno.
 */
int prof_poll(struct prof_session *s, int timeout_ms);
/*
 * Stop sampling and read what is queued: unwound for up to a second, the rest counted as
 * late. 0 or -errno.
 */
int prof_stop(struct prof_session *s);
const struct stack_table *prof_stacks(const struct prof_session *s);
/* Counts so far, the kernel side's included. */
void prof_get_stats(struct prof_session *s, struct prof_stats *out);
void prof_close(struct prof_session *s);

#endif
