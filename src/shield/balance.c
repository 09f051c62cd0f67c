// SPDX-License-Identifier: GPL-2.0
/*
 * The balancer's control plane: stable slots for services and backends, Maglev tables in the
 * idle generation, the flip, and the counters.
 *
 * Install: (1) give every service and backend of the rule set its slot (the same one as
 * before when it was there before: counters, health and the flow table refer to slots) and
 * mark the slots of removed ones unused (their address stays, so the generation in force
 * still forwards correctly); (2) build the idle generation from the slots (rebuild); (3) after
 * the flip and an RCU grace period, clear the removed slots. A health change only does (2).
 */
#include "shield/shield.h"
#include "shield/maglev.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct slots {
	struct lb_svc_info svc[LB_MAX_SERVICES];
	struct lb_backend be[LB_MAX_BACKENDS];
};

static int read_slots(const struct shield_maps *m, struct slots *s)
{
	for (__u32 i = 0; i < LB_MAX_SERVICES; i++)
		if (bpf_map_lookup_elem(m->lb_svc_info, &i, &s->svc[i]))
			return -errno;
	for (__u32 i = 0; i < LB_MAX_BACKENDS; i++)
		if (bpf_map_lookup_elem(m->lb_backends, &i, &s->be[i]))
			return -errno;
	return 0;
}

/* Zero a slot's per-CPU counters: a new service or backend starts from nothing. */
static int zero_counters(int fd, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct lb_counter *z;

	if (ncpu < 0)
		return ncpu;
	z = calloc(ncpu, sizeof(*z));
	if (!z)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, &slot, z, BPF_ANY))
		ret = -errno;
	free(z);
	return ret;
}

/* The slot a service had, or a free one (*fresh); -ENOSPC. */
static int find_service(const struct slots *s, const struct lb_svc_info *want, const bool *taken,
			bool *fresh)
{
	int free_slot = -ENOSPC;

	for (int i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_svc_info *o = &s->svc[i];

		if ((o->flags & LB_SVC_USED) && !memcmp(o->addr, want->addr, sizeof(o->addr)) &&
		    o->port == want->port && o->proto == want->proto && !taken[i]) {
			*fresh = false;
			return i;
		}
		if (!o->flags && !taken[i] && free_slot < 0)
			free_slot = i;
	}
	*fresh = true;
	return free_slot;
}

/* The slot a (service, backend) pair had, or a free one (*fresh); -ENOSPC. */
static int find_backend(const struct slots *s, __u32 svc, const __u32 *addr, const bool *taken,
			bool *fresh)
{
	int free_slot = -ENOSPC;

	for (int i = 0; i < LB_MAX_BACKENDS; i++) {
		const struct lb_backend *o = &s->be[i];

		if ((o->flags & LB_BE_USED) && o->svc_slot == svc &&
		    !memcmp(o->addr, addr, sizeof(o->addr)) && !taken[i]) {
			*fresh = false;
			return i;
		}
		if (!o->flags && !taken[i] && free_slot < 0)
			free_slot = i;
	}
	*fresh = true;
	return free_slot;
}

/* The whole table in one batch (one syscall for 65537 entries), else one by one. */
static int write_ring(int fd, const __u32 *ring, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = n, *keys;
	int ret = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, ring, &count, &opts)) {
		for (__u32 i = 0; i < n && !ret; i++)
			if (bpf_map_update_elem(fd, &keys[i], &ring[i], BPF_ANY))
				ret = -errno;
	}
	free(keys);
	return ret;
}

/* Delete generation @gen's keys from a service map (both key types start with gen). */
static void drop_gen(int fd, __u32 gen)
{
	struct lb_svc6_key k, nk;
	bool more = !bpf_map_get_next_key(fd, NULL, &k);

	while (more) {
		more = !bpf_map_get_next_key(fd, &k, &nk);
		if (k.gen == gen)
			bpf_map_delete_elem(fd, &k);
		k = nk;
	}
}

static void drop_services(const struct shield_maps *m, __u32 gen)
{
	drop_gen(m->lb_services, gen);
	drop_gen(m->lb_services6, gen);
}

/* A service's key in generation @gen, in lb_services or lb_services6: 0 or -errno. */
static int add_service(const struct shield_maps *m, const struct lb_svc_info *si, __u32 gen,
		       const struct lb_svc_val *v)
{
	struct lb_svc6_key k6 = { .gen = gen, .port = htons(si->port), .proto = si->proto };
	struct lb_svc_key k = { .gen = gen, .port = k6.port, .proto = si->proto };
	int ret;

	if (lb_addr_is_v4(si->addr)) {
		k.addr = si->addr[3];
		ret = bpf_map_update_elem(m->lb_services, &k, v, BPF_ANY);
	} else {
		memcpy(k6.addr, si->addr, sizeof(k6.addr));
		ret = bpf_map_update_elem(m->lb_services6, &k6, v, BPF_ANY);
	}
	return ret ? -errno : 0;
}

