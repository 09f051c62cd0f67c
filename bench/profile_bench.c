// SPDX-License-Identifier: GPL-2.0
/*
 * vigil profile benchmark: what profiling costs a CPU-bound workload on both cores, and how
 * many of its stacks each profiler gets whole, in the same run, interleaved (A B C ... A B C),
 * medians of each round's slowdown against that round's "none":
 *
 *   none           nothing attached
 *   vigil 49 Hz    vigil profile (every process, user stacks unwound with libdw)
 *   vigil 99 Hz
 *   perf -g        perf record -F 49 -g -a (frame pointers: what Debian binaries lack)
 *   perf dwarf     perf record -F 49 --call-graph dwarf -a (8 KiB of stack a sample)
 *
 * The workload: one child per CPU, each running bench_level1 -> ... -> bench_level5 (noinline,
 * this file is built with -O2: no frame pointers) a fixed number of times; the time until both
 * finish. A stack is complete when it holds main and run_workload;bench_level1;...;bench_level5,
 * all named. vigil unwinds while it profiles (its cost is in the slowdown); perf records
 * and unwinds later, in perf script (not in the slowdown).
 * bcc's profile is not compared: bpfcc-tools is not among the dependencies.
 * Run as root from the repository root. usage: profile_bench [rounds] [iterations]
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"

#define MAX_ROUNDS 16
/* perf adds inlined frames ("workload (inlined)"), vigil names symbols: main, then the rest */
#define CHAIN "run_workload;bench_level1;bench_level2;bench_level3;bench_level4;bench_level5"

enum cond { NONE, VIGIL49, VIGIL99, PERF_FP, PERF_DWARF, N_COND };

static const char *const cond_names[N_COND] = { "none", "vigil profile 49 Hz",
						"vigil profile 99 Hz", "perf record -g 49 Hz",
						"perf --call-graph dwarf 49 Hz" };

static volatile unsigned long sink;

__attribute__((noinline)) void bench_level5(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i * i;
}

__attribute__((noinline)) void bench_level4(unsigned long n)
{
	bench_level5(n);
	sink++;
}

__attribute__((noinline)) void bench_level3(unsigned long n)
{
	bench_level4(n);
	sink++;
}

__attribute__((noinline)) void bench_level2(unsigned long n)
{
	bench_level3(n);
	sink++;
}

__attribute__((noinline)) void bench_level1(unsigned long n)
{
	bench_level2(n);
	sink++;
}

__attribute__((noinline)) void run_workload(unsigned long iterations)
{
	for (unsigned long i = 0; i < iterations; i++)
		bench_level1(100000);
	sink++;
}

/* Seconds until one child per CPU has done @iterations. */
static double workload(unsigned long iterations, int ncpu)
{
	double t0 = now_ns();
	pid_t pids[64];
	int n = ncpu < 64 ? ncpu : 64;

	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			run_workload(iterations);
			_exit(0);
		}
	}
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	return (now_ns() - t0) / 1e9;
}

/* The profiler of @c, started and ready, writing to @out; 0 for none, -1 when it failed. */
static pid_t start_profiler(enum cond c, const char *out)
{
	char *vigil[] = { "./vigil", "profile", "--hz", c == VIGIL99 ? "99" : "49",
			  "-f",	     "folded",	"-o",	(char *)out,
			  NULL };
	char *perf[] = { "/usr/bin/perf",
			 "record",
			 "-F",
			 "49",
			 "-a",
			 "-o",
			 (char *)out,
			 c == PERF_FP ? "-g" : "--call-graph",
			 c == PERF_FP ? NULL : "dwarf",
			 NULL };
	pid_t pid;

	if (c == NONE)
		return 0;
	if (c == VIGIL49 || c == VIGIL99)
		return start_until(vigil, "Ctrl-C to stop");
	if (access(perf[0], X_OK))
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(perf[0], perf);
		_exit(127);
	}
	sleep(2); /* perf says nothing when it is ready */
	return pid;
}

