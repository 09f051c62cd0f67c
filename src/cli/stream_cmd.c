// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"
#include "core/log.h"
#include "perf/latency.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* long-only options: keys above any letter */
enum {
	OPT_COLOR = 256,
	OPT_RING_BUFFER,
	OPT_AGGREGATE,
	OPT_EVENT_BUDGET,
	OPT_POLICY,
	OPT_POLICY_DIR,
	OPT_NO_DEFAULT_RULES,
	OPT_NO_GUARD,
	OPT_KEEP_ENFORCEMENT,
	OPT_CONFIG,
	OPT_SINK,
	OPT_SINK_QUEUE,
	OPT_METRICS,
	OPT_BPF_STATS,
	OPT_HISTOGRAMS,
	OPT_BASELINE,
	OPT_KEYS,
};

_Static_assert(OPT_KEYS <= STREAM_OPT_KEYS, "the keys fit a given[] array");

#define RUN	STREAM_RUN
#define TRACE	STREAM_TRACE
#define SANDBOX STREAM_SANDBOX

/* Only run reads the configuration file: entries with a config key must be taken by run. */
const struct cli_option stream_options[] = {
	{ .help = "Output:" },
	{ .name = "format",
	  .key = 'f',
	  .arg = "FORMAT",
	  .help = "json (JSON Lines), text (aligned columns) or auto (the\n"
		  "default): text on a terminal, json otherwise",
	  .config = "format",
	  .config_default = "auto" },
	{ .name = "output",
	  .key = 'o',
	  .arg = "FILE",
	  .help = "append to FILE (created 0600); - is standard output;\n"
		  "refused: a symbolic link, a hard-linked file, another\n"
		  "user's file or one others may write, a directory, a\n"
		  "block device, a missing name under /dev, files of\n"
		  "/proc, /sys and the like. Under systemd the agent also\n"
		  "logs each alert to the journal (at most 10 a second)",
	  .config = "output",
	  .config_default = "\"-\"" },
	{ .name = "sink",
	  .key = OPT_SINK,
	  .arg = "URL",
	  .help = "also send every event, as a JSON line, to URL (repeat\n"
		  "for more): file:PATH, syslog+udp://HOST:PORT,\n"
		  "syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT,\n"
		  "syslog: (the local /dev/log), journald: (docs/output.md),\n"
		  "nats://HOST:PORT[?OPTIONS] (JetStream, a disk spool,\n"
		  "batch=N for more events a second: docs/nats.md).\n"
		  "Each has its own queue: a slow or dead sink delays\n"
		  "nothing else, and what it misses is counted (vigil status)",
	  .config = "sink",
	  .config_default = "[]",
	  .only = RUN,
	  .many = true },
	{ .name = "sink-queue",
	  .key = OPT_SINK_QUEUE,
	  .arg = "EVENTS",
	  .help = "how many events each sink's queue holds while it is slow\n"
		  "or away (default 16384); a full queue drops, counted",
	  .config = "sink-queue",
	  .config_default = "16384",
	  .only = RUN },
	{ .name = "color",
	  .key = OPT_COLOR,
	  .arg = "WHEN",
	  .help = "colour text output: auto (default), always, never",
	  .config = "color",
	  .config_default = "auto" },
	{ .help = "Filters (comma-separated lists; repeat an option to add more):" },
	{ .name = "events",
	  .key = 'e',
	  .arg = "TYPES",
	  .help = "event types to show (default: all but open and tls, which\n"
		  "come when named here, open also with --path; list below)",
	  .config = "events",
	  .config_default = "[]",
	  .many = true },
	{ .name = "pid",
	  .key = 'p',
	  .arg = "PIDS",
	  .help = "only events of these processes",
	  .config = "pid",
	  .config_default = "[]",
	  .many = true },
	{ .name = "comm",
	  .key = 'c',
	  .arg = "NAMES",
	  .help = "only events of processes with these command names\n"
		  "(the kernel keeps the first 15 bytes of a name)",
	  .config = "comm",
	  .config_default = "[]",
	  .many = true },
	{ .name = "path",
	  .key = 'P',
	  .arg = "PATH",
	  .help = "file events under PATH only (repeat for more; other\n"
		  "types when --events names them); opens are matched in\n"
		  "the kernel by inode, so hard links and other names of a\n"
		  "watched file match too",
	  .config = "path",
	  .config_default = "[]",
	  .many = true },
	{ .name = "access",
	  .key = 'a',
	  .arg = "MODE",
	  .help = "opens with this access only: read, write, read,write",
	  .config = "access",
	  .config_default = "read,write",
	  .many = true },
	{ .name = "duration",
	  .key = 'd',
	  .arg = "SECONDS",
	  .help = "stop after this long",
	  .only = TRACE },
	{ .help = "Sensors:" },
	{ .name = "aggregate",
	  .key = OPT_AGGREGATE,
	  .arg = "SECONDS",
	  .help = "repeated identical opens (same process and program,\n"
		  "file, flags) within this window are counted in the\n"
		  "kernel and reported once with file.repeats (default 1;\n"
		  "0: off)",
	  .config = "aggregate",
	  .config_default = "1" },
	{ .name = "event-budget",
	  .key = OPT_EVENT_BUDGET,
	  .arg = "RATE[/BURST]",
	  .help = "file, network, privilege and kernel events each user\n"
		  "but root may send a second (and at once after a quiet\n"
		  "spell); more are counted in `lost` records, so that no\n"
		  "user's flood hides others' events (default 2000/20000;\n"
		  "off: no budget). exec, fork, exit and enforcement\n"
		  "outcomes are never budgeted",
	  .config = "event-budget",
	  .config_default = "2000/20000" },
	{ .name = "ring-buffer",
	  .key = OPT_RING_BUFFER,
	  .arg = "SIZE",
	  .help = "kernel-to-vigil buffer, a power of two from 4K to 1G\n"
		  "(default 8M); larger survives longer bursts",
	  .config = "ring-buffer",
	  .config_default = "8M" },
	{ .name = "verbose",
	  .key = 'v',
	  .help = "debug messages, libbpf's included",
	  .config = "verbose",
	  .config_default = "off" },
	OPTION("help", 'h', NULL, "this help"),
	{ .help = "Policies (docs/policy.md):", .only = RUN | SANDBOX },
	{ .name = "policy",
	  .key = OPT_POLICY,
	  .arg = "PATH",
	  .help = "load a policy file, or every .yaml/.yml file of a\n"
		  "directory (repeat for more); edits are picked up",
	  .config = "policy",
	  .config_default = "[]",
	  .only = RUN | SANDBOX,
	  .many = true },
	{ .name = "policy-dir",
	  .key = OPT_POLICY_DIR,
	  .arg = "DIR",
	  .help = "where 'vigil policy apply' writes, every policy of it\n"
		  "loaded (default " AGENT_POLICY_DIR ", or\n"
		  "$" AGENT_POLICY_DIR_ENV "; \"\": none)",
	  .config = "policy-dir",
	  .config_default = AGENT_POLICY_DIR,
	  .only = RUN },
	{ .name = "no-default-rules",
	  .key = OPT_NO_DEFAULT_RULES,
	  .help = "leave out the built-in ruleset (vigil policy list)",
	  .config = "default-rules",
	  .config_default = "on",
	  .only = RUN },
	{ .help = "Tamper resistance (docs/enforcement.md):", .only = RUN },
	{ .name = "no-guard",
	  .key = OPT_NO_GUARD,
	  .help = "do not protect the agent (for debugging); by default,\n"
		  "where BPF LSM works, no other process (root included)\n"
		  "may ptrace it, signal it to stop (but pid 1), or touch\n"
		  "its BPF objects; stop it with 'vigil stop' or the init\n"
		  "system. The start-up line says if it is protected.",
	  .config = "guard",
	  .config_default = "on",
	  .only = RUN },
	{ .help = "Restarts (docs/policy.md):", .only = RUN },
	{ .name = "keep-enforcement",
	  .key = OPT_KEEP_ENFORCEMENT,
	  .help = "when stopped, leave the enforcement and shields in\n"
		  "force (pinned, as after a crash) for the next start to\n"
		  "adopt: a restart leaves no gap ('vigil unload' removes\n"
		  "them; the systemd unit runs with it). Not fanotify's\n"
		  "refusals (no BPF LSM): they end with the agent",
	  .config = "keep-enforcement",
	  .config_default = "off",
	  .only = RUN },
	{ .name = "baseline",
	  .key = OPT_BASELINE,
	  .arg = "DIR",
	  .help = "also learn and monitor the baselines in DIR (vigil\n"
		  "baseline; docs/baseline.md): each program that has one;\n"
		  "what it never did is written as the event with a\n"
		  "baseline-* rule (default: off)",
	  .config = "baseline",
	  .config_default = "off",
	  .only = RUN },
	{ .help = "Metrics (docs/metrics.md):", .only = RUN },
	{ .name = "metrics",
	  .key = OPT_METRICS,
	  .arg = "ADDR:PORT",
	  .help = "serve Prometheus metrics at http://ADDR:PORT/metrics\n"
		  "(like 127.0.0.1:9464 or [::1]:9464; default: off). No\n"
		  "authentication: listen on loopback or a trusted network",
	  .config = "metrics",
	  .config_default = "off",
	  .only = RUN },
	{ .name = "bpf-stats",
	  .key = OPT_BPF_STATS,
	  .help = "count the run time of BPF programs while the agent runs\n"
		  "(kernel.bpf_stats_enabled for its lifetime; it costs a\n"
		  "little on every program run), for\n"
		  "vigil_bpf_program_run_seconds_total",
	  .config = "bpf-stats",
	  .config_default = "off",
	  .only = RUN },
	{ .name = "histograms",
	  .key = OPT_HISTOGRAMS,
	  .arg = "TARGETS",
	  .help = "keep these latency histograms on and export them at\n"
		  "/metrics (runq, syscall, block, tcp, irq, offcpu; as\n"
		  "vigil latency measures them; needs --metrics)",
	  .config = "histograms",
	  .config_default = "[]",
	  .only = RUN,
	  .many = true },
	{ .help = "Configuration:", .only = RUN },
	{ .name = "config",
	  .key = OPT_CONFIG,
	  .arg = "FILE",
	  .help = "read the settings from FILE (default " CONFIG_PATH ",\n"
		  "or $" CONFIG_ENV "); the command line wins over it",
	  .only = RUN },
	{},
};

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

