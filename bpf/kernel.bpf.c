// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel integrity and injection sensor: module loads, BPF program and map loads, ptrace,
 * process_vm_writev, memfd_create, and opens of /proc/<pid>/mem for writing.
 *
 * Hooks: syscall enter/exit tracepoints (tp/syscalls/...), because each of these must report
 * the result, and the kernel offers no typed tracepoint for them (fentry/fexit and kprobes are
 * not available here, GUIDE §1). Each fires only for its own syscall. What enter saw waits
 * for exit in an LRU hash keyed by pid_tgid. Where the kernel made an object (a BPF prog or
 * map, a memfd, an opened /proc file) exit reads it from the caller's fd table instead of
 * trusting the arguments. tp_btf/module_load adds the module's name when the kernel has
 * modules. A kernel built without modules has no init_module tracepoints: then raw_tp
 * sys_enter/sys_exit, filtered on the syscall number first thing, report the attempts.
 */
#include "vigil.bpf.h"
#include "path.bpf.h"
#include "vigil/ev_kernel.h"

char LICENSE[] SEC("license") = "GPL";

#define PROC_SUPER_MAGIC   0x9fa0
#define FMODE_WRITE	   0x2
#define NR_INIT_MODULE	   175 /* x86_64 */
#define NR_FINIT_MODULE	   313
#define BPF_CMD_MAP_CREATE 0
#define BPF_CMD_PROG_LOAD  5

struct pending {
	__u32 type; /* VIGIL_EV_* this entry is for */
	__u32 a32;  /* bpf: cmd; module: syscall; pvm: liovcnt; memfd: flags */
	__u64 a64[3];
	char name[VIGIL_MEMFD_NAME_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pending);
} kernel_pending SEC(".maps");

/* Per-CPU room for a record with a path or a name right after its fixed part. */
struct scratch {
	char buf[sizeof(struct vigil_module_event) + 3 * VIGIL_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Also a scratch slot: struct pending is too large for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending);
} pending_scratch SEC(".maps");

static __always_inline struct pending *pending_new(__u32 type)
{
	__u32 zero = 0;
	struct pending *p = bpf_map_lookup_elem(&pending_scratch, &zero);

	if (p) {
		__builtin_memset(p, 0, sizeof(*p));
		p->type = type;
	}
	return p;
}

static __always_inline void pending_save(struct pending *p)
{
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_update_elem(&kernel_pending, &id, p, BPF_ANY);
}

/* The entry that enter left for this type, if any. The caller deletes it. */
static __always_inline struct pending *pending_take(__u32 type, __u64 *id)
{
	struct pending *p;

	*id = bpf_get_current_pid_tgid();
	p = bpf_map_lookup_elem(&kernel_pending, id);
	return p && p->type == type ? p : NULL;
}

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline void fill_hdr(struct vigil_event_hdr *hdr, __u16 type, __u32 size)
{
	hdr->type = type;
	hdr->flags = 0;
	hdr->size = size;
	hdr->time_ns = bpf_ktime_get_boot_ns();
}

/* Whether @file's dentry is named exactly @want (@len bytes, without NUL). */
static __always_inline bool dentry_named(struct file *file, const char *want, __u32 len)
{
	struct qstr name = BPF_CORE_READ(file, f_path.dentry, d_name);
	char buf[16] = {};

	if (name.len != len || len > sizeof(buf))
		return false;
	bpf_probe_read_kernel(buf, len & 15, name.name);
	for (__u32 i = 0; i < len && i < sizeof(buf); i++)
		if (buf[i] != want[i])
			return false;
	return true;
}

/* --- module_load ---------------------------------------------------------------------- */

static __always_inline void module_enter(__u32 syscall, __u64 arg0, __u64 arg1, __u64 arg2)
{
	struct pending *p = pending_new(VIGIL_EV_MODULE_LOAD);

	if (!p)
		return;
	p->a32 = syscall;
	p->a64[0] = arg0; /* init_module: image; finit_module: fd */
	p->a64[1] = arg1; /* init_module: len; finit_module: uargs */
	p->a64[2] = arg2; /* finit_module: flags */
	pending_save(p);
}

