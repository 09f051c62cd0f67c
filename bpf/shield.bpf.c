// SPDX-License-Identifier: GPL-2.0
/*
 * Shield: an XDP (or tc) packet filter for DDoS mitigation.
 *
 * Order of checks, cheapest and most decisive first:
 *   the common frame's (untagged IPv4, 20-byte header) source prefix: a blocked source is
 *   dropped before any other header is read
 *   -> parse L2 (up to two VLAN tags) and L3 (IPv4, IPv6 with a bounded extension chain)
 *   -> any other frame's source prefix (longest prefix wins; management entries beat
 *      everything, never dropped)
 *   -> fragments policy -> protocol and port rules
 *   -> per-source-prefix GCRA token buckets: packets/s, bytes/s, TCP SYN budget, ICMP rate.
 * Malformed packets get a fixed verdict (see shield_reason in vigil/shield.h); nothing reads
 * past data_end. In shadow mode every drop is counted as SHADOW and the packet is passed.
 *
 * The hot path is kept short and straight (ns/packet in bench/shield_bench.c): the common
 * packet (untagged IPv4, no options, TCP or UDP) is parsed by parse_fast() alone; the decision
 * only settles (reason, drop, rule) and finish() counts from one place; state and configuration
 * are globals; the install's flags skip what a rule set does not use; every lookup on the way
 * is one the verifier inlines, and there is no division. A call costs ~8 ns here
 * (return thunks): the calls left are the sampled drop record, the LPM tries (IPv6, prefixes
 * longer than /24 that do not fit deep_v4) and deep_v4's inner map, which BPF_F_INNER_MAP
 * keeps from being inlined.
 *
 * SYN floods: we use a per-source SYN budget, not SYN cookies generated in XDP. XDP cookies
 * need the listener's state (or raw cookie helpers plus XDP_TX of a hand-built SYN-ACK and a
 * netfilter SYNPROXY to validate the final ACK), i.e. a full handshake proxy in the data path.
 * A budget is one GCRA check in the entry we already touch for rate limits; it stops
 * non-spoofed and prefix-aggregated floods at the NIC, and spoofed-source floods that spread
 * under every budget are still answered by the kernel's own SYN cookies (tcp_syncookies).
 */
#include "vigil.bpf.h"
#include <bpf/bpf_endian.h>

#include "vigil/shield.h"

#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAG_	 44
#define IPPROTO_AH_	 51
#define IPPROTO_DSTOPT_	 60
#define IPPROTO_ICMPV6_	 58

/* Headers deeper than this (L2 + L3 + IPv6 extensions) are not inspected: dropped. */
#define SHIELD_MAX_HDR 512

#define TC_PASS (-1) /* TCX_NEXT: let later programs and the stack decide */
#define TC_DROP 2    /* TC_ACT_SHOT */

struct lpm_v4_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SHIELD_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	/* sizes, not types: BTF would only carry forward declarations for these */
	__uint(key_size, sizeof(struct shield_lpm_v4));
	__uint(value_size, sizeof(struct shield_rule_val));
};

struct lpm_v6_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SHIELD_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct shield_lpm_v6));
	__uint(value_size, sizeof(struct shield_rule_val));
};

/* mmapable so that the control plane paints it in place; lookups are still inlined */
struct tbl4_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHIELD_TBL4_ELEMS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct shield_tbl4_elem));
};

/* sized to its content at each install: BPF_F_INNER_MAP lets the sizes differ */
struct deep4_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct shield_deep4_bucket));
};

/*
 * One table and trie per family and generation; the control plane fills the idle slot, then
 * flips. rules_v4 holds only prefixes longer than /24, table_v4 everything up to /24, deep_v4
 * the longer prefixes again, by /24, for the /24s that fit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SHIELD_GENS);
	__type(key, __u32);
	__array(values, struct deep4_inner);
} deep_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SHIELD_GENS);
	__type(key, __u32);
	__array(values, struct tbl4_inner);
} table_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SHIELD_GENS);
	__type(key, __u32);
	__array(values, struct lpm_v4_inner);
} rules_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SHIELD_GENS);
	__type(key, __u32);
	__array(values, struct lpm_v6_inner);
} rules_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHIELD_GENS *SHIELD_PT_SLOTS);
	__type(key, __u32);
	__type(value, struct shield_rule_val);
} port_rules SEC(".maps");

/*
 * The state and both generations' configurations are globals, each in a section (and so an
 * ARRAY map of one entry) of its own: ".data.state" and ".data.cfg". A global is one direct load;
 * a map lookup passed its key through the stack and cost ~1 ns on every packet.
 */
