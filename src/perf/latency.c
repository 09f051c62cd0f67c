// SPDX-License-Identifier: GPL-2.0
/* In-kernel latency histograms for one target: load, attach, read and sum over CPUs. */
#include "perf/latency.h"
#include "perf/hist.h"
#include "core/cgroup.h"
#include "core/log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "latency.skel.h"

struct lat_session {
	struct latency_bpf *skel;
	enum lat_target target;
	bool raw_tp;
	int ncpu;
};

static const char *const target_names[LAT_TARGET_COUNT] = {
	[LAT_RUNQ] = "runq", [LAT_SYSCALL] = "syscall", [LAT_BLOCK] = "block",	 [LAT_TCP] = "tcp",
	[LAT_IRQ] = "irq",   [LAT_OFFCPU] = "offcpu",	[LAT_UPROBE] = "uprobe",
};

const char *lat_target_name(enum lat_target t)
{
	return t < LAT_TARGET_COUNT ? target_names[t] : "?";
}

int lat_target_by_name(const char *name)
{
	for (int t = 0; t < LAT_TARGET_COUNT; t++)
		if (!strcmp(target_names[t], name))
			return t;
	return -ENOENT;
}

/* The programs of @t, typed (raw = false) or raw; NULL-terminated. */
static void target_progs(struct latency_bpf *k, enum lat_target t, bool raw,
			 struct bpf_program *out[5])
{
	struct bpf_program *btf[LAT_TARGET_COUNT][5] = {
		[LAT_RUNQ] = { k->progs.runq_wakeup, k->progs.runq_wakeup_new,
			       k->progs.runq_switch_btf },
		[LAT_SYSCALL] = { k->progs.syscall_enter_btf, k->progs.syscall_exit_btf },
		[LAT_BLOCK] = { k->progs.blk_insert_btf, k->progs.blk_issue_btf,
				k->progs.blk_complete_btf },
		[LAT_TCP] = { k->progs.tcp_state_btf, k->progs.tcp_retrans_btf },
		[LAT_IRQ] = { k->progs.hardirq_entry_btf, k->progs.hardirq_exit_btf,
			      k->progs.softirq_entry_btf, k->progs.softirq_exit_btf },
		[LAT_OFFCPU] = { k->progs.offcpu_switch_btf },
		[LAT_UPROBE] = { k->progs.uprobe_entry, k->progs.uprobe_return },
	};
	struct bpf_program *rawp[LAT_TARGET_COUNT][5] = {
		[LAT_RUNQ] = { k->progs.runq_wakeup_raw, k->progs.runq_wakeup_new_raw,
			       k->progs.runq_switch_raw },
		[LAT_SYSCALL] = { k->progs.syscall_enter_raw, k->progs.syscall_exit_raw },
		[LAT_BLOCK] = { k->progs.blk_insert_raw, k->progs.blk_issue_raw,
				k->progs.blk_complete_raw },
		[LAT_TCP] = { k->progs.tcp_state_raw, k->progs.tcp_retrans_raw },
		[LAT_IRQ] = { k->progs.hardirq_entry_raw, k->progs.hardirq_exit_raw,
			      k->progs.softirq_entry_raw, k->progs.softirq_exit_raw },
		[LAT_OFFCPU] = { k->progs.offcpu_switch_raw },
		[LAT_UPROBE] = { k->progs.uprobe_entry, k->progs.uprobe_return },
	};

	memcpy(out, raw ? rawp[t] : btf[t], sizeof(btf[t]));
}

/* The function's entry and return, in process cfg->tgid only when given (the kernel filters). */
static int attach_uprobes(struct latency_bpf *skel, const struct lat_config *cfg)
{
	pid_t pid = cfg->tgid ? (pid_t)cfg->tgid : -1;

	skel->links.uprobe_entry = bpf_program__attach_uprobe(skel->progs.uprobe_entry, false, pid,
							      cfg->uprobe_path, cfg->uprobe_offset);
	if (!skel->links.uprobe_entry)
		return -errno;
	skel->links.uprobe_return = bpf_program__attach_uprobe(
		skel->progs.uprobe_return, true, pid, cfg->uprobe_path, cfg->uprobe_offset);
	return skel->links.uprobe_return ? 0 : -errno;
}

