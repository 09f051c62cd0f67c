// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"

static const struct stream_cmd trace = {
	.name = "trace",
	.variant = STREAM_TRACE,
	.purpose = "Trace what processes do now, with filters: every event type but open and tls\n"
		   "by default (process, file, network, privilege, kernel and shell events; opens\n"
		   "when named with --events or watched with --path, tls when named). Nothing is\n"
		   "enforced and no policy is loaded. Ctrl-C, SIGTERM or --duration stops it and\n"
		   "prints a summary.",
	.extra_usage =
		"\nExamples:\n"
		"  sudo vigil trace --events exec --comm bash,sh   # like execsnoop\n"
		"  sudo vigil trace --events exec,exit,open -d 10 --format json\n"
		"  sudo vigil trace --events open --path /etc/shadow --path /root/.ssh\n"
		"  sudo vigil trace --events shell,tls   # what is typed into bash; TLS peers\n",
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
	.summary = "trace what processes do, with filters (like execsnoop, opensnoop)",
	.run = trace_run,
	.usage = trace_usage,
	.options = stream_options,
	.variant = STREAM_TRACE,
};
