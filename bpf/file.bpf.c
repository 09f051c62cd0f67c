// SPDX-License-Identifier: GPL-2.0
/*
 * File sensor: opens and the syscalls that change files (unlink, rename, chmod, chown, link,
 * symlink, mkdir, rmdir, truncate, mount, umount, setxattr).
 *
 * One program per syscall, on its sys_exit tracepoint only: the syscall's arguments are
 * still in the task's saved user registers there, and the result is known, so no state is
 * kept between entry and exit. Opens are resolved from the fd table (the struct file the
 * kernel opened: its path, inode and device, whatever name, dirfd, symlink, hard link or ".."
 * the caller used). Without LSM, fentry or kprobes on this host nothing shows the object a
 * path-based call (unlink, chmod, ...) looked up; those paths are the kernel-resolved
 * directory (dirfd's file or the cwd) joined with the name given, flagged FROM_NAME.
 *
 * Limitation: syscall tracepoints do not fire for 32-bit compat syscalls.
 */
#include "vigil.bpf.h"
#include "path.bpf.h"
#include "vigil/ev_file.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD     -100
#define AT_REMOVEDIR 0x200
#define O_WRONLY     01
#define O_CREAT      0100
#define O_TRUNC      01000
#define FMODE_READ   0x1
#define FMODE_WRITE  0x2
#define EPERM        1
#define EACCES       13
#define ARG_NONE     -1
#define ARG_RAW      -2 /* dirfd2: the second string is data, not a path */

/* Interest filter for opens, set by user space before load. */
const volatile __u16 open_access = 0; /* VIGIL_FILE_ACCESS_* wanted; 0: any */
const volatile bool watch_enabled = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vigil_file_watch_key);
	__type(value, __u8);
} file_watch SEC(".maps");

#define DATA_SIZE (4 * VIGIL_PATH_MAX)
#define DATA_MASK (DATA_SIZE - 1)

struct file_scratch {
	struct vigil_file_event ev;
	char data[DATA_SIZE + 2 * VIGIL_PATH_MAX];
	/* the walk over a file's ancestors for the interest filter */
	__u64 walk_dentry;
	__u64 walk_mnt;
	__u32 walk_hit;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_scratch);
} file_scratch SEC(".maps");

/* Where a syscall keeps what we report: argument indexes, ARG_NONE when it has none. */
struct shape {
	__u8 type;
	__s8 fd;     /* an fd naming the object (the f* calls) */
	__s8 dirfd;  /* directory fd for name; ARG_NONE: the cwd */
	__s8 name;   /* the object's path name */
	__s8 dirfd2; /* for name2; ARG_RAW: name2 is data (symlink content, xattr, source) */
	__s8 name2;
	__s8 mode, uid, gid, size, flags;
};

#define SH(t, fd_, dfd, nm, dfd2, nm2, md, u, g, sz, fl)                                          \
	{ .type = t, .fd = fd_, .dirfd = dfd, .name = nm, .dirfd2 = dfd2, .name2 = nm2,            \
	  .mode = md, .uid = u, .gid = g, .size = sz, .flags = fl }
#define N ARG_NONE

