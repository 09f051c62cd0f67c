// SPDX-License-Identifier: GPL-2.0
/*
 * The shield's balancer (docs/balance.md): what it costs per packet, and what it carries.
 *
 * 1. BPF_PROG_TEST_RUN, in a network namespace of this program's own (a veth, permanent
 *    neighbour entries for three backends), interleaved rounds, medians:
 *    - a hot loop of live frames (one flow, 1M runs, XDP_TX really sent to the veth's peer):
 *      the established-flow path (flow table hit, encapsulation, fib lookup, counters)
 *      against a program that only returns XDP_TX;
 *    - one run per packet over 4096 distinct flows, the programs' own ns (bpf_stats): the
 *      floor, a packet to no service (filter and lookup miss), each flow's first packet (flow
 *      table miss, Maglev table, insert) and its second (hit). A packet per system call runs
 *      with cold caches: these figures are higher than the hot loop's, their differences are
 *      what a new flow adds.
 * 2. Through namespaces on a bridge (a client, the balancer, three backends), interleaved per
 *    round: the shield's balancer (XDP, IP-in-IP, backends decapsulate with the shield and
 *    answer directly) against an nftables balancer on the same namespace (`dnat to numgen
 *    random mod 3 map`, replies routed back through it): TCP connections per second (one
 *    client thread: connect, one byte each way, close) and UDP packets per second received
 *    by the backends while one client thread sends as fast as it can.
 *
 * usage: balance_bench [rounds] [seconds per measurement]   (default 5 rounds, 1 s)
 */
#include "shield/shield.h"
#include "core/log.h"
#include "../tests/xdp/shield_pkt.h"
#include "benchlib.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VIP	"10.88.1.1"
#define LB	"10.88.0.3"
#define VIP6	"2001:db8:88::1"
#define LB6	"fd88::3"
#define CLIENT	"10.88.0.2"
#define PORT	80
#define NB	3
#define N_FLOWS 4096
#define XDP_TX_ 3

static char err[SHIELD_ERR_LEN];
static int orig_ns = -1;

static int install(struct shield_handle *h, const char *yaml)
{
	struct shield_ruleset rs;
	int ret;

	shield_rules_init(&rs);
	ret = shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "bench", err, sizeof(err))
		      ?: shield_install(&h->maps, &rs, err, sizeof(err));
	shield_rules_free(&rs);
	return ret;
}

#define SERVICE_YAML(tunnel)                                                                       \
	"shield:\n"                                                                                \
	"  balance:\n"                                                                             \
	"    tunnel_source: [" tunnel ", '" LB6 "']\n"                                             \
	"    services:\n"                                                                          \
	"      - { address: '" VIP6 "', port: 80, proto: tcp,\n"                                   \
	"          backends: ['fd88::11', 'fd88::12', 'fd88::13'] }\n"                             \
	"      - { address: " VIP ", port: 80, proto: tcp,\n"                                      \
	"          backends: [10.88.0.11, 10.88.0.12, 10.88.0.13] }\n"                             \
	"      - { address: " VIP ", port: 80, proto: udp,\n"                                      \
	"          backends: [10.88.0.11, 10.88.0.12, 10.88.0.13] }\n"

/* ---- 1. test-run ---- */

static int run_once(int fd, const void *pkt, size_t len, int ifindex, int want)
{
	struct xdp_md md = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o) || (int)o.retval != want) {
		fprintf(stderr, "balance_bench: test run: verdict %u, want %d: %s\n", o.retval,
			want, strerror(errno));
		return -1;
	}
	return 0;
}

/* The program's own ns per run over the packets (bpf_stats on), or -1. */
static double own_ns(int fd, uint8_t (*pkts)[128], size_t len, int ifindex, int want)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 ilen = sizeof(a);

	if (bpf_obj_get_info_by_fd(fd, &a, &ilen))
		return -1;
	for (int i = 0; i < N_FLOWS; i++)
		if (run_once(fd, pkts[i], len, ifindex, want))
			return -1;
	ilen = sizeof(b);
	if (bpf_obj_get_info_by_fd(fd, &b, &ilen) || b.run_cnt == a.run_cnt)
		return -1;
	return (double)(b.run_time_ns - a.run_time_ns) / (b.run_cnt - a.run_cnt);
}

static double thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/*
 * ns per packet in a hot loop of live frames (BPF_F_TEST_XDP_LIVE_FRAMES): the kernel restores
 * the packet before each run, so the balancer sees the same flow every time (the flow table's
 * hit path), and XDP_TX really transmits (to the veth's peer, which drops it: the same for the
 * floor). This thread's CPU time over n runs less that over n / 10, per packet.
 */
