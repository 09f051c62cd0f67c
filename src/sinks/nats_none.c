// SPDX-License-Identifier: GPL-2.0
/*
 * The static build (the VM suite's binaries): Debian ships no static libnats, so there the
 * NATS sink and `vigil collect` say they are not built in. Linked instead of nats.c,
 * nats_conn.c and nats_reader.c (see the Makefile).
 */
#include "sinks/nats_reader.h"
#include "sinks/sink.h"

#include <errno.h>
#include <stdio.h>

static int nats_none_open(void **ctx, const char *url, char *why, size_t len)
{
	(void)ctx;
	(void)url;
	snprintf(why, len, "this vigil was built without libnats (a static build)");
	return -ENOTSUP;
}

static int nats_none_send(void *ctx, const struct sink_record *r)
{
	(void)ctx;
	(void)r;
	return -ENOTSUP;
}

static void nats_none_close(void *ctx)
{
	(void)ctx;
}

const struct sink_ops sink_nats_ops = {
	.scheme = "nats",
	.open = nats_none_open,
	.send = nats_none_send,
	.close = nats_none_close,
};

int nats_read(const struct nats_url *u, const struct nats_read_opts *o, nats_read_fn fn, void *ctx,
	      char *why, size_t len)
{
	(void)u;
	(void)o;
	(void)fn;
	(void)ctx;
	snprintf(why, len, "this vigil was built without libnats (a static build)");
	return -ENOTSUP;
}