static __always_inline void module_exit(long ret)
{
	struct vigil_module_event *ev;
	struct pending *p;
	struct scratch *s;
	struct file *file;
	__u32 zero = 0;
	bool truncated;
	__u64 id;

	p = pending_take(VIGIL_EV_MODULE_LOAD, &id);
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!p || !s)
		goto out;
	ev = (void *)s->buf;
	fill_task(&ev->task, current_task());
	ev->result = ret;
	ev->syscall = p->a32;
	ev->fd = -1;
	ev->len = 0;
	ev->flags = 0;
	ev->path_len = 0;
	ev->pad = 0;
	bpf_probe_read_kernel(ev->name, sizeof(ev->name), p->name);
	fill_hdr(&ev->hdr, VIGIL_EV_MODULE_LOAD, sizeof(*ev));
	if (p->a32 == VIGIL_SYS_INIT_MODULE) {
		ev->len = p->a64[1];
	} else {
		ev->fd = (__s32)p->a64[0];
		ev->flags = (__u32)p->a64[2];
		/* The file the fd names now; the caller still holds it at exit. */
		file = fd_file(ev->fd);
		if (file) {
			ev->path_len = append_path((char *)(ev + 1), 0, &file->f_path, &truncated);
			if (truncated)
				ev->hdr.flags |= VIGIL_MODULE_PATH_TRUNCATED;
		}
	}
	ev->hdr.size = sizeof(*ev) + ev->path_len;
	emit_fitting(s, ev->hdr.size, sizeof(*s));
out:
	if (p)
		bpf_map_delete_elem(&kernel_pending, &id);
}

SEC("tp/syscalls/sys_enter_init_module")
int enter_init_module(struct trace_event_raw_sys_enter *ctx)
{
	module_enter(VIGIL_SYS_INIT_MODULE, ctx->args[0], ctx->args[1], 0);
	return 0;
}

SEC("tp/syscalls/sys_exit_init_module")
int exit_init_module(struct trace_event_raw_sys_exit *ctx)
{
	module_exit(ctx->ret);
	return 0;
}

SEC("tp/syscalls/sys_enter_finit_module")
int enter_finit_module(struct trace_event_raw_sys_enter *ctx)
{
	module_enter(VIGIL_SYS_FINIT_MODULE, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_exit_finit_module")
int exit_finit_module(struct trace_event_raw_sys_exit *ctx)
{
	module_exit(ctx->ret);
	return 0;
}

/* Kernels without CONFIG_MODULES: the generic syscall tracepoints, filtered by number. */
SEC("raw_tp/sys_enter")
int BPF_PROG(raw_enter_module, struct pt_regs *regs, long nr)
{
	if (nr == NR_INIT_MODULE)
		module_enter(VIGIL_SYS_INIT_MODULE, BPF_CORE_READ(regs, di),
			     BPF_CORE_READ(regs, si), 0);
	else if (nr == NR_FINIT_MODULE)
		module_enter(VIGIL_SYS_FINIT_MODULE, BPF_CORE_READ(regs, di),
			     BPF_CORE_READ(regs, si), BPF_CORE_READ(regs, dx));
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_exit_module, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);

	if (nr == NR_INIT_MODULE || nr == NR_FINIT_MODULE)
		module_exit(ret);
	return 0;
}

/* The name, once the kernel has parsed the image (only loads that get that far). */
SEC("tp_btf/module_load")
int BPF_PROG(module_load_name, struct module *mod)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&kernel_pending, &id);

	if (p && p->type == VIGIL_EV_MODULE_LOAD)
		BPF_CORE_READ_STR_INTO(&p->name, mod, name);
	return 0;
}

/* --- bpf -------------------------------------------------------------------------------- */

SEC("tp/syscalls/sys_enter_bpf")
int enter_bpf(struct trace_event_raw_sys_enter *ctx)
{
	__u32 cmd = ctx->args[0], size = ctx->args[2];
	void *uattr = (void *)ctx->args[1];
	struct pending *p;

	if (cmd != BPF_CMD_PROG_LOAD && cmd != BPF_CMD_MAP_CREATE)
		return 0;
	if (is_self())
		return 0;
	p = pending_new(VIGIL_EV_BPF);
	if (!p)
		return 0;
	p->a32 = cmd;
	/*
	 * What the caller asks for, used only when the load fails: a successful load is
	 * described from the object the kernel made (another thread may rewrite attr meanwhile).
	 */
	if (cmd == BPF_CMD_PROG_LOAD) {
		bpf_probe_read_user(&p->a64[0], sizeof(__u32),
				    uattr + __builtin_offsetof(union bpf_attr, prog_type));
		bpf_probe_read_user(&p->a64[1], sizeof(__u32),
				    uattr + __builtin_offsetof(union bpf_attr, insn_cnt));
		if (size >= __builtin_offsetof(union bpf_attr, prog_name) + VIGIL_BPF_NAME_LEN)
			bpf_probe_read_user(p->name, VIGIL_BPF_NAME_LEN,
					    uattr + __builtin_offsetof(union bpf_attr, prog_name));
	} else {
		bpf_probe_read_user(&p->a64[0], sizeof(__u32),
				    uattr + __builtin_offsetof(union bpf_attr, map_type));
		if (size >= __builtin_offsetof(union bpf_attr, map_name) + VIGIL_BPF_NAME_LEN)
			bpf_probe_read_user(p->name, VIGIL_BPF_NAME_LEN,
					    uattr + __builtin_offsetof(union bpf_attr, map_name));
	}
	pending_save(p);
	return 0;
}

