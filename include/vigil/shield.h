/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shield (XDP/tc packet filter) ABI: map keys and values shared by bpf/shield.bpf.c and
 * src/shield/. Every layout is checked at build time on both sides.
 *
 * Rule sets live in two generations (slots 0 and 1). The program reads shield_state.active
 * once per packet and then uses only that generation's table, tries, port table and config,
 * so a reload (fill the idle slot, flip active) is atomic for every packet.
 *
 * IPv4 sources are judged by a direct table with one 16-bit entry per /24 (every prefix up to
 * /24 painted in, longest last): one array load instead of an LPM trie walk. A /24 that holds
 * longer prefixes is marked DEEP and its bucket in deep_v4 is asked (one more lookup, whatever
 * the number of prefixes: 144 bytes per 4 such /24s, sized at 2/3 full); the few that do not fit
 * there go to the trie, which holds every prefix longer than /24.
 * Memory: 2^24 entries x 2 bytes = 32 MiB per generation, allocated only while the
 * generation has IPv4 prefixes (64 MiB for a moment during a reload). IPv6 uses the trie.
 */
#ifndef VIGIL_SHIELD_H
#define VIGIL_SHIELD_H

#include "vigil/types.h"
#include "vigil/events.h"

#define SHIELD_GENS	    2
#define SHIELD_MAX_PREFIXES 1048576 /* per family and generation (LPM trie, no prealloc) */
#define SHIELD_MAX_RULES    256	    /* named rules with their own counters, per generation */
#define SHIELD_MAX_SOURCES  131072  /* tracked source prefixes: hashed array, 2-way buckets */
#define SHIELD_RULE_NAME    48
#define SHIELD_VLAN_MAX	    2 /* 802.1Q + 802.1ad (QinQ); deeper stacks are dropped */
#define SHIELD_IPV6_EXT_MAX 8 /* extension headers walked before giving up (drop) */

/* Port table layout, per generation: index = region + port (or protocol number). */
#define SHIELD_PT_TCP_DPORT 0
#define SHIELD_PT_UDP_DPORT 65536
#define SHIELD_PT_TCP_SPORT 131072
#define SHIELD_PT_UDP_SPORT 196608
#define SHIELD_PT_PROTO	    262144 /* + IP protocol number: whole-protocol rules */
#define SHIELD_PT_SLOTS	    (262144 + 256)

/* What a trie or port entry says. Trie: the longest prefix wins; MGMT beats everything. */
enum shield_action {
	SHIELD_ACT_NONE = 0,
	SHIELD_ACT_ALLOW = 1, /* trie: exempt from the block list; port: exempt from limits */
	SHIELD_ACT_BLOCK = 2,
	SHIELD_ACT_MGMT = 3, /* trie only: management, never dropped, no limits */
};

/* Why a packet got its verdict: one counter per reason and action. */
enum shield_reason {
	SHIELD_R_PASS = 0,   /* went through every check */
	SHIELD_R_MGMT,	     /* management source */
	SHIELD_R_NON_IP,     /* ARP, LLDP, ...: not ours to judge */
	SHIELD_R_ALLOW_PORT, /* port/protocol allow rule (no rate limits) */
	SHIELD_R_BLOCK_CIDR, /* source in the block list */
	SHIELD_R_BLOCK_PORT, /* port or protocol rule */
	SHIELD_R_RATE_PPS,   /* per-source packet rate */
	SHIELD_R_RATE_BPS,   /* per-source byte rate */
	SHIELD_R_SYN_BUDGET, /* per-source TCP SYN budget */
	SHIELD_R_ICMP_LIMIT, /* per-source ICMP/ICMPv6 rate */
	SHIELD_R_FRAGMENT,   /* fragments, when the config drops them */
	SHIELD_R_BAD_L2,     /* truncated Ethernet or VLAN header, too many VLAN tags */
	SHIELD_R_BAD_L3,     /* truncated IP, bad version/IHL/total length */
	SHIELD_R_BAD_EXT,    /* IPv6 extension chain truncated or longer than the limit */
	SHIELD_R_BAD_L4,     /* truncated TCP/UDP/ICMP header, bad TCP data offset */
	SHIELD_R_NO_RULES,   /* no rule set installed yet: pass */
	SHIELD_R_MAX,
};

/* Counter index = action * SHIELD_R_MAX + reason. SHADOW = would have dropped (shadow mode). */
enum shield_verdict {
	SHIELD_V_PASS = 0,
	SHIELD_V_DROP = 1,
	SHIELD_V_SHADOW = 2,
	SHIELD_V_MAX,
};

#define SHIELD_NR_COUNTERS (SHIELD_V_MAX * SHIELD_R_MAX)

/* Per-CPU packet and byte counter (stats, l4_stats). */
struct shield_counter {
	__u64 packets;
	__u64 bytes;
};
VIGIL_ASSERT_SIZE(struct shield_counter, 16);

/*
 * Verdict and rule counters of one generation, in one per-CPU value: a packet looks up one
 * map entry for all its counting. Entries 0 and 1 are the generations; entry SHIELD_GENS is
 * written by the control plane only: a reload folds the verdict counters of the slot it is
 * about to reuse into it before zeroing that slot (totals survive reloads, rules restart).
 */
