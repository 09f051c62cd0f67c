// SPDX-License-Identifier: GPL-2.0
/*
 * Shield verdicts and counters through BPF_PROG_TEST_RUN with crafted packets: every rule
 * type, every malformed case, shadow mode, sampled drop records, atomic reload, and the
 * rules parser (errors and a mutation fuzz).
 */
#include "harness.h"
#include "shield_pkt.h"
#include "shield/shield.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define XDP_DROP_ 1
#define XDP_PASS_ 2

static struct shield_handle H;
static bool loaded;
static char err[SHIELD_ERR_LEN];

/* Load once per binary; every test installs its own rule set. */
static bool setup(void)
{
	if (SKIP_UNLESS_ROOT())
		return false;
	if (!loaded) {
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

/* Install a rule set given as YAML text. */
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

static int run_prog(int fd, const void *pkt, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = 1);
	int ret = bpf_prog_test_run_opts(fd, &o);

	return ret ? -errno : (int)o.retval;
}

static int run_xdp(const void *pkt, size_t len)
{
	return run_prog(shield_prog_fd(&H, false), pkt, len);
}

static int verdict(const struct pkt_spec *s)
{
	uint8_t buf[PKT_MAX];

	return run_xdp(buf, pkt_build(buf, s));
}

static __u64 counter(int v, int r)
{
	struct shield_totals t;

	if (shield_read_counters(&H.maps, &t))
		return ~0ULL;
	return t.c[v][r].packets;
}

static __u64 rule_hits(__u32 rule_id)
{
	struct shield_state st;
	struct shield_counter c = {};

	if (shield_read_state(&H.maps, &st) ||
	    shield_read_rule_counter(&H.maps, st.active, rule_id, &c))
		return ~0ULL;
	return c.packets;
}

#define V4(src_, proto_, dport_)                                                                   \
	((struct pkt_spec){ .family = 4,                                                           \
			    .src = src_,                                                           \
			    .dst = "192.0.2.1",                                                    \
			    .proto = proto_,                                                       \
			    .sport = 40000,                                                        \
			    .dport = dport_,                                                       \
			    .tcp_flags = 0x10 })
#define V6(src_, proto_, dport_)                                                                   \
	((struct pkt_spec){ .family = 6,                                                           \
			    .src = src_,                                                           \
			    .dst = "2001:db8::1",                                                  \
			    .proto = proto_,                                                       \
			    .sport = 40000,                                                        \
			    .dport = dport_,                                                       \
			    .tcp_flags = 0x10 })

TEST(block_cidr_v4)
{
	struct pkt_spec in = V4("198.51.100.7", IPPROTO_TCP, 80);
	struct pkt_spec out = V4("198.51.101.7", IPPROTO_TCP, 80);
	__u64 d0, p0;

	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24]\n"))
		return;
	d0 = counter(SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR);
	p0 = counter(SHIELD_V_PASS, SHIELD_R_PASS);
	ASSERT_EQ(verdict(&in), XDP_DROP_, "blocked source");
	ASSERT_EQ(verdict(&out), XDP_PASS_, "neighbouring /24");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR) - d0, 1, "block counter");
	ASSERT_EQ(counter(SHIELD_V_PASS, SHIELD_R_PASS) - p0, 1, "pass counter");
	ASSERT_EQ(rule_hits(0), 1, "per-rule counter of 'block'");
}

/* Packets of tcp/PORT in the protocol and port table `top` shows. */
static __u64 port_packets(int port)
{
	static struct shield_counter l4[SHIELD_L4_SLOTS];

	if (shield_read_l4(&H.maps, l4))
		return ~0ULL;
	return l4[SHIELD_L4_TCP + port].packets;
}

/*
 * A blocked IPv4 source is dropped before the rest of its headers is read, whether the /24
 * table or a longer prefix (deep_v4) blocks it: a broken TCP header or IP total length behind
 * it is still a block-list drop, under its rule. Its packets stay out of top's port table,
 * which shows what got past the block list.
 */
TEST(blocked_source_decided_before_its_headers)
{
	static const char *const blocked[] = { "198.51.100.7", "203.0.113.7" };
	struct pkt_spec out = V4("198.51.101.7", IPPROTO_TCP, 8081);
	__u64 d0, r0, r1, l3, l4, p0;
	uint8_t buf[PKT_MAX];
	size_t len;

	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24, "
				      "{name: hosts, cidrs: [203.0.113.7/32]}]\n"))
		return;
	d0 = counter(SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR);
	l3 = counter(SHIELD_V_DROP, SHIELD_R_BAD_L3);
	l4 = counter(SHIELD_V_DROP, SHIELD_R_BAD_L4);
	r0 = rule_hits(0);
	r1 = rule_hits(1);
	p0 = port_packets(8081);
	for (int i = 0; i < 2; i++) {
		struct pkt_spec in = V4(blocked[i], IPPROTO_TCP, 8081);

		len = pkt_build(buf, &in);
		*(uint16_t *)(buf + 16) = htons(1400);
		ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "total length beyond the packet");
		len = pkt_build(buf, &in);
		buf[14 + 20 + 12] = 4 << 4;
		ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "TCP data offset 4");
		ASSERT_EQ(verdict(&in), XDP_DROP_, "well-formed");
	}
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR) - d0, 6, "all six block_cidr");
	ASSERT_EQ(rule_hits(0) - r0, 3, "three under the /24's rule");
	ASSERT_EQ(rule_hits(1) - r1, 3, "three under the /32's rule");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BAD_L3) - l3, 0, "none malformed_l3");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BAD_L4) - l4, 0, "none malformed_l4");
	ASSERT_EQ(port_packets(8081) - p0, 0, "blocked packets not in the port table");
	ASSERT_EQ(verdict(&out), XDP_PASS_, "another source");
	ASSERT_EQ(port_packets(8081) - p0, 1, "its packet in the port table");
}

TEST(block_cidr_v6)
{
	struct pkt_spec in = V6("2001:db8:bad::5", IPPROTO_UDP, 53);
	struct pkt_spec out = V6("2001:db8:600d::5", IPPROTO_UDP, 53);

	if (!setup() || !install_yaml("shield:\n  block: ['2001:db8:bad::/48']\n"))
		return;
	ASSERT_EQ(verdict(&in), XDP_DROP_, "blocked v6 source");
	ASSERT_EQ(verdict(&out), XDP_PASS_, "other v6 source");
}

