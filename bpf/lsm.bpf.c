// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous denial with BPF LSM: exec, opens and the path operations that change files are
 * refused with EPERM before they happen when the object (or a directory above it) is in
 * deny_objects with the operation's bit. Objects are the kernel's (dev, inode), found by walking
 * the dentry and mount trees from what the kernel resolved: no name, relative path, "..",
 * symlink, hard link or dirfd reaches a denied object without reaching its inode.
 *
 * Each refusal is reported here, with the resolved path, since the syscall's own record
 * (file sensor) would only have the name the caller passed; user space drops that duplicate.
 * vigil's own process is never refused.
 */
#include "vigil.bpf.h"
#include "path.bpf.h"
#include "vigil/enforce.h"
#include "vigil/ev_file.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM	    1
#define FMODE_READ  0x1
#define FMODE_WRITE 0x2
#define O_CREAT	    0100
#define O_WRONLY    01
/* Deeper than this, a denied directory above cannot be ruled out: refuse (fail closed). */
#define DENY_MAX_DEPTH 256

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct vigil_deny_key);
	__type(value, struct vigil_deny_value);
} deny_objects SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_DENY_SCOPES);
	__type(key, __u32);
	__type(value, struct vigil_deny_scope);
} deny_scopes SEC(".maps");

/* Operations refused whatever the object (VIGIL_DENY_GLOBAL bits), per scope slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_DENY_SCOPES);
	__type(key, __u32);
	__type(value, __u32);
} deny_global SEC(".maps");

/* What the maps hold, as VIGIL_DENY_* unions, so that unwatched operations cost one load. */
__u32 ops_self = 0;
__u32 ops_below = 0;
__u32 ops_global = 0;

struct file_record {
	struct vigil_file_event ev;
	char data[3 * VIGIL_PATH_MAX];
};

struct exec_record {
	struct vigil_exec_event ev;
	char data[3 * VIGIL_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_record);
} file_records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_record);
} exec_records SEC(".maps");

/* The walk's state, passed to each bpf_loop step. */
struct walk {
	struct dentry *dentry;
	struct mount *mnt;
	__u32 op;
	__u32 scopes; /* slots the current task is in */
	__u32 rule;
	bool self; /* still at the object itself (not yet at a directory above) */
	bool denied;
};

/* The scope slots of the current task: bit 0 always, bit N when in slot N's cgroup subtree. */
static __always_inline __u32 task_scopes(void)
{
	__u32 mask = 1;

	/* unrolled: each key a constant (a counter spilled for the lookup loses its bounds) */
#pragma unroll
	for (__u32 i = 1; i < VIGIL_DENY_SCOPES; i++) {
		__u32 slot = i;
		struct vigil_deny_scope *s = bpf_map_lookup_elem(&deny_scopes, &slot);

		if (s && s->cgroup_id &&
		    bpf_get_current_ancestor_cgroup_id(s->level) == s->cgroup_id)
			mask |= 1u << i;
	}
	return mask;
}

static long walk_step(__u64 index, void *data)
{
	struct walk *w = data;
	struct dentry *dentry = w->dentry, *parent = BPF_CORE_READ(dentry, d_parent);
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	struct mount *mnt = w->mnt;

	if (inode) {
		struct vigil_deny_key key = {
			.inode = BPF_CORE_READ(inode, i_ino),
			.dev = BPF_CORE_READ(inode, i_sb, s_dev),
		};

#pragma unroll
		for (__u32 i = 0; i < VIGIL_DENY_SCOPES; i++) {
			struct vigil_deny_value *v;

			if (!(w->scopes & (1u << i)))
				continue;
			key.scope = i;
			v = bpf_map_lookup_elem(&deny_objects, &key);
			if (v && ((w->self ? v->self : v->below) & w->op)) {
				w->denied = true;
				w->rule = v->rule;
				return 1;
			}
		}
	}
	if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root) || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (dentry != BPF_CORE_READ(mnt, mnt.mnt_root) || mnt == mnt_parent)
			return 1; /* the root */
		/* a mount on the object itself (a bind mount over a file) leaves it the object */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		return 0;
	}
	w->self = false;
	w->dentry = parent;
	return 0;
}

/*
 * Is @op refused on @dentry (on @vfsmnt)? @self: the dentry is the object itself; false for a
 * name about to be created, judged by the directories above it. *rule: the rule's index.
 */
