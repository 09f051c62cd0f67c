/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel latency histograms (bpf/latency.bpf.c) for one target: load, attach, read. Used by
 * `vigil latency`; the agent can keep a session open and export what lat_read() returns.
 */
#ifndef VIGIL_PERF_LATENCY_H
#define VIGIL_PERF_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/latency.h"

enum lat_target {
	LAT_RUNQ,
	LAT_SYSCALL,
	LAT_BLOCK,
	LAT_TCP,
	LAT_IRQ,
	LAT_OFFCPU,
	LAT_UPROBE,
	LAT_TARGET_COUNT,
};

/* "runq", ... ; and the target called @name, or -ENOENT. */
const char *lat_target_name(enum lat_target t);
int lat_target_by_name(const char *name);

struct lat_config {
	enum lat_target target;
	enum vigil_lat_group group;
	uint64_t unit_ns;   /* the histograms' unit in ns: 1, 1000 or 1000000 */
	uint32_t tgid;	    /* 0: every process */
	const char *cgroup; /* a cgroup2 path ("/system.slice"): its subtree only; NULL: all */
	bool raw_tp;	    /* the raw_tp twins even where typed tp_btf works (tests) */
	/* uprobe: the file and the function's offset in it (core/elfsym.h finds it) */
	const char *uprobe_path;
	uint64_t uprobe_offset;
};

/* One histogram, summed over CPUs. */
struct lat_entry {
	struct vigil_lat_key key;
	struct vigil_lat_hist hist;
};

struct lat_peer_count {
	struct vigil_lat_peer peer;
	uint64_t count;
};

struct lat_session;

/*
 * Load and attach @cfg's programs: typed tp_btf, or raw_tp where the kernel refuses those.
 * 0 or -errno (-ENOENT: no such cgroup).
 */
int lat_open(const struct lat_config *cfg, struct lat_session **out);
/* "tp_btf", "raw_tp" or "uprobe": how it is attached. */
const char *lat_mode(const struct lat_session *s);
/*
 * Every histogram since lat_open (cumulative: subtract an earlier read for an interval),
 * sorted by key; *@entries is malloc'd (free() it). 0 or -errno.
 */
int lat_read(struct lat_session *s, struct lat_entry **entries, size_t *n);
/* The same for tcp retransmits per peer, sorted by count, largest first. */
int lat_read_peers(struct lat_session *s, struct lat_peer_count **peers, size_t *n);
/* Samples the kernel side could not count (a map was full). */
uint64_t lat_missed(struct lat_session *s);
/* The entry of @entries with @key, or NULL (they are sorted by key). */
const struct lat_entry *lat_find(const struct lat_entry *entries, size_t n,
				 const struct vigil_lat_key *key);
/*
 * What happened between two reads: @prev (the earlier) subtracted from @cur in place; entries
 * left with no sample are dropped (*@n shrinks).
 */
void lat_delta(struct lat_entry *cur, size_t *n, const struct lat_entry *prev, size_t prev_n);
void lat_close(struct lat_session *s);

#endif
