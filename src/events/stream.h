/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream: ring buffer records in, decoded, given their process context, filtered,
 * and written out. Lost records are reported in the stream itself.
 */
#ifndef VIGIL_EVENTS_STREAM_H
#define VIGIL_EVENTS_STREAM_H

#include <stdio.h>

#include "events/filter.h"
#include "events/format.h"
#include "events/losses.h"
#include "sinks/sink.h"

struct stream_config {
	struct filter filter;
	enum output_format format;
	FILE *out;
	bool colour;
	size_t proctab_capacity; /* 0: the default */
	const char *procfs;	 /* where to seed the process table from; NULL: no seeding */
	/*
	 * Rules: the verdict on each event, NULL when it matched none. Events with a verdict are
	 * always written; the others only when @show_unmatched and the filter passes them.
	 */
	const struct event_verdict *(*judge)(void *ctx, const struct event_view *v);
	void *judge_ctx;
	bool show_unmatched;
	/*
	 * Also a line per event that matched a rule, its message, here (the journal, under
	 * systemd, when the events go to a file), at most ALERT_LOG_PER_S a second; NULL: none.
	 */
	FILE *alert_log;
	/*
	 * Every line written also goes to these sinks, as JSON (sinks/sink.h) with the same seq
	 * when the output is text; NULL: none.
	 */
	struct sinks *sinks;
};

struct stream_stats {
	__u64 records;	 /* read from the ring buffer */
	__u64 written;	 /* records that passed the filter or matched a rule, written */
	__u64 summaries; /* lines that report opens folded after the last one written */
	__u64 folded;	 /* opens the kernel folded, written as counts (file.repeats) */
	__u64 lost;	 /* dropped by the kernel: over a budget, or no room (stream_losses) */
	__u64 malformed; /* records that failed to decode */
	__u64 by_type[VIGIL_EV_TYPE_MAX]; /* records decoded, by event type */
};

/* "exec 10, open 5000": the types of the records seen, with their counts, in @buf. */
void stream_stats_by_type(const struct stream_stats *st, char *buf, size_t len);

struct stream;

int stream_new(struct stream **out, const struct stream_config *cfg);
void stream_free(struct stream *s);

/* Read records from the ring buffer map @ringbuf_fd (done once, before polling). */
int stream_attach_ringbuf(struct stream *s, int ringbuf_fd);
/*
 * Wait up to @timeout_ms for records, handle them and flush the output; returns how many, or
 * the ring buffer's -errno (-EINTR: a signal came).
 */
int stream_poll(struct stream *s, int timeout_ms);
/* Handle one record: what the ring buffer callback does, callable on its own for tests. */
int stream_handle_record(struct stream *s, const void *data, size_t size);
/* Report opens the kernel folded whose window ended quietly (map open_agg at @map_fd). */
int stream_flush_aggregates(struct stream *s, int map_fd, __u64 window_ns);
/*
 * The kernel's loss counters read @now (sensors_losses): report what is new in a `lost` record.
 * Called at most every LOST_REPORT_S while records are lost, and at the end.
 */
void stream_update_losses(struct stream *s, const struct losses *now);
#define LOST_REPORT_S 1

const struct stream_stats *stream_stats(const struct stream *s);
/* Records the kernel lost since the start, by type and uid. */
const struct losses *stream_losses(const struct stream *s);
struct proctab *stream_proctab(struct stream *s);

#endif