TEST(longest_prefix_wins)
{
	struct pkt_spec a = V4("10.1.2.3", IPPROTO_UDP, 1000);
	struct pkt_spec b = V4("10.1.2.66", IPPROTO_UDP, 1000);
	struct pkt_spec c = V4("10.1.9.9", IPPROTO_UDP, 1000);

	if (!setup() || !install_yaml("shield:\n  block: [10.1.0.0/16, 10.1.2.64/26]\n"
				      "  allow: [10.1.2.0/24]\n"))
		return;
	ASSERT_EQ(verdict(&a), XDP_PASS_, "allow /24 carved out of block /16");
	ASSERT_EQ(verdict(&b), XDP_DROP_, "block /26 inside allow /24");
	ASSERT_EQ(verdict(&c), XDP_DROP_, "rest of the /16");
}

/* Longer prefixes inside a /24, nested, with their rules: bucket (few) and trie (many). */
static void check_nested_deep(const char *why)
{
	static const struct {
		const char *src;
		int want;
	} cases[] = {
		{ "10.9.8.1", XDP_PASS_ },   /* the /24's own: allow (carved out of the /16) */
		{ "10.9.8.130", XDP_DROP_ }, /* block /25 */
		{ "10.9.8.145", XDP_PASS_ }, /* allow /28 inside it */
		{ "10.9.8.150", XDP_DROP_ }, /* block /32 inside the /28 */
		{ "10.9.8.255", XDP_DROP_ }, /* the /25 again */
		{ "10.9.9.130", XDP_DROP_ }, /* the /16, outside the deep /24 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_spec s = V4(cases[i].src, IPPROTO_UDP, 53);
		char what[96];

		snprintf(what, sizeof(what), "%s: %s", why, cases[i].src);
		ASSERT_EQ(verdict(&s), cases[i].want, what);
	}
}

TEST(deep_prefixes_in_buckets_and_trie)
{
	if (!setup() || !install_yaml("shield:\n  block: [10.9.0.0/16, 10.9.8.128/25]\n"
				      "  allow: [10.9.8.0/24, 10.9.8.144/28]\n"
				      "  block:\n"
				      "    - {name: one, cidrs: [10.9.8.150/32]}\n"))
		return;
	check_nested_deep("3 longer prefixes (a bucket)");
	ASSERT_EQ(rule_hits(2), 1, "the /32's own rule counter");
	/* nine longer prefixes do not fit a bucket: the same answers from the trie */
	if (!install_yaml("shield:\n  block: [10.9.0.0/16, 10.9.8.128/25]\n"
			  "  allow: [10.9.8.0/24, 10.9.8.144/28]\n"
			  "  block:\n"
			  "    - {name: one, cidrs: [10.9.8.150/32]}\n"
			  "    - {name: more, cidrs: [10.9.8.2/32, 10.9.8.4/32, 10.9.8.6/32, "
			  "10.9.8.8/32, 10.9.8.10/32, 10.9.8.12/32]}\n"))
		return;
	check_nested_deep("9 longer prefixes (the trie)");
	ASSERT_EQ(rule_hits(2), 1, "the /32's own rule counter");
	{
		struct pkt_spec s = V4("10.9.8.12", IPPROTO_UDP, 53);

		ASSERT_EQ(verdict(&s), XDP_DROP_, "one of the nine");
	}
}

/* 50,000 /24s with a /32 each: most in buckets, the rest (full buckets) in the trie. */
TEST(many_deep_24s)
{
	struct shield_prefix p = { .family = 4, .len = 32, .action = SHIELD_ACT_BLOCK };
	struct shield_ruleset rs;
	__u32 n = 50000, wrong_in = 0, wrong_out = 0;

	if (!setup() || !ASSERT_OK(shield_rules_init(&rs), "init"))
		return;
	p.rule_id = SHIELD_NO_RULE;
	rs.prefixes = calloc(n, sizeof(p));
	if (!ASSERT_NOT_NULL(rs.prefixes, "prefixes")) {
		shield_rules_free(&rs);
		return;
	}
	rs.cap_prefixes = n;
	for (__u32 i = 0; i < n; i++) {
		__u32 a = htonl((20u << 24) | i << 8 | 77); /* 20.x.y.77, a /24 each */

		memcpy(p.addr, &a, 4);
		rs.prefixes[rs.n_prefixes++] = p;
	}
	log_set_level(LOG_DEBUG); /* says how many went to buckets and how many to the trie */
	if (ASSERT_OK(shield_install(&H.maps, &rs, err, sizeof(err)), err)) {
		log_set_level(LOG_INFO);
		for (__u32 i = 0; i < n; i++) {
			uint8_t buf[PKT_MAX];
			struct pkt_spec s = V4("0.0.0.0", IPPROTO_UDP, 53);
			char addr[INET_ADDRSTRLEN];
			__u32 a;

			memcpy(&a, rs.prefixes[i].addr, 4);
			inet_ntop(AF_INET, &a, addr, sizeof(addr));
			s.src = addr;
			wrong_in += run_xdp(buf, pkt_build(buf, &s)) != XDP_DROP_;
			a = htonl(ntohl(a) + 1); /* .78: the same /24, not blocked */
			inet_ntop(AF_INET, &a, addr, sizeof(addr));
			wrong_out += run_xdp(buf, pkt_build(buf, &s)) != XDP_PASS_;
		}
		ASSERT_EQ(wrong_in, 0, "blocked /32s that passed");
		ASSERT_EQ(wrong_out, 0, "their neighbours that were dropped");
	}
	shield_rules_free(&rs);
}

TEST(management_never_blocked)
{
	struct pkt_spec m = V4("10.9.9.9", IPPROTO_TCP, 22);
	struct pkt_spec o = V4("10.9.9.9", IPPROTO_TCP, 22);
	uint8_t buf[PKT_MAX];
	size_t len;
	int drops = 0;

	if (!setup() || !install_yaml("shield:\n"
				      "  management: [10.9.0.0/16]\n"
				      "  block: [10.0.0.0/8, 10.9.9.0/24, 10.9.9.9/32]\n"
				      "  ports: [{proto: tcp, port: 22, action: block}]\n"
				      "  rate_limit: {packets_per_sec: 1, packets_burst: 1}\n"
				      "  syn_limit: {per_sec: 1, burst: 1}\n"))
		return;
	m.tcp_flags = 0x02;
	for (int i = 0; i < 50; i++)
		drops += verdict(&m) != XDP_PASS_;
	ASSERT_EQ(drops, 0, "management source dropped");
	/* a malformed TCP header from management still passes (the kernel judges it) */
	len = pkt_build(buf, &m);
	buf[14 + 20 + 12] = 2 << 4; /* data offset 2 */
	ASSERT_EQ(run_xdp(buf, len), XDP_PASS_, "management, bad TCP header");
	o.src = "10.8.0.1";
	ASSERT_EQ(verdict(&o), XDP_DROP_, "outside management, inside block /8");
}

TEST(port_and_protocol_rules)
{
	struct pkt_spec telnet = V4("203.0.113.5", IPPROTO_TCP, 23);
	struct pkt_spec web = V4("203.0.113.5", IPPROTO_TCP, 80);
	struct pkt_spec chargen = V4("203.0.113.5", IPPROTO_UDP, 5000);
	struct pkt_spec gre = V4("203.0.113.5", 47, 0);
	struct pkt_spec range = V6("2001:db8::9", IPPROTO_TCP, 8050);
	__u64 d0;

	if (!setup() || !install_yaml("shield:\n  ports:\n"
				      "    - {proto: tcp, port: 23, action: block, name: telnet}\n"
				      "    - {proto: udp, src_port: 19, action: block}\n"
				      "    - {proto: gre, action: block}\n"
				      "    - {proto: tcp, port: 8000-8100, action: allow}\n"
				      "  rate_limit: {packets_per_sec: 1, packets_burst: 1}\n"))
		return;
	d0 = counter(SHIELD_V_DROP, SHIELD_R_BLOCK_PORT);
	ASSERT_EQ(verdict(&telnet), XDP_DROP_, "tcp/23");
	ASSERT_EQ(rule_hits(0), 1, "telnet rule counter");
	ASSERT_EQ(verdict(&web), XDP_PASS_, "tcp/80");
	chargen.sport = 19;
	ASSERT_EQ(verdict(&chargen), XDP_DROP_, "udp source port 19");
	chargen.sport = 20;
	ASSERT_EQ(verdict(&chargen), XDP_DROP_, "rate limit 1/s after the first packet");
	ASSERT_EQ(verdict(&gre), XDP_DROP_, "protocol gre");
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(verdict(&range), XDP_PASS_, "allowed port range skips rate limits");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BLOCK_PORT) - d0, 3, "port drops");
}

