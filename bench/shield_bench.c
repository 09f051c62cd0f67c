// SPDX-License-Identifier: GPL-2.0
/*
 * Shield benchmark: ns/packet through BPF_PROG_TEST_RUN (repeat), interleaved rounds,
 * medians, against a minimal XDP_DROP program in the same run.
 *
 *   floor        r0 = XDP_DROP; exit
 *   miss         legitimate TCP packet through every feature (management list, trie, port
 *                rules, per-source pps/bps/SYN/ICMP limits, counters)
 *   hit          blocked source, decided by the IPv4 /24 table (one array load -> drop)
 *   hit-deep     blocked source in a /24 that also holds a longer prefix (an allowed /25):
 *                the table sends it on to the /24's deep_v4 bucket of longer prefixes
 *   *-1M         the same with 1,000,000 more prefixes (random, /16 to /32)
 *
 * Also the lowest round of each case: the least disturbed by the other work on the machine.
 *
 * usage: shield_bench [rounds] [repeat] (15 x 1,000,000); SHIELD_BENCH_DEBUG=1 shows how the rule
 * sets were laid out (deep_v4 buckets, trie).
 */
#include "shield/shield.h"
#include "core/log.h"
#include "../tests/xdp/shield_pkt.h"
#include "benchlib.h" /* median, minimum */

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEGIT "192.0.2.77"

static const char *rules_yaml =
	"shield:\n"
	"  management: [10.0.0.0/8, 172.16.0.0/12, 'fd00::/8']\n"
	"  block: [198.51.100.0/24, 203.0.113.0/24, '2001:db8:bad::/48']\n"
	"  allow: [198.51.100.128/25]\n"
	"  ports:\n"
	"    - {proto: tcp, port: 23, action: block}\n"
	"    - {proto: udp, src_port: 19, action: block}\n"
	"    - {proto: gre, action: block}\n"
	"  rate_limit: {packets_per_sec: 1G, bytes_per_sec: 1000G, prefix_v4: 24}\n"
	"  syn_limit: {per_sec: 1M}\n"
	"  icmp_limit: {per_sec: 1M}\n";

static char err[SHIELD_ERR_LEN];

static int setup(struct shield_handle *h, size_t extra_prefixes)
{
	struct shield_ruleset rs;
	__u32 legit;
	int ret;

	ret = shield_load(h, err, sizeof(err));
	if (ret)
		return ret;
	shield_rules_init(&rs);
	ret = shield_rules_parse_yaml(&rs, rules_yaml, strlen(rules_yaml), "bench", err,
				      sizeof(err));
	if (ret)
		goto out;
	inet_pton(AF_INET, LEGIT, &legit);
	legit = ntohl(legit);
	srand(1);
	/* random prefixes of length 16..32 that cover neither test source */
	for (size_t i = 0; i < extra_prefixes;) {
		struct shield_prefix p = { .family = 4,
					   .action = SHIELD_ACT_BLOCK,
					   .rule_id = SHIELD_NO_RULE };
		__u32 a = ((__u32)rand() << 16) ^ (__u32)rand(), mask, be;

		p.len = 16 + rand() % 17;
		mask = p.len == 32 ? ~0u : ~(~0u >> p.len);
		a &= mask;
		if ((legit & mask) == a || (a >> 24) == 10 || (a >> 24) == 198 || (a >> 24) == 203)
			continue;
		be = htonl(a);
		memcpy(p.addr, &be, 4);
		if (rs.n_prefixes == rs.cap_prefixes) {
			rs.cap_prefixes = rs.cap_prefixes ? rs.cap_prefixes * 2 : 1024;
			rs.prefixes = realloc(rs.prefixes, rs.cap_prefixes * sizeof(p));
			if (!rs.prefixes) {
				ret = -ENOMEM;
				goto out;
			}
		}
		rs.prefixes[rs.n_prefixes++] = p;
		i++;
	}
	ret = shield_install(&h->maps, &rs, err, sizeof(err));
out:
	shield_rules_free(&rs);
	return ret;
}

