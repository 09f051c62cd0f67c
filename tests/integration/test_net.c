// SPDX-License-Identifier: GPL-2.0
/*
 * The network sensor end to end: the real vigil binary, real sockets on loopback (servers the
 * test starts itself), DNS inside a network namespace the test creates, and the exact JSON
 * fields each operation must produce.
 */
#include "harness.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events/event.h"
#include "events/family.h"
#include "net.skel.h"

static const char *const all_net[] = { "trace", "--events", "connect,accept,listen,bind,socket,dns",
				       NULL };

/* The first @type event of @pid whose integer field @key is @val (key NULL: any). */
static struct json_object *find_net(struct json_object **ev, size_t n, const char *type, pid_t pid,
				    const char *key, long long val)
{
	for (size_t i = 0; i < n; i++) {
		if (!jstr(ev[i], "type") || strcmp(jstr(ev[i], "type"), type) ||
		    jint(ev[i], "process.pid") != pid)
			continue;
		if (!key || jint(ev[i], key) == val)
			return ev[i];
	}
	return NULL;
}

static size_t count_type(struct json_object **ev, size_t n, const char *type, pid_t pid)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (jstr(ev[i], "type") && !strcmp(jstr(ev[i], "type"), type) &&
		    jint(ev[i], "process.pid") == pid)
			c++;
	return c;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static socklen_t make_addr(struct sockaddr_storage *ss, int family, const char *ip, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
		return sizeof(*sin6);
	}
}

/* A TCP server listening on @ip, port chosen by the kernel. */
static int tcp_server(int family, const char *ip, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, family, ip, 0);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	*port = local_port(fd);
	return fd;
}

/* A port nothing listens on: bound for a moment by the kernel's choice, then released. */
static int closed_port(int family, const char *ip)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, family, ip, 0);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&ss, len))
		port = local_port(fd);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Connect, accept and check the connect/accept/bind/listen events of one address family. */
static void tcp_roundtrip(int family, const char *ip, const char *fam_name)
{
	struct json_object **ev, *e;
	struct sockaddr_storage ss;
	struct vigil_child v;
	int srv, cli = -1, acc = -1, sport = -1, cport = -1, rc = -1;
	size_t n = 0;
	socklen_t len;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, all_net))
		return;
	srv = tcp_server(family, ip, &sport);
	if (srv >= 0) {
		cli = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		len = make_addr(&ss, family, ip, sport);
		rc = connect(cli, (struct sockaddr *)&ss, len);
		cport = local_port(cli);
		acc = accept(srv, NULL, NULL);
	}
	ASSERT_TRUE(srv >= 0 && rc == 0 && acc >= 0, "server, connect and accept work");
	ev = vigil_stop_and_load(&v, &n);

	e = find_net(ev, n, "connect", getpid(), "net.dport", sport);
	if (ASSERT_NOT_NULL(e, "connect event")) {
		ASSERT_EQ(jint(e, "result"), 0, "connect result");
		ASSERT_STREQ(jstr(e, "net.family"), fam_name, "connect family");
		ASSERT_STREQ(jstr(e, "net.proto"), "tcp", "connect proto");
		ASSERT_STREQ(jstr(e, "net.saddr"), ip, "connect saddr");
		ASSERT_EQ(jint(e, "net.sport"), cport,
			  "connect sport (the kernel's ephemeral port)");
		ASSERT_STREQ(jstr(e, "net.daddr"), ip, "connect daddr");
		ASSERT_TRUE(!jget(e, "net.daddr_asked"), "connect daddr is the kernel's");
	}
	e = find_net(ev, n, "bind", getpid(), "net.sport", sport);
	if (ASSERT_NOT_NULL(e, "bind event with the port the kernel chose")) {
		ASSERT_EQ(jint(e, "result"), 0, "bind result");
		ASSERT_STREQ(jstr(e, "net.saddr"), ip, "bind saddr");
	}
	e = find_net(ev, n, "listen", getpid(), "net.sport", sport);
	if (ASSERT_NOT_NULL(e, "listen event")) {
		ASSERT_EQ(jint(e, "result"), 0, "listen result");
		ASSERT_STREQ(jstr(e, "net.saddr"), ip, "listen saddr");
		ASSERT_STREQ(jstr(e, "net.proto"), "tcp", "listen proto");
	}
	e = find_net(ev, n, "accept", getpid(), "net.dport", cport);
	if (ASSERT_NOT_NULL(e, "accept event with the peer's port")) {
		ASSERT_EQ(jint(e, "result"), acc, "accept result is the new fd");
		ASSERT_STREQ(jstr(e, "net.saddr"), ip, "accept saddr");
		ASSERT_EQ(jint(e, "net.sport"), sport, "accept sport");
		ASSERT_STREQ(jstr(e, "net.daddr"), ip, "accept peer address");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
	close(acc);
	close(cli);
	close(srv);
}

