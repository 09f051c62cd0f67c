/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `vigil run`, `vigil trace` and `vigil sandbox` do once their options are read: start the
 * sensors and the event stream and, with policies, the agent (reload, control socket, guard,
 * sandbox), until stopped; then drain, summarise and clean up.
 */
#ifndef VIGIL_AGENT_RUN_H
#define VIGIL_AGENT_RUN_H

#include <stdbool.h>

#include "agent/agent.h"
#include "events/stream.h"
#include "export/http.h"

#define RUN_SINKS_MAX 16

struct run_options {
	const char *name; /* "run", "trace" or "sandbox": the prefix of its messages */
	bool policies;	  /* judge events and enforce: the agent */
	bool sandbox;	  /* run @command in a cgroup of its own, judged alone */
	struct stream_config cfg;
	const char *output;		  /* NULL: standard output */
	const char *sinks[RUN_SINKS_MAX]; /* --sink URLs (sinks/sink.h) */
	size_t n_sinks;
	size_t sink_queue; /* each sink's queue, in events; 0: the default */
	int colour;	   /* -1 auto, 0 never, 1 always */
	bool format_set;
	double duration; /* seconds; 0: until stopped */
	__u32 ring_bytes;
	double aggregate_s;
	__u64 budget_rate, budget_burst; /* raw events a second, and at once, per uid; 0: off */
	struct agent_config agent;
	char **command; /* sandbox: what to run */
	bool no_guard;
	const char *config;	/* --config: the configuration file to read */
	const char *policy_dir; /* --policy-dir, read when it exists; NULL: the default, "": none */
	const char *metrics;	/* --metrics ADDR:PORT as given, or NULL: no endpoint */
	struct metrics_addr metrics_addr; /* ... parsed */
	bool bpf_stats;			  /* count BPF programs' run time while running */
	unsigned int histograms;  /* latency histograms exported: 1 << enum lat_target each */
	const char *baseline_dir; /* --baseline: learn and monitor these; NULL: none */
};

/* Run until stopped; the exit code (cli/cli.h; a sandbox's is its command's). */
int run_main(struct run_options *o);

#endif
