/* SPDX-License-Identifier: GPL-2.0 */
/* OOM kills as the kernel reports them (bpf/oom.bpf.c): load, attach, collect the records. */
#ifndef VIGIL_PERF_OOM_H
#define VIGIL_PERF_OOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/oom.h"

struct oom_config {
	uint32_t tgid;	    /* 0: every process */
	const char *cgroup; /* a cgroup2 path: victims in its subtree only; NULL: all */
	bool raw_tp;	    /* the raw_tp twin even where typed tp_btf works (tests) */
};

struct oom_session;

/*
 * 0 or -errno: -ENOENT no such cgroup, -EOPNOTSUPP the kernel's oom:mark_victim does not pass
 * the victim's task (before 6.8: its pid alone).
 */
int oom_open(const struct oom_config *cfg, struct oom_session **out);
const char *oom_mode(const struct oom_session *s);
/* The kills recorded since the last call, oldest first; *@kills is malloc'd. 0 or -errno. */
int oom_read(struct oom_session *s, struct vigil_oom_kill **kills, size_t *n);
/* Kills the ring buffer had no room for. */
uint64_t oom_lost(const struct oom_session *s);
void oom_close(struct oom_session *s);

#endif
