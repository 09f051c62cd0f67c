/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `vigil run`, `vigil trace` and `vigil sandbox` share their options (one table, which is also
 * the list of keys of the agent's configuration file) and their main loop (agent/run.h).
 */
#ifndef VIGIL_CLI_STREAM_CMD_H
#define VIGIL_CLI_STREAM_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "agent/config.h"
#include "agent/run.h"
#include "cli/options.h"

/* Which of the three: cli_option.only masks */
enum stream_variant {
	STREAM_RUN = 1 << 0,
	STREAM_TRACE = 1 << 1,
	STREAM_SANDBOX = 1 << 2,
};

struct stream_cmd {
	const char *name;
	enum stream_variant variant;
	const char *purpose;	 /* what it does, for --help */
	const char *operands;	 /* after "[options]" in the usage line */
	const char *extra_usage; /* after the options */
};

extern const struct cli_option stream_options[];

/* The keys of stream_options are below this: the size of a @given array. */
#define STREAM_OPT_KEYS 512

int stream_cmd_main(const struct stream_cmd *cmd, int argc, char **argv);
void stream_cmd_usage(const struct stream_cmd *cmd, FILE *out);

/*
 * Apply the settings of @cf (read by config_read) to @o as `vigil run`'s options, but for the
 * options whose keys @given (STREAM_OPT_KEYS entries, or NULL) marks (set on the command
 * line: they win; their values are still checked). Problems go to @d with their place; -EINVAL when
 * there is any.
 */
int stream_config_apply(const struct config_file *cf, struct run_options *o, const bool *given,
			struct diags *d);

/* The entry of stream_options whose configuration key is @key, or NULL. */
const struct cli_option *stream_config_option(const char *key);

#endif