struct shield_stats {
	struct shield_counter verdict[SHIELD_NR_COUNTERS]; /* action * SHIELD_R_MAX + reason */
	struct shield_counter rule[SHIELD_MAX_RULES];
};
VIGIL_ASSERT_SIZE(struct shield_stats, 16 * (48 + 256));

#define SHIELD_STATS_SLOTS (SHIELD_GENS + 1)

/* l4_stats index: traffic by protocol and destination port (for `vigil shield top`). */
#define SHIELD_L4_TCP	0
#define SHIELD_L4_UDP	65536
#define SHIELD_L4_PROTO 131072 /* + protocol number, for everything else */
#define SHIELD_L4_SLOTS (131072 + 256)

/* LPM trie keys. prefixlen first, as the kernel's struct bpf_lpm_trie_key requires. */
struct shield_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};
VIGIL_ASSERT_SIZE(struct shield_lpm_v4, 8);

struct shield_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};
VIGIL_ASSERT_SIZE(struct shield_lpm_v6, 20);

/* IPv4 table: entry index = source address >> 8, four entries per array element. */
#define SHIELD_TBL4_SLOTS (1u << 24)
#define SHIELD_TBL4_ELEMS (SHIELD_TBL4_SLOTS / 4)

#define SHIELD_TE_ACTION     0x3  /* enum shield_action of the longest prefix up to /24 */
#define SHIELD_TE_DEEP	     0x4  /* longer prefixes inside this /24: ask deep_v4 */
#define SHIELD_TE_TRIE	     0x10 /* with DEEP: they did not fit in deep_v4, ask the trie */
#define SHIELD_TE_RULE	     0x8  /* bits 8-15 hold the rule id; without it: SHIELD_NO_RULE */
#define SHIELD_TE_RULE_SHIFT 8

struct shield_tbl4_elem {
	__u16 e[4];
};
VIGIL_ASSERT_SIZE(struct shield_tbl4_elem, 8);

/*
 * The prefixes longer than /24 of a DEEP /24, in deep_v4: a hashed array of buckets
 * (shield_config.deep_mask + 1 of them, at most 2/3 full), each of SHIELD_DEEP_SLOTS slots, one
 * /24 per slot with its prefixes longest first: one lookup and a short scan, whatever the number
 * of prefixes. A /24 with more than SHIELD_DEEP_ITEMS of them, or whose bucket is full, is
 * marked SHIELD_TE_TRIE and judged by the trie, which holds every prefix longer than /24.
 */
#define SHIELD_DEEP_ITEMS 8
#define SHIELD_DEEP_SLOTS 4

struct shield_deep_item {
	__u8 addr;   /* last octet, host bits zero */
	__u8 len;    /* 25..32 */
	__u16 entry; /* as a table entry: action, SHIELD_TE_RULE and rule id */
};
VIGIL_ASSERT_SIZE(struct shield_deep_item, 4);

struct shield_deep4 {
	__u32 key; /* /24 (source address >> 8) << 8 | number of items; 0: empty slot */
	struct shield_deep_item item[SHIELD_DEEP_ITEMS];
};
VIGIL_ASSERT_SIZE(struct shield_deep4, 36);

struct shield_deep4_bucket {
	struct shield_deep4 slot[SHIELD_DEEP_SLOTS];
};
VIGIL_ASSERT_SIZE(struct shield_deep4_bucket, 144);

/* The bucket of a /24 (source address >> 8), before the mask; the same on both sides. */
static inline __u32 shield_deep_hash(__u32 net24)
{
	__u32 h = net24 * 0x9e3779b1u;

	return h ^ h >> 15;
}

/* Trie and port-table value. rule_id indexes rule_counters within the generation. */
struct shield_rule_val {
	__u16 action; /* enum shield_action */
	__u16 rule_id;
};
VIGIL_ASSERT_SIZE(struct shield_rule_val, 4);

/* A token bucket as a GCRA: cost per unit and tolerance, both in nanoseconds. 0 = off. */
struct shield_limit {
	__u64 cost_ns;	/* ns per packet; for bytes: 2^-SHIELD_BPS_SHIFT ns per byte */
	__u64 burst_ns; /* how far ahead of now the schedule may run */
};
VIGIL_ASSERT_SIZE(struct shield_limit, 16);

/* Byte costs are fixed-point: the program shifts where it would divide (~1 ns a packet). */
#define SHIELD_BPS_SHIFT 16

#define SHIELD_CFG_SHADOW	 (1 << 0) /* count what would be dropped, drop nothing */
#define SHIELD_CFG_DROP_FRAGS	 (1 << 1) /* drop every IP fragment */
#define SHIELD_CFG_TRACK_SOURCES (1 << 2) /* keep per-source stats even without limits */
/* Set by the install: the kinds of port rule the set has, so the program skips the lookups
 * of the others, and whether it has per-source work (a limit or TRACK_SOURCES). */
