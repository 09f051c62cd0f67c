// SPDX-License-Identifier: GPL-2.0
/* vigil profile's session: load, attach, read the ring buffer, unwind, name, count. */
#include "profile/profile.h"
#include "core/cgroup.h"
#include "core/log.h"
#include "profile/ksyms.h"
#include "profile/unwind.h"
#include "profile.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Off-CPU switch-outs waiting for their switch back in, at most (one per sleeping thread). */
#define PENDING_MAX 16384
/* A folded line: the comm, every frame and the separators. */
#define FOLDED_MAX ((UNWIND_FRAMES + VIGIL_PROF_KFRAMES + 1) * (UNWIND_NAME_MAX + 1))

struct pending {
	uint32_t tid; /* 0: free */
	uint32_t size;
	struct vigil_prof_sample *sample; /* with its stack copy after it */
};

struct prof_session {
	struct prof_config cfg;
	struct profile_bpf *skel;
	struct bpf_link **links;
	int *pfds;
	int ncpu;
	struct ring_buffer *rb;
	struct unwinder *unwinder;
	struct ksyms ksyms;
	struct stack_table stacks;
	struct prof_stats stats;
	struct ustack ustack;
	struct pending *pending;
	uint64_t poll_until_ns; /* stop reading after this record (0: no limit) */
	bool late;		/* count what is read, do not unwind it */
	char folded[FOLDED_MAX];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Add a frame to the folded line in @buf (@at long); the new length. */
static size_t append(char *buf, size_t at, const char *name, const char *suffix)
{
	size_t start = at ? at + 1 : 0;
	int n;

	if (at >= FOLDED_MAX - 1)
		return at;
	n = snprintf(buf + at, FOLDED_MAX - at, "%s%s%s", at ? ";" : "", name, suffix);
	at += n > 0 ? (size_t)n : 0;
	if (at >= FOLDED_MAX)
		at = FOLDED_MAX - 1;
	/* flamegraph.pl splits frames on ';' and the count on the last space */
	for (size_t i = start; i < at; i++)
		if (buf[i] == ';' || buf[i] == ' ')
			buf[i] = '_';
	return at;
}

/* The frames of the sampling itself at the top of an off-CPU kernel stack: not the task's. */
static bool is_tracing_frame(const char *name)
{
	return name && (!strncmp(name, "bpf_prog_", 9) || !strncmp(name, "bpf_trace_run", 13));
}

/* The folded line of @smp: comm, user frames root first, then kernel frames ("_[k]"). */
static void add_sample(struct prof_session *s, const struct vigil_prof_sample *smp,
		       const void *stack, uint64_t value)
{
	struct ustack *u = &s->ustack;
	char comm[sizeof(smp->comm) + 1];
	size_t at = 0;
	uint64_t t0 = now_ns();
	int ret;

	memcpy(comm, smp->comm, sizeof(smp->comm));
	comm[sizeof(smp->comm)] = 0;
	at = append(s->folded, at, comm[0] ? comm : "[unknown]", "");
	u->n = 0;
	ret = s->cfg.user && smp->ustack_bytes && s->unwinder
		      ? unwinder_stack(s->unwinder, smp, stack, u)
		      : -ENODATA;
	if (!ret) {
		s->stats.user_stacks++;
		if (u->complete)
			s->stats.complete++;
		else if (u->truncated)
			s->stats.truncated++;
		else
			s->stats.unwind_failed++;
		for (size_t i = u->n; i-- > 0;) {
			at = append(s->folded, at, u->frames[i].name, "");
			s->stats.frames++;
			s->stats.unresolved += !u->frames[i].resolved;
		}
	} else if (ret == -ESRCH) {
		s->stats.user_stacks++;
		s->stats.gone++;
	} else if (s->cfg.user && !(smp->flags & VIGIL_PROF_F_KTHREAD)) {
		s->stats.user_stacks++;
		s->stats.unwind_failed++;
	}
	if (s->cfg.kernel && smp->kstack_bytes < 0)
		s->stats.kstack_failed++;
	for (int i = smp->kstack_bytes / 8; s->cfg.kernel && i-- > 0;) {
		const char *name = ksyms_find(&s->ksyms, smp->kstack[i]);

		if (i >= VIGIL_PROF_KFRAMES || is_tracing_frame(name))
			continue;
		at = append(s->folded, at, name ? name : "[unknown]", "_[k]");
		s->stats.frames++;
		s->stats.unresolved += !name;
	}
	/* --kernel-only: a tick in user mode has no kernel frame */
	if (!s->cfg.user && smp->kstack_bytes <= 0)
		at = append(s->folded, at, "[user]", "");
	s->stats.samples++;
	if (stack_table_add(&s->stacks, s->folded, value) == -ENOSPC)
		s->stats.dropped_stacks += value;
	s->stats.unwind_ns += now_ns() - t0;
}

static struct pending *pending_slot(struct prof_session *s, uint32_t tid)
{
	size_t i = (tid * 2654435761u) % PENDING_MAX, free_at = PENDING_MAX;

