// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"
#include "agent/run.h"
#include "core/log.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void print_event_types(FILE *out)
{
	size_t col = 0;

	fputs("\nEvent types:", out);
	for (unsigned int t = 1; t < VIGIL_EV_TYPE_MAX; t++) {
		const char *name = event_type_name(t);

		if (!name)
			continue;
		if (col + strlen(name) > 70) {
			fputs("\n ", out);
			col = 0;
		}
		col += fprintf(out, " %s", name);
	}
	fputc('\n', out);
}

void stream_cmd_usage(const struct stream_cmd *cmd, FILE *out)
{
	fprintf(out,
		"usage: vigil %s [options]%s\n\n%s\n\n"
		"Output:\n"
		"  -f, --format json|text  JSON Lines, or aligned columns (default: text on a\n"
		"                          terminal, json otherwise)\n"
		"  -o, --output FILE       append to FILE (created 0600) instead of stdout;\n"
		"                          refused: a symbolic link, a hard-linked file, another\n"
		"                          user's file or one others may write, a directory, a\n"
		"                          block device, a missing name under /dev, files of\n"
		"                          /proc, /sys and the like\n"
		"      --color WHEN        colour text output: auto (default), always, never\n"
		"Filters (comma-separated lists; repeat an option to add more):\n"
		"  -e, --events TYPES      event types to show (default: all but open, which "
		"comes\n"
		"                          when named here or with --path; list below)\n"
		"  -p, --pid PIDS          only events of these processes\n"
		"  -c, --comm NAMES        only events of processes with these command names\n"
		"                          (the kernel keeps the first 15 bytes of a name)\n"
		"  -P, --path PATH         file events under PATH only (repeat for more); opens\n"
		"                          are matched in the kernel by inode, so hard links and\n"
		"                          other names of a watched file match too\n"
		"  -a, --access MODE       opens with this access only: read, write, read,write\n"
		"%s"
		"      --aggregate SECONDS repeated identical opens (same process, file, flags)\n"
		"                          within this window are counted in the kernel and\n"
		"                          reported once with file.repeats (default 1; 0: off)\n"
		"      --ring-buffer SIZE  kernel-to-vigil buffer, a power of two from 4K to 1G\n"
		"                          (default 8M); larger survives longer bursts\n"
		"  -v, --verbose           debug messages, libbpf's included\n"
		"  -h, --help              this help\n\n"
		"Every event names its process, its parent and its ancestors, also for processes\n"
		"started before vigil. Records the kernel could not queue are never dropped\n"
		"silently: they appear in the stream as \"lost\" records.\n\n"
		"Signals (docs/output.md): TERM, INT (Ctrl-C), QUIT and XCPU stop cleanly, with a\n"
		"summary: events seen, shown, lost and not written. HUP reloads the policies and\n"
		"reopens the output file; USR1 reopens it (after log rotation). PIPE and XFSZ are\n"
		"ignored: the write fails instead. USR2, ALRM, VTALRM, PROF, IO, PWR, STKFLT, "
		"SYS,\n"
		"TRAP and the realtime signals are ignored, with a line naming them.\n"
		"A write that fails (a full disk, a reader gone) ends a trace; the agent keeps\n"
		"running and enforcing, says so once, and counts the events it could not write\n"
		"(the summary, vigil status); only whole lines reach the file.\n",
		cmd->name, cmd->sandbox ? " --policy FILE -- CMD [ARGS...]" : "", cmd->purpose,
		cmd->has_duration ? "  -d, --duration SECONDS  stop after this long\n" : "");
	if (!cmd->sandbox)
		fprintf(out,
			"\nExamples:\n"
			"  sudo vigil %s\n"
			"  sudo vigil %s --events exec --comm bash,sh --format json\n"
			"  sudo vigil %s --events open --path /etc/shadow --path /root/.ssh\n"
			"  sudo vigil %s -o /var/log/vigil/events.json -f json\n",
			cmd->name, cmd->name, cmd->name, cmd->name);
	if (cmd->has_policies)
		fputs("\nPolicies (docs/policy.md):\n"
		      "      --policy PATH       load a policy file, or every .yaml/.yml file of "
		      "a\n"
		      "                          directory (repeat for more); edits are picked up\n"
		      "      --no-default-rules  leave out the built-in ruleset (vigil policy "
		      "list)\n"
		      "Events that match a rule are written with \"rule\" and \"action\"; others "
		      "only\n"
		      "when asked for with --events or --path. SIGHUP reloads the policies; a "
		      "policy\n"
		      "with errors is rejected and the ones in force stay. 'vigil reopen' asks "
		      "the\n"
		      "agent to reopen its output file, and says whether it could.\n"
		      "A policy's shield: section puts the XDP shield on the interfaces it names\n"
		      "(vigil help shield); reloads change its rules atomically, and the agent\n"
		      "detaches it when no policy names the interface any more, or when it "
		      "stops.\n",
		      out);
	if (cmd->has_policies && !cmd->sandbox)
		fputs("Tamper resistance (docs/enforcement.md):\n"
		      "      --no-guard          do not protect the agent (for debugging); by "
		      "default,\n"
		      "                          where BPF LSM works, no other process (root "
		      "included)\n"
		      "                          may ptrace it, signal it to stop (but pid 1), or "
		      "touch\n"
		      "                          its BPF objects; stop it with 'vigil stop' or "
		      "the\n"
		      "                          init system. The start-up line says if it is "
		      "protected.\n",
		      out);
	if (cmd->extra_usage)
		fputs(cmd->extra_usage, out);
	print_event_types(out);
}

