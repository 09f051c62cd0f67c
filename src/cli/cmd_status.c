// SPDX-License-Identifier: GPL-2.0
/* vigil status: what the running agent has in force and has seen. */
#include "cli/cli.h"
#include "core/control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_option status_options[] = {
	OPTION("all", 'a', NULL, "every rule"),
	OPTION("policy", 'p', "NAME", "only this policy, every rule of it"),
	OPTION("rule", 'r', "TEXT", "only the rules whose id contains TEXT"),
	OPTION("json", 'j', NULL,
	       "the agent's answer as one JSON object (every rule,\n"
	       "unless --policy or --rule narrows it)"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void status_usage(FILE *out)
{
	fputs("usage: vigil status [--all] [--policy NAME] [--rule TEXT] [--json]\n\n"
	      "Ask the running agent (vigil run) what it has in force: each policy with its\n"
	      "mode, rule count, hits and source (built-in, or its file), then the rules that\n"
	      "have hits or are enforced, the events it has seen, shown and lost, and where it\n"
	      "writes them and how many it could not write (a full disk: docs/output.md).\n"
	      "Needs root: the agent's control socket (" CONTROL_PATH ", or $" CONTROL_ENV ")\n"
	      "is root's only.\n\n",
	      out);
	options_help(out, status_options, 0);
	fputs("\nExit status: 0, or 3 when no agent is running (vigil help: every code).\n", out);
}

static int status_run(int argc, char **argv)
{
	const char *policy = NULL, *rule = NULL;
	bool json = false, all = false;
	struct getopt_spec spec;
	char body[1024];
	int n, opt;

	options_getopt(status_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'a')
			all = true;
		else if (opt == 'p' || opt == 'r') {
			if (!optarg[0] || strchr(optarg, '\n') || strlen(optarg) > 256)
				return usage_error("status", "--%s needs a name or some text",
						   opt == 'p' ? "policy" : "rule");
			*(opt == 'p' ? &policy : &rule) = optarg;
		} else if (opt == 'h') {
			status_usage(stdout);
			return EXIT_OK;
		} else
			return options_error("status", opt, argv);
	}
	if (optind < argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind]);
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
	.options = status_options,
};