struct shield_state shield_state SEC(".data.state");
struct shield_config shield_cfg[SHIELD_GENS] SEC(".data.cfg");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHIELD_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct shield_stats);
} stats SEC(".maps");

/* Written by the control plane only; here so it is pinned and found with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHIELD_GENS *SHIELD_MAX_RULES);
	__type(key, __u32);
	__type(value, struct shield_rule_info);
} rule_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHIELD_L4_SLOTS);
	__type(key, __u32);
	__type(value, struct shield_counter);
} l4_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHIELD_MAX_SOURCES);
	__type(key, __u32);
	__type(value, struct shield_src_entry);
} sources SEC(".maps");

/* Set by the control plane before load: keeps source-table collisions unpredictable. */
const volatile __u32 src_hash_seed = 0;

/*
 * The clock for rate limits. bpf_ktime_get_coarse_ns costs ~14 ns a call here, bpf_jiffies64
 * ~2 ns and has the same tick resolution. CONFIG_HZ is a load-time constant (0 when the
 * kernel config is unreadable): the verifier prunes the branches not taken.
 */
extern unsigned int CONFIG_HZ __kconfig __weak;

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/*
 * What the parser learned. Source address: IPv4 in the first 4 bytes (the rest is not written
 * on the fast path); the sampler reads both addresses from the packet at l3_off.
 */
struct pkt {
	__u32 len;
	__u32 ifindex; /* filled in only for a sampled drop record */
	__u8 src[16];  /* aligned: the IPv4 source is read as one word */
	__u8 family;   /* 4, 6, or 0 before the IP header was parsed */
	__u8 proto;
	__u8 has_l4; /* L4 header parsed (not a non-first fragment, not an unknown protocol) */
	__u8 frag;
	__u8 syn;    /* TCP SYN without ACK */
	__u8 l3_off; /* where the IP header starts */
	__u16 sport;
	__u16 dport;
	__u32 l4_idx; /* where finish() counts it in l4_stats; L4_NONE before the IP header */
};

#define L4_NONE 0xffffffff

#define PARSE_OK   (-1)
#define PARSE_SLOW (-2) /* not the common case: ask the general parser */

static __always_inline int parse_l4(struct pkt *p, void *data, void *data_end, __u32 off)
{
	if (p->proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;
		__u32 doff;

		/* opaque to clang: it would recompute data + off after the check, unchecked */
		barrier_var(th);

		if ((void *)(th + 1) > data_end)
			return SHIELD_R_BAD_L4;
		doff = th->doff * 4;
		if (doff < sizeof(*th) || off + doff > p->len)
			return SHIELD_R_BAD_L4;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->syn = (((__u8 *)th)[13] & 0x12) == 0x02; /* SYN without ACK */
		p->has_l4 = 1;
	} else if (p->proto == IPPROTO_UDP) {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end)
			return SHIELD_R_BAD_L4;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		p->has_l4 = 1;
	} else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6_) {
		__u8 *ih = data + off;

		/* type, code, checksum and the 4-byte rest of header */
		if ((void *)(ih + 8) > data_end)
			return SHIELD_R_BAD_L4;
		p->sport = ih[0]; /* type, for display */
		p->dport = ih[1]; /* code */
		p->has_l4 = 1;
	}
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct pkt *p, void *data, void *data_end, __u32 off)
{
	struct iphdr *iph = data + off;
	__u32 ihl, tot, frag_off;

	if ((void *)(iph + 1) > data_end)
		return SHIELD_R_BAD_L3;
	if (iph->version != 4)
		return SHIELD_R_BAD_L3;
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph) || data + off + ihl > data_end)
		return SHIELD_R_BAD_L3;
	tot = bpf_ntohs(iph->tot_len);
	/* against the real length: in tc mode data_end may end before the packet does */
	if (tot < ihl || off + tot > p->len)
		return SHIELD_R_BAD_L3;
	p->family = 4;
	p->l3_off = off;
	p->proto = iph->protocol;
	__builtin_memcpy(p->src, &iph->saddr, 4);
	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & 0x3fff) /* MF or an offset */
		p->frag = 1;
	if (frag_off & 0x1fff) /* not the first fragment: no L4 header here */
		return PARSE_OK;
	return parse_l4(p, data, data_end, off + ihl);
}

