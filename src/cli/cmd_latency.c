// SPDX-License-Identifier: GPL-2.0
/* vigil latency: in-kernel latency histograms for one target, printed as bcc's tools do. */
#include "cli/cli.h"
#include "core/elfsym.h"
#include "core/log.h"
#include "perf/latency.h"
#include "perf/report.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_PER_CPU = 256,
	OPT_PER_PID,
	OPT_PER_CGROUP,
	OPT_PER_DISK,
	OPT_UNIT,
	OPT_TOP,
};

static const struct cli_option latency_options[] = {
	OPTION("duration", 'd', "S", "stop after S seconds (default: at Ctrl-C or SIGTERM)"),
	OPTION("interval", 'i', "S",
	       "print every S seconds what happened in those seconds\n"
	       "(default: once, at the end)"),
	OPTION("pid", 'p', "PID",
	       "only process PID (runq, syscall, offcpu, uprobe; tcp: its\n"
	       "connect()s)"),
	OPTION("cgroup", 'c', "PATH",
	       "only tasks in cgroup PATH and below it, a path on the\n"
	       "cgroup2 mount (\"/system.slice/nginx.service\";\n"
	       "runq, syscall, offcpu, tcp, uprobe)"),
	OPTION("per-cpu", OPT_PER_CPU, NULL, "a histogram per CPU (runq, irq)"),
	OPTION("per-pid", OPT_PER_PID, NULL,
	       "a histogram per process (runq, syscall, offcpu, tcp, uprobe)"),
	OPTION("per-cgroup", OPT_PER_CGROUP, NULL,
	       "a histogram per cgroup (runq, syscall, offcpu, uprobe)"),
	OPTION("per-disk", OPT_PER_DISK, NULL, "a histogram per disk (block)"),
	OPTION("unit", OPT_UNIT, "ns|us|ms",
	       "the time histograms' unit (default: ns for syscall,\n"
	       "ms for tcp, us otherwise)"),
	OPTION("top", OPT_TOP, "N", "syscall, irq and retransmit rows shown (default 10; 0: all)"),
	OPTION("json", 'j', NULL, "print one JSON object per report instead of text"),
	OPTION("verbose", 'v', NULL, "show libbpf's and the verifier's messages (on stderr)"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

/* What each target measures, as the ready line says it. */
static const char *const target_what[LAT_TARGET_COUNT] = {
	[LAT_RUNQ] = "run-queue latency, wakeup to running",
	[LAT_SYSCALL] = "syscall latency and errors",
	[LAT_BLOCK] = "block I/O latency, queue time and sizes",
	[LAT_TCP] = "TCP connection lifetimes, bytes and retransmits",
	[LAT_IRQ] = "hard and soft irq time",
	[LAT_OFFCPU] = "time off CPU, switched out to running again",
	[LAT_UPROBE] = "calls of a user function, entry to return",
};

static void latency_usage(FILE *out)
{
	fputs("usage: vigil latency <target> [options]\n\n"
	      "Measure latencies with histograms built in the kernel: each event adds one to a\n"
	      "log2 bucket in a BPF map, nothing is copied to user space per event, and vigil\n"
	      "reads the buckets at the end (or every --interval). Prints bcc's ASCII bars\n"
	      "with a summary line (count, mean, p50, p90, p99), or JSON. Needs root.\n\n"
	      "Targets, with the groupings each takes:\n"
	      "  runq [--per-cpu|--per-pid|--per-cgroup]\n"
	      "      run-queue latency: from a task's wakeup (or preemption) to running, as\n"
	      "      runqlat does\n"
	      "  syscall [--per-pid|--per-cgroup]\n"
	      "      latency per syscall, by name, and how many failed; the --top N most\n"
	      "      frequent, as syscount -L\n"
	      "  block [--per-disk]\n"
	      "      block I/O per operation (read, write, flush, discard): time on the device,\n"
	      "      time queued before it (where the kernel queues), request sizes; as\n"
	      "      biolatency -Q\n"
	      "  tcp [--per-pid]\n"
	      "      TCP connection lifetimes (first state change to close) and the bytes each\n"
	      "      received and sent, as tcplife; retransmits per peer, as tcpretrans;\n"
	      "      --pid, --cgroup and --per-pid mean the process that connect()ed:\n"
	      "      accepted connections have none (pid 0), and those filters leave them out\n"
	      "  irq [--per-cpu]\n"
	      "      time in hard irq handlers and softirqs, per irq and vector, as hardirqs\n"
	      "      and softirqs\n"
	      "  offcpu [--per-pid|--per-cgroup]\n"
	      "      time blocked: from a task's switch out, not runnable, to its running\n"
	      "      again, by why it blocked (sleeping, uninterruptible: disk I/O and some\n"
	      "      locks, other), as cpudist -O\n"
	      "  uprobe:PATH:SYMBOL [--per-pid|--per-cgroup]\n"
	      "      calls of function SYMBOL of the program or library PATH, from entry to\n"
	      "      return, as funclatency does; PATH may be a library's name\n"
	      "      (libssl.so.3: found through ldconfig). SYMBOL comes from .symtab, or\n"
	      "      .dynsym in a stripped file; vigil finds its file offset with libelf\n\n"
	      "Options:\n",
	      out);
	options_help(out, latency_options, 0);
	fputs("\nPercentiles come from the log2 buckets: they are exact to the bucket, and\n"
	      "interpolated within it. Intervals are lossless: vigil subtracts what it read\n"
	      "before instead of clearing the maps.\n\n"
	      "Examples:\n"
	      "  sudo vigil latency runq -d 10                  # runqlat for 10 s\n"
	      "  sudo vigil latency runq --per-cpu -i 1         # per CPU, every second\n"
	      "  sudo vigil latency syscall -p 1234 --top 20    # syscount -L of one process\n"
	      "  sudo vigil latency block --per-disk -d 30      # biolatency -D, with queue time\n"
	      "  sudo vigil latency tcp --unit ms -d 60 --json  # tcplife as a histogram, JSON\n"
	      "  sudo vigil latency irq -i 5 --top 5\n"
	      "  sudo vigil latency uprobe:/bin/bash:readline    # time at bash's prompt\n"
	      "  sudo vigil latency uprobe:libc.so.6:getaddrinfo -p 1234 -d 30\n\n"
	      "Exit status: 0, 64 bad usage (or no such file or function), 69 a tracepoint\n"
	      "or uprobe cannot attach, 77 not root\n"
	      "(vigil help: every code).\n",
	      out);
}

struct latency_args {
	struct lat_config cfg;
	char uprobe_path[PATH_MAX];
	const char *symbol;
	char probe[PATH_MAX + 256]; /* "PATH:SYMBOL" as resolved */
	double duration, interval;
	unsigned int top;
	bool json;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int parse_seconds(const char *opt, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(*out) || *out <= 0 || *out > 31536000)
		return usage_error("latency",
				   "--%s wants seconds above 0 (like 1 or 0.5), not '%s'", opt,
				   arg);
	return 0;
}

/* Which groupings and filters each target can honour. */
static bool group_applies(enum lat_target t, enum vigil_lat_group g)
{
	switch (g) {
	case VIGIL_LAT_BY_NONE:
		return true;
	case VIGIL_LAT_BY_CPU:
		return t == LAT_RUNQ || t == LAT_IRQ;
	case VIGIL_LAT_BY_PID:
		return t == LAT_RUNQ || t == LAT_SYSCALL || t == LAT_TCP || t == LAT_OFFCPU ||
		       t == LAT_UPROBE;
	case VIGIL_LAT_BY_CGROUP:
		return t == LAT_RUNQ || t == LAT_SYSCALL || t == LAT_OFFCPU || t == LAT_UPROBE;
	case VIGIL_LAT_BY_DISK:
		return t == LAT_BLOCK;
	}
	return false;
}

static const char *const group_opts[] = {
	[VIGIL_LAT_BY_CPU] = "--per-cpu",
	[VIGIL_LAT_BY_PID] = "--per-pid",
	[VIGIL_LAT_BY_CGROUP] = "--per-cgroup",
	[VIGIL_LAT_BY_DISK] = "--per-disk",
};

static int set_group(struct latency_args *a, enum vigil_lat_group g)
{
	if (a->cfg.group != VIGIL_LAT_BY_NONE && a->cfg.group != g)
		return usage_error("latency", "%s and %s: choose one grouping",
				   group_opts[a->cfg.group], group_opts[g]);
	a->cfg.group = g;
	return 0;
}

static int parse_option(int opt, const char *arg, struct latency_args *a)
{
	unsigned long v;
	char *end;

	switch (opt) {
	case 'd':
		return parse_seconds("duration", arg, &a->duration);
	case 'i':
		return parse_seconds("interval", arg, &a->interval);
	case 'p':
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || !v || v > 4194304)
			return usage_error("latency", "--pid wants a process id, not '%s'", arg);
		a->cfg.tgid = (uint32_t)v;
		return 0;
	case 'c':
		if (arg[0] != '/')
			return usage_error("latency",
					   "--cgroup wants a path below the cgroup2 mount starting "
					   "with '/' (like /system.slice), not '%s'",
					   arg);
		a->cfg.cgroup = arg;
		return 0;
	case OPT_PER_CPU:
		return set_group(a, VIGIL_LAT_BY_CPU);
	case OPT_PER_PID:
		return set_group(a, VIGIL_LAT_BY_PID);
	case OPT_PER_CGROUP:
		return set_group(a, VIGIL_LAT_BY_CGROUP);
	case OPT_PER_DISK:
		return set_group(a, VIGIL_LAT_BY_DISK);
	case OPT_UNIT:
		if (!strcmp(arg, "ns"))
			a->cfg.unit_ns = 1;
		else if (!strcmp(arg, "us"))
			a->cfg.unit_ns = 1000;
		else if (!strcmp(arg, "ms"))
			a->cfg.unit_ns = 1000000;
		else
			return usage_error("latency", "--unit is ns, us or ms, not '%s'", arg);
		return 0;
	case OPT_TOP:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || v > 100000)
			return usage_error("latency",
					   "--top wants a number of rows (0: all), not '%s'", arg);
		a->top = (unsigned int)v;
		return 0;
	case 'j':
		a->json = true;
		return 0;
	case 'v':
		log_set_level(LOG_DEBUG);
		return 0;
	}
	return -1;
}