static __always_inline bool denied(struct dentry *dentry, struct vfsmount *vfsmnt, __u32 op,
				   bool self, __u32 *rule)
{
	struct walk w = {
		.dentry = dentry,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.op = op,
		.self = self,
	};
	long steps;

	if (!((self ? ops_self : 0) & op) && !(ops_below & op))
		return false;
	if (is_self())
		return false;
	w.scopes = task_scopes();
	steps = bpf_loop(DENY_MAX_DEPTH, walk_step, &w, 0);
	if (!w.denied && steps >= DENY_MAX_DEPTH && (ops_below & op)) {
		w.denied = true;
		w.rule = ~0u;
	}
	*rule = w.rule;
	return w.denied;
}

/* The syscall the refused operation came from, for the record (x86-64 numbers). */
static __always_inline __u16 file_syscall(__u16 fallback)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	switch (regs->orig_ax) {
	case 2:
		return FSC_OPEN;
	case 257:
		return FSC_OPENAT;
	case 437:
		return FSC_OPENAT2;
	case 85:
		return FSC_CREAT;
	case 87:
		return FSC_UNLINK;
	case 263:
		return FSC_UNLINKAT;
	case 82:
		return FSC_RENAME;
	case 264:
		return FSC_RENAMEAT;
	case 316:
		return FSC_RENAMEAT2;
	case 90:
		return FSC_CHMOD;
	case 91:
		return FSC_FCHMOD;
	case 268:
		return FSC_FCHMODAT;
	case 452:
		return FSC_FCHMODAT2;
	case 92:
		return FSC_CHOWN;
	case 94:
		return FSC_LCHOWN;
	case 93:
		return FSC_FCHOWN;
	case 260:
		return FSC_FCHOWNAT;
	case 86:
		return FSC_LINK;
	case 265:
		return FSC_LINKAT;
	case 88:
		return FSC_SYMLINK;
	case 266:
		return FSC_SYMLINKAT;
	case 83:
		return FSC_MKDIR;
	case 258:
		return FSC_MKDIRAT;
	case 84:
		return FSC_RMDIR;
	case 76:
		return FSC_TRUNCATE;
	case 77:
		return FSC_FTRUNCATE;
	default:
		return fallback;
	}
}

/* A file record for a refusal of @type on @dentry, ready for the caller's details. */
static __always_inline struct file_record *file_record(__u16 type, __u16 fallback_sc,
						       struct dentry *dentry,
						       struct vfsmount *vfsmnt, __u32 rule)
{
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	struct file_record *r;
	__u32 zero = 0, len;
	bool truncated;

	r = bpf_map_lookup_elem(&file_records, &zero);
	if (!r)
		return NULL;
	__builtin_memset(&r->ev, 0, sizeof(r->ev));
	r->ev.hdr.type = type;
	r->ev.hdr.flags = VIGIL_FILE_DENIED;
	r->ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	r->ev.result = -EPERM;
	r->ev.syscall = file_syscall(fallback_sc);
	r->ev.deny_rule = rule;
	r->ev.uid = -1;
	r->ev.gid = -1;
	if (inode) {
		r->ev.inode = BPF_CORE_READ(inode, i_ino);
		r->ev.dev = BPF_CORE_READ(inode, i_sb, s_dev);
		r->ev.mode = BPF_CORE_READ(inode, i_mode);
		r->ev.hdr.flags |= VIGIL_FILE_HAS_INODE;
	}
	fill_task(&r->ev.task, bpf_get_current_task_btf());
	len = append_dentry_path(r->data, 0, dentry, vfsmnt, &truncated);
	if (truncated)
		r->ev.hdr.flags |= VIGIL_FILE_PATH_TRUNCATED;
	if (len > VIGIL_PATH_MAX)
		len = VIGIL_PATH_MAX;
	r->ev.path_len = len;
	r->ev.hdr.size = sizeof(r->ev) + len;
	return r;
}

static __always_inline void file_record_send(struct file_record *r)
{
	emit_fitting(r, r->ev.hdr.size, sizeof(r->ev) + VIGIL_PATH_MAX, EMIT_RESERVED);
}

/* Judge @op on @dentry and report a refusal as an event of @type; 0 or -EPERM. */
static __always_inline int judge(__u16 type, __u16 sc, __u32 op, struct dentry *dentry,
				 struct vfsmount *vfsmnt, bool self)
{
	struct file_record *r;
	__u32 rule;