TEST(tcp_ipv4_connect_accept_bind_listen)
{
	tcp_roundtrip(AF_INET, "127.0.0.1", "inet");
}

TEST(tcp_ipv6_connect_accept_bind_listen)
{
	tcp_roundtrip(AF_INET6, "::1", "inet6");
}

TEST(connect_refused_nonblocking_and_mapped)
{
	struct json_object **ev, *e;
	struct sockaddr_storage ss;
	struct vigil_child v;
	int closed4, closed6, srv, sport = -1, fd4, fd6, nb, mapped, rc4, rc6, rcnb, rcm;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	closed4 = closed_port(AF_INET, "127.0.0.1");
	closed6 = closed_port(AF_INET6, "::1");
	if (!vigil_start_checked(&v, all_net))
		return;
	fd4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc4 = connect(fd4, (struct sockaddr *)&ss, make_addr(&ss, AF_INET, "127.0.0.1", closed4))
		      ? -errno
		      : 0;
	fd6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc6 = connect(fd6, (struct sockaddr *)&ss, make_addr(&ss, AF_INET6, "::1", closed6))
		      ? -errno
		      : 0;
	srv = tcp_server(AF_INET, "127.0.0.1", &sport);
	nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	rcnb = connect(nb, (struct sockaddr *)&ss, make_addr(&ss, AF_INET, "127.0.0.1", sport))
		       ? -errno
		       : 0;
	/* An IPv6 socket talking IPv4 through ::ffff:127.0.0.1. */
	mapped = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rcm = connect(mapped, (struct sockaddr *)&ss,
		      make_addr(&ss, AF_INET6, "::ffff:127.0.0.1", sport))
		      ? -errno
		      : 0;
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_EQ(rc4, -ECONNREFUSED, "connect to a closed IPv4 port fails");
	ASSERT_EQ(rc6, -ECONNREFUSED, "connect to a closed IPv6 port fails");

	e = find_net(ev, n, "connect", getpid(), "net.dport", closed4);
	if (ASSERT_NOT_NULL(e, "refused IPv4 connect event")) {
		ASSERT_EQ(jint(e, "result"), -111, "result -ECONNREFUSED");
		ASSERT_STREQ(jstr(e, "net.family"), "inet", "family");
		ASSERT_STREQ(jstr(e, "net.daddr"), "127.0.0.1", "daddr");
		ASSERT_TRUE(jget(e, "net.daddr_asked") != NULL, "daddr flagged as the caller's");
		ASSERT_TRUE(jint(e, "net.sport") > 0, "the local port used is still known");
	}
	e = find_net(ev, n, "connect", getpid(), "net.dport", closed6);
	if (ASSERT_NOT_NULL(e, "refused IPv6 connect event")) {
		ASSERT_EQ(jint(e, "result"), -111, "result -ECONNREFUSED");
		ASSERT_STREQ(jstr(e, "net.family"), "inet6", "family");
		ASSERT_STREQ(jstr(e, "net.daddr"), "::1", "daddr");
	}
	e = find_net(ev, n, "connect", getpid(), "result", -EINPROGRESS);
	if (ASSERT_NOT_NULL(e, "non-blocking connect reported with -EINPROGRESS")) {
		ASSERT_EQ(rcnb, -EINPROGRESS, "the caller saw -EINPROGRESS too");
		ASSERT_EQ(jint(e, "net.dport"), sport, "dport");
		ASSERT_EQ(jint(e, "net.sport"), local_port(nb), "sport");
		ASSERT_TRUE(!jget(e, "net.daddr_asked"), "peer is the kernel's");
	}
	e = find_net(ev, n, "connect", getpid(), "net.sport", local_port(mapped));
	if (ASSERT_NOT_NULL(e, "IPv4-mapped connect event")) {
		ASSERT_EQ(rcm, 0, "mapped connect works");
		ASSERT_EQ(jint(e, "result"), 0, "result");
		ASSERT_STREQ(jstr(e, "net.family"), "inet6", "the socket's family");
		ASSERT_STREQ(jstr(e, "net.daddr"), "127.0.0.1", "mapped daddr printed as IPv4");
		ASSERT_STREQ(jstr(e, "net.saddr"), "127.0.0.1", "mapped saddr printed as IPv4");
		ASSERT_EQ(jint(e, "net.dport"), sport, "dport");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
	close(fd4);
	close(fd6);
	close(nb);
	close(mapped);
	close(srv);
}

TEST(bind_failure_and_udp)
{
	struct json_object **ev, *e;
	struct sockaddr_storage ss;
	struct vigil_child v;
	int srv, sport = -1, dup, rc, udp, uport;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, all_net))
		return;
	srv = tcp_server(AF_INET, "127.0.0.1", &sport);
	dup = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = bind(dup, (struct sockaddr *)&ss, make_addr(&ss, AF_INET, "127.0.0.1", sport)) ? -errno
											    : 0;
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bind(udp, (struct sockaddr *)&ss, make_addr(&ss, AF_INET, "127.0.0.1", 0));
	uport = local_port(udp);
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_EQ(rc, -EADDRINUSE, "second bind to the port fails");

	e = find_net(ev, n, "bind", getpid(), "result", -EADDRINUSE);
	if (ASSERT_NOT_NULL(e, "failed bind event")) {
		ASSERT_EQ(jint(e, "net.sport"), sport, "the port asked for");
		ASSERT_STREQ(jstr(e, "net.saddr"), "127.0.0.1", "the address asked for");
		ASSERT_TRUE(jget(e, "net.saddr_asked") != NULL, "flagged as the caller's");
	}
	e = find_net(ev, n, "bind", getpid(), "net.sport", uport);
	if (ASSERT_NOT_NULL(e, "UDP bind event with the kernel's port")) {
		ASSERT_STREQ(jstr(e, "net.proto"), "udp", "proto");
		ASSERT_EQ(jint(e, "result"), 0, "result");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
	close(srv);
	close(dup);
	close(udp);
}

