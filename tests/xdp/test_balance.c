// SPDX-License-Identifier: GPL-2.0
/*
 * The shield's balancer through BPF_PROG_TEST_RUN: the IP-in-IP bytes exactly (outer header
 * fields and checksum, the next hop's addresses), the spread by weight, the flow table's hit
 * path, weight 0 (draining), health, fragments and malformed packets, a missing service, a
 * blocked source dropped before balancing, and the backends' decapsulation. IPv6 the same way
 * (IPv6-in-IPv6 bytes, extension headers and fragments), both families in one install.
 *
 * The binary moves into a network namespace of its own (gone with the process): a veth pair,
 * the balancer's address and permanent neighbour entries for the backends, so bpf_fib_lookup
 * answers the same everywhere.
 */
#include "harness.h"
#include "shield_pkt.h"
#include "shield/shield.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define XDP_DROP_     1
#define XDP_PASS_     2
#define XDP_TX_	      3
#define XDP_REDIRECT_ 4

#define VIP	"10.99.1.1"
#define LB_ADDR "10.99.0.2"
#define VIP6	"2001:db8:99::1"
#define LB6	"fd00:99::2"

static struct shield_handle H;
static bool loaded, net_failed;
static int ifindex;
static unsigned char lb_mac[6];
static char err[SHIELD_ERR_LEN];

static const char *const net_setup[] = {
	"ip link set lo up",
	"ip link add lbt0 type veth peer name lbt1",
	"ip addr add " LB_ADDR "/24 dev lbt0",
	"ip link set lbt0 up",
	"ip link set lbt1 up",
	"ip neigh replace 10.99.0.11 lladdr 02:00:00:00:00:11 dev lbt0 nud permanent",
	"ip neigh replace 10.99.0.12 lladdr 02:00:00:00:00:12 dev lbt0 nud permanent",
	"ip neigh replace 10.99.0.13 lladdr 02:00:00:00:00:13 dev lbt0 nud permanent",
	"sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv4.conf.lbt0.forwarding=1",
	"ip addr add " LB6 "/64 dev lbt0 nodad",
	"ip neigh replace fd00:99::11 lladdr 02:00:00:00:00:11 dev lbt0 nud permanent",
	"ip neigh replace fd00:99::12 lladdr 02:00:00:00:00:12 dev lbt0 nud permanent",
	"ip neigh replace fd00:99::13 lladdr 02:00:00:00:00:13 dev lbt0 nud permanent",
	"sysctl -qw net.ipv6.conf.all.forwarding=1",
};

static bool own_netns(void)
{
	struct ifreq ifr = {};
	int fd;

	if (unshare(CLONE_NEWNET))
		return false;
	for (size_t i = 0; i < sizeof(net_setup) / sizeof(net_setup[0]); i++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "%s >/dev/null 2>&1", net_setup[i]);
		if (system(cmd)) {
			fprintf(stderr, "set-up failed: %s\n", net_setup[i]);
			return false;
		}
	}
	ifindex = if_nametoindex("lbt0");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lbt0");
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	memcpy(lb_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ifindex > 0;
}

static bool setup(void)
{
	if (SKIP_UNLESS_ROOT())
		return false;
	if (net_failed) {
		SKIP("network namespace set-up failed earlier");
		return false;
	}
	if (!loaded) {
		if (!own_netns()) {
			net_failed = true;
			SKIP("cannot make a network namespace with a veth pair (needs ip, sysctl)");
			return false;
		}
		if (!ASSERT_OK(shield_load(&H, err, sizeof(err)), err))
			return false;
		loaded = true;
	}
	return true;
}

__attribute__((destructor)) static void teardown(void)
{
	if (loaded)
		shield_close(&H);
}

static bool install_yaml(const char *yaml)
{
	struct shield_ruleset rs;
	bool ok;

	if (!ASSERT_OK(shield_rules_init(&rs), "rules init"))
		return false;
	ok = ASSERT_OK(shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "test.yaml", err,
					       sizeof(err)),
		       err) &&
	     ASSERT_OK(shield_install(&H.maps, &rs, err, sizeof(err)), err);
	shield_rules_free(&rs);
	return ok;
}

/* Run one packet as if received on lbt0; out (PKT_MAX + 64 bytes) receives what leaves. */
static int run(const void *pkt, size_t len, void *out, __u32 *out_len)
{
	struct xdp_md md = { .data = 0, .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .data_out = out,
		    .data_size_out = PKT_MAX + 64, .ctx_in = &md, .ctx_size_in = sizeof(md),
		    .repeat = 1);

	if (bpf_prog_test_run_opts(shield_prog_fd(&H, false), &o))
		return -errno;
	*out_len = o.data_size_out;
	return o.retval;
}

