/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shield's balancer: Maglev L4 load balancing with IP-in-IP forwarding (direct server
 * return), and the backends' side, IP-in-IP decapsulation. Included by shield.bpf.c after its
 * struct pkt; runs only on packets the filter passed (a blocked or rate-limited source never
 * gets here), and only in XDP (tc mode does not balance).
 *
 * New flow: hash the 5-tuple, take the service's Maglev ring entry (built in user space,
 * src/shield/maglev.c), remember the backend in the LRU flow table. Known flow: the backend
 * from the flow table, as long as it is configured and up; a draining backend (weight 0) is
 * in no ring but keeps its flows. Then prepend an outer IPv4 header (balancer -> backend,
 * protocol 4), find the next hop with bpf_fib_lookup, and send the frame out.
 *
 * IPv6 services the same way with their own service and flow maps (16-byte addresses), the
 * same ring and backend slots, and IPv6-in-IPv6 (next header 41) to IPv6 backends; the
 * backends decapsulate with the kernel's ip6tnl, or with this program (`decapsulate:`), as
 * for IPv4.
 *
 * Verdicts: not to a service: untouched (XDP_PASS). Fragments to a service: dropped (a
 * non-first fragment has no ports to hash, so its flow cannot be found; IPv6 likewise, a
 * fragment header anywhere in the chain). VLAN-tagged frames: passed untouched. IP options and
 * IPv6 extension headers (hop-by-hop, routing, destination options, AH, as far as the shield
 * walks them): encapsulated as they are (the inner packet is not changed), the IPv6 ones
 * counted. An outer header that makes the frame longer than the MTU is the same as for IPv4:
 * the backends' path needs room for it (20 or 40 bytes).
 */
#ifndef VIGIL_SHIELD_LB_BPF_H
#define VIGIL_SHIELD_LB_BPF_H

#include "vigil/balance.h"

#define AF_INET_      2
#define AF_INET6_     10
#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41
#define LB_OUTER_TTL  64
#define LB_OUTER_HLIM 64

struct lb_ring_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP); /* sized per install: services x ring size */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SHIELD_GENS);
	__type(key, __u32);
	__array(values, struct lb_ring_inner);
} lb_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHIELD_GENS *LB_MAX_SERVICES);
	__type(key, struct lb_svc_key);
	__type(value, struct lb_svc_val);
} lb_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHIELD_GENS *LB_MAX_SERVICES);
	__type(key, struct lb_svc6_key);
	__type(value, struct lb_svc_val);
} lb_services6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_backend);
} lb_backends SEC(".maps");

/* Written by the control plane only; here so it is pinned and found with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_svc_info);
} lb_svc_info SEC(".maps");

/*
 * One hash table shared by the CPUs with an LRU list per CPU (BPF_F_NO_COMMON_LRU): a flow
 * is found whichever CPU its packets arrive on (veth, RPS), and evictions stay CPU-local.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_MAX_FLOWS);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct lb_flow_key);
	__type(value, __u32);
} lb_flows SEC(".maps");

/* The same for IPv6 flows: a key of its own size, so the IPv4 keys stay 16 bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_MAX_FLOWS);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct lb_flow6_key);
	__type(value, __u32);
} lb_flows6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_counter);
} lb_svc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_counter);
} lb_be_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_M_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lb_misc SEC(".maps");

struct lb_globals lb SEC(".data.lb");

static __always_inline void lb_count_misc(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&lb_misc, &idx);

	if (c)
		(*c)++;
}

static __always_inline void lb_count(void *map, __u32 slot, __u32 len, bool new_flow, bool drop)
{
	struct lb_counter *c = bpf_map_lookup_elem(map, &slot);

	if (!c)
		return;
	if (drop) {
		c->dropped++;
		return;
	}
	c->packets++;
	c->bytes += len;
	c->new_flows += new_flow;
}

/* A 32-bit mix of the 5-tuple: the Maglev ring position of a new flow. */
static __always_inline __u32 lb_flow_hash(const struct lb_flow_key *k)
{
	__u64 h = ((__u64)k->src << 32 | k->dst) * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)k->sport << 24 | (__u64)k->dport << 8 | k->proto) + (h >> 29);
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (__u32)h;
}

/* The same for an IPv6 5-tuple: the addresses folded into the IPv4 mix. */
static __always_inline __u32 lb_flow6_hash(const struct lb_flow6_key *k)
{
	struct lb_flow_key f = {
		.src = (k->src[0] ^ k->src[2]) * 0x85ebca77 ^ k->src[1] ^ k->src[3],
		.dst = (k->dst[0] ^ k->dst[2]) * 0xc2b2ae3d ^ k->dst[1] ^ k->dst[3],
		.sport = k->sport,
		.dport = k->dport,
		.proto = k->proto,
	};

	return lb_flow_hash(&f);
}

