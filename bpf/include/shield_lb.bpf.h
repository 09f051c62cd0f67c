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
 * Verdicts: not to a service: untouched (XDP_PASS). Fragments to a service: dropped (a
 * non-first fragment has no ports to hash, so its flow cannot be found). VLAN-tagged frames:
 * passed untouched. IP options: encapsulated as they are (the inner header is not changed).
 */
#ifndef VIGIL_SHIELD_LB_BPF_H
#define VIGIL_SHIELD_LB_BPF_H

#include "vigil/balance.h"

#define AF_INET_      2
#define IPPROTO_IPIP_ 4
#define LB_OUTER_TTL  64

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

/* The backend slot of this packet's flow: the flow table's, or the ring's for a new one. */
static __always_inline __u32 lb_pick(const struct lb_flow_key *fk, const struct lb_svc_val *sv,
				     __u32 gen, __u32 ring_size, bool *new_flow)
{
	struct lb_backend *be;
	__u32 *known, idx, *slot;
	void *ring;

	known = bpf_map_lookup_elem(&lb_flows, fk);
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
	idx = sv->row * ring_size + lb_flow_hash(fk) % ring_size;
	slot = bpf_map_lookup_elem(ring, &idx);
	if (!slot || *slot == LB_NO_BACKEND)
		return LB_NO_BACKEND;
	idx = *slot;
	bpf_map_update_elem(&lb_flows, fk, &idx, BPF_ANY);
	*new_flow = true;
	return idx;
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
	if (ret == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* the stack forwards it and resolves the neighbour for the next packets */
		lb_count_misc(LB_M_NEIGH_PASS);
		return XDP_PASS;
	}
	if (ret != BPF_FIB_LKUP_RET_SUCCESS)
		return -1;
	__builtin_memcpy(eth->h_dest, fib.dmac, 6);
	__builtin_memcpy(eth->h_source, fib.smac, 6);
	if (fib.ifindex == ctx->ingress_ifindex) {
		lb_count_misc(LB_M_TX);
		return XDP_TX;
	}
	lb_count_misc(LB_M_REDIRECT);
	return bpf_redirect(fib.ifindex, 0);
}

/* After the filter passed the packet: balance it, decapsulate it, or leave it alone. */
static __always_inline int lb_xdp(struct xdp_md *ctx, const struct pkt *p)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 gen = *(volatile __u32 *)&lb.active & 1, backend;
	const struct lb_config *cfg = &lb.cfg[gen];
	struct lb_svc_key sk = { .gen = gen };
	struct lb_flow_key fk = {};
	struct lb_backend *be;
	struct lb_svc_val *sv;
	struct iphdr *iph;
	bool new_flow = false;
	int ret;

	if (!cfg->flags || p->family != 4)
		return XDP_PASS;
	if (p->proto == IPPROTO_IPIP_)
		return cfg->flags & LB_CFG_DECAP ? lb_decap(ctx, cfg) : XDP_PASS;
	if (!(cfg->flags & LB_CFG_BALANCE) || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return XDP_PASS;
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
	if (p->l3_off != sizeof(struct ethhdr)) {
		lb_count_misc(LB_M_UNTOUCHED);
		return XDP_PASS;
	}
	if (p->frag || !p->has_l4) {
		lb_count_misc(LB_M_FRAGMENT);
		lb_count(&lb_svc_stats, sv->slot, 0, false, true);
		return XDP_DROP;
	}
	fk.src = iph->saddr;
	fk.dst = iph->daddr;
	fk.sport = bpf_htons(p->sport);
	fk.dport = sk.port;
	fk.proto = p->proto;
	backend = lb_pick(&fk, sv, gen, cfg->ring_size, &new_flow);
	be = backend == LB_NO_BACKEND ? NULL : bpf_map_lookup_elem(&lb_backends, &backend);
	if (!be) {
		lb_count_misc(LB_M_NO_BACKEND);
		lb_count(&lb_svc_stats, sv->slot, 0, false, true);
		return XDP_DROP;
	}
	lb_count(&lb_svc_stats, sv->slot, p->len, new_flow, false);
	lb_count(&lb_be_stats, backend, p->len, new_flow, false);
	ret = lb_forward(ctx, be->addr, cfg->tunnel_src);
	if (ret < 0) {
		lb_count_misc(LB_M_NO_ROUTE);
		lb_count(&lb_svc_stats, sv->slot, 0, false, true);
		return XDP_DROP;
	}
	return ret;
}

#endif
