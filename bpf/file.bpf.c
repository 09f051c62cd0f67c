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
#include "kill.bpf.h"
#include "vigil/ev_file.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD     -100
#define AT_REMOVEDIR 0x200
#define O_WRONLY     01
#define O_CREAT	     0100
#define O_TRUNC	     01000
#define FMODE_READ   0x1
#define FMODE_WRITE  0x2
#define EPERM	     1
#define EACCES	     13
#define ARG_NONE     -1
#define ARG_RAW	     -2 /* dirfd2: the second string is data, not a path */

/* Interest filter for opens, set by user space before load. */
const volatile __u16 open_access = 0; /* VIGIL_FILE_ACCESS_* wanted; 0: any */
const volatile bool watch_enabled = false;
/* Every open is sent, as `run -e open` asks; the watch still decides the kills. */
const volatile bool all_opens = false;
/* Fold repeated identical opens within this window (0: report each one). */
const volatile __u64 agg_window_ns = 0;
/* Event types to send (EVENT bits); programs may run only to keep the watch cache honest. */
const volatile __u64 wanted_types = ~0ull;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct vigil_file_watch_key);
	__type(value, __u16);
} file_watch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vigil_file_missing_key);
	__type(value, __u16);
} file_watch_missing SEC(".maps");

#define DATA_SIZE (4 * VIGIL_PATH_MAX)
#define DATA_MASK (DATA_SIZE - 1)

struct file_scratch {
	struct vigil_file_event ev;
	char data[DATA_SIZE + 2 * VIGIL_PATH_MAX];
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

#define SH(t, fd_, dfd, nm, dfd2, nm2, md, u, g, sz, fl)                                           \
	{                                                                                          \
		.type = t, .fd = fd_, .dirfd = dfd, .name = nm, .dirfd2 = dfd2, .name2 = nm2,      \
		.mode = md, .uid = u, .gid = g, .size = sz, .flags = fl                            \
	}
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
	/* the times are read by mtime_given() */
	[FSC_UTIMENSAT] = SH(VIGIL_EV_UTIMES, N, 0, 1, N, N, N, N, N, N, 3),
	[FSC_FUTIMESAT] = SH(VIGIL_EV_UTIMES, N, 0, 1, N, N, N, N, N, N, N),
	[FSC_UTIMES] = SH(VIGIL_EV_UTIMES, N, N, 0, N, N, N, N, N, N, N),
	[FSC_UTIME] = SH(VIGIL_EV_UTIMES, N, N, 0, N, N, N, N, N, N, N),
	/* no name: the opened file alone says what it was */
	[FSC_OPEN_BY_HANDLE_AT] = SH(VIGIL_EV_OPEN, N, N, N, N, N, N, N, N, N, 2),
	/* no registers either: flags and mode are read from the request */
	[FSC_IO_URING_OPENAT] = SH(VIGIL_EV_OPEN, N, N, N, N, N, N, N, N, N, N),
	[FSC_IO_URING_OPENAT2] = SH(VIGIL_EV_OPEN, N, N, N, N, N, N, N, N, N, N),
};

#undef N

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/*
 * The user registers saved at syscall entry. bpf_task_pt_regs is a helper call, ~25 ns here
 * (return thunks); the registers sit at a fixed distance from the task's stack page (the
 * kernel's THREAD_SIZE and stack padding), so with plain loads the first run learns that
 * distance from the helper (one word: runs racing to learn it write the same) and later runs
 * add it to the stack's address, two loads and a cast.
 */
__u64 regs_off = 0;

static __always_inline struct pt_regs *task_regs(struct task_struct *task)
{
	__u64 off = regs_off, stack;
	struct pt_regs *regs;

	if (plain_reads && off) {
		stack = kernel_word(task, bpf_core_field_offset(struct task_struct, stack));
		return bpf_rdonly_cast((void *)(stack + off),
				       bpf_core_type_id_kernel(struct pt_regs));
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (plain_reads)
		regs_off = (__u64)regs - (__u64)task->stack; /* pointer - pointer: a number */
	return regs;
}

/* The syscall's arguments, from the user registers saved at entry (x86-64 convention). */
static __always_inline __u64 arg(struct pt_regs *regs, int i)
{
	/* regs comes from bpf_task_pt_regs: a typed pointer, read with plain loads */
	switch (i) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->r10;
	case 4:
		return regs->r8;
	default:
		return regs->r9;
	}
}