static __always_inline __u16 lb_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Strip the outer IPv4 header of IP-in-IP from a trusted balancer; the inner packet goes up. */
static __always_inline int lb_decap(struct xdp_md *ctx, const struct lb_config *cfg)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, saved;
	struct iphdr *iph = (void *)(eth + 1);
	bool trusted = false;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    *(__u8 *)iph != 0x45 || iph->protocol != IPPROTO_IPIP_ ||
	    (iph->frag_off & bpf_htons(0x3fff)))
		return XDP_PASS;
#pragma unroll
	for (int i = 0; i < LB_MAX_DECAP; i++)
		if ((__u32)i < cfg->n_decap && cfg->decap_src[i] == iph->saddr)
			trusted = true;
	if (!trusted)
		return XDP_PASS; /* the stack has no tunnel for it: it drops it as usual */
	__builtin_memcpy(&saved, eth, sizeof(saved));
	if (bpf_xdp_adjust_head(ctx, sizeof(struct iphdr)))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(eth, &saved, sizeof(saved));
	lb_count_misc(LB_M_DECAP);
	return XDP_PASS;
}

/* The same for IPv6-in-IPv6 (no extension headers in front of the inner packet). */
static __always_inline int lb_decap6(struct xdp_md *ctx, const struct lb_config *cfg)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, saved;
	struct ipv6hdr *ip6h = (void *)(eth + 1);
	bool trusted = false;
	__u32 *s;

	if ((void *)(ip6h + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6) ||
	    ip6h->nexthdr != IPPROTO_IPV6_)
		return XDP_PASS;
	s = (__u32 *)&ip6h->saddr;
#pragma unroll
	for (int i = 0; i < LB_MAX_DECAP; i++)
		if ((__u32)i < cfg->n_decap6 && cfg->decap_src6[i][0] == s[0] &&
		    cfg->decap_src6[i][1] == s[1] && cfg->decap_src6[i][2] == s[2] &&
		    cfg->decap_src6[i][3] == s[3])
			trusted = true;
	if (!trusted)
		return XDP_PASS; /* the stack has no tunnel for it: it drops it as usual */
	__builtin_memcpy(&saved, eth, sizeof(saved));
	if (bpf_xdp_adjust_head(ctx, sizeof(struct ipv6hdr)))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(eth, &saved, sizeof(saved));
	lb_count_misc(LB_M_DECAP);
	return XDP_PASS;
}

/*
 * The backend slot of this packet's flow: the flow table's (@flows, key @fk), or the ring's at
 * @hash for a new one.
 */
static __always_inline __u32 lb_pick(void *flows, const void *fk, __u32 hash,
				     const struct lb_svc_val *sv, __u32 gen, __u32 ring_size,
				     bool *new_flow)
{
	struct lb_backend *be;
	__u32 *known, idx, *slot;
	void *ring;

	known = bpf_map_lookup_elem(flows, fk);
	if (known) {
		idx = *known;
		be = bpf_map_lookup_elem(&lb_backends, &idx);
		/* a removed or failed backend loses its flows; a draining one keeps them */
		if (be && (be->flags & (LB_BE_USED | LB_BE_UP)) == (LB_BE_USED | LB_BE_UP) &&
		    be->svc_slot == sv->slot)
			return idx;
	}
	ring = bpf_map_lookup_elem(&lb_ring, &gen);
	if (!ring || !ring_size)
		return LB_NO_BACKEND;
	idx = sv->row * ring_size + hash % ring_size;
	slot = bpf_map_lookup_elem(ring, &idx);
	if (!slot || *slot == LB_NO_BACKEND)
		return LB_NO_BACKEND;
	idx = *slot;
	bpf_map_update_elem(flows, fk, &idx, BPF_ANY);
	*new_flow = true;
	return idx;
}

/* After the outer header: the next hop's addresses and out, by bpf_fib_lookup's answer @ret. */
static __always_inline int lb_send(struct xdp_md *ctx, struct ethhdr *eth,
				   const struct bpf_fib_lookup *fib, int ret)
{
	if (ret == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* the stack forwards it and resolves the neighbour for the next packets */
		lb_count_misc(LB_M_NEIGH_PASS);
		return XDP_PASS;
	}
	if (ret != BPF_FIB_LKUP_RET_SUCCESS)
		return -1;
	__builtin_memcpy(eth->h_dest, fib->dmac, 6);
	__builtin_memcpy(eth->h_source, fib->smac, 6);
	if (fib->ifindex == ctx->ingress_ifindex) {
		lb_count_misc(LB_M_TX);
		return XDP_TX;
	}
	lb_count_misc(LB_M_REDIRECT);
	return bpf_redirect(fib->ifindex, 0);
}

