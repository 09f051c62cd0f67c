/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User space's half of open aggregation (bpf/file.bpf.c, fold_repeat): turn the kernel's
 * counters into "repeats" on reported events, and report what a window folded when no later
 * open came to carry it. Every folded open is counted exactly once in the stream.
 */
#ifndef VIGIL_EVENTS_AGGREGATE_H
#define VIGIL_EVENTS_AGGREGATE_H

#include <stddef.h>

#include "events/event.h"
#include "events/format.h"

struct aggregate;

struct aggregate *aggregate_new(void);
void aggregate_free(struct aggregate *a);

/*
 * What became of a reported open: written or not, and the rule that matched it (NULL: none).
 * Its summary is written the same way, without judging it again: by then the process may be
 * gone, and with it what the rule's exceptions look at.
 */
void aggregate_note_outcome(struct aggregate *a, const struct event *ev, bool shown,
			    const struct event_verdict *verdict);

/*
 * Called with a copy of the last reported record, marked as a summary, its repeats, and the
 * outcome noted for that record.
 */
typedef void (*aggregate_emit_fn)(void *ctx, const void *record, size_t size, __u64 repeats,
				  bool shown, const struct event_verdict *verdict);

/*
 * For a reported open: how many identical opens it stands for beyond itself. When it took
 * over the kernel slot of another key, that key's folded opens not yet in the stream are
 * emitted first, as a summary.
 */
__u64 aggregate_on_event(struct aggregate *a, const struct event *ev, aggregate_emit_fn emit,
			 void *ctx);

/*
 * Read the kernel's map (fd @map_fd: the slot of each key known here, on every CPU) and emit
 * a summary for each (process, file, flags, CPU) whose window ended (@now_ns, CLOCK_BOOTTIME,
 * - the time of its last reported open >= @window_ns) with opens folded and not yet reported.
 * Also forgets what the kernel has long forgotten.
 * Returns 0 or -errno.
 */
int aggregate_flush(struct aggregate *a, int map_fd, __u64 now_ns, __u64 window_ns,
		    aggregate_emit_fn emit, void *ctx);

#endif