/*
 * The program looks up only the kinds of port rule a set has (SHIELD_CFG_PT_*): each kind
 * alone in a set still drops its packet, and a packet of another kind passes.
 */
TEST(each_kind_of_port_rule_alone)
{
	static const struct {
		const char *rule;
		int proto, sport, dport;
	} kinds[] = {
		{ "{proto: tcp, port: 7001, action: block}", IPPROTO_TCP, 40000, 7001 },
		{ "{proto: udp, port: 7001, action: block}", IPPROTO_UDP, 40000, 7001 },
		{ "{proto: tcp, src_port: 7001, action: block}", IPPROTO_TCP, 7001, 80 },
		{ "{proto: udp, src_port: 7001, action: block}", IPPROTO_UDP, 7001, 80 },
		{ "{proto: icmp, action: block}", IPPROTO_ICMP, 0, 0 },
	};
	char yaml[128];

	if (!setup())
		return;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct pkt_spec hit = V4("203.0.113.5", kinds[k].proto, kinds[k].dport);
		struct pkt_spec other = V4("203.0.113.5", IPPROTO_TCP, 7002);

		snprintf(yaml, sizeof(yaml), "shield:\n  ports: [%s]\n", kinds[k].rule);
		if (!install_yaml(yaml))
			return;
		hit.sport = kinds[k].sport;
		ASSERT_EQ(verdict(&hit), XDP_DROP_, kinds[k].rule);
		ASSERT_EQ(verdict(&other), XDP_PASS_, "tcp 40000 -> 7002 passes");
	}
}

static int burst_pass(struct pkt_spec *s, int n)
{
	int pass = 0;

	for (int i = 0; i < n; i++)
		pass += verdict(s) == XDP_PASS_;
	return pass;
}

TEST(rate_limit_pps_per_prefix)
{
	struct pkt_spec a = V4("100.64.1.1", IPPROTO_UDP, 53);
	struct pkt_spec b = V4("100.64.1.200", IPPROTO_UDP, 53);
	struct pkt_spec c = V4("100.64.2.1", IPPROTO_UDP, 53);
	int pass;

	if (!setup() || !install_yaml("shield:\n  rate_limit:\n    packets_per_sec: 10\n"
				      "    packets_burst: 10\n    prefix_v4: 24\n"))
		return;
	pass = burst_pass(&a, 50);
	ASSERT_GE(pass, 10, "burst admitted");
	ASSERT_TRUE(pass <= 11, "no more than the burst (+1 refill) admitted");
	ASSERT_EQ(verdict(&b), XDP_DROP_, "same /24 shares the bucket");
	ASSERT_EQ(verdict(&c), XDP_PASS_, "another /24 has its own bucket");
	ASSERT_GE(counter(SHIELD_V_DROP, SHIELD_R_RATE_PPS), 40, "rate_pps drops counted");
}

TEST(rate_limit_v6_per_64)
{
	struct pkt_spec a = V6("2001:db8:1:2::1", IPPROTO_UDP, 53);
	struct pkt_spec b = V6("2001:db8:1:2:ffff::9", IPPROTO_UDP, 53);
	struct pkt_spec c = V6("2001:db8:1:3::1", IPPROTO_UDP, 53);

	if (!setup() || !install_yaml("shield:\n  rate_limit: {packets_per_sec: 5, "
				      "packets_burst: 5, prefix_v6: 64}\n"))
		return;
	ASSERT_TRUE(burst_pass(&a, 20) <= 6, "burst");
	ASSERT_EQ(verdict(&b), XDP_DROP_, "address rotation within the /64");
	ASSERT_EQ(verdict(&c), XDP_PASS_, "next /64");
}

