// SPDX-License-Identifier: GPL-2.0
/*
 * vigil top: per-process counters, aggregated here and read by user space once per refresh.
 * Each tracepoint has a typed tp_btf program and a raw_tp twin (user space loads one set), with
 * one body: @typed is a constant in each, so the compiler keeps only that set's code.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "lat.bpf.h"
#include "vigil/top.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET	     2
#define AF_INET6     10
#define REQ_OP_WRITE 1
#define REQ_OP_MASK  0xff

/* Load-time settings (skel->rodata). */
const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgroup = 0; /* a cgroup's id, with its depth: its whole subtree */
const volatile __u32 targ_cgroup_level = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VIGIL_TOP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct vigil_top_stats);
} stats SEC(".maps");

/* Updates not counted because the map was full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} missed SEC(".maps");

/* Per CPU: when its CPU time was last given to a task (a switch, or a tick). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_since SEC(".maps");

/* Per thread: when it was woken or preempted (run queue), or blocked (off CPU). */
struct task_times {
	__u64 runq;
	__u64 off;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_times);
} task_times SEC(".maps");

/* raw_tp cannot name a task to the kernel: by thread id there */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct task_times);
} task_times_raw SEC(".maps");

/* A block request from its submission: by whom, when, how much. */
struct blk_start {
	__u64 ts;
	__u64 bytes;
	__u32 tgid;
	__u32 write;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct blk_start);
} blk_start SEC(".maps");

/* The process that last sent on a socket: retransmits happen in softirqs, not in it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u32);
} sock_owner SEC(".maps");

static const struct vigil_top_stats zero_stats;
static const struct task_times zero_times;

static __always_inline void count_missed(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&missed, &zero);

	if (n)
		(*n)++;
}

static __always_inline struct vigil_top_stats *stats_of(__u32 tgid)
{
	struct vigil_top_stats *s = bpf_map_lookup_elem(&stats, &tgid);

	if (s)
		return s;
	bpf_map_update_elem(&stats, &tgid, &zero_stats, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&stats, &tgid);
	if (!s)
		count_missed();
	return s;
}

static __always_inline bool task_wanted(struct task_struct *t)
{
	if (targ_tgid && (__u32)BPF_CORE_READ(t, tgid) != targ_tgid)
		return false;
	return !targ_cgroup || task_cgroup_at(t, targ_cgroup_level) == targ_cgroup;
}

static __always_inline bool current_wanted(__u32 tgid)
{
	if (targ_tgid && tgid != targ_tgid)
		return false;
	return !targ_cgroup || bpf_get_current_ancestor_cgroup_id(targ_cgroup_level) == targ_cgroup;
}

/* @t's times, in the task (typed) or by thread id (raw); created when @create. */
static __always_inline struct task_times *times_of(struct task_struct *t, bool typed, bool create)
{
	struct task_times *tt;
	__u32 tid;

	if (typed)
		return bpf_task_storage_get(&task_times, t, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	tid = BPF_CORE_READ(t, pid);
	tt = bpf_map_lookup_elem(&task_times_raw, &tid);
	if (tt || !create)
		return tt;
	bpf_map_update_elem(&task_times_raw, &tid, &zero_times, BPF_NOEXIST);
	return bpf_map_lookup_elem(&task_times_raw, &tid);
}

/* The CPU time since the last switch or tick goes to @tgid (0: the idle task, nobody). */
static __always_inline void cpu_charge(__u32 tgid, bool wanted, __u64 now)
{
	struct vigil_top_stats *s;
	__u32 zero = 0;
	__u64 *since = bpf_map_lookup_elem(&cpu_since, &zero);

	if (!since)
		return;
	if (*since && tgid && wanted && (s = stats_of(tgid)))
		s->cpu_ns += now - *since;
	*since = now;
}

/* ---------------------------------------------------------------- scheduler */

static __always_inline void woken(struct task_struct *t, bool typed)
{
	struct task_times *tt;

	if (!BPF_CORE_READ(t, pid) || !task_wanted(t))
		return;
	tt = times_of(t, typed, true);
	if (tt)
		tt->runq = bpf_ktime_get_ns();
	else
		count_missed();
}

static __always_inline void switched(struct task_struct *prev, struct task_struct *next, bool typed)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tgid = BPF_CORE_READ(next, tgid);
	struct vigil_top_stats *s;
	struct task_times *tt;

	cpu_charge(BPF_CORE_READ(prev, tgid), task_wanted(prev), now);
	if (BPF_CORE_READ(prev, pid) && task_wanted(prev)) {
		long state = typed ? task_state_btf(prev) : task_state(prev);

		tt = times_of(prev, typed, true);
		if (!tt)
			count_missed();
		else if (state == TASK_RUNNING)
			tt->runq = now; /* preempted: waits on the run queue */
		else if (offcpu_why(state) != VIGIL_LAT_OFF_OTHER)
			tt->off = now;
	}
	if (!tgid)
		return;
	tt = times_of(next, typed, false);
	if (!tt || (!tt->runq && !tt->off))
		return;
	s = stats_of(tgid);
	if (s) {
		struct task_struct *leader = BPF_CORE_READ(next, group_leader);

		s->cgroup = task_cgroup_id(next);
		bpf_core_read_str(s->comm, sizeof(s->comm), &leader->comm);
		if (tt->runq)
			hist_update(&s->runq, now - tt->runq, now - tt->runq, false);
		if (tt->off)
			s->offcpu_ns += now - tt->off;
	}
	tt->runq = 0;
	tt->off = 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *p)
{
	woken(p, true);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wakeup_new_btf, struct task_struct *p)
{
	woken(p, true);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	switched(prev, next, true);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *p)
{
	woken(p, false);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(wakeup_new_raw, struct task_struct *p)
{
	woken(p, false);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	switched(prev, next, false);
	return 0;
}

/*
 * A CPU that runs one task without switching would charge it nothing until it switches: a
 * cpu-clock tick charges the running task what it used so far (a few per second suffice).
 */
SEC("perf_event")
int cpu_tick(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	cpu_charge(tgid, tgid && current_wanted(tgid), bpf_ktime_get_ns());
	return 0;
}

/* ---------------------------------------------------------------- syscalls */

static __always_inline void syscall_done(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vigil_top_stats *s;

	if (!current_wanted(tgid) || !(s = stats_of(tgid)))
		return;
	s->syscalls++;
	if (ret < 0 && ret >= -MAX_ERRNO)
		s->syscall_errors++;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	syscall_done(ret);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	syscall_done(ret);
	return 0;
}

/* ---------------------------------------------------------------- block I/O */

/* block_io_start runs in the submitter's context (kernel 6.5 and later). */
static __always_inline void blk_started(struct request *rq)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 key = (__u64)rq;
	struct blk_start b = {
		.ts = bpf_ktime_get_ns(),
		.bytes = BPF_CORE_READ(rq, __data_len),
		.tgid = tgid,
		.write = (BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK) == REQ_OP_WRITE,
	};

	if (!tgid || !current_wanted(tgid))
		return;
	if (bpf_map_update_elem(&blk_start, &key, &b, BPF_ANY))
		count_missed();
}