TEST(raw_and_packet_sockets_only)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	int raw, pkt, tcp, udp, unix_fd;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, all_net))
		return;
	tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	udp = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_TRUE(raw >= 0 && pkt >= 0, "raw and packet sockets created");

	e = find_net(ev, n, "socket", getpid(), "result", raw);
	if (ASSERT_NOT_NULL(e, "raw socket event")) {
		ASSERT_STREQ(jstr(e, "net.family"), "inet", "family");
		ASSERT_STREQ(jstr(e, "net.proto"), "raw", "proto");
		ASSERT_EQ(jint(e, "net.protocol"), IPPROTO_ICMP, "IP protocol");
	}
	e = find_net(ev, n, "socket", getpid(), "result", pkt);
	if (ASSERT_NOT_NULL(e, "packet socket event")) {
		ASSERT_STREQ(jstr(e, "net.family"), "packet", "family");
		ASSERT_STREQ(jstr(e, "net.proto"), "raw", "proto");
		ASSERT_EQ(jint(e, "net.protocol"), ETH_P_ALL, "ethertype");
	}
	ASSERT_EQ(count_type(ev, n, "socket", getpid()), 2, "no socket events for tcp/udp/unix");
	events_free(ev, n);
	vigil_cleanup(&v);
	close(tcp);
	close(udp);
	close(unix_fd);
	close(raw);
	close(pkt);
}

