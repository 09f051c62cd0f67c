// SPDX-License-Identifier: GPL-2.0
/*
 * Syslog sinks (docs/output.md): syslog+udp://, syslog+tcp:// (RFC 6587 octet counting),
 * syslog+tls:// (RFC 5425) and syslog: (the local /dev/log). Streams batch: send() frames a
 * record into a buffer, flush() writes the batch in one go and keeps it until it is written,
 * reconnecting as needed (the framework backs off between tries); a connection that takes no
 * byte for WRITE_STALL_S is given up and made again. Datagrams go out one by one.
 */
#include "sinks/sink.h"
#include "sinks/syslog_msg.h"
#include "sinks/tls.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONNECT_MS    3000
#define WRITE_STALL_S 4
#define STALL_TEXT    "4 s"
#define DEFAULT_LOCAL "/dev/log"
#define DEFAULT_FACILITY 10 /* authpriv: events carry command lines */

enum transport { T_UDP, T_TCP, T_TLS, T_LOCAL };

struct syslog_sink {
	enum transport t;
	char *name; /* for messages: the URL without its query */
	char host[256], port[8], path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char server_name[256]; /* TLS: the name the certificate must hold */
	int facility;
	char hostname[256];
	int procid;
	int fd;
	bool said_down; /* logged that the peer is away; "connected" is logged next time */
	struct tls_client *tls;
	struct tls_conn *conn;
	char *buf; /* streams: framed records not yet written; datagrams: one message */
	size_t len, cap;
	_Atomic uint64_t connects, stalled;
};

static int reserve(struct syslog_sink *s, size_t more)
{
	size_t cap;
	char *p;

	if (s->len + more <= s->cap)
		return 0;
	cap = (s->len + more) * 2;
	p = realloc(s->buf, cap);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	s->cap = cap;
	return 0;
}

/* "?a=b&c=d": each known key into its place; anything else is an error. */
static int parse_query(struct syslog_sink *s, char *q, char **ca, char **cert, char **key,
		       char *why, size_t len)
{
	for (char *save, *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *v = strchr(kv, '=');

		if (!v || !v[1]) {
			snprintf(why, len, "'%s': want KEY=VALUE", kv);
			return -EINVAL;
		}
		*v++ = '\0';
		if (!strcmp(kv, "facility")) {
			s->facility = syslog_facility(v);
			if (s->facility < 0) {
				snprintf(why, len,
					 "unknown facility '%s': kern, user, daemon, auth, "
					 "authpriv, local0 ... local7, ...",
					 v);
				return -EINVAL;
			}
		} else if (s->t == T_TLS && !strcmp(kv, "ca")) {
			*ca = v;
		} else if (s->t == T_TLS && !strcmp(kv, "cert")) {
			*cert = v;
		} else if (s->t == T_TLS && !strcmp(kv, "key")) {
			*key = v;
		} else if (s->t == T_TLS && !strcmp(kv, "name")) {
			snprintf(s->server_name, sizeof(s->server_name), "%s", v);
		} else {
			snprintf(why, len, "unknown parameter '%s': %s", kv,
				 s->t == T_TLS ? "facility, ca, cert, key or name" : "facility");
			return -EINVAL;
		}
	}
	if (!*cert != !*key) {
		snprintf(why, len, "a client certificate needs both cert= and key=");
		return -EINVAL;
	}
	return 0;
}

/* "HOST:PORT", "[V6]:PORT" or "HOST" (the default port). */
static int parse_address(struct syslog_sink *s, char *a, char *why, size_t len)
{
	const char *def_port = s->t == T_TLS ? "6514" : "514";
	char *port = NULL, *end;
	unsigned long n;

	if (*a == '[') {
		end = strchr(a, ']');
		if (!end || (end[1] && end[1] != ':'))
			goto bad;
		*end = '\0';
		port = end[1] ? end + 2 : NULL;
		a++;
	} else if ((port = strchr(a, ':'))) {
		*port++ = '\0';
	}
	if (!*a || strlen(a) >= sizeof(s->host))
		goto bad;
	snprintf(s->host, sizeof(s->host), "%s", a);
	errno = 0;
	n = port ? strtoul(port, &end, 10) : 0;
	if (port && (errno || end == port || *end || !n || n > 65535))
		goto bad;
	snprintf(s->port, sizeof(s->port), "%s", port ? port : def_port);
	return 0;
bad:
	snprintf(why, len, "want HOST:PORT after //, like 127.0.0.1:%s or [::1]:%s", def_port,
		 def_port);
	return -EINVAL;
}