static const struct shape shapes[FSC_COUNT] = {
	[FSC_OPEN] = SH(VIGIL_EV_OPEN, N, N, 0, N, N, 2, N, N, N, 1),
	[FSC_OPENAT] = SH(VIGIL_EV_OPEN, N, 0, 1, N, N, 3, N, N, N, 2),
	[FSC_OPENAT2] = SH(VIGIL_EV_OPEN, N, 0, 1, N, N, N, N, N, N, N),
	[FSC_CREAT] = SH(VIGIL_EV_OPEN, N, N, 0, N, N, 1, N, N, N, N),
	[FSC_UNLINK] = SH(VIGIL_EV_UNLINK, N, N, 0, N, N, N, N, N, N, N),
	[FSC_UNLINKAT] = SH(VIGIL_EV_UNLINK, N, 0, 1, N, N, N, N, N, N, 2),
	[FSC_RENAME] = SH(VIGIL_EV_RENAME, N, N, 0, N, 1, N, N, N, N, N),
	[FSC_RENAMEAT] = SH(VIGIL_EV_RENAME, N, 0, 1, 2, 3, N, N, N, N, N),
	[FSC_RENAMEAT2] = SH(VIGIL_EV_RENAME, N, 0, 1, 2, 3, N, N, N, N, 4),
	[FSC_CHMOD] = SH(VIGIL_EV_CHMOD, N, N, 0, N, N, 1, N, N, N, N),
	[FSC_FCHMOD] = SH(VIGIL_EV_CHMOD, 0, N, N, N, N, 1, N, N, N, N),
	[FSC_FCHMODAT] = SH(VIGIL_EV_CHMOD, N, 0, 1, N, N, 2, N, N, N, N),
	[FSC_FCHMODAT2] = SH(VIGIL_EV_CHMOD, N, 0, 1, N, N, 2, N, N, N, 3),
	[FSC_CHOWN] = SH(VIGIL_EV_CHOWN, N, N, 0, N, N, N, 1, 2, N, N),
	[FSC_LCHOWN] = SH(VIGIL_EV_CHOWN, N, N, 0, N, N, N, 1, 2, N, N),
	[FSC_FCHOWN] = SH(VIGIL_EV_CHOWN, 0, N, N, N, N, N, 1, 2, N, N),
	[FSC_FCHOWNAT] = SH(VIGIL_EV_CHOWN, N, 0, 1, N, N, N, 2, 3, N, 4),
	/* link and symlink: path is the new name, target what it points at */
	[FSC_LINK] = SH(VIGIL_EV_LINK, N, N, 1, N, 0, N, N, N, N, N),
	[FSC_LINKAT] = SH(VIGIL_EV_LINK, N, 2, 3, 0, 1, N, N, N, N, 4),
	[FSC_SYMLINK] = SH(VIGIL_EV_SYMLINK, N, N, 1, ARG_RAW, 0, N, N, N, N, N),
	[FSC_SYMLINKAT] = SH(VIGIL_EV_SYMLINK, N, 1, 2, ARG_RAW, 0, N, N, N, N, N),
	[FSC_MKDIR] = SH(VIGIL_EV_MKDIR, N, N, 0, N, N, 1, N, N, N, N),
	[FSC_MKDIRAT] = SH(VIGIL_EV_MKDIR, N, 0, 1, N, N, 2, N, N, N, N),
	[FSC_RMDIR] = SH(VIGIL_EV_RMDIR, N, N, 0, N, N, N, N, N, N, N),
	[FSC_TRUNCATE] = SH(VIGIL_EV_TRUNCATE, N, N, 0, N, N, N, N, N, 1, N),
	[FSC_FTRUNCATE] = SH(VIGIL_EV_TRUNCATE, 0, N, N, N, N, N, N, N, 1, N),
	[FSC_MOUNT] = SH(VIGIL_EV_MOUNT, N, N, 1, ARG_RAW, 0, N, N, N, N, 3),
	[FSC_UMOUNT2] = SH(VIGIL_EV_UMOUNT, N, N, 0, N, N, N, N, N, N, 1),
	[FSC_SETXATTR] = SH(VIGIL_EV_SETXATTR, N, N, 0, ARG_RAW, 1, N, N, N, N, 4),
	[FSC_LSETXATTR] = SH(VIGIL_EV_SETXATTR, N, N, 0, ARG_RAW, 1, N, N, N, N, 4),
	[FSC_FSETXATTR] = SH(VIGIL_EV_SETXATTR, 0, N, N, ARG_RAW, 1, N, N, N, N, 4),
};