/* A backend's Maglev key: its IPv4 address, or the IPv6 one folded to 32 bits. */
static __u32 maglev_key(const __u32 *a)
{
	if (lb_addr_is_v4(a))
		return a[3];
	return ((a[0] * 0x9e3779b1 ^ a[1]) * 0x85ebca77 ^ a[2]) * 0xc2b2ae3d ^ a[3];
}

const char *lb_addr_str(const __u32 *a, char *buf)
{
	if (lb_addr_is_v4(a))
		return inet_ntop(AF_INET, &a[3], buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* The next generation's services and tables, from the slots; then the flip. */
static int rebuild(const struct shield_maps *m, const struct slots *s, const struct lb_config *cfg)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	__u32 zero = 0, next, old, n_svc = 0, row = 0, *ring = NULL, *tmp = NULL;
	__u32 keys[LB_MAX_SVC_BACKENDS], weights[LB_MAX_SVC_BACKENDS], slot[LB_MAX_SVC_BACKENDS];
	struct lb_globals g;
	int inner = -1, ret;

	if (bpf_map_lookup_elem(m->lb_cfg, &zero, &g))
		return -errno;
	old = g.active & 1;
	next = !old;
	ret = shield_rcu_sync(); /* nothing may still use the idle generation */
	if (ret)
		return ret;
	drop_services(m, next); /* what a failed rebuild may have left there */
	for (__u32 i = 0; i < LB_MAX_SERVICES; i++)
		n_svc += !!(s->svc[i].flags & LB_SVC_USED);
	g.cfg[next] = *cfg;
	g.cfg[next].flags =
		(n_svc ? LB_CFG_BALANCE : 0) | (cfg->n_decap || cfg->n_decap6 ? LB_CFG_DECAP : 0);
	if (n_svc) {
		inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lb_ring_gen", sizeof(__u32),
				       sizeof(__u32), n_svc * cfg->ring_size, &opts);
		ring = calloc((size_t)n_svc * cfg->ring_size, sizeof(*ring));
		tmp = calloc(cfg->ring_size, sizeof(*tmp));
		if (inner < 0 || !ring || !tmp) {
			ret = inner < 0 ? -errno : -ENOMEM;
			goto out;
		}
	}
	for (__u32 i = 0; i < LB_MAX_SERVICES; i++) {
		const struct lb_svc_info *si = &s->svc[i];
		struct lb_svc_val v = { .slot = i, .row = row };
		unsigned int n = 0;

		if (!(si->flags & LB_SVC_USED))
			continue;
		for (__u32 b = 0; b < LB_MAX_BACKENDS && n < LB_MAX_SVC_BACKENDS; b++) {
			const struct lb_backend *be = &s->be[b];

			if ((be->flags & LB_BE_USED) && be->svc_slot == i) {
				keys[n] = maglev_key(be->addr);
				weights[n] = be->flags & LB_BE_UP ? be->weight : 0;
				slot[n++] = b;
			}
		}
		ret = maglev_build(tmp, cfg->ring_size, keys, weights, n);
		if (ret)
			goto out;
		for (__u32 j = 0; j < cfg->ring_size; j++)
			ring[(size_t)row * cfg->ring_size + j] =
				tmp[j] == MAGLEV_NONE ? LB_NO_BACKEND : slot[tmp[j]];
		ret = add_service(m, si, next, &v);
		if (ret)
			goto out;
		row++;
	}
	ret = write_ring(inner, ring, n_svc * cfg->ring_size);
	if (ret)
		goto out;
	if (inner >= 0 && bpf_map_update_elem(m->lb_ring, &next, &inner, BPF_ANY)) {
		ret = -errno;
		goto out;
	}
	if (inner < 0 && bpf_map_delete_elem(m->lb_ring, &next) && errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	/* the idle configuration, then the flip: the active half is written as it was */
	if (bpf_map_update_elem(m->lb_cfg, &zero, &g, BPF_ANY)) {
		ret = -errno;
		goto out;
	}
	g.active = next;
	g.seq++;
	if (bpf_map_update_elem(m->lb_cfg, &zero, &g, BPF_ANY)) {
		ret = -errno;
		goto out;
	}
	/* the old generation's services and table, once no packet uses them */
	ret = shield_rcu_sync();
	if (!ret) {
		drop_services(m, old);
		bpf_map_delete_elem(m->lb_ring, &old);
	}
	pr_debug("shield", "balancer generation %u: %u services", next, n_svc);
out:
	if (inner >= 0)
		close(inner);
	free(ring);
	free(tmp);
	return ret;
}

/* New tables from the maps, with backend @slot's health set to @up (LB_MAX_BACKENDS: none). */
static int rebuild_from_maps(const struct shield_maps *m, __u32 slot, bool up)
{
	struct lb_globals g;
	struct slots *s;
	__u32 zero = 0;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = read_slots(m, s);
	if (!ret && bpf_map_lookup_elem(m->lb_cfg, &zero, &g))
		ret = -errno;
	if (!ret && slot < LB_MAX_BACKENDS)
		s->be[slot].flags =
			up ? s->be[slot].flags | LB_BE_UP : s->be[slot].flags & ~LB_BE_UP;
	if (!ret)
		ret = rebuild(m, s, &g.cfg[g.active & 1]);
	free(s);
	return ret;
}

int shield_balance_rebuild(const struct shield_maps *m)
{
	return rebuild_from_maps(m, LB_MAX_BACKENDS, false);
}

int shield_balance_set_up(const struct shield_maps *m, __u32 slot, bool up)
{
	struct lb_backend be;
	int ret;

	if (slot >= LB_MAX_BACKENDS || bpf_map_lookup_elem(m->lb_backends, &slot, &be))
		return -ENOENT;
	if (!(be.flags & LB_BE_USED) || !!(be.flags & LB_BE_UP) == up)
		return 0;
	/* the tables first: from the flip on, no new flow goes to a failed backend; then the
	 * flag, which moves the flows it still has */
	ret = rebuild_from_maps(m, slot, up);
	if (ret)
		return ret;
	be.flags = up ? be.flags | LB_BE_UP : be.flags & ~LB_BE_UP;
	if (bpf_map_update_elem(m->lb_backends, &slot, &be, BPF_ANY))
		return -errno;
	return 1;
}

/* Give the rule set's services and backends their slots; removed ones lose LB_*_USED. */
static int assign_slots(const struct shield_maps *m, const struct shield_ruleset *rs,
			struct slots *s, bool *svc_taken, bool *be_taken)
{
	const struct shield_balance *lb = &rs->lb;
	int ret;

	for (unsigned int i = 0; i < lb->n_svc; i++) {
		const struct lb_service_spec *spec = &lb->svc[i];
		bool fresh;
		int sl = find_service(s, &spec->info, svc_taken, &fresh);

		if (sl < 0)
			return sl;
		if (fresh) {
			ret = zero_counters(m->lb_svc_stats, sl);
			if (ret)
				return ret;
		}
		svc_taken[sl] = true;
		s->svc[sl] = spec->info;
		for (unsigned int j = 0; j < spec->n_be; j++) {
			int b = find_backend(s, sl, spec->be[j].addr, be_taken, &fresh);
			__u32 up = LB_BE_UP;

			if (b < 0)
				return b;
			if (fresh) {
				ret = zero_counters(m->lb_be_stats, b);
				if (ret)
					return ret;
			} else {
				up = s->be[b].flags & LB_BE_UP; /* health survives reloads */
			}
			be_taken[b] = true;
			s->be[b] = (struct lb_backend){ .flags = LB_BE_USED | up,
							.svc_slot = sl,
							.weight = spec->be[j].weight };
			memcpy(s->be[b].addr, spec->be[j].addr, sizeof(s->be[b].addr));
		}
	}
	for (__u32 i = 0; i < LB_MAX_SERVICES; i++) {
		if (!svc_taken[i])
			s->svc[i].flags &= ~LB_SVC_USED;
		if (bpf_map_update_elem(m->lb_svc_info, &i, &s->svc[i], BPF_ANY))
			return -errno;
	}
	for (__u32 i = 0; i < LB_MAX_BACKENDS; i++) {
		if (!be_taken[i])
			s->be[i].flags &= ~LB_BE_USED;
		if (bpf_map_update_elem(m->lb_backends, &i, &s->be[i], BPF_ANY))
			return -errno;
	}
	return 0;
}

void shield_balance_warn_tc(const struct shield_maps *m, const struct shield_ruleset *rs)
{
	struct shield_state st;
	__u32 zero = 0;

	if ((rs->lb.n_svc || rs->lb.cfg.n_decap || rs->lb.cfg.n_decap6) &&
	    !bpf_map_lookup_elem(m->state, &zero, &st) && st.mode == SHIELD_MODE_TC)
		pr_warn("shield", "the shield runs in tc mode: it filters, but balances and "
				  "decapsulates in XDP only (attach it in native or generic mode)");
}

int shield_balance_install(const struct shield_maps *m, const struct shield_ruleset *rs, char *err,
			   size_t errlen)
{
	bool svc_taken[LB_MAX_SERVICES] = {}, *be_taken;
	struct lb_globals g;
	struct slots *s;
	__u32 zero = 0;
	int ret;

	/* no balancer before, none now: nothing to do (a filter-only reload stays as fast) */
	if (!rs->lb.n_svc && !rs->lb.cfg.n_decap && !rs->lb.cfg.n_decap6 &&
	    !bpf_map_lookup_elem(m->lb_cfg, &zero, &g) && !g.cfg[g.active & 1].flags)
		return 0;
	s = calloc(1, sizeof(*s));
	be_taken = calloc(LB_MAX_BACKENDS, sizeof(*be_taken));
	if (!s || !be_taken) {
		ret = -ENOMEM;
		goto out;
	}
	ret = read_slots(m, s);
	if (!ret)
		ret = assign_slots(m, rs, s, svc_taken, be_taken);
	if (ret == -ENOSPC) {
		snprintf(err, errlen, "cannot install the balancer: more than %d backends in all",
			 LB_MAX_BACKENDS);
		goto out;
	}
	if (!ret)
		ret = rebuild(m, s, &rs->lb.cfg);
	if (ret) {
		snprintf(err, errlen, "cannot install the balancer: %s", strerror(-ret));
		goto out;
	}
	shield_balance_warn_tc(m, rs);
	/* no generation uses the removed slots any more: clear them */
	for (__u32 i = 0; i < LB_MAX_SERVICES; i++) {
		struct lb_svc_info none = {};

		if (!svc_taken[i] && lb_addr_set(s->svc[i].addr))
			bpf_map_update_elem(m->lb_svc_info, &i, &none, BPF_ANY);
	}
	for (__u32 i = 0; i < LB_MAX_BACKENDS; i++) {
		struct lb_backend none = {};

		if (!be_taken[i] && lb_addr_set(s->be[i].addr))
			bpf_map_update_elem(m->lb_backends, &i, &none, BPF_ANY);
	}
out:
	free(s);
	free(be_taken);
	return ret;
}

static int sum_counter(int fd, __u32 slot, struct lb_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct lb_counter *v;

	memset(out, 0, sizeof(*out));
	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &slot, v)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < ncpu; c++) {
		out->packets += v[c].packets;
		out->bytes += v[c].bytes;
		out->new_flows += v[c].new_flows;
		out->dropped += v[c].dropped;
	}
	free(v);
	return 0;
}