TEST(rate_limit_bps)
{
	struct pkt_spec a = V4("100.65.0.1", IPPROTO_UDP, 53);
	int pass;

	a.payload = 158; /* 14 + 20 + 8 + 158 = 200 bytes */
	if (!setup() ||
	    !install_yaml("shield:\n  rate_limit: {bytes_per_sec: 1000, bytes_burst: 1000}\n"))
		return;
	pass = burst_pass(&a, 30);
	ASSERT_GE(pass, 5, "1000 bytes of burst = 5 packets of 200");
	ASSERT_TRUE(pass <= 6, "not more");
	ASSERT_GE(counter(SHIELD_V_DROP, SHIELD_R_RATE_BPS), 24, "rate_bps drops");
}

TEST(syn_budget)
{
	struct pkt_spec syn = V4("100.66.0.1", IPPROTO_TCP, 443);
	struct pkt_spec ack = V4("100.66.0.1", IPPROTO_TCP, 443);
	struct pkt_spec synack = V4("100.66.0.1", IPPROTO_TCP, 443);
	int pass;

	syn.tcp_flags = 0x02;
	synack.tcp_flags = 0x12;
	if (!setup() || !install_yaml("shield:\n  syn_limit: {per_sec: 3, burst: 3}\n"))
		return;
	pass = burst_pass(&syn, 20);
	ASSERT_TRUE(pass >= 3 && pass <= 4, "SYN budget of 3");
	ASSERT_EQ(burst_pass(&ack, 20), 20, "established traffic is not limited");
	ASSERT_EQ(burst_pass(&synack, 5), 5, "SYN-ACK is not a new connection");
	ASSERT_GE(counter(SHIELD_V_DROP, SHIELD_R_SYN_BUDGET), 16, "syn_budget drops");
}

TEST(icmp_limit)
{
	struct pkt_spec ping = V4("100.67.0.1", IPPROTO_ICMP, 0);
	struct pkt_spec ping6 = V6("2001:db8:67::1", IPPROTO_ICMPV6, 0);
	struct pkt_spec udp = V4("100.67.0.1", IPPROTO_UDP, 53);

	if (!setup() || !install_yaml("shield:\n  icmp_limit: {per_sec: 2, burst: 2}\n"))
		return;
	ASSERT_TRUE(burst_pass(&ping, 10) <= 3, "ICMP limited");
	ASSERT_TRUE(burst_pass(&ping6, 10) <= 3, "ICMPv6 limited");
	ASSERT_EQ(burst_pass(&udp, 10), 10, "UDP from the same source not limited");
}

TEST(shadow_mode)
{
	struct pkt_spec in = V4("198.51.100.7", IPPROTO_TCP, 80);
	uint8_t buf[PKT_MAX];
	__u64 s0, d0;
	size_t len;

	if (!setup() || !install_yaml("shield:\n  shadow: true\n  block: [198.51.100.0/24]\n"))
		return;
	s0 = counter(SHIELD_V_SHADOW, SHIELD_R_BLOCK_CIDR);
	d0 = counter(SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR);
	ASSERT_EQ(verdict(&in), XDP_PASS_, "shadow passes a blocked source");
	ASSERT_EQ(counter(SHIELD_V_SHADOW, SHIELD_R_BLOCK_CIDR) - s0, 1, "counted as shadow");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BLOCK_CIDR) - d0, 0, "not as a drop");
	len = pkt_build(buf, &in);
	buf[14] = 0x44; /* IHL 4 */
	ASSERT_EQ(run_xdp(buf, len), XDP_PASS_, "shadow passes malformed too");
}

TEST(fragments)
{
	struct pkt_spec first = V4("203.0.113.9", IPPROTO_TCP, 23);
	struct pkt_spec later = V4("203.0.113.9", IPPROTO_TCP, 23);
	struct pkt_spec blocked = V4("198.51.100.9", IPPROTO_TCP, 80);
	struct pkt_spec v6later = V6("2001:db8::7", IPPROTO_TCP, 23);
	static const uint8_t frag[] = { 44 };
	__u64 f0;

	first.frag_off = 0x2000;       /* MF, offset 0: has the TCP header */
	later.frag_off = 0x2000 | 185; /* offset 1480: no L4 header */
	blocked.frag_off = 0x2000 | 185;
	v6later.ext = frag;
	v6later.n_ext = 1;
	v6later.v6_frag_off = 185 << 3;
	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24]\n"
				      "  ports: [{proto: tcp, port: 23, action: block}]\n"))
		return;
	ASSERT_EQ(verdict(&first), XDP_DROP_, "first fragment: port rule applies");
	ASSERT_EQ(verdict(&later), XDP_PASS_, "later fragment: no ports to judge, passes");
	ASSERT_EQ(verdict(&blocked), XDP_DROP_, "later fragment from a blocked source");
	ASSERT_EQ(verdict(&v6later), XDP_PASS_, "IPv6 later fragment");
	v6later.v6_frag_off = 1; /* M flag only: first fragment */
	ASSERT_EQ(verdict(&v6later), XDP_DROP_, "IPv6 first fragment: port rule applies");

	if (!install_yaml("shield:\n  fragments: drop\n"))
		return;
	f0 = counter(SHIELD_V_DROP, SHIELD_R_FRAGMENT);
	ASSERT_EQ(verdict(&later), XDP_DROP_, "fragments: drop");
	ASSERT_EQ(verdict(&first), XDP_DROP_, "first fragment too");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_FRAGMENT) - f0, 2, "fragment counter");
}

TEST(vlan_and_qinq)
{
	struct pkt_spec s = V4("198.51.100.7", IPPROTO_UDP, 53);
	uint8_t buf[PKT_MAX];
	__u64 l2;

	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24]\n"))
		return;
	s.vlans = 1;
	ASSERT_EQ(verdict(&s), XDP_DROP_, "802.1Q: rules apply to the inner packet");
	s.vlans = 2;
	ASSERT_EQ(verdict(&s), XDP_DROP_, "QinQ: rules apply to the inner packet");
	s.src = "198.51.101.7";
	ASSERT_EQ(verdict(&s), XDP_PASS_, "QinQ, other source");
	l2 = counter(SHIELD_V_DROP, SHIELD_R_BAD_L2);
	s.vlans = 3;
	ASSERT_EQ(verdict(&s), XDP_DROP_, "three tags: dropped");
	s.vlans = 1;
	pkt_build(buf, &s);
	ASSERT_EQ(run_xdp(buf, 16), XDP_DROP_, "truncated VLAN tag");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BAD_L2) - l2, 2, "malformed_l2 counter");
}

