/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's answers on the control socket (core/control.h): "status", "apply NAME", "reopen"
 * (the output file, after log rotation) and "stop".
 */
#ifndef VIGIL_AGENT_CONTROL_H
#define VIGIL_AGENT_CONTROL_H

#include <stdio.h>

#include "agent/agent.h"
#include "agent/guard.h"
#include "events/stream.h"
#include "sinks/output.h"
#include "sinks/sink.h"

struct agent_status_ctx {
	struct agent *agent;
	struct stream *stream;
	int pid;
	double started_s;      /* CLOCK_MONOTONIC */
	double started_wall_s; /* Unix time */
	const struct agent_guard *guard;
	struct output *output;
	struct sinks *sinks; /* NULL: none */
	struct sensors *sensors;
	bool stop; /* "stop" was asked for: the main loop ends as on SIGTERM */
};

/* A control_handler (core/control.h). */
int agent_control_handle(void *ctx, const char *cmd, const char *body, size_t len, FILE *out);

#endif
