// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"

#include <bpf/libbpf.h>

static void version_usage(FILE *out)
{
	fprintf(out,
		"usage: vigil version\n\nPrint vigil's version and the libbpf it runs with.\n");
}

static int version_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("vigil %s (libbpf %s)\n", VIGIL_VERSION, libbpf_version_string());
	return 0;
}

const struct command cmd_version = {
	.name = "version",
	.summary = "print the version",
	.run = version_run,
	.usage = version_usage,
};