TEST(non_ip_passes)
{
	uint8_t buf[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06 };

	if (!setup() || !install_yaml("shield:\n  block: [0.0.0.0/0, '::/0']\n"))
		return;
	ASSERT_EQ(run_xdp(buf, sizeof(buf)), XDP_PASS_, "ARP passes even when all IP is blocked");
}

TEST(malformed_ipv4)
{
	struct pkt_spec s = V4("203.0.113.1", IPPROTO_TCP, 80);
	uint8_t buf[PKT_MAX];
	size_t len;
	__u64 l3;

	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24]\n"))
		return;
	l3 = counter(SHIELD_V_DROP, SHIELD_R_BAD_L3);
	len = pkt_build(buf, &s);
	ASSERT_EQ(run_xdp(buf, len), XDP_PASS_, "well-formed baseline");
	ASSERT_EQ(run_xdp(buf, 14 + 19), XDP_DROP_, "IP header cut at 19 bytes");
	buf[14] = 0x44;
	ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "IHL 4 (< 20 bytes)");
	buf[14] = 0x4f;
	ASSERT_EQ(run_xdp(buf, 14 + 40), XDP_DROP_, "IHL 15 past the end");
	buf[14] = 0x55;
	ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "version 5");
	len = pkt_build(buf, &s);
	*(uint16_t *)(buf + 16) = htons(1400);
	ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "total length beyond the packet");
	*(uint16_t *)(buf + 16) = htons(10);
	ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "total length below the header");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BAD_L3) - l3, 6, "malformed_l3 counter");
}

TEST(malformed_l4)
{
	struct pkt_spec tcp = V4("203.0.113.1", IPPROTO_TCP, 80);
	struct pkt_spec udp = V4("203.0.113.1", IPPROTO_UDP, 53);
	struct pkt_spec icmp = V4("203.0.113.1", IPPROTO_ICMP, 0);
	struct pkt_spec tcp6 = V6("2001:db8::1", IPPROTO_TCP, 80);
	uint8_t buf[PKT_MAX];
	size_t len;
	__u64 l4;

	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24]\n"))
		return;
	l4 = counter(SHIELD_V_DROP, SHIELD_R_BAD_L4);
	/* IP total length must agree, or it is (correctly) an L3 error */
	len = pkt_build(buf, &tcp);
	*(uint16_t *)(buf + 16) = htons(20 + 10);
	ASSERT_EQ(run_xdp(buf, 14 + 30), XDP_DROP_, "TCP header cut at 10 bytes");
	len = pkt_build(buf, &tcp);
	buf[14 + 20 + 12] = 4 << 4;
	ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "TCP data offset 4");
	buf[14 + 20 + 12] = 15 << 4;
	ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "TCP data offset past the packet");
	pkt_build(buf, &udp);
	*(uint16_t *)(buf + 16) = htons(20 + 4);
	ASSERT_EQ(run_xdp(buf, 14 + 24), XDP_DROP_, "UDP header cut at 4 bytes");
	pkt_build(buf, &icmp);
	*(uint16_t *)(buf + 16) = htons(20 + 4);
	ASSERT_EQ(run_xdp(buf, 14 + 24), XDP_DROP_, "ICMP header cut at 4 bytes");
	pkt_build(buf, &tcp6);
	*(uint16_t *)(buf + 18) = htons(8);
	ASSERT_EQ(run_xdp(buf, 14 + 48), XDP_DROP_, "IPv6 TCP header cut at 8 bytes");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BAD_L4) - l4, 6, "malformed_l4 counter");
}

TEST(ipv6_extension_chain)
{
	static const uint8_t three[] = { 0, 60, 43 }; /* hop-by-hop, destination, routing */
	static const uint8_t nine[] = { 0, 60, 43, 60, 60, 60, 60, 60, 60 };
	static const uint8_t eight[] = { 0, 60, 43, 60, 60, 60, 60, 60 };
	struct pkt_spec s = V6("2001:db8::5", IPPROTO_TCP, 23);
	struct pkt_spec none = V6("2001:db8::5", 59, 0); /* no next header */
	uint8_t buf[PKT_MAX];
	size_t len;
	__u64 ext;

	if (!setup() ||
	    !install_yaml("shield:\n  ports: [{proto: tcp, port: 23, action: block}]\n"))
		return;
	ext = counter(SHIELD_V_DROP, SHIELD_R_BAD_EXT);
	s.ext = three;
	s.n_ext = 3;
	ASSERT_EQ(verdict(&s), XDP_DROP_, "port rule found behind three extension headers");
	s.dport = 80;
	ASSERT_EQ(verdict(&s), XDP_PASS_, "same chain, other port");
	s.ext = eight;
	s.n_ext = 8;
	ASSERT_EQ(verdict(&s), XDP_PASS_, "eight headers: the limit, still parsed");
	s.ext = nine;
	s.n_ext = 9;
	ASSERT_EQ(verdict(&s), XDP_DROP_, "nine headers: longer than we walk");
	s.ext = three;
	s.n_ext = 3;
	len = pkt_build(buf, &s);
	*(uint16_t *)(buf + 18) = htons(8 + 4);
	ASSERT_EQ(run_xdp(buf, 14 + 40 + 12), XDP_DROP_, "extension header cut short");
	len = pkt_build(buf, &s);
	buf[14 + 40 + 8 + 1] = 200; /* destination options claims 1608 bytes */
	ASSERT_EQ(run_xdp(buf, len), XDP_DROP_, "extension length past the packet");
	ASSERT_EQ(counter(SHIELD_V_DROP, SHIELD_R_BAD_EXT) - ext, 3, "malformed_ipv6_ext counter");
	ASSERT_EQ(verdict(&none), XDP_PASS_, "no next header: L3 only, passes");
}

