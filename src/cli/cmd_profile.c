// SPDX-License-Identifier: GPL-2.0
/* vigil profile: CPU and off-CPU profiles with complete stacks; folded, SVG or text. */
#include "cli/cli.h"
#include "core/log.h"
#include "profile/flamegraph.h"
#include "profile/profile.h"
#include "vigil/profile.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_HZ = 256,
	OPT_OFF_CPU,
	OPT_MIN_OFF,
	OPT_KERNEL_ONLY,
	OPT_USER_ONLY,
	OPT_FORMAT,
	OPT_TOP,
	OPT_STACK_SIZE,
};

static const struct cli_option profile_options[] = {
	OPTION("duration", 'd', "S", "stop after S seconds (default: at Ctrl-C or SIGTERM)"),
	OPTION("pid", 'p', "PID", "only process PID (all its threads)"),
	OPTION("cgroup", 'c', "PATH",
	       "only tasks in cgroup PATH and below it, a path on the\n"
	       "cgroup2 mount (\"/system.slice/nginx.service\")"),
	OPTION("hz", OPT_HZ, "N", "on-CPU samples a second on each CPU (default 49)"),
	OPTION("off-cpu", OPT_OFF_CPU, NULL,
	       "time off CPU (blocked, sleeping) by the stack it blocked\n"
	       "in, instead of samples on CPU"),
	OPTION("min-off", OPT_MIN_OFF, "US",
	       "off-CPU spells shorter than US microseconds are not\n"
	       "counted (default 10)"),
	OPTION("kernel-only", OPT_KERNEL_ONLY, NULL, "kernel stacks only"),
	OPTION("user-only", OPT_USER_ONLY, NULL, "user stacks only"),
	OPTION("format", 'f', "FMT",
	       "text (the top functions, default), folded\n"
	       "(flamegraph.pl's input) or svg (a flame graph)"),
	OPTION("output", 'o', "FILE", "write the profile to FILE instead of stdout"),
	OPTION("top", OPT_TOP, "N", "text: functions shown (default 20; 0: all)"),
	OPTION("stack-size", OPT_STACK_SIZE, "BYTES",
	       "user stack copied per sample for unwinding, 4096 to\n"
	       "32768 in steps of 4096 (default 16384)"),
	OPTION("verbose", 'v', NULL, "show libbpf's and the verifier's messages (on stderr)"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void profile_usage(FILE *out)
{
	fputs("usage: vigil profile [options] [all]\n\n"
	      "Sample where processes spend their time, with complete stacks: kernel\n"
	      "stacks walked in the kernel, user stacks unwound with the DWARF call frame\n"
	      "information (.eh_frame), so binaries built without frame pointers (Debian's)\n"
	      "get whole, named stacks. Each sample copies the user registers and the top of\n"
	      "the user stack; vigil unwinds them with libdw, as perf --call-graph dwarf\n"
	      "does. Symbols come from .symtab/.dynsym, debug files by build-id under\n"
	      "/usr/lib/debug, /tmp/perf-PID.map (JITs) and /proc/kallsyms; binaries of\n"
	      "containers are read through /proc/PID/root. Needs root.\n\n"
	      "On-CPU (default): a cpu-clock sample --hz times a second on every CPU.\n"
	      "Off-CPU (--off-cpu): the time from a task's switch out, not runnable, to its\n"
	      "return, by the stack it blocked in.\n\n"
	      "Without --pid or --cgroup (or with the operand all) every process is profiled.\n\n"
	      "Options:\n",
	      out);
	options_help(out, profile_options, 0);
	fputs("\nWhat was lost is always printed: samples the ring buffer dropped, user\n"
	      "stacks deeper than the copy (truncated) or without unwind information, and\n"
	      "frames without a name.\n\n"
	      "Examples:\n"
	      "  sudo vigil profile -d 10                        # top functions, 10 s\n"
	      "  sudo vigil profile -p 1234 -d 30 -f svg -o cpu.svg\n"
	      "  sudo vigil profile -d 10 -f folded | flamegraph.pl > cpu.svg\n"
	      "  sudo vigil profile --off-cpu -p 1234 -d 10 -f svg -o off.svg\n\n"
	      "Exit status: 0, 64 bad usage, 69 a kernel feature or libdw is missing,\n"
	      "77 not root (vigil help: every code).\n",
	      out);
}

enum profile_format { FMT_TEXT, FMT_FOLDED, FMT_SVG };

struct profile_args {
	struct prof_config cfg;
	double duration;
	enum profile_format format;
	const char *output;
	unsigned int top;
	bool kernel_only, user_only;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int parse_uint(const char *opt, const char *arg, unsigned long min, unsigned long max,
		      const char *what, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || *out < min || *out > max)
		return usage_error("profile", "--%s wants %s (%lu to %lu), not '%s'", opt, what,
				   min, max, arg);
	return 0;
}

static int parse_option(int opt, const char *arg, struct profile_args *a)
{
	unsigned long v;
	char *end;
	int ret;

	switch (opt) {
	case 'd':
		errno = 0;
		a->duration = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(a->duration) || a->duration <= 0 ||
		    a->duration > 31536000)
			return usage_error("profile",
					   "--duration wants seconds above 0 (like 10 or 0.5), "
					   "not '%s'",
					   arg);
		return 0;
	case 'p':
		ret = parse_uint("pid", arg, 1, 4194304, "a process id", &v);
		a->cfg.tgid = (uint32_t)v;
		return ret;
	case 'c':
		if (arg[0] != '/')
			return usage_error("profile",
					   "--cgroup wants a path below the cgroup2 mount starting "
					   "with '/' (like /system.slice), not '%s'",
					   arg);
		a->cfg.cgroup = arg;
		return 0;
	case OPT_HZ:
		ret = parse_uint("hz", arg, 1, 1000, "samples a second", &v);
		a->cfg.hz = (unsigned int)v;
		return ret;
	case OPT_OFF_CPU:
		a->cfg.off_cpu = true;
		return 0;
	case OPT_MIN_OFF:
		ret = parse_uint("min-off", arg, 0, 60000000, "microseconds", &v);
		a->cfg.min_off_ns = v * 1000;
		return ret;
	case OPT_KERNEL_ONLY:
		a->kernel_only = true;
		return 0;
	case OPT_USER_ONLY:
		a->user_only = true;
		return 0;
	case 'f':
		if (!strcmp(arg, "text"))
			a->format = FMT_TEXT;
		else if (!strcmp(arg, "folded"))
			a->format = FMT_FOLDED;
		else if (!strcmp(arg, "svg"))
			a->format = FMT_SVG;
		else if (!strcmp(arg, "pprof"))
			return usage_error("profile",
					   "--format pprof is not built in (Debian has no C "
					   "library for it); use folded, svg or text");
		else
			return usage_error("profile", "--format is text, folded or svg, not '%s'",
					   arg);
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case OPT_TOP:
		ret = parse_uint("top", arg, 0, 100000, "a number of functions", &v);
		a->top = (unsigned int)v;
		return ret;
	case OPT_STACK_SIZE:
		ret = parse_uint("stack-size", arg, VIGIL_PROF_PAGE, VIGIL_PROF_USTACK,
				 "bytes, a multiple of 4096", &v);
		if (!ret && v % VIGIL_PROF_PAGE)
			return usage_error("profile",
					   "--stack-size wants a multiple of 4096, not '%s'", arg);
		a->cfg.ustack_size = (uint32_t)v;
		return ret;
	case 'v':
		log_set_level(LOG_DEBUG);
		return 0;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct profile_args *a)
{
	struct getopt_spec spec;
	int opt, ret;

	memset(a, 0, sizeof(*a));
	a->cfg.hz = 49;
	a->cfg.min_off_ns = 10000;
	a->cfg.ustack_size = 16384;
	a->top = 20;
	options_getopt(profile_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'h') {
			profile_usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return options_error("profile", opt, argv);
		ret = parse_option(opt, optarg, a);
		if (ret)
			return ret;
	}
	if (optind < argc && strcmp(argv[optind], "all"))
		return usage_error("profile", "unexpected argument '%s' (all, or --pid/--cgroup)",
				   argv[optind]);
	if (optind < argc && (a->cfg.tgid || a->cfg.cgroup))
		return usage_error("profile", "all and --%s: choose one",
				   a->cfg.tgid ? "pid" : "cgroup");
	if (optind + 1 < argc)
		return usage_error("profile", "unexpected argument '%s'", argv[optind + 1]);
	if (a->cfg.tgid && a->cfg.cgroup)
		return usage_error("profile", "--pid and --cgroup: choose one");
	if (a->kernel_only && a->user_only)
		return usage_error("profile", "--kernel-only and --user-only: choose one");
	if (a->cfg.tgid && kill((pid_t)a->cfg.tgid, 0) && errno == ESRCH)
		return usage_error("profile", "--pid %u: no such process", a->cfg.tgid);
	a->cfg.kernel = !a->user_only;
	a->cfg.user = !a->kernel_only;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* What was lost and how good the stacks are: on the text output, or stderr. */
static void print_stats(FILE *out, const struct prof_stats *st, const struct profile_args *a,
			double seconds)
{
	fprintf(out, "%llu %s in %.1f s", (unsigned long long)st->samples,
		a->cfg.off_cpu ? "off-CPU spells" : "samples", seconds);
	if (st->user_stacks)
		fprintf(out,
			"; user stacks: %.1f%% complete, %llu truncated, %llu stopped early, "
			"%llu of exited processes",
			pct(st->complete, st->user_stacks), (unsigned long long)st->truncated,
			(unsigned long long)st->unwind_failed, (unsigned long long)st->gone);
	fprintf(out,
		"\nlost: %llu samples (ring buffer full), %llu left unwound at the end, "
		"%llu user stacks unreadable, "
		"%llu kernel stacks, %llu of %llu frames unnamed, %llu beyond %u stacks",
		(unsigned long long)st->ring_lost, (unsigned long long)st->late,
		(unsigned long long)st->no_ustack, (unsigned long long)st->kstack_failed,
		(unsigned long long)st->unresolved, (unsigned long long)st->frames,
		(unsigned long long)st->dropped_stacks, STACKS_MAX);
	if (a->cfg.off_cpu)
		fprintf(out, ", %llu spells unmatched; %llu shorter than %llu us not counted",
			(unsigned long long)st->off_unmatched, (unsigned long long)st->off_short,
			(unsigned long long)(a->cfg.min_off_ns / 1000));
	fprintf(out,
		"\nunwinding and naming: %.3f s in all, %.1f us a sample; %.1f KiB a sample "
		"received\n",
		(double)st->unwind_ns / 1e9,
		st->samples ? (double)st->unwind_ns / 1e3 / (double)st->samples : 0,
		st->samples ? (double)st->bytes / 1024 / (double)st->samples : 0);
}

static int write_profile(FILE *out, struct prof_session *s, const struct profile_args *a,
			 const struct prof_stats *st, double seconds)
{
	const struct stack_table *t = prof_stacks(s);
	struct stack_count *sorted;
	size_t n;
	int ret = stack_table_sorted(t, &sorted, &n);

	if (ret)
		return ret;
	switch (a->format) {
	case FMT_FOLDED:
		stacks_write_folded(out, sorted, n);
		break;
	case FMT_SVG:
		ret = flamegraph_write_svg(out, sorted, n,
					   a->cfg.off_cpu ? "Off-CPU time" : "CPU samples",
					   a->cfg.off_cpu);
		break;
	case FMT_TEXT:
		print_stats(out, st, a, seconds);
		fputc('\n', out);
		ret = stacks_write_top(out, sorted, n, t->total, a->top, a->cfg.off_cpu);
		break;
	}
	free(sorted);
	return ret;
}

static int open_error(const struct profile_args *a, int err)
{
	if (err == -ENOENT && a->cfg.cgroup) {
		fprintf(stderr, "vigil: profile: no cgroup %s on the cgroup2 mount\n",
			a->cfg.cgroup);
		return EXIT_USAGE;
	}
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "vigil: profile: this vigil is built without libdw (the static "
				"build): user stacks cannot be unwound; --kernel-only works\n");
		return EXIT_NO_FEATURE;
	}
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr,
			"vigil: profile: the kernel refused the programs or perf events (%s); "
			"needs root (CAP_BPF and CAP_PERFMON); -v shows the verifier's log\n",
			strerror(-err));
		return EXIT_NO_PRIVILEGE;
	}
	fprintf(stderr,
		"vigil: profile: cannot profile: %s (%s; vigil probe says what this kernel "
		"has, -v shows the verifier's log)\n",
		strerror(-err),
		a->cfg.off_cpu ? "tp_btf/sched_switch" : "perf_event cpu-clock on every CPU");
	return EXIT_NO_FEATURE;
}

