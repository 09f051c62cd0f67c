// SPDX-License-Identifier: GPL-2.0
/* Shield statistics: per-CPU counters summed on read, sources and ports for `top`. */
#include "shield/shield.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[SHIELD_R_MAX] = {
	[SHIELD_R_PASS] = "pass",
	[SHIELD_R_MGMT] = "management",
	[SHIELD_R_NON_IP] = "non_ip",
	[SHIELD_R_ALLOW_PORT] = "allow_port",
	[SHIELD_R_BLOCK_CIDR] = "block_cidr",
	[SHIELD_R_BLOCK_PORT] = "block_port",
	[SHIELD_R_RATE_PPS] = "rate_pps",
	[SHIELD_R_RATE_BPS] = "rate_bps",
	[SHIELD_R_SYN_BUDGET] = "syn_budget",
	[SHIELD_R_ICMP_LIMIT] = "icmp_limit",
	[SHIELD_R_FRAGMENT] = "fragment",
	[SHIELD_R_BAD_L2] = "malformed_l2",
	[SHIELD_R_BAD_L3] = "malformed_l3",
	[SHIELD_R_BAD_EXT] = "malformed_ipv6_ext",
	[SHIELD_R_BAD_L4] = "malformed_l4",
	[SHIELD_R_NO_RULES] = "no_rules",
};

const char *shield_reason_name(enum shield_reason r)
{
	return r < SHIELD_R_MAX && reason_names[r] ? reason_names[r] : "unknown";
}

static int read_percpu(int fd, __u32 key, struct shield_counter *buf, int ncpu,
		       struct shield_counter *sum)
{
	if (bpf_map_lookup_elem(fd, &key, buf))
		return -errno;
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		sum->packets += buf[c].packets;
		sum->bytes += buf[c].bytes;
	}
	return 0;
}

int shield_read_counters(const struct shield_maps *m, struct shield_totals *t)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct shield_counter *buf;

	if (ncpu < 0)
		return ncpu;
	buf = calloc(ncpu, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (int v = 0; v < SHIELD_V_MAX && !ret; v++)
		for (int r = 0; r < SHIELD_R_MAX && !ret; r++)
			ret = read_percpu(m->counters, v * SHIELD_R_MAX + r, buf, ncpu,
					  &t->c[v][r]);
	free(buf);
	return ret;
}

int shield_read_rule_counter(const struct shield_maps *m, __u32 gen, __u32 rule_id,
			     struct shield_counter *out)
{
	int ncpu = libbpf_num_possible_cpus(), ret;
	struct shield_counter *buf;

	if (ncpu < 0)
		return ncpu;
	if (gen >= SHIELD_GENS || rule_id >= SHIELD_MAX_RULES)
		return -EINVAL;
	buf = calloc(ncpu, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	ret = read_percpu(m->rule_counters, gen * SHIELD_MAX_RULES + rule_id, buf, ncpu, out);
	free(buf);
	return ret;
}

int shield_read_state(const struct shield_maps *m, struct shield_state *st)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->state, &zero, st) ? -errno : 0;
}

int shield_read_sources(const struct shield_maps *m, struct shield_source_stat *out, size_t max)
{
	struct shield_src_key key, next;
	struct shield_src_val val;
	void *prev = NULL;
	size_t n = 0;

	/* bounded: the LRU never holds more than SHIELD_MAX_SOURCES */
	while (n < max && n < SHIELD_MAX_SOURCES &&
	       !bpf_map_get_next_key(m->sources, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->sources, &key, &val))
			continue; /* evicted meanwhile */
		out[n].key = key;
		out[n].packets = val.packets;
		out[n].bytes = val.bytes;
		out[n].drops = val.drops;
		n++;
	}
	return n;
}

int shield_read_l4(const struct shield_maps *m, struct shield_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct shield_counter *vals;
	__u32 *keys, batch, count;
	int ret = 0;

	if (ncpu < 0)
		return ncpu;
	keys = calloc(SHIELD_L4_SLOTS, sizeof(*keys));
	vals = calloc((size_t)SHIELD_L4_SLOTS * ncpu, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	count = SHIELD_L4_SLOTS;
	if (bpf_map_lookup_batch(m->l4_stats, NULL, &batch, keys, vals, &count, &opts) &&
	    errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	memset(out, 0, SHIELD_L4_SLOTS * sizeof(*out));
	for (__u32 i = 0; i < count; i++) {
		if (keys[i] >= SHIELD_L4_SLOTS)
			continue;
		for (int c = 0; c < ncpu; c++) {
			out[keys[i]].packets += vals[(size_t)i * ncpu + c].packets;
			out[keys[i]].bytes += vals[(size_t)i * ncpu + c].bytes;
		}
	}
out:
	free(keys);
	free(vals);
	return ret;
}
