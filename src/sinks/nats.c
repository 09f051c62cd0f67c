// SPDX-License-Identifier: GPL-2.0
/*
 * nats://HOST:PORT: each event a message to a JetStream stream, on PREFIX.HOST.TYPE.SEVERITY,
 * with the header Nats-Msg-Id: HOST/AGENT_INSTANCE/SEQ, so that a message sent twice (a retry)
 * is stored once (within the stream's duplicate window).
 *
 * Acknowledgements. An acknowledged publish costs the server and libnats about twice what a
 * plain one does (bench/nats_bench.c: about half the events a second), so events
 * go out in batches: every event of a batch but its last is published plainly, and the last
 * with an acknowledgement, asynchronously. The server handles a connection's messages in
 * order, so that acknowledgement confirms the batch. A batch is kept until it is confirmed.
 *
 * When the server is away (no connection, a refused or missing acknowledgement, one that takes
 * longer than ACK_WAIT_MS, or too many batches unconfirmed), the unconfirmed batches and every
 * event after them go to the spool (sinks/spool.h), in order. A thread of this sink's
 * reconnects, sends the spool back, confirming each part, and hands over to the live path
 * once it is empty: events are stored in the order they came, once.
 *
 * batch=N (off: 1): up to N events of one subject in one message, JSON lines, with the id
 * HOST/AGENT_INSTANCE/FIRSTSEQ-LASTSEQ and a header Vigil-Events: COUNT. The server's cost is
 * per message, not per byte, so this multiplies what it can store a second (docs/nats.md).
 * A batch ends at N events, at another subject, at the server's max_payload, and when the
 * sink's thread has taken what its queue held (flush): a quiet agent's events wait for no
 * others. Such a message is spooled and replayed whole, so its id stays the same.
 */
#include "sinks/nats_conn.h"
#include "sinks/nats_url.h"
#include "sinks/sink.h"
#include "sinks/spool.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX	    4096       /* messages confirmed by one acknowledgement, at most */
#define BATCH_BYTES	    (4U << 20) /* ... and their bytes, about */
#define INFLIGHT_MAX	    32	       /* batches awaiting their acknowledgement */
#define ACK_WAIT_MS	    5000
#define CONNECT_TIMEOUT_MS  2000
#define RETRY_MS	    1000
#define REPLAY_BATCH	    4096
#define CLOSE_WAIT_MS	    2000
#define SUBJECT_MAX	    256
#define MSG_ID_MAX	    (HOST_NAME_MAX + 96)
#define HEADER_ROOM	    96	      /* a message's headers besides its id, at most */
#define DEFAULT_MAX_PAYLOAD (1 << 20) /* nats-server's, until a connection says otherwise */

struct entry {
	size_t subject, id, data, len; /* offsets into the batch's buffer */
	size_t events;		       /* the message holds (batch=N) */
};

/* Events published (or about to be), kept until the stream confirms them. */
struct batch {
	char *buf;
	size_t len, cap;
	struct entry *ents;
	size_t n, cap_ents;
	size_t events;	  /* in its messages */
	natsMsg *barrier; /* the last event, published with an acknowledgement; NULL: none yet */
	enum { BATCH_OPEN, BATCH_SENT, BATCH_ACKED, BATCH_FAILED } state;
	struct timespec sent_at;
};

/* batch=N: the events of one subject gathered for the next message. */
struct bundle {
	char subject[SUBJECT_MAX];
	unsigned long long first, last; /* seqs */
	size_t n;
	char *data; /* JSON lines, without the last newline */
	size_t len, cap;
};

/* Of events (a message of batch=N holds several). */
struct nats_counters {
	uint64_t published, acked, spooled, replayed, failed, too_large;
};

struct nats_sink {
	struct nats_url url;
	pthread_mutex_t lock;
	pthread_cond_t acked; /* a batch was confirmed or refused */
	pthread_cond_t wake;  /* the replay thread: the spool has work, or stop */
	pthread_t replayer;
	bool stop;
	/* under the lock */
	natsConnection *nc;
	jsCtx *js;
	bool spooling; /* events go to the spool until the replay thread empties it */
	struct spool *spool;
	struct batch inflight[INFLIGHT_MAX + 1]; /* a ring, oldest first; the last one is open */
	size_t head, count;
	struct nats_counters c;
	char host[HOST_NAME_MAX + 1], instance[64]; /* from the first event's identity */
	bool have_identity;
	bool warned; /* that the server is away, once until it is back */
	char last_error[256];
	struct timespec last_connect;
	struct bundle bundle;
	int64_t max_payload; /* the server's limit, as the last connection said */
};