#undef N

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* The syscall's arguments, from the user registers saved at entry (x86-64 convention). */
static __always_inline __u64 arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0:
		return BPF_CORE_READ(regs, di);
	case 1:
		return BPF_CORE_READ(regs, si);
	case 2:
		return BPF_CORE_READ(regs, dx);
	case 3:
		return BPF_CORE_READ(regs, r10);
	case 4:
		return BPF_CORE_READ(regs, r8);
	default:
		return BPF_CORE_READ(regs, r9);
	}
}

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline void set_inode(struct vigil_file_event *ev, struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	ev->inode = BPF_CORE_READ(inode, i_ino);
	ev->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ev->hdr.flags |= VIGIL_FILE_HAS_INODE;
}

/* One step up from a file towards the root: is this directory (or the file) watched? */
static long watch_step(__u64 index, void *data)
{
	__u32 zero = 0;
	struct file_scratch *s = bpf_map_lookup_elem(&file_scratch, &zero);
	struct vigil_file_watch_key key = {};
	struct dentry *dentry, *parent;
	struct mount *mnt;

	if (!s)
		return 1;
	dentry = (struct dentry *)s->walk_dentry;
	mnt = (struct mount *)s->walk_mnt;
	key.inode = BPF_CORE_READ(dentry, d_inode, i_ino);
	key.dev = BPF_CORE_READ(dentry, d_sb, s_dev);
	if (bpf_map_lookup_elem(&file_watch, &key)) {
		s->walk_hit = 1;
		return 1;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root) || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (mnt == mnt_parent)
			return 1;
		s->walk_dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		s->walk_mnt = (__u64)mnt_parent;
		return 0;
	}
	s->walk_dentry = (__u64)parent;
	return 0;
}

#define WATCH_MAX_DEPTH 64

/* Is @file, or a directory above it, watched? Too deep to tell counts as watched. */
static __always_inline bool watched(struct file_scratch *s, struct file *file)
{
	long steps;

	s->walk_dentry = (__u64)BPF_CORE_READ(file, f_path.dentry);
	s->walk_mnt = (__u64)container_of(BPF_CORE_READ(file, f_path.mnt), struct mount, mnt);
	s->walk_hit = 0;
	steps = bpf_loop(WATCH_MAX_DEPTH, watch_step, NULL, 0);
	return s->walk_hit || steps >= WATCH_MAX_DEPTH;
}

/*
 * Append the directory @dirfd names (or the cwd) and "/" + the user string @name at @off;
 * an absolute name stands alone. Returns the bytes written.
 */
static __always_inline __u32 append_name(struct file_scratch *s, __u32 off, int dirfd,
					 const char *name, bool *truncated, bool *from_name)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *dir;
	char first = 0;
	__u32 len = 0;
	long n;

	bpf_probe_read_user(&first, 1, name);
	if (first != '/') {
		if (dirfd == AT_FDCWD) {
			len = append_path(s->data, off, &task->fs->pwd, truncated);
		} else {
			dir = fd_file(dirfd);
			if (!dir)
				return 0;
			len = append_path(s->data, off, &dir->f_path, truncated);
		}
		s->data[(off + len) & DATA_MASK] = '/';
		len++;
	}
	n = bpf_probe_read_user_str(s->data + ((off + len) & DATA_MASK), VIGIL_PATH_MAX, name);
	if (n <= 0)
		return len;
	if (n == VIGIL_PATH_MAX)
		*truncated = true;
	*from_name = true;
	return len + n - 1; /* without the NUL */
}

/* The object of the call: from its fd, from the fd an open returned, or from dir + name. */
static __always_inline __u32 object_path(struct file_scratch *s, struct pt_regs *regs,
					 const struct shape *sh, struct file *file)
{
	struct vigil_file_event *ev = &s->ev;
	bool truncated = false, from_name = false;
	__u32 len = 0;

	if (file) {
		len = append_path(s->data, 0, &file->f_path, &truncated);
		set_inode(ev, file);
	} else if (sh->name != ARG_NONE) {
		len = append_name(s, 0, sh->dirfd == ARG_NONE ? AT_FDCWD : (int)arg(regs, sh->dirfd),
				  (const char *)arg(regs, sh->name), &truncated, &from_name);
	}
	if (truncated)
		ev->hdr.flags |= VIGIL_FILE_PATH_TRUNCATED;
	if (from_name)
		ev->hdr.flags |= VIGIL_FILE_PATH_FROM_NAME;
	return len;
}