static __always_inline int parse_ipv6(struct pkt *p, void *data, void *data_end, __u32 off)
{
	struct ipv6hdr *ip6h = data + off;
	__u8 nexthdr;

	if ((void *)(ip6h + 1) > data_end)
		return SHIELD_R_BAD_L3;
	if (ip6h->version != 6)
		return SHIELD_R_BAD_L3;
	if (off + sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len) > p->len)
		return SHIELD_R_BAD_L3;
	p->family = 6;
	p->l3_off = off;
	__builtin_memcpy(p->src, &ip6h->saddr, 16);
	nexthdr = ip6h->nexthdr;
	off += sizeof(*ip6h);

#pragma unroll
	for (int i = 0; i < SHIELD_IPV6_EXT_MAX; i++) {
		__u8 *eh = data + off;

		if (nexthdr != IPPROTO_HOPOPTS_ && nexthdr != IPPROTO_ROUTING_ &&
		    nexthdr != IPPROTO_DSTOPT_ && nexthdr != IPPROTO_AH_ &&
		    nexthdr != IPPROTO_FRAG_)
			break;
		if ((void *)(eh + 8) > data_end) /* every extension header is at least 8 bytes */
			return SHIELD_R_BAD_EXT;
		if (nexthdr == IPPROTO_FRAG_) {
			p->frag = 1;
			/* fragment offset is the top 13 bits of bytes 2-3 */
			if (bpf_ntohs(*(__be16 *)(eh + 2)) & 0xfff8)
				p->has_l4 = 0xff; /* non-first fragment */
			nexthdr = eh[0];
			off += 8;
		} else if (nexthdr == IPPROTO_AH_) {
			nexthdr = eh[0];
			off += ((__u32)eh[1] + 2) * 4;
		} else {
			nexthdr = eh[0];
			off += ((__u32)eh[1] + 1) * 8;
		}
		if (off > SHIELD_MAX_HDR)
			return SHIELD_R_BAD_EXT;
	}
	if (nexthdr == IPPROTO_HOPOPTS_ || nexthdr == IPPROTO_ROUTING_ ||
	    nexthdr == IPPROTO_DSTOPT_ || nexthdr == IPPROTO_AH_ || nexthdr == IPPROTO_FRAG_)
		return SHIELD_R_BAD_EXT; /* chain longer than we walk */
	p->proto = nexthdr;
	if (p->has_l4 == 0xff) {
		p->has_l4 = 0;
		return PARSE_OK;
	}
	return parse_l4(p, data, data_end, off);
}

/*
 * The general parser: VLAN tags, IP options, IPv6 extension chains, fragments, ICMP, every
 * malformed case; the common case never comes here (see parse_fast). Inline all the same: a
 * BPF-to-BPF call costs ~8 ns here (measured on VLAN and IPv6 packets; return thunks).
 */
static __always_inline int parse(struct pkt *p, void *data, void *data_end)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__u16 h_proto;

	p->family = 0;
	p->proto = 0;
	p->has_l4 = 0;
	p->frag = 0;
	p->syn = 0;
	p->l3_off = 0;
	p->sport = 0;
	p->dport = 0;
	__builtin_memset(p->src, 0, sizeof(p->src));
	if ((void *)(eth + 1) > data_end)
		return SHIELD_R_BAD_L2;
	h_proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < SHIELD_VLAN_MAX; i++) {
		struct vlan_tag *vt = data + off;

		if (h_proto != bpf_htons(ETH_P_8021Q) && h_proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vt + 1) > data_end)
			return SHIELD_R_BAD_L2;
		h_proto = vt->proto;
		off += sizeof(*vt);
	}
	if (h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD))
		return SHIELD_R_BAD_L2; /* a third tag */
	if (h_proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(p, data, data_end, off);
	if (h_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(p, data, data_end, off);
	return SHIELD_R_NON_IP;
}

/* The l4_stats slot of what parse() found: by destination port for TCP and UDP. */
static __always_inline __u32 l4_index(const struct pkt *p)
{
	if (!p->family)
		return L4_NONE;
	if (p->has_l4 && p->proto == IPPROTO_TCP)
		return SHIELD_L4_TCP + p->dport;
	if (p->has_l4 && p->proto == IPPROTO_UDP)
		return SHIELD_L4_UDP + p->dport;
	return SHIELD_L4_PROTO + p->proto;
}

/*
 * The common case, inline and straight: untagged IPv4 without options, not a fragment, TCP or
 * UDP with its whole header. Anything else, including every malformed packet, is PARSE_SLOW
 * and parse() judges it from scratch. Writes only what the decision and finish() read.
 */
static __always_inline int parse_fast(struct pkt *p, void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1); /* UDP's ports are at the same place */
	__u32 tot, doff, l4;
	__u8 flags;

	/* a whole TCP header's worth: every real frame is at least 60 bytes long */
	if ((void *)(th + 1) > data_end)
		return PARSE_SLOW;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || *(__u8 *)iph != 0x45 ||
	    (iph->frag_off & bpf_htons(0x3fff)))
		return PARSE_SLOW;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < sizeof(*iph) || sizeof(*eth) + tot > p->len)
		return PARSE_SLOW;
	if (iph->protocol == IPPROTO_TCP) {
		doff = th->doff * 4;
		if (doff < sizeof(*th) || sizeof(*eth) + sizeof(*iph) + doff > p->len)
			return PARSE_SLOW;
		flags = ((__u8 *)th)[13];
		p->syn = (flags & 0x12) == 0x02; /* SYN without ACK */
		l4 = SHIELD_L4_TCP;
	} else if (iph->protocol == IPPROTO_UDP) {
		p->syn = 0;
		l4 = SHIELD_L4_UDP;
	} else {
		return PARSE_SLOW;
	}
	p->family = 4;
	p->proto = iph->protocol;
	p->has_l4 = 1;
	p->frag = 0;
	p->l3_off = sizeof(*eth);
	p->sport = bpf_ntohs(th->source);
	p->dport = bpf_ntohs(th->dest);
	p->l4_idx = l4 + p->dport;
	*(__u32 *)p->src = iph->saddr;
	return PARSE_OK;
}