/* A DNS query for @name (dotted) and @qtype, in wire format; returns its length. */
static size_t dns_query(unsigned char *buf, const char *name, int qtype)
{
	size_t off = 12;
	const char *p = name;

	memset(buf, 0, 12);
	buf[0] = 0x12;
	buf[1] = 0x34;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		buf[off++] = len;
		memcpy(buf + off, p, len);
		off += len;
		p += len + (dot ? 1 : 0);
	}
	buf[off++] = 0;
	buf[off++] = qtype >> 8;
	buf[off++] = qtype & 0xff;
	buf[off++] = 0;
	buf[off++] = 1; /* IN */
	return off;
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	strcpy(ifr.ifr_name, "lo");
	err = fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	err = err || ioctl(fd, SIOCSIFFLAGS, &ifr);
	if (fd >= 0)
		close(fd);
	return err ? -1 : 0;
}

/* A fake DNS server on 127.0.0.1:53: answers every query with NXDOMAIN, until killed. */
static void fake_dns_server(int fd)
{
	unsigned char buf[512];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

		if (len < 12)
			continue;
		buf[2] |= 0x80; /* QR */
		buf[3] = (buf[3] & 0xf0) | 3;
		sendto(fd, buf, len, 0, (struct sockaddr *)&from, flen);
	}
}

static const unsigned char bad_pointer[] = "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
					   "\x03"
					   "abc\xc0\x0c\x00\x01\x00\x01";
static const unsigned char bad_overrun[] = "\x00\x02\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
					   "\x3f"
					   "short";

/*
 * In a new network namespace (and mount namespace, for our own resolv.conf): a fake server on
 * 127.0.0.1:53, a query by connect()+send(), one by sendto(), malformed ones, and glibc's own
 * resolver (sendmmsg of A and AAAA). Exit code 0 when every step worked.
 */
static int dns_child(void)
{
	unsigned char q[300];
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, AF_INET, "127.0.0.1", 53);
	struct addrinfo *ai = NULL, hints = { .ai_socktype = SOCK_DGRAM };
	static const char resolv[] = "nameserver 127.0.0.1\noptions attempts:1 timeout:1\n";
	char conf[] = "/tmp/vigil-test-resolv-XXXXXX";
	int srv, c, u, fd, status = 0;
	pid_t server;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) || lo_up() ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 10;
	srv = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (srv < 0 || bind(srv, (struct sockaddr *)&ss, len))
		return 11;
	server = fork();
	if (server == 0)
		fake_dns_server(srv);
	close(srv);

	c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (connect(c, (struct sockaddr *)&ss, len) ||
	    send(c, q, dns_query(q, "vigil-test.example.org", 28), 0) < 0)
		status = 12;
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sendto(u, q, dns_query(q, "sendto.example", 1), 0, (struct sockaddr *)&ss, len) < 0 ||
	    sendto(u, "garbage", 7, 0, (struct sockaddr *)&ss, len) < 0 ||
	    sendto(u, bad_pointer, sizeof(bad_pointer) - 1, 0, (struct sockaddr *)&ss, len) < 0 ||
	    sendto(u, bad_overrun, sizeof(bad_overrun) - 1, 0, (struct sockaddr *)&ss, len) < 0)
		status = 13;

	/* glibc's resolver, pointed at our server by a private resolv.conf. */
	fd = mkstemp(conf);
	if (fd < 0 || write(fd, resolv, strlen(resolv)) != (ssize_t)strlen(resolv) ||
	    mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL))
		status = 14;
	if (fd >= 0)
		close(fd);
	unlink(conf);
	if (!status && getaddrinfo("glibc.vigil-test.example", NULL, &hints, &ai) != EAI_NONAME)
		status = 15;
	if (ai)
		freeaddrinfo(ai);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	return status;
}

