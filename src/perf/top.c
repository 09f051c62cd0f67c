// SPDX-License-Identifier: GPL-2.0
/* vigil top's kernel side: load the typed programs or their raw_tp twins, attach, read. */
#include "perf/top.h"
#include "core/cgroup.h"
#include "core/log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "top.skel.h"

#define BATCH 256

struct top_session {
	struct top_bpf *skel;
	struct bpf_link **ticks; /* one per CPU */
	int nticks;
	int ncpu;
	bool raw_tp;
	unsigned int features;
};

struct prog_pair {
	struct bpf_program *btf, *raw;
	const char *tracepoint;
	unsigned int feature; /* 0: always wanted */
};

/* Does this kernel have @tracepoint? Its BTF names one "btf_trace_<name>" per tracepoint. */
static bool has_tracepoint(const char *tracepoint)
{
	return libbpf_find_vmlinux_btf_id(tracepoint, BPF_TRACE_RAW_TP) > 0;
}

/* Typed or raw programs, without those whose tracepoint this kernel lacks (*@features says). */
static void choose_progs(struct top_bpf *skel, bool raw, unsigned int *features)
{
	__typeof__(skel->progs) *p = &skel->progs;
	const struct prog_pair pairs[] = {
		{ p->wakeup_btf, p->wakeup_raw, "sched_wakeup", 0 },
		{ p->wakeup_new_btf, p->wakeup_new_raw, "sched_wakeup_new", 0 },
		{ p->switch_btf, p->switch_raw, "sched_switch", 0 },
		{ p->sys_exit_btf, p->sys_exit_raw, "sys_exit", 0 },
		{ p->blk_start_btf, p->blk_start_raw, "block_io_start", TOP_HAS_BLOCK },
		{ p->blk_complete_btf, p->blk_complete_raw, "block_rq_complete", TOP_HAS_BLOCK },
		{ p->send_btf, p->send_raw, "sock_send_length", TOP_HAS_NET },
		{ p->recv_btf, p->recv_raw, "sock_recv_length", TOP_HAS_NET },
		{ p->retrans_btf, p->retrans_raw, "tcp_retransmit_skb", TOP_HAS_NET },
	};
	struct bpf_program *prog;

	*features = TOP_HAS_BLOCK | TOP_HAS_NET;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (pairs[i].feature && !has_tracepoint(pairs[i].tracepoint))
			*features &= ~pairs[i].feature;
	bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, false);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (!pairs[i].feature || (*features & pairs[i].feature))
			bpf_program__set_autoload(raw ? pairs[i].raw : pairs[i].btf, true);
	bpf_program__set_autoload(p->cpu_tick, true);
}

static int open_load(const struct top_config *cfg, const struct vigil_deny_scope *scope, bool raw,
		     unsigned int *features, struct top_bpf **out)
{
	struct top_bpf *skel = top_bpf__open();
	int ret;

	if (!skel)
		return -errno;
	choose_progs(skel, raw, features);
	skel->rodata->targ_tgid = cfg->tgid;
	skel->rodata->targ_cgroup = scope->cgroup_id;
	skel->rodata->targ_cgroup_level = scope->level;
	if (!raw)
		bpf_map__set_max_entries(skel->maps.task_times_raw, 1);
	if (!(*features & TOP_HAS_BLOCK))
		bpf_map__set_max_entries(skel->maps.blk_start, 1);
	if (!(*features & TOP_HAS_NET))
		bpf_map__set_max_entries(skel->maps.sock_owner, 1);
	ret = top_bpf__load(skel);
	if (!ret)
		ret = top_bpf__attach(skel);
	if (ret) {
		top_bpf__destroy(skel);
		return ret < 0 ? ret : -EINVAL;
	}
	*out = skel;
	return 0;
}

/* A cpu-clock event per CPU runs cpu_tick @hz times a second. 0, or -errno if none opened. */
static int attach_ticks(struct top_session *s, unsigned int hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ULL / hz,
	};
	int err = -ENODEV;

	s->ticks = calloc((size_t)s->ncpu, sizeof(*s->ticks));
	if (!s->ticks)
		return -ENOMEM;
	for (int cpu = 0; cpu < s->ncpu; cpu++) {
		int fd =
			(int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *link;

		if (fd < 0) {
			err = -errno; /* ENODEV: an offline CPU */
			continue;
		}
		link = bpf_program__attach_perf_event(s->skel->progs.cpu_tick, fd);
		if (!link) {
			err = -errno;
			close(fd);
			continue;
		}
		s->ticks[s->nticks++] = link;
	}
	return s->nticks ? 0 : err;
}