static struct pkt_spec flow(const char *src, int sport, int dport, uint8_t flags)
{
	return (struct pkt_spec){ .family = 4,
				  .src = src,
				  .dst = VIP,
				  .proto = IPPROTO_TCP,
				  .sport = sport,
				  .dport = dport,
				  .tcp_flags = flags };
}

/* The backend a packet went to (last octet of the outer destination), 0: not forwarded. */
static int backend_of(const struct pkt_spec *s)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	__u32 n;
	int v = run(in, pkt_build(in, s), out, &n);

	if (v != XDP_TX_ || n < 34 || out[23] != IPPROTO_IPIP)
		return 0;
	return out[33];
}

#define SERVICE(backends)                                                                          \
	"shield:\n"                                                                                \
	"  balance:\n"                                                                             \
	"    tunnel_source: " LB_ADDR "\n"                                                         \
	"    table_size: 65537\n"                                                                  \
	"    services:\n"                                                                          \
	"      - { name: web, address: " VIP ", port: 80, proto: tcp, backends: " backends " }\n"

static struct lb_status st;

static struct lb_counter svc_counter(void)
{
	struct lb_counter none = {};

	if (shield_balance_read(&H.maps, &st) || !st.n_svc)
		return none;
	return st.svc[0].c;
}

TEST(encapsulation_bytes_exact)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct pkt_spec s = flow("203.0.113.5", 40000, 80, 0x02);
	const uint8_t want_dmac[6] = { 2, 0, 0, 0, 0, 0x11 };
	__u64 flows0, pkts0;
	size_t len;
	__u32 n;
	uint32_t a;

	if (!setup() || !install_yaml(SERVICE("[10.99.0.11]")))
		return;
	s.payload = 100;
	len = pkt_build(in, &s);
	flows0 = svc_counter().new_flows;
	pkts0 = st.svc[0].be[0].c.packets;
	ASSERT_EQ(run(in, len, out, &n), XDP_TX_, "sent back out lbt0");
	ASSERT_EQ(n, len + 20, "20 bytes longer");
	ASSERT_OK(memcmp(out, want_dmac, 6), "destination MAC: the backend's neighbour entry");
	ASSERT_OK(memcmp(out + 6, lb_mac, 6), "source MAC: lbt0's");
	ASSERT_EQ(out[12] << 8 | out[13], 0x0800, "ethertype IPv4");
	ASSERT_EQ(out[14], 0x45, "outer version 4, IHL 5");
	ASSERT_EQ(out[15], in[15], "outer TOS copied from the inner header");
	ASSERT_EQ(out[16] << 8 | out[17], 20 + 20 + 20 + 100, "outer total length");
	ASSERT_EQ(out[18] << 8 | out[19], 0, "outer id 0");
	ASSERT_EQ(out[20] << 8 | out[21], 0, "outer: no fragment bits");
	ASSERT_EQ(out[22], 64, "outer TTL 64");
	ASSERT_EQ(out[23], IPPROTO_IPIP, "outer protocol 4 (IP-in-IP)");
	ASSERT_EQ(pkt_csum(out + 14, 20), 0, "outer header checksum verifies");
	memcpy(&a, out + 26, 4);
	ASSERT_EQ(a, inet_addr(LB_ADDR), "outer source: tunnel_source");
	memcpy(&a, out + 30, 4);
	ASSERT_EQ(a, inet_addr("10.99.0.11"), "outer destination: the backend");
	ASSERT_OK(memcmp(out + 34, in + 14, len - 14), "inner packet unchanged, byte for byte");
	ASSERT_EQ(pkt_csum(out + 34, 20), 0, "inner header checksum still verifies");
	ASSERT_EQ(svc_counter().new_flows - flows0, 1, "one new flow counted");
	ASSERT_EQ(st.svc[0].be[0].c.packets - pkts0, 1, "the backend's packet counter");
}

TEST(spread_by_weight_and_flow_table_hits)
{
	int hits[256] = {}, first[600];
	char src[32];
	const int n = 600;

	if (!setup() || !install_yaml(SERVICE("[{address: 10.99.0.11, weight: 1}, {address: "
					      "10.99.0.12, weight: 1}, {address: 10.99.0.13, "
					      "weight: 2}]")))
		return;
	for (int i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "198.18.%d.%d", i / 250, i % 250 + 1);
		struct pkt_spec s = flow(src, 1024 + i, 80, 0x02);

		first[i] = backend_of(&s);
		hits[first[i]]++;
	}
	ASSERT_EQ(hits[0], 0, "every flow forwarded");
	/* shares 1/4, 1/4, 1/2 within +-30% of each share */
	ASSERT_TRUE(hits[11] > n / 4 * 0.7 && hits[11] < n / 4 * 1.3, "backend 11 ~1/4");
	ASSERT_TRUE(hits[12] > n / 4 * 0.7 && hits[12] < n / 4 * 1.3, "backend 12 ~1/4");
	ASSERT_TRUE(hits[13] > n / 2 * 0.7 && hits[13] < n / 2 * 1.3, "backend 13 ~1/2");
	printf("  spread 1:1:2 over %d flows: %d %d %d\n", n, hits[11], hits[12], hits[13]);
	/* the same flows again (ACKs): the flow table answers, same backend, no new flows */
	__u64 before = svc_counter().new_flows;
	int moved = 0;

	for (int i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "198.18.%d.%d", i / 250, i % 250 + 1);
		struct pkt_spec s = flow(src, 1024 + i, 80, 0x10);

		moved += backend_of(&s) != first[i];
	}
	ASSERT_EQ(moved, 0, "established flows keep their backend");
	ASSERT_EQ(svc_counter().new_flows, before, "no new flows for known ones");
}

