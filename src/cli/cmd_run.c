// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"

static const struct stream_cmd run = {
	.name = "run",
	.purpose = "Run the vigil agent: load the sensors and the policies (the built-in MITRE "
		   "ATT&CK\n"
		   "ruleset unless --no-default-rules), and report what matches until stopped.",
	.has_policies = true,
};

static int run_run(int argc, char **argv)
{
	return stream_cmd_main(&run, argc, argv);
}

static void run_usage(FILE *out)
{
	stream_cmd_usage(&run, out);
}

const struct command cmd_run = {
	.name = "run",
	.summary = "run the agent: stream security events",
	.run = run_run,
	.usage = run_usage,
};
