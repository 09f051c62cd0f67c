/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP request/response, as netperf's TCP_RR: a server that echoes fixed-size requests, and a
 * client holding a few persistent connections, each sending a request and waiting for its answer
 * in a loop. Measured: answers per second, latency percentiles, TCP retransmissions (a lost
 * segment of either side).
 */
#ifndef VIGIL_BENCH_TCP_RR_H
#define VIGIL_BENCH_TCP_RR_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#define RR_MAX_CONNS 8
#define RR_MSG	     64 /* bytes per request and per answer */

struct rr_server {
	int listen_fd;
	int n;
	int fd[RR_MAX_CONNS];
	pthread_t thread[RR_MAX_CONNS];
};

struct rr_result {
	double rps;	       /* answers per second */
	double p50_us, p99_us; /* request to answer */
	unsigned long long retrans;
	unsigned long long slow; /* answers later than 200 ms: a retransmission timeout at least */
};

struct rr_client {
	int n;
	int fd[RR_MAX_CONNS];
	int cpu, rt_prio; /* SCHED_FIFO priority of its threads; 0: SCHED_OTHER */
	atomic_int stop;
	pthread_t thread[RR_MAX_CONNS];
	float *lat_us[RR_MAX_CONNS]; /* per connection, RR_MAX_SAMPLES each */
	unsigned long count[RR_MAX_CONNS];
};

/* Listen on @addr, in the calling thread's namespace. 0 or -errno. */
int rr_server_listen(struct rr_server *s, const struct sockaddr_in *addr);
/* Accept @n connections (once the client made them), each served by a thread on @cpu, @nice. */
int rr_server_accept(struct rr_server *s, int n, int cpu, int nice);
/* Close every connection, wait for its thread. */
void rr_server_stop(struct rr_server *s);

/*
 * @n connections to @addr from the calling thread's namespace, run by threads on @cpu, at
 * real-time priority @rt_prio (0: none). 0 or -errno.
 */
int rr_client_connect(struct rr_client *c, const struct sockaddr_in *addr, int n, int cpu,
		      int rt_prio);
/* Run every connection for @seconds and measure (retrans: the client's side only). */
int rr_client_run(struct rr_client *c, double seconds, struct rr_result *r);
void rr_client_close(struct rr_client *c);
/* The retransmissions so far of @fd (TCP_INFO). */
unsigned long long rr_retrans(int fd);

#endif
