// SPDX-License-Identifier: GPL-2.0
/*
 * vigil latency: log2 histograms kept in the kernel, one per key (vigil/latency.h). User space
 * turns on (autoload) only the programs of the target asked for, typed tp_btf or, where the
 * kernel lacks it, their raw_tp twins: both read through BPF_CORE_READ, so one body serves both.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "vigil/latency.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING  0
#define REQ_OP_MASK   0xff
#define IPPROTO_TCP   6
#define AF_INET	      2
#define AF_INET6      10
#define MAX_ERRNO     4095
#define E2BIG	      7
#define NR_EXIT	      60
#define NR_EXIT_GROUP 231

/* Load-time settings (skel->rodata). */
const volatile __u32 group = VIGIL_LAT_BY_NONE;
const volatile __u64 unit_ns = 1000; /* the histograms' unit in ns: 1, 1000 or 1000000 */
const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgroup = 0; /* a cgroup's id, with its depth: its whole subtree */
const volatile __u32 targ_cgroup_level = 0;
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct vigil_lat_key);
	__type(value, struct vigil_lat_hist);
} hists SEC(".maps");

/* Samples not counted because a map was full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} missed SEC(".maps");

static const struct vigil_lat_hist zero_hist;

static __always_inline void count_missed(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&missed, &zero);

	if (n)
		(*n)++;
}

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

static __always_inline void hist_add(__u64 grp, __u32 id, __u16 kind, __u16 op, __u64 value,
				     __u64 sum, bool error)
{
	struct vigil_lat_key key = { .group = grp, .id = id, .kind = kind, .op = op };
	struct vigil_lat_hist *h = bpf_map_lookup_elem(&hists, &key);

	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			count_missed();
			return;
		}
	}
	hist_update(h, value, sum, error);
}

static __always_inline void time_add(__u64 grp, __u32 id, __u16 kind, __u16 op, __u64 ns,
				     bool error)
{
	hist_add(grp, id, kind, op, ns / unit_ns, ns, error);
}

/* ---------------------------------------------------------------- filters */

