// SPDX-License-Identifier: GPL-2.0
/*
 * Each sink: a ring of records behind a mutex, filled by the event stream and emptied by the
 * sink's thread in batches. The stream holds the lock only to copy a pointer in: it never waits
 * for a sink. The thread takes a batch, delivers it without the lock, then flushes.
 */
#include "sinks/sink.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Wake a sleeping thread once this many records wait, not for every one. */
#define KICK_AT 64
/* A peer away: wait this long before trying again, doubling up to the maximum. */
#define BACKOFF_MIN_S 0.1
#define BACKOFF_MAX_S 5.0

struct queued {
	struct sink_record r;
	char data[]; /* the strings of r */
};

struct sink {
	const struct sink_ops *ops;
	void *ctx;
	char *name;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* records came, a reopen or the end was asked */
	struct queued **ring;
	size_t cap, head, count;
	bool sleeping; /* the thread waits for records */
	bool reopen, stopping, abandon;
	uint64_t queued, sent, dropped, failed;
	int error;
};

struct sinks {
	struct sink *v;
	size_t n;
	bool want_message;
};

const struct sink_ops *sink_kind(const char *url)
{
	const char *colon = strchr(url, ':');
	size_t n = colon ? (size_t)(colon - url) : 0;

	for (size_t i = 0; n && sink_kinds[i]; i++)
		if (strlen(sink_kinds[i]->scheme) == n && !strncmp(sink_kinds[i]->scheme, url, n))
			return sink_kinds[i];
	return NULL;
}

int sink_url_check(const char *url, char *why, size_t len)
{
	size_t off = 0;

	if (sink_kind(url))
		return 0;
	off += snprintf(why, len, "unknown sink '%s': the URL starts with one of", url);
	for (size_t i = 0; sink_kinds[i] && off < len; i++)
		off += snprintf(why + off, len - off, "%s %s:", i ? "," : "",
				sink_kinds[i]->scheme);
	return -EINVAL;
}

/* @url without credentials (user:password@) or query (?cafile=...): for status and logs. */
static char *display_name(const char *url)
{
	char *name = strdup(url), *q, *host, *at, *slash;

	if (!name)
		return NULL;
	q = strchr(name, '?');
	if (q)
		*q = '\0';
	host = strstr(name, "://");
	if (!host)
		return name;
	host += 3;
	at = strchr(host, '@');
	slash = strchr(host, '/');
	if (at && (!slash || at < slash))
		memmove(host, at + 1, strlen(at + 1) + 1);
	return name;
}

/* Connection errors: the peer is away, the record waits for it (sink.h). */
static bool peer_away(int err)
{
	switch (-err) {
	case EAGAIN:
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ENOTCONN:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EPROTO: /* a TLS handshake failed */
		return true;
	}
	return false;
}

/* CLOCK_REALTIME @s seconds from now: pthread's deadlines. */
static struct timespec deadline_in(double s)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += (time_t)s;
	t.tv_nsec += (long)((s - (time_t)s) * 1e9);
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* Sleep @*backoff (doubled for the next time) unless abandoned; with the lock held. */
static void back_off(struct sink *k, double *backoff)
{
	struct timespec until = deadline_in(*backoff);

	while (!k->abandon && pthread_cond_timedwait(&k->wake, &k->lock, &until) != ETIMEDOUT)
		;
	*backoff = *backoff * 2 < BACKOFF_MAX_S ? *backoff * 2 : BACKOFF_MAX_S;
}

/*
 * Call @try (send or flush) until it is not a peer away, or the sink is abandoned; its last
 * return. The lock is taken only to wait.
 */
static int with_retries(struct sink *k, int (*try)(struct sink *k, const struct sink_record *r),
			const struct sink_record *r)
{
	double backoff = BACKOFF_MIN_S;
	int err;

	for (;;) {
		err = try(k, r);
		if (!peer_away(err))
			return err;
		pthread_mutex_lock(&k->lock);
		k->error = -err;
		if (k->abandon) {
			pthread_mutex_unlock(&k->lock);
			return err;
		}
		back_off(k, &backoff);
		pthread_mutex_unlock(&k->lock);
	}
}

static int try_send(struct sink *k, const struct sink_record *r)
{
	return k->ops->send(k->ctx, r);
}

static int try_flush(struct sink *k, const struct sink_record *r)
{
	(void)r;
	return k->ops->flush(k->ctx);
}