/* Prepend the outer header (eth | outer IPv4 | inner) and send it towards the backend. */
static __always_inline int lb_forward(struct xdp_md *ctx, __u32 backend, __u32 src)
{
	void *data, *data_end;
	struct bpf_fib_lookup fib = {};
	struct iphdr *outer, *inner;
	struct ethhdr *eth;
	__u32 sum = 0;
	__u16 *w;
	int ret;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	inner = (void *)(outer + 1);
	if ((void *)(inner + 1) > data_end)
		return -1;
	/* the Ethernet header moves to the new front; its addresses are set below */
	eth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = inner->tos;
	outer->tot_len = bpf_htons(bpf_ntohs(inner->tot_len) + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = LB_OUTER_TTL;
	outer->protocol = IPPROTO_IPIP_;
	outer->check = 0;
	outer->saddr = src;
	outer->daddr = backend;
	w = (__u16 *)outer;
#pragma unroll
	for (int i = 0; i < (int)sizeof(struct iphdr) / 2; i++)
		sum += w[i];
	outer->check = lb_csum_fold(sum);

	fib.family = AF_INET_;
	fib.tos = outer->tos;
	fib.l4_protocol = IPPROTO_IPIP_;
	fib.tot_len = bpf_ntohs(outer->tot_len);
	fib.ipv4_src = src;
	fib.ipv4_dst = backend;
	fib.ifindex = ctx->ingress_ifindex;
	ret = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	return lb_send(ctx, eth, &fib, ret);
}

/*
 * Prepend the outer IPv6 header (eth | outer IPv6 | inner IPv6) and send it towards the
 * backend. Version, traffic class and flow label are the inner header's (routers on the way
 * hash the same flow label), the payload length the inner packet's whole length.
 */
static __always_inline int lb_forward6(struct xdp_md *ctx, const __u32 *backend, const __u32 *src)
{
	void *data, *data_end;
	struct bpf_fib_lookup fib = {};
	struct ipv6hdr *outer, *inner;
	struct ethhdr *eth;
	int ret;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct ipv6hdr)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	inner = (void *)(outer + 1);
	if ((void *)(inner + 1) > data_end)
		return -1;
	eth->h_proto = bpf_htons(ETH_P_IPV6);
	*(__u32 *)outer = *(__u32 *)inner;
	outer->payload_len = bpf_htons(bpf_ntohs(inner->payload_len) + sizeof(struct ipv6hdr));
	outer->nexthdr = IPPROTO_IPV6_;
	outer->hop_limit = LB_OUTER_HLIM;
	__builtin_memcpy(&outer->saddr, src, 16);
	__builtin_memcpy(&outer->daddr, backend, 16);

	fib.family = AF_INET6_;
	fib.flowinfo = *(__be32 *)outer & bpf_htonl(0x0fffffff);
	fib.l4_protocol = IPPROTO_IPV6_;
	fib.tot_len = sizeof(struct ipv6hdr) + bpf_ntohs(outer->payload_len);
	__builtin_memcpy(fib.ipv6_src, src, 16);
	__builtin_memcpy(fib.ipv6_dst, backend, 16);
	fib.ifindex = ctx->ingress_ifindex;
	ret = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	return lb_send(ctx, eth, &fib, ret);
}

/* The backend's slot counted and the packet forwarded, or dropped when that fails. */
static __always_inline int lb_out(struct xdp_md *ctx, const struct pkt *p,
				  const struct lb_svc_val *sv, __u32 backend, bool new_flow,
				  const struct lb_config *cfg)
{
	struct lb_backend *be;
	int ret;

	be = backend == LB_NO_BACKEND ? NULL : bpf_map_lookup_elem(&lb_backends, &backend);
	if (!be) {
		lb_count_misc(LB_M_NO_BACKEND);
		lb_count(&lb_svc_stats, sv->slot, 0, false, true);
		return XDP_DROP;
	}
	lb_count(&lb_svc_stats, sv->slot, p->len, new_flow, false);
	lb_count(&lb_be_stats, backend, p->len, new_flow, false);
	if (p->family == 4)
		ret = lb_forward(ctx, be->addr[3], cfg->tunnel_src);
	else
		ret = lb_forward6(ctx, be->addr, cfg->tunnel_src6);
	if (ret < 0) {
		lb_count_misc(LB_M_NO_ROUTE);
		lb_count(&lb_svc_stats, sv->slot, 0, false, true);
		return XDP_DROP;
	}
	return ret;
}