static int parse_url(struct syslog_sink *s, const char *url, char *why, size_t len)
{
	static const struct {
		const char *prefix;
		enum transport t;
	} kinds[] = {
		{ "syslog+udp://", T_UDP },
		{ "syslog+tcp://", T_TCP },
		{ "syslog+tls://", T_TLS },
		{ "syslog:", T_LOCAL },
	};
	char *copy = NULL, *rest = NULL, *q, *ca = NULL, *cert = NULL, *key = NULL;
	int err = -EINVAL;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !rest; i++)
		if (!strncmp(url, kinds[i].prefix, strlen(kinds[i].prefix))) {
			s->t = kinds[i].t;
			rest = copy = strdup(url + strlen(kinds[i].prefix));
			if (!copy)
				return -ENOMEM;
		}
	if (!rest) {
		snprintf(why, len,
			 "want syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, "
			 "syslog+tls://HOST:PORT or syslog:[//PATH]");
		return -EINVAL;
	}
	q = strchr(rest, '?');
	if (q)
		*q++ = '\0';
	if (s->t == T_LOCAL) {
		/* "syslog:", "syslog://" + an absolute path ("syslog:///dev/log") */
		if (!strncmp(rest, "//", 2))
			rest += 2;
		if (*rest && *rest != '/') {
			snprintf(why, len, "want syslog: or syslog:///PATH (a socket's path)");
			goto out;
		}
		if (strlen(*rest ? rest : DEFAULT_LOCAL) >= sizeof(s->path)) {
			snprintf(why, len, "the socket's path is too long");
			goto out;
		}
		snprintf(s->path, sizeof(s->path), "%s", *rest ? rest : DEFAULT_LOCAL);
	} else {
		if (strchr(rest, '/') || strchr(rest, '@')) {
			snprintf(why, len, "want HOST:PORT after //, with no path or user");
			goto out;
		}
		err = parse_address(s, rest, why, len);
		if (err)
			goto out;
	}
	snprintf(s->server_name, sizeof(s->server_name), "%s", s->host);
	err = q ? parse_query(s, q, &ca, &cert, &key, why, len) : 0;
	if (!err && s->t == T_TLS)
		err = tls_client_new(&s->tls, ca, cert, key, why, len);
out:
	free(copy);
	return err;
}

static void disconnect(struct syslog_sink *s)
{
	tls_close(s->conn);
	s->conn = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Log once that the peer is away, and once that it is back. */
static void peer_down(struct syslog_sink *s, const char *what)
{
	if (!s->said_down)
		pr_warn("sink", "%s: %s; events wait in its queue, trying again", s->name, what);
	s->said_down = true;
}

static int connect_timed(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int err = 0;

	if (!connect(fd, sa, len))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if (poll(&p, 1, CONNECT_MS) <= 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return -errno;
	return -err;
}

static int open_local(struct syslog_sink *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int err = errno;

		close(fd);
		/* no syslog daemon yet: wait for it as for a peer away */
		return err == ENOENT ? -ECONNREFUSED : -err;
	}
	return fd;
}

/* A connected socket to s->host:s->port, blocking with a send timeout; or -errno. */
static int open_inet(struct syslog_sink *s)
{
	struct addrinfo hints = { .ai_socktype = s->t == T_UDP ? SOCK_DGRAM : SOCK_STREAM };
	struct timeval tv = { .tv_sec = WRITE_STALL_S };
	struct addrinfo *res, *ai;
	int fd = -1, err, one = 1;
	char what[320];

	err = getaddrinfo(s->host, s->port, &hints, &res);
	if (err) {
		snprintf(what, sizeof(what), "cannot resolve %s: %s", s->host, gai_strerror(err));
		peer_down(s, what);
		return err == EAI_AGAIN ? -EAGAIN : -EHOSTUNREACH;
	}
	err = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		err = connect_timed(fd, ai->ai_addr, ai->ai_addrlen);
		if (!err)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (s->t != T_UDP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int reconnect(struct syslog_sink *s)
{
	char what[512], why[400] = "";
	int fd, err;

	disconnect(s);
	fd = s->t == T_LOCAL ? open_local(s) : open_inet(s);
	if (fd < 0) {
		snprintf(what, sizeof(what), "cannot connect: %s", strerror(-fd));
		peer_down(s, what);
		return fd;
	}
	s->fd = fd;
	if (s->t == T_TLS) {
		err = tls_connect(s->tls, fd, s->server_name, &s->conn, why, sizeof(why));
		if (err) {
			disconnect(s);
			peer_down(s, why);
			return err;
		}
	}
	if (s->said_down)
		pr_info("sink", "%s: connected", s->name);
	s->said_down = false;
	atomic_fetch_add(&s->connects, 1);
	return 0;
}

/* A stream whose peer closed it (syslog servers never write) is made again before a write. */
static bool stream_closed(struct syslog_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) > 0;
}

static int syslog_open(void **ctx, const char *url, char *why, size_t len)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));
	char *q;
	int err;

	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->facility = DEFAULT_FACILITY;
	s->procid = getpid();
	s->name = strdup(url);
	if (!s->name) {
		free(s);
		return -ENOMEM;
	}
	q = strchr(s->name, '?');
	if (q)
		*q = '\0';
	if (gethostname(s->hostname, sizeof(s->hostname)))
		s->hostname[0] = '\0';
	err = parse_url(s, url, why, len);
	if (err) {
		tls_client_free(s->tls);
		free(s->name);
		free(s);
		return err;
	}
	*ctx = s;
	return 0;
}