	for (size_t k = 0; k < PENDING_MAX; k++, i = (i + 1) % PENDING_MAX) {
		if (s->pending[i].tid == tid)
			return &s->pending[i];
		if (!s->pending[i].tid && free_at == PENDING_MAX)
			free_at = i;
		if (!s->pending[i].tid && !s->pending[i].size)
			break; /* never used: the chain ends here */
	}
	return free_at < PENDING_MAX ? &s->pending[free_at] : NULL;
}

static void off_cpu_out(struct prof_session *s, const struct vigil_prof_sample *smp, size_t size)
{
	struct pending *p = pending_slot(s, smp->tid);

	if (!p)
		return;
	if (p->size < size) {
		void *n = realloc(p->sample, size);

		if (!n)
			return;
		p->sample = n;
		p->size = (uint32_t)size;
	}
	memcpy(p->sample, smp, size);
	p->tid = smp->tid;
}

static void off_cpu_in(struct prof_session *s, const struct vigil_prof_switch *in)
{
	struct pending *p = pending_slot(s, in->tid);

	if (!p || p->tid != in->tid || p->sample->ts != in->ts) {
		s->stats.off_unmatched++;
		return;
	}
	p->tid = 0; /* the slot stays allocated (size) for the next one */
	if (in->value < s->cfg.min_off_ns) {
		s->stats.off_short++;
		return;
	}
	add_sample(s, p->sample, p->sample + 1, in->value);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct prof_session *s = ctx;
	const struct vigil_prof_sample *smp = data;

	s->stats.bytes += size;
	if (s->late) {
		s->stats.late += size >= sizeof(*smp) || smp->kind == VIGIL_PROF_OFFCPU_IN;
		return 0;
	}
	if (size >= sizeof(struct vigil_prof_switch) && smp->kind == VIGIL_PROF_OFFCPU_IN) {
		off_cpu_in(s, data);
		return s->poll_until_ns && now_ns() > s->poll_until_ns ? -EAGAIN : 0;
	}
	if (size < sizeof(*smp) || size < sizeof(*smp) + smp->ustack_bytes)
		return 0;
	if (smp->kind == VIGIL_PROF_OFFCPU_OUT)
		off_cpu_out(s, smp, size);
	else
		add_sample(s, smp, smp + 1, 1);
	/* consumed; the rest waits for the next poll (libbpf stops on an error) */
	return s->poll_until_ns && now_ns() > s->poll_until_ns ? -EAGAIN : 0;
}

static int open_perf_events(struct prof_session *s)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = s->cfg.hz,
	};
	int opened = 0, err = -ENODEV;

	for (int cpu = 0; cpu < s->ncpu; cpu++) {
		int fd =
			(int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno != ENODEV) /* an offline CPU */
				err = -errno;
			continue;
		}
		s->pfds[cpu] = fd;
		s->links[cpu] = bpf_program__attach_perf_event(s->skel->progs.profile_cpu, fd);
		if (!s->links[cpu]) {
			err = -errno;
			continue;
		}
		opened++;
	}
	return opened ? 0 : err;
}

static int load(struct prof_session *s)
{
	const struct prof_config *cfg = &s->cfg;
	struct vigil_deny_scope scope = { 0 };
	struct profile_bpf *skel;
	int ret;

	if (cfg->cgroup && (ret = cgroup_scope(cfg->cgroup, &scope)))
		return ret;
	skel = profile_bpf__open();
	if (!skel)
		return -errno;
	s->skel = skel;
	bpf_program__set_autoload(skel->progs.profile_cpu, !cfg->off_cpu);
	bpf_program__set_autoload(skel->progs.profile_switch, cfg->off_cpu);
	skel->rodata->targ_tgid = cfg->tgid;
	skel->rodata->targ_cgroup = scope.cgroup_id;
	skel->rodata->targ_cgroup_level = scope.level;
	skel->rodata->self_tgid = (uint32_t)getpid();
	skel->rodata->kernel_stacks = cfg->kernel;
	skel->rodata->ustack_pages = cfg->user ? cfg->ustack_size / VIGIL_PROF_PAGE : 0;
	bpf_map__set_max_entries(skel->maps.bufs, (uint32_t)s->ncpu);
	ret = profile_bpf__load(skel);
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	if (cfg->off_cpu) {
		ret = profile_bpf__attach(skel);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
	} else if ((ret = open_perf_events(s))) {
		return ret;
	}
	s->rb = ring_buffer__new(bpf_map__fd(skel->maps.samples), on_record, s, NULL);
	return s->rb ? 0 : -errno;
}

