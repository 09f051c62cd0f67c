/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sinks: where events go besides the main output (`vigil run --sink URL`, docs/output.md). Each
 * sink has its own bounded queue and thread: the event stream only copies a JSON line into each
 * queue, never waits, and counts what a full queue refuses. A slow or dead sink therefore never
 * blocks the ring buffer, the main output or the other sinks.
 */
#ifndef VIGIL_SINKS_SINK_H
#define VIGIL_SINKS_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One event, as a sink receives it. The strings live until send() returns. */
struct sink_record {
	const char *json; /* the JSON line, without newline */
	size_t len;
	uint64_t seq;	      /* the event's seq (docs/events.md) */
	const char *type;     /* "exec", "file", ..., "lost" */
	const char *severity; /* the rule's severity; NULL: matched no rule */
	const char *rule_id;  /* NULL: none */
	int32_t pid;	      /* 0: none (a "lost" record) */
	/* extensions */
	struct timespec time; /* the event's wall-clock time (CLOCK_REALTIME) */
	const char *message;  /* human text: the rule's message, else a short summary */
};

/* A sink's own counter (spooled, reconnects, ...), for status and metrics. */
struct sink_counter {
	const char *name; /* static, snake_case */
	uint64_t value;
};

#define SINK_COUNTERS_MAX 8

struct sink_ops {
	const char *scheme; /* URL scheme it takes: "syslog+tcp", "journald", "nats", ... */
	/*
	 * Check @url and set up; no network I/O needed (the thread connects). 0, or -errno with
	 * the reason in @why (-EINVAL: a bad URL or option; the agent exits 64 then).
	 */
	int (*open)(void **ctx, const char *url, char *why, size_t len);
	/*
	 * From the sink's own thread: 0 delivered (or spooled, or buffered until flush);
	 * -EAGAIN: the peer is away, keep the record and call again after a backoff (the queue
	 * fills meanwhile and what it refuses is counted); any other -errno: not delivered, counted
	 * as failed. It must return within a few seconds (no endless blocking: stop waits).
	 */
	int (*send)(void *ctx, const struct sink_record *r);
	void (*close)(void *ctx);
	/*
	 * Optional. The queue ran empty (or a batch ended): write out what send() buffered.
	 * Returns how many buffered records were lost (>= 0, counted as failed, not sent), or
	 * -EAGAIN: nothing lost, the buffer is kept, call again after a backoff.
	 */
	int (*flush)(void *ctx);
	/* Optional, from any thread: the sink's own counters; returns how many (<= max). */
	size_t (*counters)(void *ctx, struct sink_counter *c, size_t max);
	/* Optional, from the sink's thread: SIGUSR1 / SIGHUP / vigil reopen (log rotation). */
	void (*reopen)(void *ctx);
	bool wants_message; /* sink_record.message is filled (it costs a little per event) */
};

/* Every kind of sink built in, NULL-terminated (sinks/registry.c). */
extern const struct sink_ops *const sink_kinds[];

/* The kind that takes @url's scheme (the text before the first ':'), or NULL. */
const struct sink_ops *sink_kind(const char *url);

/*
 * Check @url as far as it can be without opening anything: a known scheme. 0, or -EINVAL with
 * what is wrong in @why.
 */
int sink_url_check(const char *url, char *why, size_t len);

#define SINK_QUEUE_DEFAULT 16384
#define SINK_QUEUE_MAX	   (1 << 22)

/* Records a sink's thread takes from its queue at once; flush() follows each such batch. */
#define SINK_BATCH 256

struct sinks;

/*
 * Open every sink of @urls (each with a queue of @queue_depth events, 0: the default, unless
 * its URL says queue=N; that parameter is taken out before the sink sees the URL) and start
 * their threads. 0, or -errno with the URL and the reason in @why (-EINVAL: a bad URL).
 * @n == 0 gives *@out = NULL: no sinks, and every call below accepts NULL.
 */
int sinks_open(struct sinks **out, const char *const *urls, size_t n, size_t queue_depth, char *why,
	       size_t len);
/*
 * Give every queue up to @drain_s seconds to empty, then stop the threads (once; the counters
 * are final then): what was left queued is counted as failed.
 */
void sinks_drain(struct sinks *s, double drain_s);
/* Drain (with no wait, if not done), close the sinks, free. */
void sinks_close(struct sinks *s);

/* Does any sink want sink_record.message (it costs a little per event)? */
bool sinks_want_message(const struct sinks *s);
/* Copy @r into every queue (never waits); a full queue counts it as dropped. */
void sinks_publish(struct sinks *s, const struct sink_record *r);
/* A batch of events ended: wake the sinks that have something queued. */
void sinks_kick(struct sinks *s);
/* Ask every sink to reopen (log rotation); done by each sink's thread. */
void sinks_reopen(struct sinks *s);

struct sink_stats {
	const char *name; /* the URL without credentials or query */
	const char *scheme;
	uint64_t queued;	     /* accepted into the queue */
	uint64_t sent;		     /* delivered (or spooled) */
	uint64_t dropped_queue_full; /* refused by a full queue */
	uint64_t failed;	     /* taken from the queue, not delivered */
	uint64_t depth;		     /* in the queue now */
	uint64_t capacity;
	int error; /* errno of the last failed delivery, 0 once one works again */
	struct sink_counter counters[SINK_COUNTERS_MAX];
	size_t n_counters;
};

/* How many sinks there are, and the counters of the @i-th: for status, the summary, metrics. */
size_t sinks_count(const struct sinks *s);
void sinks_stats(struct sinks *s, size_t i, struct sink_stats *st);

#endif