static double live_ns(int fd, const void *pkt, size_t len, int ifindex, int n)
{
	struct xdp_md md = { .data_end = len, .ingress_ifindex = ifindex };
	double t[3];

	for (int k = 0; k < 2; k++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
			    .ctx_in = &md, .ctx_size_in = sizeof(md), .repeat = k ? n : n / 10,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		t[k] = thread_cpu_ns();
		if (bpf_prog_test_run_opts(fd, &o))
			return -1;
		t[k + 1] = thread_cpu_ns();
	}
	return ((t[2] - t[1]) - (t[1] - t[0])) / (n - n / 10);
}

/* Empty a flow table (lb_flows or lb_flows6). */
static void clear_flows(int fd)
{
	struct lb_flow6_key k; /* the larger key */

	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (bpf_map_delete_elem(fd, &k))
			break;
}

static int test_run_part(int rounds)
{
	struct bpf_insn tx[] = { { .code = 0xb7, .dst_reg = 0, .imm = XDP_TX_ }, { .code = 0x95 } };
	static uint8_t flows[N_FLOWS][128], other[N_FLOWS][128], flows6[N_FLOWS][128];
	double *res[9], med[9];
	static const char *names[4] = { "floor (XDP_TX)", "pass, no service", "new flow",
					"established" };
	struct shield_handle h;
	int floor_fd, stats_fd = -1, ifindex, ret = -1;
	size_t len = 0, len6 = 0;

	if (unshare(CLONE_NEWNET) || quietf("ip link set lo up") ||
	    quietf("ip link add lbb0 type veth peer name lbb1") ||
	    quietf("ip addr add " LB
		   "/24 dev lbb0 && ip link set lbb0 up && ip link set lbb1 up") ||
	    quietf("sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv4.conf.lbb0.forwarding=1") ||
	    quietf("ip addr add " LB6
		   "/64 dev lbb0 nodad && sysctl -qw net.ipv6.conf.all.forwarding=1")) {
		fprintf(stderr, "balance_bench: cannot make a network namespace\n");
		return -1;
	}
	for (int i = 0; i < NB; i++)
		quietf("ip neigh replace 10.88.0.%d lladdr 02:00:00:00:00:%02x dev lbb0 nud "
		       "permanent "
		       "&& "
		       "ip neigh replace fd88::%d lladdr 02:00:00:00:00:%02x dev lbb0 nud "
		       "permanent",
		       11 + i, 11 + i, 11 + i, 11 + i);
	ifindex = if_nametoindex("lbb0");
	for (int i = 0; i < N_FLOWS; i++) {
		uint8_t buf[PKT_MAX]; /* pkt_build clears PKT_MAX bytes */
		char src[32];
		struct pkt_spec s = { .family = 4,
				      .src = src,
				      .dst = VIP,
				      .proto = IPPROTO_TCP,
				      .sport = 1024 + i,
				      .dport = PORT,
				      .tcp_flags = 0x10 };

		snprintf(src, sizeof(src), "198.18.%d.%d", i / 200, i % 200 + 1);
		len = pkt_build(buf, &s);
		memcpy(flows[i], buf, sizeof(flows[i]));
		s.dport = PORT + 1;
		pkt_build(buf, &s);
		memcpy(other[i], buf, sizeof(other[i]));
		snprintf(src, sizeof(src), "2001:db8:18::%x", i + 1);
		s.family = 6;
		s.dst = VIP6;
		s.dport = PORT;
		len6 = pkt_build(buf, &s);
		memcpy(flows6[i], buf, sizeof(flows6[i]));
	}
	floor_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "floor", "GPL", tx, 2, NULL);
	if (floor_fd < 0 || shield_load(&h, err, sizeof(err)) || install(&h, SERVICE_YAML(LB))) {
		fprintf(stderr, "balance_bench: %s\n", floor_fd < 0 ? strerror(errno) : err);
		return -1;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "balance_bench: bpf_enable_stats: %s\n", strerror(errno));
		goto out;
	}
	for (int c = 0; c < 9; c++)
		res[c] = calloc(rounds, sizeof(double));
	for (int r = 0; r < rounds; r++) {
		int fd = shield_prog_fd(&h, false);

		res[0][r] = own_ns(floor_fd, flows, len, ifindex, XDP_TX_);
		res[1][r] = own_ns(fd, other, len, ifindex, XDP_PASS);
		clear_flows(h.maps.lb_flows);
		res[2][r] = own_ns(fd, flows, len, ifindex, XDP_TX_);
		res[3][r] = own_ns(fd, flows, len, ifindex, XDP_TX_);
		res[4][r] = live_ns(floor_fd, flows[0], len, ifindex, 1000000);
		res[5][r] = live_ns(fd, flows[0], len, ifindex, 1000000);
		clear_flows(h.maps.lb_flows6);
		res[6][r] = own_ns(fd, flows6, len6, ifindex, XDP_TX_);
		res[7][r] = own_ns(fd, flows6, len6, ifindex, XDP_TX_);
		res[8][r] = live_ns(fd, flows6[0], len6, ifindex, 1000000);
		if (res[2][r] < 0 || res[4][r] < 0 || res[5][r] < 0 || res[6][r] < 0 ||
		    res[8][r] < 0)
			goto out;
	}
	close(stats_fd);
	stats_fd = -1;
	for (int c = 0; c < 9; c++)
		med[c] = median(res[c], rounds);
	printf("balancer BPF_PROG_TEST_RUN: %d interleaved rounds, medians\n\n", rounds);
	printf("hot loop of live frames (1M runs of one flow, XDP_TX really sent), ns/packet:\n");
	printf("  %-24s %8.1f\n  %-24s %8.1f  %.2fx the floor\n", "floor (XDP_TX)", med[4],
	       "established flow", med[5], med[5] / med[4]);
	printf("  %-24s %8.1f  %.2fx the floor (established + what a new flow adds below)\n",
	       "new flow", med[5] + med[2] - med[3], (med[5] + med[2] - med[3]) / med[4]);
	printf("  %-24s %8.1f  %.2fx the floor\n", "IPv6 established flow", med[8],
	       med[8] / med[4]);
	printf("  %-24s %8.1f  %.2fx the floor (the same way)\n", "IPv6 new flow",
	       med[8] + med[6] - med[7], (med[8] + med[6] - med[7]) / med[4]);
	printf("\none run per packet over %d distinct flows (cold caches), the programs' own ns "
	       "(bpf_stats):\n",
	       N_FLOWS);
	for (int c = 0; c < 4; c++)
		printf("  %-24s %8.1f  (+%.1f over the floor)\n", names[c], med[c],
		       med[c] - med[0]);
	printf("  %-24s %8.1f  (+%.1f over the floor)\n  %-24s %8.1f  (+%.1f over the floor)\n",
	       "IPv6 new flow", med[6], med[6] - med[0], "IPv6 established", med[7],
	       med[7] - med[0]);
	printf("  a new flow costs %.1f ns more than an established one (flow table miss, "
	       "Maglev table, insert); IPv6 %.1f ns\n",
	       med[2] - med[3], med[6] - med[7]);
	ret = 0;
