// SPDX-License-Identifier: GPL-2.0
/*
 * vigil latency oom: a record per OOM kill from oom:mark_victim, which names the victim (its
 * task since kernel 6.8): who, how much memory, in which cgroup, and who triggered it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "lat.bpf.h"
#include "vigil/oom.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgroup = 0;
const volatile __u32 targ_cgroup_level = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} kills SEC(".maps");

__u64 lost = 0; /* records the ring buffer had no room for */

struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

/* renamed __parent in 6.15 */
static __always_inline bool kn_is_root(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return !BPF_CORE_READ(kn, __parent);
	return !BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static __always_inline void victim(struct task_struct *t, __u32 uid)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	struct task_struct *cur = bpf_get_current_task_btf();
	struct kernfs_node *kn;
	struct vigil_oom_kill *k;
	int memcg_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

	if (targ_tgid && (__u32)BPF_CORE_READ(t, tgid) != targ_tgid)
		return;
	if (targ_cgroup && task_cgroup_at(t, targ_cgroup_level) != targ_cgroup)
		return;
	k = bpf_ringbuf_reserve(&kills, sizeof(*k), 0);
	if (!k) {
		__sync_fetch_and_add(&lost, 1);
		return;
	}
	__builtin_memset(k, 0, sizeof(*k));
	k->ktime_ns = bpf_ktime_get_ns();
	k->pid = BPF_CORE_READ(t, tgid);
	k->uid = uid;
	BPF_CORE_READ_STR_INTO(&k->comm, t, comm);
	k->cgroup = task_cgroup_id(t);
	kn = BPF_CORE_READ(t, cgroups, subsys[memcg_id & 7], cgroup, kn);
	if (kn) {
		k->memcg = BPF_CORE_READ(kn, id);
		/* the root's name is "/" on v1 and "" on v2: "" for both */
		if (!kn_is_root(kn))
			bpf_probe_read_kernel_str(k->memcg_name, sizeof(k->memcg_name),
						  BPF_CORE_READ(kn, name));
	}
	if (mm) {
		k->total_vm = BPF_CORE_READ(mm, total_vm);
		k->file_rss = BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count);
		k->anon_rss = BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count);
		k->shmem_rss = BPF_CORE_READ(mm, rss_stat[MM_SHMEMPAGES].count);
		k->pgtables = BPF_CORE_READ(mm, pgtables_bytes.counter);
	}
	k->oom_score_adj = BPF_CORE_READ(t, signal, oom_score_adj);
	k->trigger_pid = BPF_CORE_READ(cur, tgid);
	BPF_CORE_READ_STR_INTO(&k->trigger_comm, cur, comm);
	bpf_ringbuf_submit(k, 0);
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim_btf, struct task_struct *task, __u32 uid)
{
	victim(task, uid);
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(mark_victim_raw, struct task_struct *task, __u32 uid)
{
	victim(task, uid);
	return 0;
}