/* The configuration file's keys, from the table: a new option is a new key. */
static void print_config_keys(FILE *out)
{
	size_t col = 0;

	fputs("Its keys are the long options' names (a --no-X flag is the switch X: off):\n ", out);
	for (const struct cli_option *o = stream_options; o->name || o->help; o++) {
		if (!o->config)
			continue;
		if (col + strlen(o->config) > 80) {
			fputs("\n ", out);
			col = 0;
		}
		col += fprintf(out, " %s", o->config);
	}
	fputc('\n', out);
}

void stream_cmd_usage(const struct stream_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: vigil %s [options]%s\n\n%s\n\n", cmd->name,
		cmd->operands ? cmd->operands : "", cmd->purpose);
	options_help(out, stream_options, cmd->variant);
	fputs("\nEvery event names its process, its parent and its ancestors, also for processes\n"
	      "started before vigil. Records the kernel could not queue are never dropped\n"
	      "silently: they appear in the stream as \"lost\" records.\n\n"
	      "Signals (docs/output.md): TERM, INT (Ctrl-C), QUIT and XCPU stop cleanly, with a\n"
	      "summary: events seen, shown, lost and not written. HUP reloads the policies and\n"
	      "reopens the output file; USR1 reopens it (after log rotation; 'vigil reopen'\n"
	      "asks the same over the control socket). PIPE and XFSZ are ignored: the write\n"
	      "fails instead. USR2, ALRM, VTALRM, PROF, IO, PWR, STKFLT, SYS, TRAP and the\n"
	      "realtime signals are ignored, with a line naming them.\n"
	      "A write that fails (a full disk, a reader gone) ends a trace; the agent keeps\n"
	      "running and enforcing, says so once, and counts the events it could not write\n"
	      "(the summary, vigil status); only whole lines reach the file.\n",
	      out);
	if (cmd->variant == STREAM_RUN) {
		fputs("\nConfiguration file (" CONFIG_PATH ", packaging/vigil.yaml):\n", out);
		print_config_keys(out);
		fputs("Lists are YAML lists or comma-separated. Unknown keys and bad values are\n"
		      "errors (file:line:col; exit 78); 'vigil config check' checks the file and\n"
		      "'vigil config show' prints the settings in effect.\n",
		      out);
	}
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

