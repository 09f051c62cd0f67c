/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the performance tools' programs share (latency.bpf.c, top.bpf.c): log2 histograms, a
 * task's state and cgroup read the same way on every kernel (CO-RE), why a task is off CPU.
 */
#ifndef VIGIL_LAT_BPF_H
#define VIGIL_LAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "vigil/latency.h"

#define TASK_RUNNING	     0
#define TASK_INTERRUPTIBLE   0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_NOLOAD	     0x400
#define MAX_ERRNO	     4095

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r < VIGIL_LAT_SLOTS ? r : VIGIL_LAT_SLOTS - 1;
}

/* One sample: @sum is added as it is (ns or bytes), @value (in the unit) picks the slot. */
static __always_inline void hist_update(struct vigil_lat_hist *h, __u64 value, __u64 sum,
					bool error)
{
	h->slots[log2_slot(value)]++;
	h->count++;
	h->sum += sum;
	if (error)
		h->errors++;
}

struct cgroup___old {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* The id of @task's cgroup at depth @level (its ancestor there, or itself); 0 if shallower. */
static __always_inline __u64 task_cgroup_at(struct task_struct *task, __u32 level)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);

	if (!cg || BPF_CORE_READ(cg, level) < (int)level)
		return 0;
	if (bpf_core_field_exists(cg->ancestors)) {
		struct cgroup *anc = NULL;

		bpf_probe_read_kernel(&anc, sizeof(anc), &cg->ancestors[level & 0xff]);
		return anc ? BPF_CORE_READ(anc, kn, id) : 0;
	}
	return BPF_CORE_READ((struct cgroup___old *)cg, ancestor_ids[level & 0xff]);
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

/* the same for a typed pointer: a load, not a helper call */
static __always_inline long task_state_btf(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return ((struct task_struct___old *)t)->state;
}

/*
 * S (with whatever flags: nanosleep's is S|FREEZABLE), D (not an idle kernel thread's
 * TASK_IDLE, which is D with NOLOAD), or something else
 */
static __always_inline __u32 offcpu_why(long state)
{
	if (state & TASK_INTERRUPTIBLE)
		return VIGIL_LAT_OFF_SLEEP;
	if ((state & TASK_UNINTERRUPTIBLE) && !(state & TASK_NOLOAD))
		return VIGIL_LAT_OFF_UNINTERRUPTIBLE;
	return VIGIL_LAT_OFF_OTHER;
}

#endif
