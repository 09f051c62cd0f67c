// SPDX-License-Identifier: GPL-2.0
/* vigil status: what the running agent has in force and has seen. */
#include "cli/cli.h"
#include "core/control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void status_usage(FILE *out)
{
	fputs("usage: vigil status [--json]\n\n"
	      "Ask the running agent (vigil run) what it has in force: its policies and rules\n"
	      "with their hits, the events it has seen, shown and lost, and where it writes\n"
	      "them and how many it could not write (a full disk: docs/output.md). Needs\n"
	      "root: the agent's control socket (" CONTROL_PATH ", or $" CONTROL_ENV ") is\n"
	      "root's only.\n\n"
	      "  -j, --json   the agent's answer as one JSON object\n",
	      out);
}

static int status_run(int argc, char **argv)
{
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			status_usage(stdout);
			return 0;
		} else
			return usage_error("status", "unknown argument '%s'", argv[i]);
	}
	return agent_request("status", json ? "status json" : "status", NULL, 0);
}

const struct command cmd_status = {
	.name = "status",
	.summary = "what the running agent has in force: policies, rule hits, events",
	.run = status_run,
	.usage = status_usage,
};
