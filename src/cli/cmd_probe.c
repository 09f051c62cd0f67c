// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the capability matrix lands from the probe branch. */
#include "cli/cli.h"

static void probe_usage(FILE *out)
{
	fprintf(out, "usage: vigil probe\n");
}

static int probe_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return EX_UNAVAILABLE;
}

const struct command cmd_probe = {
	.name = "probe",
	.summary = "show what this kernel supports",
	.run = probe_run,
	.usage = probe_usage,
};
