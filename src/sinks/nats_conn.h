/* SPDX-License-Identifier: GPL-2.0 */
/* What the NATS sink and `vigil collect` share: the connection, and the JetStream stream. */
#ifndef VIGIL_SINKS_NATS_CONN_H
#define VIGIL_SINKS_NATS_CONN_H

#include <nats/nats.h>
#include <stddef.h>

#include "sinks/nats_url.h"

/* Connect once, giving up after @timeout_ms, with @u's TLS and credentials. No reconnects. */
int nats_connect(natsConnection **nc, const struct nats_url *u, int64_t timeout_ms, char *why,
		 size_t len);

/* @u's stream, made (subjects PREFIX.>, file storage) when missing and u->create_stream. */
int nats_stream_ensure(jsCtx *js, const struct nats_url *u, char *why, size_t len);

/* -errno for @s; "why" from the library's last error. */
int nats_errno(natsStatus s, char *why, size_t len);

#endif