SEC("tp/syscalls/sys_exit_bpf")
int exit_bpf(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_bpf_event ev = {};
	struct pending *p;
	struct file *file;
	__u64 id;

	p = pending_take(VIGIL_EV_BPF, &id);
	if (!p)
		return 0;
	fill_hdr(&ev.hdr, VIGIL_EV_BPF, sizeof(ev));
	fill_task(&ev.task, current_task());
	ev.result = ctx->ret;
	ev.cmd = p->a32;
	ev.obj_type = p->a64[0];
	ev.insn_cnt = p->a64[1];
	bpf_probe_read_kernel(ev.name, sizeof(ev.name), p->name);
	file = ev.result >= 0 ? fd_file(ev.result) : NULL;
	/* The anon inode names its kind: a racing dup2() cannot make us misread another file. */
	if (file && ev.cmd == BPF_CMD_PROG_LOAD && dentry_named(file, "bpf-prog", 8)) {
		struct bpf_prog *prog = BPF_CORE_READ(file, private_data);

		ev.obj_type = BPF_CORE_READ(prog, type);
		ev.id = BPF_CORE_READ(prog, aux, id);
		BPF_CORE_READ_STR_INTO(&ev.name, prog, aux, name);
		ev.hdr.flags |= VIGIL_BPF_FROM_KERNEL;
	} else if (file && ev.cmd == BPF_CMD_MAP_CREATE && dentry_named(file, "bpf-map", 7)) {
		struct bpf_map *map = BPF_CORE_READ(file, private_data);

		ev.obj_type = BPF_CORE_READ(map, map_type);
		ev.id = BPF_CORE_READ(map, id);
		BPF_CORE_READ_STR_INTO(&ev.name, map, name);
		ev.hdr.flags |= VIGIL_BPF_FROM_KERNEL;
	}
	bpf_map_delete_elem(&kernel_pending, &id);
	emit(&ev, sizeof(ev));
	return 0;
}

/* --- ptrace ----------------------------------------------------------------------------- */

SEC("tp/syscalls/sys_enter_ptrace")
int enter_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	struct pending *p = pending_new(VIGIL_EV_PTRACE);

	if (!p)
		return 0;
	p->a64[0] = ctx->args[0]; /* request */
	p->a64[1] = ctx->args[1]; /* pid */
	p->a64[2] = ctx->args[2]; /* addr */
	pending_save(p);
	return 0;
}

SEC("tp/syscalls/sys_exit_ptrace")
int exit_ptrace(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_ptrace_event ev = {};
	struct pending *p;
	__u64 id;

	p = pending_take(VIGIL_EV_PTRACE, &id);
	if (!p)
		return 0;
	fill_hdr(&ev.hdr, VIGIL_EV_PTRACE, sizeof(ev));
	fill_task(&ev.task, current_task());
	ev.result = ctx->ret;
	ev.request = (__s64)p->a64[0];
	ev.target_pid = (__u32)p->a64[1];
	ev.addr = p->a64[2];
	bpf_map_delete_elem(&kernel_pending, &id);
	emit(&ev, sizeof(ev));
	return 0;
}

/* --- process_vm_writev -------------------------------------------------------------------- */

SEC("tp/syscalls/sys_enter_process_vm_writev")
int enter_process_vm_writev(struct trace_event_raw_sys_enter *ctx)
{
	struct pending *p = pending_new(VIGIL_EV_PROCESS_VM_WRITE);

	if (!p)
		return 0;
	p->a64[0] = ctx->args[0]; /* pid */
	p->a64[1] = ctx->args[2]; /* liovcnt */
	p->a64[2] = ctx->args[4]; /* riovcnt */
	p->a32 = ctx->args[5];	  /* flags */
	pending_save(p);
	return 0;
}

SEC("tp/syscalls/sys_exit_process_vm_writev")
int exit_process_vm_writev(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_pvm_event ev = {};
	struct pending *p;
	__u64 id;

	p = pending_take(VIGIL_EV_PROCESS_VM_WRITE, &id);
	if (!p)
		return 0;
	fill_hdr(&ev.hdr, VIGIL_EV_PROCESS_VM_WRITE, sizeof(ev));
	fill_task(&ev.task, current_task());
	ev.result = ctx->ret;
	ev.target_pid = p->a64[0];
	ev.liovcnt = p->a64[1];
	ev.riovcnt = p->a64[2];
	ev.flags = p->a32;
	bpf_map_delete_elem(&kernel_pending, &id);
	emit(&ev, sizeof(ev));
	return 0;
}

