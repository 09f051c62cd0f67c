// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege sensor: set*uid, set*gid, capset, setns and unshare with the credentials or
 * namespaces before and after.
 *
 * Syscall tracepoints (tp/syscalls/sys_{enter,exit}_<name>): "before" has to be read before
 * the kernel changes anything and "after" once it has committed, and only the syscall
 * boundaries give both. There is no tp_btf tracepoint inside commit_creds, and fexit/kprobes
 * are not available here (GUIDE §1). Each of these programs fires only for its own syscall,
 * which are rare; the credentials come from the task (real_cred), never from the arguments.
 */
#include "vigil.bpf.h"
#include "vigil/ev_priv.h"

char LICENSE[] SEC("license") = "GPL";

/* pending.syscall of the namespace calls, beyond enum vigil_setid_syscall */
#define PENDING_SETNS	(VIGIL_SYS_SETID_MAX + 1)
#define PENDING_UNSHARE (VIGIL_SYS_SETID_MAX + 2)

/* What sys_enter saw, until sys_exit of the same thread. */
struct pending {
	__u32 syscall; /* enum vigil_setid_syscall, PENDING_*; 0 for capset */
	__u32 flags;   /* setns, unshare: the flags argument */
	union {
		struct vigil_ids ids;
		struct vigil_caps caps;
		__u32 ns[VIGIL_NS_COUNT];
	};
};

/* Keyed by pid_tgid. LRU: a thread that dies inside the syscall cannot leak its entry. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pending);
} priv_pending SEC(".maps");

/* The common layout of the syscall tracepoints' records (trace_event_raw_sys_enter/exit). */
static __always_inline long exit_ret(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret;
}

static __always_inline const struct cred *task_cred(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, real_cred);
}

static __always_inline void read_ids(struct vigil_ids *ids, bool gids)
{
	const struct cred *cred = task_cred();

	if (gids) {
		ids->real = BPF_CORE_READ(cred, gid.val);
		ids->eff = BPF_CORE_READ(cred, egid.val);
		ids->saved = BPF_CORE_READ(cred, sgid.val);
		ids->fs = BPF_CORE_READ(cred, fsgid.val);
	} else {
		ids->real = BPF_CORE_READ(cred, uid.val);
		ids->eff = BPF_CORE_READ(cred, euid.val);
		ids->saved = BPF_CORE_READ(cred, suid.val);
		ids->fs = BPF_CORE_READ(cred, fsuid.val);
	}
}

/*
 * kernel_cap_t is a u64 since 6.3 and two u32s (low word first) before: on a little-endian
 * machine both are the same 8 bytes, so read them as a u64 at the relocated offset.
 */
static __always_inline void read_caps(struct vigil_caps *caps)
{
	const struct cred *cred = task_cred();

	bpf_core_read(&caps->effective, sizeof(caps->effective), &cred->cap_effective);
	bpf_core_read(&caps->permitted, sizeof(caps->permitted), &cred->cap_permitted);
	bpf_core_read(&caps->inheritable, sizeof(caps->inheritable), &cred->cap_inheritable);
}

static __always_inline int setid_enter(__u32 syscall)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending p = { .syscall = syscall };

	read_ids(&p.ids, syscall >= VIGIL_SYS_SETGID);
	bpf_map_update_elem(&priv_pending, &id, &p, BPF_ANY);
	return 0;
}

static __always_inline int setid_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct vigil_setid_event ev = {};
	struct pending *p = bpf_map_lookup_elem(&priv_pending, &id);

	if (!p || !p->syscall || p->syscall >= VIGIL_SYS_SETID_MAX)
		return 0;
	ev.hdr.type = p->syscall >= VIGIL_SYS_SETGID ? VIGIL_EV_SETGID : VIGIL_EV_SETUID;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev.task, (struct task_struct *)bpf_get_current_task());
	ev.result = exit_ret(ctx);
	ev.syscall = p->syscall;
	ev.before = p->ids;
	read_ids(&ev.after, p->syscall >= VIGIL_SYS_SETGID);
	bpf_map_delete_elem(&priv_pending, &id);
	emit(&ev, sizeof(ev));
	return 0;
}