TEST(weight_zero_drains)
{
	struct pkt_spec old = flow("198.51.100.7", 5555, 80, 0x02);
	char src[32];
	int b, to_drained = 0;

	if (!setup() || !install_yaml(SERVICE("[10.99.0.11, 10.99.0.12]")))
		return;
	b = backend_of(&old);
	ASSERT_TRUE(b == 11 || b == 12, "first flow forwarded");
	if (!install_yaml(b == 11 ? SERVICE("[{address: 10.99.0.11, weight: 0}, 10.99.0.12]")
				  : SERVICE("[10.99.0.11, {address: 10.99.0.12, weight: 0}]")))
		return;
	old.tcp_flags = 0x10;
	ASSERT_EQ(backend_of(&old), b, "the established flow stays on the draining backend");
	for (int i = 0; i < 200; i++) {
		snprintf(src, sizeof(src), "198.19.0.%d", i + 1);
		struct pkt_spec s = flow(src, 2000 + i, 80, 0x02);

		to_drained += backend_of(&s) == b;
	}
	ASSERT_EQ(to_drained, 0, "no new flow goes to the draining backend");
}

TEST(failed_backend_loses_its_flows)
{
	struct pkt_spec s = flow("198.51.100.9", 6000, 80, 0x02);
	__u32 slot = LB_MAX_BACKENDS;
	int b;

	if (!setup() || !install_yaml(SERVICE("[10.99.0.11, 10.99.0.12]")))
		return;
	b = backend_of(&s);
	if (shield_balance_read(&H.maps, &st) || !ASSERT_EQ(st.n_svc, 1, "one service"))
		return;
	for (unsigned int i = 0; i < st.svc[0].n_be; i++)
		if ((st.svc[0].be[i].be.addr[3] >> 24) == (__u32)b)
			slot = st.svc[0].be[i].slot;
	ASSERT_EQ(shield_balance_set_up(&H.maps, slot, false), 1, "marked down");
	s.tcp_flags = 0x10;
	ASSERT_TRUE(backend_of(&s) && backend_of(&s) != b, "the flow moved to the healthy one");
	if (!install_yaml(SERVICE("[10.99.0.11, 10.99.0.12]")))
		return;
	ASSERT_TRUE(backend_of(&s) != b, "health survives a reload");
	ASSERT_EQ(shield_balance_set_up(&H.maps, slot, true), 1, "up again");
	ASSERT_TRUE(backend_of(&s) != b, "the moved flow stays where it is (flow table)");
}

TEST(missing_service_passes_untouched)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct pkt_spec s = flow("203.0.113.5", 40000, 81, 0x02);
	__u64 pkts0;
	size_t len;
	__u32 n;

	if (!setup() || !install_yaml(SERVICE("[10.99.0.11]")))
		return;
	len = pkt_build(in, &s);
	pkts0 = svc_counter().packets;
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "other port: passed");
	ASSERT_TRUE(n == len && !memcmp(in, out, len), "and not changed");
	s.dport = 80;
	s.proto = IPPROTO_UDP;
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "other protocol: passed");
	ASSERT_TRUE(n == len && !memcmp(in, out, len), "and not changed");
	ASSERT_EQ(svc_counter().packets, pkts0, "nothing counted for the service");
}

TEST(blocked_source_never_balanced)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct pkt_spec s = flow("203.0.113.5", 40000, 80, 0x02);
	__u64 pkts0;
	__u32 n;

	if (!setup() || !install_yaml("shield:\n"
				      "  block: [203.0.113.0/24]\n"
				      "  rate_limit: { packets_per_sec: 1, packets_burst: 1 }\n"
				      "  balance:\n"
				      "    tunnel_source: " LB_ADDR "\n"
				      "    services:\n"
				      "      - { address: " VIP ", port: 80, proto: tcp,\n"
				      "          backends: [10.99.0.11] }\n"))
		return;
	pkts0 = svc_counter().packets;
	ASSERT_EQ(run(in, pkt_build(in, &s), out, &n), XDP_DROP_, "blocked source dropped");
	s.src = "192.0.2.77";
	ASSERT_EQ(backend_of(&s), 11, "another source's first packet balanced");
	ASSERT_EQ(run(in, pkt_build(in, &s), out, &n), XDP_DROP_,
		  "over its rate limit: dropped, not balanced");
	ASSERT_EQ(svc_counter().packets - pkts0, 1,
		  "only the admitted packet reached the balancer");
}

