// SPDX-License-Identifier: GPL-2.0
/*
 * Shield end to end: two network namespaces joined by a veth pair, the shield on the server
 * end, real traffic (ping, TCP connect, UDP) from an allowed and a blocked source, a flood
 * from one source rate-limited while another keeps flowing, foreign-XDP refusal and pins.
 *
 * Client namespace: 10.78.0.2 (good), 10.78.0.3 (bad/flooder), fd00:78::2.
 * Server namespace: 10.78.0.1, fd00:78::1, shield attached to its veth end.
 * Everything is named with our pid and removed at exit, also when a test fails.
 */
#include "harness.h"
#include "testlib.h"
#include "veth.h"
#include "shield/shield.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GOOD	VETH_GOOD
#define BAD	VETH_BAD
#define SERVER	VETH_SERVER
#define GOOD6	VETH_GOOD6
#define SERVER6 VETH_SERVER6

static struct veth_pair vp = { .orig_ns = -1, .cli_ns = -1, .srv_ns = -1 };
static bool env_ready, env_failed;
static char err[SHIELD_ERR_LEN];

static void env_down(void)
{
	if (!vp.ns_cli[0])
		return;
	veth_pair_down(&vp); /* keeps the names */
	shield_detach_pinned(vp.if_srv, err, sizeof(err));
}

static bool env_up(void)
{
	if (SKIP_UNLESS_ROOT())
		return false;
	if (env_ready)
		return true;
	if (env_failed) {
		SKIP("netns/veth set-up failed earlier");
		return false;
	}
	if (veth_tools()) {
		SKIP("needs ip (iproute2) and busybox ping (busybox-static)");
		env_failed = true;
		return false;
	}
	atexit(env_down);
	if (!ASSERT_OK(veth_pair_up(&vp, "vsh"), "netns + veth set-up")) {
		env_failed = true;
		return false;
	}
	env_ready = true;
	return true;
}

/* Run in the server namespace: attach with a YAML rule set. */
static bool attach(struct shield_handle *h, enum shield_mode mode, const char *yaml, bool pin)
{
	struct shield_ruleset rs;
	int ret;

	if (!ASSERT_OK(shield_rules_init(&rs), "rules") ||
	    !ASSERT_OK(shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "t.yaml", err, sizeof(err)),
		       err))
		return false;
	setns(vp.srv_ns, CLONE_NEWNET);
	ret = shield_attach(h, vp.if_srv, mode, &rs, pin, err, sizeof(err));
	setns(vp.orig_ns, CLONE_NEWNET);
	shield_rules_free(&rs);
	return ASSERT_OK(ret, err);
}

static int ping(const char *src, const char *dst, int count)
{
	return veth_ping(&vp, src, dst, count);
}

static __u64 counter(struct shield_handle *h, int v, int r)
{
	struct shield_totals t;

	return shield_read_counters(&h->maps, &t) ? ~0ULL : t.c[v][r].packets;
}

