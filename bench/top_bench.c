// SPDX-License-Identifier: GPL-2.0
/*
 * vigil top benchmark: what `vigil top --batch -i 1` costs when it refreshes once a second, on
 * a machine left as it is ("idle": whatever else runs there) and made busy by two workloads of
 * ours (a getppid() loop and a pipe ping-pong, one per core):
 *
 *   user space   vigil's own CPU time (utime + stime) over the window, % of one core
 *   kernel side  its BPF programs' run time over the window (bpf_stats, held only here), % of
 *                one core: what the tracepoints cost the tasks that hit them
 *
 * and the added cost on the getppid loop (ns per call) with and without it, interleaved
 * rounds, medians. Issue 22's goal: under 1% of one CPU at a 1 s refresh on an idle machine.
 * Run as root from the repository root.
 *
 * usage: top_bench [seconds per window] [rounds]
 */
#include <bpf/bpf.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"

#define MAX_ROUNDS 16
#define CALLS	   2000000

static char *const top_argv[] = { "./vigil", "top", "--batch", "-i", "1", "-r", "5", NULL };

/* utime + stime of @pid, in seconds */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double getppid_loop(void)
{
	double start = now_ns();

	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getppid);
	return (now_ns() - start) / CALLS;
}

/* The busy machine: a getppid loop and a pipe ping-pong, until killed. */
static void busy(pid_t kids[3])
{
	int a[2], b[2];
	char c = 0;

	kids[0] = fork();
	if (kids[0] == 0)
		for (;;)
			syscall(SYS_getppid);
	if (pipe(a) || pipe(b))
		return;
	kids[1] = fork();
	if (kids[1] == 0)
		for (;;)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(1);
	kids[2] = fork();
	if (kids[2] == 0)
		for (;;)
			if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
				_exit(1);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

static void unbusy(pid_t kids[3])
{
	for (int i = 0; i < 3; i++)
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
}

/* vigil top for @seconds: its user-space and BPF CPU, % of one core. 0, or -1. */
static int window(double seconds, double *user_pct, double *bpf_pct)
{
	__u32 ids[64];
	double c0, t0, w0, c1, t1, w1;
	pid_t pid = start_until(top_argv, "vigil top - ");
	int n;

	if (pid < 0)
		return -1;
	n = prog_ids_of(pid, ids, 64);
	c0 = cpu_s(pid);
	t0 = prog_time(ids, n);
	w0 = now_ns();
	usleep((useconds_t)(seconds * 1e6));
	c1 = cpu_s(pid);
	t1 = prog_time(ids, n);
	w1 = now_ns();
	stop_child(pid);
	if (c0 < 0 || c1 < 0 || !n)
		return -1;
	*user_pct = (c1 - c0) / ((w1 - w0) / 1e9) * 100;
	*bpf_pct = (t1 - t0) / (w1 - w0) * 100;
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 20;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double none[MAX_ROUNDS], with[MAX_ROUNDS], d[MAX_ROUNDS];
	const char *what[2] = { "idle (as it is)", "busy (+ getppid loop, ping-pong)" };
	int stats;

	if (seconds < 2 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: top_bench [seconds >= 2] [rounds 1..%d]\n", MAX_ROUNDS);
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "top_bench: needs root (loads BPF)\n");
		return 77;
	}
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0)
		fprintf(stderr, "top_bench: no bpf_stats: the kernel side is not measured\n");
	printf("vigil top --batch -i 1: CPU over %.0f s windows, %% of one core\n", seconds);
	printf("  %-34s %10s %10s %10s\n", "machine", "vigil", "its BPF", "total");
	for (int busy_run = 0; busy_run < 2; busy_run++) {
		pid_t kids[3] = { -1, -1, -1 };
		double user, bpf;

		if (busy_run)
			busy(kids);
		if (window(seconds, &user, &bpf))
			printf("  %-34s unavailable\n", what[busy_run]);
		else
			printf("  %-34s %9.2f%% %9.2f%% %9.2f%%\n", what[busy_run], user,
			       stats < 0 ? 0 : bpf, user + (stats < 0 ? 0 : bpf));
		unbusy(kids);
	}
	if (stats >= 0)
		close(stats);
	/* the syscall path's added cost: every syscall hits sys_exit */
	for (int r = 0; r < rounds; r++) {
		pid_t pid;

		none[r] = getppid_loop();
		pid = start_until(top_argv, "vigil top - ");
		with[r] = pid > 0 ? getppid_loop() : -1;
		if (pid > 0)
			stop_child(pid);
		d[r] = with[r] - none[r];
	}
	printf("getppid loop, %d calls, %d rounds interleaved (ns/call)\n", CALLS, rounds);
	printf("  none %.1f, with vigil top %.1f, added %+.1f (%.2fx)\n", median(none, rounds),
	       median(with, rounds), median(d, rounds),
	       median(with, rounds) / median(none, rounds));
	return 0;
}