static __always_inline void add_packet(struct shield_counter *c, __u32 len)
{
	c->packets++;
	c->bytes += len;
}

static __always_inline void count(void *map, __u32 idx, __u32 len)
{
	struct shield_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c)
		add_packet(c, len);
}

/* A packet under its rule's counter; SHIELD_NO_RULE has none. */
static __always_inline void count_rule(struct shield_stats *s, __u32 rule, __u32 len)
{
	if (rule != SHIELD_NO_RULE)
		add_packet(&s->rule[rule & (SHIELD_MAX_RULES - 1)], len);
}

/*
 * One sampled drop record. Out of line: it runs for one drop in sample_mask + 1, and inlined
 * it doubled the program. The addresses are read here, from the packet, not kept by the parser.
 */
static __noinline void sample_drop(const struct pkt *p, void *data, void *data_end, __u32 reason,
				   __u32 rule_shadow)
{
	struct vigil_net_drop_event ev = {};
	__u32 off = p->l3_off;

	ev.hdr.type = VIGIL_EV_NET_DROP;
	ev.hdr.flags = rule_shadow >> 16 ? SHIELD_DROP_SHADOW : 0;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	ev.ifindex = p->ifindex;
	ev.reason = reason;
	ev.rule_id = rule_shadow;
	ev.family = p->family;
	ev.proto = p->proto;
	ev.sport = p->sport;
	ev.dport = p->dport;
	ev.pkt_len = p->len;
	if (off <= sizeof(struct ethhdr) + SHIELD_VLAN_MAX * sizeof(struct vlan_tag)) {
		if (p->family == 4) {
			struct iphdr *iph = data + off;

			if ((void *)(iph + 1) <= data_end) {
				__builtin_memcpy(ev.src, &iph->saddr, 4);
				__builtin_memcpy(ev.dst, &iph->daddr, 4);
			}
		} else if (p->family == 6) {
			struct ipv6hdr *ip6h = data + off;

			if ((void *)(ip6h + 1) <= data_end) {
				__builtin_memcpy(ev.src, &ip6h->saddr, 16);
				__builtin_memcpy(ev.dst, &ip6h->daddr, 16);
			}
		}
	}
	/* no wakeup from the packet path: during a flood that would be an irq_work per sample;
	 * the consumer polls on a timer */
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_NO_WAKEUP))
		count_lost();
}

/*
 * Count the verdict and return true when the packet is really to be dropped. Verdict and rule
 * counters share one per-CPU value: one lookup per packet. Called from one place only.
 */
