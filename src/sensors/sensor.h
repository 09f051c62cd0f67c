/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface of one kernel sensor (file, network, ...): what it emits and how to start it.
 * Sensors write into one shared ring buffer and lost counter that the process sensor owns.
 * Add a sensor: implement one of these in src/sensors/<name>.c, list it in sensors.c.
 */
#ifndef VIGIL_SENSORS_SENSOR_H
#define VIGIL_SENSORS_SENSOR_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>

#include "vigil/enforce.h"

#define EVENT_BIT(type) (1ull << (type))

/*
 * One watched path for the file sensor's in-kernel open filter, with VIGIL_WATCH_* bits. A
 * glob's bits are those of the files it matches; the sensor expands it (core/watch_glob.h).
 */
struct watch_entry {
	const char *path;
	__u16 bits;
	bool glob;
};

struct sensor_ctx {
	__u64 types;	    /* the event types wanted (EVENT_BIT); attach nothing else */
	__u64 named_types;  /* those the user named (--events); costly fallbacks need a name */
	__u64 wakeup_bytes; /* for the sensor's `wakeup_bytes` rodata */
	int ringbuf_fd;	    /* the shared stream */
	int lost_fd;	    /* the shared per-CPU lost counters */
	int budget_fd;	    /* the shared raw-event budget (vigil/budget.h) */
	int uid_losses_fd;  /* and its per-uid buckets and loss counters */
	/* file sensor's interest filter: watched paths, and access wanted (0: any) */
	const struct watch_entry *watches;
	size_t n_watches;
	bool watch;	/* filter opens by the watch list, even while it is empty */
	bool all_opens; /* send every open anyway; the watch still decides the kills */
	__u16 file_access;
	__u64 agg_window_ns; /* fold repeated identical opens within this window (0: never) */
	struct vigil_deny_scope kill_scope; /* in-kernel kills only in this cgroup subtree */
};

struct sensor_ops {
	const char *name;
	__u64 types;	    /* every type it can emit */
	bool needs_tracefs; /* attaches tp/ programs */
	/* Open, share maps, load, attach what ctx->types needs. 0 or -errno. */
	int (*start)(const struct sensor_ctx *ctx, void **state);
	/* Detach every program (links_destroy_all): no event after it; the maps stay. */
	void (*detach)(void *state);
	/* Free it all (detached or not). */
	void (*stop)(void *state);
	/* Optional: the fd of one of its maps that user space reads, or -ENOENT. */
	int (*map_fd)(void *state, const char *name);
	/* Optional: replace the watch list while running (file sensor). 0 or -errno. */
	int (*set_watches)(void *state, const struct watch_entry *w, size_t n);
};

/* Whether the running kernel has tracepoint @name (its BTF has btf_trace_<name>), for tp_btf. */
bool sensors_kernel_has_tracepoint(const char *name);

/* The length of a jiffy, the resolution of the kernel's coarse clock; 0 when unknown. */
__u64 sensors_tick_ns(void);

/* Point @obj's ring buffer, loss counters and budget maps at the shared ones; before loading. */
int sensor_share_maps(struct bpf_object *obj, const struct sensor_ctx *ctx);

#endif