static struct json_object *find_dns(struct json_object **ev, size_t n, pid_t pid, const char *name,
				    const char *qtype)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type"), *nm = jstr(ev[i], "dns.name"),
			   *ty = jstr(ev[i], "dns.type");

		if (t && !strcmp(t, "dns") && jint(ev[i], "process.pid") == pid && nm &&
		    !strcmp(nm, name) && (!qtype || (ty && !strcmp(ty, qtype))))
			return ev[i];
	}
	return NULL;
}

TEST(dns_queries_and_malformed_payloads)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0, malformed = 0;
	int status = -1;
	pid_t child;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, all_net))
		return;
	child = fork();
	if (child == 0)
		_exit(dns_child());
	waitpid(child, &status, 0);
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_TRUE(WIFEXITED(status), "dns child exited");
	ASSERT_EQ(WEXITSTATUS(status), 0, "dns child steps (10+: which failed)");

	e = find_dns(ev, n, child, "vigil-test.example.org", "AAAA");
	if (ASSERT_NOT_NULL(e, "dns event from connect()+send()")) {
		ASSERT_STREQ(jstr(e, "net.daddr"), "127.0.0.1", "daddr");
		ASSERT_EQ(jint(e, "net.dport"), 53, "dport");
		ASSERT_STREQ(jstr(e, "net.proto"), "udp", "proto");
		ASSERT_TRUE(jint(e, "net.sport") > 0, "sport");
		ASSERT_TRUE(!jget(e, "dns.malformed"), "well-formed");
	}
	ASSERT_NOT_NULL(find_dns(ev, n, child, "sendto.example", "A"), "dns event from sendto()");
	ASSERT_NOT_NULL(find_dns(ev, n, child, "glibc.vigil-test.example", "A"),
			"glibc resolver's A query");
	ASSERT_NOT_NULL(find_dns(ev, n, child, "glibc.vigil-test.example", "AAAA"),
			"glibc resolver's AAAA query");
	for (size_t i = 0; i < n; i++)
		if (jget(ev[i], "dns.malformed") && jint(ev[i], "process.pid") == child) {
			malformed++;
			struct json_object *type = ev[i];

			/* present, and JSON null (json-c holds null as a NULL object) */
			ASSERT_TRUE(json_object_object_get_ex(jget(ev[i], "dns"), "type", &type) &&
					    !type,
				    "malformed: dns.type is null");
		}
	ASSERT_EQ(malformed, 3, "three malformed payloads, each flagged");
	ASSERT_NOT_NULL(find_dns(ev, n, child, "abc", NULL), "compression pointer: name up to it");
	ASSERT_NOT_NULL(find_dns(ev, n, child, "", NULL), "garbage: empty name");
	/* The server's NXDOMAIN answers leave from port 53, not to it: no events. */
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(events_connect_attaches_only_connect)
{
	static const char *const args[] = { "trace", "--events", "connect", NULL };
	static char progs[1 << 20];
	struct json_object **ev;
	struct sockaddr_storage ss;
	struct vigil_child v;
	int srv, sport = -1, cli, acc, raw;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, args))
		return;
	bpf_progs_of(v.pid, progs, sizeof(progs));
	srv = tcp_server(AF_INET, "127.0.0.1", &sport);
	cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	connect(cli, (struct sockaddr *)&ss, make_addr(&ss, AF_INET, "127.0.0.1", sport));
	acc = accept(srv, NULL, NULL);
	raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	ev = vigil_stop_and_load(&v, &n);

	ASSERT_NOT_NULL(find_net(ev, n, "connect", getpid(), "net.dport", sport), "connect seen");
	ASSERT_EQ(count_type(ev, n, "bind", getpid()) + count_type(ev, n, "listen", getpid()) +
			  count_type(ev, n, "accept", getpid()) +
			  count_type(ev, n, "socket", getpid()),
		  0, "no other net events");
	if (!progs[0]) {
		SKIP("the agent's BPF programs could not be read: attach set checked by events "
		     "only");
	} else {
		ASSERT_TRUE(strstr(progs, "net_connect_in") && strstr(progs, "net_connect_out"),
			    "connect programs loaded");
		ASSERT_TRUE(!strstr(progs, "net_accept") && !strstr(progs, "net_bind") &&
				    !strstr(progs, "net_listen") && !strstr(progs, "net_socket") &&
				    !strstr(progs, "net_dns"),
			    "no other net program loaded");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
	close(srv);
	close(cli);
	close(acc);
	close(raw);
}

