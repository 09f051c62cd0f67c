// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"
#include "cli/agent.h"
#include "cli/agent_guard.h"
#include "cli/agent_control.h"
#include "cli/output.h"
#include "cli/sandbox.h"
#include "core/control.h"
#include "core/log.h"
#include "core/sensor.h"
#include "core/sensors.h"
#include "vigil/ev_file.h"
#include "events/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 100
/* Wake the consumer for 1 MiB of pending records; otherwise it polls every POLL_MS. */
#define WAKEUP_BYTES (1 << 20)

static volatile sig_atomic_t stop_signal, hangup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hangup = 1;
	else
		stop_signal = sig;
}

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
		"  -o, --output FILE       append to FILE (created 0600) instead of stdout\n"
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
		"started before vigil. Ctrl-C or SIGTERM stops and prints a summary: events seen,\n"
		"shown and lost. Records the kernel could not queue are never dropped silently:\n"
		"they appear in the stream as \"lost\" records.\n",
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
		      "with errors is rejected and the ones in force stay.\n"
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

struct stream_args {
	struct stream_config cfg;
	const char *output;
	bool out_tty;
	int colour; /* -1 auto, 0 never, 1 always */
	bool format_set;
	double duration;
	__u32 ring_bytes;
	double aggregate_s;
	struct agent_config agent;
	char **command; /* sandbox: what to run */
	bool no_guard;
};

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

static int parse_args(const struct stream_cmd *cmd, int argc, char **argv, struct stream_args *a)
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

