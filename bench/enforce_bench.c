// SPDX-License-Identifier: GPL-2.0
/*
 * Enforcement benchmark (issue 5): what an enforcing policy costs the operations it allows. An
 * open+close loop on a file no rule names and a fork+exec+wait loop of /bin/true, under three
 * conditions in the same run, interleaved (A B C A B C ...), medians:
 *
 *   none        nothing attached
 *   deny x10    vigil run with an enforcing policy of 10 open and 10 exec deny rules
 *   deny x1000  the same with 1,000 of each
 *
 * The rules name files that exist (so the kernel holds them by inode) but that the loops never
 * touch. Where the kernel has BPF LSM the denials are LSM hooks on every exec and open; without
 * it they are the fallback (the file sensor's in-kernel kill on open, and user-space matching of
 * execs). Reported as ratios to "none". Run as root from the repository root.
 *
 * usage: enforce_bench [rounds] [open iterations] [exec iterations]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"

enum cond { NONE, DENY_10, DENY_1000, N_COND };
static const char *const cond_names[N_COND] = { "none", "deny x10", "deny x1000" };
static const int cond_rules[N_COND] = { 0, 10, 1000 };

#define MAX_ROUNDS 32

static char dir[64];

static double open_loop(const char *path, int iterations)
{
	double start = now_ns();

	for (int i = 0; i < iterations; i++)
		close(open(path, O_RDONLY));
	return (now_ns() - start) / iterations;
}

static double exec_loop(int iterations)
{
	double start = now_ns();

	for (int i = 0; i < iterations; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	return (now_ns() - start) / iterations;
}

/* A policy of @n open and @n exec deny rules on files the loops never touch. */
static int write_policy(const char *path, int n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "policy: bench-deny-%d\nmode: enforce\nrules:\n", n);
	for (int i = 0; i < n; i++)
		fprintf(f,
			"  - {id: no-open-%d, description: d, severity: high, on: open, "
			"action: deny, match: {file.path: %s/f%d}}\n"
			"  - {id: no-exec-%d, description: d, severity: high, on: exec, "
			"action: deny, match: {process.exe: %s/f%d}}\n",
			i, dir, i, i, dir, i);
	return fclose(f);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int opens = argc > 2 ? atoi(argv[2]) : 200000;
	int execs = argc > 3 ? atoi(argv[3]) : 1000;
	double t[2][N_COND][MAX_ROUNDS], med[2][N_COND];
	char plain[96], policy[N_COND][96], sock[96], cmd[256];

	if (rounds < 1 || rounds > MAX_ROUNDS || opens < 1 || execs < 1) {
		fprintf(stderr, "usage: enforce_bench [rounds 1..%d] [opens] [execs]\n",
			MAX_ROUNDS);
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "enforce_bench: needs root (loads BPF)\n");
		return 77;
	}
	snprintf(dir, sizeof(dir), "/tmp/vigil-enforce-bench-%d", getpid());
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s && cd %s && for i in $(seq 0 999); do : > f$i; done", dir, dir);
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	if (quiet(cmd) || close(open(plain, O_WRONLY | O_CREAT, 0600))) {
		fprintf(stderr, "enforce_bench: cannot create %s\n", dir);
		return 1;
	}
	for (int c = DENY_10; c < N_COND; c++) {
		snprintf(policy[c], sizeof(policy[c]), "%s/deny-%d.yaml", dir, cond_rules[c]);
		if (write_policy(policy[c], cond_rules[c])) {
			fprintf(stderr, "enforce_bench: cannot write %s\n", policy[c]);
			return 1;
		}
	}
	/* an agent of our own, beside any other on the machine */
	snprintf(sock, sizeof(sock), "%s/control.sock", dir);
	setenv("VIGIL_CONTROL_SOCKET", sock, 1);
	open_loop(plain, opens / 4); /* warm up */
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < N_COND; c++) {
			pid_t pid = 0;

			if (c != NONE) {
				pid = start_until((char *const[]){ "./vigil", "run",
								   "--no-default-rules", "--policy",
								   policy[c], "-f", "json", "-o",
								   "/dev/null", NULL },
						  "Ctrl-C to stop");
				if (pid <= 0) {
					fprintf(stderr, "enforce_bench: vigil run did not start\n");
					return 1;
				}
			}
			t[0][c][r] = open_loop(plain, opens);
			t[1][c][r] = exec_loop(execs);
			if (pid > 0)
				stop_child(pid);
		}
	for (int f = 0; f < 2; f++)
		for (int c = 0; c < N_COND; c++)
			med[f][c] = median(t[f][c], rounds);

	printf("enforcement: allowed operations under an enforcing deny policy, %d rounds, "
	       "interleaved, medians\n",
	       rounds);
	printf("  %-12s %14s %8s %16s %8s\n", "condition", "open+close ns", "ratio",
	       "fork+exec+wait us", "ratio");
	for (int c = 0; c < N_COND; c++)
		printf("  %-12s %14.0f %7.3fx %16.1f %7.3fx\n", cond_names[c], med[0][c],
		       med[0][c] / med[0][NONE], med[1][c] / 1000, med[1][c] / med[1][NONE]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	quiet(cmd);
	return 0;
}
