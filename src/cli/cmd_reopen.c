// SPDX-License-Identifier: GPL-2.0
/* vigil reopen: the running agent reopens its output file (after log rotation). */
#include "cli/cli.h"
#include "core/control.h"

#include <string.h>

static void reopen_usage(FILE *out)
{
	fputs("usage: vigil reopen\n\n"
	      "Ask the running agent (vigil run -o FILE) to reopen its output file, as SIGUSR1\n"
	      "does: after logrotate moved or removed it, events go to a new file at the same\n"
	      "path. The file is checked as at start (docs/output.md); when it cannot be\n"
	      "reopened, the agent says why here and keeps writing to the file it has.\n"
	      "Needs root: the agent's control socket (" CONTROL_PATH ", or $" CONTROL_ENV ")\n"
	      "is root's only.\n",
	      out);
}

static int reopen_run(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			reopen_usage(stdout);
			return 0;
		}
		return usage_error("reopen", "unexpected argument '%s'", argv[i]);
	}
	return agent_request("reopen", "reopen", NULL, 0);
}

const struct command cmd_reopen = {
	.name = "reopen",
	.summary = "the running agent reopens its output file (after log rotation)",
	.run = reopen_run,
	.usage = reopen_usage,
};
