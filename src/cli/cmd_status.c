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
	fputs("usage: vigil status [--all] [--policy NAME] [--rule TEXT] [--json]\n\n"
	      "Ask the running agent (vigil run) what it has in force: each policy with its\n"
	      "mode, rule count, hits and source (built-in, or its file), then the rules that\n"
	      "have hits or are enforced, and the events it has seen, shown and lost. Needs\n"
	      "root: the agent's control socket (" CONTROL_PATH ", or $" CONTROL_ENV ") is\n"
	      "root's only.\n\n"
	      "  -a, --all           every rule\n"
	      "  -p, --policy NAME   only this policy, every rule of it\n"
	      "  -r, --rule TEXT     only the rules whose id contains TEXT\n"
	      "  -j, --json          the agent's answer as one JSON object (every rule, unless\n"
	      "                      --policy or --rule narrows it)\n",
	      out);
}

static int status_run(int argc, char **argv)
{
	const char *policy = NULL, *rule = NULL;
	bool json = false, all = false;
	char body[1024];
	int n;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **value = NULL;

		if (!strcmp(a, "-j") || !strcmp(a, "--json"))
			json = true;
		else if (!strcmp(a, "-a") || !strcmp(a, "--all"))
			all = true;
		else if (!strcmp(a, "-p") || !strcmp(a, "--policy"))
			value = &policy;
		else if (!strcmp(a, "-r") || !strcmp(a, "--rule"))
			value = &rule;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			status_usage(stdout);
			return 0;
		} else
			return usage_error("status", "unknown argument '%s'", a);
		if (!value)
			continue;
		if (++i == argc || !argv[i][0] || strchr(argv[i], '\n') || strlen(argv[i]) > 256)
			return usage_error("status", "%s needs a name or some text", a);
		*value = argv[i];
	}
	/* the options, a line each: the agent picks what to show */
	n = snprintf(body, sizeof(body), "%s%s%s%s%s%s", all ? "all\n" : "",
		     policy ? "policy " : "", policy ? policy : "", policy ? "\n" : "",
		     rule ? "rule " : "", rule ? rule : "");
	return agent_request("status", json ? "status json" : "status", body, n);
}

const struct command cmd_status = {
	.name = "status",
	.summary = "what the running agent has in force: policies, rule hits, events",
	.run = status_run,
	.usage = status_usage,
};
