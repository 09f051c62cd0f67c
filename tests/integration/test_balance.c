// SPDX-License-Identifier: GPL-2.0
/*
 * The shield's balancer end to end, with real TCP. Namespaces joined by a bridge (in a
 * namespace of its own): a client, the balancer (the shield with a balance: section on its
 * veth, generic XDP), and four backends; the backends run the shield (one program, loaded once,
 * attached to each) with `decapsulate:` (the
 * kernel here has no ipip device), holds the service address on lo and runs a small TCP
 * server that answers every message with its own number. Replies go from the backends to the
 * client directly (direct server return).
 *
 * Covered: connections spread by weight; draining a backend while a long-lived connection to
 * it keeps exchanging data; `vigil shield health` taking a killed backend out within its
 * interval; adding a backend moves about 1/N of new flows and no established one. The same
 * namespaces carry IPv6 too: a second service on an IPv6 address, forwarded by IPv6-in-IPv6
 * (the backends decapsulate with ip6tnl where the kernel has it, else with the shield), spread
 * by weight and health-checked over IPv6.
 *
 * Everything is named with our pid and deleted at exit, also when a test fails.
 */
#include "harness.h"
#include "testlib.h"
#include "http.h"
#include "shield/shield.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NB	  4 /* backends; the fourth joins later */
#define VIP	  "10.77.1.1"
#define PORT	  80
#define CLIENT	  "10.77.0.2"
#define LB	  "10.77.0.3"
#define VIP6	  "2001:db8:77::1"
#define CLIENT6	  "fd77::2"
#define LB6	  "fd77::3"
#define MAX_CONNS 512

static char ns_sw[32], ns_cli[32], ns_lb[32], ns_be[NB][32];
static char if_cli[16], if_lb[16], if_be[NB][16];
static int orig_ns = -1, cli_ns = -1, lb_ns = -1, be_ns[NB] = { -1, -1, -1, -1 };
static bool env_ready, env_failed;
static char err[SHIELD_ERR_LEN];
static struct shield_handle lbh, be_h;
static bool lb_attached, be_loaded;
static pid_t health_pid;

/* The backends' servers: one thread polling every listener and connection. */
static int listen_fd[NB] = { -1, -1, -1, -1 };
static atomic_bool servers_stop;
static pthread_t server_thread;
static bool server_running;

