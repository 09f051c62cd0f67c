// SPDX-License-Identifier: GPL-2.0
/*
 * vigil profile: on a cpu-clock tick (perf_event) or a switch out (sched_switch), send the
 * task's kernel stack, its user registers and a copy of the top of its user stack; user space
 * unwinds that copy with the DWARF CFI (vigil/profile.h says why).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "vigil/profile.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD   0x00200000
#define USTACK_PAGES (VIGIL_PROF_USTACK / VIGIL_PROF_PAGE)

/* Load-time settings (skel->rodata). */
const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgroup = 0; /* a cgroup's id, with its depth: its whole subtree */
const volatile __u32 targ_cgroup_level = 0;
const volatile __u32 self_tgid = 0;
const volatile bool kernel_stacks = true;
const volatile __u32 ustack_pages = USTACK_PAGES; /* 0: no user stacks */

/* A page more than is ever sent: the verifier's bound on the last page's offset is loose. */
struct sample_buf {
	struct vigil_prof_sample s;
	__u8 ustack[VIGIL_PROF_USTACK + VIGIL_PROF_PAGE];
};

/*
 * Too large for the BPF stack, and for a per-CPU value (32 KiB at most): an array with one
 * entry per CPU (user space sizes it), used by the program running there, which nothing
 * preempts, as only one of the two programs is attached.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_buf);
} bufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_PROF_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* When a task was switched out not runnable (off-CPU mode). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} offcpu_ts SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &counter);

	if (n)
		(*n)++;
}

static __always_inline bool current_wanted(__u32 tgid)
{
	if (!tgid || (targ_tgid && tgid != targ_tgid) || (self_tgid && tgid == self_tgid))
		return false;
	return !targ_cgroup || bpf_get_current_ancestor_cgroup_id(targ_cgroup_level) == targ_cgroup;
}

/* The user registers in DWARF order, from where the kernel saved them on entry. */
static __always_inline void copy_regs(struct vigil_prof_sample *s, struct task_struct *task)
{
	struct pt_regs r;

	if (bpf_probe_read_kernel(&r, sizeof(r), (void *)bpf_task_pt_regs(task))) {
		__builtin_memset(s->regs, 0, sizeof(s->regs));
		return;
	}
	s->regs[0] = r.ax;
	s->regs[1] = r.dx;
	s->regs[2] = r.cx;
	s->regs[3] = r.bx;
	s->regs[4] = r.si;
	s->regs[5] = r.di;
	s->regs[6] = r.bp;
	s->regs[7] = r.sp;
	s->regs[8] = r.r8;
	s->regs[9] = r.r9;
	s->regs[10] = r.r10;
	s->regs[11] = r.r11;
	s->regs[12] = r.r12;
	s->regs[13] = r.r13;
	s->regs[14] = r.r14;
	s->regs[15] = r.r15;
	s->regs[16] = r.ip;
}

/*
 * Copy from sp to the end of its page, then whole pages up to ustack_pages: a read that
 * crosses the top of the stack fails whole, so page by page stops just below it.
 */
static __always_inline __u32 copy_ustack(struct sample_buf *b, __u64 sp)
{
	__u32 first = VIGIL_PROF_PAGE - (sp & (VIGIL_PROF_PAGE - 1));
	__u32 len, off;

	if (bpf_probe_read_user(b->ustack, first, (void *)sp))
		return 0;
	len = first;
	for (__u32 i = 1; i < USTACK_PAGES; i++) {
		if (i >= ustack_pages)
			break;
		off = len;
		if (off > VIGIL_PROF_USTACK - VIGIL_PROF_PAGE)
			break;
		if (bpf_probe_read_user(b->ustack + off, VIGIL_PROF_PAGE, (void *)(sp + off)))
			break;
		len = off + VIGIL_PROF_PAGE;
	}
	return len;
}

static __always_inline void send_sample(void *ctx, __u32 kind, __u64 ts, __u64 id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sample_buf *b;
	__u32 cpu = bpf_get_smp_processor_id(), len = 0;
	__u64 size;

	b = bpf_map_lookup_elem(&bufs, &cpu);
	if (!b)
		return;
	b->s.kind = kind;
	b->s.flags = 0;
	b->s.tgid = id >> 32;
	b->s.tid = (__u32)id;
	b->s.ts = ts;
	b->s.value = 1;
	bpf_get_current_comm(b->s.comm, sizeof(b->s.comm));
	b->s.kstack_bytes = 0;
	if (kernel_stacks)
		b->s.kstack_bytes = bpf_get_stack(ctx, b->s.kstack, sizeof(b->s.kstack), 0);
	if (task->flags & PF_KTHREAD) {
		b->s.flags = VIGIL_PROF_F_KTHREAD;
	} else if (ustack_pages) {
		copy_regs(&b->s, task);
		len = copy_ustack(b, b->s.regs[VIGIL_PROF_REG_SP]);
		if (!len)
			count(VIGIL_PROF_NO_USTACK);
	}
	if (len > VIGIL_PROF_USTACK)
		len = VIGIL_PROF_USTACK;
	b->s.ustack_bytes = len;
	size = sizeof(b->s) + len;
	if (bpf_ringbuf_output(&samples, b, size, 0))
		count(VIGIL_PROF_LOST);
}

SEC("perf_event")
int profile_cpu(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (current_wanted(id >> 32))
		send_sample(ctx, VIGIL_PROF_ONCPU, 0, id);
	return 0;
}

/*
 * Off CPU: the stacks are sent at the switch out, when they can be read (prev is the current
 * task), and a short record at the switch back in says for how long; user space pairs them.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(profile_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), *ts;
	struct vigil_prof_switch in = { .kind = VIGIL_PROF_OFFCPU_IN };

	if (prev->__state != 0 && current_wanted(id >> 32)) {
		ts = bpf_task_storage_get(&offcpu_ts, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (ts) {
			*ts = now;
			send_sample(ctx, VIGIL_PROF_OFFCPU_OUT, now, id);
		}
	}
	ts = bpf_task_storage_get(&offcpu_ts, next, 0, 0);
	if (!ts || !*ts)
		return 0;
	in.tgid = next->tgid;
	in.tid = next->pid;
	in.ts = *ts;
	in.value = now - *ts;
	*ts = 0;
	if (bpf_ringbuf_output(&samples, &in, sizeof(in), 0))
		count(VIGIL_PROF_LOST);
	return 0;
}
