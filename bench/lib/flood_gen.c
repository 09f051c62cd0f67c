// SPDX-License-Identifier: GPL-2.0
#include "flood_gen.h"
#include "benchlib.h"
#include "bench_flood.skel.h"
#include "../tests/xdp/shield_pkt.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#define SLACK_NS 50000 /* late by more (a preemption): skip, no burst */
#define BATCH_S	 4e-6  /* frames per flush: ~4 us worth, 1 to 64 */
#define NEVER	 (~0ULL)
/* One test run until stopped: each run costs a page pool and an RCU grace period. */
#define FRAMES 0xffffffffU

static void on_usr1(int sig)
{
	(void)sig;
}

int flood_gen_init(struct flood_gen *g, int netns_fd, int ifindex, const uint8_t src_mac[6],
		   const uint8_t dst_mac[6], const char *dst_ip, int dport)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct pkt_spec spec = { .family = 4,
				 .src = FLOOD_SRC_NET,
				 .dst = dst_ip,
				 .proto = IPPROTO_UDP,
				 .sport = 1024,
				 .dport = dport,
				 .payload = 18 };
	uint8_t *ip;

	memset(g, 0, sizeof(*g));
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	g->netns_fd = netns_fd;
	g->ifindex = ifindex;
	g->skel = bench_flood_bpf__open_and_load();
	if (!g->skel)
		return -errno;
	g->len = pkt_build(g->pkt, &spec);
	memcpy(g->pkt, dst_mac, 6);
	memcpy(g->pkt + 6, src_mac, 6);
	/* the template's halves the program rewrites: source .0.0, id 0xffff */
	ip = g->pkt + 14;
	*(uint16_t *)(ip + 4) = 0xffff;
	*(uint16_t *)(ip + 10) = 0;
	*(uint16_t *)(ip + 10) = pkt_csum(ip, 20);
	return 0;
}

static int send_frames(struct flood_gen *g, unsigned int frames, unsigned int batch)
{
	struct xdp_md ctx = { .data_end = g->len, .ingress_ifindex = g->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = g->pkt, .data_size_in = g->len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = frames, .batch_size = batch,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(bpf_program__fd(g->skel->progs.flood_gen), &o) ? -errno : 0;
}

static void *gen_thread(void *arg)
{
	struct flood_gen *g = arg;
	double per_flush = g->rate * BATCH_S;
	unsigned int batch = per_flush < 1 ? 1 : per_flush > 64 ? 64 : (unsigned int)per_flush;

	setpriority(PRIO_PROCESS, 0, g->nice); /* this thread */
	if (setns(g->netns_fd, CLONE_NEWNET)) {
		g->err = -errno;
		return NULL;
	}
	g->t0 = now_ns();
	while (!atomic_load(&g->stop) && !g->err)
		g->err = send_frames(g, FRAMES, batch);
	if (g->err == -EINTR) /* flood_gen_stop() */
		g->err = 0;
	g->t1 = now_ns();
	return NULL;
}

int flood_gen_start(struct flood_gen *g, int cpu, int nice)
{
	struct bench_flood_bpf__bss *b = g->skel->bss;
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	b->interval_ps = 1e12 / g->rate;
	b->slack_ns = SLACK_NS;
	b->end_ns = NEVER;
	b->start_ns = b->slots = b->sent = b->skipped = 0;
	b->dry = g->dry;
	g->nice = nice;
	g->err = 0;
	atomic_store(&g->stop, 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	ret = -pthread_create(&g->thread, &attr, gen_thread, g);
	pthread_attr_destroy(&attr);
	return ret;
}

void flood_gen_stop(struct flood_gen *g)
{
	struct bench_flood_bpf__bss *b = g->skel->bss;

	atomic_store(&g->stop, 1);
	b->end_ns = 1; /* frames from now on are dropped at once */
	/* a signal ends the test run (EINTR); again, in case it came before the run began */
	for (;;) {
		struct timespec ts;

		pthread_kill(g->thread, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(g->thread, NULL, &ts))
			break;
	}
	g->sent = b->sent;
	g->skipped = b->skipped;
}

unsigned long long flood_gen_sent(const struct flood_gen *g)
{
	return *(volatile __u64 *)&g->skel->bss->sent;
}

void flood_gen_close(struct flood_gen *g)
{
	bench_flood_bpf__destroy(g->skel);
	g->skel = NULL;
}
