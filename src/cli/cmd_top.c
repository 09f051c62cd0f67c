// SPDX-License-Identifier: GPL-2.0
/* vigil top: per-process (or per-cgroup) activity counted in the kernel, live or in batches. */
#include "cli/cli.h"
#include "core/log.h"
#include "perf/top.h"
#include "perf/topscreen.h"
#include "perf/topview.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_PER_CGROUP = 256,
	OPT_TREE,
};

static const struct cli_option top_options[] = {
	OPTION("interval", 'i', "S", "refresh every S seconds (default 1)"),
	OPTION("batch", 'b', NULL,
	       "print text instead of the full-screen view, one table\n"
	       "per interval (as top -b)"),
	OPTION("json", 'j', NULL, "print one JSON object per interval"),
	OPTION("iterations", 'n', "N", "stop after N intervals (default: at Ctrl-C or SIGTERM)"),
	OPTION("pid", 'p', "PID", "only process PID"),
	OPTION("cgroup", 'c', "PATH",
	       "only tasks in cgroup PATH and below it, a path on the\n"
	       "cgroup2 mount (\"/system.slice\")"),
	OPTION("per-cgroup", OPT_PER_CGROUP, NULL, "a row per cgroup, the sum of its processes"),
	OPTION("tree", OPT_TREE, NULL,
	       "a row per cgroup with its whole subtree's totals,\n"
	       "in tree order"),
	OPTION("sort", 's', "COLUMN",
	       "sort by cpu (default), runq, offcpu, read, write,\n"
	       "blklat, rx, tx, retrans, syscalls, errors, pid or name"),
	OPTION("filter", 'f', "TEXT", "only rows whose comm or cgroup path contains TEXT"),
	OPTION("rows", 'r', "N", "at most N rows per interval (default: all; batch, json)"),
	OPTION("verbose", 'v', NULL, "show libbpf's and the verifier's messages (on stderr)"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void top_usage(FILE *out)
{
	fputs("usage: vigil top [options]\n\n"
	      "What each process (or cgroup) does, counted in the kernel and shown live: CPU %,\n"
	      "run-queue latency p99, off-CPU time, block I/O bytes and latency, network bytes\n"
	      "and TCP retransmits, syscalls and errors per second. The kernel adds up per\n"
	      "process in a BPF map; vigil reads the map once per refresh. Needs root.\n\n"
	      "Columns (rates are per second of the interval):\n"
	      "  PID     the process (PROCS: how many were active, per cgroup)\n"
	      "  CPU%    time on CPU, 100 per core used\n"
	      "  RUNQ99  the 99th percentile of its waits on the run queue\n"
	      "  OFFCPU  time its threads were blocked (asleep, on I/O, on locks)\n"
	      "  READ/s WRITE/s  block I/O it submitted, counted at completion\n"
	      "  BLKLAT  the mean time of those requests, submission to completion\n"
	      "  RX/s TX/s  bytes received and sent on its IPv4 and IPv6 sockets\n"
	      "  RETR    TCP retransmits on sockets it sent on\n"
	      "  SYSC/s ERR/s  syscalls, and those that returned an error\n"
	      "  COMM    its name (CGROUP: the cgroup's path)\n\n"
	      "Keys on screen: < > the sort column, P by CPU, N by PID, g per process or per\n"
	      "cgroup, t the cgroup tree, / a filter (Enter sets it, Esc cancels, empty\n"
	      "clears), space refreshes now, q quits.\n\n"
	      "Options:\n",
	      out);
	options_help(out, top_options, 0);
	fputs("\nBlock I/O needs the block_io_start tracepoint (kernel 6.5), network bytes\n"
	      "sock_send_length and sock_recv_length (6.3); where they are missing those\n"
	      "columns stay 0 and vigil says so. Writes that the page cache flushes later are\n"
	      "the flusher's (kworker), as in biotop.\n\n"
	      "Examples:\n"
	      "  sudo vigil top                           # live, every second\n"
	      "  sudo vigil top --tree                    # cgroups, as a tree\n"
	      "  sudo vigil top -b -n 5 -s syscalls       # five tables, busiest syscallers first\n"
	      "  sudo vigil top --json -i 10 -c /system.slice   # for scripts\n\n"
	      "Exit status: 0, 64 bad usage, 69 a tracepoint is missing, 77 not root\n"
	      "(vigil help: every code).\n",
	      out);
}

struct top_args {
	struct top_config cfg;
	double interval;
	unsigned long iterations, rows;
	bool batch, json;
	enum top_grouping grouping;
	enum top_col sort;
	const char *filter;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int parse_count(const char *opt, const char *arg, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || *out > max)
		return usage_error("top", "--%s wants a number from 0 to %lu, not '%s'", opt, max,
				   arg);
	return 0;
}

static int parse_option(int opt, const char *arg, struct top_args *a)
{
	unsigned long v;
	char *end;
	int ret;

	switch (opt) {
	case 'i':
		errno = 0;
		a->interval = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(a->interval) || a->interval < 0.1 ||
		    a->interval > 86400)
			return usage_error("top",
					   "--interval wants seconds from 0.1 to 86400 (like 1 or "
					   "0.5), not '%s'",
					   arg);
		return 0;
	case 'b':
		a->batch = true;
		return 0;
	case 'j':
		a->json = true;
		return 0;
	case 'n':
		ret = parse_count("iterations", arg, 1000000000, &a->iterations);
		if (!ret && !a->iterations)
			return usage_error("top", "--iterations wants 1 or more, not 0");
		return ret;
	case 'p':
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || !v || v > 4194304)
			return usage_error("top", "--pid wants a process id, not '%s'", arg);
		a->cfg.tgid = (uint32_t)v;
		return 0;
	case 'c':
		if (arg[0] != '/')
			return usage_error("top",
					   "--cgroup wants a path below the cgroup2 mount starting "
					   "with '/' (like /system.slice), not '%s'",
					   arg);
		a->cfg.cgroup = arg;
		return 0;
	case OPT_PER_CGROUP:
		if (a->grouping != TOP_CGROUP_TREE)
			a->grouping = TOP_BY_CGROUP;
		return 0;
	case OPT_TREE:
		a->grouping = TOP_CGROUP_TREE;
		return 0;
	case 's':
		ret = top_col_by_name(arg);
		if (ret < 0)
			return usage_error(
				"top",
				"--sort: no column '%s'; they are cpu, runq, offcpu, "
				"read, write, blklat, rx, tx, retrans, syscalls, errors, "
				"pid and name",
				arg);
		a->sort = (enum top_col)ret;
		return 0;
	case 'f':
		if (strlen(arg) >= sizeof(((struct top_view *)0)->filter))
			return usage_error("top", "--filter: at most %zu characters",
					   sizeof(((struct top_view *)0)->filter) - 1);
		a->filter = arg;
		return 0;
	case 'r':
		return parse_count("rows", arg, 1000000, &a->rows);
	case 'v':
		log_set_level(LOG_DEBUG);
		return 0;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct top_args *a)
{
	struct getopt_spec spec;
	int opt, ret;

	memset(a, 0, sizeof(*a));
	a->interval = 1;
	a->sort = TOP_COL_CPU;
	options_getopt(top_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'h') {
			top_usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return options_error("top", opt, argv);
		ret = parse_option(opt, optarg, a);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_error("top", "unexpected argument '%s'", argv[optind]);
	if (a->batch && a->json)
		return usage_error("top", "--batch and --json: choose one");
	if (!a->batch && !a->json && (a->iterations || a->rows))
		return usage_error("top", "--%s is for --batch or --json",
				   a->iterations ? "iterations" : "rows");
	if (!a->batch && !a->json && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return usage_error("top",
				   "the full-screen view needs a terminal; use --batch or --json "
				   "for scripts and pipes");
	return 0;
}

static int open_error(const struct top_args *a, int err)
{
	if (err == -ENOENT && a->cfg.cgroup) {
		fprintf(stderr, "vigil: top: no cgroup %s on the cgroup2 mount\n", a->cfg.cgroup);
		return EXIT_USAGE;
	}
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr,
			"vigil: top: the kernel refused the programs (%s); needs root (CAP_BPF "
			"and CAP_PERFMON)\n",
			strerror(-err));
		return EXIT_NO_PRIVILEGE;
	}
	fprintf(stderr,
		"vigil: top: cannot trace the scheduler and syscalls: %s (neither tp_btf nor "
		"raw_tp tracepoints loaded; vigil probe says what this kernel has, -v shows the "
		"verifier's log)\n",
		strerror(-err));
	return EXIT_NO_FEATURE;
}

static void say_missing(unsigned int features)
{
	if (!(features & TOP_HAS_BLOCK))
		fprintf(stderr, "vigil: top: no block_io_start tracepoint (kernel 6.5): block I/O "
				"columns stay 0\n");
	if (!(features & TOP_HAS_NET))
		fprintf(stderr, "vigil: top: no sock_send_length tracepoint (kernel 6.3): network "
				"columns stay 0\n");
	if (!(features & TOP_HAS_TICK))
		fprintf(stderr, "vigil: top: no cpu-clock perf events: a task's CPU time is "
				"counted when it is switched out\n");
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (!stop_requested && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --batch and --json: a table (or an object) per interval, each one read of the kernel's map. */
static int run_batch(struct top_view *v, const struct top_args *a, const char *mode)
{
	int ret = 0;

	for (unsigned long i = 0; !stop_requested && (!a->iterations || i < a->iterations); i++) {
		sleep_s(a->interval);
		if (stop_requested)
			break;
		ret = top_view_refresh(v);
		if (ret)
			break;
		if (a->json)
			top_view_json(stdout, v, a->rows);
		else
			top_view_text(stdout, v, mode, a->rows);
	}
	return ret;
}

static int top_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct top_session *s = NULL;
	struct top_view v = { 0 };
	struct top_args a;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (geteuid()) {
		fprintf(stderr,
			"vigil: top: needs root to load BPF programs; try: sudo vigil top\n");
		return EXIT_NO_PRIVILEGE;
	}
	ret = top_open(&a.cfg, &s);
	if (ret)
		return open_error(&a, ret);
	say_missing(top_features(s));
	ret = top_view_init(&v, s);
	if (ret)
		goto out;
	v.grouping = a.grouping;
	v.sort = a.sort;
	if (a.filter)
		snprintf(v.filter, sizeof(v.filter), "%s", a.filter);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (a.batch || a.json) {
		ret = run_batch(&v, &a, top_mode(s));
	} else {
		ret = top_screen_run(&v, top_mode(s), a.interval, &stop_requested);
		if (ret == -ENOTTY) {
			fprintf(stderr,
				"vigil: top: ncurses cannot use this terminal (TERM=%s); --batch "
				"or --json work without one\n",
				getenv("TERM") ? getenv("TERM") : "");
			ret = EXIT_NO_FEATURE;
			goto out;
		}
	}
out:
	if (ret < 0) {
		fprintf(stderr, "vigil: top: reading the counters: %s\n", strerror(-ret));
		ret = EXIT_RUNTIME;
	}
	top_view_free(&v);
	top_close(s);
	return ret;
}

const struct command cmd_top = {
	.name = "top",
	.summary = "live per-process and per-cgroup CPU, latency, I/O, network and syscalls",
	.run = top_run,
	.usage = top_usage,
	.options = top_options,
};
