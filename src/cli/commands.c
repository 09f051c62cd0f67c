// SPDX-License-Identifier: GPL-2.0
/* The list of commands, and what is common to all: usage errors and the exit codes. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

const struct command *const vigil_commands[] = {
	&cmd_run,     &cmd_stop,   &cmd_trace,	 &cmd_sandbox, &cmd_policy,   &cmd_config,
	&cmd_status,  &cmd_reopen, &cmd_probe,	 &cmd_version, &cmd_shield,   &cmd_unload,
	&cmd_latency, &cmd_top,	   &cmd_profile, &cmd_collect, &cmd_baseline, NULL,
};

const struct command *find_command(const char *name)
{
	for (size_t i = 0; vigil_commands[i]; i++)
		if (!strcmp(vigil_commands[i]->name, name))
			return vigil_commands[i];
	return NULL;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vigil: %s: %s\nTry 'vigil help %s'.\n", cmd, msg, cmd);
	return EXIT_USAGE;
}

int control_exit(int err)
{
	if (err == -EACCES || err == -EPERM)
		return EXIT_NO_PRIVILEGE;
	/* no socket, or nobody listening on it */
	if (err == -ENOENT || err == -ECONNREFUSED)
		return EXIT_NOT_RUNNING;
	return EXIT_RUNTIME;
}

void print_exit_codes(FILE *out)
{
	fputs("Exit codes:\n", out);
#define VIGIL_EXIT_LINE(name, value, meaning) fprintf(out, "  %-3d %s\n", value, meaning);
	VIGIL_EXIT_CODES(VIGIL_EXIT_LINE)
#undef VIGIL_EXIT_LINE
}