static double since_ms(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1e3 + (now.tv_nsec - t->tv_nsec) / 1e6;
}

/* The JSON string value after "@key": in @line, copied to @out; false when absent or null. */
static bool json_member(const char *line, size_t len, const char *key, char *out, size_t max)
{
	char pat[40];
	const char *p, *end = line + len;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = memmem(line, len, pat, strlen(pat));
	if (!p)
		return false;
	for (p += strlen(pat); p < end && *p != '"' && n + 1 < max; p++)
		out[n++] = *p == '\\' ? '_' : *p;
	out[n] = '\0';
	return true;
}

/* The host and agent instance are the same on every line: read once, from the first. */
static void learn_identity(struct nats_sink *n, const struct sink_record *r)
{
	char host[HOST_NAME_MAX + 1];

	if (!json_member(r->json, r->len, "host", host, sizeof(host)))
		host[0] = '\0';
	nats_subject_token(n->host, sizeof(n->host), host);
	if (!json_member(r->json, r->len, "agent_instance", n->instance, sizeof(n->instance)))
		snprintf(n->instance, sizeof(n->instance), "unknown");
	n->have_identity = true;
}

static void batch_reset(struct batch *b)
{
	b->len = b->n = b->events = 0;
	b->barrier = NULL;
	b->state = BATCH_OPEN;
}

