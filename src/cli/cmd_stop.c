// SPDX-License-Identifier: GPL-2.0
/* vigil stop: ask the running agent to shut down, the way that works when it is protected. */
#include "cli/cli.h"
#include "core/control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long the agent gets to drain its events and detach. */
#define WAIT_S 30

static const struct cli_option stop_options[] = {
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void stop_usage(FILE *out)
{
	fputs("usage: vigil stop\n\n"
	      "Ask the running agent (vigil run) to stop, as SIGTERM would: it writes what is\n"
	      "queued, prints its summary, detaches its programs and exits. Where BPF LSM works\n"
	      "the agent is tamper-protected: signals from other processes, root's included, are\n"
	      "refused, and this (or the init system, pid 1) is how it is stopped. Waits until it\n"
	      "has gone (at most 30 s). Needs root: the agent's control socket (" CONTROL_PATH ",\n"
	      "or $" CONTROL_ENV ") is root's only.\n\n",
	      out);
	options_help(out, stop_options, 0);
	fputs("\nExit status: 0 once it has gone, 3 when no agent is running, 1 when it still\n"
	      "answers after 30 s (vigil help: every code).\n",
	      out);
}

/* Its socket is gone or dead; while it drains its events it may answer nothing yet. */
static bool gone(void)
{
	int ret = control_request(control_path(), "ping", NULL, 0, NULL);

	return ret == -ENOENT || ret == -ECONNREFUSED;
}

static int stop_run(int argc, char **argv)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	struct getopt_spec spec;
	int ret, opt;

	options_getopt(stop_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt != 'h')
			return options_error("stop", opt, argv);
		stop_usage(stdout);
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("stop", "unexpected argument '%s'", argv[optind]);
	ret = agent_request("stop", "stop", NULL, 0);
	if (ret)
		return ret;
	for (time_t end = time(NULL) + WAIT_S; time(NULL) < end; nanosleep(&pause, NULL))
		if (gone()) {
			printf("stopped\n");
			return 0;
		}
	fprintf(stderr, "vigil: stop: the agent still answers after %d s\n", WAIT_S);
	return EXIT_RUNTIME;
}

const struct command cmd_stop = {
	.name = "stop",
	.summary = "stop the running agent (over its control socket; works when protected)",
	.run = stop_run,
	.usage = stop_usage,
	.options = stop_options,
};