#define SHIELD_CFG_PT_PROTO	(1 << 3)
#define SHIELD_CFG_PT_TCP_DPORT (1 << 4)
#define SHIELD_CFG_PT_UDP_DPORT (1 << 5)
#define SHIELD_CFG_PT_TCP_SPORT (1 << 6)
#define SHIELD_CFG_PT_UDP_SPORT (1 << 7)
#define SHIELD_CFG_SOURCES	(1 << 8)

/*
 * Per-generation configuration: the program's global shield_cfg[SHIELD_GENS], the one value
 * (key 0) of its ".data.cfg" map, pinned as shield_cfg.
 */
struct shield_config {
	__u32 flags;	   /* SHIELD_CFG_* */
	__u32 sample_mask; /* emit one net_drop record per (mask + 1) drops per reason and CPU */
	__u32 mask_v4;	   /* source aggregation mask, network byte order */
	__u32 mask_v6[4];
	__u32 deep_mask;	  /* deep_v4 buckets - 1 (a power of two - 1); set by the install */
	struct shield_limit pps;  /* per source prefix */
	struct shield_limit bps;  /* cost_ns here is in 2^-16 ns per byte */
	struct shield_limit syn;  /* TCP SYN (without ACK) per source prefix */
	struct shield_limit icmp; /* ICMP and ICMPv6 per source prefix */
};
VIGIL_ASSERT_SIZE(struct shield_config, 96);
VIGIL_ASSERT_OFFSET(struct shield_config, pps, 32);
VIGIL_ASSERT_OFFSET(struct shield_config, icmp, 80);

/* Attach modes, as recorded in shield_state.mode. */
enum shield_mode {
	SHIELD_MODE_NONE = 0,
	SHIELD_MODE_NATIVE = 1,
	SHIELD_MODE_GENERIC = 2,
	SHIELD_MODE_TC = 3,
};

/*
 * The program's global shield_state: the one value (key 0) of its ".data.state" map, pinned as
 * shield_state. Only `active` is read by the program.
 */
struct shield_state {
	__u32 active;	  /* generation in use: 0 or 1 */
	__u32 mode;	  /* enum shield_mode, written by the control plane */
	__u32 ifindex;	  /* interface attached to */
	__u32 rules_seq;  /* how many rule sets were installed */
	__u64 loaded_ns;  /* CLOCK_REALTIME of the last install, in ns */
	__u64 n_prefixes; /* prefixes in the active generation */
};
VIGIL_ASSERT_SIZE(struct shield_state, 32);

/*
 * Per-source (prefix) state and statistics in `sources`: an array indexed by a seeded hash of
 * the prefix, two slots per bucket, the key stored in the slot. A new prefix takes the empty
 * or the least recently seen slot of its bucket. An inlined array lookup costs a few ns where
 * an LRU hash lookup cost ~30 ns; the seed keeps collisions out of an attacker's control.
 */
struct shield_src_key {
	__u32 family; /* 4 or 6 */
	__u8 addr[16];
};
VIGIL_ASSERT_SIZE(struct shield_src_key, 20);

struct shield_src_val {
	__u64 tat_pps; /* GCRA theoretical arrival times, ktime ns */
	__u64 tat_bps;
	__u64 tat_syn;
	__u64 tat_icmp;
	__u64 packets; /* approximate: shared between CPUs without atomics */
	__u64 bytes;
	__u64 drops;
	__u64 last_ns;
};
VIGIL_ASSERT_SIZE(struct shield_src_val, 64);

struct shield_src_entry {
	struct shield_src_key key; /* family 0: empty slot */
	__u32 pad;
	struct shield_src_val val;
};
VIGIL_ASSERT_SIZE(struct shield_src_entry, 88);
VIGIL_ASSERT_OFFSET(struct shield_src_entry, val, 24);

/* Rule names for display, index = generation * SHIELD_MAX_RULES + rule_id. */
struct shield_rule_info {
	char name[SHIELD_RULE_NAME];
	__u32 kind; /* enum shield_action of the rule */
	__u32 pad;
};
VIGIL_ASSERT_SIZE(struct shield_rule_info, 56);

/* A sampled drop, sent through vigil's event stream (type VIGIL_EV_NET_DROP). */
#define SHIELD_DROP_SHADOW (1 << 0) /* hdr.flags: shadow mode, the packet was passed */

struct vigil_net_drop_event {
	struct vigil_event_hdr hdr; /* hdr.flags: SHIELD_DROP_* */
	__u32 ifindex;
	__u16 reason;  /* enum shield_reason */
	__u16 rule_id; /* 0xffff: no rule (limits, malformed) */
	__u8 family;   /* 4, 6 or 0 (not IP) */
	__u8 proto;
	__u16 sport; /* host byte order */
	__u16 dport;
	__u16 pad;
	__u32 pkt_len;
	__u32 pad2;
	__u8 src[16];
	__u8 dst[16];
};
VIGIL_ASSERT_SIZE(struct vigil_net_drop_event, 72);
VIGIL_ASSERT_OFFSET(struct vigil_net_drop_event, ifindex, 16);
VIGIL_ASSERT_OFFSET(struct vigil_net_drop_event, src, 40);

#define SHIELD_NO_RULE 0xffff

#endif
