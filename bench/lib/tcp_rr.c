// SPDX-License-Identifier: GPL-2.0
#include "tcp_rr.h"
#include "benchlib.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RR_MAX_SAMPLES (1 << 20)
#define RR_SLOW_US     200000.0

struct conn_arg {
	struct rr_client *c; /* NULL on the server's side */
	int idx, fd, cpu, nice;
};

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

unsigned long long rr_retrans(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return ti.tcpi_total_retrans;
}

int rr_server_listen(struct rr_server *s, const struct sockaddr_in *addr)
{
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->listen_fd = tcp_socket();
	if (s->listen_fd < 0)
		return -errno;
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->listen_fd, (const struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(s->listen_fd, RR_MAX_CONNS))
		return -errno;
	return 0;
}

static void *serve(void *arg)
{
	struct conn_arg a = *(struct conn_arg *)arg;
	char buf[RR_MSG];

	free(arg);
	pin_self(a.cpu);
	setpriority(PRIO_PROCESS, 0, a.nice); /* this thread */
	while (!read_full(a.fd, buf, sizeof(buf)))
		if (write(a.fd, buf, sizeof(buf)) != sizeof(buf))
			break;
	return NULL;
}

int rr_server_accept(struct rr_server *s, int n, int cpu, int nice)
{
	for (s->n = 0; s->n < n && s->n < RR_MAX_CONNS; s->n++) {
		struct conn_arg *a = calloc(1, sizeof(*a));
		int fd, one = 1;

		if (!a)
			return -ENOMEM;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			free(a);
			return -errno;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		s->fd[s->n] = a->fd = fd;
		a->cpu = cpu;
		a->nice = nice;
		if (pthread_create(&s->thread[s->n], NULL, serve, a)) {
			close(fd);
			free(a);
			return -EAGAIN;
		}
	}
	return 0;
}

void rr_server_stop(struct rr_server *s)
{
	for (int i = 0; i < s->n; i++) {
		shutdown(s->fd[i], SHUT_RDWR);
		pthread_join(s->thread[i], NULL);
		close(s->fd[i]);
	}
	s->n = 0;
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
}

int rr_client_connect(struct rr_client *c, const struct sockaddr_in *addr, int n, int cpu,
		      int rt_prio)
{
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	c->rt_prio = rt_prio;
	for (c->n = 0; c->n < n && c->n < RR_MAX_CONNS; c->n++) {
		struct timeval tv = { .tv_sec = 5 }; /* a dead server fails the run, not hangs it */
		int fd = tcp_socket();

		c->lat_us[c->n] = malloc(RR_MAX_SAMPLES * sizeof(float));
		if (fd < 0 || !c->lat_us[c->n] ||
		    connect(fd, (const struct sockaddr *)addr, sizeof(*addr))) {
			int ret = -errno;

			if (fd >= 0)
				close(fd);
			free(c->lat_us[c->n]);
			return ret ? ret : -ENOMEM;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		c->fd[c->n] = fd;
	}
	return 0;
}

static void *ask(void *arg)
{
	struct conn_arg *a = arg;
	struct rr_client *c = a->c;
	char buf[RR_MSG] = "request";
	unsigned long n = 0;

	pin_self(c->cpu);
	if (c->rt_prio) {
		struct sched_param sp = { .sched_priority = c->rt_prio };

		sched_setscheduler(0, SCHED_FIFO, &sp);
	}
	while (!atomic_load(&c->stop) && n < RR_MAX_SAMPLES) {
		double t0 = now_ns();

		if (write(a->fd, buf, sizeof(buf)) != sizeof(buf) ||
		    read_full(a->fd, buf, sizeof(buf)))
			break;
		c->lat_us[a->idx][n++] = (now_ns() - t0) / 1e3;
	}
	c->count[a->idx] = n;
	return NULL;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

int rr_client_run(struct rr_client *c, double seconds, struct rr_result *r)
{
	struct conn_arg args[RR_MAX_CONNS];
	unsigned long long retrans0 = 0, total = 0;
	double t0, t1;
	float *all;

	memset(r, 0, sizeof(*r));
	atomic_store(&c->stop, 0);
	for (int i = 0; i < c->n; i++)
		retrans0 += rr_retrans(c->fd[i]);
	t0 = now_ns();
	for (int i = 0; i < c->n; i++) {
		args[i] = (struct conn_arg){ .c = c, .idx = i, .fd = c->fd[i] };
		c->count[i] = 0;
		if (pthread_create(&c->thread[i], NULL, ask, &args[i])) {
			atomic_store(&c->stop, 1);
			for (int j = 0; j < i; j++)
				pthread_join(c->thread[j], NULL);
			return -EAGAIN;
		}
	}
	usleep(seconds * 1e6);
	atomic_store(&c->stop, 1);
	for (int i = 0; i < c->n; i++)
		pthread_join(c->thread[i], NULL);
	t1 = now_ns();
	for (int i = 0; i < c->n; i++) {
		total += c->count[i];
		r->retrans += rr_retrans(c->fd[i]);
	}
	r->retrans -= retrans0;
	r->rps = total / ((t1 - t0) / 1e9);
	all = malloc((total ? total : 1) * sizeof(float));
	if (!all)
		return -ENOMEM;
	total = 0;
	for (int i = 0; i < c->n; i++)
		for (unsigned long j = 0; j < c->count[i]; j++) {
			all[total++] = c->lat_us[i][j];
			r->slow += c->lat_us[i][j] > RR_SLOW_US;
		}
	qsort(all, total, sizeof(float), cmp_float);
	if (total) {
		r->p50_us = all[total / 2];
		r->p99_us = all[total * 99 / 100];
	}
	free(all);
	return 0;
}

void rr_client_close(struct rr_client *c)
{
	for (int i = 0; i < c->n; i++) {
		close(c->fd[i]);
		free(c->lat_us[i]);
	}
	c->n = 0;
}
