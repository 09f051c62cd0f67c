/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by every sensor: the ring buffer, the lost-record counter and the helpers that fill
 * the common parts of a record. Each sensor object declares these maps; user space makes them
 * all use the first sensor's maps (bpf_map__reuse_fd), so there is one stream and one counter.
 */
#ifndef VIGIL_BPF_H
#define VIGIL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "vigil/budget.h"
#include "vigil/events.h"

#define PF_KTHREAD 0x00200000
#define S_IFMT	   00170000
#define S_IFSOCK   0140000
#define S_IFIFO	   0010000
#define AF_INET	   2
#define AF_INET6   10

/* Wake the consumer only once this much is waiting; it also polls on a timer. */
const volatile __u64 wakeup_bytes = 0;
/* vigil's own process: what it does to report events must not report itself. */
const volatile __u32 self_tgid = 0;

static __always_inline bool is_self(void)
{
	return self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

/* is_self() for the current task already at hand: a load instead of a helper call */
static __always_inline bool task_is_self(struct task_struct *task)
{
	return self_tgid && (__u32)task->tgid == self_tgid;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Records that did not fit in the ring buffer, per CPU and type: never lost silently. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lost_events SEC(".maps");

/* The raw-event budget (vigil/budget.h); shared like the ring buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_budget_config);
} budget_config SEC(".maps");

/* Sized by its owner (the process sensor) before load; others reuse it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_uid_loss);
} uid_losses SEC(".maps");

static __always_inline void lost_add(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&lost_events, &slot);

	if (n)
		(*n)++;
}

/* A record lost, of no known type. */
static __always_inline void count_lost(void)
{
	lost_add(0);
}

static __always_inline struct vigil_budget_config *budget_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&budget_config, &zero);
}

static __always_inline struct vigil_uid_loss *uid_loss(__u32 uid, __u64 now, __u64 burst)
{
	struct vigil_uid_loss *l = bpf_map_lookup_elem(&uid_losses, &uid), fresh = {
		.refill_ns = now,
		.tokens = burst * VIGIL_BUDGET_TOKEN,
	};

	if (l)
		return l;
	bpf_map_update_elem(&uid_losses, &uid, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&uid_losses, &uid);
}

/* A record of @type from @uid lost: @slot is VIGIL_LOST_RING or VIGIL_LOST_BUDGET. */
static __always_inline void count_lost_as(__u16 type, __u32 uid, __u32 slot,
					  struct vigil_uid_loss *l)
{
	lost_add(0);
	lost_add(slot + (type & (VIGIL_EV_TYPE_MAX - 1)));
	if (!l)
		l = uid_loss(uid, 0, 0);
	if (!l)
		return;
	__sync_fetch_and_add(slot == VIGIL_LOST_BUDGET ? &l->throttled : &l->ring_full, 1);
	__sync_fetch_and_or(&l->types, 1ull << (type & (VIGIL_EV_TYPE_MAX - 1)));
}

static __always_inline __u64 cfg_coarse_ns(const struct vigil_budget_config *cfg)
{
	return cfg->tick_ns ? bpf_jiffies64() * cfg->tick_ns : bpf_ktime_get_ns();
}

/*
 * Whether @uid may send one more raw record of @type: a token bucket per uid, refilled by
 * elapsed time on the coarse clock. Root is not budgeted: it can unload the agent anyway. A
 * refusal is counted. Updates race between CPUs; a bucket may be off by a record or two.
 */
static __always_inline bool budget_admit(__u32 uid, __u16 type)
{
	struct vigil_budget_config *cfg = budget_cfg();
	struct vigil_uid_loss *l;
	__u64 now, elapsed;
	__s64 cap, tokens;

	if (!cfg || !cfg->rate || !uid)
		return true;
	now = cfg_coarse_ns(cfg);
	l = uid_loss(uid, now, cfg->burst);
	if (!l)
		return true;
	cap = cfg->burst * VIGIL_BUDGET_TOKEN;
	tokens = l->tokens;
	elapsed = now - l->refill_ns;
	if ((__s64)elapsed > 0) {
		/* 100 s refill the largest bucket: the product stays far from overflow */
		tokens += (elapsed < 100000000000ull ? elapsed : 100000000000ull) * cfg->rate;
		l->refill_ns = now;
	}
	if (tokens > cap)
		tokens = cap;
	if (tokens < VIGIL_BUDGET_TOKEN) {
		l->tokens = tokens;
		count_lost_as(type, uid, VIGIL_LOST_BUDGET, l);
		return false;
	}
	l->tokens = tokens - VIGIL_BUDGET_TOKEN;
	return true;
}

/* How a record goes out (emit_as) */
enum emit_kind {
	EMIT_RAW,      /* a raw event: its uid's budget, and never into the reserve */
	EMIT_ADMITTED, /* a raw event whose budget was taken already (budget_admit) */
	EMIT_RESERVED, /* process lifecycle and enforcement outcomes: the whole ring */
};

