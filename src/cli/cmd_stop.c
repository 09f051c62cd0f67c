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

static void stop_usage(FILE *out)
{
	fputs("usage: vigil stop\n\n"
	      "Ask the running agent (vigil run) to stop, as SIGTERM would: it writes what is\n"
	      "queued, prints its summary, detaches its programs and exits. Where BPF LSM works\n"
	      "the agent is tamper-protected: signals from other processes, root's included, are\n"
	      "refused, and this (or the init system, pid 1) is how it is stopped. Waits until it\n"
	      "has gone (at most 30 s). Needs root: the agent's control socket (" CONTROL_PATH ",\n"
	      "or $" CONTROL_ENV ") is root's only.\n",
	      out);
}

static int still_answers(void)
{
	return !control_request(control_path(), "ping", NULL, 0, NULL);
}

static int stop_run(int argc, char **argv)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	char *resp = NULL;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			stop_usage(stdout);
			return 0;
		}
		return usage_error("stop", "unexpected argument '%s'", argv[i]);
	}
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
		return ret == -EACCES || ret == -EPERM ? EXIT_NO_PRIVILEGE : EXIT_NO_FEATURE;
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
};
