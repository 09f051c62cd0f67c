// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"

static const struct stream_cmd trace = {
	.name = "trace",
	.purpose = "Trace process activity now, like execsnoop: exec, fork and exit of every "
		   "process,\n"
		   "with filters. Nothing is enforced.",
	.has_duration = true,
};

static int trace_run(int argc, char **argv)
{
	return stream_cmd_main(&trace, argc, argv);
}

static void trace_usage(FILE *out)
{
	stream_cmd_usage(&trace, out);
}

const struct command cmd_trace = {
	.name = "trace",
	.summary = "trace process events with filters (like execsnoop)",
	.run = trace_run,
	.usage = trace_usage,
};