static __always_inline __u32 target_path(struct file_scratch *s, struct pt_regs *regs,
					 const struct shape *sh, __u32 off)
{
	struct vigil_file_event *ev = &s->ev;
	bool truncated = false, from_name = false;
	long n;

	if (sh->name2 == ARG_NONE)
		return 0;
	if (sh->dirfd2 == ARG_RAW) {
		n = bpf_probe_read_user_str(s->data + (off & DATA_MASK), VIGIL_PATH_MAX,
					    (const char *)arg(regs, sh->name2));
		if (n == VIGIL_PATH_MAX)
			ev->hdr.flags |= VIGIL_FILE_TARGET_TRUNCATED;
		return n > 0 ? n - 1 : 0;
	}
	n = append_name(s, off, sh->dirfd2 == ARG_NONE ? AT_FDCWD : (int)arg(regs, sh->dirfd2),
			(const char *)arg(regs, sh->name2), &truncated, &from_name);
	if (truncated)
		ev->hdr.flags |= VIGIL_FILE_TARGET_TRUNCATED;
	if (from_name)
		ev->hdr.flags |= VIGIL_FILE_TARGET_FROM_NAME;
	return n;
}

static __always_inline int on_exit(struct sys_exit_ctx *ctx, enum vigil_file_syscall sc)
{
	const struct shape *sh = &shapes[sc];
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct file_scratch *s;
	struct file *file = NULL;
	__u32 zero = 0, len, tlen;
	__s64 ret = ctx->ret;
	__u16 access = 0;

	if (is_self())
		return 0;
	if (sh->type == VIGIL_EV_OPEN) {
		/* Opens are frequent: decide cheaply, before any string work. */
		if (ret >= 0) {
			file = fd_file(ret);
			if (!file)
				return 0;
			fmode_t fmode = BPF_CORE_READ(file, f_mode);

			access = (fmode & FMODE_READ ? VIGIL_FILE_ACCESS_READ : 0) |
				 (fmode & FMODE_WRITE ? VIGIL_FILE_ACCESS_WRITE : 0);
			if (open_access && !(access & open_access))
				return 0;
		} else if (ret != -EACCES && ret != -EPERM) {
			return 0; /* ENOENT and friends: lookups that found nothing */
		}
	} else if (sh->fd != ARG_NONE) {
		file = fd_file(arg(regs, sh->fd));
	}
	s = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!s)
		return 0;
	if (sh->type == VIGIL_EV_OPEN && file && watch_enabled && !watched(s, file))
		return 0;

	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	s->ev.hdr.type = sh->type;
	s->ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&s->ev.task, task);
	s->ev.result = ret;
	s->ev.syscall = sc;
	s->ev.access = access;
	if (sh->mode != ARG_NONE)
		s->ev.mode = arg(regs, sh->mode);
	if (sh->uid != ARG_NONE)
		s->ev.uid = arg(regs, sh->uid);
	if (sh->gid != ARG_NONE)
		s->ev.gid = arg(regs, sh->gid);
	if (sh->size != ARG_NONE)
		s->ev.size = arg(regs, sh->size);
	if (sh->flags != ARG_NONE)
		s->ev.flags = arg(regs, sh->flags);
	if (sc == FSC_CREAT)
		s->ev.flags = O_CREAT | O_WRONLY | O_TRUNC;
	if (sc == FSC_OPENAT2) {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)arg(regs, 2));
		s->ev.flags = how.flags;
		s->ev.mode = how.mode;
	}
	if (sh->type == VIGIL_EV_OPEN && !file) {
		/* a refused open: the access it asked for */
		__u32 acc = s->ev.flags & 3;

		s->ev.access = acc == 0 ? VIGIL_FILE_ACCESS_READ
			       : acc == 1 ? VIGIL_FILE_ACCESS_WRITE
					  : VIGIL_FILE_ACCESS_READ | VIGIL_FILE_ACCESS_WRITE;
		if (open_access && !(s->ev.access & open_access))
			return 0;
	}
	if (sc == FSC_UNLINKAT && (s->ev.flags & AT_REMOVEDIR))
		s->ev.hdr.type = VIGIL_EV_RMDIR;
	if (sh->type == VIGIL_EV_SETXATTR)
		s->ev.hdr.flags |= VIGIL_FILE_TARGET_IS_XATTR;
	if (sh->type == VIGIL_EV_MOUNT)
		s->ev.hdr.flags |= VIGIL_FILE_TARGET_IS_SOURCE;

	len = object_path(s, regs, sh, file);
	if (len > 2 * VIGIL_PATH_MAX)
		len = 2 * VIGIL_PATH_MAX;
	tlen = target_path(s, regs, sh, len);
	if (tlen > 2 * VIGIL_PATH_MAX)
		tlen = 2 * VIGIL_PATH_MAX;
	s->ev.path_len = len;
	s->ev.target_len = tlen;
	s->ev.hdr.size = sizeof(s->ev) + len + tlen;
	if (s->ev.hdr.size <= sizeof(s->ev) + DATA_SIZE)
		emit(s, s->ev.hdr.size);
	return 0;
}

