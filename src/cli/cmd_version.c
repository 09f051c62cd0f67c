// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "core/version.h"

#include <bpf/libbpf.h>

static const struct cli_option version_options[] = {
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void version_usage(FILE *out)
{
	fprintf(out, "usage: vigil version\n\nPrint vigil's version and the libbpf it runs "
		     "with.\n\n");
	options_help(out, version_options, 0);
}

static int version_run(int argc, char **argv)
{
	struct getopt_spec spec;
	int opt;

	options_getopt(version_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt != 'h')
			return options_error("version", opt, argv);
		version_usage(stdout);
		return EXIT_OK;
	}
	if (optind < argc)
		return usage_error("version", "unexpected argument '%s'", argv[optind]);
	printf("vigil %s (libbpf %s)\n", vigil_version(), libbpf_version_string());
	return EXIT_OK;
}

const struct command cmd_version = {
	.name = "version",
	.summary = "print the version",
	.run = version_run,
	.usage = version_usage,
	.options = version_options,
};