int shield_balance_read(const struct shield_maps *m, struct lb_status *st)
{
	int ncpu = libbpf_num_possible_cpus(), ret;
	struct slots *s;
	__u32 zero = 0;
	__u64 *v;

	memset(st, 0, sizeof(*st));
	if (ncpu < 0)
		return ncpu;
	if (bpf_map_lookup_elem(m->lb_cfg, &zero, &st->g))
		return -errno;
	s = calloc(1, sizeof(*s));
	v = calloc(ncpu, sizeof(*v));
	if (!s || !v) {
		ret = -ENOMEM;
		goto out;
	}
	ret = read_slots(m, s);
	for (__u32 i = 0; !ret && i < LB_MAX_SERVICES; i++) {
		struct lb_status_service *ss = &st->svc[st->n_svc];

		if (!(s->svc[i].flags & LB_SVC_USED))
			continue;
		ss->slot = i;
		ss->info = s->svc[i];
		ret = sum_counter(m->lb_svc_stats, i, &ss->c);
		for (__u32 b = 0; !ret && b < LB_MAX_BACKENDS && ss->n_be < LB_MAX_SVC_BACKENDS;
		     b++) {
			struct lb_status_backend *sb = &ss->be[ss->n_be];

			if (!(s->be[b].flags & LB_BE_USED) || s->be[b].svc_slot != i)
				continue;
			sb->slot = b;
			sb->be = s->be[b];
			ret = sum_counter(m->lb_be_stats, b, &sb->c);
			ss->n_be++;
		}
		st->n_svc++;
	}
	for (__u32 i = 0; !ret && i < LB_M_MAX; i++) {
		if (bpf_map_lookup_elem(m->lb_misc, &i, v)) {
			ret = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			st->misc[i] += v[c];
	}
out:
	free(s);
	free(v);
	return ret;
}

const char *shield_lb_misc_name(enum lb_misc i)
{
	static const char *names[LB_M_MAX] = {
		[LB_M_DECAP] = "decapsulated",	  [LB_M_FRAGMENT] = "fragment",
		[LB_M_NO_BACKEND] = "no_backend", [LB_M_NO_ROUTE] = "no_route",
		[LB_M_NEIGH_PASS] = "neigh_pass", [LB_M_TX] = "tx",
		[LB_M_REDIRECT] = "redirect",	  [LB_M_UNTOUCHED] = "untouched",
		[LB_M_V6_EXT] = "v6_ext_headers",
	};

	return i < LB_M_MAX ? names[i] : "?";
}
