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

#include "vigil/events.h"

#define PF_KTHREAD 0x00200000
#define S_IFMT	   00170000
#define S_IFSOCK   0140000
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

/* Records that did not fit in the ring buffer, per CPU: never lost silently. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost_events SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&lost_events, &zero);

	if (lost)
		(*lost)++;
}

static __always_inline __u64 wakeup_flags(void)
{
	if (!wakeup_bytes || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

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

/* Copy a finished record from scratch memory into the ring buffer, counting a failure. */
static __always_inline void emit(void *record, __u64 size)
{
	if (bpf_ringbuf_output(&events, record, size, wakeup_flags()))
		count_lost();
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
static __always_inline void emit_fitting(void *record, __u64 size, __u64 cap)
{
	asm volatile("" : "+r"(size));
	if (size <= cap)
		emit(record, size);
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