/* The target and its options are consistent: 0, or the usage error's exit code. */
static int check_args(struct latency_args *a)
{
	enum lat_target t = a->cfg.target;

	if (!group_applies(t, a->cfg.group))
		return usage_error("latency", "%s does not apply to %s (vigil help latency)",
				   group_opts[a->cfg.group], lat_target_name(t));
	if ((a->cfg.tgid || a->cfg.cgroup) && (t == LAT_BLOCK || t == LAT_IRQ))
		return usage_error("latency",
				   "--%s does not apply to %s: the kernel does that work apart "
				   "from the process that caused it",
				   a->cfg.tgid ? "pid" : "cgroup", lat_target_name(t));
	if (a->interval && a->duration && a->interval > a->duration)
		return usage_error("latency", "--interval %g is longer than --duration %g",
				   a->interval, a->duration);
	if (!a->cfg.unit_ns)
		a->cfg.unit_ns = t == LAT_SYSCALL ? 1 : t == LAT_TCP ? 1000000 : 1000;
	return 0;
}

/*
 * "uprobe:PATH:SYMBOL": the file (a library's name found through ldconfig) and the function's
 * offset in it, found here so that a wrong one is a usage error before anything loads.
 */
static int parse_uprobe(const char *spec, struct latency_args *a)
{
	/* @spec is "uprobe" or starts with "uprobe:" (parse_args) */
	const char *path = spec[6] == ':' ? spec + 7 : "", *colon = strrchr(path, ':');
	char file[PATH_MAX];
	struct elf_func fn;
	int ret;

	if (!colon || colon == path || !colon[1])
		return usage_error("latency",
				   "'%s': a uprobe is uprobe:PATH:SYMBOL (like "
				   "uprobe:/bin/bash:readline)",
				   spec);
	snprintf(file, sizeof(file), "%.*s", (int)(colon - path), path);
	a->symbol = colon + 1;
	if (strchr(file, '/'))
		strcpy(a->uprobe_path, file);
	else if (elf_library_find(file, a->uprobe_path, sizeof(a->uprobe_path)))
		return usage_error("latency", "no library %s known to ldconfig; give its path",
				   file);
	ret = elf_func_find(a->uprobe_path, a->symbol, &fn);
	if (ret == -ESRCH)
		return usage_error("latency",
				   "%s: no function %s in its symbol tables (.symtab, "
				   ".dynsym)",
				   a->uprobe_path, a->symbol);
	if (ret)
		return usage_error("latency", "%s: %s", a->uprobe_path, elf_strerror(ret));
	pr_debug("latency", "%s found in %s of %s at file offset 0x%llx", a->symbol, fn.table,
		 a->uprobe_path, (unsigned long long)fn.offset);
	a->cfg.uprobe_path = a->uprobe_path;
	a->cfg.uprobe_offset = fn.offset;
	snprintf(a->probe, sizeof(a->probe), "%s:%s", a->uprobe_path, a->symbol);
	return 0;
}