static __always_inline void set_inode(struct vigil_file_event *ev, struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	ev->inode = BPF_CORE_READ(inode, i_ino);
	ev->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ev->hdr.flags |= VIGIL_FILE_HAS_INODE;
}

#define WATCH_MAX_DEPTH 32

/*
 * The accesses (read 1, write 2) some watch kills beneath a directory: a file deeper than the
 * walk might be beneath one, and is killed for them (fail closed, as the LSM walk refuses).
 */
__u8 kill_below = 0;

/*
 * The watch verdict of a dentry, cached: walking to the root costs tens of reads, and most
 * opens are of the same few files. A verdict holds only while nothing could have changed it:
 * the generation moves on every rename, unlink, mount and umount (which move trees under or
 * out of a watched directory, or free dentries) and when user space changes the watch list,
 * and the dentry must still belong to the same inode (dentry memory is reused). A slot is one
 * 64-bit word, a tag of all that with the verdict in its low bits, written and read whole: two
 * CPUs can never assemble a verdict from two different files. The array lookup is inlined.
 */
#define WATCH_CACHE_SLOTS 16384

/* A verdict: read 1, write 2 wanted; kill on read 4, on write 8; under a --path 16; O_CREAT 32 */
#define WATCH_VERDICT_MASK 63
#define VERDICT_ON_PATH	   16
#define VERDICT_CREATE	   32

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WATCH_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} watch_cache SEC(".maps");

__u64 watch_gen = 0;

static __always_inline __u64 verdict_tag(__u64 dentry, __u64 inode, __u64 gen)
{
	__u64 h = dentry * 0x9e3779b97f4a7c15ull ^ inode * 0xc2b2ae3d27d4eb4full ^
		  (gen + 1) * 0x165667b19e3779f9ull;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h & ~(__u64)WATCH_VERDICT_MASK;
}

/* The VIGIL_WATCH_* mask of @dentry's inode (its key in @key), 0 when it is not watched. */
static __always_inline __u16 watch_bits(struct dentry *dentry, struct vigil_file_watch_key *key)
{
	__u16 *bits;

	/* whole: a stale pad would make the key miss */
	*key = (struct vigil_file_watch_key){
		.inode = BPF_CORE_READ(dentry, d_inode, i_ino),
		.dev = BPF_CORE_READ(dentry, d_sb, s_dev),
	};
	bits = bpf_map_lookup_elem(&file_watch, key);
	return bits ? *bits : 0;
}

/*
 * The verdict for a file at or beneath @child, a name in the directory @dir that is on the way
 * to watched paths that do not exist: by the name's length and first 16 bytes.
 */
static __always_inline __u8 missing_verdict(const struct vigil_file_watch_key *dir,
					    struct dentry *child)
{
	struct vigil_file_missing_key k = { .inode = dir->inode, .dev = dir->dev };
	__u64 w[2] = {};
	__u16 *bits;

	k.len = BPF_CORE_READ(child, d_name.len);
	bpf_probe_read_kernel(w, sizeof(w), BPF_CORE_READ(child, d_name.name));
	/* zero past the name, as user space pads it (little-endian: the first bytes are low) */
	if (k.len < 8) {
		w[0] &= (1ull << (8 * k.len)) - 1;
		w[1] = 0;
	} else if (k.len < 16) {
		w[1] &= (1ull << (8 * (k.len - 8))) - 1;
	}
	__builtin_memcpy(k.name, w, sizeof(w));
	bits = bpf_map_lookup_elem(&file_watch_missing, &k);
	if (!bits)
		return 0;
	return (*bits & 3) | (*bits & VIGIL_WATCH_CREATE ? VERDICT_CREATE : 0);
}

/*
 * Walk d_parent, crossing mount points, to the root, gathering the accesses (read 1, write 2)
 * wanted of the file: its own entry's, and the "below" ones of the directories above. A mount
 * on the file itself (a bind mount over /etc/shadow) leaves it the file. Too deep: all wanted,
 * user space matches --path by name, and the accesses a directory's kill is on kill (fail
 * closed). Bits 2-3 of the result are the accesses that kill, gathered the same way; bit 4 a
 * --path watch, bit 5 a watch of creating opens. A directory on the way to missing watched
 * paths is asked about the name the walk came up through.
 */
