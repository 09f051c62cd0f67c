/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil top: per-process counters kept in the kernel (bpf/top.bpf.c), one entry per process
 * (tgid) in a per-CPU hash, summed over CPUs and turned into rates by user space (src/perf/).
 * Per-cgroup figures are the sums of their processes'.
 */
#ifndef VIGIL_TOP_H
#define VIGIL_TOP_H

#include "vigil/latency.h"

/* Processes counted at once; user space forgets the ones that exited after reading them. */
#define VIGIL_TOP_MAX_PROCS 8192

struct vigil_top_stats {
	__u64 cgroup;	      /* the id of the cgroup it last ran in (on the cgroup2 mount) */
	__u64 cpu_ns;	      /* on CPU */
	__u64 offcpu_ns;      /* switched out not runnable, until running again */
	__u64 syscalls;	      /* syscalls returned */
	__u64 syscall_errors; /* of which with an error */
	__u64 blk_read_bytes; /* block I/O it submitted, counted at completion */
	__u64 blk_write_bytes;
	__u64 blk_ios;
	__u64 blk_ns;	    /* summed over its requests, submission to completion */
	__u64 net_rx_bytes; /* received and sent on its IPv4 and IPv6 sockets */
	__u64 net_tx_bytes;
	__u64 retransmits;	    /* TCP retransmits on sockets it sent on */
	char comm[16];		    /* its main thread's name when it last ran */
	struct vigil_lat_hist runq; /* run-queue latency in ns */
};
VIGIL_ASSERT_SIZE(struct vigil_top_stats, 12 * 8 + 16 + VIGIL_LAT_SLOTS * 8 + 24);
VIGIL_ASSERT_OFFSET(struct vigil_top_stats, comm, 96);
VIGIL_ASSERT_OFFSET(struct vigil_top_stats, runq, 112);

#endif
