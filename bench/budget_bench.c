// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of the per-uid event budget (vigil/budget.h) in the file sensor's open program,
 * from the kernel's run-time statistics: a process as nobody opens a root-only file in a loop
 * (every open refused, every one reported: --aggregate 0) under `vigil trace --events open`
 * with
 *
 *   off        --event-budget off: no budget check
 *   admitted   a budget no loop reaches: the check, then the record as before
 *   throttled  --event-budget 1: the check refuses, the record is never built
 *   base       $BASE_VIGIL (say main's build), when set: no budget code at all
 *
 * interleaved (A B C A B C ...), medians of the program's mean cost per run in each round.
 *
 * usage: budget_bench [rounds] [iterations]
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"

enum cond { OFF, ADMITTED, THROTTLED, BASE, N_COND };
static const char *const cond_names[N_COND] = { "off", "admitted", "throttled", "base" };
static const char *const budgets[N_COND] = { "off", "10000000", "1", NULL };

#define MAX_ROUNDS 32
#define NOBODY	   65534

static char dir[] = "/tmp/budget-bench-XXXXXX", secret[64], out[64];

/* The fd of the newest loaded program called @name, or -1. */
static int prog_by_name(const char *name)
{
	struct bpf_prog_info info;
	__u32 id = 0, len;
	int fd, found = -1;

	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name)) {
			if (found >= 0)
				close(found);
			found = fd;
			continue;
		}
		close(fd);
	}
	return found;
}

/* @iterations refused opens of the secret, as nobody, in a child. */
static void refused_loop(int iterations)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		for (int i = 0; i < iterations; i++)
			if (open(secret, O_RDONLY) >= 0)
				_exit(1);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* ns per run of vigil's openat program over the loop, or -1. */
static double run_cond(enum cond c, const char *base, int iterations)
{
	char *argv[16] = { (char *)(c == BASE ? base : "./vigil"),
			   "trace",
			   "--events",
			   "open",
			   "--path",
			   secret,
			   "--aggregate",
			   "0",
			   "-f",
			   "json",
			   "-o",
			   out };
	struct bpf_prog_info a = {}, b = {};
	__u32 len = sizeof(a);
	int stats = -1, fd = -1, n = 12;
	double cost = -1;
	pid_t pid;

	if (c != BASE) {
		argv[n++] = "--event-budget";
		argv[n++] = (char *)budgets[c];
	}
	argv[n] = NULL;
	unlink(out);
	pid = start_until(argv, "Ctrl-C to stop");
	if (pid <= 0)
		return -1;
	fd = prog_by_name("exit_openat");
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0 || stats < 0 || bpf_obj_get_info_by_fd(fd, &a, &len))
		goto out;
	refused_loop(iterations);
	len = sizeof(b);
	if (!bpf_obj_get_info_by_fd(fd, &b, &len) && b.run_cnt > a.run_cnt)
		cost = (double)(b.run_time_ns - a.run_time_ns) / (b.run_cnt - a.run_cnt);
out:
	if (stats >= 0)
		close(stats);
	if (fd >= 0)
		close(fd);
	stop_child(pid);
	return cost;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int iterations = argc > 2 ? atoi(argv[2]) : 100000;
	const char *base = getenv("BASE_VIGIL");
	double t[N_COND][MAX_ROUNDS], med[N_COND];
	int n_cond = base ? N_COND : BASE;
	int fd;

	if (rounds < 1 || rounds > MAX_ROUNDS || iterations < 1) {
		fprintf(stderr, "usage: budget_bench [rounds 1..%d] [iterations]\n", MAX_ROUNDS);
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "budget_bench: needs root (loads BPF)\n");
		return 77;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(out, sizeof(out), "%s/events.json", dir);
	fd = open(secret, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || chmod(dir, 0755))
		return 1;
	close(fd);
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < n_cond; c++)
			t[c][r] = run_cond(c, base, iterations);
	printf("budget_bench: vigil's sys_exit_openat program, ns per run (bpf_stats; median of "
	       "%d rounds of %d refused opens as nobody)\n",
	       rounds, iterations);
	for (int c = 0; c < n_cond; c++) {
		med[c] = median(t[c], rounds);
		printf("  %-10s %8.1f ns  (rounds:", cond_names[c], med[c]);
		for (int r = 0; r < rounds; r++)
			printf(" %.0f", t[c][r]);
		printf(")\n");
	}
	printf("  the budget check on an event it lets through: %+.1f ns; an event it refuses "
	       "costs %.1f ns instead of %.1f\n",
	       med[ADMITTED] - med[OFF], med[THROTTLED], med[OFF]);
	unlink(secret);
	unlink(out);
	rmdir(dir);
	return 0;
}