static int batch_grow(struct batch *b, size_t more)
{
	if (b->n == b->cap_ents) {
		size_t cap = b->cap_ents ? 2 * b->cap_ents : 256;
		struct entry *e = realloc(b->ents, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		b->ents = e;
		b->cap_ents = cap;
	}
	if (b->len + more > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 65536;
		char *p;

		while (cap < b->len + more)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->cap = cap;
	}
	return 0;
}

static int batch_add(struct batch *b, const struct spool_msg *m, size_t events)
{
	size_t sl = strlen(m->subject) + 1, il = strlen(m->id) + 1;
	struct entry *e;
	int err = batch_grow(b, sl + il + m->len);

	if (err)
		return err;
	e = &b->ents[b->n++];
	e->subject = b->len;
	memcpy(b->buf + b->len, m->subject, sl);
	e->id = b->len += sl;
	memcpy(b->buf + b->len, m->id, il);
	e->data = b->len += il;
	memcpy(b->buf + b->len, m->data, m->len);
	e->len = m->len;
	e->events = events;
	b->len += m->len;
	b->events += events;
	return 0;
}

static struct spool_msg batch_msg(const struct batch *b, size_t i)
{
	const struct entry *e = &b->ents[i];

	return (struct spool_msg){ b->buf + e->subject, b->buf + e->id, b->buf + e->data, e->len };
}

static struct batch *batch_at(struct nats_sink *n, size_t i)
{
	return &n->inflight[(n->head + i) % (INFLIGHT_MAX + 1)];
}

static struct batch *open_batch(struct nats_sink *n)
{
	if (!n->count) {
		n->count = 1;
		batch_reset(batch_at(n, 0));
	}
	return batch_at(n, n->count - 1);
}

/* HOST/INSTANCE/FIRST-LAST: a message of batch=N, which says how many events it holds. */
static bool is_batch_id(const char *id)
{
	const char *seq = strrchr(id, '/');

	return seq && strchr(seq, '-');
}

static natsStatus make_msg(natsMsg **m, const struct spool_msg *s)
{
	natsStatus st = natsMsg_Create(m, s->subject, NULL, s->data, s->len);
	char count[24];

	if (st != NATS_OK)
		return st;
	st = natsMsgHeader_Set(*m, "Nats-Msg-Id", s->id);
	if (st == NATS_OK && is_batch_id(s->id)) {
		snprintf(count, sizeof(count), "%zu", spool_msg_events(s));
		st = natsMsgHeader_Set(*m, "Vigil-Events", count);
	}
	if (st != NATS_OK)
		natsMsg_Destroy(*m);
	return st;
}

/* Within the server's limit for one message (its headers included)? */
static bool fits(const struct spool_msg *m, int64_t max_payload)
{
	return max_payload <= 0 || (int64_t)(m->len + strlen(m->id) + HEADER_ROOM) <= max_payload;
}

/* A plain publish: confirmed later by the batch's acknowledgement. */
static natsStatus publish_plain(natsConnection *nc, const struct spool_msg *s)
{
	natsMsg *m;
	natsStatus st = make_msg(&m, s);

	if (st == NATS_OK) {
		st = natsConnection_PublishMsg(nc, m);
		natsMsg_Destroy(m);
	}
	return st;
}

static void spool_one(struct nats_sink *n, const struct spool_msg *m, size_t events)
{
	int err = spool_append(n->spool, m);

	if (!err)
		n->c.spooled += events;
	else if (err != -EMSGSIZE) /* too large: counted as dropped by the spool */
		n->c.failed += events;
}

/*
 * With the lock: the server is away. Spool every unconfirmed event, oldest first, take the
 * connection away from the live path (returned, to be destroyed without the lock: libnats
 * waits for its callbacks, which take the lock) and wake the replay thread. Once only: while
 * spooling, the connection is the replay thread's.
 */
static void fail_over(struct nats_sink *n, const char *why, natsConnection **nc, jsCtx **js)
{
	if (n->spooling)
		return;
	pr_warn("nats", "%s: %s; events go to the spool %s until it is back", n->url.servers[0],
		why, n->url.spool_dir);
	n->warned = true;
	snprintf(n->last_error, sizeof(n->last_error), "%s", why);
	for (size_t i = 0; i < n->count; i++) {
		struct batch *b = batch_at(n, i);

		if (b->state == BATCH_ACKED)
			continue;
		for (size_t j = 0; j < b->n; j++) {
			struct spool_msg m = batch_msg(b, j);

			spool_one(n, &m, b->ents[j].events);
		}
	}
	n->head = n->count = 0;
	n->spooling = true;
	*nc = n->nc;
	*js = n->js;
	n->nc = NULL;
	n->js = NULL;
	pthread_cond_signal(&n->wake);
	pthread_cond_broadcast(&n->acked);
}

static void drop_connection(natsConnection *nc, jsCtx *js)
{
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/* With the lock: forget the confirmed batches at the head; false when one was refused. */
static bool reap(struct nats_sink *n)
{
	while (n->count) {
		struct batch *b = batch_at(n, 0);

		if (b->state == BATCH_FAILED ||
		    (b->state == BATCH_SENT && since_ms(&b->sent_at) > ACK_WAIT_MS + 1000))
			return false;
		if (b->state != BATCH_ACKED)
			break;
		n->c.acked += b->events;
		n->head = (n->head + 1) % (INFLIGHT_MAX + 1);
		n->count--;
	}
	return true;
}

/* libnats' thread: the acknowledgement of a batch's last event, or its failure. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct nats_sink *n = closure;

	(void)js;
	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->count; i++) {
		struct batch *b = batch_at(n, i);

		if (b->barrier != msg)
			continue;
		b->barrier = NULL;
		b->state = pa && !pae ? BATCH_ACKED : BATCH_FAILED;
		if (pae)
			snprintf(n->last_error, sizeof(n->last_error), "%s",
				 pae->ErrText ?: natsStatus_GetText(pae->Err));
		pthread_cond_broadcast(&n->acked);
		break;
	}
	pthread_mutex_unlock(&n->lock);
	natsMsg_Destroy(msg);
}

/* With the lock: publish the open batch's last event with an acknowledgement. */
static int seal(struct nats_sink *n)
{
	struct batch *b = open_batch(n);
	struct spool_msg last;
	jsPubOptions po;
	natsMsg *m;
	natsStatus st;

	if (!b->n)
		return 0;
	last = batch_msg(b, b->n - 1);
	st = make_msg(&m, &last);
	if (st != NATS_OK)
		return -ENOMEM;
	jsPubOptions_Init(&po);
	po.MaxWait = ACK_WAIT_MS;
	b->barrier = m;
	b->state = BATCH_SENT;
	clock_gettime(CLOCK_MONOTONIC, &b->sent_at);
	st = js_PublishMsgAsync(n->js, &m, &po);
	if (st != NATS_OK) {
		b->barrier = NULL;
		natsMsg_Destroy(m);
		b->state = BATCH_FAILED;
		snprintf(n->last_error, sizeof(n->last_error), "%s", natsStatus_GetText(st));
		return -EIO;
	}
	n->c.published += b->ents[b->n - 1].events;
	return 0;
}

/* With the lock: room for a new open batch, waiting for acknowledgements if needed. */
static int next_batch(struct nats_sink *n)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ACK_WAIT_MS / 1000;
	for (;;) {
		if (n->spooling || !reap(n))
			return -EIO; /* the replay thread's watch failed over meanwhile */
		if (n->count < INFLIGHT_MAX + 1)
			break;
		if (pthread_cond_timedwait(&n->acked, &n->lock, &until) == ETIMEDOUT)
			return -ETIMEDOUT;
	}
	batch_reset(batch_at(n, n->count));
	n->count++;
	return 0;
}

/* With the lock: send @m (holding @events), or spool it while the server is away. */
static int send_msg_locked(struct nats_sink *n, const struct spool_msg *m, size_t events,
			   natsConnection **nc, jsCtx **js)
{
	struct batch *b;
	int err;

	if (!n->spooling && !fits(m, natsConnection_GetMaxPayload(n->nc))) {
		n->c.too_large += events;
		return -EMSGSIZE;
	}
	if (n->spooling) {
		spool_one(n, m, events);
		return 0;
	}
	if (!reap(n)) {
		fail_over(n, n->last_error[0] ? n->last_error : "no acknowledgement", nc, js);
		spool_one(n, m, events);
		return 0;
	}
	b = open_batch(n);
	if (b->n) {
		/* the message held back is not the last one after all */
		struct spool_msg held = batch_msg(b, b->n - 1);
		natsStatus st = publish_plain(n->nc, &held);

		if (st != NATS_OK) {
			fail_over(n, natsStatus_GetText(st), nc, js);
			spool_one(n, m, events);
			return 0;
		}
		n->c.published += b->ents[b->n - 1].events;
	}
	err = batch_add(b, m, events);
	if (err) {
		n->c.failed += events;
		return err;
	}
	if (b->n >= BATCH_MAX || b->len >= BATCH_BYTES) {
		err = seal(n) ?: next_batch(n);
		if (err)
			fail_over(n,
				  err == -ETIMEDOUT ? "acknowledgements too slow" : n->last_error,
				  nc, js);
	}
	return 0;
}

/*
 * With the lock: the bytes of events one message of batch=N may hold, within the server's
 * limit (the last connection's) and well within the spool's.
 */
static size_t bundle_max(struct nats_sink *n)
{
	int64_t server = n->nc ? natsConnection_GetMaxPayload(n->nc) : 0;
	size_t max;

	if (server > 0)
		n->max_payload = server;
	if (n->max_payload <= MSG_ID_MAX + HEADER_ROOM)
		return 0; /* a server that takes no event at all */
	max = n->max_payload - MSG_ID_MAX - HEADER_ROOM;
	return max < n->url.spool_size / 4 ? max : n->url.spool_size / 4;
}

/* With the lock: the events gathered so far, as one message. */
static int bundle_send(struct nats_sink *n, natsConnection **nc, jsCtx **js)
{
	struct bundle *bu = &n->bundle;
	char id[MSG_ID_MAX];
	struct spool_msg m = { bu->subject, id, bu->data, bu->len };
	size_t events = bu->n;

	if (!events)
		return 0;
	snprintf(id, sizeof(id), "%s/%s/%llu-%llu", n->host, n->instance, bu->first, bu->last);
	bu->n = bu->len = 0;
	return send_msg_locked(n, &m, events, nc, js);
}

static int bundle_add(struct bundle *bu, const char *subject, const struct sink_record *r)
{
	size_t need = bu->len + 1 + r->len;

	if (need > bu->cap) {
		size_t cap = bu->cap ? 2 * bu->cap : 65536;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(bu->data, cap);
		if (!p)
			return -ENOMEM;
		bu->data = p;
		bu->cap = cap;
	}
	if (bu->n)
		bu->data[bu->len++] = '\n';
	else
		snprintf(bu->subject, sizeof(bu->subject), "%s", subject);
	memcpy(bu->data + bu->len, r->json, r->len);
	bu->len += r->len;
	bu->first = bu->n++ ? bu->first : r->seq;
	bu->last = r->seq;
	return 0;
}

static int nats_send_locked(struct nats_sink *n, const struct sink_record *r, natsConnection **nc,
			    jsCtx **js)
{
	char subject[SUBJECT_MAX], id[MSG_ID_MAX], type[32], severity[32];
	struct bundle *bu = &n->bundle;
	struct spool_msg m;
	int err;

	if (!n->have_identity)
		learn_identity(n, r);
	nats_subject_token(type, sizeof(type), r->type);
	nats_subject_token(severity, sizeof(severity), r->severity ?: "none");
	snprintf(subject, sizeof(subject), "%s.%s.%s.%s", n->url.prefix, n->host, type, severity);
	if (n->url.batch == 1) {
		snprintf(id, sizeof(id), "%s/%s/%llu", n->host, n->instance,
			 (unsigned long long)r->seq);
		m = (struct spool_msg){ subject, id, r->json, r->len };
		return send_msg_locked(n, &m, 1, nc, js);
	}
	if (r->len > bundle_max(n)) {
		n->c.too_large++;
		return -EMSGSIZE;
	}
	if (bu->n && (strcmp(bu->subject, subject) || bu->len + 1 + r->len > bundle_max(n))) {
		err = bundle_send(n, nc, js);
		if (err)
			return err;
	}
	err = bundle_add(bu, subject, r);
	if (err) {
		n->c.failed++;
		return err;
	}
	return bu->n >= n->url.batch ? bundle_send(n, nc, js) : 0;
}

static int nats_send(void *ctx, const struct sink_record *r)
{
	struct nats_sink *n = ctx;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	int err;

	pthread_mutex_lock(&n->lock);
	err = nats_send_locked(n, r, &nc, &js);
	pthread_mutex_unlock(&n->lock);
	if (nc)
		drop_connection(nc, js);
	return err;
}

/*
 * The framework's batch ended: send what batch=N gathered, confirm what was published. Never
 * waits for the server.
 */
static int nats_flush(void *ctx)
{
	struct nats_sink *n = ctx;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	size_t gathered;
	int lost;

	pthread_mutex_lock(&n->lock);
	gathered = n->bundle.n;
	lost = bundle_send(n, &nc, &js) ? (int)gathered : 0;
	if (!n->spooling && n->count && open_batch(n)->n) {
		int err = seal(n) ?: next_batch(n);

		if (err)
			fail_over(n,
				  err == -ETIMEDOUT ? "acknowledgements too slow" : n->last_error,
				  &nc, &js);
	}
	pthread_mutex_unlock(&n->lock);
	if (nc)
		drop_connection(nc, js);
	return lost;
}

static int connect_js(struct nats_sink *n, natsConnection **nc, jsCtx **js, char *why, size_t len)
{
	jsOptions o;
	natsStatus st;
	int err;

	err = nats_connect(nc, &n->url, CONNECT_TIMEOUT_MS, why, len);
	if (err)
		return err;
	jsOptions_Init(&o);
	o.Wait = ACK_WAIT_MS;
	/* never reached: this sink bounds its batches itself, and must not stall under its lock */
	o.PublishAsync.MaxPending = 4 * (INFLIGHT_MAX + 1);
	o.PublishAsync.AckHandler = on_ack;
	o.PublishAsync.AckHandlerClosure = n;
	st = natsConnection_JetStream(js, *nc, &o);
	err = st == NATS_OK ? nats_stream_ensure(*js, &n->url, why, len) : nats_errno(st, why, len);
	if (err) {
		if (st == NATS_OK)
			jsCtx_Destroy(*js);
		natsConnection_Destroy(*nc);
	}
	return err;
}

/*
 * Publish @b and wait for the acknowledgement of its last message; *@too_large: the events of
 * the messages left out, too large for the server.
 */
static int publish_confirmed(natsConnection *nc, jsCtx *js, const struct spool_batch *b,
			     size_t *too_large, char *why, size_t len)
{
	int64_t max = natsConnection_GetMaxPayload(nc);
	size_t last = b->n;
	jsPubOptions po;
	jsPubAck *pa = NULL;
	natsStatus st = NATS_OK;
	jsErrCode jerr = 0;
	natsMsg *m;

	/* what the server would refuse whatever happens is skipped, not retried for ever */
	while (last && !fits(&b->msgs[last - 1], max))
		last--;
	*too_large = 0;
	for (size_t i = last; i < b->n; i++)
		*too_large += spool_msg_events(&b->msgs[i]);
	for (size_t i = 0; i + 1 < last && st == NATS_OK; i++) {
		if (fits(&b->msgs[i], max))
			st = publish_plain(nc, &b->msgs[i]);
		else
			*too_large += spool_msg_events(&b->msgs[i]);
	}
	if (!last)
		return 0;
	if (st == NATS_OK)
		st = make_msg(&m, &b->msgs[last - 1]);
	if (st != NATS_OK)
		return nats_errno(st, why, len);
	jsPubOptions_Init(&po);
	po.MaxWait = ACK_WAIT_MS;
	st = js_PublishMsg(&pa, js, m, &po, &jerr);
	natsMsg_Destroy(m);
	jsPubAck_Destroy(pa);
	return st == NATS_OK ? 0 : nats_errno(st, why, len);
}

/* The replay thread's turn: send the spool back. false when the server went away again. */
static bool replay(struct nats_sink *n, struct spool_batch *b)
{
	char why[256];
	natsConnection *nc;
	jsCtx *js;
	size_t too_large, events;
	int err;

	for (;;) {
		pthread_mutex_lock(&n->lock);
		if (n->stop) {
			pthread_mutex_unlock(&n->lock);
			return true;
		}
		err = spool_peek(n->spool, b, REPLAY_BATCH);
		if (err || !b->n) {
			if (!err) {
				/* the live path takes over, with the connection */
				n->spooling = false;
				if (n->warned)
					pr_info("nats", "%s: back; the spool is sent",
						n->url.servers[0]);
				n->warned = false;
			} else {
				pr_warn("nats", "spool: %s", strerror(-err));
			}
			pthread_mutex_unlock(&n->lock);
			return !err;
		}
		nc = n->nc;
		js = n->js;
		pthread_mutex_unlock(&n->lock);
		err = publish_confirmed(nc, js, b, &too_large, why, sizeof(why));
		pthread_mutex_lock(&n->lock);
		if (err) {
			spool_unpin(n->spool);
			snprintf(n->last_error, sizeof(n->last_error), "%s", why);
			n->nc = NULL;
			n->js = NULL;
			pthread_mutex_unlock(&n->lock);
			drop_connection(nc, js);
			return false;
		}
		events = 0;
		for (size_t i = 0; i < b->n; i++)
			events += spool_msg_events(&b->msgs[i]);
		n->c.published += events - too_large;
		n->c.acked += events - too_large;
		n->c.replayed += events - too_large;
		n->c.too_large += too_large;
		spool_consume(n->spool, b);
		pthread_mutex_unlock(&n->lock);
	}
}

static void wait_ms(struct nats_sink *n, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&n->wake, &n->lock, &until);
}

