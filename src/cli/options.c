// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"

#include <errno.h>
#include <string.h>

static bool taken(const struct cli_option *o, unsigned int variant)
{
	return o->name && (!variant || !o->only || (o->only & variant));
}

int options_getopt(const struct cli_option *table, unsigned int variant, bool stop_at_operand,
		   struct getopt_spec *out)
{
	size_t n = 0, s = 0;

	memset(out, 0, sizeof(*out));
	/* '+': stop at the first operand; ':': a missing value is told apart from an unknown */
	if (stop_at_operand)
		out->shorts[s++] = '+';
	out->shorts[s++] = ':';
	for (const struct cli_option *o = table; o->name || o->help; o++) {
		if (!taken(o, variant))
			continue;
		if (n == OPTIONS_MAX)
			return -E2BIG;
		out->longs[n++] =
			(struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
					 o->key };
		if (o->key < 256) {
			out->shorts[s++] = o->key;
			if (o->arg)
				out->shorts[s++] = ':';
		}
	}
	return 0;
}

/* "  -f, --format ARG" or "      --format ARG" */
static int left_column(char *buf, size_t len, const struct cli_option *o)
{
	if (o->key < 256)
		return snprintf(buf, len, "  -%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
				o->arg ? o->arg : "");
	return snprintf(buf, len, "      --%s%s%s", o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

void options_help(FILE *out, const struct cli_option *table, unsigned int variant)
{
	char left[128];
	bool first = true;
	int width = 0;

	for (const struct cli_option *o = table; o->name || o->help; o++) {
		int w;

		if (!taken(o, variant))
			continue;
		w = left_column(left, sizeof(left), o);
		if (w > width)
			width = w;
	}
	width += 2;
	for (const struct cli_option *o = table; o->name || o->help; o++) {
		const char *line = o->help, *nl;

		if (!o->name) {
			/* a heading: shown when an option under it is */
			const struct cli_option *next = o + 1;

			while (next->name && !taken(next, variant))
				next++;
			if (next->name)
				fprintf(out, "%s%s\n", first ? "" : "\n", o->help);
			first = false;
			continue;
		}
		if (!taken(o, variant))
			continue;
		first = false;
		left_column(left, sizeof(left), o);
		fprintf(out, "%-*s", width, left);
		while ((nl = strchr(line, '\n'))) {
			fprintf(out, "%.*s\n%*s", (int)(nl - line), line, width, "");
			line = nl + 1;
		}
		fprintf(out, "%s\n", line);
	}
}

const struct cli_option *options_find(const struct cli_option *table, int key)
{
	for (const struct cli_option *o = table; o->name || o->help; o++)
		if (o->name && o->key == key)
			return o;
	return NULL;
}

int options_error(const char *cmd, int opt, char **argv)
{
	const char *typed = argv[optind - 1];

	if (opt == ':')
		return usage_error(cmd, "option '%s' needs a value", typed);
	if (!strncmp(typed, "--", 2))
		return usage_error(cmd, "unknown option '%.*s'", (int)strcspn(typed, "="), typed);
	return usage_error(cmd, "unknown option '-%c'", optopt ? optopt : '?');
}
