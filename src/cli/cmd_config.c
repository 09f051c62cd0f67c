// SPDX-License-Identifier: GPL-2.0
/* vigil config check|show: the agent's configuration file, read as `vigil run` reads it. */
#include "cli/cli.h"
#include "cli/stream_cmd.h"

#include <string.h>
#include <sys/stat.h>

static const struct cli_option config_options[] = {
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void config_usage(FILE *out)
{
	fputs("usage: vigil config <check|show> [FILE]\n\n"
	      "The agent's configuration file: vigil run's options by their long names\n"
	      "(vigil help run lists the keys), commented in packaging/vigil.yaml. FILE, or\n"
	      "$" CONFIG_ENV ", or " CONFIG_PATH ".\n\n"
	      "  check [FILE]   check it as vigil run would: every problem as file:line:col;\n"
	      "                 exit 78 when any is an error\n"
	      "  show [FILE]    the settings vigil run takes from it, and the defaults of the\n"
	      "                 keys it leaves out (flags given to vigil run win over both)\n\n"
	      "Options:\n",
	      out);
	options_help(out, config_options, 0);
	fputs("\nExamples:\n"
	      "  vigil config check\n"
	      "  vigil config check ./vigil.yaml\n"
	      "  vigil config show\n",
	      out);
}

/* A policy path that is not there: vigil run would refuse to start. */
static void warn_missing_paths(const struct config_file *cf, struct diags *d)
{
	struct stat st;

	for (size_t i = 0; i < cf->n; i++) {
		const struct config_entry *e = &cf->entries[i];

		if (strcmp(e->key, "policy"))
			continue;
		for (size_t k = 0; k < e->n_values; k++)
			if (*e->values[k].text && stat(e->values[k].text, &st))
				diags_add(d, DIAG_WARNING, cf->path, e->values[k].line,
					  e->values[k].col,
					  "%s: %s is not there (vigil run here would refuse it)",
					  e->key, e->values[k].text);
	}
}

/* Read and check @path; EXIT_OK or EXIT_CONFIG, with the problems printed. */
static int load(struct config_file *cf, const char *path, bool named)
{
	struct run_options scratch = { 0 };
	struct diags d = { 0 };
	int err = config_read(cf, path, named, &d);

	if (!err)
		err = stream_config_apply(cf, &scratch, NULL, &d);
	if (!err)
		warn_missing_paths(cf, &d);
	filter_free(&scratch.cfg.filter);
	diags_print(&d, stderr);
	diags_free(&d);
	return err ? EXIT_CONFIG : EXIT_OK;
}

static void show_entry(const struct config_entry *e)
{
	printf("%s: ", e->key);
	if (e->list)
		putchar('[');
	for (size_t k = 0; k < e->n_values; k++)
		printf("%s%s%s%s", k ? ", " : "", e->values[k].quoted ? "\"" : "",
		       e->values[k].text, e->values[k].quoted ? "\"" : "");
	if (e->list)
		putchar(']');
}

static void show(const struct config_file *cf)
{
	for (const struct cli_option *o = stream_options; o->name || o->help; o++) {
		const struct config_entry *e = NULL;

		if (!o->config)
			continue;
		for (size_t i = 0; i < cf->n && !e; i++)
			if (!strcmp(cf->entries[i].key, o->config))
				e = &cf->entries[i];
		if (e) {
			show_entry(e);
			printf("   # %s:%u\n", cf->path, e->line);
		} else {
			printf("%s: %s   # default\n", o->config, o->config_default);
		}
	}
}

static int config_run(int argc, char **argv)
{
	struct config_file cf = { 0 };
	const char *sub, *path;
	bool named = true;
	int ret;

	if (argc < 2) {
		config_usage(stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		config_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "check") && strcmp(sub, "show"))
		return usage_error("config", "unknown subcommand '%s': use check or show", sub);
	if (argc > 3)
		return usage_error("config", "%s takes one file at most", sub);
	if (argc == 3 && argv[2][0] == '-')
		return usage_error("config", "unknown option '%s'", argv[2]);
	path = argc == 3 ? argv[2] : config_path(NULL, &named);
	ret = load(&cf, path, named);
	if (ret == EXIT_OK && !strcmp(sub, "show"))
		show(&cf);
	else if (ret == EXIT_OK)
		printf(cf.loaded ? "ok: %s: %zu %s\n" : "ok: no %s: every setting is its default\n",
		       path, cf.n, cf.n == 1 ? "setting" : "settings");
	config_free(&cf);
	return ret;
}

const struct command cmd_config = {
	.name = "config",
	.summary = "check or show the agent's configuration file (" CONFIG_PATH ")",
	.run = config_run,
	.usage = config_usage,
	.options = config_options,
};
