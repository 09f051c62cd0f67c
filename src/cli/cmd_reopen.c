// SPDX-License-Identifier: GPL-2.0
/* vigil reopen: the running agent reopens its output file (after log rotation). */
#include "cli/cli.h"
#include "core/control.h"

#include <getopt.h>

static const struct cli_option reopen_options[] = {
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void reopen_usage(FILE *out)
{
	fputs("usage: vigil reopen\n\n"
	      "Ask the running agent (vigil run -o FILE) to reopen its output file, as SIGUSR1\n"
	      "does: after logrotate moved or removed it, events go to a new file at the same\n"
	      "path. The file is checked as at start (docs/output.md); when it cannot be\n"
	      "reopened, the agent says why here and keeps writing to the file it has.\n"
	      "Needs root: the agent's control socket (" CONTROL_PATH ", or $" CONTROL_ENV ")\n"
	      "is root's only.\n\n",
	      out);
	options_help(out, reopen_options, 0);
	fputs("\nExit status: 0, 1 when it could not reopen, or 3 when no agent is running.\n",
	      out);
}

static int reopen_run(int argc, char **argv)
{
	struct getopt_spec spec;
	int opt;

	options_getopt(reopen_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt != 'h')
			return options_error("reopen", opt, argv);
		reopen_usage(stdout);
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("reopen", "unexpected argument '%s'", argv[optind]);
	return agent_request("reopen", "reopen", NULL, 0);
}

const struct command cmd_reopen = {
	.name = "reopen",
	.summary = "the running agent reopens its output file (after log rotation)",
	.run = reopen_run,
	.usage = reopen_usage,
	.options = reopen_options,
};