int top_open(const struct top_config *cfg, struct top_session **out)
{
	struct vigil_deny_scope scope = { 0 };
	struct top_session *s;
	int ret;

	if (cfg->cgroup) {
		ret = cgroup_scope(cfg->cgroup, &scope);
		if (ret)
			return ret;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncpu = libbpf_num_possible_cpus();
	if (s->ncpu <= 0) {
		ret = s->ncpu ? s->ncpu : -EINVAL;
		goto fail;
	}
	ret = cfg->raw_tp ? -ENOTSUP : open_load(cfg, &scope, false, &s->features, &s->skel);
	if (ret) {
		pr_debug("top", "typed tracepoints not used (%s), trying raw_tp", strerror(-ret));
		s->raw_tp = true;
		ret = open_load(cfg, &scope, true, &s->features, &s->skel);
	}
	if (ret)
		goto fail;
	ret = attach_ticks(s, cfg->tick_hz ? cfg->tick_hz : 20);
	if (!ret)
		s->features |= TOP_HAS_TICK;
	else
		pr_debug("top", "no cpu-clock ticks (%s): CPU time is charged at switches only",
			 strerror(-ret));
	*out = s;
	return 0;
fail:
	free(s);
	return ret;
}

const char *top_mode(const struct top_session *s)
{
	return s->raw_tp ? "raw_tp" : "tp_btf";
}

unsigned int top_features(const struct top_session *s)
{
	return s->features;
}

/* @into += @from; the cgroup and name are a CPU's (they agree unless the process moved). */
static void stats_add(struct vigil_top_stats *into, const struct vigil_top_stats *from)
{
	const __u64 *f = &from->cpu_ns;
	__u64 *t = &into->cpu_ns;

	if (from->cgroup)
		into->cgroup = from->cgroup;
	if (from->comm[0])
		memcpy(into->comm, from->comm, sizeof(into->comm));
	/* the counters from cpu_ns up to the name */
	for (size_t i = 0; i < (offsetof(struct vigil_top_stats, comm) -
				offsetof(struct vigil_top_stats, cpu_ns)) /
				       sizeof(__u64);
	     i++)
		t[i] += f[i];
	for (int i = 0; i < VIGIL_LAT_SLOTS; i++)
		into->runq.slots[i] += from->runq.slots[i];
	into->runq.count += from->runq.count;
	into->runq.sum += from->runq.sum;
}

static int tgid_cmp(const void *a, const void *b)
{
	const struct top_proc *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

int top_read(struct top_session *s, struct top_proc **procs, size_t *n)
{
	int fd = bpf_map__fd(s->skel->maps.stats);
	__u32 keys[BATCH], token = 0;
	struct vigil_top_stats *vals = calloc((size_t)BATCH * s->ncpu, sizeof(*vals));
	struct top_proc *out = NULL, *grown;
	size_t len = 0, cap = 0;
	bool first = true, done = false;
	int ret = 0;

	if (!vals)
		return -ENOMEM;
	while (!done) {
		__u32 count = BATCH;

		ret = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, vals, &count,
					   NULL);
		first = false;
		if (ret && errno != ENOENT) {
			ret = -errno;
			break;
		}
		done = ret != 0; /* ENOENT: the last batch */
		ret = 0;
		if (len + count > cap) {
			cap = len + count + 64;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			out = grown;
		}
		for (__u32 i = 0; i < count; i++) {
			struct top_proc *p = &out[len++];

			memset(p, 0, sizeof(*p));
			p->tgid = keys[i];
			for (int c = 0; c < s->ncpu; c++)
				stats_add(&p->st, &vals[(size_t)i * s->ncpu + c]);
		}
	}
	free(vals);
	if (ret) {
		free(out);
		return ret;
	}
	if (len)
		qsort(out, len, sizeof(*out), tgid_cmp);
	*procs = out;
	*n = len;
	return 0;
}

void top_forget(struct top_session *s, uint32_t tgid)
{
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.stats), &tgid);
}

uint64_t top_missed(struct top_session *s)
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

void top_close(struct top_session *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nticks; i++)
		bpf_link__destroy(s->ticks[i]);
	free(s->ticks);
	top_bpf__destroy(s->skel);
	free(s);
}