/* A terminal gets stdio's line by line; a file or pipe, blocks of a MiB (cli/output.h). */
static int open_output(struct stream_args *a)
{
	int fd = STDOUT_FILENO, err;

	if (a->output) {
		fd = open(a->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
	}
	a->out_tty = isatty(fd);
	if (!a->out_tty)
		a->cfg.out = output_open(fd, a->output);
	else
		a->cfg.out = a->output ? fdopen(fd, "a") : stdout;
	if (!a->cfg.out) {
		err = -errno;
		if (a->output)
			close(fd);
		return err;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal must interrupt the wait for records. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

#define PATH_WATCH_BITS (VIGIL_WATCH_ALL | VIGIL_WATCH_PATH | VIGIL_WATCH_BELOW_PATH)

int stream_cmd_main(const struct stream_cmd *cmd, int argc, char **argv)
{
	struct stream_args a = { 0 };
	struct sensors_opts sopts = { .wakeup_bytes = WAKEUP_BYTES };
	struct agent *agent = NULL;
	struct agent_status_ctx status = { 0 };
	struct control *control = NULL;
	struct agent_guard guard = { 0 };
	struct watch_entry trace_watches[FILTER_MAX_ITEMS];
	struct sensors *sensors = NULL;
	struct stream *stream = NULL;
	struct sandbox sb = { 0 };
	int child_status = 0;
	const struct stream_stats *st;
	double deadline = 0, next_flush, next_refresh;
	int agg_fd;
	char what[256];
	__u64 lost;
	int err, ret = EXIT_RUNTIME;

	err = parse_args(cmd, argc, argv, &a);
	if (err) {
		filter_free(&a.cfg.filter);
		return err;
	}
	err = open_output(&a);
	if (err) {
		pr_err(cmd->name, "cannot open %s: %s", a.output ? a.output : "standard output",
		       strerror(-err));
		goto out;
	}
	if (!a.format_set)
		a.cfg.format = a.out_tty ? FORMAT_TEXT : FORMAT_JSON;
	a.cfg.colour = a.colour == -1 ? a.out_tty && !getenv("NO_COLOR") : a.colour;
	a.cfg.procfs = "/proc";
	sopts.ring_bytes = a.ring_bytes;
	sopts.types = a.cfg.filter.type_mask;
	sopts.named_types = a.cfg.filter.type_mask;
	/* Every open on a busy host is a flood: opens come when named or watched. */
	if (!sopts.types && !a.cfg.filter.n_paths)
		sopts.types = ~0ull & ~EVENT_BIT(VIGIL_EV_OPEN);
	/* --path: any access, marked so that its opens say so beside the rules' own watches */
	for (size_t i = 0; i < a.cfg.filter.n_paths; i++)
		trace_watches[i] = (struct watch_entry){ .path = a.cfg.filter.paths[i],
							 .bits = PATH_WATCH_BITS };
	sopts.watches = trace_watches;
	sopts.n_watches = a.cfg.filter.n_paths;
	if (cmd->has_policies) {
		/* Every sensor runs, so that a reload can bring rules on any event type; opens
		 * come only as the rules' watch list asks. Events no rule matched are shown
		 * only when traced with --events or --path. */
		a.agent.trace_watches = trace_watches;
		a.agent.n_trace_watches = a.cfg.filter.n_paths;
		if (cmd->sandbox) {
			err = sandbox_create(&sb);
			if (err) {
				pr_err(cmd->name, "cannot create the sandbox's cgroup: %s%s",
				       strerror(-err),
				       err == -EACCES || err == -EPERM ? " (run as root)" : "");
				ret = err == -EACCES || err == -EPERM ? EX_NOPERM : EXIT_RUNTIME;
				goto out;
			}
			a.agent.scope = sb.scope;
		}
		if (agent_new(&agent, &a.agent)) {
			pr_err(cmd->name, "the policies have errors (above): nothing was started");
			ret = EX_CONFIG;
			goto out;
		}
		/* a sandbox answers nobody: it ends with its command */
		err = cmd->sandbox ? 0
				   : control_open(&control, control_path(), agent_control_handle,
						  &status);
		if (err == -EADDRINUSE) {
			pr_err(cmd->name, "another vigil agent is running (%s answers)",
			       control_path());
			goto out;
		}
		if (err)
			pr_warn(cmd->name,
				"no control socket (%s): vigil status and policy apply will not "
				"reach this agent",
				strerror(-err));
		agent_watches(agent, &sopts.watches, &sopts.n_watches);
		sopts.watch = true;
		sopts.types = ~0ull;
		a.cfg.judge = policy_engine_judge;
		a.cfg.judge_ctx = agent_engine(agent);
		a.cfg.show_unmatched = a.cfg.filter.type_mask || a.cfg.filter.n_paths;
	}
	sopts.file_access = a.cfg.filter.access;
	sopts.agg_window_ns = a.aggregate_s * 1e9;
	if (a.ring_bytes && a.ring_bytes / 2 < sopts.wakeup_bytes)
		sopts.wakeup_bytes = a.ring_bytes / 2;

	err = sensors_start(&sensors, &sopts);
	if (err) {
		pr_err(cmd->name, "%s", sensors_strerror(err));
		ret = err == -EPERM					       ? EX_NOPERM
		      : err == -ENOENT || err == -EOPNOTSUPP || err == -EACCES ? EX_UNAVAILABLE
									       : EXIT_RUNTIME;
		goto out;
	}
	/* Seed the process table after attaching, so no process falls in between. */
	err = stream_new(&stream, &a.cfg);
	if (!err)
		err = stream_attach_ringbuf(stream, sensors_ringbuf_fd(sensors));
	if (err) {
		pr_err(cmd->name, "cannot set up the event stream: %s", strerror(-err));
		goto out;
	}
	install_signals();
	if (agent) {
		agent_attach(agent, sensors);
		/* After every BPF object of the agent is made: the guard protects them all. A
		 * sandbox ends with its command and has no control socket: it is not guarded. */
		if (!cmd->sandbox)
			agent_guard_start(&guard, !a.no_guard);
		status = (struct agent_status_ctx){ .agent = agent,
						    .stream = stream,
						    .pid = getpid(),
						    .started_s = now_s(),
						    .guard = &guard };
	}
	sensors_describe(sensors, what, sizeof(what));
	pr_info(cmd->name, "watching %s events%s; Ctrl-C to stop", what,
		a.output ? ", writing to the output file" : "");
	if (cmd->sandbox) {
		err = sandbox_spawn(&sb, a.command);
		if (err) {
			pr_err(cmd->name, "cannot run %s: %s", a.command[0], strerror(-err));
			ret = err == -ENOENT ? 127 : 126;
			goto out;
		}
		pr_info(cmd->name, "running %s in cgroup %s", a.command[0], sb.scope);
	}
	if (a.duration > 0)
		deadline = now_s() + a.duration;
	agg_fd = sopts.agg_window_ns ? sensors_map_fd(sensors, "open_agg") : -1;
	next_flush = now_s() + 1;
	next_refresh = now_s() + WATCH_REFRESH_S;
	while (!stop_signal && !status.stop && (!deadline || now_s() < deadline)) {
		if (sb.pid && waitpid(sb.pid, &child_status, WNOHANG) == sb.pid) {
			sb.pid = 0;
			break;
		}
		err = stream_poll(stream, POLL_MS);
		if (err < 0 && err != -EINTR) {
			pr_err(cmd->name, "writing events failed: %s", strerror(-err));
			goto out;
		}
		if (!sensors_lost(sensors, &lost))
			stream_update_lost(stream, lost);
		if (agent) {
			bool hup = hangup;

			hangup = 0;
			agent_tick(agent, hup);
			agent_guard_tick(&guard);
			if (control)
				control_serve(control);
		}
		/* the agent follows its own list; a trace's --path files are followed here */
		if (!agent && sopts.n_watches && now_s() >= next_refresh) {
			sensors_set_watches(sensors, sopts.watches, sopts.n_watches);
			next_refresh = now_s() + WATCH_REFRESH_S;
		}
		if (agg_fd >= 0 && now_s() >= next_flush) {
			stream_flush_aggregates(stream, agg_fd, sopts.agg_window_ns);
			next_flush = now_s() + 1;
		}
	}
	if (status.stop)
		pr_info(cmd->name, "stopping: asked to over the control socket (vigil stop)");
	if (sb.pid) {
		/* stopped from outside: the command goes too (what it left, with the cgroup) */
		kill(sb.pid, SIGKILL);
		waitpid(sb.pid, &child_status, 0);
		sb.pid = 0;
	}
	/*
	 * Drain what is queued, report every folded open, account for every loss. Detached
	 * first: on a busy host events would keep coming and the drain would never end.
	 */
	sensors_detach(sensors);
	while ((err = stream_poll(stream, 0)) > 0)
		;
	if (agg_fd >= 0)
		stream_flush_aggregates(stream, agg_fd, 0);
	if (!sensors_lost(sensors, &lost))
		stream_update_lost(stream, lost);
	fflush(a.cfg.out);
	st = stream_stats(stream);
	pr_info(cmd->name, "%llu events seen, %llu shown, %llu lost%s",
		(unsigned long long)st->records, (unsigned long long)st->written,
		(unsigned long long)st->lost, st->malformed ? " (and some malformed)" : "");
	if (agent) {
		const struct policy_engine_stats *ps = policy_engine_stats(agent_engine(agent));

		pr_info(cmd->name,
			"%llu events matched a rule; %llu operations denied, %llu "
			"processes killed",
			(unsigned long long)ps->alerts, (unsigned long long)ps->denied,
			(unsigned long long)ps->kills);
	}
	ret = err < 0 && err != -EINTR ? EXIT_RUNTIME : 0;
	if (cmd->sandbox) {
		/* the command's status, as a shell would give it */
		ret = WIFSIGNALED(child_status) ? 128 + WTERMSIG(child_status)
						: WEXITSTATUS(child_status);
		pr_info(cmd->name, "%s %s %d", a.command[0],
			WIFSIGNALED(child_status) ? "was killed by signal" : "exited with",
			WIFSIGNALED(child_status) ? WTERMSIG(child_status)
						  : WEXITSTATUS(child_status));
	}
out:
	sandbox_destroy(&sb);
	stream_free(stream);
	sensors_stop(sensors);
	agent_guard_stop(&guard);
	control_close(control);
	agent_free(agent);
	/* fclose waits for the writer: the last blocks' errors come here */
	if (a.cfg.out && a.cfg.out != stdout && fclose(a.cfg.out) && ret == 0) {
		pr_err(cmd->name, "writing events failed: %s", strerror(errno));
		ret = EXIT_RUNTIME;
	}
	filter_free(&a.cfg.filter);
	return ret;
}