struct cgroup___old {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* The id of @task's cgroup at depth targ_cgroup_level (its ancestor there, or itself). */
static __always_inline __u64 task_cgroup_at_level(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	__u32 level = targ_cgroup_level;

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

static __always_inline bool task_wanted(struct task_struct *task)
{
	if (targ_tgid && (__u32)BPF_CORE_READ(task, tgid) != targ_tgid)
		return false;
	return !targ_cgroup || task_cgroup_at_level(task) == targ_cgroup;
}

static __always_inline bool current_wanted(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (targ_tgid && tgid != targ_tgid)
		return false;
	if (self_tgid && tgid == self_tgid)
		return false;
	return !targ_cgroup || bpf_get_current_ancestor_cgroup_id(targ_cgroup_level) == targ_cgroup;
}

/* ---------------------------------------------------------------- runq */

/*
 * When a thread was woken, or preempted while runnable. Typed programs keep it in the task
 * itself (no hashing on every context switch); raw_tp ones cannot name a task to the kernel
 * and use a hash by thread id, as runqlat does.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} runq_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} runq_start SEC(".maps");

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

static __always_inline __u64 runq_group(struct task_struct *next, __u32 tgid)
{
	if (group == VIGIL_LAT_BY_CPU)
		return bpf_get_smp_processor_id();
	if (group == VIGIL_LAT_BY_PID)
		return tgid;
	if (group == VIGIL_LAT_BY_CGROUP)
		return task_cgroup_id(next);
	return 0;
}

/* typed: the task's fields read directly, its time kept in it */

static __always_inline void runq_enqueue_btf(struct task_struct *task)
{
	__u64 *ts;

	if (!task->pid || (targ_tgid && (__u32)task->tgid != targ_tgid) ||
	    (targ_cgroup && task_cgroup_at_level(task) != targ_cgroup))
		return;
	ts = bpf_task_storage_get(&runq_ts, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts)
		*ts = bpf_ktime_get_ns();
	else
		count_missed();
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(runq_wakeup, struct task_struct *p)
{
	runq_enqueue_btf(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(runq_wakeup_new, struct task_struct *p)
{
	runq_enqueue_btf(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(runq_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 *ts;

	if (task_state_btf(prev) == TASK_RUNNING)
		runq_enqueue_btf(prev);
	ts = bpf_task_storage_get(&runq_ts, next, 0, 0);
	if (!ts || !*ts)
		return 0;
	time_add(runq_group(next, next->tgid), 0, VIGIL_LAT_RUNQ, 0, bpf_ktime_get_ns() - *ts,
		 false);
	*ts = 0;
	return 0;
}

/* raw_tp: read through bpf_probe_read, kept in a hash */

static __always_inline int runq_enqueue_raw(struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	__u64 ts;

	if (!tid || !task_wanted(task))
		return 0;
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&runq_start, &tid, &ts, BPF_ANY))
		count_missed();
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(runq_wakeup_raw, struct task_struct *p)
{
	return runq_enqueue_raw(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(runq_wakeup_new_raw, struct task_struct *p)
{
	return runq_enqueue_raw(p);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(runq_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	__u64 *start, delta;

	if (task_state(prev) == TASK_RUNNING)
		runq_enqueue_raw(prev);
	start = bpf_map_lookup_elem(&runq_start, &tid);
	if (!start)
		return 0;
	delta = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&runq_start, &tid);
	time_add(runq_group(next, BPF_CORE_READ(next, tgid)), 0, VIGIL_LAT_RUNQ, 0, delta, false);
	return 0;
}

/* ---------------------------------------------------------------- offcpu */

#define TASK_INTERRUPTIBLE   0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_NOLOAD	     0x400

struct offcpu_start {
	__u64 ts;
	__u32 why;
	__u32 pad;
};

/* When a task was switched out not runnable, and why: in the task (typed), by thread id (raw) */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct offcpu_start);
} offcpu_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct offcpu_start);
} offcpu_start SEC(".maps");

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

static __always_inline __u64 task_group(struct task_struct *task, __u32 tgid)
{
	if (group == VIGIL_LAT_BY_PID)
		return tgid;
	if (group == VIGIL_LAT_BY_CGROUP)
		return task_cgroup_id(task);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	long state = task_state_btf(prev);
	struct offcpu_start *o;

	if (state != TASK_RUNNING && prev->pid && (!targ_tgid || (__u32)prev->tgid == targ_tgid) &&
	    (!targ_cgroup || task_cgroup_at_level(prev) == targ_cgroup)) {
		o = bpf_task_storage_get(&offcpu_ts, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (o) {
			o->ts = bpf_ktime_get_ns();
			o->why = offcpu_why(state);
		} else {
			count_missed();
		}
	}
	o = bpf_task_storage_get(&offcpu_ts, next, 0, 0);
	if (!o || !o->ts)
		return 0;
	time_add(task_group(next, next->tgid), 0, VIGIL_LAT_OFFCPU, o->why,
		 bpf_ktime_get_ns() - o->ts, false);
	o->ts = 0;
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	long state = task_state(prev);
	__u32 tid = BPF_CORE_READ(prev, pid);
	struct offcpu_start *o, no = {};

	if (state != TASK_RUNNING && tid && task_wanted(prev)) {
		no.ts = bpf_ktime_get_ns();
		no.why = offcpu_why(state);
		if (bpf_map_update_elem(&offcpu_start, &tid, &no, BPF_ANY))
			count_missed();
	}
	tid = BPF_CORE_READ(next, pid);
	o = bpf_map_lookup_elem(&offcpu_start, &tid);
	if (!o)
		return 0;
	time_add(task_group(next, BPF_CORE_READ(next, tgid)), 0, VIGIL_LAT_OFFCPU, o->why,
		 bpf_ktime_get_ns() - o->ts, false);
	bpf_map_delete_elem(&offcpu_start, &tid);
	return 0;
}

/* ---------------------------------------------------------------- syscall */

/*
 * Ungrouped syscall histograms by number: an array, whose lookup the verifier inlines, on the
 * path every syscall takes. Grouped ones go to hists.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_LAT_SYSCALLS);
	__type(key, __u32);
	__type(value, struct vigil_lat_hist);
} syscall_hists SEC(".maps");

struct syscall_start {
	__u64 ts;
	__u64 nr;
};

/*
 * Per task, in the task itself: no hashing on the hottest path there is, and nothing left
 * behind by a thread killed inside a syscall (it never reaches sys_exit).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscall_start);
} syscall_start SEC(".maps");

static __always_inline int syscall_enter(long nr)
{
	struct syscall_start *s;

	/* these never return */
	if (nr < 0 || nr == NR_EXIT || nr == NR_EXIT_GROUP || !current_wanted())
		return 0;
	s = bpf_task_storage_get(&syscall_start, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_missed();
		return 0;
	}
	s->nr = nr;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int syscall_exit(long ret)
{
	struct syscall_start *s;
	__u64 delta, grp = 0;

	s = bpf_task_storage_get(&syscall_start, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts)
		return 0;
	delta = bpf_ktime_get_ns() - s->ts;
	s->ts = 0;
	if (group == VIGIL_LAT_BY_NONE && s->nr < VIGIL_LAT_SYSCALLS) {
		__u32 nr = s->nr;
		struct vigil_lat_hist *h = bpf_map_lookup_elem(&syscall_hists, &nr);

		if (h) {
			hist_update(h, delta / unit_ns, delta, ret < 0 && ret >= -MAX_ERRNO);
			return 0;
		}
	}
	if (group == VIGIL_LAT_BY_PID)
		grp = bpf_get_current_pid_tgid() >> 32;
	else if (group == VIGIL_LAT_BY_CGROUP)
		grp = bpf_get_current_cgroup_id();
	time_add(grp, s->nr, VIGIL_LAT_SYSCALL, 0, delta, ret < 0 && ret >= -MAX_ERRNO);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(syscall_enter_btf, struct pt_regs *regs, long id)
{
	return syscall_enter(id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit_btf, struct pt_regs *regs, long ret)
{
	return syscall_exit(ret);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(syscall_enter_raw, struct pt_regs *regs, long id)
{
	return syscall_enter(id);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(syscall_exit_raw, struct pt_regs *regs, long ret)
{
	return syscall_exit(ret);
}

/* ---------------------------------------------------------------- block */

/* Keyed by the request: when it was inserted (queued), and when issued to the device. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} blk_insert SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} blk_issue SEC(".maps");

struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline __u64 rq_dev(struct request *rq)
{
	struct gendisk *disk;

	if (group != VIGIL_LAT_BY_DISK)
		return 0;
	if (bpf_core_field_exists(((struct request___old *)rq)->rq_disk))
		disk = BPF_CORE_READ((struct request___old *)rq, rq_disk);
	else
		disk = BPF_CORE_READ(rq, q, disk);
	if (!disk)
		return 0;
	return ((__u64)BPF_CORE_READ(disk, major) << 20) | BPF_CORE_READ(disk, first_minor);
}

static __always_inline __u16 rq_op(struct request *rq)
{
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK;

	switch (op) {
	case 0:
		return VIGIL_LAT_OP_READ;
	case 1:
		return VIGIL_LAT_OP_WRITE;
	case 2:
		return VIGIL_LAT_OP_FLUSH;
	case 3:
		return VIGIL_LAT_OP_DISCARD;
	default:
		return VIGIL_LAT_OP_OTHER;
	}
}

static __always_inline int blk_inserted(struct request *rq)
{
	__u64 key = (__u64)rq, ts = bpf_ktime_get_ns();

	if (bpf_map_update_elem(&blk_insert, &key, &ts, BPF_ANY))
		count_missed();
	return 0;
}

static __always_inline int blk_issued(struct request *rq)
{
	__u64 key = (__u64)rq, ts = bpf_ktime_get_ns(), *ins, bytes;
	__u64 dev = rq_dev(rq);
	__u16 op = rq_op(rq);

	ins = bpf_map_lookup_elem(&blk_insert, &key);
	if (ins) {
		time_add(dev, 0, VIGIL_LAT_BLK_QUEUE, op, ts - *ins, false);
		bpf_map_delete_elem(&blk_insert, &key);
	}
	bytes = BPF_CORE_READ(rq, __data_len);
	hist_add(dev, 0, VIGIL_LAT_BLK_SIZE, op, bytes, bytes, false);
	if (bpf_map_update_elem(&blk_issue, &key, &ts, BPF_ANY))
		count_missed();
	return 0;
}

static __always_inline int blk_completed(struct request *rq, int error)
{
	__u64 key = (__u64)rq, *start = bpf_map_lookup_elem(&blk_issue, &key);
	__u64 delta;

	if (!start)
		return 0;
	delta = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&blk_issue, &key);
	time_add(rq_dev(rq), 0, VIGIL_LAT_BLK_DEVICE, rq_op(rq), delta, error != 0);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(blk_insert_btf, struct request *rq)
{
	return blk_inserted(rq);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(blk_issue_btf, struct request *rq)
{
	return blk_issued(rq);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(blk_complete_btf, struct request *rq, int error, unsigned int nr_bytes)
{
	return blk_completed(rq, error);
}

SEC("raw_tp/block_rq_insert")
int BPF_PROG(blk_insert_raw, struct request *rq)
{
	return blk_inserted(rq);
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(blk_issue_raw, struct request *rq)
{
	return blk_issued(rq);
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(blk_complete_raw, struct request *rq, int error, unsigned int nr_bytes)
{
	return blk_completed(rq, error);
}

/* ---------------------------------------------------------------- tcp */

struct tcp_birth {
	__u64 ts;
	__u64 tgid;
};

/* Keyed by the socket: when its life began, and the process that connect()ed it (0: accepted). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tcp_birth);
} tcp_birth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vigil_lat_peer);
	__type(value, __u64);
} tcp_retrans SEC(".maps");

static __always_inline int tcp_state(const struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk, delta, grp = 0;
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct tcp_birth *b, nb;
	__u64 rx, tx;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	/* a listener is not a connection */
	if (oldstate == TCP_LISTEN || newstate == TCP_LISTEN)
		return 0;
	if (newstate < TCP_FIN_WAIT1) {
		/*
		 * Only connect() runs in its process (SYN_SENT); a passive open runs in whatever
		 * task the softirq interrupted, on loopback the client: it has no process.
		 */
		nb.tgid = 0;
		if (newstate == TCP_SYN_SENT) {
			if (!current_wanted())
				return 0;
			nb.tgid = bpf_get_current_pid_tgid() >> 32;
		} else if (targ_tgid || targ_cgroup) {
			return 0;
		}
		nb.ts = bpf_ktime_get_ns();
		/* EEXIST: it was born already (SYN_SENT before ESTABLISHED) */
		if (bpf_map_update_elem(&tcp_birth, &key, &nb, BPF_NOEXIST) == -E2BIG)
			count_missed();
		return 0;
	}
	if (newstate != TCP_CLOSE)
		return 0;
	b = bpf_map_lookup_elem(&tcp_birth, &key);
	if (!b)
		return 0;
	delta = bpf_ktime_get_ns() - b->ts;
	if (group == VIGIL_LAT_BY_PID)
		grp = b->tgid;
	bpf_map_delete_elem(&tcp_birth, &key);
	rx = BPF_CORE_READ(tp, bytes_received);
	tx = BPF_CORE_READ(tp, bytes_acked);
	time_add(grp, 0, VIGIL_LAT_TCP_LIFE, 0, delta, false);
	hist_add(grp, 0, VIGIL_LAT_TCP_RX, 0, rx, rx, false);
	hist_add(grp, 0, VIGIL_LAT_TCP_TX, 0, tx, tx, false);
	return 0;
}

static __always_inline int tcp_retransmit(const struct sock *sk)
{
	struct vigil_lat_peer peer = {};
	__u64 *n, one = 1;

	peer.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	peer.port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (peer.family == AF_INET)
		BPF_CORE_READ_INTO(&peer.addr, sk, __sk_common.skc_daddr);
	else if (peer.family == AF_INET6)
		BPF_CORE_READ_INTO(&peer.addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	else
		return 0;
	n = bpf_map_lookup_elem(&tcp_retrans, &peer);
	if (n)
		(*n)++;
	else if (bpf_map_update_elem(&tcp_retrans, &peer, &one, BPF_NOEXIST) == -E2BIG)
		count_missed();
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return tcp_state(sk, oldstate, newstate);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retrans_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return tcp_retransmit(sk);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tcp_state_raw, const struct sock *sk, int oldstate, int newstate)
{
	return tcp_state(sk, oldstate, newstate);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retrans_raw, const struct sock *sk, const struct sk_buff *skb)
{
	return tcp_retransmit(sk);
}

/* ---------------------------------------------------------------- irq */

/* Per CPU: when the running hard irq handler and softirq began (they do not nest in kind). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} irq_start SEC(".maps");

static __always_inline int irq_enter(__u32 which)
{
	__u64 *ts = bpf_map_lookup_elem(&irq_start, &which);

	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int irq_exit(__u32 which, __u32 id)
{
	__u64 *ts = bpf_map_lookup_elem(&irq_start, &which), grp = 0;

	if (!ts || !*ts)
		return 0;
	if (group == VIGIL_LAT_BY_CPU)
		grp = bpf_get_smp_processor_id();
	time_add(grp, id, which ? VIGIL_LAT_SOFTIRQ : VIGIL_LAT_HARDIRQ, 0,
		 bpf_ktime_get_ns() - *ts, false);
	*ts = 0;
	return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(hardirq_entry_btf, int irq)
{
	return irq_enter(0);
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(hardirq_exit_btf, int irq)
{
	return irq_exit(0, irq);
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry_btf, unsigned int vec)
{
	return irq_enter(1);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit_btf, unsigned int vec)
{
	return irq_exit(1, vec);
}

SEC("raw_tp/irq_handler_entry")
int BPF_PROG(hardirq_entry_raw, int irq)
{
	return irq_enter(0);
}

SEC("raw_tp/irq_handler_exit")
int BPF_PROG(hardirq_exit_raw, int irq)
{
	return irq_exit(0, irq);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(softirq_entry_raw, unsigned int vec)
{
	return irq_enter(1);
}

SEC("raw_tp/softirq_exit")
int BPF_PROG(softirq_exit_raw, unsigned int vec)
{
	return irq_exit(1, vec);
}

/* ---------------------------------------------------------------- uprobe */

/*
 * A user function's entry time by thread, until its return. LRU: a thread that dies inside
 * the function leaves nothing behind for long. A recursive call overwrites its caller's
 * entry: the outer call is then counted from the inner one's start.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} uprobe_start SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(uprobe_entry)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;

	if (!current_wanted())
		return 0;
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&uprobe_start, &id, &ts, BPF_ANY))
		count_missed();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uprobe_return)
{
	__u64 id = bpf_get_current_pid_tgid(), *start, delta, grp = 0;

	start = bpf_map_lookup_elem(&uprobe_start, &id);
	if (!start)
		return 0;
	delta = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&uprobe_start, &id);
	if (group == VIGIL_LAT_BY_PID)
		grp = id >> 32;
	else if (group == VIGIL_LAT_BY_CGROUP)
		grp = bpf_get_current_cgroup_id();
	time_add(grp, 0, VIGIL_LAT_UPROBE, 0, delta, false);
	return 0;
}