static __always_inline __u8 walk_watched(struct file *file)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry), *child = NULL;
	struct mount *mnt = container_of(BPF_CORE_READ(file, f_path.mnt), struct mount, mnt);
	struct vigil_file_watch_key key;
	bool self = true, stacked = false;
	__u8 want = 0;

	for (int i = 0; i < WATCH_MAX_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		__u16 bits = watch_bits(dentry, &key);

		if ((bits & VIGIL_WATCH_MISSING) && child)
			want |= missing_verdict(&key, child);
		/* reached from the root of a file system mounted over it: that is beneath too */
		if (stacked)
			bits |= (bits & VIGIL_WATCH_STACKED_READ ? VIGIL_WATCH_BELOW_READ : 0) |
				(bits & VIGIL_WATCH_STACKED_WRITE ? VIGIL_WATCH_BELOW_WRITE : 0) |
				(bits & VIGIL_WATCH_STACKED_CREATE ? VIGIL_WATCH_BELOW_CREATE : 0);
		/* above the file, the "below" bits count: each kind's are its own << 2 */
		if (!self)
			bits >>= 2;
		want |= (bits & 3) | (bits >> VIGIL_WATCH_KILL_SHIFT & 3) << 2 |
			(bits & VIGIL_WATCH_PATH ? VERDICT_ON_PATH : 0) |
			(bits & VIGIL_WATCH_CREATE ? VERDICT_CREATE : 0);
		if (want == WATCH_VERDICT_MASK)
			return want;
		if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root) || dentry == parent) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

			if (mnt == mnt_parent)
				return want;
			/* the same directory, seen from the mount below: @child stays */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			stacked = true;
			continue;
		}
		self = false;
		stacked = false;
		child = dentry;
		dentry = parent;
	}
	return 3 | (want & 12) | kill_below << 2;
}

/*
 * The file's dentry and inode pointers, as numbers: two plain loads, or else one probe read
 * when they sit close together in struct file (6.1: 8 bytes apart; 6.18: 56): the offsets are
 * the running kernel's (CO-RE), the branch is decided at load.
 */
static __always_inline void file_dentry_inode(struct file *file, __u64 *dentry, __u64 *inode)
{
	__u32 off_d = bpf_core_field_offset(struct file, f_path.dentry);
	__u32 off_i = bpf_core_field_offset(struct file, f_inode);
	__u32 lo = off_d < off_i ? off_d : off_i;
	__u64 words[8] = {};

	if (plain_reads) {
		*dentry = kernel_word(file, off_d);
		*inode = kernel_word(file, off_i);
		return;
	}
	if ((off_d > off_i ? off_d - off_i : off_i - off_d) <= 56 && !(off_d % 8) && !(off_i % 8)) {
		bpf_probe_read_kernel(words, sizeof(words), (char *)file + lo);
		*dentry = words[((off_d - lo) / 8) & 7];
		*inode = words[((off_i - lo) / 8) & 7];
		return;
	}
	*dentry = (__u64)BPF_CORE_READ(file, f_path.dentry);
	*inode = (__u64)BPF_CORE_READ(file, f_inode);
}

static __always_inline fmode_t file_mode(struct file *file)
{
	return plain_reads ? file->f_mode : BPF_CORE_READ(file, f_mode);
}