static __always_inline bool finish(void *ctx, bool tc, struct pkt *p, void *data, void *data_end,
				   const struct shield_config *cfg, __u32 gen, __u32 reason,
				   bool drop, __u32 rule_id)
{
	__u32 verdict = SHIELD_V_PASS, idx;
	struct shield_counter *c;
	struct shield_stats *s;

	if (drop)
		verdict = cfg->flags & SHIELD_CFG_SHADOW ? SHIELD_V_SHADOW : SHIELD_V_DROP;
	s = bpf_map_lookup_elem(&stats, &gen);
	if (s) {
		idx = verdict * SHIELD_R_MAX + reason;
		if (idx < SHIELD_NR_COUNTERS) {
			c = &s->verdict[idx];
			add_packet(c, p->len);
			/* c->packets is per CPU and reason: a cheap deterministic 1-in-N sampler */
			if (drop && !(c->packets & cfg->sample_mask)) {
				/* read here: three dependent loads in XDP, for every packet */
				p->ifindex = tc ? ((struct __sk_buff *)ctx)->ifindex
						: ((struct xdp_md *)ctx)->ingress_ifindex;
				sample_drop(p, data, data_end, reason,
					    rule_id | (verdict == SHIELD_V_SHADOW) << 16);
			}
		}
		count_rule(s, rule_id, p->len);
	}
	/* top's protocols and ports: what the block list let through (as its sources) */
	if (p->l4_idx != L4_NONE && reason != SHIELD_R_BLOCK_CIDR)
		count(&l4_stats, p->l4_idx, p->len);
	return verdict == SHIELD_V_DROP;
}

/* GCRA: admit when the schedule, advanced by this packet's cost, stays within the burst. */
static __always_inline bool gcra(__u64 *tat, __u64 now, __u64 cost, __u64 burst)
{
	__u64 t = *tat;

	if (t < now)
		t = now;
	t += cost;
	if (t - now > burst)
		return false;
	*tat = t;
	return true;
}

/* What the source-prefix lookup returns: action in the low half, rule id in the high half. */
#define SRC_RULE(action, rule) ((__u32)(action) | (__u32)(rule) << 16)

static __always_inline __u32 table_entry(__u16 e)
{
	return SRC_RULE(e & SHIELD_TE_ACTION,
			e & SHIELD_TE_RULE ? e >> SHIELD_TE_RULE_SHIFT : SHIELD_NO_RULE);
}

#define DEEP_UNKNOWN 0xffffffff

/* A DEEP /24's longer prefixes from its deep_v4 bucket, or DEEP_UNKNOWN: ask the trie. */
static __always_inline __u32 deep_rule(__u32 gen, __u32 a, __u16 e, __u32 mask)
{
	__u32 net = a >> 8, h = shield_deep_hash(net) & mask;
	struct shield_deep4_bucket *b;
	void *map;

	map = bpf_map_lookup_elem(&deep_v4, &gen);
	if (!map)
		return DEEP_UNKNOWN;
	b = bpf_map_lookup_elem(map, &h);
	if (!b)
		return DEEP_UNKNOWN;
#pragma unroll
	for (int i = 0; i < SHIELD_DEEP_SLOTS; i++) {
		struct shield_deep4 *d = &b->slot[i];
		__u32 n = d->key & 0xff;

		if (!d->key)
			return DEEP_UNKNOWN;
		if (d->key >> 8 != net)
			continue;
#pragma unroll
		for (int j = 0; j < SHIELD_DEEP_ITEMS; j++) {
			struct shield_deep_item *it = &d->item[j];
			__u32 host = (32 - it->len) & 7;

			if ((__u32)j >= n)
				break;
			/* longest first: the first that covers the address is it */
			if (((a & 0xff) >> host) == (__u32)(it->addr >> host))
				return table_entry(it->entry);
		}
		return table_entry(e); /* none: the /24's own */
	}
	return DEEP_UNKNOWN;
}

#define SRC_UNKNOWN 0xffffffff /* not looked up yet: no action has these bits */

/* Longest matching IPv4 source prefix, a in host byte order: the table, deep_v4, the trie. */
static __always_inline __u32 source_rule_v4(__u32 a, __u32 gen, const struct shield_config *cfg)
{
	const __u32 none = SRC_RULE(SHIELD_ACT_NONE, SHIELD_NO_RULE);
	struct shield_lpm_v4 k = { .prefixlen = 32 };
	__u32 idx = a >> 10, e;
	struct shield_tbl4_elem *el;
	struct shield_rule_val *rv;
	void *map;

	map = bpf_map_lookup_elem(&table_v4, &gen);
	if (!map)
		return none; /* no IPv4 prefixes in this generation */
	el = bpf_map_lookup_elem(map, &idx);
	if (!el)
		return none;
	e = el->e[(a >> 8) & 3];
	if (!(e & SHIELD_TE_DEEP))
		return table_entry(e);
	if (!(e & SHIELD_TE_TRIE)) {
		__u32 r = deep_rule(gen, a, e, cfg->deep_mask);

		if (r != DEEP_UNKNOWN)
			return r;
	}
	map = bpf_map_lookup_elem(&rules_v4, &gen);
	if (!map)
		return table_entry(e);
	*(__u32 *)k.addr = bpf_htonl(a);
	rv = bpf_map_lookup_elem(map, &k);
	return rv ? SRC_RULE(rv->action, rv->rule_id) : table_entry(e);
}

