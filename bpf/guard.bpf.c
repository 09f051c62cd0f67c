// SPDX-License-Identifier: GPL-2.0
/*
 * Tamper resistance of the running agent (BPF LSM). Other processes, root included, cannot
 * ptrace it or open its memory, cannot stop or end it with a signal (pid 1, the init system,
 * still can; SIGHUP, which reloads, and SIGUSR1, which reopens the output file, still work),
 * cannot get a file descriptor to its BPF programs, maps or links (so cannot detach, replace or
 * modify them), and cannot remove pins under <bpffs>/vigil unless they run the agent's own
 * executable (vigil shield detach).
 *
 * Every hook first asks whether the agent is concerned at all: a signal to another process or
 * a bpf() call on another object costs a compare or one hash lookup.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "vigil/guard.h"

#define EPERM		   1
#define PTRACE_MODE_ATTACH 0x02
#define BPF_FS_MAGIC	   0xcafe4a11
/* Levels of directories searched above a pin for <bpffs>/vigil. */
#define PIN_DEPTH 8

#define SIGHUP	 1
#define SIGUSR1	 10
#define SIGCHLD	 17
#define SIGCONT	 18
#define SIGURG	 23
#define SIGWINCH 28

/* Set by user space before load: the agent. */
const volatile __u32 agent_tgid = 0;
/*
 * The inode the agent runs from, seen at its first bpf() call after attaching (user space makes
 * one at once). Compared as an address: the agent's mm holds it, so it is not reused meanwhile.
 */
__u64 agent_exe = 0;

/* The agent's programs, maps and links; user space fills it, the hooks add new ones. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIGIL_GUARD_MAX_IDS);
	__type(key, struct vigil_guard_key);
	__type(value, __u8);
} protected_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_GUARD_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} refused SEC(".maps");

static __always_inline bool current_is_agent(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == agent_tgid;
}

static __always_inline int refuse(__u32 counter)
{
	__u64 *n = bpf_map_lookup_elem(&refused, &counter);

	if (n)
		__sync_fetch_and_add(n, 1);
	return -EPERM;
}

/* ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd: every attach-mode access. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(guard_ptrace, struct task_struct *child, unsigned int mode)
{
	if ((__u32)child->tgid != agent_tgid || !(mode & PTRACE_MODE_ATTACH) || current_is_agent())
		return 0;
	return refuse(VIGIL_GUARD_DENY_PTRACE);
}

/*
 * Signals that leave the agent running: a probe, reload, reopen of the output file (logrotate's
 * postrotate), and default-ignored ones.
 */
static __always_inline bool harmless_signal(int sig)
{
	return sig == 0 || sig == SIGHUP || sig == SIGUSR1 || sig == SIGCHLD || sig == SIGCONT ||
	       sig == SIGURG || sig == SIGWINCH;
}

/* Only signals sent by processes come here: the kernel's own (tty Ctrl-C, OOM) do not. */
SEC("lsm/task_kill")
int BPF_PROG(guard_kill, struct task_struct *p, struct kernel_siginfo *info, int sig)
{
	__u32 sender;

	if ((__u32)p->tgid != agent_tgid || harmless_signal(sig))
		return 0;
	sender = bpf_get_current_pid_tgid() >> 32;
	if (sender == agent_tgid || sender == 1)
		return 0;
	return refuse(VIGIL_GUARD_DENY_SIGNAL);
}

/* A file descriptor for @id of @kind: the agent's own, or the object is none of the agent's. */
static __always_inline int fd_for(__u32 kind, __u32 id)
{
	struct vigil_guard_key key = { .kind = kind, .id = id };
	__u8 one = 1;

	if (current_is_agent()) {
		/* Created or opened by the agent: protected from its first fd on. */
		bpf_map_update_elem(&protected_ids, &key, &one, BPF_ANY);
		return 0;
	}
	if (!bpf_map_lookup_elem(&protected_ids, &key))
		return 0;
	return refuse(VIGIL_GUARD_DENY_BPF_FD);
}

/* Every new fd of a map: BPF_MAP_CREATE, BPF_MAP_GET_FD_BY_ID, BPF_OBJ_GET on a pin. */
SEC("lsm/bpf_map")
int BPF_PROG(guard_map_fd, struct bpf_map *map, fmode_t fmode)
{
	return fd_for(VIGIL_GUARD_MAP, map->id);
}

/* Every new fd of a program: BPF_PROG_LOAD, BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET. */
SEC("lsm/bpf_prog")
int BPF_PROG(guard_prog_fd, struct bpf_prog *prog)
{
	return fd_for(VIGIL_GUARD_PROG, prog->aux->id);
}

/* Links have no fd hook: BPF_LINK_GET_FD_BY_ID is judged on the command's link id. */
SEC("lsm/bpf")
int BPF_PROG(guard_bpf, int cmd, union bpf_attr *attr)
{
	struct vigil_guard_key key = { .kind = VIGIL_GUARD_LINK };

	if (current_is_agent()) {
		if (!agent_exe) {
			struct task_struct *task = bpf_get_current_task_btf();

			agent_exe = (__u64)BPF_CORE_READ(task, mm, exe_file, f_inode);
		}
		return 0;
	}
	if (cmd != BPF_LINK_GET_FD_BY_ID)
		return 0;
	key.id = attr->link_id;
	if (!bpf_map_lookup_elem(&protected_ids, &key))
		return 0;
	return refuse(VIGIL_GUARD_DENY_BPF_FD);
}

/* Is @d <bpffs>/vigil or beneath it? @dir is its directory's inode. */
static __always_inline bool vigil_pin(struct inode *dir, struct dentry *d)
{
	if (!dir || !d || BPF_CORE_READ(dir, i_sb, s_magic) != BPF_FS_MAGIC)
		return false;
	for (int i = 0; i < PIN_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		char name[8] = {};

		if (!parent || parent == d)
			return false; /* the root itself */
		if (BPF_CORE_READ(parent, d_parent) == parent) {
			/* @d is at the top of this bpffs */
			if (BPF_CORE_READ(d, d_name.len) != 5)
				return false;
			bpf_probe_read_kernel_str(name, sizeof(name),
						  BPF_CORE_READ(d, d_name.name));
			return name[0] == 'v' && name[1] == 'i' && name[2] == 'g' &&
			       name[3] == 'i' && name[4] == 'l' && !name[5];
		}
		d = parent;
	}
	return false;
}

/* The agent, or a process running the agent's executable (vigil shield attach / detach). */
static __always_inline bool may_unpin(void)
{
	struct task_struct *task;

	if (current_is_agent())
		return true;
	task = bpf_get_current_task_btf();
	return agent_exe && (__u64)BPF_CORE_READ(task, mm, exe_file, f_inode) == agent_exe;
}

static __always_inline int judge_unpin(struct inode *dir, struct dentry *d)
{
	if (!vigil_pin(dir, d) || may_unpin())
		return 0;
	return refuse(VIGIL_GUARD_DENY_UNPIN);
}

SEC("lsm/inode_unlink")
int BPF_PROG(guard_unlink, struct inode *dir, struct dentry *dentry)
{
	return judge_unpin(dir, dentry);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(guard_rmdir, struct inode *dir, struct dentry *dentry)
{
	return judge_unpin(dir, dentry);
}

/* Moving a pin away, or over one (which unlinks it). */
SEC("lsm/inode_rename")
int BPF_PROG(guard_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
	     struct dentry *new_dentry)
{
	int err = judge_unpin(old_dir, old_dentry);

	return err ?: judge_unpin(new_dir, new_dentry);
}

char LICENSE[] SEC("license") = "GPL";