out:
	if (stats_fd >= 0)
		close(stats_fd);
	shield_close(&h);
	close(floor_fd);
	return ret;
}

/* ---- 2. through namespaces ---- */

static char ns_sw[32], ns_cli[32], ns_lb[32], ns_be[NB][32];
static int cli_fd = -1, be_fd[NB] = { -1, -1, -1 };
static atomic_bool stop_servers;
static atomic_ulong udp_received;

static void net_down(void)
{
	char e[SHIELD_ERR_LEN];

	if (!ns_sw[0])
		return;
	setns(orig_ns, CLONE_NEWNET);
	shield_detach_pinned("lbb-l", e, sizeof(e));
	for (int i = 0; i < NB; i++) {
		char ifn[16];

		snprintf(ifn, sizeof(ifn), "lbb-b%d", i + 1);
		shield_detach_pinned(ifn, e, sizeof(e));
		quietf("ip netns del %s", ns_be[i]);
	}
	quietf("ip netns del %s", ns_cli);
	quietf("ip netns del %s", ns_lb);
	quietf("ip netns del %s", ns_sw);
	ns_sw[0] = '\0';
}

static int open_ns(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int plug(const char *ns, const char *ifname, const char *addr, int idx)
{
	return quietf("ip link add %s netns %s type veth peer name lbbp%d netns %s", ifname, ns,
		      idx, ns_sw) ||
	       quietf("ip -n %s link set lbbp%d master br0 up", ns_sw, idx) ||
	       quietf("ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up && "
		      "ip -n %s link set lo up",
		      ns, addr, ifname, ns, ifname, ns);
}

static int attach_in(const char *ns, const char *ifname, const char *yaml)
{
	struct shield_handle h;
	struct shield_ruleset rs;
	int fd = open_ns(ns), ret;

	shield_rules_init(&rs);
	ret = shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "bench", err, sizeof(err));
	if (!ret && fd >= 0) {
		setns(fd, CLONE_NEWNET);
		ret = shield_attach(&h, ifname, SHIELD_MODE_GENERIC, &rs, true, err, sizeof(err));
		setns(orig_ns, CLONE_NEWNET);
		if (!ret)
			shield_close(&h);
	}
	if (fd >= 0)
		close(fd);
	shield_rules_free(&rs);
	return fd < 0 ? -ENOENT : ret;
}