/*
 * The in-kernel DNS parser on crafted packets through BPF_PROG_TEST_RUN: the real program, the
 * real verifier, packets no resolver would send. Every packet must pass (return 1); what it
 * emits must decode and format as valid JSON.
 */
struct collected {
	unsigned char rec[8][512];
	size_t size[8];
	size_t n, total;
};

static int collect(void *ctx, void *data, size_t size)
{
	struct collected *c = ctx;

	if (c->n < 8 && size <= sizeof(c->rec[0])) {
		memcpy(c->rec[c->n], data, size);
		c->size[c->n++] = size;
	}
	c->total++;
	return 0;
}

struct pkt {
	unsigned char b[1600];
	size_t len;
};

/* Ethernet + IPv4 (or IPv6) + UDP to @dport, followed by @payload. */
static void make_pkt(struct pkt *p, bool v6, int proto, int dport, const void *payload, size_t plen)
{
	size_t ip_len = v6 ? 40 : 20, off = 14;

	memset(p, 0, sizeof(*p));
	p->b[12] = v6 ? 0x86 : 0x08;
	p->b[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		p->b[off] = 0x60;
		p->b[off + 4] = (8 + plen) >> 8;
		p->b[off + 5] = (8 + plen) & 0xff;
		p->b[off + 6] = proto;
		p->b[off + 7] = 64;
		p->b[off + 8 + 15] = 1;	 /* ::1 */
		p->b[off + 24 + 15] = 1; /* ::1 */
	} else {
		p->b[off] = 0x45;
		p->b[off + 2] = (20 + 8 + plen) >> 8;
		p->b[off + 3] = (20 + 8 + plen) & 0xff;
		p->b[off + 8] = 64;
		p->b[off + 9] = proto;
		memcpy(p->b + off + 12, "\x7f\x00\x00\x01\x7f\x00\x00\x35", 8);
	}
	off += ip_len;
	p->b[off] = 0x9c; /* sport 40000 */
	p->b[off + 1] = 0x40;
	p->b[off + 2] = dport >> 8;
	p->b[off + 3] = dport & 0xff;
	p->b[off + 4] = (8 + plen) >> 8;
	p->b[off + 5] = (8 + plen) & 0xff;
	memcpy(p->b + off + 8, payload, plen);
	p->len = off + 8 + plen;
}

/* Run @p through the program; the records it emitted are in *c. */
static bool run_pkt(struct net_bpf *skel, struct ring_buffer *rb, const struct pkt *p,
		    struct collected *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->b, .data_size_in = p->len);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.net_dns_egress), &opts);

	memset(c, 0, sizeof(*c));
	if (!ASSERT_OK(err, "test run") || !ASSERT_EQ(opts.retval, 1, "packet passes"))
		return false;
	ring_buffer__consume(rb);
	return true;
}

/* The one dns record in *c, decoded and formatted: its JSON, or NULL. */
static struct json_object *only_dns(struct collected *c)
{
	struct event ev;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct json_object *o;

