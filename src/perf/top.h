/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil top's kernel side (bpf/top.bpf.c): load, attach, read the per-process counters. What
 * turns them into rates, groups, sorts and prints them is perf/topview.h.
 */
#ifndef VIGIL_PERF_TOP_H
#define VIGIL_PERF_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/top.h"

struct top_config {
	uint32_t tgid;	      /* 0: every process */
	const char *cgroup;   /* a cgroup2 path: its subtree only; NULL: all */
	bool raw_tp;	      /* the raw_tp twins even where typed tp_btf works (tests) */
	unsigned int tick_hz; /* cpu-clock ticks that charge a running task its time; 0: 20 */
};

/* What this kernel lets top count beyond CPU, run queue, off-CPU time and syscalls. */
enum top_feature {
	TOP_HAS_BLOCK = 1 << 0, /* block_io_start (6.5) */
	TOP_HAS_NET = 1 << 1,	/* sock_send_length, sock_recv_length (6.3) */
	TOP_HAS_TICK = 1 << 2,	/* cpu-clock perf events */
};

struct top_proc {
	uint32_t tgid;
	struct vigil_top_stats st; /* since top_open, summed over CPUs */
};

struct top_session;

/* 0 or -errno (-ENOENT: no such cgroup). */
int top_open(const struct top_config *cfg, struct top_session **out);
/* "tp_btf" or "raw_tp": how it is attached; and the top_feature bits it has. */
const char *top_mode(const struct top_session *s);
unsigned int top_features(const struct top_session *s);
/* Every process's counters, sorted by tgid; *@procs is malloc'd. One batch read of the map. */
int top_read(struct top_session *s, struct top_proc **procs, size_t *n);
/* Drop a process that exited (after its last counters were read), to make room. */
void top_forget(struct top_session *s, uint32_t tgid);
/* Updates the kernel side could not count (the map was full). */
uint64_t top_missed(struct top_session *s);
void top_close(struct top_session *s);

#endif
