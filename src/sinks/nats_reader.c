// SPDX-License-Identifier: GPL-2.0
#include "sinks/nats_reader.h"
#include "sinks/nats_conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 5000
#define POLL_MS		   250
/* Without --follow, a filter that matches nothing ends the read after this long. */
#define QUIET_MS 1500

/* The stream's last sequence number now: without --follow, reading stops there. */
static int stream_end(jsCtx *js, const struct nats_url *u, uint64_t *last, char *why, size_t len)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, u->stream, NULL, &jerr);

	if (s != NATS_OK) {
		if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
			snprintf(why, len, "no stream %s on the server", u->stream);
			return -ENOENT;
		}
		return nats_errno(s, why, len);
	}
	*last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	return 0;
}

static int subscribe(natsSubscription **sub, jsCtx *js, const struct nats_url *u,
		     const struct nats_read_opts *o, char *why, size_t len)
{
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;

	jsSubOptions_Init(&so);
	so.Stream = u->stream;
	so.Ordered = true;
	so.Config.DeliverPolicy = o->since_ns ? js_DeliverByStartTime : js_DeliverAll;
	so.Config.OptStartTime = o->since_ns;
	s = js_SubscribeSync(sub, js, o->subject, NULL, &so, &jerr);
	return s == NATS_OK ? 0 : nats_errno(s, why, len);
}

/* A message holds one event, or several (the sink's batch=N): JSON lines. @fn for each. */
static int each_event(nats_read_fn fn, void *ctx, natsMsg *m)
{
	const char *subject = natsMsg_GetSubject(m), *p = natsMsg_GetData(m);
	const char *end = p + natsMsg_GetDataLength(m);
	int ret = 0;

	while (!ret && p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ?: end) - p;

		if (n)
			ret = fn(ctx, subject, p, n);
		p = nl ? nl + 1 : end;
	}
	return ret;
}

static int read_loop(natsSubscription *sub, const struct nats_read_opts *o, uint64_t last,
		     nats_read_fn fn, void *ctx, char *why, size_t len)
{
	int quiet_ms = 0, ret = 0;

	while (!ret && !*o->stop) {
		jsMsgMetaData *meta = NULL;
		natsMsg *m = NULL;
		bool end = false;
		natsStatus s = natsSubscription_NextMsg(&m, sub, POLL_MS);

		if (s == NATS_TIMEOUT) {
			quiet_ms += POLL_MS;
			if (!o->follow && quiet_ms >= QUIET_MS)
				break;
			continue;
		}
		if (s != NATS_OK)
			return nats_errno(s, why, len);
		quiet_ms = 0;
		if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
			end = !o->follow && (meta->Sequence.Stream >= last || !meta->NumPending);
			jsMsgMetaData_Destroy(meta);
		}
		ret = each_event(fn, ctx, m);
		natsMsg_Destroy(m);
		if (end)
			break;
	}
	return ret;
}

int nats_read(const struct nats_url *u, const struct nats_read_opts *o, nats_read_fn fn, void *ctx,
	      char *why, size_t len)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsCtx *js = NULL;
	uint64_t last = 0;
	natsStatus s;
	int err;

	err = nats_connect(&nc, u, CONNECT_TIMEOUT_MS, why, len);
	if (err)
		return err;
	s = natsConnection_JetStream(&js, nc, NULL);
	if (s != NATS_OK) {
		err = nats_errno(s, why, len);
		goto out;
	}
	err = stream_end(js, u, &last, why, len);
	if (err || (!o->follow && !last))
		goto out;
	err = subscribe(&sub, js, u, o, why, len);
	if (!err)
		err = read_loop(sub, o, last, fn, ctx, why, len);
out:
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return err;
}