/* Deliver @n records, then flush; the counters are updated under the lock. */
static void deliver(struct sink *k, struct queued **batch, size_t n)
{
	size_t ok = 0, failed = 0, lost = 0;
	bool abandoned = false;
	int err, last = 0;

	for (size_t i = 0; i < n; i++) {
		/* abandoned while the peer was away: the rest is not tried */
		err = abandoned ? last : with_retries(k, try_send, &batch[i]->r);
		abandoned = peer_away(err);
		if (err) {
			failed++;
			last = err;
		} else {
			ok++;
		}
		free(batch[i]);
	}
	if (k->ops->flush && ok) {
		/* < 0: abandoned, what send() buffered is never written; > 0: that many lost */
		err = abandoned ? last : with_retries(k, try_flush, NULL);
		lost = err < 0 ? ok : (size_t)err < ok ? (size_t)err : ok;
		if (err)
			last = err < 0 ? err : -EIO;
	}
	pthread_mutex_lock(&k->lock);
	k->sent += ok - lost;
	k->failed += failed + lost;
	k->error = last ? -last : 0;
	pthread_mutex_unlock(&k->lock);
}

static void *sink_main(void *arg)
{
	struct sink *k = arg;
	struct queued *batch[SINK_BATCH];
	size_t n;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (!k->count && !k->stopping && !k->reopen) {
			k->sleeping = true;
			pthread_cond_wait(&k->wake, &k->lock);
			k->sleeping = false;
		}
		if (k->reopen) {
			k->reopen = false;
			pthread_mutex_unlock(&k->lock);
			if (k->ops->reopen)
				k->ops->reopen(k->ctx);
			pthread_mutex_lock(&k->lock);
			continue;
		}
		if (k->abandon || (!k->count && k->stopping))
			break;
		for (n = 0; n < SINK_BATCH && k->count; n++, k->count--) {
			batch[n] = k->ring[k->head];
			k->head = (k->head + 1) % k->cap;
		}
		pthread_mutex_unlock(&k->lock);
		deliver(k, batch, n);
		pthread_mutex_lock(&k->lock);
	}
	/* abandoned: what is left was never delivered */
	k->failed += k->count;
	for (; k->count; k->count--, k->head = (k->head + 1) % k->cap)
		free(k->ring[k->head]);
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/*
 * Take "queue=N" out of @url's query (the framework's parameter, on any sink) into *@depth;
 * the rest of the URL, for the sink, in @rest. 0 or -EINVAL with the reason in @why.
 */
static int take_queue_param(const char *url, char *rest, size_t size, size_t *depth, char *why,
			    size_t len)
{
	const char *q = strchr(url, '?'), *p, *end;
	unsigned long long n;
	char *num_end;

	snprintf(rest, size, "%s", url);
	for (p = q; p; p = strchr(p + 1, '&'))
		if (!strncmp(p + 1, "queue=", 6))
			break;
	if (!p)
		return 0;
	errno = 0;
	n = strtoull(p + 7, &num_end, 10);
	end = num_end;
	if (errno || end == p + 7 || (*end && *end != '&') || !n || n > SINK_QUEUE_MAX) {
		snprintf(why, len, "%s: queue= takes a number of events from 1 to %d", url,
			 SINK_QUEUE_MAX);
		return -EINVAL;
	}
	*depth = n;
	/* "a?queue=1&b" -> "a?b", "a?b&queue=1" -> "a?b", "a?queue=1" -> "a" */
	if (*end)
		snprintf(rest + (p - url) + 1, size - (p - url) - 1, "%s", end + 1);
	else
		rest[p - url] = '\0';
	return 0;
}

static int sink_start(struct sink *k, const char *url, size_t depth, char *why, size_t len)
{
	char reason[256] = "", *own = malloc(strlen(url) + 1);
	sigset_t all, old;
	int err;

	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	if (!own)
		return -ENOMEM;
	k->ops = sink_kind(url);
	if (!k->ops) {
		sink_url_check(url, why, len);
		err = -EINVAL;
		goto out;
	}
	err = take_queue_param(url, own, strlen(url) + 1, &depth, why, len);
	if (err)
		goto out;
	k->name = display_name(url);
	k->cap = depth;
	k->ring = calloc(depth, sizeof(*k->ring));
	err = -ENOMEM;
	if (!k->name || !k->ring)
		goto out;
	err = k->ops->open(&k->ctx, own, reason, sizeof(reason));
	if (err) {
		snprintf(why, len, "sink %s: %s", k->name, *reason ? reason : strerror(-err));
		goto out;
	}
	/* signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&k->thread, NULL, sink_main, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		snprintf(why, len, "sink %s: no thread: %s", k->name, strerror(-err));
		k->ops->close(k->ctx);
		k->ctx = NULL;
		goto out;
	}
	k->started = true;
out:
	free(own);
	return err;
}

int sinks_open(struct sinks **out, const char *const *urls, size_t n, size_t queue_depth, char *why,
	       size_t len)
{
	struct sinks *s;
	int err = 0;

	*out = NULL;
	if (!n)
		return 0;
	if (queue_depth > SINK_QUEUE_MAX) {
		snprintf(why, len, "a sink queue holds at most %d events", SINK_QUEUE_MAX);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->v = calloc(n, sizeof(*s->v)))) {
		free(s);
		snprintf(why, len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++, s->n++)
		err = sink_start(&s->v[i], urls[i], queue_depth ?: SINK_QUEUE_DEFAULT, why, len);
	if (err) {
		sinks_close(s);
		return err;
	}
	for (size_t i = 0; i < n; i++)
		s->want_message |= s->v[i].ops->wants_message;
	*out = s;
	return 0;
}

static void sink_stop(struct sink *k, const struct timespec *deadline)
{
	if (!k->started)
		return;
	pthread_mutex_lock(&k->lock);
	k->stopping = true;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	if (pthread_timedjoin_np(k->thread, NULL, deadline)) {
		pthread_mutex_lock(&k->lock);
		k->abandon = true;
		pthread_cond_signal(&k->wake);
		pthread_mutex_unlock(&k->lock);
		pthread_join(k->thread, NULL);
	}
	k->started = false;
}

void sinks_drain(struct sinks *s, double drain_s)
{
	struct timespec deadline = deadline_in(drain_s);

	if (!s)
		return;
	/* the threads drain at once (they never wait for the stop to start): one deadline */
	for (size_t i = 0; i < s->n; i++)
		sink_stop(&s->v[i], &deadline);
}