/* The verdict for opens of @file (WATCH_VERDICT_MASK): walked, or from the cache. */
static __always_inline __u8 watched(struct file *file)
{
	__u64 dentry, inode, tag, seen, *cached;
	__u32 slot;
	__u8 want;

	file_dentry_inode(file, &dentry, &inode);
	tag = verdict_tag(dentry, inode, watch_gen);
	slot = ((dentry >> 6) ^ (dentry >> 20)) & (WATCH_CACHE_SLOTS - 1);
	cached = bpf_map_lookup_elem(&watch_cache, &slot);

	if (!cached)
		return 3;
	seen = *(volatile __u64 *)cached;
	if ((seen & ~(__u64)WATCH_VERDICT_MASK) == tag)
		return seen & WATCH_VERDICT_MASK;
	want = walk_watched(file);
	*(volatile __u64 *)cached = tag | want;
	return want;
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
		len = append_name(s, 0,
				  sh->dirfd == ARG_NONE ? AT_FDCWD : (int)arg(regs, sh->dirfd),
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

/*
 * Repeated identical opens (same process, file, flags) within agg_window_ns of a reported one
 * are counted, not sent: a program polling a file would otherwise flood the stream. The next
 * open after the window is reported with the counts; user space reports what is left when a
 * window ends quietly (it reads open_agg). Returns true when the open was folded.
 *
 * The counts are per CPU, in a slot picked by the key's hash: a repeat costs an inlined array
 * lookup and an add, no hash-map call and no lock (the program does not run twice at once on
 * a CPU). A process moved to another CPU starts a window there. An open whose slot holds
 * another key takes it over, and its record carries what that key leaves, so that every open
 * is still counted once (vigil_file_agg).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_OPEN_AGG_SLOTS);
	__type(key, __u32);
	__type(value, struct vigil_file_agg);
} open_agg SEC(".maps");

#define barrier() asm volatile("" ::: "memory")

/* What an open's record says of the fold (the agg_* fields of vigil_file_event) */
struct agg_report {
	__u64 key, total, reported;
	__u64 evicted_key, evicted_total, evicted_reported;
};

/* Fold an open of aggregation key @key (any odd number) into its slot's window, if it is one. */
static __always_inline bool fold_key(__u64 key, __u64 now, struct agg_report *rep)
{
	struct vigil_file_agg *agg;
	__u32 slot = VIGIL_OPEN_AGG_SLOT(key);

	agg = bpf_map_lookup_elem(&open_agg, &slot);
	if (!agg)
		return false;
	rep->key = key;
	if (agg->key == key) {
		if (now - agg->window_start < agg_window_ns) {
			agg->total++;
			return true;
		}
		rep->total = agg->total;
		rep->reported = agg->reported;
		agg->reported = agg->total;
		agg->window_start = now;
		return false;
	}
	rep->evicted_key = agg->key;
	rep->evicted_total = agg->total;
	rep->evicted_reported = agg->reported;
	/* in this order, for a reader in user space meanwhile (see vigil_file_agg) */
	*(volatile __u64 *)&agg->key = 0;
	barrier();
	agg->window_start = now;
	agg->total = 0;
	agg->reported = 0;
	barrier();
	*(volatile __u64 *)&agg->key_end = key;
	barrier();
	*(volatile __u64 *)&agg->key = key;
	return false;
}

static __always_inline bool fold_repeat(struct task_struct *task, struct file *file, __u32 flags,
					__u64 now, struct agg_report *rep)
{
	__u64 dentry, inode;

	file_dentry_inode(file, &dentry, &inode);
	/* the image too: a new program's opens are its own, not repeats of the one it replaced */
	return fold_key(verdict_tag(dentry ^ ((__u64)task->tgid << 32 | flags),
				    inode ^ task->self_exec_id * 0xff51afd7ed558ccdull,
				    bpf_get_smp_processor_id()) |
				1,
			now, rep);
}

/*
 * A refused open has no file: it is known by the path built from the name it gave (and the
 * directory that name is relative to), hashed whole with a seed user space draws at load, so
 * that no crafted name folds into another's window.
 */
const volatile __u64 fold_seed = 0;

struct path_hash {
	__u64 hash;
	__u32 len;
};

static long path_hash_step(__u64 i, void *data)
{
	struct path_hash *ph = data;
	struct file_scratch *s;
	__u32 zero = 0, off = i * 8;
	__u64 w;

	s = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!s || off >= ph->len)
		return 1;
	w = *(__u64 *)&s->data[off & (DATA_MASK & ~7)];
	if (ph->len - off < 8)
		w &= (1ull << (8 * (ph->len - off))) - 1; /* bytes past the path are stale */
	ph->hash = (ph->hash ^ w) * 0x9e3779b97f4a7c15ull;
	ph->hash ^= ph->hash >> 31;
	return 0;
}

static __always_inline bool fold_refused(struct task_struct *task, __u32 path_len, __u32 flags,
					 __s64 ret, __u64 now, struct agg_report *rep)
{
	struct path_hash ph = { .hash = fold_seed ^ path_len, .len = path_len };

	bpf_loop(2 * VIGIL_PATH_MAX / 8, path_hash_step, &ph, 0);
	return fold_key(verdict_tag(ph.hash ^ ((__u64)task->tgid << 32 | flags),
				    (__u64)ret ^ task->self_exec_id * 0xff51afd7ed558ccdull,
				    bpf_get_smp_processor_id()) |
				1,
			now, rep);
}

/*
 * The flags (and mode) the caller passed to the syscall @sc, or in the io_uring request @req;
 * 0 when it takes none.
 */
static __always_inline __u32 call_flags(struct pt_regs *regs, enum vigil_file_syscall sc,
					struct io_kiocb *req, __u32 *mode)
{
	const struct shape *sh = &shapes[sc];
	__u32 flags = 0;

	if (req) {
		struct io_open *open = (void *)&req->cmd;

		*mode = BPF_CORE_READ(open, how.mode);
		return BPF_CORE_READ(open, how.flags);
	}

	if (sh->mode != ARG_NONE)
		*mode = arg(regs, sh->mode);
	if (sh->flags != ARG_NONE)
		flags = arg(regs, sh->flags);
	if (sc == FSC_CREAT)
		flags = O_CREAT | O_WRONLY | O_TRUNC;
	if (sc == FSC_OPENAT2) {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)arg(regs, 2));
		flags = how.flags;
		*mode = how.mode;
	}
	return flags;
}