TEST(fragments_and_malformed)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct pkt_spec s = flow("203.0.113.5", 40000, 80, 0x02);
	__u64 drops0, frags0;
	size_t len;
	__u32 n;

	if (!setup() || !install_yaml(SERVICE("[10.99.0.11]")))
		return;
	drops0 = svc_counter().dropped;
	frags0 = st.misc[LB_M_FRAGMENT];
	s.frag_off = 0x2000; /* MF: a first fragment, with ports */
	ASSERT_EQ(run(in, pkt_build(in, &s), out, &n), XDP_DROP_, "first fragment dropped");
	ASSERT_EQ(svc_counter().dropped - drops0, 1, "counted as the service's drop");
	ASSERT_EQ(st.misc[LB_M_FRAGMENT] - frags0, 1, "as a fragment");
	s.frag_off = 10; /* a later fragment: no ports, no service */
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "non-first fragment passed untouched");
	ASSERT_OK(memcmp(in, out, len), "unchanged");
	s.frag_off = 0;
	s.vlans = 1;
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "VLAN-tagged: passed untouched");
	ASSERT_OK(memcmp(in, out, len), "unchanged");
	s.vlans = 0;
	len = pkt_build(in, &s);
	in[14 + 20 + 12] = 0x20; /* TCP data offset 2: malformed */
	ASSERT_EQ(run(in, len, out, &n), XDP_DROP_, "malformed TCP: the filter drops it");
	ASSERT_EQ(run(in, 14 + 20 + 10, out, &n), XDP_DROP_, "truncated TCP: dropped");
}

/* IPv4 options: balanced, the inner header (options and all) carried as it is. */
TEST(ip_options_are_encapsulated_as_they_are)
{
	uint8_t in[PKT_MAX], opt[PKT_MAX + 4], out[PKT_MAX + 64];
	struct pkt_spec s = flow("203.0.113.9", 41000, 80, 0x02);
	size_t len;
	__u32 n;

	if (!setup() || !install_yaml(SERVICE("[10.99.0.11]")))
		return;
	len = pkt_build(in, &s);
	/* 24-byte header: four NOP options between the IP and TCP headers */
	memcpy(opt, in, 34);
	memset(opt + 34, 1, 4);
	memcpy(opt + 38, in + 34, len - 34);
	opt[14] = 0x46;
	opt[17] += 4; /* total length (< 256 here) */
	opt[24] = opt[25] = 0;
	memcpy(opt + 24, (uint16_t[]){ pkt_csum(opt + 14, 24) }, 2);
	ASSERT_EQ(run(opt, len + 4, out, &n), XDP_TX_, "balanced");
	ASSERT_EQ(n, len + 4 + 20, "20 bytes more");
	ASSERT_OK(memcmp(out + 34, opt + 14, len + 4 - 14), "inner packet with its options intact");
	ASSERT_EQ(out[16] << 8 | out[17], 20 + 24 + 20, "outer length counts the options");
}

TEST(backend_decapsulates)
{
	uint8_t in[PKT_MAX], enc[PKT_MAX + 64], out[PKT_MAX + 64];
	struct pkt_spec s = flow("203.0.113.5", 40000, 80, 0x02);
	size_t len;
	__u32 n, m;

	if (!setup() || !install_yaml(SERVICE("[10.99.0.11]")))
		return;
	len = pkt_build(in, &s);
	if (!ASSERT_EQ(run(in, len, enc, &n), XDP_TX_, "encapsulated")) {
		shield_balance_read(&H.maps, &st);
		for (int i = 0; i < LB_M_MAX; i++)
			printf("  %s %llu\n", shield_lb_misc_name(i),
			       (unsigned long long)st.misc[i]);
		return;
	}
	if (!install_yaml("shield:\n  balance:\n    decapsulate: [" LB_ADDR "]\n"))
		return;
	ASSERT_EQ(run(enc, n, out, &m), XDP_PASS_, "decapsulated and passed up");
	ASSERT_EQ(m, len, "20 bytes shorter");
	ASSERT_OK(memcmp(out + 12, in + 12, len - 12), "the inner packet, as the client sent it");
	ASSERT_OK(memcmp(out, enc, 12), "Ethernet addresses kept");
	if (!install_yaml("shield:\n  balance:\n    decapsulate: [10.99.0.99]\n"))
		return;
	ASSERT_EQ(run(enc, n, out, &m), XDP_PASS_, "from an untrusted source: passed");
	ASSERT_TRUE(m == n && !memcmp(out, enc, n), "as it was (the stack has no tunnel)");
}

