/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel sensors' lifecycle: open, load, attach, and the shared ring buffer and counter. */
#ifndef VIGIL_SENSORS_SENSORS_H
#define VIGIL_SENSORS_SENSORS_H

#include <stdbool.h>
#include <stddef.h>

#include "events/losses.h"
#include "sensors/sensor.h"

#include "vigil/enforce.h"

struct sensors;

struct sensors_opts {
	/* Event types to produce (EVENT_BIT); 0 for all. Process events are always tracked. */
	__u64 types;
	/* The types the user named; a sensor may refuse a costly fallback for the others. */
	__u64 named_types;
	/* Wake the consumer when this much data waits (0: on every record). */
	__u64 wakeup_bytes;
	/* Ring buffer size in bytes: a power of two, at least a page (0: the default). */
	__u32 ring_bytes;
	/*
	 * Opens: only of these watched paths (when watch is set or the list is not empty), only
	 * with this access (0: any).
	 */
	const struct watch_entry *watches;
	size_t n_watches;
	bool watch;
	bool all_opens; /* send every open anyway; the watch still decides the kills */
	__u16 file_access;
	/* Fold repeated identical opens (process, file, flags) within this window; 0: never. */
	__u64 agg_window_ns;
	/* The in-kernel kills (at an open, at exec) only in this cgroup subtree; id 0: anywhere. */
	struct vigil_deny_scope kill_scope;
	/* Raw events each uid but root may send a second, and at once; rate 0: no budget. */
	__u64 budget_rate, budget_burst;
};

/* The part of the ring buffer raw events leave to process records and enforcement outcomes. */
#define RING_RESERVE_DIVISOR 4
/* Uids whose budget and losses the kernel keeps; the least recently seen make room. */
#define BUDGET_UIDS 4096

/*
 * Load and attach the sensors. Returns 0 or -errno: -EPERM without privilege, -ENOENT when
 * the kernel has no BTF, -EOPNOTSUPP when a needed program type is missing. A sensor that
 * fails when its types were not asked for by name is left out with a warning.
 */
int sensors_start(struct sensors **out, const struct sensors_opts *opts);
/* Detach every program: no event is made after this; the maps stay until sensors_stop(). */
void sensors_detach(struct sensors *s);
void sensors_stop(struct sensors *s);

int sensors_ringbuf_fd(const struct sensors *s);
/* Bytes queued in the ring buffer, not yet read, and its size. */
int sensors_ringbuf_usage(struct sensors *s, __u64 *used, __u64 *size);
/* The per-CPU counter of records that did not fit (enforcers that report share it). */
int sensors_lost_fd(const struct sensors *s);
/* Records the kernel could not put in the ring buffer, summed over CPUs. */
int sensors_lost(const struct sensors *s, __u64 *lost);
/* The same by type and by uid, as the kernel counts them now (events/losses.h). */
int sensors_losses(const struct sensors *s, struct losses *out);
/* The maps every BPF object of the agent shares (ring buffer, loss counters, budget). */
void sensors_shared(const struct sensors *s, struct sensor_ctx *ctx);
/* The fd of a sensor map user space reads (e.g. "open_agg"), or -ENOENT. */
int sensors_map_fd(const struct sensors *s, const char *name);
/*
 * Replace the file sensor's watch list (policy reload); -ENOENT when it is not running. The
 * kernel matches by inode: call again every WATCH_REFRESH_S with the same list so that a file
 * replaced by rename (a new inode), or created since, is followed.
 */
int sensors_set_watches(struct sensors *s, const struct watch_entry *w, size_t n);
#define WATCH_REFRESH_S 2
/* An executable whose new image the kernel kills before it runs, and the rule's index. */
struct exec_kill {
	const char *path;
	__u32 rule;
};

/* Make the process sensor kill exactly the execs of @k (a path that does not exist: none). */
int sensors_set_exec_kills(struct sensors *s, const struct exec_kill *k, size_t n);

/* "process, file" : the sensors running, for the start-up line. */
void sensors_describe(const struct sensors *s, char *buf, size_t size);

/* One line a user can act on for an error from sensors_start(). */
const char *sensors_strerror(int err);

#endif