#ifndef UTIME_NOW
#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#endif

/*
 * The modification time a utimes-family call set, in seconds; false when it set "now" (no
 * times given, or UTIME_NOW) or left it alone (UTIME_OMIT). utimensat takes timespec[2],
 * futimesat and utimes timeval[2], utime a utimbuf: 64-bit fields, the mtime after the atime.
 */
static __always_inline bool mtime_given(struct pt_regs *regs, enum vigil_file_syscall sc,
					__s64 *mtime)
{
	bool at = sc == FSC_UTIMENSAT || sc == FSC_FUTIMESAT;
	const void *times = (const void *)arg(regs, at ? 2 : 1);
	__s64 t[4] = {};

	if (!times || bpf_probe_read_user(t, sc == FSC_UTIME ? 16 : 32, times))
		return false;
	if (sc == FSC_UTIME) {
		*mtime = t[1];
		return true;
	}
	if (sc == FSC_UTIMENSAT && (t[3] == UTIME_NOW || t[3] == UTIME_OMIT))
		return false;
	*mtime = t[2];
	return true;
}

/*
 * An open's fate is decided before anything else is read: most opens on a host are of files
 * nobody watches, and this runs for each of them.
 */
static __always_inline bool open_wanted(struct task_struct *task, enum vigil_file_syscall sc,
					struct io_kiocb *req, __s64 ret, struct file **filep,
					__u16 *access, bool *killed, bool *on_path)
{
	struct file *file;
	__u8 want, kill = 0;
	__u32 mode;

	/* not ENOENT and friends; a refused open by handle or io_uring has no name to report */
	if (ret < 0)
		return (ret == -EACCES || ret == -EPERM) && shapes[sc].name != ARG_NONE;
	file = task_fd_file(task, ret);
	if (!file)
		return false;
	want = open_access ?: 3;
	if (watch_enabled) {
		__u8 verdict = watched(file);

		want &= verdict;
		kill = verdict >> 2 & 3;
		*on_path = verdict & VERDICT_ON_PATH;
		/* watched for creating opens only: the flags decide, read for these files alone */
		if (!want && !kill && (verdict & VERDICT_CREATE) &&
		    (call_flags(task_regs(task), sc, req, &mode) & O_CREAT))
			want = open_access ?: 3;
		/* the rare doors pass whatever the watch: few, and how a watched name is avoided */
		if (all_opens || sc == FSC_OPEN_BY_HANDLE_AT || req)
			want = open_access ?: 3;
	}
	if (!want && !kill)
		return false;
	if (want != 3 || kill) {
		fmode_t fmode = file_mode(file);

		*access = (fmode & FMODE_READ ? VIGIL_FILE_ACCESS_READ : 0) |
			  (fmode & FMODE_WRITE ? VIGIL_FILE_ACCESS_WRITE : 0);
		/* An enforced kill rule: the process dies before the open returns to it. */
		if (*access & kill && !task_is_self(task) && kill_current())
			*killed = true;
		else if (!(*access & want))
			return false;
	}
	*filep = file;
	return true;
}