/* --- memfd ------------------------------------------------------------------------------ */

SEC("tp/syscalls/sys_enter_memfd_create")
int enter_memfd_create(struct trace_event_raw_sys_enter *ctx)
{
	struct pending *p = pending_new(VIGIL_EV_MEMFD);

	if (!p)
		return 0;
	/* The name asked for; replaced by the kernel's at exit when the call succeeded. */
	bpf_probe_read_user_str(p->name, sizeof(p->name), (void *)ctx->args[0]);
	p->a32 = ctx->args[1];
	pending_save(p);
	return 0;
}

SEC("tp/syscalls/sys_exit_memfd_create")
int exit_memfd_create(struct trace_event_raw_sys_exit *ctx)
{
	struct vigil_memfd_event *ev;
	struct pending *p;
	struct scratch *s;
	struct file *file;
	__u32 zero = 0;
	long len = -1;
	__u64 id;

	p = pending_take(VIGIL_EV_MEMFD, &id);
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!p || !s)
		goto out;
	ev = (void *)s->buf;
	fill_hdr(&ev->hdr, VIGIL_EV_MEMFD, sizeof(*ev));
	fill_task(&ev->task, current_task());
	ev->result = ctx->ret;
	ev->flags = p->a32;
	ev->pad = 0;
	file = ev->result >= 0 ? fd_file(ev->result) : NULL;
	if (file) {
		struct qstr name = BPF_CORE_READ(file, f_path.dentry, d_name);

		/* The kernel names it "memfd:<name>" (hugetlbfs too). */
		if (name.len > 6 && name.len <= 6 + VIGIL_MEMFD_NAME_MAX)
			len = bpf_probe_read_kernel_str(ev + 1, VIGIL_MEMFD_NAME_MAX + 1,
							name.name + 6);
	}
	if (len < 0)
		len = bpf_probe_read_kernel_str(ev + 1, VIGIL_MEMFD_NAME_MAX + 1, p->name);
	len = len > 0 ? len - 1 : 0; /* without the NUL */
	ev->name_len = len & VIGIL_MEMFD_NAME_MAX;
	ev->hdr.size = sizeof(*ev) + ev->name_len;
	emit_fitting(s, ev->hdr.size, sizeof(*s));
out:
	if (p)
		bpf_map_delete_elem(&kernel_pending, &id);
	return 0;
}

/* --- proc_mem_write ----------------------------------------------------------------------- */

/*
 * At exit of every open that returned an fd: cheap checks first (write access, procfs, a
 * name of "mem"), then the target from the proc inode's struct pid: the opened object, not
 * the string (/proc/self/mem, relative paths, symlinks and other pid namespaces all resolve).
 * mem_open() checks ptrace access at open time, so the open is the moment that matters.
 */
static __always_inline int proc_mem_open_exit(long ret)
{
	struct vigil_proc_mem_event ev;
	struct task_struct *target;
	struct hlist_node *first;
	struct file *file;
	struct inode *inode;
	struct pid *pid;
	void *pi;

	if (ret < 0)
		return 0;
	file = fd_file(ret);
	if (!file || !(BPF_CORE_READ(file, f_mode) & FMODE_WRITE))
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if (BPF_CORE_READ(inode, i_sb, s_magic) != PROC_SUPER_MAGIC ||
	    !dentry_named(file, "mem", 3))
		return 0;
	/* a /proc/<pid>/mem open for writing: rare, so the record is cleared only now */
	__builtin_memset(&ev, 0, sizeof(ev));
	pi = (void *)inode - bpf_core_field_offset(struct proc_inode, vfs_inode);
	pid = BPF_CORE_READ((struct proc_inode *)pi, pid);
	fill_hdr(&ev.hdr, VIGIL_EV_PROC_MEM_WRITE, sizeof(ev));
	fill_task(&ev.task, current_task());
	ev.result = ret;
	ev.target_tid = BPF_CORE_READ(pid, numbers[0].nr);
	first = BPF_CORE_READ(pid, tasks[PIDTYPE_PID].first);
	if (first) {
		target = (void *)first - bpf_core_field_offset(struct task_struct, pid_links);
		ev.target_pid = BPF_CORE_READ(target, tgid);
	}
	ev.open_flags = BPF_CORE_READ(file, f_flags);
	emit(&ev, sizeof(ev));
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return proc_mem_open_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_open")
int exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return proc_mem_open_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return proc_mem_open_exit(ctx->ret);
}
