// SPDX-License-Identifier: GPL-2.0
/*
 * vigil latency benchmark: the added cost of `vigil latency syscall` and `vigil latency runq`
 * on workloads that stress their tracepoints, in the same run, interleaved (A B C D A B ...),
 * medians of each round's difference to that round's "none":
 *
 *   syscall workload: a getppid() loop (ns per call), in a child forked after setup
 *     none       nothing attached
 *     floor      empty tp_btf programs on sys_enter and sys_exit
 *     vigil      vigil latency syscall
 *     bpftrace   the same job as a bpftrace script: per-syscall latency histograms
 *     syscount   bpftrace's syscount.bt as Debian ships it (counts only, at sys_enter)
 *
 *   runq workload: `perf bench sched messaging` (ms per run), or a pipe ping-pong when perf
 *   is missing (ns per round trip)
 *     none, floor (empty programs on sched_wakeup, sched_wakeup_new, sched_switch), vigil
 *     latency runq, and runqlat.bt (without its #include where bpftrace cannot compile it)
 *
 * Issue 22's targets: vigil's added cost <= 1.5x the floor's and <= half of bpftrace's.
 * Run as root from the repository root.
 *
 * Then each condition's programs' own time per operation from bpf_stats (one pass each).
 *
 * usage: latency_bench [rounds] [getppid calls]
 */
#include <bpf/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "core/mounts.h"
#include "bench_floor_latency.skel.h"

#define MAX_ROUNDS 32

enum workload { SYSCALLS, RUNQ, N_WORK };
enum cond { NONE, FLOOR, VIGIL, BPFTRACE, SYSCOUNT, N_COND };

static const char *const cond_names[N_WORK][N_COND] = {
	[SYSCALLS] = { "none", "floor (empty progs)", "vigil latency syscall",
		       "bpftrace (same job)", "syscount.bt" },
	[RUNQ] = { "none", "floor (empty progs)", "vigil latency runq", "runqlat.bt", NULL },
};

/* The bpftrace equivalent of vigil latency syscall: latency histograms per syscall. */
static const char bpftrace_syscall[] =
	"BEGIN { printf(\"Tracing syscalls\\n\"); } "
	"tracepoint:raw_syscalls:sys_enter { @start[tid] = nsecs; } "
	"tracepoint:raw_syscalls:sys_exit /@start[tid]/ { "
	"@ns[args->id] = hist(nsecs - @start[tid]); delete(@start[tid]); }";

static char runqlat_script[64];
static bool have_perf;

static double getppid_loop(int calls)
{
	double start = now_ns();

	for (int i = 0; i < calls; i++)
		syscall(SYS_getppid);
	return (now_ns() - start) / calls;
}

/* In a child forked after the condition is set up, as a new process would be. */
static double getppid_child(int calls)
{
	double ns = -1;
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		ns = getppid_loop(calls);
		_exit(write(fds[1], &ns, sizeof(ns)) == sizeof(ns) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &ns, sizeof(ns)) != sizeof(ns))
		ns = -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return ns;
}

#define PINGPONGS 20000

/* ns per round trip of one byte between two processes over two pipes */
static double pingpong(void)
{
	int a[2], b[2];
	double start;
	char c = 0;
	pid_t pid;

	if (pipe(a) || pipe(b))
		return -1;
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < PINGPONGS; i++)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	start = now_ns();
	for (int i = 0; i < PINGPONGS; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			break;
	start = (now_ns() - start) / PINGPONGS;
	waitpid(pid, NULL, 0);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
	return start;
}

/* ms per `perf bench sched messaging` run (wall clock, as it reports it) */
static double messaging(void)
{
	double start = now_ns();

	if (quiet("perf bench sched messaging -g 2 -l 50"))
		return -1;
	return (now_ns() - start) / 1e6;
}

static double run_workload(enum workload w, int calls)
{
	if (w == SYSCALLS)
		return getppid_child(calls);
	return have_perf ? messaging() : pingpong();
}

struct running {
	struct bench_floor_latency_bpf *floor;
	pid_t pid;
};