/* A finished call @sc that returned @ret; @req: the io_uring request it was, or NULL. */
static __always_inline int file_call(enum vigil_file_syscall sc, __s64 ret, struct io_kiocb *req)
{
	const struct shape *sh = &shapes[sc];
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	struct file_scratch *s;
	struct file *file = NULL;
	struct agg_report agg = {};
	__u32 zero = 0, len = 0, tlen, flags = 0, mode = 0;
	__u16 access = 0;
	bool killed = false, on_path = false, have_path = false;

	if (sh->type == VIGIL_EV_OPEN) {
		if (!open_wanted(task, sc, req, ret, &file, &access, &killed, &on_path))
			return 0;
	} else if (watch_enabled && ret == 0 &&
		   (sh->type == VIGIL_EV_RENAME || sh->type == VIGIL_EV_MOUNT ||
		    sh->type == VIGIL_EV_UMOUNT || sh->type == VIGIL_EV_UNLINK ||
		    sh->type == VIGIL_EV_RMDIR)) {
		__sync_fetch_and_add(&watch_gen, 1);
	}
	if ((!(wanted_types & (1ull << sh->type)) && sc != FSC_UNLINKAT && !killed) ||
	    task_is_self(task))
		return 0;
	regs = task_regs(task);
	if (sh->type != VIGIL_EV_OPEN && sh->fd != ARG_NONE)
		file = task_fd_file(task, arg(regs, sh->fd));
	/* futimens(fd) is utimensat(fd, NULL, ...): the fd names the object */
	else if (sc == FSC_UTIMENSAT && !arg(regs, sh->name))
		file = task_fd_file(task, arg(regs, sh->dirfd));
	if (sh->type == VIGIL_EV_OPEN && file && !access) {
		/* not yet read when no --access filter asked for it */
		fmode_t fmode = file_mode(file);

		access = (fmode & FMODE_READ ? VIGIL_FILE_ACCESS_READ : 0) |
			 (fmode & FMODE_WRITE ? VIGIL_FILE_ACCESS_WRITE : 0);
	}
	flags = call_flags(regs, sc, req, &mode);
	/* a repeat is folded before the record is built: a polled file costs only this */
	if (sh->type == VIGIL_EV_OPEN && file && !killed && agg_window_ns &&
	    fold_repeat(task, file, flags, coarse_ns(), &agg))
		return 0;
	s = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!s)
		return 0;

	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	s->ev.hdr.type = sh->type;
	s->ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	s->ev.result = ret;
	s->ev.syscall = sc;
	s->ev.access = access;
	s->ev.mode = mode;
	s->ev.flags = flags;
	s->ev.agg_key = agg.key;
	s->ev.agg_total = agg.total;
	s->ev.agg_reported = agg.reported;
	s->ev.agg_evicted_key = agg.evicted_key;
	s->ev.agg_evicted_total = agg.evicted_total;
	s->ev.agg_evicted_reported = agg.evicted_reported;
	if (sh->uid != ARG_NONE)
		s->ev.uid = arg(regs, sh->uid);
	if (sh->gid != ARG_NONE)
		s->ev.gid = arg(regs, sh->gid);
	if (sh->size != ARG_NONE)
		s->ev.size = arg(regs, sh->size);
	if (sh->type == VIGIL_EV_UTIMES && mtime_given(regs, sc, (__s64 *)&s->ev.size))
		s->ev.hdr.flags |= VIGIL_FILE_MTIME_GIVEN;
	if (sh->type == VIGIL_EV_OPEN && !file) {
		/* a refused open: the access it asked for */
		__u32 acc = s->ev.flags & 3;

		s->ev.access = acc == 0	  ? VIGIL_FILE_ACCESS_READ
			       : acc == 1 ? VIGIL_FILE_ACCESS_WRITE
					  : VIGIL_FILE_ACCESS_READ | VIGIL_FILE_ACCESS_WRITE;
		if (open_access && !(s->ev.access & open_access))
			return 0;
	}
	if (sc == FSC_UNLINKAT && (s->ev.flags & AT_REMOVEDIR))
		s->ev.hdr.type = VIGIL_EV_RMDIR;
	if (!(wanted_types & (1ull << s->ev.hdr.type)) && !killed)
		return 0;
	/* refused opens fold like the others, by the path they asked for */
	if (sh->type == VIGIL_EV_OPEN && !file && agg_window_ns) {
		len = object_path(s, regs, sh, NULL);
		have_path = true;
		if (fold_refused(task, len, flags, ret, coarse_ns(), &agg))
			return 0;
		s->ev.agg_key = agg.key;
		s->ev.agg_total = agg.total;
		s->ev.agg_reported = agg.reported;
		s->ev.agg_evicted_key = agg.evicted_key;
		s->ev.agg_evicted_total = agg.evicted_total;
		s->ev.agg_evicted_reported = agg.evicted_reported;
	}
	/* a kill is an outcome, never budgeted; the rest is, before the record is built */
	if (!killed && !budget_admit(task->real_cred->uid.val, s->ev.hdr.type))
		return 0;
	if (sh->type == VIGIL_EV_SETXATTR)
		s->ev.hdr.flags |= VIGIL_FILE_TARGET_IS_XATTR;
	if (sh->type == VIGIL_EV_MOUNT)
		s->ev.hdr.flags |= VIGIL_FILE_TARGET_IS_SOURCE;
	if (killed)
		s->ev.hdr.flags |= VIGIL_FILE_KILLED;
	if (on_path)
		s->ev.hdr.flags |= VIGIL_FILE_ON_PATH;
	fill_task(&s->ev.task, task);
	if (!have_path)
		len = object_path(s, regs, sh, file);
	if (len > 2 * VIGIL_PATH_MAX)
		len = 2 * VIGIL_PATH_MAX;
	tlen = target_path(s, regs, sh, len);
	if (tlen > 2 * VIGIL_PATH_MAX)
		tlen = 2 * VIGIL_PATH_MAX;
	s->ev.path_len = len;
	s->ev.target_len = tlen;
	s->ev.hdr.size = sizeof(s->ev) + len + tlen;
	emit_fitting(s, s->ev.hdr.size, sizeof(s->ev) + DATA_SIZE,
		     killed ? EMIT_RESERVED : EMIT_ADMITTED);
	return 0;
}

