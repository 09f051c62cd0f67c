// SPDX-License-Identifier: GPL-2.0
/* vigil stop: ask the running agent to shut down, the way that works when it is protected. */
#include "cli/cli.h"
#include "core/control.h"

#include <errno.h>
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

static int still_answers(void)
{
	return !control_request(control_path(), "ping", NULL, 0, NULL);
}

static int stop_run(int argc, char **argv)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	struct getopt_spec spec;
	char *resp = NULL;
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
	ret = control_request(control_path(), "stop", NULL, 0, &resp);
	if (ret < 0) {
		if (ret == -EACCES || ret == -EPERM)
			fprintf(stderr, "vigil: stop: permission denied: run it as root\n");
		else if (ret == -ENOENT || ret == -ECONNREFUSED)
			fprintf(stderr,
				"vigil: stop: no agent is running (nothing answers at %s)\n",
				control_path());
		else
			fprintf(stderr, "vigil: stop: cannot ask the agent: %s\n", strerror(-ret));
		return control_exit(ret);
	}
	fputs(resp, ret ? stderr : stdout);
	free(resp);
	if (ret)
		return EXIT_RUNTIME;
	for (int i = 0; i < WAIT_S * 10; i++) {
		if (!still_answers()) {
			printf("stopped\n");
			return 0;
		}
		nanosleep(&pause, NULL);
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