/* Stop it; the CPU seconds it used (user + system), or 0. */
static double stop_profiler(pid_t pid)
{
	struct rusage ru;
	int status;

	if (pid <= 0)
		return 0;
	kill(pid, SIGINT);
	if (wait4(pid, &status, 0, &ru) != pid)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * Of the workload's samples (comm profile_bench) in @out, the share with the whole chain:
 * vigil's folded lines directly; perf's through perf script, folded the same way.
 */
static double complete_share(enum cond c, const char *out)
{
	char cmd[1024], line[8192];
	double all = 0, whole = 0;
	FILE *p;

	if (c == VIGIL49 || c == VIGIL99)
		snprintf(cmd, sizeof(cmd), "grep '^profile_bench;' %s", out);
	else
		/* perf script: "comm", then "\tip sym" frames, leaf first, then a blank line */
		snprintf(cmd, sizeof(cmd),
			 "perf script -i %s -F comm,ip,sym 2>/dev/null | awk '"
			 "/^\\t/ { $1 = \"\"; f = substr($0, 2);"
			 " stack = f (stack == \"\" ? \"\" : \";\" stack); next }"
			 "/^$/ { if (comm == \"profile_bench\") print stack \" 1\"; next }"
			 "{ comm = $1; stack = \"\" }'",
			 out);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *sp = strrchr(line, ' ');
		double v = sp ? atof(sp + 1) : 0;

		all += v;
		if (strstr(line, ";main;") && strstr(line, CHAIN))
			whole += v;
	}
	pclose(p);
	return all ? whole / all : -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	unsigned long iterations = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
	double secs[N_COND][MAX_ROUNDS], share[N_COND][MAX_ROUNDS], cpu[N_COND][MAX_ROUNDS];
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	char out[] = "/tmp/vigil-profile-bench-XXXXXX";
	FILE *load = fopen("/proc/loadavg", "re");
	char loadavg[64] = "?";
	int fd = mkstemp(out);

	if (fd < 0 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: profile_bench [rounds 1-%d] [iterations]\n", MAX_ROUNDS);
		return 64;
	}
	close(fd);
	if (load) {
		if (!fgets(loadavg, sizeof(loadavg), load))
			strcpy(loadavg, "?");
		fclose(load);
	}
	printf("profile_bench: %d rounds, %lu iterations on each of %d CPUs; load average %s",
	       rounds, iterations, ncpu, loadavg);
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < N_COND; c++) {
			pid_t pid = start_profiler(c, out);

			secs[c][r] = share[c][r] = -1;
			if (pid < 0)
				continue;
			secs[c][r] = workload(iterations, ncpu);
			cpu[c][r] = stop_profiler(pid);
			if (c != NONE)
				share[c][r] = complete_share(c, out);
		}
	printf("%-32s %10s %10s %12s %14s\n", "condition", "median s", "slowdown", "complete",
	       "profiler CPU s");
	for (int c = 0; c < N_COND; c++) {
		double sec[MAX_ROUNDS], slow[MAX_ROUNDS], sh[MAX_ROUNDS], used[MAX_ROUNDS];
		size_t n = 0;

		for (int r = 0; r < rounds; r++) {
			if (secs[c][r] < 0 || secs[NONE][r] <= 0)
				continue;
			sec[n] = secs[c][r];
			slow[n] = secs[c][r] / secs[NONE][r] - 1;
			used[n] = cpu[c][r];
			sh[n++] = share[c][r];
		}
		if (!n) {
			printf("%-32s %10s\n", cond_names[c], "(not run: perf missing?)");
			continue;
		}
		printf("%-32s %10.3f %9.2f%% ", cond_names[c], median(sec, n),
		       100 * median(slow, n));
		if (c == NONE)
			printf("%12s %14s\n", "-", "-");
		else
			printf("%11.1f%% %14.2f\n", 100 * median(sh, n), median(used, n));
	}
	unlink(out);
	return 0;
}