/* One test run of `repeat` packets; exits on failure or on a verdict other than want. */
static void test_run(int fd, const void *pkt, size_t len, int repeat, int want)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o) || (int)o.retval != want) {
		fprintf(stderr, "shield_bench: test run failed (ret %u, want %d): %s\n", o.retval,
			want, strerror(errno));
		exit(1);
	}
}

static double thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/*
 * ns per packet through the test-run loop: this thread's CPU time over a run of `repeat`
 * packets, less that over a run of repeat / 10, per packet of the difference. The kernel's own
 * figure (duration) is a truncated integer: a 5.8 ns floor reads 5, 14% low, and a ratio to it
 * as much too high. The difference cancels each run's set-up (the program is swapped into the
 * XDP dispatcher and out again), and CPU time leaves out the time the thread was preempted.
 */
static double run_ns(int fd, const void *pkt, size_t len, int repeat, int want)
{
	double t0, t1, t2;

	t0 = thread_cpu_ns();
	test_run(fd, pkt, len, repeat / 10, want);
	t1 = thread_cpu_ns();
	test_run(fd, pkt, len, repeat, want);
	t2 = thread_cpu_ns();
	return ((t2 - t1) - (t1 - t0)) / (repeat - repeat / 10);
}

/*
 * The program's own ns per run over one test run, from the kernel's run-time statistics
 * (bpf_stats, on while the second table is measured): without the test-run loop around it,
 * in fractions of a ns. It includes two clock reads per run, the same for every program.
 */
static double own_ns(int fd, const void *pkt, size_t len, int repeat, int want)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 ilen = sizeof(a);

	if (bpf_obj_get_info_by_fd(fd, &a, &ilen))
		return -1;
	test_run(fd, pkt, len, repeat, want);
	ilen = sizeof(b);
	if (bpf_obj_get_info_by_fd(fd, &b, &ilen) || b.run_cnt == a.run_cnt)
		return -1;
	return (double)(b.run_time_ns - a.run_time_ns) / (b.run_cnt - a.run_cnt);
}

typedef double (*measure_fn)(int fd, const void *pkt, size_t len, int repeat, int want);

enum { FLOOR, MISS, HIT, DEEP, MISS_1M, HIT_1M, DEEP_1M, N_CASES };

