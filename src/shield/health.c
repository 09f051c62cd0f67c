// SPDX-License-Identifier: GPL-2.0
/*
 * Health checks of the balancer's backends, from user space: TCP connect, or HTTP GET with an
 * expected status. The checks of one round run at once (non-blocking sockets, one poll), each
 * bounded by its service's timeout; a backend goes out after `fall` failures in a row and
 * back after `rise` successes (shield_balance_set_up: in place, then new tables).
 *
 * Everything a check needs is in the pinned maps (lb_svc_info, lb_backends), so a reload's
 * new services and backends are picked up on the next round without telling anyone.
 */
#include "shield/health.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_IDLE, ST_CONNECTING, ST_READING };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lb_health_init(struct lb_health *h)
{
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < LB_MAX_BACKENDS; i++)
		h->be[i].fd = -1;
}

static void finish(struct lb_health_be *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->state = ST_IDLE;
}

void lb_health_free(struct lb_health *h)
{
	for (int i = 0; i < LB_MAX_BACKENDS; i++)
		finish(&h->be[i]);
}

static int start(struct lb_health_be *b, const struct lb_svc_info *si, long long now)
{
	__u16 port = htons(si->check_port ? si->check_port : si->port);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = port };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = port,
				 .sin_addr.s_addr = b->addr[3] };
	bool v4 = lb_addr_is_v4(b->addr);

	memcpy(&a6.sin6_addr, b->addr, sizeof(a6.sin6_addr));
	b->fd = socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->fd < 0)
		return -errno;
	b->deadline = now + si->timeout_ms;
	b->got = 0;
	b->ok = false;
	b->state = ST_CONNECTING;
	if ((v4 ? connect(b->fd, (struct sockaddr *)&a, sizeof(a))
		: connect(b->fd, (struct sockaddr *)&a6, sizeof(a6))) &&
	    errno != EINPROGRESS) {
		finish(b); /* refused at once: a failed check */
		return 0;
	}
	return 0;
}

/* "HTTP/1.x NNN ..." with NNN the expected status. */
static bool status_ok(const char *buf, unsigned int expect)
{
	unsigned int code;

	return sscanf(buf, "HTTP/%*d.%*d %3u", &code) == 1 && code == expect;
}