/* "64K", "8M", "1G" or bytes; a power of two from a page to 1 GiB. */
static int parse_ring_size(const char *arg, __u32 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || arg[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		v <<= 10;
		end++;
		break;
	case 'M':
	case 'm':
		v <<= 20;
		end++;
		break;
	case 'G':
	case 'g':
		v <<= 30;
		end++;
		break;
	}
	if (*end || v < 4096 || v > (1ull << 30) || (v & (v - 1)))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_args(const struct stream_cmd *cmd, int argc, char **argv, struct run_options *a)
{
	static const struct option long_opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "color", required_argument, NULL, 'C' },
		{ "colour", required_argument, NULL, 'C' },
		{ "events", required_argument, NULL, 'e' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "path", required_argument, NULL, 'P' },
		{ "access", required_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ring-buffer", required_argument, NULL, 'R' },
		{ "aggregate", required_argument, NULL, 'A' },
		{ "policy", required_argument, NULL, 'Y' },
		{ "no-default-rules", no_argument, NULL, 'N' },
		{ "no-guard", no_argument, NULL, 'G' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char err[512], *end; /* room for the list of event types */
	int opt;

	a->colour = -1;
	a->aggregate_s = 1;
	opterr = 0;
	optind = 1;
	/* a sandbox stops at its command: the command's own options are not ours */
	while ((opt = getopt_long(argc, argv,
				  cmd->sandbox ? "+:f:o:e:p:c:P:a:d:vh" : ":f:o:e:p:c:P:a:d:vh",
				  long_opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!strcmp(optarg, "json"))
				a->cfg.format = FORMAT_JSON;
			else if (!strcmp(optarg, "text"))
				a->cfg.format = FORMAT_TEXT;
			else
				return usage_error(cmd->name,
						   "unknown format '%s': use json or text", optarg);
			a->format_set = true;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'C':
			if (!strcmp(optarg, "auto"))
				a->colour = -1;
			else if (!strcmp(optarg, "always"))
				a->colour = 1;
			else if (!strcmp(optarg, "never"))
				a->colour = 0;
			else
				return usage_error(cmd->name,
						   "--color takes auto, always or never, not '%s'",
						   optarg);
			break;
		case 'e':
			if (filter_add_types(&a->cfg.filter, optarg, err, sizeof(err)))
				return usage_error(cmd->name, "--events: %s", err);
			break;
		case 'p':
			if (filter_add_pids(&a->cfg.filter, optarg, err, sizeof(err)))
				return usage_error(cmd->name, "--pid: %s", err);
			break;
		case 'c':
			if (filter_add_comms(&a->cfg.filter, optarg, err, sizeof(err)))
				return usage_error(cmd->name, "--comm: %s", err);
			break;
		case 'P':
			if (filter_add_path(&a->cfg.filter, optarg, err, sizeof(err)))
				return usage_error(cmd->name, "--path: %s", err);
			break;
		case 'a':
			if (filter_set_access(&a->cfg.filter, optarg, err, sizeof(err)))
				return usage_error(cmd->name, "--access: %s", err);
			break;
		case 'd':
			if (!cmd->has_duration)
				return usage_error(cmd->name, "unknown option '--duration'");
			errno = 0;
			a->duration = strtod(optarg, &end);
			if (errno || *end || !(a->duration > 0))
				return usage_error(cmd->name,
						   "--duration takes a positive number of seconds, "
						   "not '%s'",
						   optarg);
			break;
		case 'A':
			errno = 0;
			a->aggregate_s = strtod(optarg, &end);
			if (errno || *end || a->aggregate_s < 0 || a->aggregate_s > 3600)
				return usage_error(
					cmd->name,
					"--aggregate takes seconds from 0 (off) to 3600, "
					"not '%s'",
					optarg);
			break;
		case 'R':
			if (parse_ring_size(optarg, &a->ring_bytes))
				return usage_error(
					cmd->name,
					"--ring-buffer takes a power of two from 4K to 1G "
					"(like 64K or 8M), not '%s'",
					optarg);
			break;
		case 'Y':
			if (!cmd->has_policies)
				return usage_error(cmd->name, "unknown option '--policy'");
			if (a->agent.n_paths == AGENT_MAX_PATHS)
				return usage_error(cmd->name, "at most %d --policy paths",
						   AGENT_MAX_PATHS);
			a->agent.paths[a->agent.n_paths++] = optarg;
			break;
		case 'N':
			if (!cmd->has_policies)
				return usage_error(cmd->name,
						   "unknown option '--no-default-rules'");
			a->agent.no_defaults = true;
			break;
		case 'G':
			if (!cmd->has_policies || cmd->sandbox)
				return usage_error(cmd->name, "unknown option '--no-guard'");
			a->no_guard = true;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'h':
			stream_cmd_usage(cmd, stdout);
			exit(0);
		case ':':
			return usage_error(cmd->name, "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error(cmd->name, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (cmd->sandbox) {
		if (optind == argc)
			return usage_error(cmd->name, "what to run? vigil sandbox --policy FILE -- "
						      "CMD [ARGS...]");
		if (!a->agent.n_paths)
			return usage_error(cmd->name, "a sandbox needs at least one --policy");
		a->command = &argv[optind];
		a->agent.no_defaults = true;
		return 0;
	}
	if (optind < argc)
		return usage_error(cmd->name, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int stream_cmd_main(const struct stream_cmd *cmd, int argc, char **argv)
{
	struct run_options o = {
		.name = cmd->name,
		.policies = cmd->has_policies,
		.sandbox = cmd->sandbox,
	};
	int ret = parse_args(cmd, argc, argv, &o);

	if (!ret)
		ret = run_main(&o);
	filter_free(&o.cfg.filter);
	return ret;
}