TEST(parser_errors)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "shield:\n  balance:\n    services: []\n    table_size: 100\n", "prime" },
		{ "shield:\n  balance:\n    services:\n      - { address: 10.0.0.1, port: 80, "
		  "proto: tcp, backends: [10.0.0.2] }\n",
		  "tunnel_source" },
		{ "shield:\n  balance:\n    tunnel_source: 10.0.0.9\n    services:\n      - { "
		  "address: 10.0.0.1, port: 80, proto: sctp, backends: [10.0.0.2] }\n",
		  "5:47: error: proto must be tcp or udp" },
		{ "shield:\n  balance:\n    tunnel_source: 10.0.0.9\n    services:\n      - { "
		  "address: 10.0.0.1, port: 80, proto: tcp, backends: [] }\n",
		  "non-empty" },
		{ "shield:\n  balance:\n    tunnel_source: 10.0.0.9\n    services:\n      - { "
		  "address: '2001:db8::1', port: 80, proto: tcp, backends: [10.0.0.2] }\n",
		  "is IPv4 but the service's address is IPv6" },
		{ "shield:\n  balance:\n    tunnel_source: 10.0.0.9\n    services:\n      - { "
		  "address: 10.0.0.1, port: 80, proto: tcp, backends: [10.0.0.2], check: { type: "
		  "http, interval: 1s, timeout: 2s } }\n",
		  "timeout" },
		{ "shield:\n  balance:\n    tunnel_source: 10.0.0.9\n    services:\n      - { "
		  "address: 10.0.0.1, port: 80, proto: tcp, backends: [{address: 10.0.0.2, weight: "
		  "-1}] }\n",
		  "weight" },
		{ "shield:\n  balance:\n    colour: blue\n", "unknown key 'colour' in balance" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shield_ruleset rs;

		if (!ASSERT_OK(shield_rules_init(&rs), "init"))
			return;
		ASSERT_EQ(shield_rules_parse_yaml(&rs, cases[i].yaml, strlen(cases[i].yaml), "t",
						  err, sizeof(err)),
			  -EINVAL, cases[i].want);
		if (!strstr(err, cases[i].want))
			printf("  case %zu: got '%s', want '%s'\n", i, err, cases[i].want);
		ASSERT_TRUE(strstr(err, cases[i].want) != NULL, "the error says what is wrong");
		shield_rules_free(&rs);
	}
}

/* IPv6: a flow to the IPv6 service from @src. */
static struct pkt_spec flow6(const char *src, int sport, int dport, uint8_t flags)
{
	struct pkt_spec s = flow(src, sport, dport, flags);

	s.family = 6;
	s.dst = VIP6;
	return s;
}

/* The IPv6 backend a packet went to (last byte of the outer destination), 0: not forwarded. */
static int backend6_of(const struct pkt_spec *s)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	__u32 n;
	int v = run(in, pkt_build(in, s), out, &n);

	if (v != XDP_TX_ || n < 54 || out[20] != IPPROTO_IPV6)
		return 0;
	return out[53];
}

/* Both families in one install: the IPv4 service stays, the IPv6 one has its own backends. */
#define SERVICE6(backends)                                                                         \
	"shield:\n"                                                                                \
	"  balance:\n"                                                                             \
	"    tunnel_source: [" LB_ADDR ", '" LB6 "']\n"                                            \
	"    services:\n"                                                                          \
	"      - { name: web, address: " VIP ", port: 80, proto: tcp, backends: [10.99.0.11] }\n"  \
	"      - { name: web6, address: '" VIP6 "', port: 80, proto: tcp,\n"                       \
	"          backends: " backends " }\n"

/* The IPv6 service's counters (the second service). */
static struct lb_counter svc6_counter(void)
{
	struct lb_counter none = {};

	if (shield_balance_read(&H.maps, &st))
		return none;
	for (unsigned int i = 0; i < st.n_svc; i++)
		if (!strcmp(st.svc[i].info.name, "web6"))
			return st.svc[i].c;
	return none;
}