TEST(malformed_fuzz_never_crashes)
{
	struct pkt_spec s = V6("2001:db8::5", IPPROTO_TCP, 80);
	static const uint8_t chain[] = { 0, 44, 60 };
	uint8_t buf[PKT_MAX];
	int bad = 0;
	size_t len;

	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24]\n"
				      "  rate_limit: {packets_per_sec: 1M}\n"))
		return;
	s.ext = chain;
	s.n_ext = 3;
	srand(42);
	for (int i = 0; i < 20000; i++) {
		int r;

		len = pkt_build(buf, i & 1 ? &s : &(struct pkt_spec)V4("1.2.3.4", IPPROTO_UDP, 9));
		for (int k = 0; k < 1 + rand() % 4; k++)
			buf[14 + rand() % (len - 14)] = rand();
		len = 14 + rand() % (len - 13);
		r = run_xdp(buf, len);
		bad += r != XDP_PASS_ && r != XDP_DROP_;
	}
	ASSERT_EQ(bad, 0, "every mutated packet got PASS or DROP");
}

struct sample_ctx {
	int n;
	struct vigil_net_drop_event ev;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct sample_ctx *c = ctx;

	if (size >= sizeof(c->ev)) {
		memcpy(&c->ev, data, sizeof(c->ev));
		c->n++;
	}
	return 0;
}

TEST(sampled_drop_records)
{
	struct pkt_spec s = V4("198.51.100.77", IPPROTO_UDP, 4444);
	struct sample_ctx sc = {};
	struct ring_buffer *rb;
	uint8_t src[4];

	if (!setup() || !install_yaml("shield:\n  block: [{name: bad-net, cidrs: "
				      "[198.51.100.0/24]}]\n  drop_sample: 1\n"))
		return;
	rb = ring_buffer__new(H.maps.events, on_sample, &sc, NULL);
	if (!ASSERT_NOT_NULL(rb, "ring buffer"))
		return;
	ring_buffer__consume(rb); /* drain earlier tests' records */
	sc.n = 0;
	ASSERT_EQ(verdict(&s), XDP_DROP_, "drop");
	ring_buffer__consume(rb);
	ASSERT_EQ(sc.n, 1, "one record per drop with drop_sample: 1");
	inet_pton(AF_INET, "198.51.100.77", src);
	ASSERT_EQ(sc.ev.hdr.type, VIGIL_EV_NET_DROP, "type net_drop");
	ASSERT_EQ(sc.ev.hdr.size, sizeof(sc.ev), "size");
	ASSERT_EQ(sc.ev.reason, SHIELD_R_BLOCK_CIDR, "reason");
	ASSERT_EQ(sc.ev.rule_id, 0, "rule");
	ASSERT_EQ(sc.ev.family, 4, "family");
	ASSERT_EQ(sc.ev.proto, IPPROTO_UDP, "proto");
	ASSERT_EQ(sc.ev.dport, 4444, "dport");
	ASSERT_TRUE(!memcmp(sc.ev.src, src, 4), "source address");

	if (install_yaml("shield:\n  block: [198.51.100.0/24]\n  drop_sample: 8\n")) {
		ring_buffer__consume(rb);
		sc.n = 0;
		for (int i = 0; i < 64; i++)
			verdict(&s);
		ring_buffer__consume(rb);
		/* per-CPU sampling: 64 drops on at most a few CPUs give 8 +- CPUs records */
		ASSERT_TRUE(sc.n >= 6 && sc.n <= 10, "about 1 in 8 sampled");
	}
	ring_buffer__free(rb);
}

/*
 * Atomic reload. Set A blocks source X by CIDR; set B allows X by CIDR but blocks X's port.
 * Each set drops X->P; a mix of B's trie with A's port table would pass it. A reader thread
 * sends X->P and an innocent Y->Q packet while the main thread flips A/B many times: every
 * verdict must be DROP for X->P and PASS for Y->Q.
 */
struct reload_ctx {
	atomic_int stop;
	long runs, wrong_x, wrong_y, errors;
};

static void *reader(void *arg)
{
	struct pkt_spec x = V4("198.51.100.10", IPPROTO_TCP, 8080);
	struct pkt_spec y = V4("192.0.2.77", IPPROTO_TCP, 443);
	struct reload_ctx *c = arg;
	uint8_t bx[PKT_MAX], by[PKT_MAX];
	size_t lx = pkt_build(bx, &x), ly = pkt_build(by, &y);

	while (!atomic_load(&c->stop)) {
		int rx = run_xdp(bx, lx), ry = run_xdp(by, ly);

		c->runs++;
		c->errors += rx < 0 || ry < 0;
		c->wrong_x += rx != XDP_DROP_;
		c->wrong_y += ry != XDP_PASS_;
	}
	return NULL;
}

static bool reload_set(struct shield_ruleset *rs, bool a, int filler)
{
	char cidr[32];

	if (shield_rules_init(rs))
		return false;
	if (a)
		shield_rules_add_cidr(rs, "198.51.100.0/24", SHIELD_ACT_BLOCK, -1, err,
				      sizeof(err));
	else {
		shield_rules_add_cidr(rs, "198.51.100.0/24", SHIELD_ACT_ALLOW, -1, err,
				      sizeof(err));
		shield_rules_add_port(rs, IPPROTO_TCP, false, 8080, 8080, false, SHIELD_ACT_BLOCK,
				      -1, err, sizeof(err));
	}
	/* filler prefixes so that a swap has real work to do */
	for (int i = 0; i < filler; i++) {
		snprintf(cidr, sizeof(cidr), "10.%d.%d.0/24", (i >> 8) & 255, i & 255);
		shield_rules_add_cidr(rs, cidr, SHIELD_ACT_BLOCK, -1, err, sizeof(err));
	}
	return true;
}

TEST(atomic_reload_under_traffic)
{
	struct reload_ctx c = {};
	struct shield_ruleset rs;
	pthread_t t;
	int reloads = 0;

	if (!setup() || !reload_set(&rs, true, 0))
		return;
	ASSERT_OK(shield_install(&H.maps, &rs, err, sizeof(err)), err);
	shield_rules_free(&rs);
	if (!ASSERT_OK(pthread_create(&t, NULL, reader, &c), "reader thread"))
		return;
	for (int i = 0; i < 60; i++) {
		if (!reload_set(&rs, i & 1, 2000))
			break;
		if (!ASSERT_OK(shield_install(&H.maps, &rs, err, sizeof(err)), err)) {
			shield_rules_free(&rs);
			break;
		}
		shield_rules_free(&rs);
		reloads++;
	}
	atomic_store(&c.stop, 1);
	pthread_join(t, NULL);
	printf("  %d reloads, %ld packet pairs judged during them\n", reloads, c.runs);
	ASSERT_EQ(reloads, 60, "reloads");
	ASSERT_GE(c.runs, 100, "the reader ran during the reloads");
	ASSERT_EQ(c.errors, 0, "test-run errors");
	ASSERT_EQ(c.wrong_x, 0, "blocked packet passed mid-swap");
	ASSERT_EQ(c.wrong_y, 0, "legitimate packet dropped mid-swap");
}

