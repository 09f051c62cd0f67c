// SPDX-License-Identifier: GPL-2.0
/*
 * File sensor benchmark: an open+close loop on a file nobody watches and on a watched one,
 * under five conditions in the same run, interleaved (A B C D E A B ...), medians; a
 * condition's added cost is the median of its rounds' differences to the same round's none:
 *
 *   none      nothing attached
 *   floor     an empty program on sys_exit_openat, vigil's attach point
 *   vigil     vigil run --events open --path WATCHED (kernel inode filter, JSON to a file)
 *   auditd    auditd with -w WATCHED -p r
 *   bpftrace  a one-liner on sys_enter_openat printing opens of WATCHED
 *
 * Targets (issue 3): vigil's added cost <= 1.5x the floor's, <= 1/3 of auditd's and of
 * bpftrace's. Also each program's own cost per run from bpf_stats (floor, vigil, bpftrace),
 * which has none of a shared machine's noise. Run as root from the repository root.
 *
 * usage: open_bench [rounds] [iterations]
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "core/mounts.h"
#include "bench_floor.skel.h"

enum cond { NONE, FLOOR, FLOOR_RAW, VIGIL, AUDITD, BPFTRACE, N_COND };
static const char *const cond_names[N_COND] = { "none",	 "floor (empty prog)", "empty raw sys_exit",
						"vigil", "auditd -w -p r",     "bpftrace" };

#define MAX_ROUNDS 32

static char plain[64], watched[64], out[64];

static double open_loop(const char *path, int iterations)
{
	double start = now_ns();

	for (int i = 0; i < iterations; i++)
		close(open(path, O_RDONLY));
	return (now_ns() - start) / iterations;
}

/*
 * The loop in a child forked after the condition is set up: the kernel decides at fork whether
 * a task is audited, so a loop in a process older than auditd's rules would never be.
 */
static double open_loop_child(const char *path, int iterations)
{
	double ns = -1;
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		ns = open_loop(path, iterations);
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

struct running {
	struct bench_floor_bpf *floor;
	pid_t pid;
};

static int setup(enum cond c, struct running *r)
{
	char script[256];

	memset(r, 0, sizeof(*r));
	switch (c) {
	case FLOOR:
	case FLOOR_RAW:
		r->floor = bench_floor_bpf__open();
		if (!r->floor)
			return -1;
		bpf_program__set_autoload(r->floor->progs.floor_exec, false);
		bpf_program__set_autoload(r->floor->progs.floor_fork, false);
		bpf_program__set_autoload(r->floor->progs.floor_exit, false);
		bpf_program__set_autoload(r->floor->progs.floor_openat, c == FLOOR);
		bpf_program__set_autoload(r->floor->progs.floor_sys_exit, c == FLOOR_RAW);
		return bench_floor_bpf__load(r->floor) || bench_floor_bpf__attach(r->floor) ? -1
											    : 0;
	case VIGIL:
		r->pid = start_until((char *const[]){ "./vigil", "trace", "--events", "open",
						      "--path", watched, "-f", "json", "-o", out,
						      NULL },
				     "Ctrl-C to stop");
		return r->pid > 0 ? 0 : -1;
	case AUDITD:
		quiet("pkill -x auditd");
		usleep(200 * 1000);
		if (quiet("auditd") || quiet("auditctl -D") || quiet("auditctl -e 1"))
			return -1;
		snprintf(script, sizeof(script), "auditctl -w %s -p r", watched);
		return quiet(script) ? -1 : 0;
	case BPFTRACE:
		snprintf(script, sizeof(script),
			 "tracepoint:syscalls:sys_enter_openat /str(args->filename) == \"%s\"/ "
			 "{ printf(\"%%d %%s\\n\", pid, comm); }",
			 watched);
		r->pid = start_until((char *const[]){ "/usr/bin/bpftrace", "-e", script, NULL },
				     "Attaching");
		return r->pid > 0 ? 0 : -1;
	default:
		return 0;
	}
}

/* The fd of the loaded program called @name (the newest), or -1. */
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

/*
 * The program's own cost per run on @path's opens, from the kernel's run-time statistics
 * (kernel.bpf_stats_enabled): it adds two clock reads per run, the same for every program,
 * but none of the wall-clock noise of a shared machine. -1 when unavailable.
 */
static double prog_cost(int prog_fd, const char *path, int iterations)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 len = sizeof(a);
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (stats < 0 || bpf_obj_get_info_by_fd(prog_fd, &a, &len))
		goto fail;
	open_loop(path, iterations);
	len = sizeof(b);
	if (bpf_obj_get_info_by_fd(prog_fd, &b, &len) || b.run_cnt == a.run_cnt)
		goto fail;
	close(stats);
	return (double)(b.run_time_ns - a.run_time_ns) / (b.run_cnt - a.run_cnt);
fail:
	if (stats >= 0)
		close(stats);
	return -1;
}