static int setup(enum workload w, enum cond c, struct running *r)
{
	memset(r, 0, sizeof(*r));
	switch (c) {
	case FLOOR:
		r->floor = bench_floor_latency_bpf__open();
		if (!r->floor)
			return -1;
		bpf_program__set_autoload(r->floor->progs.floor_sys_enter, w == SYSCALLS);
		bpf_program__set_autoload(r->floor->progs.floor_sys_exit, w == SYSCALLS);
		bpf_program__set_autoload(r->floor->progs.floor_wakeup, w == RUNQ);
		bpf_program__set_autoload(r->floor->progs.floor_wakeup_new, w == RUNQ);
		bpf_program__set_autoload(r->floor->progs.floor_switch, w == RUNQ);
		return bench_floor_latency_bpf__load(r->floor) ||
				       bench_floor_latency_bpf__attach(r->floor)
			       ? -1
			       : 0;
	case VIGIL:
		r->pid = start_until((char *const[]){ "./vigil", "latency",
						      w == SYSCALLS ? "syscall" : "runq", NULL },
				     "Ctrl-C to stop");
		return r->pid > 0 ? 0 : -1;
	case BPFTRACE:
		if (w == SYSCALLS)
			r->pid = start_until((char *const[]){ "/usr/bin/bpftrace", "-e",
							      (char *)bpftrace_syscall, NULL },
					     "Tracing syscalls");
		else
			r->pid = start_until(
				(char *const[]){ "/usr/bin/bpftrace", runqlat_script, NULL },
				"Tracing CPU scheduler");
		return r->pid > 0 ? 0 : -1;
	case SYSCOUNT:
		r->pid = start_until(
			(char *const[]){ "/usr/bin/bpftrace", "/usr/sbin/syscount.bt", NULL },
			"Counting syscalls");
		return r->pid > 0 ? 0 : -1;
	default:
		return 0;
	}
}

/*
 * The programs' own time per workload operation, from the kernel's run-time statistics: none
 * of a shared machine's wall-clock noise. -1 when unavailable.
 */
static double prog_cost(enum workload w, const struct running *r, int calls)
{
	__u32 ids[64];
	int n = prog_ids_of(r->pid > 0 ? r->pid : getpid(), ids, 64);
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	double ns, ops = w == SYSCALLS ? calls : 1;

	if (stats < 0 || !n) {
		if (stats >= 0)
			close(stats);
		return -1;
	}
	ns = prog_time(ids, n);
	run_workload(w, calls);
	ns = prog_time(ids, n) - ns;
	close(stats);
	return ns / ops;
}

static void teardown(struct running *r)
{
	bench_floor_latency_bpf__destroy(r->floor);
	if (r->pid > 0)
		stop_child(r->pid);
}

/*
 * runqlat.bt as shipped, or, where this bpftrace cannot compile its #include, a copy without
 * it and with TASK_RUNNING as 0.
 */
