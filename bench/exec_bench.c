// SPDX-License-Identifier: GPL-2.0
/*
 * Process sensor benchmark: a fork+exec+wait loop of /bin/true, timed in interleaved rounds
 * under three conditions in the same run:
 *
 *   none    nothing attached
 *   floor   empty programs on the three tracepoints vigil uses (the cheapest possible hook)
 *   vigil   `vigil run -f json -o FILE`: the real agent, writing every event to a file
 *
 * Each round runs the conditions in turn (A B C A B C ...); the table shows the medians
 * and the ratios to "none". Run as root from the repository root.
 *
 * usage: exec_bench [rounds] [iterations]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "bench_floor.skel.h"

enum cond { NONE, FLOOR, VIGIL, VIGIL_ALL, N_COND };
static const char *const cond_names[N_COND] = { "none", "floor (empty progs)",
						"vigil (process events)", "vigil run (defaults)" };

/* ns per fork+exec+wait of /bin/true */
static double exec_loop(int iterations)
{
	double start = now_ns();

	for (int i = 0; i < iterations; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	return (now_ns() - start) / iterations;
}

static double run_cond(enum cond c, int iterations)
{
	struct bench_floor_bpf *floor = NULL;
	char out[] = "/tmp/vigil-bench-XXXXXX";
	double ns = -1;
	pid_t vigil = -1;
	int fd;

	switch (c) {
	case NONE:
		return exec_loop(iterations);
	case FLOOR:
		floor = bench_floor_bpf__open();
		if (floor)
			bpf_program__set_autoload(floor->progs.floor_openat, false);
		if (floor)
			bpf_program__set_autoload(floor->progs.floor_sys_exit, false);
		if (!floor || bench_floor_bpf__load(floor) || bench_floor_bpf__attach(floor)) {
			fprintf(stderr, "exec_bench: cannot attach the floor programs\n");
			goto out;
		}
		ns = exec_loop(iterations);
		break;
	case VIGIL:
	case VIGIL_ALL:
		fd = mkstemp(out);
		if (fd < 0)
			return -1;
		close(fd);
		/* argv ends early for the defaults: "--events" becomes the terminating NULL */
		vigil = start_until((char *const[]){ "./vigil", "trace", "-f", "json", "-o", out,
						     c == VIGIL ? "--events" : NULL,
						     "exec,fork,exit", NULL },
				    "Ctrl-C to stop");
		if (vigil > 0)
			ns = exec_loop(iterations);
		break;
	default:
		break;
	}
out:
	bench_floor_bpf__destroy(floor);
	if (vigil > 0)
		stop_child(vigil);
	if (c == VIGIL || c == VIGIL_ALL)
		unlink(out);
	return ns;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
	int iterations = argc > 2 ? atoi(argv[2]) : 2000;
	double t[N_COND][64], med[N_COND];

	if (rounds < 1 || rounds > 64 || iterations < 1) {
		fprintf(stderr, "usage: exec_bench [rounds 1..64] [iterations]\n");
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "exec_bench: needs root (loads BPF)\n");
		return 77;
	}
	exec_loop(iterations / 4); /* warm caches */
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < N_COND; c++) {
			t[c][r] = run_cond(c, iterations);
			if (t[c][r] < 0)
				return 1;
		}
	for (int c = 0; c < N_COND; c++)
		med[c] = median(t[c], rounds);
	printf("process sensor: fork+exec+wait of /bin/true, %d rounds x %d, interleaved, "
	       "medians\n",
	       rounds, iterations);
	printf("  %-22s %12s %10s\n", "condition", "us/exec", "vs none");
	for (int c = 0; c < N_COND; c++)
		printf("  %-22s %12.1f %9.3fx\n", cond_names[c], med[c] / 1000, med[c] / med[NONE]);
	printf("  vigil overhead (process events): %+.1f%% (target <= 3%%); floor: %+.1f%%; "
	       "all default sensors: %+.1f%%\n",
	       (med[VIGIL] / med[NONE] - 1) * 100, (med[FLOOR] / med[NONE] - 1) * 100,
	       (med[VIGIL_ALL] / med[NONE] - 1) * 100);
	return 0;
}
