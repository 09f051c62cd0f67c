// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic rule-set install: build the new generation next to the live one, then flip.
 *
 * The program reads shield_state.active once per packet and uses only that generation's
 * table, tries, port table and config. So: (1) wait out packets that may still use the idle slot,
 * (2) fill the idle slot completely (fresh tries, port table, config, counters),
 * (3) flip `active` with one aligned 4-byte store, (4) wait out packets of the old
 * generation, then free its tries. No packet ever sees a half-built or mixed rule set.
 */
#include "shield/shield.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/*
 * The kernel waits for an RCU grace period after every update of a map-in-map
 * (maybe_wait_bpf_programs), i.e. until every XDP/tc program that started before has
 * finished. A throwaway one-slot ARRAY_OF_MAPS gives us that wait on demand.
 */
int shield_rcu_sync(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer, ret = 0;
	__u32 key = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shield_sync_in", 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "shield_sync", 4, 4, 1, &opts);
	if (outer < 0) {
		ret = -errno;
		goto out;
	}
	if (bpf_map_update_elem(outer, &key, &inner, BPF_ANY))
		ret = -errno;
	close(outer);
out:
	close(inner);
	return ret;
}

/* The IPv4 trie holds only what the /24 table cannot: prefixes longer than /24. */
static bool in_trie(const struct shield_prefix *p, int family)
{
	return p->family == family && (family == 6 || p->len > 24);
}

