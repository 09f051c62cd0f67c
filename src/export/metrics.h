/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics registry: the agent's parts each add a collector; on demand the main loop calls
 * them all to build one snapshot in the Prometheus text format (docs/metrics.md), which the
 * HTTP server (export/http.h) serves from its own thread. Collectors run in the main thread,
 * so they read the agent's state without locks; the server only ever copies the last snapshot.
 *
 * A new part adds its counters in a few lines:
 *
 *	static void syslog_collect(struct metrics_batch *b, void *ctx)
 *	{
 *		struct syslog_sink *s = ctx;
 *
 *		metrics_drops(b, "queue", "syslog", s->queue_dropped);
 *		metrics_queue(b, "syslog", METRICS_EVENTS, s->queued, s->capacity);
 *	}
 *	...
 *	metrics_add_collector(m, syslog_collect, sink);
 */
#ifndef VIGIL_EXPORT_METRICS_H
#define VIGIL_EXPORT_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct metrics;
/* One snapshot being built: samples grouped by family, whatever order they come in. */
struct metrics_batch;

typedef void (*metrics_collect_fn)(struct metrics_batch *b, void *ctx);

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

/* @fn runs at each snapshot, in the order added, until metrics_free(). 0 or -ENOMEM. */
int metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *ctx);

/*
 * One sample of the counter or gauge @name, with labels as name, value pairs ending in NULL.
 * The family's HELP is the first sample's @help. Label values are escaped here; they must come
 * from a bounded set (event types, rule ids, program names), never pids or paths.
 */
void metrics_counter(struct metrics_batch *b, const char *name, const char *help, double v, ...)
	__attribute__((sentinel));
void metrics_gauge(struct metrics_batch *b, const char *name, const char *help, double v, ...)
	__attribute__((sentinel));

/*
 * A histogram: @n cumulative buckets, bucket i counting the observations <= @le[i]; the +Inf
 * bucket is @count. @sum of the observations, in the unit of @le (seconds, bytes).
 */
struct metrics_hist {
	const double *le;
	const uint64_t *cumulative;
	size_t n;
	double sum;
	uint64_t count;
};

/* name_bucket{...,le=".."} for each bucket and +Inf, name_sum and name_count, with the labels. */
void metrics_histogram(struct metrics_batch *b, const char *name, const char *help,
		       const struct metrics_hist *h, ...) __attribute__((sentinel));

/*
 * Events lost at @stage ("decode", "write", "queue", "spool", ...), of the sink @sink (NULL:
 * before any sink): vigil_events_dropped_total{stage,sink}.
 */
void metrics_drops(struct metrics_batch *b, const char *stage, const char *sink, uint64_t n);

enum metrics_unit { METRICS_EVENTS, METRICS_BYTES };
/* What waits in the queue @queue now, and what it holds at most: vigil_queue_<unit>{queue}. */
void metrics_queue(struct metrics_batch *b, const char *queue, enum metrics_unit unit,
		   uint64_t depth, uint64_t capacity);

/* Main thread: build and publish a snapshot now (the first, before the main loop turns). */
void metrics_publish(struct metrics *m);

/*
 * Main loop, every turn: when a snapshot was asked for (metrics_snapshot), run the collectors
 * and publish it.
 */
void metrics_tick(struct metrics *m);

/*
 * Any thread: a snapshot newer than the call, as a malloc'd text in *@text (*@len bytes);
 * after @timeout_ms without one (the main loop is busy), the last one. -EAGAIN when there is
 * none yet, -ENOMEM.
 */
int metrics_snapshot(struct metrics *m, int timeout_ms, char **text, size_t *len);

#endif