static int profile_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct prof_session *s = NULL;
	struct profile_args a;
	struct prof_stats st;
	double start, end;
	FILE *out = stdout;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (geteuid()) {
		fprintf(stderr, "vigil: profile: needs root to load BPF programs; try: sudo vigil "
				"profile\n");
		return EXIT_NO_PRIVILEGE;
	}
	/* before profiling: a bad path is an error now, not after the duration */
	if (a.output && !(out = fopen(a.output, "we"))) {
		fprintf(stderr, "vigil: profile: cannot write %s: %s\n", a.output, strerror(errno));
		return EXIT_USAGE;
	}
	ret = prof_open(&a.cfg, &s);
	if (ret) {
		ret = open_error(&a, ret);
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (a.cfg.off_cpu)
		fprintf(stderr, "vigil: profile: off-CPU time above %llu us, ",
			(unsigned long long)(a.cfg.min_off_ns / 1000));
	else
		fprintf(stderr, "vigil: profile: sampling at %u Hz on every CPU, ", a.cfg.hz);
	if (a.cfg.tgid)
		fprintf(stderr, "process %u", a.cfg.tgid);
	else if (a.cfg.cgroup)
		fprintf(stderr, "cgroup %s", a.cfg.cgroup);
	else
		fprintf(stderr, "every process");
	fprintf(stderr, "; Ctrl-C to stop\n");
	start = now_s();
	end = a.duration ? start + a.duration : INFINITY;
	while (!stop_requested && now_s() < end) {
		ret = prof_poll(s, 100);
		if (ret)
			break;
	}
	/* what is still in the ring buffer */
	if (!ret)
		ret = prof_stop(s);
	if (ret) {
		fprintf(stderr, "vigil: profile: reading samples: %s\n", strerror(-ret));
		ret = EXIT_RUNTIME;
		goto out;
	}
	prof_get_stats(s, &st);
	ret = write_profile(out, s, &a, &st, now_s() - start);
	if (!ret && a.format != FMT_TEXT)
		print_stats(stderr, &st, &a, now_s() - start);
	if (ret || fflush(out)) {
		fprintf(stderr, "vigil: profile: writing the profile: %s\n",
			strerror(ret ? -ret : errno));
		ret = EXIT_RUNTIME;
	}
out:
	prof_close(s);
	if (out != stdout && fclose(out) && !ret) {
		fprintf(stderr, "vigil: profile: writing %s: %s\n", a.output, strerror(errno));
		ret = EXIT_RUNTIME;
	}
	return ret;
}

const struct command cmd_profile = {
	.name = "profile",
	.summary = "CPU and off-CPU profiles with complete stacks (text, folded, SVG)",
	.run = profile_run,
	.usage = profile_usage,
	.options = profile_options,
};