#define SETID_PROGS(name, sys)                                                                     \
	SEC("tp/syscalls/sys_enter_" #name)                                                        \
	int enter_##name(void *ctx)                                                                \
	{                                                                                          \
		return setid_enter(sys);                                                           \
	}                                                                                          \
	SEC("tp/syscalls/sys_exit_" #name)                                                         \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                                      \
	{                                                                                          \
		return setid_exit(ctx);                                                            \
	}

SETID_PROGS(setuid, VIGIL_SYS_SETUID)
SETID_PROGS(setreuid, VIGIL_SYS_SETREUID)
SETID_PROGS(setresuid, VIGIL_SYS_SETRESUID)
SETID_PROGS(setfsuid, VIGIL_SYS_SETFSUID)
SETID_PROGS(setgid, VIGIL_SYS_SETGID)
SETID_PROGS(setregid, VIGIL_SYS_SETREGID)
SETID_PROGS(setresgid, VIGIL_SYS_SETRESGID)
SETID_PROGS(setfsgid, VIGIL_SYS_SETFSGID)

SEC("tp/syscalls/sys_enter_capset")
int enter_capset(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending p = {};

	read_caps(&p.caps);
	bpf_map_update_elem(&priv_pending, &id, &p, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_capset")
int exit_capset(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct vigil_capset_event ev = {};
	struct pending *p = bpf_map_lookup_elem(&priv_pending, &id);

	if (!p || p->syscall)
		return 0;
	ev.hdr.type = VIGIL_EV_CAPSET;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev.task, (struct task_struct *)bpf_get_current_task());
	ev.result = exit_ret(ctx);
	ev.before = p->caps;
	read_caps(&ev.after);
	bpf_map_delete_elem(&priv_pending, &id);
	emit(&ev, sizeof(ev));
	return 0;
}

static __always_inline void read_ns(struct task_struct *task, __u32 ns[VIGIL_NS_COUNT])
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);

	ns[VIGIL_NS_MNT] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	ns[VIGIL_NS_UTS] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	ns[VIGIL_NS_IPC] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	ns[VIGIL_NS_NET] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	ns[VIGIL_NS_PID] = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	ns[VIGIL_NS_CGROUP] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	ns[VIGIL_NS_USER] = BPF_CORE_READ(task, real_cred, user_ns, ns.inum);
	ns[VIGIL_NS_TIME] = bpf_core_field_exists(nsp->time_ns_for_children)
				    ? BPF_CORE_READ(nsp, time_ns_for_children, ns.inum)
				    : 0;
}

/*
 * The kernel's initial task (pid 0, its own parent), up the parents of @task: its namespaces
 * are the host's. Neither init_nsproxy nor /proc/1/ns is readable everywhere (no global
 * variables in BTF or kallsyms; pid 1 may refuse ptrace access).
 */
static __always_inline struct task_struct *initial_task(struct task_struct *task)
{
	for (int i = 0; i < 256; i++) {
		struct task_struct *parent = BPF_CORE_READ(task, real_parent);

		if (!parent || parent == task)
			break;
		task = parent;
	}
	return task;
}

static __always_inline int ns_enter(__u32 syscall, __u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending p = { .syscall = syscall, .flags = flags };

	read_ns((struct task_struct *)bpf_get_current_task(), p.ns);
	bpf_map_update_elem(&priv_pending, &id, &p, BPF_ANY);
	return 0;
}

static __always_inline int ns_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&priv_pending, &id);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vigil_ns_event ev = {};
	__u32 host[VIGIL_NS_COUNT];

	if (!p || (p->syscall != PENDING_SETNS && p->syscall != PENDING_UNSHARE))
		return 0;
	ev.hdr.type = p->syscall == PENDING_SETNS ? VIGIL_EV_SETNS : VIGIL_EV_UNSHARE;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev.task, task);
	ev.result = exit_ret(ctx);
	ev.flags = p->flags;
	read_ns(task, ev.after);
	read_ns(initial_task(task), host);
	for (int i = 0; i < VIGIL_NS_COUNT; i++) {
		ev.before[i] = p->ns[i];
		if (ev.before[i] == ev.after[i])
			continue;
		ev.changed |= 1u << i;
		if (ev.after[i] == host[i])
			ev.into_host |= 1u << i;
	}
	bpf_map_delete_elem(&priv_pending, &id);
	emit(&ev, sizeof(ev));
	return 0;
}

SEC("tp/syscalls/sys_enter_setns")
int enter_setns(struct trace_event_raw_sys_enter *ctx)
{
	return ns_enter(PENDING_SETNS, ctx->args[1]);
}

SEC("tp/syscalls/sys_exit_setns")
int exit_setns(struct trace_event_raw_sys_exit *ctx)
{
	return ns_exit(ctx);
}

SEC("tp/syscalls/sys_enter_unshare")
int enter_unshare(struct trace_event_raw_sys_enter *ctx)
{
	return ns_enter(PENDING_UNSHARE, ctx->args[0]);
}

SEC("tp/syscalls/sys_exit_unshare")
int exit_unshare(struct trace_event_raw_sys_exit *ctx)
{
	return ns_exit(ctx);
}