/*
 * Nanoseconds at tick resolution, for windows of a second or so: bpf_jiffies64 is about free,
 * while the first precise clock read of a program costs ~70 ns on our bench VM (tracing
 * programs may not call bpf_ktime_get_coarse_ns). User space sets tick_ns to the length of a
 * jiffy (not from __kconfig CONFIG_HZ: libbpf 1.1 refuses the object when the kernel config
 * is not on disk); 0 means unknown, and the precise clock is used.
 */
const volatile __u64 tick_ns = 0;

static __always_inline __u64 coarse_ns(void)
{
	return tick_ns ? bpf_jiffies64() * tick_ns : bpf_ktime_get_ns();
}

/*
 * Copy a finished record from scratch memory into the ring buffer, counting a failure. Records
 * of every family start with a header and the task (vigil/events.h): the uid is read there.
 */
static __always_inline void emit_as(void *record, __u64 size, enum emit_kind kind)
{
	const struct vigil_event_hdr *hdr = record;
	__u32 uid = ((const struct vigil_task *)(hdr + 1))->uid;
	struct vigil_budget_config *cfg;
	__u64 queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags =
		!wakeup_bytes || queued >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (kind != EMIT_RESERVED) {
		if (kind == EMIT_RAW && !budget_admit(uid, hdr->type))
			return;
		cfg = budget_cfg();
		if (cfg && cfg->raw_limit && queued + size > cfg->raw_limit) {
			count_lost_as(hdr->type, uid, VIGIL_LOST_RING, NULL);
			return;
		}
	}
	if (bpf_ringbuf_output(&events, record, size, flags))
		count_lost_as(hdr->type, uid, VIGIL_LOST_RING, NULL);
}

static __always_inline void emit(void *record, __u64 size)
{
	emit_as(record, size, EMIT_RAW);
}

/*
 * Plain loads instead of probe reads. bpf_probe_read_kernel is a helper call that costs about
 * 50 ns on a retpoline kernel (6.18 on our bench host); bpf_rdonly_cast turns the same read
 * into a load the JIT guards with an exception-table entry. Casting to void, which reads any
 * memory as scalars, is recent: user space probes it (FEAT_PLAIN_READS) and sets plain_reads.
 * When it is false the verifier prunes those branches, and the kfunc, a weak extern, may be
 * missing from the kernel altogether.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
const volatile bool plain_reads = false;

/*
 * The file behind @fd in @task's fd table (the current task, from bpf_get_current_task_btf()),
 * or NULL. Sensors run this on hot paths: the walk to the table goes through typed pointers
 * (plain loads the JIT guards); the indexed slot needs a probe read where plain_reads is off,
 * since the verifier allows no variable offset there. With plain_reads the file comes back
 * typed: read its fields with plain loads only under plain_reads, with BPF_CORE_READ otherwise.
 */
static __always_inline struct file *task_fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct file **fds = fdt->fd;
	struct file *file = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	if (plain_reads) {
		const __u64 *slots = bpf_rdonly_cast(fds, 0);

		return bpf_rdonly_cast((void *)slots[fd], bpf_core_type_id_kernel(struct file));
	}
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline struct file *fd_file(long fd)
{
	return task_fd_file(bpf_get_current_task_btf(), fd);
}

/* The 8-byte word at byte @off of the kernel object @obj, by plain load or probe read. */
static __always_inline __u64 kernel_word(const void *obj, __u32 off)
{
	__u64 w = 0;

	if (plain_reads)
		return ((const __u64 *)bpf_rdonly_cast(obj, 0))[off / 8];
	bpf_probe_read_kernel(&w, sizeof(w), (const char *)obj + off);
	return w;
}

/* The struct sock behind @fd in the current task's fd table, or NULL if it is no socket. */
static __always_inline struct sock *fd_sock(long fd)
{
	struct file *file = fd_file(fd);
	struct socket *sock;
	umode_t mode;

	if (!file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/*
 * emit() @size bytes of @record when they fit in @cap. The barrier makes the compiler test the
 * very register it passes to the helper: left alone it tests the length before the header size
 * is added, and older verifiers (6.1) do not carry that bound over to length + header
 * ("R2 min value is outside of the allowed memory range"); 6.18 tracks the linked registers.
 */
static __always_inline void emit_fitting(void *record, __u64 size, __u64 cap, enum emit_kind kind)
{
	asm volatile("" : "+r"(size));
	if (size <= cap)
		emit_as(record, size, kind);
}

static __always_inline void fill_task(struct vigil_task *t, struct task_struct *task)
{
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	const struct cred *cred = BPF_CORE_READ(task, real_cred);

	t->pid = BPF_CORE_READ(task, tgid);
	t->tid = BPF_CORE_READ(task, pid);
	t->ppid = BPF_CORE_READ(parent, tgid);
	t->uid = BPF_CORE_READ(cred, uid.val);
	t->euid = BPF_CORE_READ(cred, euid.val);
	t->gid = BPF_CORE_READ(cred, gid.val);
	t->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	t->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	t->parent_start_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
}

#endif