static void teardown(enum cond c, struct running *r)
{
	bench_floor_bpf__destroy(r->floor);
	if (r->pid > 0)
		stop_child(r->pid);
	if (c == AUDITD) {
		quiet("auditctl -D");
		quiet("auditctl -e 0");
		quiet("pkill -x auditd");
		usleep(300 * 1000);
	}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int iterations = argc > 2 ? atoi(argv[2]) : 200000;
	double t[2][N_COND][MAX_ROUNDS], med[2][N_COND], add[2][N_COND], d[MAX_ROUNDS];
	double low[2][N_COND], low_add[2][N_COND];
	bool have[N_COND] = { true, true, true, true, true, true };
	int fd, ret = 0;

	if (rounds < 1 || rounds > MAX_ROUNDS || iterations < 1) {
		fprintf(stderr, "usage: open_bench [rounds 1..%d] [iterations]\n", MAX_ROUNDS);
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "open_bench: needs root (loads BPF)\n");
		return 77;
	}
	/* Tracepoints need tracefs; mount it for us (and the tools we start) only. */
	if (tracefs_ensure()) {
		fprintf(stderr, "open_bench: cannot mount tracefs\n");
		return 1;
	}
	snprintf(plain, sizeof(plain), "/tmp/vigil-bench-plain-%d", getpid());
	snprintf(watched, sizeof(watched), "/tmp/vigil-bench-watched-%d", getpid());
	snprintf(out, sizeof(out), "/tmp/vigil-bench-out-%d", getpid());
	for (int i = 0; i < 2; i++) {
		fd = open(i ? watched : plain, O_WRONLY | O_CREAT, 0600);
		close(fd);
	}
	open_loop(plain, iterations / 4); /* warm up */
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < N_COND; c++) {
			struct running run;

			if (!have[c])
				continue;
			if (setup(c, &run)) {
				fprintf(stderr, "open_bench: %s unavailable, left out\n",
					cond_names[c]);
				teardown(c, &run);
				have[c] = false;
				continue;
			}
			t[0][c][r] = open_loop_child(plain, iterations);
			t[1][c][r] = open_loop_child(watched, iterations);
			teardown(c, &run);
		}
	/* added: the median of each round's difference to that round's "none", which the
	 * machine's drift over a run (hundreds of ns here) moves far less than either time */
	for (int f = 0; f < 2; f++)
		for (int c = 0; c < N_COND; c++) {
			med[f][c] = have[c] ? median(t[f][c], rounds) : 0;
			for (int r = 0; r < rounds; r++)
				d[r] = t[f][c][r] - t[f][NONE][r];
			add[f][c] = have[c] ? median(d, rounds) : 0;
			low[f][c] = have[c] ? minimum(t[f][c], rounds) : 0;
			low_add[f][c] = low[f][c] - low[f][NONE]; /* NONE comes first */
		}

	printf("file sensor: open+close loop, %d rounds x %d, interleaved (ns/op): medians, and "
	       "each condition's lowest round (the least disturbed)\n",
	       rounds, iterations);
	printf("  %-20s %8s %8s %8s %8s   %8s %8s %8s %8s\n", "", "plain", "", "", "", "watched",
	       "", "", "");
	printf("  %-20s %8s %8s %8s %8s   %8s %8s %8s %8s\n", "condition", "median", "added",
	       "lowest", "added", "median", "added", "lowest", "added");
	for (int c = 0; c < N_COND; c++) {
		if (!have[c])
			continue;
		printf("  %-20s", cond_names[c]);
		for (int f = 0; f < 2; f++)
			printf(" %8.0f %+8.0f %8.0f %+8.0f%s", med[f][c], add[f][c], low[f][c],
			       low_add[f][c], f ? "\n" : "  ");
	}
	for (int f = 0; f < 2; f++)
		for (int m = 0; m < 2; m++) {
			const double *a = m ? add[f] : low_add[f];

			printf("  %s file, %s: vigil added / floor added = %.2fx (target <= 1.5x)",
			       f ? "watched" : "plain", m ? "medians" : "lowest",
			       a[VIGIL] / a[FLOOR]);
			if (have[AUDITD])
				printf(", / auditd = %.2f", a[VIGIL] / a[AUDITD]);
			if (have[BPFTRACE])
				printf(", / bpftrace = %.2f", a[VIGIL] / a[BPFTRACE]);
			printf(" (<= 0.33)");
			/* no program on vigil's attach point can cost less than the floor */
			if (have[BPFTRACE])
				printf("; floor / bpftrace = %.2f", a[FLOOR] / a[BPFTRACE]);
			printf("\n");
		}
	printf("  program cost per run (bpf_stats, incl. its two clock reads; %d rounds, "
	       "medians):\n",
	       rounds);
	{
		static const enum cond costed[] = { FLOOR, VIGIL, BPFTRACE };
		/* bpftrace names its program after the tracepoint, cut to 15 bytes */
		static const char *const prog[] = { NULL, "exit_openat", "sys_enter_opena" };
		static const char *const label[] = { "floor", "vigil exit_openat", "bpftrace" };
		double cost[3][2][MAX_ROUNDS] = {};

		for (int r = 0; r < rounds; r++)
			for (int c = 0; c < 3; c++) {
				struct running run;
				int fd;

				if (!have[costed[c]])
					continue;
				if (setup(costed[c], &run)) {
					teardown(costed[c], &run);
					continue;
				}
				fd = prog[c] ? prog_by_name(prog[c])
					     : bpf_program__fd(run.floor->progs.floor_openat);
				for (int f = 0; f < 2 && fd >= 0; f++)
					cost[c][f][r] =
						prog_cost(fd, f ? watched : plain, iterations);
				if (prog[c] && fd >= 0)
					close(fd);
				teardown(costed[c], &run);
			}
		for (int c = 0; c < 3; c++)
			if (have[costed[c]])
				printf("  %-20s %14.1f %10s %14.1f\n", label[c],
				       median(cost[c][0], rounds), "", median(cost[c][1], rounds));
	}
	unlink(plain);
	unlink(watched);
	unlink(out);
	return ret;
}
