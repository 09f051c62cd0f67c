// SPDX-License-Identifier: GPL-2.0
#include "export/http.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAD(...) (snprintf(why, len, __VA_ARGS__), -EINVAL)

int metrics_addr_parse(const char *s, struct metrics_addr *a, char *why, size_t len)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN];
	size_t host_len = colon ? (size_t)(colon - s) : 0;
	unsigned long port;
	char *end;

	memset(a, 0, sizeof(*a));
	if (!colon)
		return BAD("want ADDR:PORT, like 127.0.0.1:9464 or [::1]:9464, not '%s'", s);
	if (!host_len)
		return BAD("no address before the port: 127.0.0.1 for this host only, 0.0.0.0 or "
			   "[::] for every interface");
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port < 1 || port > 65535)
		return BAD("the port is a number from 1 to 65535, not '%s'", colon + 1);
	if (s[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

		if (host_len < 3 || s[host_len - 1] != ']' || host_len - 2 >= sizeof(host))
			return BAD("an IPv6 address is written in brackets: [::1]:9464");
		memcpy(host, s + 1, host_len - 2);
		host[host_len - 2] = '\0';
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return BAD("'%s' is not an IPv6 address", host);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		a->len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;

		if (memchr(s, ':', host_len))
			return BAD("put an IPv6 address in brackets: [%.*s]:%lu", (int)host_len, s,
				   port);
		if (host_len >= sizeof(host))
			return BAD("'%.*s' is not an IPv4 address", (int)host_len, s);
		memcpy(host, s, host_len);
		host[host_len] = '\0';
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return BAD("'%s' is not a numeric IPv4 address (like 127.0.0.1)", host);
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		a->len = sizeof(*in);
	}
	return 0;
}

#ifdef HAVE_LIBMICROHTTPD
#include <microhttpd.h>

/* The format version Prometheus's text parser expects. */
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/*
 * How long a scrape waits for a fresh snapshot before it takes the last one: the main loop
 * turns every 100 ms, but takes longer to drain a burst of events (Prometheus waits 10 s).
 */
#define SNAPSHOT_WAIT_MS 3000
/* Scrapers are few: a bound on what a flood of connections can take */
#define MAX_CONNECTIONS	   16
#define CONNECTION_TIMEOUT 10 /* seconds */

struct metrics_http {
	struct MHD_Daemon *daemon;
	struct metrics *metrics;
};

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *h = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *text;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "vigil serves GET /metrics\n");
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "vigil serves /metrics\n");
	if (metrics_snapshot(h->metrics, SNAPSHOT_WAIT_MS, &text, &len))
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "the agent has no metrics yet; try again\n");
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	pr_debug("metrics", "libmicrohttpd: %s", msg);
}

/* Our own socket: bind's errno says exactly why an address cannot be used. */
static int listen_on(const struct metrics_addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	/* a restart may find the last agent's connections in TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, 32)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int metrics_http_start(struct metrics_http **out, const struct metrics_addr *addr,
		       struct metrics *m)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	sigset_t all, old;
	int fd;

	if (!h)
		return -ENOMEM;
	h->metrics = m;
	fd = listen_on(addr);
	if (fd < 0) {
		free(h);
		return fd;
	}
	/* the server's thread takes no signal: the main loop handles them all */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->daemon =
		MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				 answer, h, MHD_OPTION_LISTEN_SOCKET, fd,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT,
				 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->daemon) {
		/* the socket is left open: whether a failed start closed it is not documented,
		 * and the agent exits on this error */
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon); /* closes the listening socket */
	free(h);
}

#else /* the static VM build: Debian ships no static libmicrohttpd with its TLS libraries */

int metrics_http_start(struct metrics_http **out, const struct metrics_addr *addr,
		       struct metrics *m)
{
	(void)out;
	(void)addr;
	(void)m;
	return -EOPNOTSUPP;
}

void metrics_http_stop(struct metrics_http *h)
{
	(void)h;
}

#endif
