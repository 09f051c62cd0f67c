// SPDX-License-Identifier: GPL-2.0
/*
 * Policy size benchmark (issue 4): does the cost of the rules grow with their number?
 * Policies of 10, 1,000 and 10,000 open rules (scripts/gen-policy.sh: rule i on reads of
 * f<i>), all in one run, interleaved, medians:
 *
 *   match     user space: ns per open event judged by policy_match, in this process, for an
 *             event of the first rule's file, of the last rule's, and of a file no rule names
 *   load      how long vigil run takes to be ready with the policy
 *   loop      an open+close loop on a file no rule names and on the first rule's file, with
 *             no vigil, with vigil run and no rules, and with each policy loaded
 *
 * Run as root from the repository root. usage: policy_bench [rounds] [iterations]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchlib.h"
#include "core/mounts.h"
#include "policy/match.h"
#include "policy/policy.h"
#include "vigil/ev_file.h"

#define MAX_ROUNDS 32
#define N_SIZES	   3

static const int sizes[N_SIZES] = { 10, 1000, 10000 };
static char dir[64], plain[80], policies[N_SIZES][80];

/* An open-for-read event of @path by a process called "bench". */
struct open_record {
	struct vigil_file_event r;
	char path[128];
};

static void make_event(struct open_record *rec, struct event *ev, const char *path)
{
	memset(rec, 0, sizeof(*rec));
	rec->r.hdr.type = VIGIL_EV_OPEN;
	rec->r.access = VIGIL_FILE_ACCESS_READ;
	rec->r.path_len = strlen(path);
	memcpy(rec->path, path, rec->r.path_len);
	strcpy(rec->r.task.comm, "bench");
	memset(ev, 0, sizeof(*ev));
	ev->type = VIGIL_EV_OPEN;
	ev->task = &rec->r.task;
	ev->raw = rec;
	ev->raw_size = sizeof(rec->r) + rec->r.path_len;
}

static struct policy_set *load_set(const char *path)
{
	const char *paths[] = { path };
	struct diags d = { 0 };
	struct policy_set *s = policy_set_load(paths, 1, false, &d);

	diags_print(&d, stderr);
	diags_free(&d);
	return s;
}

/* ns per policy_match of @ev against @s, over @iterations events. */
static double match_ns(const struct policy_set *s, struct match_cache *c, const struct event *ev,
		       int iterations)
{
	const struct event_view v = { .ev = ev };
	double start = now_ns();
	size_t hits = 0;

	for (int i = 0; i < iterations; i++)
		hits += policy_match(s, c, &v, NULL) != NULL;
	if (hits != 0 && hits != (size_t)iterations)
		fprintf(stderr, "policy_bench: matching is not repeatable\n");
	return (now_ns() - start) / iterations;
}

static double open_loop(const char *path, int iterations)
{
	double start = now_ns();

	for (int i = 0; i < iterations; i++)
		close(open(path, O_RDONLY));
	return (now_ns() - start) / iterations;
}

static int bench_match(int rounds, int iterations)
{
	struct policy_set *set[N_SIZES] = { 0 };
	struct open_record rec[3];
	struct event ev[N_SIZES][3];
	double t[N_SIZES][3][MAX_ROUNDS];
	struct match_cache *c = match_cache_new();
	char path[96];
	int ret = 0;

	for (int n = 0; n < N_SIZES && c; n++) {
		set[n] = load_set(policies[n]);
		if (!set[n]) {
			ret = 1;
			goto out;
		}
	}
	for (int r = 0; r < rounds && c; r++)
		for (int n = 0; n < N_SIZES; n++)
			for (int k = 0; k < 3; k++) {
				snprintf(path, sizeof(path), k == 2 ? "%s/none" : "%s/f%d", dir,
					 k ? sizes[n] - 1 : 0);
				make_event(&rec[k], &ev[n][k], path);
				t[n][k][r] = match_ns(set[n], c, &ev[n][k], iterations);
			}
	printf("user space: policy_match per open event, %d rounds x %d, medians (ns/event)\n",
	       rounds, iterations);
	printf("  %-8s %14s %14s %14s\n", "rules", "first rule's", "last rule's", "no rule's");
	for (int n = 0; n < N_SIZES; n++)
		printf("  %-8d %14.0f %14.0f %14.0f\n", sizes[n], median(t[n][0], rounds),
		       median(t[n][1], rounds), median(t[n][2], rounds));
out:
	for (int n = 0; n < N_SIZES; n++)
		policy_set_free(set[n]);
	match_cache_free(c);
	return ret;
}