static int fill_trie(int fd, const struct shield_ruleset *rs, int family)
{
	for (size_t i = 0; i < rs->n_prefixes; i++) {
		const struct shield_prefix *p = &rs->prefixes[i];
		struct shield_rule_val v = { .action = p->action, .rule_id = p->rule_id };
		union {
			struct shield_lpm_v4 v4;
			struct shield_lpm_v6 v6;
		} k;

		if (!in_trie(p, family))
			continue;
		if (family == 4) {
			k.v4.prefixlen = p->len;
			memcpy(k.v4.addr, p->addr, 4);
		} else {
			k.v6.prefixlen = p->len;
			memcpy(k.v6.addr, p->addr, 16);
		}
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int new_trie(int family, const struct shield_ruleset *rs)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	__u32 ksz = family == 4 ? sizeof(struct shield_lpm_v4) : sizeof(struct shield_lpm_v6);
	int fd, ret;

	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, family == 4 ? "shield_trie4" : "shield_trie6",
			    ksz, sizeof(struct shield_rule_val), SHIELD_MAX_PREFIXES, &opts);
	if (fd < 0)
		return -errno;
	ret = fill_trie(fd, rs, family);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static __u16 table_entry(const struct shield_prefix *p)
{
	__u16 e = p->action & SHIELD_TE_ACTION;

	if (p->rule_id < SHIELD_MAX_RULES)
		e |= SHIELD_TE_RULE | p->rule_id << SHIELD_TE_RULE_SHIFT;
	return e;
}

/*
 * Paint the /24 table: prefixes by length, shortest first, each over its whole range, so the
 * longest prefix up to /24 is what stays; within one length, the finalize order (the trie's
 * insertion order) decides, as it did for the trie. Then mark the /24s of longer prefixes.
 */
static void paint_table(__u16 *tbl, const struct shield_ruleset *rs)
{
	for (int len = 0; len <= 24; len++) {
		for (size_t i = 0; i < rs->n_prefixes; i++) {
			const struct shield_prefix *p = &rs->prefixes[i];
			__u32 a, n;
			__u16 e;

			if (p->family != 4 || p->len != len)
				continue;
			memcpy(&a, p->addr, 4);
			a = ntohl(a) >> 8;
			n = 1u << (24 - len);
			e = table_entry(p);
			for (__u32 j = 0; j < n; j++)
				tbl[a + j] = e;
		}
	}
	for (size_t i = 0; i < rs->n_prefixes; i++) {
		const struct shield_prefix *p = &rs->prefixes[i];
		__u32 a;

		if (p->family != 4 || p->len <= 24)
			continue;
		memcpy(&a, p->addr, 4);
		tbl[ntohl(a) >> 8] |= SHIELD_TE_DEEP;
	}
}

/* A prefix longer than /24, by its /24, longest first; identical ones: the last one wins. */
struct deep_ref {
	__u32 net; /* address >> 8 */
	__u32 idx; /* in the rule set (finalize order) */
	__u8 last; /* last octet */
	__u8 len;
};

static int deep_cmp(const void *a, const void *b)
{
	const struct deep_ref *x = a, *y = b;

	if (x->net != y->net)
		return x->net < y->net ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return x->idx > y->idx ? -1 : x->idx < y->idx; /* as in the trie: the later one stays */
}

/* Put one /24's items (refs[0..n), sorted) in its bucket; false when they do not fit. */
static bool place(struct shield_deep4_bucket *b, __u32 mask, const struct deep_ref *refs, size_t n,
		  const struct shield_ruleset *rs)
{
	struct shield_deep4 d = { 0 };
	__u32 items = 0, h;

	for (size_t i = 0; i < n; i++) {
		const struct shield_prefix *p = &rs->prefixes[refs[i].idx];

		if (i && refs[i].len == refs[i - 1].len && refs[i].last == refs[i - 1].last)
			continue; /* the same prefix again: the first of them (the last added) wins
				   */
		if (items == SHIELD_DEEP_ITEMS)
			return false;
		d.item[items++] =
			(struct shield_deep_item){ refs[i].last, refs[i].len, table_entry(p) };
	}
	d.key = refs[0].net << 8 | items;
	h = shield_deep_hash(refs[0].net) & mask;
	for (int i = 0; i < SHIELD_DEEP_SLOTS; i++) {
		if (!b[h].slot[i].key) {
			b[h].slot[i] = d;
			return true;
		}
	}
	return false;
}

/*
 * deep_v4 for the generation: the longer prefixes of each DEEP /24 in a bucket; a /24 that
 * does not fit is marked SHIELD_TE_TRIE in @tbl. Returns the map fd (*mask set), -ENOENT when
 * there is no prefix longer than /24, or -errno.
 */
static int new_deep(__u16 *tbl, const struct shield_ruleset *rs, __u32 *mask)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	struct shield_deep4_bucket *b = NULL;
	struct deep_ref *refs = NULL;
	size_t n = 0, groups = 0, used = 0, trie = 0;
	__u32 nb = 1, *keys = NULL;
	int fd = -ENOMEM;

	for (size_t i = 0; i < rs->n_prefixes; i++)
		n += rs->prefixes[i].family == 4 && rs->prefixes[i].len > 24;
	if (!n)
		return -ENOENT;
	refs = calloc(n, sizeof(*refs));
	if (!refs)
		goto out;
	n = 0;
	for (size_t i = 0; i < rs->n_prefixes; i++) {
		const struct shield_prefix *p = &rs->prefixes[i];
		__u32 a;

		if (p->family != 4 || p->len <= 24)
			continue;
		memcpy(&a, p->addr, 4);
		a = ntohl(a);
		refs[n++] = (struct deep_ref){ a >> 8, i, a & 0xff, p->len };
	}
	qsort(refs, n, sizeof(*refs), deep_cmp);
	for (size_t i = 0; i < n; i++)
		groups += !i || refs[i].net != refs[i - 1].net;
	/* slots at most 2/3 full: a full bucket (the trie then) stays rare */
	while (nb * SHIELD_DEEP_SLOTS < groups + groups / 2)
		nb *= 2;
	b = calloc(nb, sizeof(*b));
	keys = calloc(nb, sizeof(*keys));
	if (!b || !keys)
		goto out;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && refs[j].net == refs[i].net; j++)
			;
		if (!place(b, nb - 1, &refs[i], j - i, rs)) {
			tbl[refs[i].net] |= SHIELD_TE_TRIE;
			trie++;
		}
	}
	pr_debug("shield",
		 "deep_v4: %zu /24s with longer prefixes, %zu in %u buckets, %zu in the "
		 "trie",
		 groups, groups - trie, nb, trie);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shield_deep4", sizeof(__u32), sizeof(*b), nb,
			    &opts);
	if (fd < 0) {
		fd = -errno;
		goto out;
	}
	/* the kernel zeroes it: write the buckets in use, packed */
	for (__u32 h = 0; h < nb; h++)
		if (b[h].slot[0].key) {
			keys[used] = h;
			b[used++] = b[h];
		}
	for (__u32 i = 0, count; i < used; i += count) {
		count = used - i;
		if (bpf_map_update_batch(fd, keys + i, b + i, &count, &bopts) && !count) {
			/* no batch ops on arrays: one by one */
			for (count = 0; i + count < used; count++)
				if (bpf_map_update_elem(fd, &keys[i + count], &b[i + count],
							BPF_ANY)) {
					close(fd);
					fd = -errno;
					goto out;
				}
		}
	}
	*mask = nb - 1;
out:
	free(refs);
	free(b);
	free(keys);
	return fd;
}

/*
 * The generation's IPv4 table (and deep_v4 in *deep, or -ENOENT), or -ENOENT when it has no
 * IPv4 prefix (no 32 MiB then).
 */