TEST(v6_encapsulation_bytes_exact)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64], want[16];
	struct pkt_spec s = flow6("2001:db8:5::7", 40000, 80, 0x02);
	const uint8_t want_dmac[6] = { 2, 0, 0, 0, 0, 0x11 };
	__u64 flows0;
	size_t len;
	__u32 n;

	if (!setup() || !install_yaml(SERVICE6("['fd00:99::11']")))
		return;
	s.payload = 100;
	len = pkt_build(in, &s);
	/* traffic class 0xb6, flow label 0xbcdef: copied to the outer header */
	memcpy(in + 14, (uint8_t[]){ 0x6b, 0x6b, 0xcd, 0xef }, 4);
	flows0 = svc6_counter().new_flows;
	ASSERT_EQ(run(in, len, out, &n), XDP_TX_, "sent back out lbt0");
	ASSERT_EQ(n, len + 40, "40 bytes longer");
	ASSERT_OK(memcmp(out, want_dmac, 6), "destination MAC: the backend's neighbour entry");
	ASSERT_OK(memcmp(out + 6, lb_mac, 6), "source MAC: lbt0's");
	ASSERT_EQ(out[12] << 8 | out[13], 0x86dd, "ethertype IPv6");
	ASSERT_OK(memcmp(out + 14, in + 14, 4), "version, traffic class, flow label: the inner's");
	ASSERT_EQ(out[18] << 8 | out[19], 40 + 20 + 100, "outer payload length: the inner packet");
	ASSERT_EQ(out[20], 41, "next header 41 (IPv6-in-IPv6)");
	ASSERT_EQ(out[21], 64, "hop limit 64");
	inet_pton(AF_INET6, LB6, want);
	ASSERT_OK(memcmp(out + 22, want, 16), "outer source: the IPv6 tunnel_source");
	inet_pton(AF_INET6, "fd00:99::11", want);
	ASSERT_OK(memcmp(out + 38, want, 16), "outer destination: the backend");
	ASSERT_OK(memcmp(out + 54, in + 14, len - 14), "inner packet unchanged, byte for byte");
	ASSERT_EQ(svc6_counter().new_flows - flows0, 1, "one new flow counted");
	/* the IPv4 service of the same install still balances by IP-in-IP */
	struct pkt_spec v4 = flow("203.0.113.5", 40000, 80, 0x02);

	ASSERT_EQ(backend_of(&v4), 11, "the IPv4 service beside it");
}

TEST(v6_spread_by_weight_and_flow_table_hits)
{
	int hits[256] = {}, first[600];
	char src[64];
	const int n = 600;
	__u64 before;
	int moved = 0;

	if (!setup() || !install_yaml(SERVICE6("['fd00:99::11', 'fd00:99::12', {address: "
					       "'fd00:99::13', weight: 2}]")))
		return;
	for (int i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "2001:db8:18::%x", i + 1);
		struct pkt_spec s = flow6(src, 1024 + i, 80, 0x02);

		first[i] = backend6_of(&s);
		hits[first[i]]++;
	}
	ASSERT_EQ(hits[0], 0, "every flow forwarded");
	ASSERT_TRUE(hits[0x11] > n / 4 * 0.7 && hits[0x11] < n / 4 * 1.3, "backend ::11 ~1/4");
	ASSERT_TRUE(hits[0x12] > n / 4 * 0.7 && hits[0x12] < n / 4 * 1.3, "backend ::12 ~1/4");
	ASSERT_TRUE(hits[0x13] > n / 2 * 0.7 && hits[0x13] < n / 2 * 1.3, "backend ::13 ~1/2");
	printf("  spread 1:1:2 over %d IPv6 flows: %d %d %d\n", n, hits[0x11], hits[0x12],
	       hits[0x13]);
	/* the same flows again (ACKs): lb_flows6 answers, same backend, no new flows */
	before = svc6_counter().new_flows;
	for (int i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "2001:db8:18::%x", i + 1);
		struct pkt_spec s = flow6(src, 1024 + i, 80, 0x10);

		moved += backend6_of(&s) != first[i];
	}
	ASSERT_EQ(moved, 0, "established flows keep their backend");
	ASSERT_EQ(svc6_counter().new_flows, before, "no new flows for known ones");
}

TEST(v6_weight_zero_drains)
{
	struct pkt_spec old = flow6("2001:db8:51::7", 5555, 80, 0x02);
	char src[64];
	int b, to_drained = 0;

	if (!setup() || !install_yaml(SERVICE6("['fd00:99::11', 'fd00:99::12']")))
		return;
	b = backend6_of(&old);
	ASSERT_TRUE(b == 0x11 || b == 0x12, "first flow forwarded");
	if (!install_yaml(b == 0x11 ? SERVICE6("[{address: 'fd00:99::11', weight: 0}, "
					       "'fd00:99::12']")
				    : SERVICE6("['fd00:99::11', {address: 'fd00:99::12', "
					       "weight: 0}]")))
		return;
	old.tcp_flags = 0x10;
	ASSERT_EQ(backend6_of(&old), b, "the established flow stays on the draining backend");
	for (int i = 0; i < 200; i++) {
		snprintf(src, sizeof(src), "2001:db8:19::%x", i + 1);
		struct pkt_spec s = flow6(src, 2000 + i, 80, 0x02);

		to_drained += backend6_of(&s) == b;
	}
	ASSERT_EQ(to_drained, 0, "no new flow goes to the draining backend");
}