static int open_load(const struct lat_config *cfg, const struct vigil_deny_scope *scope, bool raw,
		     struct latency_bpf **out)
{
	struct latency_bpf *skel = latency_bpf__open();
	struct bpf_program *prog, *want[5];
	int ret;

	if (!skel)
		return -errno;
	target_progs(skel, cfg->target, raw, want);
	bpf_object__for_each_program(prog, skel->obj)
	{
		bool on = false;

		for (int i = 0; i < 5 && want[i]; i++)
			on |= want[i] == prog;
		bpf_program__set_autoload(prog, on);
	}
	skel->rodata->group = cfg->group;
	skel->rodata->unit_ns = cfg->unit_ns ? cfg->unit_ns : 1;
	skel->rodata->targ_tgid = cfg->tgid;
	skel->rodata->targ_cgroup = scope->cgroup_id;
	skel->rodata->targ_cgroup_level = scope->level;
	skel->rodata->self_tgid = (uint32_t)getpid();
	/* maps the target does not use, as small as they can be */
	if (!raw || cfg->target != LAT_RUNQ)
		bpf_map__set_max_entries(skel->maps.runq_start, 1);
	if (!raw || cfg->target != LAT_OFFCPU)
		bpf_map__set_max_entries(skel->maps.offcpu_start, 1);
	if (cfg->target != LAT_SYSCALL)
		bpf_map__set_max_entries(skel->maps.syscall_hists, 1);
	if (cfg->target != LAT_UPROBE)
		bpf_map__set_max_entries(skel->maps.uprobe_start, 1);
	ret = latency_bpf__load(skel);
	if (!ret)
		ret = cfg->target == LAT_UPROBE ? attach_uprobes(skel, cfg)
						: latency_bpf__attach(skel);
	if (ret) {
		latency_bpf__destroy(skel);
		return ret < 0 ? ret : -EINVAL;
	}
	*out = skel;
	return 0;
}

int lat_open(const struct lat_config *cfg, struct lat_session **out)
{
	struct vigil_deny_scope scope = { 0 };
	struct lat_session *s;
	int ret;

	if (cfg->target >= LAT_TARGET_COUNT)
		return -EINVAL;
	if (cfg->cgroup) {
		ret = cgroup_scope(cfg->cgroup, &scope);
		if (ret)
			return ret;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->target = cfg->target;
	s->ncpu = libbpf_num_possible_cpus();
	if (s->ncpu <= 0) {
		ret = s->ncpu ? s->ncpu : -EINVAL;
		goto fail;
	}
	ret = cfg->raw_tp ? -ENOTSUP : open_load(cfg, &scope, false, &s->skel);
	/* uprobes have no twin to fall back to */
	if (ret && cfg->target != LAT_UPROBE) {
		pr_debug("latency", "typed tracepoints not used (%s), trying raw_tp",
			 strerror(-ret));
		s->raw_tp = true;
		ret = open_load(cfg, &scope, true, &s->skel);
	}
	if (ret)
		goto fail;
	*out = s;
	return 0;
fail:
	free(s);
	return ret;
}

const char *lat_mode(const struct lat_session *s)
{
	if (s->target == LAT_UPROBE)
		return "uprobe";
	return s->raw_tp ? "raw_tp" : "tp_btf";
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vigil_lat_key));
}

const struct lat_entry *lat_find(const struct lat_entry *entries, size_t n,
				 const struct vigil_lat_key *key)
{
	return bsearch(key, entries, n, sizeof(*entries), key_cmp);
}