static int new_table(const struct shield_ruleset *rs, int *deep, __u32 *deep_mask)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	size_t size = (size_t)SHIELD_TBL4_ELEMS * sizeof(struct shield_tbl4_elem);
	bool any = false;
	void *tbl;
	int fd;

	for (size_t i = 0; i < rs->n_prefixes && !any; i++)
		any = rs->prefixes[i].family == 4;
	if (!any)
		return -ENOENT;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shield_table4", sizeof(__u32),
			    sizeof(struct shield_tbl4_elem), SHIELD_TBL4_ELEMS, &opts);
	if (fd < 0)
		return -errno;
	tbl = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (tbl == MAP_FAILED) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	/* the kernel hands it out zeroed: SHIELD_ACT_NONE everywhere */
	paint_table(tbl, rs);
	*deep = new_deep(tbl, rs, deep_mask);
	munmap(tbl, size);
	if (*deep < 0 && *deep != -ENOENT) {
		close(fd);
		return *deep;
	}
	return fd;
}

static int write_ports(int fd, __u32 gen, const struct shield_ruleset *rs)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = SHIELD_PT_SLOTS, *keys;
	int ret = 0;

	keys = malloc(SHIELD_PT_SLOTS * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (__u32 i = 0; i < SHIELD_PT_SLOTS; i++)
		keys[i] = gen * SHIELD_PT_SLOTS + i;
	if (bpf_map_update_batch(fd, keys, rs->ports, &count, &opts)) {
		/* older kernels without batch ops on arrays: one by one */
		for (__u32 i = 0; i < SHIELD_PT_SLOTS; i++) {
			if (bpf_map_update_elem(fd, &keys[i], &rs->ports[i], BPF_ANY)) {
				ret = -errno;
				break;
			}
		}
	}
	free(keys);
	return ret;
}

/*
 * Make the idle generation's stats slot fresh: fold its verdict counters into the control
 * plane's slot (totals survive reloads), zero it (rule counters restart), write rule names.
 * Only called after an RCU sync: no packet uses the idle generation, so nothing races.
 */
static int reset_stats(const struct shield_maps *m, __u32 gen, const struct shield_ruleset *rs)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct shield_stats *cur = NULL, *acc = NULL;
	__u32 keep = SHIELD_GENS;

	if (ncpu < 0)
		return ncpu;
	cur = calloc(ncpu, sizeof(*cur));
	acc = calloc(ncpu, sizeof(*acc));
	if (!cur || !acc) {
		ret = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(m->stats, &gen, cur) || bpf_map_lookup_elem(m->stats, &keep, acc)) {
		ret = -errno;
		goto out;
	}
	for (int c = 0; c < ncpu; c++) {
		for (int i = 0; i < SHIELD_NR_COUNTERS; i++) {
			acc[c].verdict[i].packets += cur[c].verdict[i].packets;
			acc[c].verdict[i].bytes += cur[c].verdict[i].bytes;
		}
	}
	memset(cur, 0, ncpu * sizeof(*cur));
	if (bpf_map_update_elem(m->stats, &keep, acc, BPF_ANY) ||
	    bpf_map_update_elem(m->stats, &gen, cur, BPF_ANY)) {
		ret = -errno;
		goto out;
	}
	for (__u32 i = 0; i < SHIELD_MAX_RULES; i++) {
		struct shield_rule_info empty = {};
		__u32 k = gen * SHIELD_MAX_RULES + i;
		const void *info = i < rs->n_rules ? (const void *)&rs->rules[i] : &empty;

		if (bpf_map_update_elem(m->rule_info, &k, info, BPF_ANY)) {
			ret = -errno;
			break;
		}
	}
out:
	free(cur);
	free(acc);
	return ret;
}

/*
 * The idle generation's configuration. Both generations are one value (the program's global
 * shield_cfg[]): the active one is written back with the bytes it already holds, so a packet
 * reading it meanwhile sees no change.
 */
/* The flags the install derives: SHIELD_CFG_SOURCES and the kinds of port rule (PT_*). */
static __u32 derived_flags(const struct shield_ruleset *rs)
{
	const struct shield_config *c = &rs->cfg;
	static const struct {
		__u32 base, n, flag;
	} kinds[] = {
		{ SHIELD_PT_TCP_DPORT, 65536, SHIELD_CFG_PT_TCP_DPORT },
		{ SHIELD_PT_UDP_DPORT, 65536, SHIELD_CFG_PT_UDP_DPORT },
		{ SHIELD_PT_TCP_SPORT, 65536, SHIELD_CFG_PT_TCP_SPORT },
		{ SHIELD_PT_UDP_SPORT, 65536, SHIELD_CFG_PT_UDP_SPORT },
		{ SHIELD_PT_PROTO, 256, SHIELD_CFG_PT_PROTO },
	};
	__u32 flags = 0;

	if (c->pps.cost_ns || c->bps.cost_ns || c->syn.cost_ns || c->icmp.cost_ns ||
	    (c->flags & SHIELD_CFG_TRACK_SOURCES))
		flags |= SHIELD_CFG_SOURCES;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (__u32 i = 0; i < kinds[k].n && !(flags & kinds[k].flag); i++)
			if (rs->ports[kinds[k].base + i].action != SHIELD_ACT_NONE)
				flags |= kinds[k].flag;
	return flags;
}

