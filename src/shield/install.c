// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic rule-set install: build the new generation next to the live one, then flip.
 *
 * The program reads shield_state.active once per packet and uses only that generation's
 * trie, port table and config. So: (1) wait out packets that may still use the idle slot,
 * (2) fill the idle slot completely (fresh tries, port table, config, counters),
 * (3) flip `active` with one aligned 4-byte store, (4) wait out packets of the old
 * generation, then free its tries. No packet ever sees a half-built or mixed rule set.
 */
#include "shield/shield.h"
#include "core/log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int fill_trie(int fd, const struct shield_ruleset *rs, int family, size_t *n)
{
	for (size_t i = 0; i < rs->n_prefixes; i++) {
		const struct shield_prefix *p = &rs->prefixes[i];
		struct shield_rule_val v = { .action = p->action, .rule_id = p->rule_id };
		union {
			struct shield_lpm_v4 v4;
			struct shield_lpm_v6 v6;
		} k;

		if (p->family != family)
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
		(*n)++;
	}
	return 0;
}

static int new_trie(int family, const struct shield_ruleset *rs, size_t *n)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	__u32 ksz = family == 4 ? sizeof(struct shield_lpm_v4) : sizeof(struct shield_lpm_v6);
	int fd, ret;

	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, family == 4 ? "shield_trie4" : "shield_trie6",
			    ksz, sizeof(struct shield_rule_val), SHIELD_MAX_PREFIXES, &opts);
	if (fd < 0)
		return -errno;
	ret = fill_trie(fd, rs, family, n);
	if (ret) {
		close(fd);
		return ret;
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

static int reset_rule_counters(const struct shield_maps *m, __u32 gen,
			       const struct shield_ruleset *rs)
{
	int ncpu = libbpf_num_possible_cpus();
	struct shield_counter *zero;
	int ret = 0;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (__u32 i = 0; i < SHIELD_MAX_RULES; i++) {
		struct shield_rule_info empty = {};
		__u32 k = gen * SHIELD_MAX_RULES + i;
		const void *info = i < rs->n_rules ? (const void *)&rs->rules[i] : &empty;

		if (bpf_map_update_elem(m->rule_counters, &k, zero, BPF_ANY) ||
		    bpf_map_update_elem(m->rule_info, &k, info, BPF_ANY)) {
			ret = -errno;
			break;
		}
	}
	free(zero);
	return ret;
}

int shield_install(const struct shield_maps *m, struct shield_ruleset *rs, char *err, size_t errlen)
{
	int fd4 = -1, fd6 = -1, ret;
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

	fd4 = new_trie(4, rs, &n);
	if (fd4 < 0) {
		ret = fd4;
		goto fail;
	}
	fd6 = new_trie(6, rs, &n);
	if (fd6 < 0) {
		ret = fd6;
		goto fail;
	}
	ret = write_ports(m->port_rules, next, rs);
	if (ret)
		goto fail;
	ret = reset_rule_counters(m, next, rs);
	if (ret)
		goto fail;
	if (bpf_map_update_elem(m->cfg, &next, &rs->cfg, BPF_ANY) ||
	    bpf_map_update_elem(m->rules_v4, &next, &fd4, BPF_ANY) ||
	    bpf_map_update_elem(m->rules_v6, &next, &fd6, BPF_ANY)) {
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
		bpf_map_delete_elem(m->rules_v4, &old);
		bpf_map_delete_elem(m->rules_v6, &old);
	}
	close(fd4);
	close(fd6);
	pr_debug("shield", "installed generation %u: %zu prefixes, %u rules", next, n, rs->n_rules);
	return 0;

fail:
	snprintf(err, errlen, "cannot install the rule set: %s", strerror(-ret));
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
	return ret;
}