/* Longest matching source prefix of what parse() found. */
static __always_inline __u32 source_rule(struct pkt *p, __u32 gen, const struct shield_config *cfg)
{
	struct shield_lpm_v6 k = { .prefixlen = 128 };
	struct shield_rule_val *rv;
	void *map;

	if (p->family == 4)
		return source_rule_v4(bpf_ntohl(*(__u32 *)p->src), gen, cfg);
	map = bpf_map_lookup_elem(&rules_v6, &gen);
	if (!map)
		return SRC_RULE(SHIELD_ACT_NONE, SHIELD_NO_RULE);
	__builtin_memcpy(k.addr, p->src, 16);
	rv = bpf_map_lookup_elem(map, &k);
	return rv ? SRC_RULE(rv->action, rv->rule_id) : SRC_RULE(SHIELD_ACT_NONE, SHIELD_NO_RULE);
}

static __always_inline struct shield_rule_val *port_lookup(__u32 gen, __u32 slot)
{
	__u32 idx = gen * SHIELD_PT_SLOTS + slot;

	return bpf_map_lookup_elem(&port_rules, &idx);
}

/* A protocol or destination port rule's say: true when it blocks; an allow is noted. */
static __always_inline bool port_rule(const struct shield_rule_val *rv, bool *allowed, __u32 *rule)
{
	if (rv && rv->action == SHIELD_ACT_BLOCK) {
		*rule = rv->rule_id;
		return true;
	}
	if (rv && rv->action == SHIELD_ACT_ALLOW) {
		*allowed = true;
		*rule = rv->rule_id;
	}
	return false;
}

static __always_inline __u64 now_ns(void)
{
	if (CONFIG_HZ == 100)
		return bpf_jiffies64() * 10000000ULL;
	if (CONFIG_HZ == 250)
		return bpf_jiffies64() * 4000000ULL;
	if (CONFIG_HZ == 300)
		return bpf_jiffies64() * 3333333ULL;
	if (CONFIG_HZ == 1000)
		return bpf_jiffies64() * 1000000ULL;
	return bpf_ktime_get_coarse_ns();
}

static __always_inline bool src_key_eq(const struct shield_src_key *a,
				       const struct shield_src_key *b)
{
	const __u32 *x = (const __u32 *)a->addr, *y = (const __u32 *)b->addr;

	if (a->family != b->family || x[0] != y[0])
		return false;
	/* the rest of an IPv4 key is zero in both */
	return b->family == 4 || (x[1] == y[1] && x[2] == y[2] && x[3] == y[3]);
}

/* The source's slot in its two-slot bucket; a new source takes the empty or the older one. */
static __always_inline struct shield_src_entry *source_slot(const struct shield_src_key *key)
{
	const __u32 *w = (const __u32 *)key->addr;
	struct shield_src_entry *a, *b;
	__u32 h = (w[0] ^ src_hash_seed) * 0x9e3779b1;

	if (key->family == 6) {
		h = (h ^ w[1]) * 0x85ebca77;
		h = (h ^ w[2]) * 0xc2b2ae3d;
		h = (h ^ w[3]) * 0x27d4eb2f;
	}
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h &= SHIELD_MAX_SOURCES - 2; /* even: the first slot of the bucket */
	a = bpf_map_lookup_elem(&sources, &h);
	if (!a)
		return NULL;
	if (src_key_eq(&a->key, key))
		return a;
	h++;
	b = bpf_map_lookup_elem(&sources, &h);
	if (!b)
		return NULL;
	if (src_key_eq(&b->key, key))
		return b;
	if (a->key.family && (!b->key.family || b->val.last_ns < a->val.last_ns))
		a = b;
	/* racing CPUs may both claim it: the loser's packets start a fresh state, no harm */
	__builtin_memset(a, 0, sizeof(*a));
	a->key = *key;
	return a;
}