/* A datagram: the message, sent now. */
static int send_datagram(struct syslog_sink *s, const struct sink_record *r)
{
	char hdr[SYSLOG_HEADER_MAX];
	size_t n = s->t == T_LOCAL ? syslog_local_header(hdr, sizeof(hdr), r, s->facility, s->procid)
				   : syslog_5424_header(hdr, sizeof(hdr), r, s->facility,
							s->hostname, s->procid);
	struct iovec iov[2] = { { hdr, n }, { (void *)r->json, r->len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	int err;

	if (s->fd < 0 && (err = reconnect(s)))
		return err;
	if (sendmsg(s->fd, &msg, MSG_NOSIGNAL) >= 0)
		return 0;
	err = -errno;
	/* the daemon went away or restarted: a new socket next time */
	if (err == -ECONNREFUSED || err == -ENOTCONN)
		disconnect(s);
	return err;
}

static int syslog_send(void *ctx, const struct sink_record *r)
{
	struct syslog_sink *s = ctx;
	char hdr[SYSLOG_HEADER_MAX], count[24];
	size_t n, c;

	if (s->t == T_UDP || s->t == T_LOCAL)
		return send_datagram(s, r);
	/* RFC 6587 3.4.1: "LENGTH SP MESSAGE" */
	n = syslog_5424_header(hdr, sizeof(hdr), r, s->facility, s->hostname, s->procid);
	c = snprintf(count, sizeof(count), "%zu ", n + r->len);
	if (reserve(s, c + n + r->len))
		return -ENOMEM;
	memcpy(s->buf + s->len, count, c);
	memcpy(s->buf + s->len + c, hdr, n);
	memcpy(s->buf + s->len + c + n, r->json, r->len);
	s->len += c + n + r->len;
	return 0;
}

/* Write the batch; kept whole until it is (a new connection starts it again). */
static int syslog_flush(void *ctx)
{
	struct syslog_sink *s = ctx;
	size_t done = 0;
	ssize_t w;
	int err;

	if (!s->len)
		return 0;
	if ((s->fd < 0 || stream_closed(s)) && (err = reconnect(s)))
		return err;
	while (done < s->len) {
		if (s->conn)
			w = tls_send(s->conn, s->buf + done, s->len - done);
		else if ((w = send(s->fd, s->buf + done, s->len - done, MSG_NOSIGNAL)) < 0)
			w = -errno;
		if (w == -EINTR)
			continue;
		if (w < 0) {
			/* the batch stays whole, for the next connection */
			disconnect(s);
			if (w == -EAGAIN || w == -EWOULDBLOCK) {
				atomic_fetch_add(&s->stalled, 1);
				peer_down(s, "the server took nothing for " STALL_TEXT);
				return -ETIMEDOUT;
			}
			peer_down(s, strerror(-w));
			return -ECONNRESET;
		}
		done += w;
	}
	s->len = 0;
	return 0;
}

static void syslog_close(void *ctx)
{
	struct syslog_sink *s = ctx;

	disconnect(s);
	tls_client_free(s->tls);
	free(s->buf);
	free(s->name);
	free(s);
}

static size_t syslog_counters(void *ctx, struct sink_counter *c, size_t max)
{
	struct syslog_sink *s = ctx;

	if (max < 2)
		return 0;
	c[0] = (struct sink_counter){ "connects", atomic_load(&s->connects) };
	c[1] = (struct sink_counter){ "stalled_connections", atomic_load(&s->stalled) };
	return 2;
}

#define SYSLOG_OPS(sch)                                                                            \
	{                                                                                          \
		.scheme = (sch), .open = syslog_open, .send = syslog_send, .flush = syslog_flush,  \
		.close = syslog_close, .counters = syslog_counters                                 \
	}

const struct sink_ops sink_syslog_udp_ops = SYSLOG_OPS("syslog+udp");
const struct sink_ops sink_syslog_tcp_ops = SYSLOG_OPS("syslog+tcp");
const struct sink_ops sink_syslog_tls_ops = SYSLOG_OPS("syslog+tls");
const struct sink_ops sink_syslog_local_ops = SYSLOG_OPS("syslog");