/* Large enough for any host, small enough that the kernel's token arithmetic cannot overflow. */
#define BUDGET_MAX 10000000u

/* "RATE", "RATE/BURST" or "off" (0/0); the burst defaults to the rate. */
static int parse_budget(const char *arg, __u64 *rate, __u64 *burst)
{
	unsigned long long r, b;
	char *end;

	if (!strcmp(arg, "off") || !strcmp(arg, "0")) {
		*rate = *burst = 0;
		return 0;
	}
	errno = 0;
	r = strtoull(arg, &end, 10);
	if (errno || end == arg || arg[0] == '-' || !r || r > BUDGET_MAX)
		return -EINVAL;
	b = r;
	if (*end == '/') {
		const char *p = end + 1;

		b = strtoull(p, &end, 10);
		if (errno || end == p || *p == '-' || !b || b > BUDGET_MAX)
			return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	*rate = r;
	*burst = b;
	return 0;
}

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/*
 * Option @key with @arg (NULL for a flag) into @a, from the command line or the configuration
 * file alike; on a bad value, what is wrong in @err (the caller says where) and -EINVAL.
 */
/* A comma-separated list of `vigil latency` targets, added to the mask *@targets. */
static int parse_histograms(const char *arg, unsigned int *targets, char *err, size_t errlen)
{
	char *copy = strdup(arg), *save = NULL, *name;
	int t = 0;

	if (!copy)
		return BAD("out of memory");
	for (name = strtok_r(copy, ",", &save); name && t >= 0; name = strtok_r(NULL, ",", &save)) {
		t = lat_target_by_name(name);
		if (t >= 0)
			*targets |= 1u << t;
		else
			snprintf(err, errlen,
				 "no histograms '%s'; they are runq, syscall, block, tcp, irq and "
				 "offcpu",
				 name);
	}
	free(copy);
	return t < 0 ? -EINVAL : 0;
}

static int apply(int key, const char *arg, struct run_options *a, char *err, size_t errlen)
{
	unsigned long ul;
	char *end;

	switch (key) {
	case 'f':
		if (!strcmp(arg, "json"))
			a->cfg.format = FORMAT_JSON;
		else if (!strcmp(arg, "text"))
			a->cfg.format = FORMAT_TEXT;
		else if (strcmp(arg, "auto"))
			return BAD("unknown format '%s': use json, text or auto", arg);
		a->format_set = strcmp(arg, "auto");
		return 0;
	case 'o':
		a->output = strcmp(arg, "-") ? arg : NULL;
		return 0;
	case OPT_SINK:
		if (a->n_sinks == RUN_SINKS_MAX)
			return BAD("at most %d sinks", RUN_SINKS_MAX);
		if (sink_url_check(arg, err, errlen))
			return -EINVAL;
		a->sinks[a->n_sinks++] = arg;
		return 0;
	case OPT_SINK_QUEUE:
		errno = 0;
		ul = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || !ul || ul > SINK_QUEUE_MAX)
			return BAD("takes a number of events from 1 to %d, not '%s'",
				   SINK_QUEUE_MAX, arg);
		a->sink_queue = ul;
		return 0;
	case OPT_COLOR:
		if (!strcmp(arg, "auto"))
			a->colour = -1;
		else if (!strcmp(arg, "always"))
			a->colour = 1;
		else if (!strcmp(arg, "never"))
			a->colour = 0;
		else
			return BAD("takes auto, always or never, not '%s'", arg);
		return 0;
	case 'e':
		return filter_add_types(&a->cfg.filter, arg, err, errlen) ? -EINVAL : 0;
	case 'p':
		return filter_add_pids(&a->cfg.filter, arg, err, errlen) ? -EINVAL : 0;
	case 'c':
		return filter_add_comms(&a->cfg.filter, arg, err, errlen) ? -EINVAL : 0;
	case 'P':
		return filter_add_path(&a->cfg.filter, arg, err, errlen) ? -EINVAL : 0;
	case 'a':
		return filter_set_access(&a->cfg.filter, arg, err, errlen) ? -EINVAL : 0;
	case 'd':
		errno = 0;
		a->duration = strtod(arg, &end);
		if (errno || end == arg || *end || !(a->duration > 0))
			return BAD("takes a positive number of seconds, not '%s'", arg);
		return 0;
	case OPT_AGGREGATE:
		errno = 0;
		a->aggregate_s = strtod(arg, &end);
		if (errno || end == arg || *end || !(a->aggregate_s >= 0 && a->aggregate_s <= 3600))
			return BAD("takes seconds from 0 (off) to 3600, not '%s'", arg);
		return 0;
	case OPT_EVENT_BUDGET:
		if (parse_budget(arg, &a->budget_rate, &a->budget_burst))
			return BAD("takes events a second and optionally a burst, like 2000 or "
				   "2000/20000 (at most %u), or off, not '%s'",
				   BUDGET_MAX, arg);
		return 0;
	case OPT_RING_BUFFER:
		if (parse_ring_size(arg, &a->ring_bytes))
			return BAD("takes a power of two from 4K to 1G (like 64K or 8M), not '%s'",
				   arg);
		return 0;
	case OPT_POLICY:
		/* one place is kept for the policy directory */
		if (a->agent.n_paths == AGENT_MAX_PATHS - 1)
			return BAD("at most %d policy paths", AGENT_MAX_PATHS - 1);
		a->agent.paths[a->agent.n_paths++] = arg;
		return 0;
	case OPT_POLICY_DIR:
		a->policy_dir = arg;
		return 0;
	case OPT_NO_DEFAULT_RULES:
		a->agent.no_defaults = true;
		return 0;
	case OPT_NO_GUARD:
		a->no_guard = true;
		return 0;
	case OPT_KEEP_ENFORCEMENT:
		a->agent.keep_enforcement = true;
		return 0;
	case 'v':
		log_set_level(LOG_DEBUG);
		return 0;
	case OPT_CONFIG:
		a->config = arg;
		return 0;
	case OPT_METRICS:
		if (!strcmp(arg, "off")) {
			a->metrics = NULL;
			return 0;
		}
		if (metrics_addr_parse(arg, &a->metrics_addr, err, errlen))
			return -EINVAL;
		a->metrics = arg;
		return 0;
	case OPT_BPF_STATS:
		a->bpf_stats = true;
		return 0;
	case OPT_HISTOGRAMS:
		return parse_histograms(arg, &a->histograms, err, errlen);
	case OPT_BASELINE:
		if (strcmp(arg, "off") && *arg != '/')
			return BAD("an absolute directory, or off");
		a->baseline_dir = strcmp(arg, "off") ? arg : NULL;
		return 0;
	}
	return BAD("unknown option");
}