TEST(reload_million_prefixes)
{
	struct pkt_spec in = V4("198.51.100.10", IPPROTO_UDP, 53);
	struct pkt_spec filler = V4("11.22.33.1", IPPROTO_UDP, 53);
	struct pkt_spec ok = V4("192.0.2.77", IPPROTO_UDP, 53);
	struct shield_prefix p = { .family = 4, .len = 32, .action = SHIELD_ACT_BLOCK };
	struct shield_state st;
	struct shield_ruleset rs;

	if (!setup() || !ASSERT_OK(shield_rules_init(&rs), "init"))
		return;
	p.rule_id = SHIELD_NO_RULE;
	/* 1,000,000 /32s in 11.0.0.0/8 plus the test's /24 */
	for (__u32 i = 0; i < 1000000; i++) {
		__u32 a = htonl((11u << 24) | (i * 16 + 1));

		memcpy(p.addr, &a, 4);
		if (rs.n_prefixes == rs.cap_prefixes) {
			size_t cap = rs.cap_prefixes ? rs.cap_prefixes * 2 : 1024;

			rs.prefixes = realloc(rs.prefixes, cap * sizeof(p));
			rs.cap_prefixes = cap;
		}
		rs.prefixes[rs.n_prefixes++] = p;
	}
	shield_rules_add_cidr(&rs, "198.51.100.0/24", SHIELD_ACT_BLOCK, -1, err, sizeof(err));
	filler.src = "11.0.0.17"; /* (1 * 16 + 1) */
	if (ASSERT_OK(shield_install(&H.maps, &rs, err, sizeof(err)), err)) {
		ASSERT_OK(shield_read_state(&H.maps, &st), "state");
		ASSERT_EQ(st.n_prefixes, 1000001, "prefixes installed");
		ASSERT_EQ(verdict(&in), XDP_DROP_, "blocked /24 among a million");
		ASSERT_EQ(verdict(&filler), XDP_DROP_, "one of the million");
		ASSERT_EQ(verdict(&ok), XDP_PASS_, "legitimate");
	}
	shield_rules_free(&rs);
	/* and back to a small set: the big trie is freed */
	install_yaml("shield:\n  block: [198.51.100.0/24]\n");
	ASSERT_EQ(verdict(&filler), XDP_PASS_, "million-prefix set replaced");
}

TEST(tc_program_same_verdicts)
{
	struct pkt_spec in = V4("198.51.100.7", IPPROTO_TCP, 80);
	struct pkt_spec out = V4("198.51.101.7", IPPROTO_TCP, 80);
	uint8_t buf[PKT_MAX];
	int fd;

	if (!setup() || !install_yaml("shield:\n  block: [198.51.100.0/24]\n"))
		return;
	fd = shield_prog_fd(&H, true);
	ASSERT_EQ(run_prog(fd, buf, pkt_build(buf, &in)), 2, "tc: TC_ACT_SHOT for blocked");
	ASSERT_EQ(run_prog(fd, buf, pkt_build(buf, &out)), -1, "tc: TCX_NEXT for others");
}

/* ---- rules parser ---- */

static int parse(const char *yaml)
{
	struct shield_ruleset rs;
	int ret;

	shield_rules_init(&rs);
	err[0] = '\0';
	ret = shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "r.yaml", err, sizeof(err));
	shield_rules_free(&rs);
	return ret;
}

static void expect_error(const char *yaml, const char *needle)
{
	char what[300];

	snprintf(what, sizeof(what), "error for %s mentions '%s' (got: %s)", yaml, needle, err);
	ASSERT_EQ(parse(yaml), -EINVAL, yaml);
	ASSERT_TRUE(strstr(err, needle) != NULL, what);
}

TEST(rules_parser_errors)
{
	struct shield_ruleset rs;
	const char *good = "other: {x: 1}\nshield:\n  block: [192.0.2.0/24, '2001:db8::/32']\n"
			   "  management: [10.0.0.1]\n"
			   "  ports: [{proto: udp, port: 53, action: allow}]\n"
			   "  rate_limit: {packets_per_sec: 10k, bytes_per_sec: 1.5M}\n";

	ASSERT_OK(parse(good), err);
	shield_rules_init(&rs);
	shield_rules_parse_yaml(&rs, good, strlen(good), "r.yaml", err, sizeof(err));
	ASSERT_EQ(rs.n_prefixes, 3, "prefixes");
	ASSERT_EQ(rs.cfg.pps.cost_ns, 100000, "10k pps = 100 us per packet");
	ASSERT_EQ(rs.cfg.bps.cost_ns, 43690667, "1.5 MB/s = 666.667 ns per byte, << 16");
	/* the program multiplies the byte cost by a packet's length: it must stay below 2^45 */
	ASSERT_OK(parse("shield:\n  rate_limit: {bytes_per_sec: 2}\n"), err);
	expect_error("shield:\n  rate_limit: {bytes_per_sec: 1}\n", "bytes_per_sec");
	shield_rules_free(&rs);

	expect_error("shield:\n  block: [192.0.2.1/24]\n", "host bits");
	expect_error("shield:\n  block: [192.0.2.0/33]\n", "prefix length");
	expect_error("shield:\n  block: [hello]\n", "not an IPv4 or IPv6");
	expect_error("shield:\n  block: 192.0.2.0/24\n", "must be a list");
	expect_error("shield:\n  ports: [{proto: tcp, port: 70000, action: block}]\n", "0..65535");
	expect_error("shield:\n  ports: [{proto: tcp, port: 9-3, action: block}]\n", "0..65535");
	expect_error("shield:\n  ports: [{proto: icmp, port: 3, action: block}]\n", "tcp and udp");
	expect_error("shield:\n  ports: [{proto: tcp, port: 3, action: maybe}]\n",
		     "block or allow");
	expect_error("shield:\n  ports: [{port: 3, action: block}]\n", "needs a proto");
	expect_error("shield:\n  rate_limit: {packets_per_sec: -5}\n", "positive rate");
	expect_error("shield:\n  rate_limit: {packets_per_sec: 10x}\n", "positive rate");
	expect_error("shield:\n  rate_limit: {prefix_v4: 40}\n", "1..32");
	expect_error("shield:\n  drop_sample: 3\n", "power of two");
	expect_error("shield:\n  bogus: 1\n", "unknown key 'bogus'");
	expect_error("shield:\n  block: [{name: x, file: /nonexistent/list}]\n",
		     "cannot read list /nonexistent/list: No such file");
}