int prof_open(const struct prof_config *cfg, struct prof_session **out)
{
	struct prof_session *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->ncpu = libbpf_num_possible_cpus();
	if (s->ncpu <= 0) {
		ret = s->ncpu ? s->ncpu : -EINVAL;
		goto fail;
	}
	s->links = calloc((size_t)s->ncpu, sizeof(*s->links));
	s->pfds = calloc((size_t)s->ncpu, sizeof(*s->pfds));
	s->pending = cfg->off_cpu ? calloc(PENDING_MAX, sizeof(*s->pending)) : NULL;
	ret = -ENOMEM;
	if (!s->links || !s->pfds || (cfg->off_cpu && !s->pending))
		goto fail;
	for (int i = 0; i < s->ncpu; i++)
		s->pfds[i] = -1;
	ret = stack_table_init(&s->stacks);
	if (ret)
		goto fail;
	if (cfg->user && (ret = unwinder_new(&s->unwinder)))
		goto fail;
	ret = load(s);
	if (ret)
		goto fail;
	/* after the load: the programs' own symbols are there too */
	if (cfg->kernel && (ret = ksyms_load(&s->ksyms)))
		goto fail;
	*out = s;
	return 0;
fail:
	prof_close(s);
	return ret;
}

int prof_poll(struct prof_session *s, int timeout_ms)
{
	int ret;

	s->poll_until_ns = now_ns() + (uint64_t)timeout_ms * 1000000;
	ret = ring_buffer__poll(s->rb, timeout_ms);
	s->poll_until_ns = 0;
	return ret < 0 && ret != -EINTR && ret != -EAGAIN ? ret : 0;
}

int prof_stop(struct prof_session *s)
{
	uint64_t until = now_ns() + 1000000000ull;
	int ret;

	for (int i = 0; i < s->ncpu; i++) {
		bpf_link__destroy(s->links[i]);
		s->links[i] = NULL;
	}
	profile_bpf__detach(s->skel);
	do {
		s->poll_until_ns = until;
		ret = ring_buffer__consume(s->rb);
	} while (ret == -EAGAIN && now_ns() < until);
	s->poll_until_ns = 0;
	if (ret < 0 && ret != -EAGAIN)
		return ret;
	s->late = true;
	ret = ring_buffer__consume(s->rb);
	return ret < 0 ? ret : 0;
}

const struct stack_table *prof_stacks(const struct prof_session *s)
{
	return &s->stacks;
}

void prof_get_stats(struct prof_session *s, struct prof_stats *out)
{
	int fd = bpf_map__fd(s->skel->maps.counters);

	*out = s->stats;
	for (uint32_t c = 0; c < VIGIL_PROF_COUNTERS; c++) {
		uint64_t v[s->ncpu], sum = 0;

		if (bpf_map_lookup_elem(fd, &c, v))
			continue;
		for (int i = 0; i < s->ncpu; i++)
			sum += v[i];
		if (c == VIGIL_PROF_LOST)
			out->ring_lost = sum;
		else if (c == VIGIL_PROF_NO_USTACK)
			out->no_ustack = sum;
	}
	out->dropped_stacks = s->stacks.dropped;
}

void prof_close(struct prof_session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	for (int i = 0; s->links && i < s->ncpu; i++)
		bpf_link__destroy(s->links[i]);
	for (int i = 0; s->pfds && i < s->ncpu; i++)
		if (s->pfds[i] >= 0)
			close(s->pfds[i]);
	profile_bpf__destroy(s->skel);
	for (size_t i = 0; s->pending && i < PENDING_MAX; i++)
		free(s->pending[i].sample);
	free(s->pending);
	free(s->links);
	free(s->pfds);
	unwinder_free(s->unwinder);
	ksyms_free(&s->ksyms);
	stack_table_free(&s->stacks);
	free(s);
}
