// SPDX-License-Identifier: GPL-2.0
/* vigil status: what the running agent has in force and has seen. */
#include "cli/cli.h"
#include "core/control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_option status_options[] = {
	OPTION("json", 'j', NULL, "the agent's answer as one JSON object"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void status_usage(FILE *out)
{
	fputs("usage: vigil status [--json]\n\n"
	      "Ask the running agent (vigil run) what it has in force: its policies and rules\n"
	      "with their hits, and the events it has seen, shown and lost. Needs root: the\n"
	      "agent's control socket (" CONTROL_PATH ", or $" CONTROL_ENV ") is root's only.\n\n",
	      out);
	options_help(out, status_options, 0);
	fputs("\nExit status: 0, or 3 when no agent is running (vigil help: every code).\n", out);
}

static int status_run(int argc, char **argv)
{
	struct getopt_spec spec;
	bool json = false;
	char *resp = NULL;
	int ret, opt;

	options_getopt(status_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'h') {
			status_usage(stdout);
			return EXIT_OK;
		} else
			return options_error("status", opt, argv);
	}
	if (optind < argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind]);
	ret = control_request(control_path(), json ? "status json" : "status", NULL, 0, &resp);
	if (ret < 0) {
		if (ret == -EACCES || ret == -EPERM)
			fprintf(stderr, "vigil: status: permission denied: run it as root\n");
		else if (ret == -ENOENT || ret == -ECONNREFUSED)
			fprintf(stderr,
				"vigil: status: no agent is running (nothing answers at %s)\n",
				control_path());
		else
			fprintf(stderr, "vigil: status: cannot ask the agent: %s\n",
				strerror(-ret));
		return control_exit(ret);
	}
	fputs(resp, ret ? stderr : stdout);
	free(resp);
	return ret ? EXIT_RUNTIME : 0;
}

const struct command cmd_status = {
	.name = "status",
	.summary = "what the running agent has in force: policies, rule hits, events",
	.run = status_run,
	.usage = status_usage,
	.options = status_options,
};