static int write_cfg(int fd, __u32 gen, const struct shield_ruleset *rs)
{
	struct shield_config both[SHIELD_GENS];
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, both))
		return -errno;
	both[gen & 1] = rs->cfg;
	both[gen & 1].flags |= derived_flags(rs);
	return bpf_map_update_elem(fd, &zero, both, BPF_ANY) ? -errno : 0;
}

int shield_install(const struct shield_maps *m, struct shield_ruleset *rs, char *err, size_t errlen)
{
	int fd4 = -1, fd6 = -1, tbl = -1, deep = -ENOENT, ret;
	struct shield_state st;
	struct timespec now;
	__u32 zero = 0, next, old;
	size_t n = 0;

	shield_rules_finalize(rs);
	if (bpf_map_lookup_elem(m->state, &zero, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the shield state map: %s", strerror(-ret));
		return ret;
	}
	old = st.active & 1;
	next = !old;

	/* a crashed earlier install may have flipped without waiting: wait now */
	ret = shield_rcu_sync();
	if (ret)
		goto fail;

	rs->cfg.deep_mask = 0;
	tbl = new_table(rs, &deep, &rs->cfg.deep_mask);
	if (tbl < 0 && tbl != -ENOENT) {
		ret = tbl;
		goto fail;
	}
	fd4 = new_trie(4, rs);
	if (fd4 < 0) {
		ret = fd4;
		goto fail;
	}
	fd6 = new_trie(6, rs);
	if (fd6 < 0) {
		ret = fd6;
		goto fail;
	}
	n = rs->n_prefixes;
	ret = write_ports(m->port_rules, next, rs);
	if (ret)
		goto fail;
	ret = reset_stats(m, next, rs);
	if (ret)
		goto fail;
	ret = write_cfg(m->cfg, next, rs);
	if (ret)
		goto fail;
	if (bpf_map_update_elem(m->rules_v4, &next, &fd4, BPF_ANY) ||
	    bpf_map_update_elem(m->rules_v6, &next, &fd6, BPF_ANY) ||
	    (tbl >= 0 && bpf_map_update_elem(m->table_v4, &next, &tbl, BPF_ANY)) ||
	    (deep >= 0 && bpf_map_update_elem(m->deep_v4, &next, &deep, BPF_ANY))) {
		ret = -errno;
		goto fail;
	}
	if (deep < 0 && bpf_map_delete_elem(m->deep_v4, &next) && errno != ENOENT) {
		ret = -errno;
		goto fail;
	}
	/* no IPv4 prefixes: the program must find no table, not a stale one */
	if (tbl < 0 && bpf_map_delete_elem(m->table_v4, &next) && errno != ENOENT) {
		ret = -errno;
		goto fail;
	}

	/* the flip: one store of the whole state; `active` is an aligned 4-byte word */
	clock_gettime(CLOCK_REALTIME, &now);
	st.active = next;
	st.rules_seq++;
	st.loaded_ns = (__u64)now.tv_sec * 1000000000ULL + now.tv_nsec;
	st.n_prefixes = n;
	if (bpf_map_update_elem(m->state, &zero, &st, BPF_ANY)) {
		ret = -errno;
		goto fail;
	}

	/* packets that read the old `active` may still be running: wait, then free */
	ret = shield_rcu_sync();
	if (!ret) {
		bpf_map_delete_elem(m->table_v4, &old);
		bpf_map_delete_elem(m->deep_v4, &old);
		bpf_map_delete_elem(m->rules_v4, &old);
		bpf_map_delete_elem(m->rules_v6, &old);
	}
	if (tbl >= 0)
		close(tbl);
	if (deep >= 0)
		close(deep);
	close(fd4);
	close(fd6);
	pr_debug("shield", "installed generation %u: %zu prefixes, %u rules", next, n, rs->n_rules);
	/* the balancer after the filter: its own generation, its own flip */
	return shield_balance_install(m, rs, err, errlen);

fail:
	snprintf(err, errlen, "cannot install the rule set: %s", strerror(-ret));
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
	if (tbl >= 0)
		close(tbl);
	if (deep >= 0)
		close(deep);
	return ret;
}