void sinks_close(struct sinks *s)
{
	if (!s)
		return;
	sinks_drain(s, 0);
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];

		if (k->ctx)
			k->ops->close(k->ctx);
		pthread_mutex_destroy(&k->lock);
		pthread_cond_destroy(&k->wake);
		free(k->ring);
		free(k->name);
	}
	free(s->v);
	free(s);
}

bool sinks_want_message(const struct sinks *s)
{
	return s && s->want_message;
}

static size_t opt_len(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* @r and its strings in one allocation. */
static struct queued *record_copy(const struct sink_record *r)
{
	size_t jl = r->len + 1, tl = opt_len(r->type), sl = opt_len(r->severity);
	size_t rl = opt_len(r->rule_id), ml = opt_len(r->message);
	struct queued *q = malloc(sizeof(*q) + jl + tl + sl + rl + ml);
	char *p;

	if (!q)
		return NULL;
	q->r = *r;
	p = q->data;
	memcpy(p, r->json, r->len);
	p[r->len] = '\0';
	q->r.json = p;
	p += jl;
#define COPY(field, n)                                                                             \
	do {                                                                                       \
		if (r->field) {                                                                    \
			memcpy(p, r->field, n);                                                    \
			q->r.field = p;                                                            \
			p += n;                                                                    \
		}                                                                                  \
	} while (0)
	COPY(type, tl);
	COPY(severity, sl);
	COPY(rule_id, rl);
	COPY(message, ml);
#undef COPY
	return q;
}

void sinks_publish(struct sinks *s, const struct sink_record *r)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		struct queued *q = NULL;

		pthread_mutex_lock(&k->lock);
		/* a full queue refuses before the copy is made */
		if (k->count < k->cap && (q = record_copy(r))) {
			k->ring[(k->head + k->count) % k->cap] = q;
			k->count++;
			k->queued++;
			if (k->sleeping && k->count >= KICK_AT)
				pthread_cond_signal(&k->wake);
		} else {
			k->dropped++;
		}
		pthread_mutex_unlock(&k->lock);
	}
}

void sinks_kick(struct sinks *s)
{
	for (size_t i = 0; s && i < s->n; i++) {
		struct sink *k = &s->v[i];

		pthread_mutex_lock(&k->lock);
		if (k->sleeping && k->count)
			pthread_cond_signal(&k->wake);
		pthread_mutex_unlock(&k->lock);
	}
}

void sinks_reopen(struct sinks *s)
{
	for (size_t i = 0; s && i < s->n; i++) {
		struct sink *k = &s->v[i];

		pthread_mutex_lock(&k->lock);
		k->reopen = true;
		pthread_cond_signal(&k->wake);
		pthread_mutex_unlock(&k->lock);
	}
}

size_t sinks_count(const struct sinks *s)
{
	return s ? s->n : 0;
}

void sinks_stats(struct sinks *s, size_t i, struct sink_stats *st)
{
	struct sink *k = &s->v[i];

	memset(st, 0, sizeof(*st));
	st->name = k->name;
	st->scheme = k->ops->scheme;
	pthread_mutex_lock(&k->lock);
	st->queued = k->queued;
	st->sent = k->sent;
	st->dropped_queue_full = k->dropped;
	st->failed = k->failed;
	st->depth = k->count;
	st->capacity = k->cap;
	st->error = k->error;
	pthread_mutex_unlock(&k->lock);
	if (k->ops->counters && k->ctx)
		st->n_counters = k->ops->counters(k->ctx, st->counters, SINK_COUNTERS_MAX);
}