static int parse_args(int argc, char **argv, struct latency_args *a)
{
	struct getopt_spec spec;
	int opt, ret;

	memset(a, 0, sizeof(*a));
	a->top = 10;
	options_getopt(latency_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'h') {
			latency_usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return options_error("latency", opt, argv);
		ret = parse_option(opt, optarg, a);
		if (ret)
			return ret;
	}
	if (optind >= argc)
		return usage_error("latency",
				   "which target? runq, syscall, block, tcp, irq, offcpu or "
				   "uprobe:PATH:SYMBOL");
	if (optind + 1 < argc)
		return usage_error("latency", "unexpected argument '%s'", argv[optind + 1]);
	if (!strncmp(argv[optind], "uprobe", 6) && (!argv[optind][6] || argv[optind][6] == ':')) {
		a->cfg.target = LAT_UPROBE;
		ret = check_args(a);
		return ret ? ret : parse_uprobe(argv[optind], a);
	}
	ret = lat_target_by_name(argv[optind]);
	if (ret < 0)
		return usage_error("latency",
				   "no target '%s'; the targets are runq, syscall, block, tcp, "
				   "irq, offcpu and uprobe:PATH:SYMBOL",
				   argv[optind]);
	a->cfg.target = (enum lat_target)ret;
	return check_args(a);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until @until (monotonic seconds; INFINITY: forever) or a signal. */
static void sleep_until(double until)
{
	double left;

	while (!stop_requested && (left = until - now_s()) > 0) {
		/* at most an hour at a time: INFINITY does not convert to a time_t */
		struct timespec ts = { 3600, 0 };

		if (left < 3600)
			ts = (struct timespec){ (time_t)left,
						(long)((left - (double)(time_t)left) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

/* Read, subtract @prev, print; the new read becomes @prev. */
static int report(struct lat_session *s, const struct latency_args *a, double seconds,
		  struct lat_entry **prev, size_t *prev_n)
{
	struct lat_entry *cur, *shown;
	struct lat_peer_count *peers = NULL;
	size_t n, npeers = 0;
	struct lat_report r;
	int ret;

	ret = lat_read(s, &cur, &n);
	if (ret)
		return ret;
	if (a->cfg.target == LAT_TCP && (ret = lat_read_peers(s, &peers, &npeers))) {
		free(cur);
		return ret;
	}
	shown = malloc((n ? n : 1) * sizeof(*shown));
	if (!shown) {
		free(cur);
		free(peers);
		return -ENOMEM;
	}
	memcpy(shown, cur, n * sizeof(*cur));
	r = (struct lat_report){
		.target = a->cfg.target,
		.group = a->cfg.group,
		.unit_ns = a->cfg.unit_ns,
		.top = a->top,
		.seconds = seconds,
		.missed = lat_missed(s),
		.mode = lat_mode(s),
		.probe = a->cfg.target == LAT_UPROBE ? a->probe : NULL,
		.entries = shown,
		.n = n,
		.peers = peers,
		.npeers = npeers,
	};
	lat_delta(shown, &r.n, *prev, *prev_n);
	if (a->json) {
		lat_report_json(stdout, &r);
	} else {
		if (a->interval) {
			time_t t = time(NULL);
			char hms[16];

			strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&t));
			printf("\n%s (%.1f s)\n", hms, seconds);
		}
		lat_report_text(stdout, &r);
	}
	free(shown);
	free(peers);
	free(*prev);
	*prev = cur;
	*prev_n = n;
	return 0;
}

static int open_error(const struct latency_args *a, int err)
{
	if (err == -ENOENT && a->cfg.cgroup) {
		fprintf(stderr, "vigil: latency: no cgroup %s on the cgroup2 mount\n",
			a->cfg.cgroup);
		return EXIT_USAGE;
	}
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr,
			"vigil: latency: the kernel refused the programs (%s); needs root "
			"(CAP_BPF and CAP_PERFMON)\n",
			strerror(-err));
		return EXIT_NO_PRIVILEGE;
	}
	if (a->cfg.target == LAT_UPROBE) {
		fprintf(stderr,
			"vigil: latency: cannot attach uprobes to %s: %s (-v shows libbpf's "
			"messages)\n",
			a->probe, strerror(-err));
		return EXIT_NO_FEATURE;
	}
	fprintf(stderr,
		"vigil: latency: cannot trace %s: %s (neither tp_btf nor raw_tp tracepoints "
		"loaded; vigil probe says what this kernel has, -v shows the verifier's log)\n",
		lat_target_name(a->cfg.target), strerror(-err));
	return EXIT_NO_FEATURE;
}

static int latency_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct lat_entry *prev = NULL;
	struct lat_session *s = NULL;
	struct latency_args a;
	double start, last, end;
	size_t prev_n = 0;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (geteuid()) {
		fprintf(stderr,
			"vigil: latency: needs root to load BPF programs; try: sudo vigil "
			"latency %s\n",
			a.cfg.target == LAT_UPROBE ? a.probe : lat_target_name(a.cfg.target));
		return EXIT_NO_PRIVILEGE;
	}
	ret = lat_open(&a.cfg, &s);
	if (ret)
		return open_error(&a, ret);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (a.cfg.target == LAT_UPROBE)
		fprintf(stderr, "vigil: latency: tracing %s of %s (%s); Ctrl-C to stop\n",
			target_what[a.cfg.target], a.probe, lat_mode(s));
	else
		fprintf(stderr, "vigil: latency: tracing %s (%s); Ctrl-C to stop\n",
			target_what[a.cfg.target], lat_mode(s));
	start = last = now_s();
	end = a.duration ? start + a.duration : INFINITY;
	while (!stop_requested && now_s() < end) {
		double next = a.interval && last + a.interval < end ? last + a.interval : end;

		sleep_until(next);
		if (!a.interval)
			continue;
		ret = report(s, &a, now_s() - last, &prev, &prev_n);
		if (ret)
			goto out;
		last = now_s();
	}
	/* the rest since the last report: all of it without --interval */
	if (!a.interval || now_s() - last > 0.05)
		ret = report(s, &a, now_s() - last, &prev, &prev_n);
out:
	if (ret) {
		fprintf(stderr, "vigil: latency: reading the histograms: %s\n", strerror(-ret));
		ret = EXIT_RUNTIME;
	}
	free(prev);
	lat_close(s);
	return ret;
}

const struct command cmd_latency = {
	.name = "latency",
	.summary =
		"latency histograms built in the kernel (runq, syscall, block, tcp, irq, offcpu, "
		"uprobe)",
	.run = latency_run,
	.usage = latency_usage,
	.options = latency_options,
};