	if (!denied(dentry, vfsmnt, op, self, &rule))
		return 0;
	r = file_record(type, sc, dentry, vfsmnt, rule);
	if (r)
		file_record_send(r);
	return -EPERM;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(deny_exec, struct linux_binprm *bprm, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *file = BPF_CORE_READ(bprm, file);
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct exec_record *r;
	__u32 zero = 0, rule, len, cwd_len;
	bool truncated;

	if (ret)
		return ret;
	if (!denied(dentry, vfsmnt, VIGIL_DENY_EXEC, true, &rule))
		return 0;
	r = bpf_map_lookup_elem(&exec_records, &zero);
	if (!r)
		return -EPERM;
	__builtin_memset(&r->ev, 0, sizeof(r->ev));
	r->ev.hdr.type = VIGIL_EV_EXEC;
	r->ev.hdr.flags = VIGIL_EXEC_DENIED;
	r->ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	r->ev.deny_rule = rule;
	fill_task(&r->ev.task, task);
	len = append_dentry_path(r->data, 0, dentry, vfsmnt, &truncated);
	if (truncated)
		r->ev.hdr.flags |= VIGIL_EXEC_EXE_TRUNCATED;
	if (len > VIGIL_PATH_MAX)
		len = VIGIL_PATH_MAX;
	cwd_len = append_path(r->data, len, &task->fs->pwd, &truncated);
	if (truncated)
		r->ev.hdr.flags |= VIGIL_EXEC_CWD_TRUNCATED;
	if (cwd_len > VIGIL_PATH_MAX)
		cwd_len = VIGIL_PATH_MAX;
	r->ev.exe_len = len;
	r->ev.cwd_len = cwd_len;
	r->ev.hdr.size = sizeof(r->ev) + len + cwd_len;
	emit_fitting(r, r->ev.hdr.size, sizeof(r->ev) + 2 * VIGIL_PATH_MAX, EMIT_RESERVED);
	return -EPERM;
}

SEC("lsm/file_open")
int BPF_PROG(deny_open, struct file *file, int ret)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	fmode_t fmode = BPF_CORE_READ(file, f_mode);
	__u32 op = (fmode & FMODE_READ ? VIGIL_DENY_READ : 0) |
		   (fmode & FMODE_WRITE ? VIGIL_DENY_WRITE : 0);
	struct file_record *r;
	__u32 rule;

	if (ret || !op || !denied(dentry, vfsmnt, op, true, &rule))
		return ret;
	r = file_record(VIGIL_EV_OPEN, FSC_OPENAT, dentry, vfsmnt, rule);
	if (r) {
		r->ev.flags = BPF_CORE_READ(file, f_flags);
		r->ev.access = (fmode & FMODE_READ ? VIGIL_FILE_ACCESS_READ : 0) |
			       (fmode & FMODE_WRITE ? VIGIL_FILE_ACCESS_WRITE : 0);
		file_record_send(r);
	}
	return -EPERM;
}

/* open(O_CREAT) of a new file, and mknod: a file created beneath a directory. */
SEC("lsm/path_mknod")
int BPF_PROG(deny_create, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	struct vfsmount *vfsmnt = BPF_CORE_READ(dir, mnt);
	struct file_record *r;
	__u32 rule;

	if (ret || !denied(dentry, vfsmnt, VIGIL_DENY_WRITE, false, &rule))
		return ret;
	r = file_record(VIGIL_EV_OPEN, FSC_OPENAT, dentry, vfsmnt, rule);
	if (r) {
		r->ev.flags = O_CREAT | O_WRONLY;
		r->ev.mode = mode;
		r->ev.access = VIGIL_FILE_ACCESS_WRITE;
		file_record_send(r);
	}
	return -EPERM;
}

SEC("lsm/path_unlink")
int BPF_PROG(deny_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret
		       ?: judge(VIGIL_EV_UNLINK, FSC_UNLINKAT, VIGIL_DENY_UNLINK, dentry,
				BPF_CORE_READ(dir, mnt), true);
}

SEC("lsm/path_rmdir")
int BPF_PROG(deny_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret
		       ?: judge(VIGIL_EV_RMDIR, FSC_RMDIR, VIGIL_DENY_RMDIR, dentry,
				BPF_CORE_READ(dir, mnt), true);
}

SEC("lsm/path_mkdir")
int BPF_PROG(deny_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	return ret
		       ?: judge(VIGIL_EV_MKDIR, FSC_MKDIRAT, VIGIL_DENY_MKDIR, dentry,
				BPF_CORE_READ(dir, mnt), false);
}

SEC("lsm/path_symlink")
int BPF_PROG(deny_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	return ret
		       ?: judge(VIGIL_EV_SYMLINK, FSC_SYMLINKAT, VIGIL_DENY_SYMLINK, dentry,
				BPF_CORE_READ(dir, mnt), false);
}

SEC("lsm/path_link")
int BPF_PROG(deny_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	return ret
		       ?: judge(VIGIL_EV_LINK, FSC_LINKAT, VIGIL_DENY_LINK, new_dentry,
				BPF_CORE_READ(new_dir, mnt), false);
}