/* Entries inside a management prefix are dropped (the trie would let them win); the rest stay. */
TEST(entries_under_management_are_dropped)
{
	const char *yaml =
		"shield:\n"
		"  management: [10.0.0.0/8, '2001:db8::/32', 192.0.2.7/32, 0.0.0.0/1]\n"
		"  block: [10.1.0.0/16, 10.0.0.0/8, 200.0.0.0/8, 192.0.2.0/24,\n"
		"          192.0.2.7/32, 100.64.0.0/10, '2001:db8:1::/48', '2001:db9::/32']\n"
		"  allow: [10.2.0.0/16, 192.0.2.128/25]\n";
	static const char *const kept[] = { "200.0.0.0/8", "192.0.2.0/24", "2001:db9::/32",
					    "192.0.2.128/25" };
	struct shield_ruleset rs;
	size_t n_mgmt = 0;

	shield_rules_init(&rs);
	ASSERT_OK(shield_rules_parse_yaml(&rs, yaml, strlen(yaml), "r.yaml", err, sizeof(err)),
		  err);
	/* 10.1/16, 10/8 (the same as management), 192.0.2.7/32, 100.64/10 (in 0/1),
	 * 2001:db8:1::/48, 10.2/16 */
	ASSERT_EQ(shield_rules_finalize(&rs), 6, "entries dropped");
	ASSERT_EQ(rs.n_prefixes, 4 + 4, "kept and management");
	for (size_t i = 0; i < rs.n_prefixes; i++) {
		char want[64], got[INET6_ADDRSTRLEN];
		bool found = false;

		inet_ntop(rs.prefixes[i].family == 4 ? AF_INET : AF_INET6, rs.prefixes[i].addr, got,
			  sizeof(got));
		snprintf(want, sizeof(want), "%s/%u", got, rs.prefixes[i].len);
		if (rs.prefixes[i].action == SHIELD_ACT_MGMT) {
			ASSERT_TRUE(i >= 4, "management entries last");
			n_mgmt++;
			continue;
		}
		for (size_t k = 0; k < 4; k++)
			found |= !strcmp(kept[k], want);
		ASSERT_TRUE(found, want);
	}
	ASSERT_EQ(n_mgmt, 4, "management entries all kept");
	shield_rules_free(&rs);
}

/* A list file that is not a readable regular file of text is refused, never an empty list. */
TEST(list_files_that_are_not_lists)
{
	char dir[] = "/tmp/vigil-list-XXXXXX", fifo[64], text[64], yaml[160];
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(text, sizeof(text), "%s/list", dir);
	ASSERT_OK(mkfifo(fifo, 0600), "mkfifo");

	snprintf(yaml, sizeof(yaml), "shield:\n  block: [{name: x, file: %s}]\n", dir);
	expect_error(yaml, "not a regular file");
	/* without a writer, opening it to read would wait for ever */
	snprintf(yaml, sizeof(yaml), "shield:\n  block: [{name: x, file: %s}]\n", fifo);
	expect_error(yaml, "not a regular file");
	/* a regular file whose reads fail (EIO at offset 0): not the end of the list */
	expect_error("shield:\n  block: [{name: x, file: /proc/self/mem}]\n", "Input/output error");

	f = fopen(text, "w");
	ASSERT_TRUE(f != NULL, "create the list");
	fputs("# bogons\n192.0.2.0/24\n", f);
	fwrite("198.51.100.0/24\0junk\n", 1, 21, f);
	fclose(f);
	snprintf(yaml, sizeof(yaml), "shield:\n  block: [{name: x, file: %s}]\n", text);
	expect_error(yaml, ":3: line too long, or not text");

	unlink(text);
	unlink(fifo);
	rmdir(dir);
	expect_error("nothing: here\n", "no 'shield:' section");
	expect_error("shield: [1, 2\n", "bad YAML");
	expect_error("shield:\n  block:\n  - 192.0.2.0/24\n  - 10.0.0.0/8x\n", "r.yaml:4:5");
	expect_error("", "no 'shield:' section");
}

TEST(rules_parser_fuzz)
{
	const char *seed = "shield:\n  shadow: false\n  management: [10.0.0.0/8]\n"
			   "  block: [192.0.2.0/24, {name: n, cidrs: ['2001:db8::/32']}]\n"
			   "  ports: [{proto: tcp, port: 22-23, action: block}]\n"
			   "  rate_limit: {packets_per_sec: 10k, prefix_v6: 64}\n"
			   "  syn_limit: {per_sec: 5}\n  fragments: drop\n  drop_sample: 4\n";
	static const char alphabet[] = "{}[]:,-'\"&*!|>#\n /0123456789abcdefx.";
	size_t n = strlen(seed);
	char buf[512];
	int ok = 0, rejected = 0;

	srand(7);
	for (int i = 0; i < 5000; i++) {
		struct shield_ruleset rs;
		int ret;

		memcpy(buf, seed, n + 1);
		for (int k = 0; k < 1 + rand() % 6; k++)
			buf[rand() % n] = alphabet[rand() % (sizeof(alphabet) - 1)];
		shield_rules_init(&rs);
		ret = shield_rules_parse_yaml(&rs, buf, rand() % (n + 1), "f.yaml", err,
					      sizeof(err));
		shield_rules_free(&rs);
		if (ret == 0)
			ok++;
		else if (ret == -EINVAL && err[0])
			rejected++;
	}
	printf("  5000 mutations: %d accepted, %d rejected with a message\n", ok, rejected);
	ASSERT_EQ(ok + rejected, 5000, "every input accepted or rejected with a message");
}