static int socket_in(int ns, int type)
{
	int fd;

	setns(ns, CLONE_NEWNET);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	setns(orig_ns, CLONE_NEWNET);
	return fd;
}

/* Each backend: a TCP server answering one byte per message, a UDP sink counting. */
static void *backend_server(void *arg)
{
	int ns = (int)(long)arg, one = 1, tl, ul;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct pollfd pf[2];
	char buf[2048];

	tl = socket_in(ns, SOCK_STREAM);
	ul = socket_in(ns, SOCK_DGRAM);
	setsockopt(tl, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(tl, (struct sockaddr *)&a, sizeof(a)) || listen(tl, 1024) ||
	    bind(ul, (struct sockaddr *)&a, sizeof(a)))
		return NULL;
	pf[0] = (struct pollfd){ .fd = tl, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = ul, .events = POLLIN };
	while (!stop_servers) {
		if (poll(pf, 2, 50) <= 0)
			continue;
		if (pf[1].revents)
			while (recv(ul, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				udp_received++;
		if (pf[0].revents) {
			int c = accept4(tl, NULL, NULL, SOCK_CLOEXEC);
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			if (c < 0)
				continue;
			/* a short exchange; the client closes first */
			if (read(c, buf, 1) == 1 && write(c, buf, 1) == 1)
				(void)!read(c, buf, 1);
			setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(c);
		}
	}
	close(tl);
	close(ul);
	return NULL;
}

static int net_up(void)
{
	int pid = getpid() % 100000;

	snprintf(ns_sw, sizeof(ns_sw), "lbbsw%d", pid);
	snprintf(ns_cli, sizeof(ns_cli), "lbbc%d", pid);
	snprintf(ns_lb, sizeof(ns_lb), "lbbl%d", pid);
	if (quietf("ip netns add %s && ip netns add %s && ip netns add %s", ns_sw, ns_cli, ns_lb) ||
	    quietf("ip -n %s link add br0 type bridge && ip -n %s link set br0 up", ns_sw, ns_sw) ||
	    plug(ns_cli, "lbb-c", CLIENT, 0) || plug(ns_lb, "lbb-l", LB, 1) ||
	    quietf("ip -n %s route add " VIP "/32 via " LB, ns_cli) ||
	    quietf("ip netns exec %s sysctl -qw net.ipv4.conf.all.forwarding=1 "
		   "net.ipv4.conf.lbb-l.forwarding=1 net.ipv4.conf.all.send_redirects=0 "
		   "net.ipv4.conf.lbb-l.send_redirects=0",
		   ns_lb))
		return -1;
	for (int i = 0; i < NB; i++) {
		char addr[32], ifn[16];

		snprintf(ns_be[i], sizeof(ns_be[i]), "lbbb%d-%d", i + 1, pid);
		snprintf(addr, sizeof(addr), "10.88.0.%d", 11 + i);
		snprintf(ifn, sizeof(ifn), "lbb-b%d", i + 1);
		if (quietf("ip netns add %s", ns_be[i]) || plug(ns_be[i], ifn, addr, 2 + i) ||
		    quietf("ip -n %s addr add " VIP "/32 dev lo", ns_be[i]) ||
		    quietf("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=0 "
			   "net.ipv4.conf.%s.rp_filter=0",
			   ns_be[i], ifn) ||
		    attach_in(ns_be[i], ifn, "shield:\n  balance:\n    decapsulate: [" LB "]\n"))
			return -1;
		be_fd[i] = open_ns(ns_be[i]);
		quietf("ip netns exec %s busybox ping -c1 -W1 %s", ns_lb, addr);
	}
	cli_fd = open_ns(ns_cli);
	return cli_fd < 0 ? -1 : 0;
}

/* Switch the balancer: the shield's (xdp) or nftables' (with replies routed through it). */
static int use_balancer(bool xdp)
{
	char e[SHIELD_ERR_LEN];

	quietf("ip netns exec %s nft delete table ip lbb", ns_lb);
	shield_detach_pinned("lbb-l", e, sizeof(e));
	for (int i = 0; i < NB; i++)
		quietf("ip -n %s route del " CLIENT "/32", ns_be[i]);
	if (xdp)
		return attach_in(ns_lb, "lbb-l", SERVICE_YAML(LB));
	for (int i = 0; i < NB; i++)
		if (quietf("ip -n %s route add " CLIENT "/32 via " LB, ns_be[i]))
			return -1;
	return quietf("printf '%%s\\n' '"
		      "table ip lbb {\n"
		      "  chain pre {\n"
		      "    type nat hook prerouting priority -100;\n"
		      "    ip daddr " VIP " tcp dport 80 dnat to numgen random mod 3 map "
		      "{ 0 : 10.88.0.11, 1 : 10.88.0.12, 2 : 10.88.0.13 }\n"
		      "    ip daddr " VIP " udp dport 80 dnat to numgen random mod 3 map "
		      "{ 0 : 10.88.0.11, 1 : 10.88.0.12, 2 : 10.88.0.13 }\n"
		      "  }\n"
		      "}' | ip netns exec %s nft -f -",
		      ns_lb);
}

static double conns_per_sec(double secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct timeval tv = { .tv_sec = 1 };
	double t0 = now_ns(), t;
	long n = 0;

	inet_pton(AF_INET, VIP, &a.sin_addr);
	while ((t = now_ns()) - t0 < secs * 1e9) {
		int fd = socket_in(cli_fd, SOCK_STREAM);
		struct linger l = { .l_onoff = 1, .l_linger = 0 };
		char c = 'x';

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)) && write(fd, &c, 1) == 1 &&
		    read(fd, &c, 1) == 1)
			n++;
		close(fd);
	}
	return n / ((t - t0) / 1e9);
}