/* Fragments and what cannot be balanced, for a packet to service @sv; -1: balance it. */
static __always_inline int lb_unbalanceable(const struct pkt *p, const struct lb_svc_val *sv)
{
	if (p->l3_off != sizeof(struct ethhdr)) {
		lb_count_misc(LB_M_UNTOUCHED);
		return XDP_PASS;
	}
	if (p->frag || !p->has_l4) {
		lb_count_misc(LB_M_FRAGMENT);
		lb_count(&lb_svc_stats, sv->slot, 0, false, true);
		return XDP_DROP;
	}
	return -1;
}

/* An IPv6 packet the filter passed, TCP or UDP: to an IPv6 service, or left alone. */
static __always_inline int lb_xdp6(struct xdp_md *ctx, const struct pkt *p, __u32 gen,
				   const struct lb_config *cfg)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct lb_svc6_key sk = { .gen = gen };
	struct lb_flow6_key fk = {};
	struct ipv6hdr *ip6h;
	struct lb_svc_val *sv;
	bool new_flow = false;
	__u32 backend;
	int ret;

	/* the header at l3_off, whatever tags came before: only untagged ones are balanced */
	ip6h = data + (p->l3_off & 0x3f);
	if ((void *)(ip6h + 1) > data_end)
		return XDP_PASS;
	__builtin_memcpy(sk.addr, &ip6h->daddr, 16);
	sk.proto = p->proto;
	sk.port = bpf_htons(p->dport);
	sv = bpf_map_lookup_elem(&lb_services6, &sk);
	if (!sv)
		return XDP_PASS;
	ret = lb_unbalanceable(p, sv);
	if (ret >= 0)
		return ret;
	if (ip6h->nexthdr != p->proto)
		lb_count_misc(LB_M_V6_EXT);
	__builtin_memcpy(fk.src, &ip6h->saddr, 16);
	__builtin_memcpy(fk.dst, sk.addr, 16);
	fk.sport = bpf_htons(p->sport);
	fk.dport = sk.port;
	fk.proto = p->proto;
	backend = lb_pick(&lb_flows6, &fk, lb_flow6_hash(&fk), sv, gen, cfg->ring_size, &new_flow);
	return lb_out(ctx, p, sv, backend, new_flow, cfg);
}

/* After the filter passed the packet: balance it, decapsulate it, or leave it alone. */
static __always_inline int lb_xdp(struct xdp_md *ctx, const struct pkt *p)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 gen = *(volatile __u32 *)&lb.active & 1, backend;
	const struct lb_config *cfg = &lb.cfg[gen];
	struct lb_svc_key sk = { .gen = gen };
	struct lb_flow_key fk = {};
	struct lb_svc_val *sv;
	struct iphdr *iph;
	bool new_flow = false;
	int ret;

	if (!cfg->flags || !p->family)
		return XDP_PASS;
	if (p->family == 4 && p->proto == IPPROTO_IPIP_)
		return cfg->flags & LB_CFG_DECAP ? lb_decap(ctx, cfg) : XDP_PASS;
	if (p->family == 6 && p->proto == IPPROTO_IPV6_)
		return cfg->flags & LB_CFG_DECAP ? lb_decap6(ctx, cfg) : XDP_PASS;
	if (!(cfg->flags & LB_CFG_BALANCE) || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return XDP_PASS;
	if (p->family == 6)
		return lb_xdp6(ctx, p, gen, cfg);
	iph = data + sizeof(struct ethhdr);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	sk.addr = iph->daddr;
	sk.proto = p->proto;
	/* a non-first fragment has no ports (dport 0): it finds no service and passes */
	sk.port = bpf_htons(p->dport);
	sv = bpf_map_lookup_elem(&lb_services, &sk);
	if (!sv)
		return XDP_PASS;
	ret = lb_unbalanceable(p, sv);
	if (ret >= 0)
		return ret;
	fk.src = iph->saddr;
	fk.dst = iph->daddr;
	fk.sport = bpf_htons(p->sport);
	fk.dport = sk.port;
	fk.proto = p->proto;
	backend = lb_pick(&lb_flows, &fk, lb_flow_hash(&fk), sv, gen, cfg->ring_size, &new_flow);
	return lb_out(ctx, p, sv, backend, new_flow, cfg);
}

#endif