#define FILE_EXIT(name, sc)                                                                        \
	SEC("tp/syscalls/sys_exit_" #name)                                                         \
	int exit_##name(struct sys_exit_ctx *ctx)                                                  \
	{                                                                                          \
		return on_exit(ctx, sc);                                                           \
	}

FILE_EXIT(open, FSC_OPEN)
FILE_EXIT(openat, FSC_OPENAT)
FILE_EXIT(openat2, FSC_OPENAT2)
FILE_EXIT(creat, FSC_CREAT)
FILE_EXIT(unlink, FSC_UNLINK)
FILE_EXIT(unlinkat, FSC_UNLINKAT)
FILE_EXIT(rename, FSC_RENAME)
FILE_EXIT(renameat, FSC_RENAMEAT)
FILE_EXIT(renameat2, FSC_RENAMEAT2)
FILE_EXIT(chmod, FSC_CHMOD)
FILE_EXIT(fchmod, FSC_FCHMOD)
FILE_EXIT(fchmodat, FSC_FCHMODAT)
FILE_EXIT(fchmodat2, FSC_FCHMODAT2)
FILE_EXIT(chown, FSC_CHOWN)
FILE_EXIT(lchown, FSC_LCHOWN)
FILE_EXIT(fchown, FSC_FCHOWN)
FILE_EXIT(fchownat, FSC_FCHOWNAT)
FILE_EXIT(link, FSC_LINK)
FILE_EXIT(linkat, FSC_LINKAT)
FILE_EXIT(symlink, FSC_SYMLINK)
FILE_EXIT(symlinkat, FSC_SYMLINKAT)
FILE_EXIT(mkdir, FSC_MKDIR)
FILE_EXIT(mkdirat, FSC_MKDIRAT)
FILE_EXIT(rmdir, FSC_RMDIR)
FILE_EXIT(truncate, FSC_TRUNCATE)
FILE_EXIT(ftruncate, FSC_FTRUNCATE)
FILE_EXIT(mount, FSC_MOUNT)
FILE_EXIT(umount, FSC_UMOUNT2)
FILE_EXIT(setxattr, FSC_SETXATTR)
FILE_EXIT(lsetxattr, FSC_LSETXATTR)
FILE_EXIT(fsetxattr, FSC_FSETXATTR)
