/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What keeps one user's flood from blinding the agent (bpf/include/vigil.bpf.h, emit()):
 *
 * - Raw events (file, network, privilege, kernel records) stop short of the end of the ring
 *   buffer: the last `reserve` bytes are for process records (exec, fork, exit) and enforcement
 *   outcomes (kills, denials), which never pass through a budget.
 * - Each uid but root has a token bucket for raw events: `rate` a second, up to `burst` at once.
 *   Past it, its records are counted and dropped before they are built.
 *
 * Every record dropped is counted by type, and by uid for those that carry one, so that a
 * `lost` record says who lost what.
 */
#ifndef VIGIL_BUDGET_H
#define VIGIL_BUDGET_H

#include "vigil/types.h"

/* Map budget_config, one entry, written by user space before the sensors attach. */
struct vigil_budget_config {
	__u64 rate;	 /* raw records a second for each uid but 0; 0: no budget */
	__u64 burst;	 /* records a uid may send at once after a quiet spell */
	__u64 raw_limit; /* raw records wait for room while more than this is queued; 0: none */
	__u64 tick_ns;	 /* a jiffy in ns, for the coarse clock; 0: the precise clock */
};
VIGIL_ASSERT_SIZE(struct vigil_budget_config, 32);

/* A token is this much: nanosecond-exact refills without a division on the hot path. */
#define VIGIL_BUDGET_TOKEN 1000000000ll

/* Map uid_losses (LRU hash, key: the uid), made when a uid is first budgeted or loses records. */
struct vigil_uid_loss {
	__u64 refill_ns; /* coarse clock at the last refill */
	__s64 tokens;	 /* VIGIL_BUDGET_TOKEN each; races between CPUs may dip it below 0 */
	__u64 throttled; /* records over the budget */
	__u64 ring_full; /* records that found the ring buffer full (or its reserve reached) */
	__u64 types;	 /* 1 << type for each type it lost */
};
VIGIL_ASSERT_SIZE(struct vigil_uid_loss, 40);

/*
 * Map lost_events, per CPU: slot 0 counts every record lost; VIGIL_LOST_RING + type those of
 * a type that found no room; VIGIL_LOST_BUDGET + type those over their uid's budget.
 */
#define VIGIL_LOST_RING	  0
#define VIGIL_LOST_BUDGET 64
#define VIGIL_LOST_SLOTS  128

#endif