/* Per-source-prefix limits. Returns a reason to drop, or PARSE_OK. */
static __always_inline int check_source(struct pkt *p, const struct shield_config *cfg)
{
	struct shield_src_key key = { .family = p->family };
	struct shield_src_entry *e;
	struct shield_src_val *v;
	__u64 now = now_ns();
	int reason = PARSE_OK;

	if (p->family == 4) {
		*(__u32 *)key.addr = *(__u32 *)p->src & cfg->mask_v4;
	} else {
#pragma unroll
		for (int i = 0; i < 4; i++)
			((__u32 *)key.addr)[i] = ((__u32 *)p->src)[i] & cfg->mask_v6[i];
	}
	e = source_slot(&key);
	if (!e)
		return PARSE_OK;
	v = &e->val;
	v->packets++;
	v->bytes += p->len;
	v->last_ns = now;
	if (cfg->pps.cost_ns && !gcra(&v->tat_pps, now, cfg->pps.cost_ns, cfg->pps.burst_ns))
		reason = SHIELD_R_RATE_PPS;
	else if (cfg->bps.cost_ns &&
		 !gcra(&v->tat_bps, now, (__u64)p->len * cfg->bps.cost_ns >> SHIELD_BPS_SHIFT,
		       cfg->bps.burst_ns))
		reason = SHIELD_R_RATE_BPS;
	else if (cfg->syn.cost_ns && p->syn &&
		 !gcra(&v->tat_syn, now, cfg->syn.cost_ns, cfg->syn.burst_ns))
		reason = SHIELD_R_SYN_BUDGET;
	else if (cfg->icmp.cost_ns && p->has_l4 &&
		 (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6_) &&
		 !gcra(&v->tat_icmp, now, cfg->icmp.cost_ns, cfg->icmp.burst_ns))
		reason = SHIELD_R_ICMP_LIMIT;
	if (reason != PARSE_OK)
		v->drops++;
	return reason;
}

/*
 * The source rule of the common frame (untagged IPv4, 20-byte header), looked up before
 * anything else is parsed: a blocked source is then dropped by this lookup and its counters
 * alone (early_drop). SRC_UNKNOWN for any other frame: source_rule() decides after parse().
 */
static __always_inline __u32 early_source(void *data, void *data_end, __u32 gen,
					  const struct shield_config *cfg)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    *(__u8 *)iph != 0x45)
		return SRC_UNKNOWN;
	return source_rule_v4(bpf_ntohl(iph->saddr), gen, cfg);
}

/*
 * Drop a blocked source found by early_source(): whatever the rest of the packet holds (a
 * malformed or fragmented one too), it is counted as BLOCK_CIDR under its rule. Not in shadow
 * mode, where the whole path counts it and lets it pass. Only a sampled packet is parsed
 * further, for its drop record.
 */
static __always_inline void early_drop(void *ctx, bool tc, void *data, void *data_end, __u32 len,
				       const struct shield_config *cfg, __u32 gen, __u32 rule)
{
	struct shield_counter *c;
	struct shield_stats *s;
	struct pkt p;

	s = bpf_map_lookup_elem(&stats, &gen);
	if (!s)
		return;
	c = &s->verdict[SHIELD_V_DROP * SHIELD_R_MAX + SHIELD_R_BLOCK_CIDR];
	add_packet(c, len);
	if (!(c->packets & cfg->sample_mask)) {
		p.len = len;
		if (parse_fast(&p, data, data_end) != PARSE_OK) {
			/* a fragment or a short or odd L4 header: addresses and protocol only */
			struct iphdr *iph = data + sizeof(struct ethhdr);

			if ((void *)(iph + 1) > data_end)
				return;
			p.family = 4;
			p.l3_off = sizeof(struct ethhdr);
			p.proto = iph->protocol;
			p.sport = 0;
			p.dport = 0;
		}
		p.ifindex = tc ? ((struct __sk_buff *)ctx)->ifindex
			       : ((struct xdp_md *)ctx)->ingress_ifindex;
		sample_drop(&p, data, data_end, SHIELD_R_BLOCK_CIDR, rule);
	}
	count_rule(s, rule, len);
}

/*
 * The whole decision; returns true to drop. Every branch only settles (reason, drop, rule):
 * finish() counts and samples from one place.
 */
static __always_inline bool shield(void *ctx, bool tc, void *data, void *data_end, __u32 len,
				   struct pkt *pp)
{
	__u32 gen, src, flags, rule = SHIELD_NO_RULE;
	const struct shield_config *cfg;
	struct shield_rule_val *rv;
	bool port_allowed = false, drop = true;
	struct pkt p;
	int reason;