TEST(v6_missing_service_passes_untouched)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct pkt_spec s = flow6("2001:db8:5::7", 40000, 81, 0x02);
	__u64 pkts0;
	size_t len;
	__u32 n;

	if (!setup() || !install_yaml(SERVICE6("['fd00:99::11']")))
		return;
	pkts0 = svc6_counter().packets;
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "other port: passed");
	ASSERT_TRUE(n == len && !memcmp(in, out, len), "and not changed");
	s.dport = 80;
	s.proto = IPPROTO_UDP;
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "other protocol: passed");
	ASSERT_TRUE(n == len && !memcmp(in, out, len), "and not changed");
	s.proto = IPPROTO_TCP;
	s.dst = "2001:db8:99::2";
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "other address: passed");
	ASSERT_TRUE(n == len && !memcmp(in, out, len), "and not changed");
	/* the IPv4 address of the IPv4 service, written as IPv4-mapped IPv6: not that service */
	s.dst = "::ffff:" VIP;
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "::ffff:" VIP ": passed");
	ASSERT_EQ(svc6_counter().packets, pkts0, "nothing counted for the service");
}

/*
 * Extension headers (hop-by-hop, destination options): balanced, the chain carried as it is and
 * counted. Fragments: a first fragment dropped and counted, a later one (no ports) passed.
 */
TEST(v6_extension_headers_and_fragments)
{
	static const uint8_t hbh_dst[] = { 0, 60 }, frag[] = { 44 };
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct pkt_spec s = flow6("2001:db8:5::9", 41000, 80, 0x02);
	__u64 ext0, frags0, drops0;
	size_t len;
	__u32 n;

	if (!setup() || !install_yaml(SERVICE6("['fd00:99::11']")))
		return;
	svc6_counter();
	ext0 = st.misc[LB_M_V6_EXT];
	frags0 = st.misc[LB_M_FRAGMENT];
	s.ext = hbh_dst;
	s.n_ext = 2;
	s.payload = 10;
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_TX_, "hop-by-hop + destination options: balanced");
	ASSERT_EQ(n, len + 40, "40 bytes more");
	ASSERT_EQ(out[18] << 8 | out[19], 40 + 16 + 20 + 10, "outer payload counts the chain");
	ASSERT_OK(memcmp(out + 54, in + 14, len - 14), "the chain and all, unchanged");
	drops0 = svc6_counter().dropped;
	ASSERT_EQ(st.misc[LB_M_V6_EXT] - ext0, 1, "counted as v6_ext_headers");

	s.ext = frag;
	s.n_ext = 1;
	s.v6_frag_off = 1; /* offset 0, more fragments: the first, with ports */
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_DROP_, "first fragment dropped");
	ASSERT_EQ(svc6_counter().dropped - drops0, 1, "counted as the service's drop");
	ASSERT_EQ(st.misc[LB_M_FRAGMENT] - frags0, 1, "as a fragment");
	s.v6_frag_off = 8 << 3; /* offset 64 bytes: no ports here */
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "non-first fragment passed untouched");
	ASSERT_OK(memcmp(in, out, len), "unchanged");
	s.ext = NULL;
	s.n_ext = 0;
	s.vlans = 1;
	len = pkt_build(in, &s);
	ASSERT_EQ(run(in, len, out, &n), XDP_PASS_, "VLAN-tagged: passed untouched");
	ASSERT_OK(memcmp(in, out, len), "unchanged");
}

TEST(v6_failed_backend_loses_its_flows)
{
	struct pkt_spec s = flow6("2001:db8:51::9", 6000, 80, 0x02);
	__u32 slot = LB_MAX_BACKENDS;
	int b;

	if (!setup() || !install_yaml(SERVICE6("['fd00:99::11', 'fd00:99::12']")))
		return;
	b = backend6_of(&s);
	if (shield_balance_read(&H.maps, &st) || !ASSERT_EQ(st.n_svc, 2, "two services"))
		return;
	for (unsigned int i = 0; i < st.n_svc; i++)
		for (unsigned int j = 0; j < st.svc[i].n_be; j++)
			if (!lb_addr_is_v4(st.svc[i].be[j].be.addr) &&
			    ntohl(st.svc[i].be[j].be.addr[3]) == (__u32)b)
				slot = st.svc[i].be[j].slot;
	ASSERT_EQ(shield_balance_set_up(&H.maps, slot, false), 1, "marked down");
	s.tcp_flags = 0x10;
	ASSERT_TRUE(backend6_of(&s) && backend6_of(&s) != b, "the flow moved to the healthy one");
	ASSERT_EQ(shield_balance_set_up(&H.maps, slot, true), 1, "up again");
}

