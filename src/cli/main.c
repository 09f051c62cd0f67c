// SPDX-License-Identifier: GPL-2.0
/* vigil: eBPF runtime security and observability. Dispatches to one subcommand. */
#include "cli/cli.h"
#include "core/log.h"

#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: vigil <command> [options]\n\ncommands:\n");
	for (size_t i = 0; vigil_commands[i]; i++)
		fprintf(out, "  %-10s %s\n", vigil_commands[i]->name, vigil_commands[i]->summary);
	fprintf(out, "  %-10s %s\n", "help", "show help for a command: vigil help <command>");
	fprintf(out, "\nRun 'vigil help <command>' or 'vigil <command> --help' for its options.\n"
		     "Most commands need root.\n\n");
	print_exit_codes(out);
}

static int help(int argc, char **argv)
{
	const struct command *cmd;

	/* "vigil help help" is asking what help does: this */
	if (argc < 2 || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "vigil: no command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd->usage(stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	log_bridge_libbpf();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version.run(1, argv + 1);
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "vigil: no command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