static int open_ns(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void env_down(void)
{
	char e[SHIELD_ERR_LEN];

	if (health_pid > 0) {
		kill(health_pid, SIGTERM);
		waitpid(health_pid, NULL, 0);
		health_pid = 0;
	}
	if (server_running) {
		servers_stop = true;
		pthread_join(server_thread, NULL);
		server_running = false;
	}
	if (lb_attached) {
		shield_close(&lbh);
		lb_attached = false;
	}
	if (be_loaded) {
		shield_close(&be_h); /* its XDP attachments go with the backends' interfaces */
		be_loaded = false;
	}
	if (!ns_sw[0])
		return;
	if (orig_ns >= 0)
		setns(orig_ns, CLONE_NEWNET);
	shield_detach_pinned(if_lb, e, sizeof(e));
	shf("ip netns del %s 2>/dev/null", ns_cli);
	shf("ip netns del %s 2>/dev/null", ns_lb);
	for (int i = 0; i < NB; i++)
		shf("ip netns del %s 2>/dev/null", ns_be[i]);
	shf("ip netns del %s 2>/dev/null", ns_sw);
	ns_sw[0] = '\0';
}

/* A veth from namespace @ns (end @ifname, address @addr/24) into the bridge. */
static int plug(const char *ns, const char *ifname, const char *addr, int idx)
{
	return shf("ip link add %s netns %s type veth peer name blp%d-%d netns %s", ifname, ns, idx,
		   getpid() % 100000, ns_sw) ||
	       shf("ip -n %s link set blp%d-%d master br0 up", ns_sw, idx, getpid() % 100000) ||
	       shf("ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up && "
		   "ip -n %s link set lo up",
		   ns, addr, ifname, ns, ifname, ns) ||
	       shf("ip -n %s addr add fd77::%x/64 dev %s nodad", ns,
		   idx == 0   ? 2
		   : idx == 1 ? 3
			      : 0x11 + idx - 2,
		   ifname);
}

/* Attach a shield in @ns on @ifname with the rules @yaml, pinned (so `vigil` finds it). */
static int attach_in(int ns, const char *ifname, const char *yaml, struct shield_handle *h)
{
	struct shield_ruleset rs;
	int ret;

	if (shield_rules_init(&rs))
		return -ENOMEM;
	ret = shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	if (!ret) {
		setns(ns, CLONE_NEWNET);
		ret = shield_attach(h, ifname, SHIELD_MODE_GENERIC, &rs, true, err, sizeof(err));
		setns(orig_ns, CLONE_NEWNET);
	}
	shield_rules_free(&rs);
	return ret;
}

/* The balancer's rules: backends 1-3 with these weights, backend 4 (weight 1) if @fourth. */
static const char *lb_rules(int w1, int w2, int w3, bool fourth)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "shield:\n"
		 "  balance:\n"
		 "    tunnel_source: [" LB ", '" LB6 "']\n"
		 "    table_size: 65537\n"
		 "    services:\n"
		 "      - name: web\n"
		 "        address: " VIP "\n"
		 "        port: %d\n"
		 "        proto: tcp\n"
		 "        check: { type: tcp, interval: 300ms, timeout: 200ms, fall: 1, rise: 1 }\n"
		 "        backends:\n"
		 "          - { address: 10.77.0.11, weight: %d }\n"
		 "          - { address: 10.77.0.12, weight: %d }\n"
		 "          - { address: 10.77.0.13, weight: %d }\n"
		 "%s"
		 "      - name: web6\n"
		 "        address: '" VIP6 "'\n"
		 "        port: %d\n"
		 "        proto: tcp\n"
		 "        check: { type: tcp, interval: 300ms, timeout: 200ms, fall: 1, rise: 1 }\n"
		 "        backends:\n"
		 "          - { address: 'fd77::11', weight: %d }\n"
		 "          - { address: 'fd77::12', weight: %d }\n"
		 "          - { address: 'fd77::13', weight: %d }\n",
		 PORT, w1, w2, w3, fourth ? "          - { address: 10.77.0.14, weight: 1 }\n" : "",
		 PORT, w1, w2, w3);
	return buf;
}

static int install_rules(struct shield_handle *h, const char *yaml)
{
	struct shield_ruleset rs;
	int ret, lock;

	if (shield_rules_init(&rs))
		return -ENOMEM;
	ret = shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	lock = shield_lock();
	if (!ret)
		ret = shield_install(&h->maps, &rs, err, sizeof(err));
	shield_unlock(lock);
	shield_rules_free(&rs);
	return ret;
}

static int reload_lb(const char *yaml)
{
	return install_rules(&lbh, yaml);
}

