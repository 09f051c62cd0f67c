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

static const char *const verdict_names[SHIELD_V_MAX] = { "pass", "drop", "shadow" };

const char *shield_verdict_name(enum shield_verdict v)
{
	return v < SHIELD_V_MAX ? verdict_names[v] : "unknown";
}

/* Every CPU's copy of one stats slot. */
static struct shield_stats *read_stats(const struct shield_maps *m, __u32 slot, int *ncpu)
{
	struct shield_stats *buf;

	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu < 0) {
		errno = -*ncpu;
		return NULL;
	}
	buf = calloc(*ncpu, sizeof(*buf));
	if (!buf)
		return NULL;
	if (bpf_map_lookup_elem(m->stats, &slot, buf)) {
		int e = errno;

		free(buf);
		errno = e;
		return NULL;
	}
	return buf;
}

/* Totals: both generations plus what reloads folded into the control plane's slot. */
int shield_read_counters(const struct shield_maps *m, struct shield_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (__u32 slot = 0; slot < SHIELD_STATS_SLOTS; slot++) {
		struct shield_stats *buf;
		int ncpu;

		buf = read_stats(m, slot, &ncpu);
		if (!buf)
			return -errno;
		for (int c = 0; c < ncpu; c++) {
			for (int v = 0; v < SHIELD_V_MAX; v++) {
				for (int r = 0; r < SHIELD_R_MAX; r++) {
					const struct shield_counter *x =
						&buf[c].verdict[v * SHIELD_R_MAX + r];

					t->c[v][r].packets += x->packets;
					t->c[v][r].bytes += x->bytes;
				}
			}
		}
		free(buf);
	}
	return 0;
}

int shield_read_rule_counter(const struct shield_maps *m, __u32 gen, __u32 rule_id,
			     struct shield_counter *out)
{
	struct shield_stats *buf;
	int ncpu;

	if (gen >= SHIELD_GENS || rule_id >= SHIELD_MAX_RULES)
		return -EINVAL;
	buf = read_stats(m, gen, &ncpu);
	if (!buf)
		return -errno;
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpu; c++) {
		out->packets += buf[c].rule[rule_id].packets;
		out->bytes += buf[c].rule[rule_id].bytes;
	}
	free(buf);
	return 0;
}

int shield_each_rule(const struct shield_maps *m,
		     void (*fn)(void *ctx, const char *name, const struct shield_counter *c),
		     void *ctx)
{
	struct shield_stats *buf;
	struct shield_state st;
	int ncpu, err = shield_read_state(m, &st);

	if (err)
		return err;
	buf = read_stats(m, st.active, &ncpu);
	if (!buf)
		return -errno;
	for (__u32 i = 0; i < SHIELD_MAX_RULES; i++) {
		__u32 k = st.active * SHIELD_MAX_RULES + i;
		struct shield_counter sum = { 0 };
		struct shield_rule_info ri;

		if (bpf_map_lookup_elem(m->rule_info, &k, &ri) || !ri.name[0])
			continue;
		ri.name[sizeof(ri.name) - 1] = '\0';
		for (int c = 0; c < ncpu; c++) {
			sum.packets += buf[c].rule[i].packets;
			sum.bytes += buf[c].rule[i].bytes;
		}
		fn(ctx, ri.name, &sum);
	}
	free(buf);
	return 0;
}

int shield_read_state(const struct shield_maps *m, struct shield_state *st)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->state, &zero, st) ? -errno : 0;
}

int shield_read_config(const struct shield_maps *m, __u32 gen, struct shield_config *cfg)
{
	struct shield_config both[SHIELD_GENS];
	__u32 zero = 0;

	/* one value holds both generations (the program's global shield_cfg[]) */
	if (bpf_map_lookup_elem(m->cfg, &zero, both))
		return -errno;
	*cfg = both[gen & 1];
	return 0;
}

int shield_read_sources(const struct shield_maps *m, struct shield_source_stat *out, size_t max)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct shield_src_entry *vals;
	__u32 *keys, batch, count = SHIELD_MAX_SOURCES;
	size_t n = 0;
	int ret = 0;

	keys = calloc(SHIELD_MAX_SOURCES, sizeof(*keys));
	vals = calloc(SHIELD_MAX_SOURCES, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	/* one syscall for the whole table; a slot is in use when it has a family */
	if (bpf_map_lookup_batch(m->sources, NULL, &batch, keys, vals, &count, &opts) &&
	    errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	for (__u32 i = 0; i < count && n < max; i++) {
		if (vals[i].key.family != 4 && vals[i].key.family != 6)
			continue;
		out[n].key = vals[i].key;
		out[n].packets = vals[i].val.packets;
		out[n].bytes = vals[i].val.bytes;
		out[n].drops = vals[i].val.drops;
		n++;
	}
	ret = n;
out:
	free(keys);
	free(vals);
	return ret;
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
