/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bounded first-in first-out queue of messages on disk, for a sink whose server is away: the
 * messages wait in segment files of a directory of root's, and are read back in order once the
 * server is back. When the size limit is reached, the oldest segment is dropped whole and its
 * events counted. Each record carries a checksum: a record cut short by a crash is dropped
 * with what follows it in its segment, never replayed as garbage. Not thread-safe: the caller
 * serialises calls.
 */
#ifndef VIGIL_SINKS_SPOOL_H
#define VIGIL_SINKS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_DEFAULT_DIR   "/var/lib/vigil/spool"
#define SPOOL_DEFAULT_LIMIT (256ULL << 20)
#define SPOOL_MIN_LIMIT	    (16ULL << 10)

/* One message: where it goes, its id, and its body. */
struct spool_msg {
	const char *subject, *id; /* NUL-terminated */
	const char *data;
	size_t len;
};

/* Messages read by spool_peek(), pointing into the batch's own buffer. */
struct spool_batch {
	struct spool_msg *msgs;
	size_t n, cap;
	char *buf;
	size_t buf_len, buf_cap;
	uint64_t segment; /* the segment they came from */
	uint64_t end_off; /* where in it they end */
};

/* Counts are of events, not messages: see spool_msg_events(). */
struct spool_stats {
	uint64_t events;  /* waiting */
	uint64_t bytes;	  /* of the segment files */
	uint64_t dropped; /* events dropped, the oldest first, because the spool was full */
};

struct spool;

/* The events @m holds: one per line of its data (a batch of the NATS sink is JSON lines). */
size_t spool_msg_events(const struct spool_msg *m);

/*
 * Open (and make, 0700) @dir, which must be a directory of the caller's that nobody else may
 * write, and take up the segments a previous run left there. @limit: bytes for all segments.
 * 0 or -errno, with the reason in @why.
 */
int spool_open(struct spool **out, const char *dir, uint64_t limit, char *why, size_t len);
void spool_close(struct spool *s);

/* Add @m at the end, dropping the oldest segments to stay within the limit. 0 or -errno. */
int spool_append(struct spool *s, const struct spool_msg *m);

/*
 * Read up to @max of the oldest messages into @b without removing them; their segment is not
 * dropped for space until spool_consume(). 0 (b->n == 0: the spool is empty) or -errno.
 */
int spool_peek(struct spool *s, struct spool_batch *b, size_t max);
/* The messages of @b were delivered: remove them. */
void spool_consume(struct spool *s, const struct spool_batch *b);
/* They were not: keep them, let their segment be dropped for space again. */
void spool_unpin(struct spool *s);
void spool_batch_free(struct spool_batch *b);

bool spool_empty(const struct spool *s);
void spool_stats(const struct spool *s, struct spool_stats *st);

#endif