static int parse_args(const struct stream_cmd *cmd, int argc, char **argv, struct run_options *a,
		      bool *given)
{
	char err[512]; /* room for the list of event types */
	const struct cli_option *o;
	struct getopt_spec spec;
	int opt;

	/* a sandbox stops at its command: the command's own options are not ours */
	if (options_getopt(stream_options, cmd->variant, cmd->variant == STREAM_SANDBOX, &spec))
		return usage_error(cmd->name, "too many options for the parser");
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'h') {
			stream_cmd_usage(cmd, stdout);
			exit(EXIT_OK);
		}
		o = options_find(stream_options, opt);
		if (!o)
			return options_error(cmd->name, opt, argv);
		if (apply(opt, optarg, a, err, sizeof(err)))
			return usage_error(cmd->name, "--%s: %s", o->name, err);
		given[opt] = true;
	}
	if (cmd->variant == STREAM_SANDBOX) {
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

/* Edit distance of @a and @b, up to 32 characters of @b: for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t row[33], n = strlen(b) < 32 ? strlen(b) : 32;

	for (size_t j = 0; j <= n; j++)
		row[j] = j;
	for (size_t i = 1; *a; a++, i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= n; j++) {
			size_t up = row[j], best = diag + (*a != b[j - 1]);

			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			diag = up;
			row[j] = best;
		}
	}
	return row[n];
}

/* The key that @key is most likely a typo of, or NULL. */
static const char *closest_key(const char *key)
{
	const char *best = NULL;
	size_t best_d = 3; /* at most two edits */

	for (const struct cli_option *o = stream_options; o->name || o->help; o++) {
		size_t d = o->config ? distance(key, o->config) : best_d;

		if (d < best_d) {
			best_d = d;
			best = o->config;
		}
	}
	return best;
}

const struct cli_option *stream_config_option(const char *key)
{
	for (const struct cli_option *o = stream_options; o->name || o->help; o++)
		if (o->config && !strcmp(o->config, key))
			return o;
	return NULL;
}

/* A switch's value: 1 on, 0 off, -1 neither. */
static int switch_value(const char *s)
{
	static const char *const on[] = { "on", "true", "yes" }, *const off[] = { "off", "false",
										  "no" };

	for (size_t i = 0; i < 3; i++) {
		if (!strcmp(s, on[i]))
			return 1;
		if (!strcmp(s, off[i]))
			return 0;
	}
	return -1;
}

/* One value of @o from the file: a switch, or the option's argument. */
static int apply_value(const struct cli_option *o, const struct config_value *v,
		       struct run_options *a, char *err, size_t errlen)
{
	int on;

	if (!v->quoted && !*v->text)
		return BAD("no value (leave the key out for the default)");
	if (o->arg)
		return apply(o->key, v->text, a, err, errlen);
	on = switch_value(v->text);
	if (on < 0)
		return BAD("is on or off, not '%s'", v->text);
	/* --no-guard is guard: off; --verbose is verbose: on */
	if (on == !!strncmp(o->name, "no-", 3))
		return apply(o->key, NULL, a, err, errlen);
	return 0;
}

int stream_config_apply(const struct config_file *cf, struct run_options *o, const bool *given,
			struct diags *d)
{
	struct run_options scratch = { 0 };
	char err[512];
	int ret = 0;

	for (size_t i = 0; i < cf->n; i++) {
		const struct config_entry *e = &cf->entries[i];
		const struct cli_option *opt = stream_config_option(e->key);
		/* an option given on the command line wins: its value here is only checked */
		struct run_options *dst = opt && given && given[opt->key] ? &scratch : o;

		if (!opt) {
			const char *near = closest_key(e->key);

			diags_add(
				d, DIAG_ERROR, cf->path, e->line, e->col,
				"unknown key '%s'%s%s%s (the keys are listed by 'vigil help run')",
				e->key, near ? ": did you mean " : "", near ? near : "",
				near ? "?" : "");
			ret = -EINVAL;
			continue;
		}
		if (e->list && !opt->many) {
			diags_add(d, DIAG_ERROR, cf->path, e->line, e->col,
				  "%s takes one value, not a list", e->key);
			ret = -EINVAL;
			continue;
		}
		for (size_t k = 0; k < e->n_values; k++) {
			const struct config_value *v = &e->values[k];

			if (apply_value(opt, v, dst, err, sizeof(err))) {
				diags_add(d, DIAG_ERROR, cf->path, v->line, v->col, "%s: %s",
					  e->key, err);
				ret = -EINVAL;
			}
		}
	}
	filter_free(&scratch.cfg.filter);
	return ret;
}

/* The agent's settings: the command line's, then the configuration file's under them. */
static int load_config(const struct stream_cmd *cmd, struct run_options *o, const bool *given,
		       struct config_file *cf)
{
	struct diags d = { 0 };
	bool named;
	const char *path = config_path(o->config, &named);
	int err = config_read(cf, path, named, &d);

	if (!err)
		err = stream_config_apply(cf, o, given, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	if (err) {
		pr_err(cmd->name,
		       "the configuration file %s cannot be used (above): nothing was "
		       "started",
		       path);
		return EXIT_CONFIG;
	}
	if (cf->n)
		pr_info(cmd->name, "settings from %s", path);
	return 0;
}

/* The policy directory: read when it exists; `vigil policy apply` makes it (agent/agent.h). */
static void resolve_policy_dir(struct run_options *o)
{
	const char *dir = o->policy_dir ? o->policy_dir : agent_default_policy_dir();

	o->agent.policy_dir = *dir ? dir : NULL;
}

int stream_cmd_main(const struct stream_cmd *cmd, int argc, char **argv)
{
	struct run_options o = {
		.name = cmd->name,
		.policies = cmd->variant != STREAM_TRACE,
		.sandbox = cmd->variant == STREAM_SANDBOX,
		.colour = -1,
		.aggregate_s = 1,
		.budget_rate = 2000,
		.budget_burst = 20000,
	};
	struct config_file cf = { 0 };
	bool given[STREAM_OPT_KEYS] = { 0 };
	int ret = parse_args(cmd, argc, argv, &o, given);

	/* the configuration file is the agent's: a trace or a sandbox is set up on the spot */
	if (!ret && cmd->variant == STREAM_RUN) {
		ret = load_config(cmd, &o, given, &cf);
		resolve_policy_dir(&o);
	}
	if (!ret)
		ret = run_main(&o);
	filter_free(&o.cfg.filter);
	config_free(&cf);
	return ret;
}