#define FILE_EXIT(name, sc)                                                                        \
	SEC("tp/syscalls/sys_exit_" #name)                                                         \
	int exit_##name(struct sys_exit_ctx *ctx)                                                  \
	{                                                                                          \
		return file_call(sc, ctx->ret, NULL);                                              \
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
FILE_EXIT(utimensat, FSC_UTIMENSAT)
FILE_EXIT(futimesat, FSC_FUTIMESAT)
FILE_EXIT(utimes, FSC_UTIMES)
FILE_EXIT(utime, FSC_UTIME)
FILE_EXIT(open_by_handle_at, FSC_OPEN_BY_HANDLE_AT)

#define IORING_OP_OPENAT  18
#define IORING_OP_OPENAT2 28

/*
 * Opens through io_uring, which no syscall tracepoint sees. A request's completion is posted by
 * a thread of the process that owns the ring (the submitter, an io-wq worker or the SQPOLL
 * thread), all of which share its fd table, where the opened file is. The request is the
 * tracepoint's second argument on every kernel since 6.0 (the rest changed in 6.3); its opcode
 * and result are read from it. An open into a fixed-file slot has no fd and is not seen; nor is
 * one whose completion was skipped (IOSQE_CQE_SKIP_SUCCESS): both are documented gaps.
 */
SEC("raw_tp/io_uring_complete")
int exit_io_uring(struct bpf_raw_tracepoint_args *ctx)
{
	struct io_kiocb *req = (void *)ctx->args[1];
	__u8 op = BPF_CORE_READ(req, opcode);
	struct io_open *open;

	if (op != IORING_OP_OPENAT && op != IORING_OP_OPENAT2)
		return 0;
	open = (void *)&req->cmd;
	if (BPF_CORE_READ(open, file_slot))
		return 0;
	return file_call(op == IORING_OP_OPENAT ? FSC_IO_URING_OPENAT : FSC_IO_URING_OPENAT2,
			 BPF_CORE_READ(req, cqe.res), req);
}