/* One step of a check whose socket is ready; leaves b->state ST_IDLE when it is decided. */
static void step(struct lb_health_be *b, const struct lb_svc_info *si, short revents)
{
	char req[LB_HTTP_PATH + 128], ip[INET6_ADDRSTRLEN];
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	ssize_t n;

	if (b->state == ST_CONNECTING) {
		if (getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr ||
		    (revents & (POLLERR | POLLHUP) && !(revents & POLLOUT))) {
			finish(b);
			return;
		}
		if (si->check != LB_CHECK_HTTP) {
			b->ok = true;
			finish(b);
			return;
		}
		lb_addr_str(b->addr, ip);
		/* an IPv6 literal in Host: goes in brackets (RFC 3986) */
		n = snprintf(req, sizeof(req),
			     "GET %s HTTP/1.0\r\nHost: %s%s%s\r\nUser-Agent: vigil-health\r\n"
			     "Connection: close\r\n\r\n",
			     si->path, lb_addr_is_v4(b->addr) ? "" : "[", ip,
			     lb_addr_is_v4(b->addr) ? "" : "]");
		if (send(b->fd, req, n, MSG_NOSIGNAL) != n) {
			finish(b);
			return;
		}
		b->state = ST_READING;
		return;
	}
	n = recv(b->fd, b->buf + b->got, sizeof(b->buf) - 1 - b->got, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		b->got += n;
	b->buf[b->got] = '\0';
	if (n <= 0 || strchr(b->buf, '\n') || b->got == sizeof(b->buf) - 1) {
		b->ok = status_ok(b->buf, si->expect);
		finish(b);
	}
}

/* Count the result; take the backend out or put it back when its run is long enough. */
static void judge(const struct shield_maps *m, struct lb_health_be *b, const struct lb_svc_info *si,
		  __u32 slot)
{
	char ip[INET6_ADDRSTRLEN];
	int ret;

	if (b->ok) {
		b->fail_run = 0;
		b->ok_run++;
	} else {
		b->ok_run = 0;
		b->fail_run++;
	}
	if (b->up && b->fail_run < si->fall)
		return;
	if (!b->up && b->ok_run < si->rise)
		return;
	if (b->up == b->ok)
		return;
	b->up = b->ok;
	lb_addr_str(b->addr, ip);
	ret = shield_balance_set_up(m, slot, b->up);
	if (ret < 0)
		pr_warn("shield", "service %s: cannot mark backend %s %s: %s", si->name, ip,
			b->up ? "up" : "down", strerror(-ret));
	else
		pr_info("shield", "service %s: backend %s is %s (%u %s check%s in a row)", si->name,
			ip, b->up ? "up" : "down", b->up ? si->rise : si->fall,
			b->up ? "passed" : "failed", (b->up ? si->rise : si->fall) > 1 ? "s" : "");
}

int lb_health_round(struct lb_health *h, const struct shield_maps *m, int *next_ms)
{
	struct lb_svc_info *svc = h->svc;
	struct pollfd pfd[LB_MAX_BACKENDS];
	__u32 map_of[LB_MAX_BACKENDS];
	long long now = now_ms(), next = now + 1000;
	struct lb_backend be;
	bool any = false;
	int n = 0;

	for (__u32 i = 0; i < LB_MAX_SERVICES; i++) {
		if (bpf_map_lookup_elem(m->lb_svc_info, &i, &svc[i]))
			return -errno;
		any |= (svc[i].flags & LB_SVC_USED) && svc[i].check != LB_CHECK_NONE;
	}
	for (__u32 i = 0; any && i < LB_MAX_BACKENDS; i++) {
		struct lb_health_be *b = &h->be[i];
		const struct lb_svc_info *si;

		if (bpf_map_lookup_elem(m->lb_backends, &i, &be))
			return -errno;
		si = be.svc_slot < LB_MAX_SERVICES ? &svc[be.svc_slot] : NULL;
		if (!(be.flags & LB_BE_USED) || !si || !(si->flags & LB_SVC_USED) ||
		    si->check == LB_CHECK_NONE) {
			finish(b);
			b->known = false;
			continue;
		}
		if (!b->known || memcmp(b->addr, be.addr, sizeof(b->addr)) ||
		    b->svc_slot != be.svc_slot) {
			/* new here (or the slot was reused): start from what the map says */
			*b = (struct lb_health_be){ .known = true,
						    .fd = -1,
						    .svc_slot = be.svc_slot,
						    .up = !!(be.flags & LB_BE_UP),
						    .next_due = now };
			memcpy(b->addr, be.addr, sizeof(b->addr));
		}
		if (b->next_due <= now && start(b, si, now) == 0) {
			b->next_due = now + si->interval_ms;
			if (b->state == ST_IDLE)
				judge(m, b, si, i); /* refused at once */
		}
		if (b->next_due < next)
			next = b->next_due;
	}
	/* wait for this round's checks: each ends by itself or at its deadline */
	for (;;) {
		long long t = now_ms(), wait = -1;

		n = 0;
		for (__u32 i = 0; i < LB_MAX_BACKENDS; i++) {
			struct lb_health_be *b = &h->be[i];

			if (b->state == ST_IDLE)
				continue;
			if (t >= b->deadline) {
				finish(b); /* timed out: failed */
				judge(m, b, &svc[b->svc_slot], i);
				continue;
			}
			pfd[n] = (struct pollfd){ .fd = b->fd,
						  .events = b->state == ST_CONNECTING ? POLLOUT
										      : POLLIN };
			map_of[n++] = i;
			if (wait < 0 || b->deadline - t < wait)
				wait = b->deadline - t;
		}
		if (!n)
			break;
		if (poll(pfd, n, wait) < 0 && errno != EINTR)
			return -errno;
		for (int k = 0; k < n; k++) {
			struct lb_health_be *b = &h->be[map_of[k]];

			if (!pfd[k].revents)
				continue;
			step(b, &svc[b->svc_slot], pfd[k].revents);
			if (b->state == ST_IDLE)
				judge(m, b, &svc[b->svc_slot], map_of[k]);
		}
	}
	now = now_ms();
	*next_ms = next > now ? (int)(next - now) : 0;
	return 0;
}