/* A socket created in a namespace stays there. */
static int sock_in(int ns, int type, const char *bind_ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, one = 1;

	setns(ns, CLONE_NEWNET);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	setns(vp.orig_ns, CLONE_NEWNET);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, bind_ip, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Non-blocking connect with a timeout: 0 connected, -ETIMEDOUT or -errno. */
static int tcp_connect(const char *src, int port, int timeout_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = sock_in(vp.cli_ns, SOCK_STREAM, src, 0), ret, soerr = 0;
	socklen_t len = sizeof(soerr);
	struct pollfd p;

	if (fd < 0)
		return -errno;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	inet_pton(AF_INET, SERVER, &a.sin_addr);
	ret = connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (ret && errno != EINPROGRESS) {
		ret = -errno;
		goto out;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, timeout_ms) != 1) {
		ret = -ETIMEDOUT;
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	ret = -soerr;
out:
	close(fd);
	return ret;
}

TEST(ping_all_modes)
{
	static const enum shield_mode modes[] = { SHIELD_MODE_NATIVE, SHIELD_MODE_GENERIC,
						  SHIELD_MODE_TC };

	if (!env_up())
		return;
	for (size_t i = 0; i < 3; i++) {
		struct shield_handle h;
		char what[64];

		if (!attach(&h, modes[i], "shield:\n  block: [" BAD "/32]\n", false))
			return;
		ASSERT_EQ(h.mode, modes[i], "mode we got");
		snprintf(what, sizeof(what), "%s: ping from the allowed source",
			 shield_mode_name(modes[i]));
		ASSERT_EQ(ping(GOOD, SERVER, 2), 0, what);
		snprintf(what, sizeof(what), "%s: ping from the blocked source fails",
			 shield_mode_name(modes[i]));
		ASSERT_NEQ(ping(BAD, SERVER, 2), 0, what);
		snprintf(what, sizeof(what), "%s: block_cidr drops counted",
			 shield_mode_name(modes[i]));
		ASSERT_GE(counter(&h, SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR), 2, what);
		shield_close(&h);
	}
	ASSERT_EQ(ping(BAD, SERVER, 1), 0, "detached: the blocked source gets through again");
}

TEST(ping_ipv6)
{
	struct shield_handle h;

	if (!env_up() ||
	    !attach(&h, SHIELD_MODE_NONE, "shield:\n  block: ['fd00:78::3/128']\n", false))
		return;
	ASSERT_EQ(ping(GOOD6, SERVER6, 2), 0, "IPv6 ping from an allowed source");
	shield_close(&h);
	if (!attach(&h, SHIELD_MODE_NONE, "shield:\n  block: ['fd00:78::/64']\n", false))
		return;
	ASSERT_NEQ(ping(GOOD6, SERVER6, 1), 0, "IPv6 ping from a blocked /64 fails");
	shield_close(&h);
}

TEST(tcp_connect_allowed_and_blocked)
{
	struct shield_handle h;
	int srv, srv2;

	if (!env_up())
		return;
	srv = sock_in(vp.srv_ns, SOCK_STREAM, SERVER, 8080);
	srv2 = sock_in(vp.srv_ns, SOCK_STREAM, SERVER, 2323);
	if (!ASSERT_TRUE(srv >= 0 && srv2 >= 0 && !listen(srv, 16) && !listen(srv2, 16),
			 "listeners"))
		goto out;
	if (!attach(&h, SHIELD_MODE_NONE,
		    "shield:\n  block: [" BAD "/32]\n"
		    "  ports: [{proto: tcp, port: 2323, action: block}]\n"
		    "  syn_limit: {per_sec: 100}\n",
		    false))
		goto out;
	ASSERT_EQ(tcp_connect(GOOD, 8080, 2000), 0, "connect from the allowed source");
	ASSERT_EQ(tcp_connect(BAD, 8080, 500), -ETIMEDOUT, "connect from the blocked source");
	ASSERT_EQ(tcp_connect(GOOD, 2323, 500), -ETIMEDOUT, "connect to the blocked port");
	ASSERT_GE(counter(&h, SHIELD_V_DROP, SHIELD_R_BLOCK_PORT), 1, "block_port counted");
	shield_close(&h);
out:
	if (srv >= 0)
		close(srv);
	if (srv2 >= 0)
		close(srv2);
}

/* Receive on the server's UDP socket until told to stop, counting per source. */
struct udp_rx {
	int fd;
	atomic_int stop;
	long good, bad;
};

static void *udp_receiver(void *arg)
{
	struct udp_rx *rx = arg;
	struct in_addr good, bad;
	char buf[2048];

	inet_pton(AF_INET, GOOD, &good);
	inet_pton(AF_INET, BAD, &bad);
	while (!atomic_load(&rx->stop)) {
		struct pollfd p = { .fd = rx->fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t len = sizeof(from);

		if (poll(&p, 1, 50) != 1)
			continue;
		while (recvfrom(rx->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				&len) >= 0) {
			if (from.sin_addr.s_addr == good.s_addr)
				rx->good++;
			else if (from.sin_addr.s_addr == bad.s_addr)
				rx->bad++;
			len = sizeof(from);
		}
	}
	return NULL;
}

static int udp_client(const char *src)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9999) };
	int fd = sock_in(vp.cli_ns, SOCK_DGRAM, src, 0);

	inet_pton(AF_INET, SERVER, &a.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

TEST(udp_allowed_and_blocked)
{
	struct udp_rx rx = {};
	struct shield_handle h;
	int good, bad;
	pthread_t t;

	if (!env_up())
		return;
	rx.fd = sock_in(vp.srv_ns, SOCK_DGRAM, SERVER, 9999);
	good = udp_client(GOOD);
	bad = udp_client(BAD);
	if (!ASSERT_TRUE(rx.fd >= 0 && good >= 0 && bad >= 0, "udp sockets"))
		goto out;
	if (!attach(&h, SHIELD_MODE_NONE, "shield:\n  block: [" BAD "/32]\n", false))
		goto out;
	pthread_create(&t, NULL, udp_receiver, &rx);
	for (int i = 0; i < 20; i++) {
		send(good, "hello", 5, 0);
		send(bad, "hello", 5, 0);
		sleep_ms(2);
	}
	sleep_ms(200);
	atomic_store(&rx.stop, 1);
	pthread_join(t, NULL);
	ASSERT_EQ(rx.good, 20, "datagrams from the allowed source");
	ASSERT_EQ(rx.bad, 0, "datagrams from the blocked source");
	ASSERT_GE(counter(&h, SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR), 20, "block_cidr counted");
	shield_close(&h);
out:
	if (rx.fd >= 0)
		close(rx.fd);
	if (good >= 0)
		close(good);
	if (bad >= 0)
		close(bad);
}

struct flood {
	int fd;
	double secs;
	long sent;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *flooder(void *arg)
{
	struct flood *f = arg;
	double end = now_s() + f->secs;
	char payload[64] = "flood";

	/* bounded by time; checking the clock every 256 sends */
	while (1) {
		for (int i = 0; i < 256; i++)
			if (send(f->fd, payload, sizeof(payload), MSG_DONTWAIT) >= 0)
				f->sent++;
		if (now_s() >= end)
			break;
	}
	return NULL;
}

TEST(flood_rate_limited_other_source_flows)
{
	struct flood fl = { .secs = 1.0 };
	struct udp_rx rx = {};
	struct shield_handle h;
	pthread_t tr, tf;
	int good;
	long good_sent = 0;
	double t0, elapsed;

	if (!env_up())
		return;
	rx.fd = sock_in(vp.srv_ns, SOCK_DGRAM, SERVER, 9999);
	good = udp_client(GOOD);
	fl.fd = udp_client(BAD);
	if (!ASSERT_TRUE(rx.fd >= 0 && good >= 0 && fl.fd >= 0, "udp sockets"))
		goto out;
	if (!attach(&h, SHIELD_MODE_NONE,
		    "shield:\n  rate_limit: {packets_per_sec: 500, packets_burst: 500}\n", false))
		goto out;
	pthread_create(&tr, NULL, udp_receiver, &rx);
	t0 = now_s();
	pthread_create(&tf, NULL, flooder, &fl);
	/* the legitimate source: 100 datagrams, 10 ms apart, during the flood */
	for (int i = 0; i < 100; i++) {
		if (send(good, "legit", 5, 0) == 5)
			good_sent++;
		sleep_ms(9);
	}
	pthread_join(tf, NULL);
	elapsed = now_s() - t0;
	sleep_ms(200);
	atomic_store(&rx.stop, 1);
	pthread_join(tr, NULL);
	printf("  flood: %ld sent in %.2f s, %ld delivered; legitimate: %ld of %ld delivered; "
	       "rate_pps drops %llu\n",
	       fl.sent, elapsed, rx.bad, rx.good, good_sent,
	       (unsigned long long)counter(&h, SHIELD_V_DROP, SHIELD_R_RATE_PPS));
	ASSERT_GE(fl.sent, 5000, "the flood really flooded (10x the limit)");
	ASSERT_TRUE(rx.bad <= 500 + 500 * elapsed * 1.2 + 50,
		    "flood delivered at most burst + rate * time");
	ASSERT_GE(rx.good, good_sent * 98 / 100, "legitimate traffic keeps flowing (>= 98%)");
	ASSERT_GE(counter(&h, SHIELD_V_DROP, SHIELD_R_RATE_PPS), fl.sent / 2, "rate_pps drops");
	shield_close(&h);
out:
	if (rx.fd >= 0)
		close(rx.fd);
	if (good >= 0)
		close(good);
	if (fl.fd >= 0)
		close(fl.fd);
}

TEST(foreign_xdp_refused)
{
	struct bpf_insn prog[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 2 }, /* r0 = XDP_PASS */
		{ .code = 0x95 },			  /* exit */
	};
	struct shield_handle h;
	int fd, ifindex, ret;

	if (!env_up())
		return;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign", "GPL", prog, 2, NULL);
	if (!ASSERT_TRUE(fd >= 0, "load a foreign XDP program"))
		return;
	setns(vp.srv_ns, CLONE_NEWNET);
	ifindex = if_nametoindex(vp.if_srv);
	/* attached the old way (netlink), as another tool would */
	ret = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL);
	setns(vp.orig_ns, CLONE_NEWNET);
	if (!ASSERT_OK(ret, "attach the foreign program"))
		goto out;
	setns(vp.srv_ns, CLONE_NEWNET);
	ret = shield_attach(&h, vp.if_srv, SHIELD_MODE_NONE, NULL, false, err, sizeof(err));
	setns(vp.orig_ns, CLONE_NEWNET);
	ASSERT_EQ(ret, -EBUSY, "refused");
	ASSERT_TRUE(strstr(err, "'foreign'") && strstr(err, "not replacing"), err);
	if (!ret)
		shield_close(&h);
	setns(vp.srv_ns, CLONE_NEWNET);
	/* tc mode can coexist with someone else's XDP program */
	ret = shield_attach(&h, vp.if_srv, SHIELD_MODE_TC, NULL, false, err, sizeof(err));
	if (ASSERT_OK(ret, "tc mode next to a foreign XDP program"))
		shield_close(&h);
	bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	setns(vp.orig_ns, CLONE_NEWNET);
out:
	close(fd);
}