/* Append @key's histogram, the sum of @percpu's, to *@out unless empty. 0 or -ENOMEM. */
static int append(struct lat_entry **out, size_t *len, size_t *cap, const struct vigil_lat_key *key,
		  const struct vigil_lat_hist *percpu, int ncpu)
{
	struct lat_entry *e, *grown;

	if (*len == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		grown = realloc(*out, *cap * sizeof(**out));
		if (!grown)
			return -ENOMEM;
		*out = grown;
	}
	e = &(*out)[*len];
	memset(e, 0, sizeof(*e));
	e->key = *key;
	for (int c = 0; c < ncpu; c++)
		hist_add(&e->hist, &percpu[c]);
	if (e->hist.count)
		(*len)++;
	return 0;
}

int lat_read(struct lat_session *s, struct lat_entry **entries, size_t *n)
{
	int fd = bpf_map__fd(s->skel->maps.hists);
	struct vigil_lat_hist *percpu = calloc((size_t)s->ncpu, sizeof(*percpu));
	struct vigil_lat_key key, next, *prev = NULL;
	struct lat_entry *out = NULL;
	size_t len = 0, cap = 0;
	int ret = 0;

	if (!percpu)
		return -ENOMEM;
	while (!ret && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		/* ENOENT: deleted meanwhile */
		if (!bpf_map_lookup_elem(fd, &key, percpu))
			ret = append(&out, &len, &cap, &key, percpu, s->ncpu);
	}
	/* ungrouped syscalls have an array of their own */
	fd = bpf_map__fd(s->skel->maps.syscall_hists);
	for (__u32 nr = 0; !ret && s->target == LAT_SYSCALL && nr < VIGIL_LAT_SYSCALLS; nr++) {
		key = (struct vigil_lat_key){ .id = nr, .kind = VIGIL_LAT_SYSCALL };
		if (!bpf_map_lookup_elem(fd, &nr, percpu))
			ret = append(&out, &len, &cap, &key, percpu, s->ncpu);
	}
	free(percpu);
	if (ret) {
		free(out);
		return ret;
	}
	if (len)
		qsort(out, len, sizeof(*out), key_cmp);
	*entries = out;
	*n = len;
	return 0;
}

static int peer_cmp(const void *a, const void *b)
{
	const struct lat_peer_count *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int lat_read_peers(struct lat_session *s, struct lat_peer_count **peers, size_t *n)
{
	int fd = bpf_map__fd(s->skel->maps.tcp_retrans);
	uint64_t *percpu = calloc((size_t)s->ncpu, sizeof(*percpu));
	struct vigil_lat_peer key, next, *prev = NULL;
	struct lat_peer_count *out = NULL, *grown;
	size_t len = 0, cap = 0;

	if (!percpu)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, percpu))
			continue;
		if (len == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				free(out);
				free(percpu);
				return -ENOMEM;
			}
			out = grown;
		}
		out[len].peer = key;
		out[len].count = 0;
		for (int c = 0; c < s->ncpu; c++)
			out[len].count += percpu[c];
		len++;
	}
	free(percpu);
	if (len)
		qsort(out, len, sizeof(*out), peer_cmp);
	*peers = out;
	*n = len;
	return 0;
}

uint64_t lat_missed(struct lat_session *s)
{
	uint64_t *percpu = calloc((size_t)s->ncpu, sizeof(*percpu)), sum = 0;
	uint32_t zero = 0;

	if (!percpu)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.missed), &zero, percpu))
		for (int c = 0; c < s->ncpu; c++)
			sum += percpu[c];
	free(percpu);
	return sum;
}

void lat_delta(struct lat_entry *cur, size_t *n, const struct lat_entry *prev, size_t prev_n)
{
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++) {
		const struct lat_entry *p = lat_find(prev, prev_n, &cur[i].key);

		if (p)
			hist_sub(&cur[i].hist, &p->hist);
		if (cur[i].hist.count)
			cur[kept++] = cur[i];
	}
	*n = kept;
}

void lat_close(struct lat_session *s)
{
	if (!s)
		return;
	latency_bpf__destroy(s->skel);
	free(s);
}