/* Every message gets one byte back: the backend's number (1-4). */
static void *serve(void *arg)
{
	int who[NB + MAX_CONNS], conn[MAX_CONNS], conn_be[MAX_CONNS], n_conn = 0, n;
	struct pollfd pf[NB + MAX_CONNS];

	(void)arg;
	while (!servers_stop) {
		n = 0;
		for (int i = 0; i < NB; i++) {
			int fd = __atomic_load_n(&listen_fd[i], __ATOMIC_ACQUIRE);

			if (fd < 0)
				continue;
			pf[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
			who[n++] = -(i + 1);
		}
		/* then the connections */
		for (int i = 0; i < n_conn; i++) {
			pf[n] = (struct pollfd){ .fd = conn[i], .events = POLLIN };
			who[n++] = i;
		}
		if (poll(pf, n, 50) <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			char buf[64], id;

			if (!pf[k].revents)
				continue;
			if (who[k] < 0) {
				int b = -who[k] - 1,
				    c = accept4(pf[k].fd, NULL, NULL, SOCK_CLOEXEC);

				if (c >= 0 && n_conn < MAX_CONNS) {
					conn[n_conn] = c;
					conn_be[n_conn++] = b;
				} else if (c >= 0) {
					close(c);
				}
				continue;
			}
			if (read(pf[k].fd, buf, sizeof(buf)) <= 0) {
				close(pf[k].fd);
				conn[who[k]] = -1;
				continue;
			}
			id = '1' + conn_be[who[k]];
			if (write(pf[k].fd, &id, 1) != 1)
				conn[who[k]] = -1;
		}
		/* drop closed connections */
		for (int i = 0, m = 0; i <= n_conn; i++) {
			if (i == n_conn) {
				n_conn = m;
				break;
			}
			if (conn[i] < 0)
				continue;
			conn_be[m] = conn_be[i];
			conn[m++] = conn[i];
		}
	}
	return NULL;
}

/* One listener for both families (IPv4 mapped). */
static int listen_in(int ns)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	int fd, one = 1, zero = 0;

	setns(ns, CLONE_NEWNET);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setns(orig_ns, CLONE_NEWNET);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 256)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool env_up(void)
{
	int pid = getpid() % 100000, ret;
	bool ip6tnl = true;

	if (SKIP_UNLESS_ROOT())
		return false;
	if (env_ready)
		return true;
	if (env_failed) {
		SKIP("netns set-up failed earlier");
		return false;
	}
	if (shf("command -v ip >/dev/null")) {
		env_failed = true;
		SKIP("needs ip (iproute2)");
		return false;
	}
	atexit(env_down);
	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(ns_sw, sizeof(ns_sw), "blsw%d", pid);
	snprintf(ns_cli, sizeof(ns_cli), "blc%d", pid);
	snprintf(ns_lb, sizeof(ns_lb), "bll%d", pid);
	snprintf(if_cli, sizeof(if_cli), "blc%d", pid);
	snprintf(if_lb, sizeof(if_lb), "bll%d", pid);
	for (int i = 0; i < NB; i++) {
		snprintf(ns_be[i], sizeof(ns_be[i]), "blb%d-%d", i + 1, pid);
		snprintf(if_be[i], sizeof(if_be[i]), "blb%d-%d", i + 1, pid);
	}
	if (shf("ip netns add %s && ip netns add %s && ip netns add %s", ns_sw, ns_cli, ns_lb) ||
	    shf("ip -n %s link add br0 type bridge && ip -n %s link set br0 up", ns_sw, ns_sw) ||
	    plug(ns_cli, if_cli, CLIENT, 0) || plug(ns_lb, if_lb, LB, 1) ||
	    shf("ip -n %s route add " VIP "/32 via " LB, ns_cli) ||
	    shf("ip -n %s -6 route add " VIP6 "/128 via " LB6, ns_cli) ||
	    shf("ip netns exec %s sysctl -qw net.ipv6.conf.all.forwarding=1", ns_lb) ||
	    shf("ip netns exec %s sysctl -qw net.ipv4.conf.all.forwarding=1 "
		"net.ipv4.conf.%s.forwarding=1",
		ns_lb, if_lb))
		goto fail;
	for (int i = 0; i < NB; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.77.0.%d", 11 + i);
		if (shf("ip netns add %s", ns_be[i]) || plug(ns_be[i], if_be[i], addr, 2 + i) ||
		    shf("ip -n %s addr add " VIP "/32 dev lo", ns_be[i]) ||
		    shf("ip -n %s addr add " VIP6 "/128 dev lo", ns_be[i]) ||
		    shf("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=0 "
			"net.ipv4.conf.%s.rp_filter=0",
			ns_be[i], if_be[i]))
			goto fail;
		be_ns[i] = open_ns(ns_be[i]);
	}
	cli_ns = open_ns(ns_cli);
	lb_ns = open_ns(ns_lb);
	/* IPv6-in-IPv6: the kernel's ip6tnl where it has one (not on every kernel) */
	for (int i = 0; i < NB && ip6tnl; i++)
		ip6tnl = !shf(
			"ip -n %s link add t6 type ip6tnl mode ip6ip6 local fd77::%x remote " LB6
			" 2>/dev/null && ip -n %s link set t6 up",
			ns_be[i], 0x11 + i, ns_be[i]);
	printf("  the backends strip IPv6-in-IPv6 with %s\n", ip6tnl ? "ip6tnl" : "the shield");
	/* the backends share one loaded shield (a load is ~2 s here): decapsulation only */
	if (shield_load(&be_h, err, sizeof(err)) ||
	    install_rules(&be_h, ip6tnl ? "shield:\n  balance:\n    decapsulate: [" LB "]\n"
					: "shield:\n  balance:\n    decapsulate: [" LB ", '" LB6
					  "']\n")) {
		fprintf(stderr, "backends: %s\n", err);
		goto fail;
	}
	be_loaded = true;
	for (int i = 0; i < NB; i++) {
		int ifindex;

		setns(be_ns[i], CLONE_NEWNET);
		ifindex = if_nametoindex(if_be[i]);
		ret = ifindex ? bpf_xdp_attach(ifindex, shield_prog_fd(&be_h, false),
					       XDP_FLAGS_SKB_MODE, NULL)
			      : -ENODEV;
		setns(orig_ns, CLONE_NEWNET);
		if (ret) {
			fprintf(stderr, "backend %d: XDP attach: %s\n", i + 1, strerror(-ret));
			goto fail;
		}
		listen_fd[i] = listen_in(be_ns[i]);
		if (listen_fd[i] < 0)
			goto fail;
	}
	if (cli_ns < 0 || lb_ns < 0 || attach_in(lb_ns, if_lb, lb_rules(1, 2, 1, false), &lbh)) {
		fprintf(stderr, "balancer: %s\n", err);
		goto fail;
	}
	lb_attached = true;
	if (pthread_create(&server_thread, NULL, serve, NULL))
		goto fail;
	server_running = true;
	/* the balancer learns the backends' MACs (else the first packets go via the stack) */
	for (int i = 0; i < NB; i++)
		shf("ip netns exec %s busybox ping -c1 -W1 10.77.0.%d >/dev/null 2>&1; "
		    "ip netns exec %s busybox ping -6 -c1 -W1 fd77::%x >/dev/null 2>&1",
		    ns_lb, 11 + i, ns_lb, 0x11 + i);
	env_ready = true;
	return true;
fail:
	ASSERT_TRUE(false, "namespaces, bridge, veths and shields set up");
	env_failed = true;
	env_down();
	return false;
}

