/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil latency: log2 histograms built in the kernel (bpf/latency.bpf.c), one per key, read and
 * summed over CPUs by user space (src/perf/). No per-event record crosses to user space.
 */
#ifndef VIGIL_LATENCY_H
#define VIGIL_LATENCY_H

#include "vigil/types.h"

/*
 * Slot i counts values in [2^i, 2^(i+1) - 1], slot 0 also 0 (bcc's log2 histograms); the last
 * slot takes everything above. Values are in the unit the histogram was asked in (ns, us, ms;
 * bytes for sizes).
 */
#define VIGIL_LAT_SLOTS 40

/* Syscall numbers with a histogram of their own when not grouped (x86_64 has ~460). */
#define VIGIL_LAT_SYSCALLS 1024

/* What a histogram measures (vigil_lat_key.kind). */
enum vigil_lat_kind {
	VIGIL_LAT_RUNQ = 0,	  /* runq: wakeup (or preemption) to running */
	VIGIL_LAT_SYSCALL = 1,	  /* syscall: entry to exit; id is the syscall number */
	VIGIL_LAT_BLK_DEVICE = 2, /* block: issue to completion (the device's time) */
	VIGIL_LAT_BLK_QUEUE = 3,  /* block: insert to issue (the time queued in the kernel) */
	VIGIL_LAT_BLK_SIZE = 4,	  /* block: request sizes in bytes */
	VIGIL_LAT_TCP_LIFE = 5,	  /* tcp: first state change to close */
	VIGIL_LAT_TCP_RX = 6,	  /* tcp: bytes received over a connection's life */
	VIGIL_LAT_TCP_TX = 7,	  /* tcp: bytes sent and acknowledged over its life */
	VIGIL_LAT_HARDIRQ = 8,	  /* irq: a hard irq handler's time; id is the irq number */
	VIGIL_LAT_SOFTIRQ = 9,	  /* irq: a softirq's time; id is the vector */
	VIGIL_LAT_OFFCPU = 10,	  /* offcpu: switched out not runnable, to running; op: why */
	VIGIL_LAT_UPROBE = 11,	  /* uprobe: a user function's entry to its return */
	VIGIL_LAT_KIND_COUNT,
};

/* How keys are grouped (the `group` load-time setting). */
enum vigil_lat_group {
	VIGIL_LAT_BY_NONE = 0,
	VIGIL_LAT_BY_CPU = 1,
	VIGIL_LAT_BY_PID = 2,
	VIGIL_LAT_BY_CGROUP = 3,
	VIGIL_LAT_BY_DISK = 4,
};

/* Why a task was off CPU (vigil_lat_key.op of offcpu), from its state when switched out. */
enum vigil_lat_offcpu {
	VIGIL_LAT_OFF_SLEEP = 0,	   /* S: interruptible sleep (waiting for an event) */
	VIGIL_LAT_OFF_UNINTERRUPTIBLE = 1, /* D: disk I/O, some locks */
	VIGIL_LAT_OFF_OTHER = 2,	   /* stopped, traced, idle kernel threads */
};

/* Block operations (vigil_lat_key.op). */
enum vigil_lat_op {
	VIGIL_LAT_OP_READ = 0,
	VIGIL_LAT_OP_WRITE = 1,
	VIGIL_LAT_OP_FLUSH = 2,
	VIGIL_LAT_OP_DISCARD = 3,
	VIGIL_LAT_OP_OTHER = 4,
};

/*
 * @id: the syscall, irq or softirq number for those kinds; otherwise 0 unless grouped. @group:
 * the cpu, tgid, cgroup id or device (major << 20 | minor) it is grouped by.
 */
struct vigil_lat_key {
	__u64 group;
	__u32 id;
	__u16 kind;
	__u16 op;
};
VIGIL_ASSERT_SIZE(struct vigil_lat_key, 16);
VIGIL_ASSERT_OFFSET(struct vigil_lat_key, id, 8);
VIGIL_ASSERT_OFFSET(struct vigil_lat_key, kind, 12);
VIGIL_ASSERT_OFFSET(struct vigil_lat_key, op, 14);

/* @sum: of the values in ns (times) or bytes (sizes), not in the histogram's unit. */
struct vigil_lat_hist {
	__u64 slots[VIGIL_LAT_SLOTS];
	__u64 count;
	__u64 sum;
	__u64 errors; /* syscalls that returned an error, block requests that failed */
};
VIGIL_ASSERT_SIZE(struct vigil_lat_hist, VIGIL_LAT_SLOTS * 8 + 24);
VIGIL_ASSERT_OFFSET(struct vigil_lat_hist, count, VIGIL_LAT_SLOTS * 8);

/* tcp: retransmits per peer (address and port). */
struct vigil_lat_peer {
	__u8 addr[16]; /* IPv4 in the first 4 bytes */
	__u16 port;    /* host order */
	__u16 family;  /* AF_INET or AF_INET6 */
	__u32 pad;
};
VIGIL_ASSERT_SIZE(struct vigil_lat_peer, 24);
VIGIL_ASSERT_OFFSET(struct vigil_lat_peer, port, 16);

#endif