TEST(v6_parser_errors)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "shield:\n  balance:\n    tunnel_source: [10.0.0.9, 'fd00::9']\n    services:\n"
		  "      - { address: 10.0.0.1, port: 80, proto: tcp, backends: ['fd00::2'] }\n",
		  "t:5:63: error: backend fd00::2 is IPv6 but the service's address is IPv4" },
		{ "shield:\n  balance:\n    tunnel_source: [10.0.0.9, 'fd00::9']\n    services:\n"
		  "      - { address: '2001:db8::1', port: 80, proto: tcp, backends: [10.0.0.2] "
		  "}\n",
		  "t:5:68: error: backend 10.0.0.2 is IPv4 but the service's address is IPv6" },
		{ "shield:\n  balance:\n    tunnel_source: 10.0.0.9\n    services:\n      - { "
		  "name: v6, address: '2001:db8::1', port: 80, proto: tcp, backends: ['fd00::2'] "
		  "}\n",
		  "t:3:5: error: balance with IPv6 services (like 'v6') needs an IPv6 "
		  "tunnel_source" },
		{ "shield:\n  balance:\n    tunnel_source: ['fd00::9', 'fd00::8']\n",
		  "t:3:32: error: tunnel_source has two IPv6 addresses" },
		{ "shield:\n  balance:\n    tunnel_source: [10.0.0.9, 'fd00::9', 10.0.0.8]\n",
		  "t:3:42: error: tunnel_source takes at most two addresses" },
		{ "shield:\n  balance:\n    tunnel_source: 'fd00::9'\n    services:\n      - { "
		  "address: '2001:db8::zz', port: 80, proto: tcp, backends: ['fd00::2'] }\n",
		  "t:5:20: error: address must be an address like 192.0.2.10 or 2001:db8::10" },
		{ "shield:\n  balance:\n    tunnel_source: 'fd00::9'\n    services:\n      - { "
		  "address: 'ff02::1', port: 80, proto: tcp, backends: ['fd00::2'] }\n",
		  "t:5:20: error: address must be a unicast IPv6 address" },
		{ "shield:\n  balance:\n    tunnel_source: 'fd00::9'\n    services:\n      - { "
		  "address: '::ffff:10.0.0.1', port: 80, proto: tcp, backends: ['fd00::2'] }\n",
		  "write IPv4 as a.b.c.d" },
		{ "shield:\n  balance:\n    decapsulate: ['fd00::1', 'fd00::2', 'fd00::3', "
		  "'fd00::4', "
		  "10.0.0.1, 'fd00::5']\n",
		  "t:3:73: error: more than 4 IPv6 decapsulate sources" },
		{ "shield:\n  balance:\n    tunnel_source: 'fd00::9'\n    services:\n      - { "
		  "address: '2001:db8::1', port: 80, proto: tcp, backends: ['fd00::2', "
		  "'fd00:0::2'] "
		  "}\n",
		  "backend fd00:0::2 is listed twice" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shield_ruleset rs;

		if (!ASSERT_OK(shield_rules_init(&rs), "init"))
			return;
		ASSERT_EQ(shield_rules_parse_yaml(&rs, cases[i].yaml, strlen(cases[i].yaml), "t",
						  err, sizeof(err)),
			  -EINVAL, cases[i].want);
		if (!strstr(err, cases[i].want))
			printf("  case %zu: got '%s', want '%s'\n", i, err, cases[i].want);
		ASSERT_TRUE(strstr(err, cases[i].want) != NULL, "the error says what is wrong");
		shield_rules_free(&rs);
	}
}

TEST(v6_backend_decapsulates)
{
	uint8_t in[PKT_MAX], enc[PKT_MAX + 64], out[PKT_MAX + 64];
	struct pkt_spec s = flow6("2001:db8:5::7", 40000, 80, 0x02);
	size_t len;
	__u32 n, m;

	if (!setup() || !install_yaml(SERVICE6("['fd00:99::11']")))
		return;
	len = pkt_build(in, &s);
	if (!ASSERT_EQ(run(in, len, enc, &n), XDP_TX_, "encapsulated"))
		return;
	if (!install_yaml("shield:\n  balance:\n    decapsulate: [10.99.0.99, '" LB6 "']\n"))
		return;
	ASSERT_EQ(run(enc, n, out, &m), XDP_PASS_, "decapsulated and passed up");
	ASSERT_EQ(m, len, "40 bytes shorter");
	ASSERT_OK(memcmp(out + 12, in + 12, len - 12), "the inner packet, as the client sent it");
	ASSERT_OK(memcmp(out, enc, 12), "Ethernet addresses kept");
	if (!install_yaml("shield:\n  balance:\n    decapsulate: ['fd00:99::98']\n"))
		return;
	ASSERT_EQ(run(enc, n, out, &m), XDP_PASS_, "from an untrusted source: passed");
	ASSERT_TRUE(m == n && !memcmp(out, enc, n), "as it was");
}