TEST(pinned_lifecycle)
{
	struct shield_handle h, p;
	char dir[128], path[200];
	__u32 prog_id = 0;
	int ifindex;

	if (!env_up() || !attach(&h, SHIELD_MODE_NONE, "shield:\n  block: [" BAD "/32]\n", true))
		return;
	shield_close(&h); /* the pins keep it attached */
	shield_pin_dir(vp.if_srv, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/link", dir);
	ASSERT_OK(access(path, F_OK), "link pinned");
	ASSERT_NEQ(ping(BAD, SERVER, 1), 0, "still blocking after our fds are closed");
	if (ASSERT_OK(shield_open_pinned(&p, vp.if_srv, err, sizeof(err)), err)) {
		ASSERT_GE(counter(&p, SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR), 1,
			  "counters through the pins");
		shield_close(&p);
	}
	setns(vp.srv_ns, CLONE_NEWNET);
	ASSERT_EQ(shield_attach(&h, vp.if_srv, SHIELD_MODE_NONE, NULL, true, err, sizeof(err)),
		  -EEXIST, "second attach refused");
	setns(vp.orig_ns, CLONE_NEWNET);
	ASSERT_OK(shield_detach_pinned(vp.if_srv, err, sizeof(err)), err);
	ASSERT_NEQ(access(dir, F_OK), 0, "pin directory removed");
	setns(vp.srv_ns, CLONE_NEWNET);
	ifindex = if_nametoindex(vp.if_srv);
	bpf_xdp_query_id(ifindex, 0, &prog_id);
	setns(vp.orig_ns, CLONE_NEWNET);
	ASSERT_EQ(prog_id, 0, "no XDP program left on the interface");
	ASSERT_EQ(ping(BAD, SERVER, 1), 0, "traffic flows after detach");
	ASSERT_EQ(shield_detach_pinned(vp.if_srv, err, sizeof(err)), -ENOENT, "detach twice");
}

TEST(reload_under_real_traffic)
{
	struct udp_rx rx = {};
	struct shield_handle h;
	int good, reloads = 0;
	pthread_t t;
	long sent = 0;

	if (!env_up())
		return;
	rx.fd = sock_in(vp.srv_ns, SOCK_DGRAM, SERVER, 9999);
	good = udp_client(GOOD);
	if (!ASSERT_TRUE(rx.fd >= 0 && good >= 0, "udp sockets"))
		goto out;
	if (!attach(&h, SHIELD_MODE_NONE, "shield:\n  block: [" BAD "/32]\n", false))
		goto out;
	pthread_create(&t, NULL, udp_receiver, &rx);
	for (int i = 0; i < 20; i++) {
		struct shield_ruleset rs;
		char cidr[32];

		shield_rules_init(&rs);
		shield_rules_add_cidr(&rs, BAD "/32", SHIELD_ACT_BLOCK, -1, err, sizeof(err));
		for (int k = 0; k < 5000; k++) {
			snprintf(cidr, sizeof(cidr), "172.%d.%d.0/24", 16 + (k >> 8) % 16, k & 255);
			shield_rules_add_cidr(&rs, cidr, SHIELD_ACT_BLOCK, -1, err, sizeof(err));
		}
		for (int k = 0; k < 10; k++)
			sent += send(good, "x", 1, 0) == 1;
		reloads += !shield_install(&h.maps, &rs, err, sizeof(err));
		for (int k = 0; k < 10; k++)
			sent += send(good, "x", 1, 0) == 1;
		shield_rules_free(&rs);
	}
	sleep_ms(200);
	atomic_store(&rx.stop, 1);
	pthread_join(t, NULL);
	ASSERT_EQ(reloads, 20, "reloads");
	ASSERT_EQ(rx.good, sent, "no legitimate datagram lost across 20 reloads");
	ASSERT_NEQ(ping(BAD, SERVER, 1), 0, "still blocking after the reloads");
	shield_close(&h);
out:
	if (rx.fd >= 0)
		close(rx.fd);
	if (good >= 0)
		close(good);
}