enum setup { NONE, NO_RULES, RULES_10, RULES_1000, RULES_10000, N_COND };
static const char *const cond_names[N_COND] = { "no vigil", "vigil, no rules", "vigil, 10 rules",
						"vigil, 1,000 rules", "vigil, 10,000 rules" };

static pid_t start_vigil(enum setup c, double *ready_s)
{
	char *argv[] = { "./vigil",
			 "run",
			 "--no-default-rules",
			 "-f",
			 "json",
			 "-o",
			 "/dev/null",
			 c > NO_RULES ? "--policy" : NULL,
			 policies[c - RULES_10],
			 NULL };
	double start = now_ns();
	pid_t pid = start_until(argv, "Ctrl-C to stop");

	*ready_s = (now_ns() - start) / 1e9;
	return pid;
}

static int bench_loop(int rounds, int iterations)
{
	double t[2][N_COND][MAX_ROUNDS], ready[N_COND][MAX_ROUNDS], med[2][N_COND];
	char first[96];

	snprintf(first, sizeof(first), "%s/f0", dir);
	open_loop(plain, iterations / 4); /* warm up */
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < N_COND; c++) {
			pid_t pid = 0;

			ready[c][r] = 0;
			if (c != NONE) {
				pid = start_vigil(c, &ready[c][r]);
				if (pid <= 0)
					return 1;
			}
			t[0][c][r] = open_loop(plain, iterations);
			t[1][c][r] = open_loop(first, iterations);
			if (pid > 0)
				stop_child(pid);
		}
	for (int f = 0; f < 2; f++)
		for (int c = 0; c < N_COND; c++)
			med[f][c] = median(t[f][c], rounds);
	printf("open+close loop, %d rounds x %d, interleaved, medians (ns/op)\n", rounds,
	       iterations);
	printf("  %-20s %10s %12s %8s %12s %8s\n", "condition", "ready (s)", "plain file", "added",
	       "f0 (rule 0)", "added");
	for (int c = 0; c < N_COND; c++)
		printf("  %-20s %10.2f %12.0f %+8.0f %12.0f %+8.0f\n", cond_names[c],
		       median(ready[c], rounds), med[0][c], med[0][c] - med[0][NONE], med[1][c],
		       med[1][c] - med[1][NONE]);
	for (int f = 0; f < 2; f++)
		printf("  %s: loop time with 10 / 1,000 / 10,000 rules over vigil with no rules = "
		       "%.2f / %.2f / %.2f\n",
		       f ? "f0 (rule 0)" : "plain file", med[f][RULES_10] / med[f][NO_RULES],
		       med[f][RULES_1000] / med[f][NO_RULES],
		       med[f][RULES_10000] / med[f][NO_RULES]);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int iterations = argc > 2 ? atoi(argv[2]) : 200000;
	char cmd[256];
	int ret = 0, fd;

	if (rounds < 1 || rounds > MAX_ROUNDS || iterations < 1) {
		fprintf(stderr, "usage: policy_bench [rounds 1..%d] [iterations]\n", MAX_ROUNDS);
		return 64;
	}
	snprintf(dir, sizeof(dir), "/tmp/vigil-bench-rules-%d", getpid());
	snprintf(plain, sizeof(plain), "%s-plain", dir);
	for (int n = N_SIZES - 1; n >= 0; n--) {
		snprintf(policies[n], sizeof(policies[n]), "%s-%d.yaml", dir, sizes[n]);
		snprintf(cmd, sizeof(cmd), "CREATE=%d scripts/gen-policy.sh %d %s > %s",
			 n == N_SIZES - 1, sizes[n], dir, policies[n]);
		if (system(cmd)) {
			fprintf(stderr, "policy_bench: %s failed\n", cmd);
			ret = 1;
			goto out;
		}
	}
	fd = open(plain, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ret = bench_match(rounds, iterations / 10);
	if (geteuid()) {
		fprintf(stderr, "policy_bench: the open loop needs root (vigil run); left out\n");
	} else if (tracefs_ensure()) {
		fprintf(stderr, "policy_bench: cannot mount tracefs\n");
		ret = 1;
	} else {
		ret = bench_loop(rounds, iterations) ?: ret;
	}
out:
	for (int n = 0; n < N_SIZES; n++)
		unlink(policies[n]);
	unlink(plain);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ret = system(cmd) ? 1 : ret;
	return ret;
}
