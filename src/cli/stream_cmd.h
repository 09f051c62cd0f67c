/* SPDX-License-Identifier: GPL-2.0 */
/* `vigil run` and `vigil trace` share their stream options and their main loop. */
#ifndef VIGIL_CLI_STREAM_CMD_H
#define VIGIL_CLI_STREAM_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct stream_cmd {
	const char *name;    /* "run" or "trace" */
	const char *purpose; /* one line for --help */
	const char *extra_usage;
	bool has_duration; /* accepts --duration */
	bool has_policies; /* enforces policies: --policy, --no-default-rules */
	bool sandbox;	   /* runs `-- CMD ARGS...` in a cgroup of its own, judged alone */
};

int stream_cmd_main(const struct stream_cmd *cmd, int argc, char **argv);
void stream_cmd_usage(const struct stream_cmd *cmd, FILE *out);

#endif