static double udp_pps(double secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct mmsghdr msgs[64];
	struct iovec iov = { .iov_base = (char[64]){ 0 }, .iov_len = 64 };
	unsigned long before;
	double t0, t;
	int fd = socket_in(cli_fd, SOCK_DGRAM);

	inet_pton(AF_INET, VIP, &a.sin_addr);
	for (int i = 0; i < 64; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &a,
							 .msg_namelen = sizeof(a),
							 .msg_iov = &iov,
							 .msg_iovlen = 1 } };
	before = udp_received;
	t0 = now_ns();
	while ((t = now_ns()) - t0 < secs * 1e9)
		sendmmsg(fd, msgs, 64, 0);
	usleep(100 * 1000); /* what is in flight arrives */
	close(fd);
	return (udp_received - before) / ((t - t0) / 1e9);
}

static int netns_part(int rounds, double secs)
{
	double *r[4], med[4];
	pthread_t th[NB];
	int ret = -1;

	if (net_up()) {
		fprintf(stderr, "balance_bench: namespaces: %s\n", err);
		goto out;
	}
	for (int i = 0; i < NB; i++)
		pthread_create(&th[i], NULL, backend_server, (void *)(long)be_fd[i]);
	for (int c = 0; c < 4; c++)
		r[c] = calloc(rounds, sizeof(double));
	for (int k = 0; k < rounds; k++) {
		for (int b = 0; b < 2; b++) {
			if (use_balancer(!b)) {
				fprintf(stderr,
					"balance_bench: cannot set up the %s balancer: %s\n",
					b ? "nftables" : "shield", b ? "nft failed" : err);
				goto stop;
			}
			conns_per_sec(0.2); /* warm up: neighbours, conntrack */
			r[b][k] = conns_per_sec(secs);
			r[2 + b][k] = udp_pps(secs);
		}
	}
	for (int c = 0; c < 4; c++)
		med[c] = median(r[c], rounds);
	printf("\nthrough namespaces on a bridge: %d interleaved rounds of %.1f s, medians "
	       "(generic XDP on the balancer's veth)\n\n",
	       rounds, secs);
	printf("%-28s %14s %14s %8s\n", "", "shield (XDP)", "nftables", "ratio");
	printf("%-28s %14.0f %14.0f %7.2fx\n", "TCP connections/s", med[0], med[1],
	       med[0] / med[1]);
	printf("%-28s %14.0f %14.0f %7.2fx\n", "UDP packets/s at backends", med[2], med[3],
	       med[2] / med[3]);
	ret = 0;
stop:
	stop_servers = true;
	for (int i = 0; i < NB; i++)
		pthread_join(th[i], NULL);
out:
	net_down();
	return ret;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	int ret;

	log_bridge_libbpf();
	if (rounds < 1 || !(secs > 0)) {
		fprintf(stderr, "usage: balance_bench [rounds >= 1] [seconds > 0]\n");
		return 64;
	}
	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ret = netns_part(rounds, secs);
	/* last: it moves this process into a network namespace of its own */
	ret |= test_run_part(rounds * 3);
	return ret ? 1 : 0;
}