	/* read once: this packet sees one generation only */
	gen = *(volatile __u32 *)&shield_state.active & 1;
	cfg = &shield_cfg[gen];

	src = early_source(data, data_end, gen, cfg);
	if ((src & 0xffff) == SHIELD_ACT_BLOCK && !(cfg->flags & SHIELD_CFG_SHADOW)) {
		early_drop(ctx, tc, data, data_end, len, cfg, gen, src >> 16);
		return true;
	}
	p.len = len;
	reason = parse_fast(&p, data, data_end);
	if (reason == PARSE_SLOW) {
		reason = parse(&p, data, data_end);
		p.l4_idx = l4_index(&p);
	}
	if (reason == SHIELD_R_NON_IP) {
		drop = false;
		goto out;
	}
	if (reason != PARSE_OK && reason != SHIELD_R_BAD_L4)
		goto out;

	/* the source prefix of a frame early_source() could not read, first: a blocked source
	 * costs this lookup and its counters, no more; a management source passes even with a
	 * malformed L4 header */
	if (src == SRC_UNKNOWN)
		src = source_rule(&p, gen, cfg);
	rule = src >> 16;
	if ((src & 0xffff) == SHIELD_ACT_MGMT) {
		reason = SHIELD_R_MGMT;
		drop = false;
		goto out;
	}
	if ((src & 0xffff) == SHIELD_ACT_BLOCK) {
		reason = SHIELD_R_BLOCK_CIDR;
		goto out;
	}
	if (reason == SHIELD_R_BAD_L4 || (p.frag && (cfg->flags & SHIELD_CFG_DROP_FRAGS))) {
		if (reason != SHIELD_R_BAD_L4)
			reason = SHIELD_R_FRAGMENT;
		rule = SHIELD_NO_RULE;
		goto out;
	}

	/* protocol rules, then destination and source ports: the kinds the rule set has */
	reason = SHIELD_R_BLOCK_PORT;
	flags = cfg->flags;
	if ((flags & SHIELD_CFG_PT_PROTO) &&
	    port_rule(port_lookup(gen, SHIELD_PT_PROTO + p.proto), &port_allowed, &rule))
		goto out;
	if (p.has_l4 && (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP)) {
		bool tcp = p.proto == IPPROTO_TCP;

		if ((flags & (tcp ? SHIELD_CFG_PT_TCP_DPORT : SHIELD_CFG_PT_UDP_DPORT)) &&
		    port_rule(port_lookup(gen, (tcp ? SHIELD_PT_TCP_DPORT : SHIELD_PT_UDP_DPORT) +
						       p.dport),
			      &port_allowed, &rule))
			goto out;
		if (flags & (tcp ? SHIELD_CFG_PT_TCP_SPORT : SHIELD_CFG_PT_UDP_SPORT)) {
			rv = port_lookup(gen, (tcp ? SHIELD_PT_TCP_SPORT : SHIELD_PT_UDP_SPORT) +
						      p.sport);
			if (rv && rv->action == SHIELD_ACT_BLOCK) {
				rule = rv->rule_id;
				goto out;
			}
		}
	}
	drop = false;
	if (port_allowed) {
		reason = SHIELD_R_ALLOW_PORT;
		goto out;
	}
	reason = SHIELD_R_PASS;
	if (flags & SHIELD_CFG_SOURCES) {
		int r = check_source(&p, cfg);

		if (r != PARSE_OK) {
			reason = r;
			drop = true;
			rule = SHIELD_NO_RULE;
		}
	}
out:
	if (finish(ctx, tc, &p, data, data_end, cfg, gen, reason, drop, rule))
		return true;
	if (pp)
		*pp = p;
	return false;
}

#include "shield_lb.bpf.h"

SEC("xdp")
int shield_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pkt p;

	p.family = 0;
	if (shield(ctx, false, data, data_end, data_end - data, &p))
		return XDP_DROP;
	/* what the filter passed: balanced, decapsulated or left alone */
	return lb_xdp(ctx, &p);
}

SEC("tc")
int shield_tc(struct __sk_buff *skb)
{
	__u32 len = skb->len;

	/* direct access covers only the linear part: make sure the headers are in it */
	bpf_skb_pull_data(skb, len < SHIELD_MAX_HDR + 64 ? len : SHIELD_MAX_HDR + 64);
	return shield(skb, true, (void *)(long)skb->data, (void *)(long)skb->data_end, len, NULL)
		       ? TC_DROP
		       : TC_PASS;
}

char LICENSE[] SEC("license") = "GPL";