static void pick_runqlat(void)
{
	pid_t pid =
		start_until((char *const[]){ "/usr/bin/bpftrace", "/usr/sbin/runqlat.bt", NULL },
			    "Tracing CPU scheduler");
	char cmd[256];

	snprintf(runqlat_script, sizeof(runqlat_script), "/usr/sbin/runqlat.bt");
	if (pid > 0) {
		stop_child(pid);
		return;
	}
	snprintf(runqlat_script, sizeof(runqlat_script), "/tmp/vigil-bench-runqlat-%d.bt",
		 getpid());
	snprintf(cmd, sizeof(cmd),
		 "sed -e '/^#include/d' -e 's/TASK_RUNNING/0/' "
		 "/usr/sbin/runqlat.bt > %s",
		 runqlat_script);
	if (!system(cmd))
		fprintf(stderr, "latency_bench: runqlat.bt without its #include (this bpftrace "
				"cannot compile it)\n");
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int calls = argc > 2 ? atoi(argv[2]) : 1000000;
	static double t[N_WORK][N_COND][MAX_ROUNDS];
	double add[N_WORK][N_COND], med[N_WORK][N_COND], d[MAX_ROUNDS];
	bool have[N_WORK][N_COND];

	if (rounds < 1 || rounds > MAX_ROUNDS || calls < 1) {
		fprintf(stderr, "usage: latency_bench [rounds 1..%d] [getppid calls]\n",
			MAX_ROUNDS);
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "latency_bench: needs root (loads BPF)\n");
		return 77;
	}
	/* bpftrace's tracepoints need tracefs: mount it for us (and the tools we start) only */
	if (tracefs_ensure()) {
		fprintf(stderr, "latency_bench: cannot mount tracefs\n");
		return 1;
	}
	have_perf = !quiet("perf bench sched messaging -g 1 -l 1");
	pick_runqlat();
	for (int w = 0; w < N_WORK; w++)
		for (int c = 0; c < N_COND; c++)
			have[w][c] = cond_names[w][c] != NULL;
	getppid_loop(calls / 4); /* warm up */
	for (int r = 0; r < rounds; r++)
		for (int w = 0; w < N_WORK; w++)
			for (int c = 0; c < N_COND; c++) {
				struct running run;

				if (!have[w][c])
					continue;
				if (setup(w, c, &run)) {
					fprintf(stderr, "latency_bench: %s unavailable, left out\n",
						cond_names[w][c]);
					teardown(&run);
					have[w][c] = false;
					continue;
				}
				t[w][c][r] = run_workload(w, calls);
				teardown(&run);
			}
	for (int w = 0; w < N_WORK; w++)
		for (int c = 0; c < N_COND; c++) {
			if (!have[w][c])
				continue;
			for (int r = 0; r < rounds; r++)
				d[r] = t[w][c][r] - t[w][NONE][r];
			add[w][c] = median(d, rounds);
			med[w][c] = median(t[w][c], rounds);
		}
	for (int w = 0; w < N_WORK; w++) {
		const char *unit = w == SYSCALLS ? "ns/call" : have_perf ? "ms/run" : "ns/trip";

		if (w == SYSCALLS)
			printf("syscall: getppid loop, %d calls, %d rounds interleaved (%s)\n",
			       calls, rounds, unit);
		else if (have_perf)
			printf("runq: perf bench sched messaging -g 2 -l 50, %d rounds "
			       "interleaved "
			       "(%s)\n",
			       rounds, unit);
		else
			printf("runq: pipe ping-pong, %d round trips, %d rounds interleaved (%s)\n",
			       PINGPONGS, rounds, unit);
		printf("  %-24s %10s %10s %8s\n", "condition", "median", "added", "x none");
		for (int c = 0; c < N_COND; c++)
			if (have[w][c])
				printf("  %-24s %10.1f %+10.1f %8.2f\n", cond_names[w][c],
				       med[w][c], add[w][c], med[w][c] / med[w][NONE]);
		if (have[w][FLOOR] && have[w][VIGIL])
			printf("  vigil added / floor added = %.2fx (target <= 1.5x)",
			       add[w][VIGIL] / add[w][FLOOR]);
		if (have[w][BPFTRACE] && have[w][VIGIL])
			printf(", / %s added = %.2f (target <= 0.5)", cond_names[w][BPFTRACE],
			       add[w][VIGIL] / add[w][BPFTRACE]);
		printf("\n  programs' own time (bpf_stats, one pass each, %s):\n",
		       w == SYSCALLS ? "ns per call" : "ms per run");
		for (int c = FLOOR; c < N_COND; c++) {
			struct running run;
			double cost;

			if (!have[w][c])
				continue;
			if (setup(w, c, &run)) {
				teardown(&run);
				continue;
			}
			cost = prog_cost(w, &run, calls);
			teardown(&run);
			if (cost >= 0)
				printf("  %-24s %10.1f\n", cond_names[w][c],
				       w == SYSCALLS ? cost : cost / 1e6);
		}
		printf("\n");
	}
	if (strncmp(runqlat_script, "/usr/sbin/", 10))
		unlink(runqlat_script);
	return 0;
}