/* A connection from the client to the IPv6 service: fd or -errno. */
static int conn_open6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	struct timeval tv = { .tv_sec = 2 };
	int fd;

	setns(cli_ns, CLONE_NEWNET);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setns(orig_ns, CLONE_NEWNET);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	inet_pton(AF_INET6, VIP6, &a.sin6_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* A connection from the client to the service, bound to @sport (0: any): fd or -errno. */
static int conn_open(int sport)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(sport) };
	struct timeval tv = { .tv_sec = 2 };
	int fd, one = 1;

	setns(cli_ns, CLONE_NEWNET);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setns(orig_ns, CLONE_NEWNET);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	inet_pton(AF_INET, CLIENT, &s.sin_addr);
	inet_pton(AF_INET, VIP, &a.sin_addr);
	if ((sport && bind(fd, (struct sockaddr *)&s, sizeof(s))) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* One exchange: the backend's number (1-4), or 0. */
static int ask(int fd)
{
	char id = 0;

	if (write(fd, "?", 1) != 1 || read(fd, &id, 1) != 1)
		return 0;
	return id >= '1' && id <= '4' ? id - '0' : 0;
}

/* A short connection (to the IPv6 service: @sport < 0): which backend answered (0: none). */
static int one_shot(int sport)
{
	int fd = sport < 0 ? conn_open6() : conn_open(sport), b;

	if (fd < 0)
		return 0;
	b = ask(fd);
	/* abortive close: no TIME_WAIT, the same port can connect again at once */
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
	return b;
}

/* The slot of backend 1-4 of the IPv4 service (@v6: of the IPv6 one). */
static int be_slot(int backend, bool v6)
{
	struct lb_status *st = calloc(1, sizeof(*st));
	/* 10.77.0.(10 + backend), fd77::(10 + backend) */
	__u32 want = v6 ? htonl(0x10 + backend) : htonl(0x0a4d000a + backend);
	int slot = -1;

	for (unsigned int s = 0; st && !shield_balance_read(&lbh.maps, st) && s < st->n_svc; s++)
		for (unsigned int i = 0; i < st->svc[s].n_be; i++)
			if (lb_addr_is_v4(st->svc[s].be[i].be.addr) != v6 &&
			    st->svc[s].be[i].be.addr[3] == want)
				slot = st->svc[s].be[i].slot;
	free(st);
	return slot;
}

TEST(spread_by_weight)
{
	int hits[NB + 1] = {}, n = 300;

	if (!env_up())
		return;
	for (int i = 0; i < n; i++)
		hits[one_shot(0)]++;
	printf("  %d connections, weights 1:2:1: %d %d %d (failed %d)\n", n, hits[1], hits[2],
	       hits[3], hits[0]);
	ASSERT_EQ(hits[0], 0, "every connection answered");
	ASSERT_EQ(hits[4], 0, "none to the backend not in the service");
	ASSERT_TRUE(hits[1] > n / 4 * 0.65 && hits[1] < n / 4 * 1.35, "backend 1: ~1/4");
	ASSERT_TRUE(hits[2] > n / 2 * 0.65 && hits[2] < n / 2 * 1.35, "backend 2: ~1/2");
	ASSERT_TRUE(hits[3] > n / 4 * 0.65 && hits[3] < n / 4 * 1.35, "backend 3: ~1/4");
}

TEST(v6_spread_by_weight)
{
	int hits[NB + 1] = {}, n = 300;

	if (!env_up())
		return;
	for (int i = 0; i < n; i++)
		hits[one_shot(-1)]++;
	printf("  %d IPv6 connections, weights 1:2:1: %d %d %d (failed %d)\n", n, hits[1], hits[2],
	       hits[3], hits[0]);
	ASSERT_EQ(hits[0], 0, "every connection answered");
	ASSERT_EQ(hits[4], 0, "none to the backend not in the service");
	ASSERT_TRUE(hits[1] > n / 4 * 0.65 && hits[1] < n / 4 * 1.35, "backend 1: ~1/4");
	ASSERT_TRUE(hits[2] > n / 2 * 0.65 && hits[2] < n / 2 * 1.35, "backend 2: ~1/2");
	ASSERT_TRUE(hits[3] > n / 4 * 0.65 && hits[3] < n / 4 * 1.35, "backend 3: ~1/4");
}

TEST(drain_keeps_established_connection)
{
	int fd = -1, b = 0, to_drained = 0, ok = 0;

	if (!env_up())
		return;
	/* a long-lived connection to backend 2 */
	for (int i = 0; i < 50 && b != 2; i++) {
		if (fd >= 0)
			close(fd);
		fd = conn_open(0);
		b = fd >= 0 ? ask(fd) : 0;
	}
	if (!ASSERT_EQ(b, 2, "a connection on backend 2"))
		goto out;
	if (!ASSERT_OK(reload_lb(lb_rules(1, 0, 1, false)), err))
		goto out;
	for (int i = 0; i < 60; i++) {
		int nb = one_shot(0);

		to_drained += nb == 2;
		ok += ask(fd) == 2;
	}
	ASSERT_EQ(ok, 60, "the established connection kept exchanging data with backend 2");
	ASSERT_EQ(to_drained, 0, "no new connection went to the draining backend");
	reload_lb(lb_rules(1, 2, 1, false));
out:
	if (fd >= 0)
		close(fd);
}

static int start_health(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (setns(lb_ns, CLONE_NEWNET))
			_exit(127);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execl(vigil_bin(), "vigil", "shield", "health", if_lb, (char *)NULL);
		_exit(127);
	}
	health_pid = pid;
	return pid > 0 ? 0 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds from @t0 until backend @slot's health is @up, or -1 after 5 s. */
static double wait_health(__u32 slot, bool up, double t0)
{
	struct lb_backend be;

	while (now_s() - t0 < 5) {
		if (!bpf_map_lookup_elem(lbh.maps.lb_backends, &slot, &be) &&
		    !!(be.flags & LB_BE_UP) == up)
			return now_s() - t0;
		usleep(20 * 1000);
	}
	return -1;
}

TEST(health_check_takes_dead_backend_out)
{
	double t0, took, took6;
	__u32 slot, slot6;
	int fd, after = 0, after6 = 0;

	if (!env_up() || !ASSERT_OK(start_health(), "vigil shield health started"))
		return;
	slot = be_slot(3, false);
	slot6 = be_slot(3, true);
	usleep(700 * 1000); /* a round or two with everything healthy */
	/* kill backend 3's server (one listener for both families) */
	fd = __atomic_exchange_n(&listen_fd[3 - 1], -1, __ATOMIC_ACQ_REL);
	usleep(100 * 1000); /* the server thread stops polling it */
	close(fd);
	t0 = now_s();
	took = wait_health(slot, false, t0);
	took6 = wait_health(slot6, false, t0);
	printf("  backend 3 marked down %.2f s (IPv6: %.2f s) after its server died (interval "
	       "0.3 s, timeout 0.2 s, fall 1)\n",
	       took, took6);
	ASSERT_TRUE(took >= 0 && took < 1.5, "out within the interval and timeout (with slack)");
	ASSERT_TRUE(took6 >= 0 && took6 < 1.5, "its IPv6 address too, checked over IPv6");
	for (int i = 0; i < 60; i++) {
		int b = one_shot(0), b6 = one_shot(-1);

		after += b == 0 || b == 3; /* refused: it went to the dead one */
		after6 += b6 == 0 || b6 == 3;
	}
	ASSERT_EQ(after, 0, "no new connection goes to the dead backend");
	ASSERT_EQ(after6, 0, "no new IPv6 connection goes to the dead backend");
	/* back after it recovers (rise 1) */
	__atomic_store_n(&listen_fd[3 - 1], listen_in(be_ns[3 - 1]), __ATOMIC_RELEASE);
	t0 = now_s();
	took = wait_health(slot, true, t0);
	took6 = wait_health(slot6, true, t0);
	ASSERT_TRUE(took >= 0 && took < 1.5, "back after its server returned");
	ASSERT_TRUE(took6 >= 0 && took6 < 1.5, "the IPv6 one too");
	kill(health_pid, SIGTERM);
	waitpid(health_pid, NULL, 0);
	health_pid = 0;
}

TEST(adding_a_backend_moves_about_a_quarter)
{
	int before[200], moved = 0, to_new = 0, fd = -1, b = 0, n = 200, lost = 0;
	struct lb_flow_key key;

	if (!env_up())
		return;
	if (!ASSERT_OK(reload_lb(lb_rules(1, 1, 1, false)), err))
		return;
	fd = conn_open(0);
	b = fd >= 0 ? ask(fd) : 0;
	for (int i = 0; i < n; i++)
		before[i] = one_shot(30000 + i);
	if (!ASSERT_OK(reload_lb(lb_rules(1, 1, 1, true)), err))
		goto out;
	ASSERT_TRUE(b && ask(fd) == b, "an established connection stays on its backend");
	/* forget the flows, so the same 5-tuples are hashed again through the new table */
	while (!bpf_map_get_next_key(lbh.maps.lb_flows, NULL, &key)) {
		if (bpf_map_delete_elem(lbh.maps.lb_flows, &key))
			break;
	}
	for (int i = 0; i < n; i++) {
		int now = one_shot(30000 + i);

		lost += !now || !before[i];
		if (now && before[i] && now != before[i]) {
			moved++;
			to_new += now == 4;
		}
	}
	printf("  %d flows replayed after adding a 4th backend: %d moved (%.0f%%, Maglev "
	       "ideal 25%%), %d of them to the new one, %d unanswered\n",
	       n, moved, 100.0 * moved / n, to_new, lost);
	ASSERT_EQ(lost, 0, "every flow answered");
	ASSERT_TRUE(moved > n * 0.12 && moved < n * 0.40, "about 1/4 of the flows moved");
	ASSERT_TRUE(to_new >= moved * 9 / 10, "(almost) all of them to the new backend");
out:
	if (fd >= 0)
		close(fd);
}

static long long scrape(int port, const char *sample)
{
	static char body[1 << 20];
	long long n = -1;
	const char *p;

	setns(lb_ns, CLONE_NEWNET); /* the agent listens in the balancer's namespace */
	if (http_get(port, "/metrics", body, sizeof(body), NULL, 0) == 200 &&
	    (p = strstr(body, sample)))
		n = atoll(p + strlen(sample));
	setns(orig_ns, CLONE_NEWNET);
	return n;
}

/* Last: the agent takes the balancer over from the test (and detaches it when it stops). */
TEST(agent_checks_health_and_exports_metrics)
{
	char dir[64], path[128], addr[32], sample[256];
	const char *args[] = {
		"run", "--no-default-rules", "--policy", dir, "--metrics", addr, NULL
	};
	int port = free_port(), answered = 0, fd;
	struct vigil_child v;
	struct shield_handle h;
	struct lb_backend be;
	double t0, took = -1;
	FILE *f;
	__u32 slot;
	bool ok;

	if (!env_up())
		return;
	shield_close(&lbh);
	lb_attached = false;
	shield_detach_pinned(if_lb, err, sizeof(err));
	snprintf(dir, sizeof(dir), "/tmp/vigil-balance-%d", getpid());
	snprintf(path, sizeof(path), "%s/lb.yaml", dir);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	if (!ASSERT_OK(shf("mkdir -p %s", dir), "policy directory"))
		return;
	f = fopen(path, "w");
	if (!ASSERT_TRUE(f != NULL, "policy file"))
		goto out_dir;
	/* the rules file's section plus where it goes */
	fprintf(f, "%.*s  interfaces: [%s]\n  attach: generic\n%s", 8, lb_rules(1, 1, 1, false),
		if_lb, lb_rules(1, 1, 1, false) + 8);
	fclose(f);
	setns(lb_ns, CLONE_NEWNET);
	ok = vigil_start_checked(&v, args);
	setns(orig_ns, CLONE_NEWNET);
	if (!ok)
		goto out_dir;
	if (!ASSERT_OK(shield_open_pinned(&h, if_lb, err, sizeof(err)), err))
		goto out;
	for (int i = 0; i < 30; i++)
		answered += one_shot(0) != 0;
	ASSERT_EQ(answered, 30, "the agent's balancer answers");
	slot = LB_MAX_BACKENDS;
	for (__u32 i = 0; i < LB_MAX_BACKENDS; i++)
		if (!bpf_map_lookup_elem(h.maps.lb_backends, &i, &be) && (be.flags & LB_BE_USED) &&
		    be.addr[3] == htonl(0x0a4d000b))
			slot = i;
	/* kill backend 1's server: the agent's health thread takes it out */
	fd = __atomic_exchange_n(&listen_fd[0], -1, __ATOMIC_ACQ_REL);
	usleep(100 * 1000);
	close(fd);
	t0 = now_s();
	while (now_s() - t0 < 5) {
		if (!bpf_map_lookup_elem(h.maps.lb_backends, &slot, &be) &&
		    !(be.flags & LB_BE_UP)) {
			took = now_s() - t0;
			break;
		}
		usleep(20 * 1000);
	}
	printf("  the agent marked backend 1 down %.2f s after its server died\n", took);
	ASSERT_TRUE(took >= 0 && took < 1.5, "the agent's health checks took it out in time");
	snprintf(sample, sizeof(sample),
		 "vigil_shield_lb_backend_up{interface=\"%s\",service=\"web\",backend=\"10.77.0."
		 "11\"} ",
		 if_lb);
	ASSERT_EQ(scrape(port, sample), 0, "metrics: backend 1 is down");
	snprintf(sample, sizeof(sample),
		 "vigil_shield_lb_service_new_flows_total{interface=\"%s\",service=\"web\"} ",
		 if_lb);
	ASSERT_GE(scrape(port, sample), 30, "metrics: the service's new flows");
	__atomic_store_n(&listen_fd[0], listen_in(be_ns[0]), __ATOMIC_RELEASE);
	shield_close(&h);
out:
	vigil_stop(&v);
	vigil_cleanup(&v);
out_dir:
	shf("rm -rf %s", dir);
}
