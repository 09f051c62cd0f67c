/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A paced packet flood: BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs
 * bpf/bench_flood.bpf.c on a frame template and transmits every frame (XDP_TX) out of a veth,
 * each when the schedule says, from a random source in 198.18.0.0/16 (RFC 2544's benchmarking
 * range).
 */
#ifndef VIGIL_BENCH_FLOOD_GEN_H
#define VIGIL_BENCH_FLOOD_GEN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOOD_SRC_NET "198.18.0.0" /* the /16 the sources are drawn from */

struct bench_flood_bpf;

struct flood_gen {
	struct bench_flood_bpf *skel;
	int netns_fd, ifindex, nice;
	uint8_t pkt[2048];
	size_t len;
	/* per run: the target rate, packets/s; dry: keep the schedule but send nothing */
	double rate;
	bool dry;
	/* what the last run did */
	unsigned long long sent, skipped; /* frames sent; slots the schedule gave up on */
	double t0, t1;			  /* ns */
	int err;			  /* -errno of a failed test run */
	atomic_int stop;
	pthread_t thread;
};

/*
 * The generator transmitting out of @ifindex (in the namespace @netns_fd), UDP to
 * @dst_mac/@dst_ip port @dport. It takes SIGUSR1 for itself. 0 or -errno.
 */
int flood_gen_init(struct flood_gen *g, int netns_fd, int ifindex, const uint8_t src_mac[6],
		   const uint8_t dst_mac[6], const char *dst_ip, int dport);
/*
 * Start sending at g->rate from a thread on @cpu at @nice: it stands for another machine, the
 * rest of this one should not slow it down. 0 or -errno.
 */
int flood_gen_start(struct flood_gen *g, int cpu, int nice);
void flood_gen_stop(struct flood_gen *g);
/* The frames sent so far in this run. */
unsigned long long flood_gen_sent(const struct flood_gen *g);
void flood_gen_close(struct flood_gen *g);

#endif
