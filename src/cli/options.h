/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A command's options as one table, from which both getopt_long's arrays and the option lines
 * of its help are made: an option cannot be accepted without being documented, or the reverse.
 */
#ifndef VIGIL_CLI_OPTIONS_H
#define VIGIL_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct cli_option {
	const char *name; /* long name without "--"; NULL: a heading (@help) or the table's end */
	int key;	  /* the short letter, or a value above 255 for a long name alone */
	const char *arg;  /* the argument's name in the help; NULL: a flag */
	const char *help; /* its help: lines separated by '\n', without the indentation */
	/*
	 * `vigil run` only: its key in the configuration file (vigil.yaml) and the default as
	 * written there. A flag's key is a switch: "off" turns it on (--no-guard: guard: off).
	 */
	const char *config;
	const char *config_default;
	unsigned int only; /* a mask of the variants that take it (0: all; stream_cmd.h) */
	bool many;	   /* may be repeated: a list in the configuration file */
};

/* An entry with a name, a letter (or key), an argument's name (NULL: a flag) and its help. */
#define OPTION(n, k, a, h)                                                                         \
	{                                                                                          \
		.name = (n), .key = (k), .arg = (a), .help = (h)                                   \
	}

#define OPTIONS_MAX 48

struct getopt_spec {
	struct option longs[OPTIONS_MAX + 1];
	char shorts[3 * OPTIONS_MAX + 3];
};

/*
 * getopt_long's arrays for the options of @table that @variant takes (0: all). @stop_at_operand:
 * stop at the first operand (a command to run follows). -E2BIG when the table is too long.
 */
int options_getopt(const struct cli_option *table, unsigned int variant, bool stop_at_operand,
		   struct getopt_spec *out);

/* The options' help lines and headings, aligned in two columns. */
void options_help(FILE *out, const struct cli_option *table, unsigned int variant);

/* The entry of @key, or NULL. */
const struct cli_option *options_find(const struct cli_option *table, int key);

/*
 * For getopt_long's return @opt of ':' (a missing value) or '?' (unknown): the usage error
 * naming what was typed; EXIT_USAGE.
 */
int options_error(const char *cmd, int opt, char **argv);

#endif
