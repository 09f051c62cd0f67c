/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil latency oom: one record per OOM kill (bpf/oom.bpf.c, tracepoint oom:mark_victim),
 * through a ring buffer: kills are rare, and each one matters by itself, not as a histogram.
 */
#ifndef VIGIL_OOM_H
#define VIGIL_OOM_H

#include "vigil/types.h"

struct vigil_oom_kill {
	__u64 ktime_ns;	 /* CLOCK_MONOTONIC */
	__u64 cgroup;	 /* the victim's cgroup2 cgroup id */
	__u64 memcg;	 /* its memory cgroup's id (cgroup v1 or v2) */
	__u64 total_vm;	 /* pages */
	__u64 anon_rss;	 /* pages */
	__u64 file_rss;	 /* pages */
	__u64 shmem_rss; /* pages */
	__u64 pgtables;	 /* bytes */
	__u32 pid;	 /* the victim */
	__u32 uid;
	__u32 trigger_pid; /* the process whose allocation ran the OOM killer */
	__s16 oom_score_adj;
	__u16 pad;
	char comm[16];
	char trigger_comm[16];
	char memcg_name[64]; /* its memory cgroup's directory name ("" for the root) */
};
VIGIL_ASSERT_SIZE(struct vigil_oom_kill, 64 + 16 + 16 + 16 + 64);
VIGIL_ASSERT_OFFSET(struct vigil_oom_kill, pid, 64);
VIGIL_ASSERT_OFFSET(struct vigil_oom_kill, comm, 80);

#endif