/*
 * Reconnects and replays while spooling; otherwise watches for a batch whose acknowledgement
 * never comes while no event arrives to notice it.
 */
static void *replayer_main(void *arg)
{
	struct nats_sink *n = arg;
	struct spool_batch b = { 0 };
	char why[256];
	bool ok;

	pthread_mutex_lock(&n->lock);
	while (!n->stop) {
		natsConnection *nc = NULL;
		jsCtx *js = NULL;
		int err;

		if (!n->spooling) {
			if (!reap(n))
				fail_over(n,
					  n->last_error[0] ? n->last_error : "no acknowledgement",
					  &nc, &js);
			if (!nc) {
				wait_ms(n, RETRY_MS);
				continue;
			}
			pthread_mutex_unlock(&n->lock);
			drop_connection(nc, js);
			pthread_mutex_lock(&n->lock);
			continue;
		}
		if (!n->nc) {
			if (since_ms(&n->last_connect) < RETRY_MS) {
				wait_ms(n, RETRY_MS);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &n->last_connect);
			pthread_mutex_unlock(&n->lock);
			err = connect_js(n, &nc, &js, why, sizeof(why));
			pthread_mutex_lock(&n->lock);
			if (err) {
				snprintf(n->last_error, sizeof(n->last_error), "%s", why);
				if (!n->warned)
					pr_warn("nats",
						"%s: %s; events go to the spool %s until it is "
						"back",
						n->url.servers[0], why, n->url.spool_dir);
				n->warned = true;
				continue;
			}
			n->nc = nc;
			n->js = js;
			n->max_payload = natsConnection_GetMaxPayload(nc);
		}
		pthread_mutex_unlock(&n->lock);
		ok = replay(n, &b);
		pthread_mutex_lock(&n->lock);
		if (!ok)
			wait_ms(n, RETRY_MS);
	}
	pthread_mutex_unlock(&n->lock);
	spool_batch_free(&b);
	return NULL;
}