	if (!ASSERT_EQ(c->total, 1, "exactly one record") ||
	    !ASSERT_OK(event_decode(c->rec[0], c->size[0], &ev), "record decodes"))
		return NULL;
	f = open_memstream(&buf, &len);
	fputs("{\"x\":0", f);
	event_family_of(ev.type)->json(f, &ev);
	fputs("}", f);
	fclose(f);
	o = json_tokener_parse(buf);
	free(buf);
	ASSERT_NOT_NULL(o, "valid JSON");
	return o;
}

static bool is_null_member(struct json_object *o, const char *obj, const char *key)
{
	struct json_object *v = o;

	return json_object_object_get_ex(jget(o, obj), key, &v) && !v;
}

TEST(dns_parser_on_crafted_packets)
{
	unsigned char q[600];
	struct collected c;
	struct json_object *o;
	struct ring_buffer *rb = NULL;
	struct net_bpf *skel;
	struct pkt p;
	char longname[300];
	unsigned int seed = 4242;
	size_t len;
	int err;

	if (SKIP_UNLESS_ROOT())
		return;
	skel = net_bpf__open();
	if (!ASSERT_NOT_NULL(skel, "open"))
		return;
	for (struct bpf_program *prog = bpf_object__next_program(skel->obj, NULL); prog;
	     prog = bpf_object__next_program(skel->obj, prog))
		bpf_program__set_autoload(prog, prog == skel->progs.net_dns_egress);
	err = net_bpf__load(skel);
	if (!ASSERT_OK(err, "load the dns program"))
		goto out;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), collect, &c, NULL);
	if (!ASSERT_NOT_NULL(rb, "ring buffer"))
		goto out;

	len = dns_query(q, "a.example", 1);
	make_pkt(&p, false, IPPROTO_UDP, 53, q, len);
	if (run_pkt(skel, rb, &p, &c) && (o = only_dns(&c))) {
		ASSERT_STREQ(jstr(o, "dns.name"), "a.example", "IPv4 query name");
		ASSERT_STREQ(jstr(o, "dns.type"), "A", "type");
		ASSERT_STREQ(jstr(o, "net.saddr"), "127.0.0.1", "saddr from the packet");
		ASSERT_STREQ(jstr(o, "net.daddr"), "127.0.0.53", "daddr from the packet");
		ASSERT_EQ(jint(o, "net.sport"), 40000, "sport");
		json_object_put(o);
	}
	len = dns_query(q, "six.example", 28);
	make_pkt(&p, true, IPPROTO_UDP, 53, q, len);
	if (run_pkt(skel, rb, &p, &c) && (o = only_dns(&c))) {
		ASSERT_STREQ(jstr(o, "dns.name"), "six.example", "IPv6 query name");
		ASSERT_STREQ(jstr(o, "net.family"), "inet6", "family");
		ASSERT_STREQ(jstr(o, "net.daddr"), "::1", "daddr");
		json_object_put(o);
	}

	/* 253 characters: the longest name DNS allows. */
	memset(longname, 'x', 253);
	longname[253] = '\0';
	longname[63] = longname[127] = longname[191] = '.';
	len = dns_query(q, longname, 16);
	make_pkt(&p, false, IPPROTO_UDP, 53, q, len);
	if (run_pkt(skel, rb, &p, &c) && (o = only_dns(&c))) {
		ASSERT_STREQ(jstr(o, "dns.name"), longname, "253-character name");
		ASSERT_STREQ(jstr(o, "dns.type"), "TXT", "type");
		json_object_put(o);
	}
	/* One label more: 255 bytes exceeded, flagged. */
	memset(longname, 'y', 299);
	longname[299] = '\0';
	longname[63] = longname[127] = longname[191] = longname[255] = '.';
	len = dns_query(q, longname, 1);
	make_pkt(&p, false, IPPROTO_UDP, 53, q, len);
	if (run_pkt(skel, rb, &p, &c) && (o = only_dns(&c))) {
		ASSERT_TRUE(jget(o, "dns.malformed") != NULL, "over-long name flagged");
		ASSERT_TRUE(is_null_member(o, "dns", "type"), "no type");
		json_object_put(o);
	}

	/* Not DNS queries: nothing at all. */
	len = dns_query(q, "a.example", 1);
	make_pkt(&p, false, IPPROTO_UDP, 54, q, len);
	if (run_pkt(skel, rb, &p, &c))
		ASSERT_EQ(c.total, 0, "UDP to port 54: no record");
	make_pkt(&p, false, IPPROTO_TCP, 53, q, len);
	if (run_pkt(skel, rb, &p, &c))
		ASSERT_EQ(c.total, 0, "TCP to port 53: no record");
	make_pkt(&p, false, IPPROTO_UDP, 53, q, len);
	p.b[14 + 6] = 0x00;
	p.b[14 + 7] = 0x10; /* fragment offset 16 */
	if (run_pkt(skel, rb, &p, &c))
		ASSERT_EQ(c.total, 0, "a later IP fragment: no record");
	make_pkt(&p, false, IPPROTO_UDP, 53, q, 0);
	p.len = 14 + 20 + 4; /* ends inside the UDP header */
	if (run_pkt(skel, rb, &p, &c))
		ASSERT_EQ(c.total, 0, "truncated UDP header: no record");

	/* Port 53, but no proper query: one flagged record each. */
	{
		static const struct {
			const char *what;
			const char *payload;
			size_t len;
			const char *name;
		} bad[] = {
			{ "short header", "\x12\x34\x01\x00\x00", 5, "" },
			{ "no question",
			  "\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01x\x00", 15, "" },
			{ "name runs off the end",
			  "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05hello", 18,
			  "hello" },
			{ "no qtype after the name",
			  "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01x\x00\x00", 16,
			  "x" },
			{ "compression pointer",
			  "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01x\xc0\x0c\x00\x01"
			  "\x00\x01",
			  20, "x" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			make_pkt(&p, false, IPPROTO_UDP, 53, bad[i].payload, bad[i].len);
			if (!run_pkt(skel, rb, &p, &c) || !(o = only_dns(&c)))
				continue;
			if (!ASSERT_TRUE(jget(o, "dns.malformed") != NULL, bad[i].what))
				fprintf(stderr, "  (%s)\n", json_object_to_json_string(o));
			ASSERT_STREQ(jstr(o, "dns.name"), bad[i].name, bad[i].what);
			json_object_put(o);
		}
	}

	/* A response sent to port 53 is reported, flagged. */
	len = dns_query(q, "r.example", 1);
	q[2] |= 0x80;
	make_pkt(&p, false, IPPROTO_UDP, 53, q, len);
	if (run_pkt(skel, rb, &p, &c) && (o = only_dns(&c))) {
		ASSERT_TRUE(jget(o, "dns.response") != NULL, "QR bit flagged");
		ASSERT_STREQ(jstr(o, "dns.name"), "r.example", "name");
		json_object_put(o);
	}

	/* Random payloads after a DNS header with one question: never a crash, one record each. */
	for (int i = 0; i < 3000; i++) {
		size_t plen = 12 + rand_r(&seed) % 300;

		for (size_t j = 0; j < plen; j++)
			q[j] = rand_r(&seed);
		q[4] = 0;
		q[5] = 1;
		if (i % 2) /* mostly plain labels, to reach deep into the parser */
			for (size_t j = 12; j < plen; j++)
				q[j] = rand_r(&seed) % 8 ? q[j] % 12 : 0;
		make_pkt(&p, i % 3 == 0, IPPROTO_UDP, 53, q, plen);
		if (!run_pkt(skel, rb, &p, &c) || !(o = only_dns(&c)))
			break;
		json_object_put(o);
	}
out:
	ring_buffer__free(rb);
	net_bpf__destroy(skel);
}
