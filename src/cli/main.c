// SPDX-License-Identifier: GPL-2.0
/* vigil: eBPF runtime security and observability. Dispatches to one subcommand. */
#include "cli/cli.h"
#include "core/control.h"
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

static const struct command *const commands[] = {
	&cmd_run,    &cmd_stop,	 &cmd_trace,   &cmd_sandbox, &cmd_policy, &cmd_status,
	&cmd_reopen, &cmd_probe, &cmd_version, &cmd_shield,  &cmd_unload,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: vigil <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "  %-10s %s\n", "help", "show help for a command: vigil help <command>");
	fprintf(out, "\nRun 'vigil help <command>' or 'vigil <command> --help' for its options.\n"
		     "Exit codes: 0 ok, 1 runtime failure, 64 bad usage, 69 kernel feature\n"
		     "missing, 77 not enough privilege (most commands need root).\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
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
	return EX_USAGE;
}

static int help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "vigil: no command '%s'\n", argv[1]);
		usage(stderr);
		return EX_USAGE;
	}
	cmd->usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	log_bridge_libbpf();
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version.run(1, argv + 1);
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "vigil: no command '%s'\n", argv[1]);
		usage(stderr);
		return EX_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