int main(int argc, char **argv)
{
	static const char *names[N_CASES] = {
		"floor (XDP_DROP)",  "miss, 1 prefix set", "hit, 1 prefix set", "hit-deep, 1 set",
		"miss, 1M prefixes", "hit, 1M prefixes",   "hit-deep, 1M",
	};
	struct bpf_insn drop[] = { { .code = 0xb7, .dst_reg = 0, .imm = 1 }, { .code = 0x95 } };
	int rounds = argc > 1 ? atoi(argv[1]) : 15, repeat = argc > 2 ? atoi(argv[2]) : 1000000;
	struct pkt_spec legit = { .family = 4,
				  .src = LEGIT,
				  .dst = "192.0.2.1",
				  .proto = IPPROTO_TCP,
				  .sport = 40000,
				  .dport = 443,
				  .tcp_flags = 0x10 };
	struct pkt_spec bad = legit, deep = legit;
	uint8_t pl[PKT_MAX], pb[PKT_MAX], pd[PKT_MAX];
	struct shield_handle small, big;
	double *res[N_CASES], *own[N_CASES], med[N_CASES], low[N_CASES], med_own[N_CASES];
	size_t ll, lb, ld;
	int floor_fd, stats_fd = -1;

	log_bridge_libbpf();
	if (getenv("SHIELD_BENCH_DEBUG"))
		log_set_level(LOG_DEBUG);
	if (rounds < 1 || repeat < 10) {
		fprintf(stderr, "usage: shield_bench [rounds >= 1] [repeat >= 10]\n");
		return 64;
	}
	bad.src = "203.0.113.7";
	deep.src = "198.51.100.7";
	ll = pkt_build(pl, &legit);
	lb = pkt_build(pb, &bad);
	ld = pkt_build(pd, &deep);
	floor_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "floor", "GPL", drop, 2, NULL);
	if (floor_fd < 0) {
		fprintf(stderr, "shield_bench: cannot load the floor program: %s (root?)\n",
			strerror(errno));
		return 1;
	}
	if (setup(&small, 0) || setup(&big, 1000000)) {
		fprintf(stderr, "shield_bench: %s\n", err);
		return 1;
	}
	for (int c = 0; c < N_CASES; c++) {
		res[c] = calloc(rounds, sizeof(double));
		own[c] = calloc(rounds, sizeof(double));
	}
	/* warm up caches and the LRU entry */
	test_run(shield_prog_fd(&small, false), pl, ll, repeat, 2);
	test_run(shield_prog_fd(&big, false), pl, ll, repeat, 2);
	for (int pass = 0; pass < 2; pass++) {
		measure_fn m = pass ? own_ns : run_ns;
		double **out = pass ? own : res;

		/* the statistics cost two clock reads per run: on for the second pass only */
		if (pass && (stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0)
			break;
		for (int r = 0; r < rounds; r++) {
			out[FLOOR][r] = m(floor_fd, pl, ll, repeat, 1);
			out[MISS][r] = m(shield_prog_fd(&small, false), pl, ll, repeat, 2);
			out[HIT][r] = m(shield_prog_fd(&small, false), pb, lb, repeat, 1);
			out[DEEP][r] = m(shield_prog_fd(&small, false), pd, ld, repeat, 1);
			out[MISS_1M][r] = m(shield_prog_fd(&big, false), pl, ll, repeat, 2);
			out[HIT_1M][r] = m(shield_prog_fd(&big, false), pb, lb, repeat, 1);
			out[DEEP_1M][r] = m(shield_prog_fd(&big, false), pd, ld, repeat, 1);
		}
	}
	if (stats_fd >= 0)
		close(stats_fd);
	for (int c = 0; c < N_CASES; c++) {
		low[c] = minimum(res[c], rounds);
		med[c] = median(res[c], rounds);
		med_own[c] = stats_fd >= 0 ? median(own[c], rounds) : -1;
	}

	printf("shield BPF_PROG_TEST_RUN: %d interleaved rounds x %d packets (CPU time less a run "
	       "of %d), medians\n\n",
	       rounds, repeat, repeat / 10);
	printf("%-22s %10s %12s %10s %14s\n", "case", "ns/pkt", "vs floor", "target",
	       "min, vs floor");
	for (int c = 0; c < N_CASES; c++) {
		const char *target = c == MISS || c == MISS_1M ? "<= 2.5x"
				     : c == FLOOR	       ? ""
							       : "<= 1.5x";

		printf("%-22s %10.2f %11.2fx %10s %7.2f %5.2fx\n", names[c], med[c],
		       med[c] / med[FLOOR], target, low[c], low[c] / low[FLOOR]);
	}
	printf("\n1M vs 1 prefix: miss %.2fx, hit %.2fx, hit-deep %.2fx (target <= 1.3x)\n",
	       med[MISS_1M] / med[MISS], med[HIT_1M] / med[HIT], med[DEEP_1M] / med[DEEP]);
	if (stats_fd < 0) {
		printf("\n(no program statistics: bpf_enable_stats failed)\n");
		goto out;
	}
	/*
	 * The program's own cost, then the test-run floor plus what the program costs beyond the
	 * XDP_DROP program's own: the first table's ratio, without the noise of the loop around.
	 */
	printf("\nthe programs' own cost (bpf_stats), %d more rounds, medians\n\n", rounds);
	printf("%-22s %10s %12s %22s\n", "case", "own ns", "beyond floor",
	       "(floor + beyond) / floor");
	for (int c = 0; c < N_CASES; c++) {
		double beyond = med_own[c] - med_own[FLOOR];

		printf("%-22s %10.1f %12.1f %21.2fx\n", names[c], med_own[c], beyond,
		       (med[FLOOR] + beyond) / med[FLOOR]);
	}
out:
	shield_close(&small);
	shield_close(&big);
	close(floor_fd);
	return 0;
}