static __always_inline void blk_completed(struct request *rq)
{
	__u64 key = (__u64)rq;
	struct blk_start *b = bpf_map_lookup_elem(&blk_start, &key);
	struct vigil_top_stats *s;

	if (!b)
		return;
	s = stats_of(b->tgid);
	if (s) {
		if (b->write)
			s->blk_write_bytes += b->bytes;
		else
			s->blk_read_bytes += b->bytes;
		s->blk_ios++;
		s->blk_ns += bpf_ktime_get_ns() - b->ts;
	}
	bpf_map_delete_elem(&blk_start, &key);
}

SEC("tp_btf/block_io_start")
int BPF_PROG(blk_start_btf, struct request *rq)
{
	blk_started(rq);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(blk_complete_btf, struct request *rq)
{
	blk_completed(rq);
	return 0;
}

SEC("raw_tp/block_io_start")
int BPF_PROG(blk_start_raw, struct request *rq)
{
	blk_started(rq);
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(blk_complete_raw, struct request *rq)
{
	blk_completed(rq);
	return 0;
}

/* ---------------------------------------------------------------- network */

/* sock_send_length and sock_recv_length (6.3 and later) run in the process, with the bytes. */
static __always_inline void sock_bytes(struct sock *sk, int ret, bool sent)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct vigil_top_stats *s;
	__u64 key = (__u64)sk;
	__u32 *owner;

	if (ret <= 0 || (family != AF_INET && family != AF_INET6) || !current_wanted(tgid) ||
	    !(s = stats_of(tgid)))
		return;
	if (sent) {
		s->net_tx_bytes += ret;
		owner = bpf_map_lookup_elem(&sock_owner, &key);
		if (!owner || *owner != tgid)
			bpf_map_update_elem(&sock_owner, &key, &tgid, BPF_ANY);
	} else {
		s->net_rx_bytes += ret;
	}
}

static __always_inline void retransmitted(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	__u32 *owner = bpf_map_lookup_elem(&sock_owner, &key);
	struct vigil_top_stats *s;

	if (owner && (s = stats_of(*owner)))
		s->retransmits++;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(send_btf, struct sock *sk, int ret, int flags)
{
	sock_bytes(sk, ret, true);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(recv_btf, struct sock *sk, int ret, int flags)
{
	sock_bytes(sk, ret, false);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retrans_btf, const struct sock *sk, const struct sk_buff *skb)
{
	retransmitted(sk);
	return 0;
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(send_raw, struct sock *sk, int ret, int flags)
{
	sock_bytes(sk, ret, true);
	return 0;
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(recv_raw, struct sock *sk, int ret, int flags)
{
	sock_bytes(sk, ret, false);
	return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(retrans_raw, const struct sock *sk, const struct sk_buff *skb)
{
	retransmitted(sk);
	return 0;
}
