/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the events the NATS sinks of many agents wrote: `vigil collect`. */
#ifndef VIGIL_SINKS_NATS_READER_H
#define VIGIL_SINKS_NATS_READER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sinks/nats_url.h"

struct nats_read_opts {
	const char *subject; /* a filter: PREFIX.HOST.TYPE.SEVERITY, tokens may be '*' */
	int64_t since_ns;    /* UTC nanoseconds: messages stored from then on; 0: all */
	bool follow;	     /* keep reading new messages; else stop at the stream's end */
	volatile sig_atomic_t *stop;
};

/* One event; returns 0 to go on, anything else to stop (nats_read() returns it). */
typedef int (*nats_read_fn)(void *ctx, const char *subject, const char *data, size_t len);

/*
 * Read @u's stream in order through an ordered, ephemeral consumer (nothing is left on the
 * server), calling @fn for each event: a message holds one, or a batch of them as JSON lines
 * (the sink's batch=N). 0, @fn's stop value, or -errno with @why.
 */
int nats_read(const struct nats_url *u, const struct nats_read_opts *o, nats_read_fn fn, void *ctx,
	      char *why, size_t len);

#endif