SEC("lsm/path_rename")
int BPF_PROG(deny_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	return ret
		       ?: judge(VIGIL_EV_RENAME, FSC_RENAMEAT2, VIGIL_DENY_RENAME, old_dentry,
				BPF_CORE_READ(old_dir, mnt), true);
}

SEC("lsm/path_chmod")
int BPF_PROG(deny_chmod, const struct path *path, __u32 mode, int ret)
{
	struct dentry *dentry = BPF_CORE_READ(path, dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct file_record *r;
	__u32 rule;

	if (ret || !denied(dentry, vfsmnt, VIGIL_DENY_CHMOD, true, &rule))
		return ret;
	r = file_record(VIGIL_EV_CHMOD, FSC_FCHMODAT, dentry, vfsmnt, rule);
	if (r) {
		r->ev.mode = mode;
		file_record_send(r);
	}
	return -EPERM;
}

SEC("lsm/path_chown")
int BPF_PROG(deny_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	struct dentry *dentry = BPF_CORE_READ(path, dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct file_record *r;
	__u32 rule;

	if (ret || !denied(dentry, vfsmnt, VIGIL_DENY_CHOWN, true, &rule))
		return ret;
	r = file_record(VIGIL_EV_CHOWN, FSC_FCHOWNAT, dentry, vfsmnt, rule);
	if (r) {
		r->ev.uid = uid;
		r->ev.gid = gid;
		file_record_send(r);
	}
	return -EPERM;
}

SEC("lsm/path_truncate")
int BPF_PROG(deny_truncate, const struct path *path, int ret)
{
	return ret
		       ?: judge(VIGIL_EV_TRUNCATE, FSC_TRUNCATE, VIGIL_DENY_TRUNCATE,
				BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), true);
}

/* Is @op (VIGIL_DENY_GLOBAL) refused to the current task? */
static __always_inline bool denied_everywhere(__u32 op)
{
	__u32 scopes;

	if (!(ops_global & op) || is_self())
		return false;
	scopes = task_scopes();
#pragma unroll
	for (__u32 i = 0; i < VIGIL_DENY_SCOPES; i++) {
		__u32 slot = i, *ops;

		if (!(scopes & (1u << i)))
			continue;
		ops = bpf_map_lookup_elem(&deny_global, &slot);
		if (ops && (*ops & op))
			return true;
	}
	return false;
}

/*
 * The kernel sensor reports these refusals (result -EPERM), with what it knows of them; the
 * previous program's verdict (ret) is not read: the bpf hook gained an argument in 6.12.
 */
SEC("lsm/kernel_read_file")
int BPF_PROG(deny_module_file, struct file *file, enum kernel_read_file_id id)
{
	return id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE) &&
			       denied_everywhere(VIGIL_DENY_MODULE)
		       ? -EPERM
		       : 0;
}

SEC("lsm/kernel_load_data")
int BPF_PROG(deny_module_data, enum kernel_load_data_id id)
{
	return id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE) &&
			       denied_everywhere(VIGIL_DENY_MODULE)
		       ? -EPERM
		       : 0;
}

SEC("lsm/bpf")
int BPF_PROG(deny_bpf, int cmd)
{
	if (cmd == BPF_PROG_LOAD)
		return denied_everywhere(VIGIL_DENY_BPF_PROG) ? -EPERM : 0;
	if (cmd == BPF_MAP_CREATE)
		return denied_everywhere(VIGIL_DENY_BPF_MAP) ? -EPERM : 0;
	return 0;
}

#define PTRACE_MODE_ATTACH 0x02

/* ptrace attach, and what checks the same right: writing /proc/PID/mem, process_vm_writev */
SEC("lsm/ptrace_access_check")
int BPF_PROG(deny_ptrace, struct task_struct *child, unsigned int mode)
{
	return (mode & PTRACE_MODE_ATTACH) && denied_everywhere(VIGIL_DENY_PTRACE) ? -EPERM : 0;
}

SEC("lsm/ptrace_traceme")
int BPF_PROG(deny_traceme, struct task_struct *parent)
{
	return denied_everywhere(VIGIL_DENY_PTRACE) ? -EPERM : 0;
}

#define AF_PACKET 17
#define SOCK_RAW  3

/* raw and packet sockets, which the `socket` event type is about; the kernel's own pass */
SEC("lsm/socket_create")
int BPF_PROG(deny_raw_socket, int family, int type, int protocol, int kern)
{
	if (kern || ((type & 0xf) != SOCK_RAW && family != AF_PACKET))
		return 0;
	return denied_everywhere(VIGIL_DENY_RAW_SOCK) ? -EPERM : 0;
}