static int nats_open(void **ctx, const char *url, char *why, size_t len)
{
	struct nats_sink *n = calloc(1, sizeof(*n));
	sigset_t all, old;
	int err;

	if (!n)
		return -ENOMEM;
	err = nats_url_parse(&n->url, url, why, len);
	if (err)
		goto fail;
	err = spool_open(&n->spool, n->url.spool_dir, n->url.spool_size, why, len);
	if (err)
		goto fail_url;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->acked, NULL);
	pthread_cond_init(&n->wake, NULL);
	/* the replay thread connects: until then, and while a spool is left over, events spool */
	n->spooling = true;
	n->max_payload = DEFAULT_MAX_PAYLOAD;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&n->replayer, NULL, replayer_main, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		snprintf(why, len, "no thread: %s", strerror(-err));
		goto fail_spool;
	}
	*ctx = n;
	return 0;
fail_spool:
	spool_close(n->spool);
fail_url:
	nats_url_free(&n->url);
fail:
	free(n);
	return err;
}

/* With the lock: every batch confirmed (the open one may be empty). */
static bool all_confirmed(struct nats_sink *n)
{
	return reap(n) && (!n->count || (n->count == 1 && !batch_at(n, 0)->n));
}

/* Confirm what was published (waiting a little), spool what is not confirmed, stop. */
static void nats_close(void *ctx)
{
	struct nats_sink *n = ctx;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLOSE_WAIT_MS / 1000;
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	pthread_cond_signal(&n->wake);
	bundle_send(n, &nc, &js); /* a failure is counted */
	if (!n->spooling) {
		if (n->count && open_batch(n)->n)
			seal(n); /* refused: not confirmed below */
		while (!all_confirmed(n) && batch_at(n, 0)->state == BATCH_SENT &&
		       pthread_cond_timedwait(&n->acked, &n->lock, &until) != ETIMEDOUT)
			;
		if (!all_confirmed(n))
			fail_over(n, "stopping", &nc, &js);
	}
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->replayer, NULL);
	/* the connection, if the live path or the replay thread still had one */
	if (nc)
		drop_connection(nc, js);
	if (n->nc)
		drop_connection(n->nc, n->js);
	for (size_t i = 0; i <= INFLIGHT_MAX; i++) {
		free(n->inflight[i].buf);
		free(n->inflight[i].ents);
	}
	free(n->bundle.data);
	spool_close(n->spool);
	nats_url_free(&n->url);
	pthread_cond_destroy(&n->acked);
	pthread_cond_destroy(&n->wake);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

static size_t nats_counters(void *ctx, struct sink_counter *c, size_t max)
{
	struct nats_sink *n = ctx;
	struct spool_stats ss;
	struct sink_counter all[8];
	size_t k;

	pthread_mutex_lock(&n->lock);
	spool_stats(n->spool, &ss);
	all[0] = (struct sink_counter){ "published", n->c.published };
	all[1] = (struct sink_counter){ "acked", n->c.acked };
	all[2] = (struct sink_counter){ "spooled", n->c.spooled };
	all[3] = (struct sink_counter){ "replayed", n->c.replayed };
	all[4] = (struct sink_counter){ "dropped_spool_full", ss.dropped };
	all[5] = (struct sink_counter){ "spool_failed", n->c.failed };
	all[6] = (struct sink_counter){ "spool_waiting", ss.events };
	all[7] = (struct sink_counter){ "too_large", n->c.too_large };
	pthread_mutex_unlock(&n->lock);
	k = max < 8 ? max : 8;
	memcpy(c, all, k * sizeof(*c));
	return k;
}

const struct sink_ops sink_nats_ops = {
	.scheme = "nats",
	.open = nats_open,
	.send = nats_send,
	.flush = nats_flush,
	.close = nats_close,
	.counters = nats_counters,
};
