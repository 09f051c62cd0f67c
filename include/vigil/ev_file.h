/* SPDX-License-Identifier: GPL-2.0 */
/* File events: what the file sensor (bpf/file.bpf.c) sends. */
#ifndef VIGIL_EV_FILE_H
#define VIGIL_EV_FILE_H

#include "vigil/events.h"

enum {
	VIGIL_EV_OPEN = VIGIL_EV_FILE_FIRST,
	VIGIL_EV_UNLINK,
	VIGIL_EV_RENAME,
	VIGIL_EV_CHMOD,
	VIGIL_EV_CHOWN,
	VIGIL_EV_LINK,
	VIGIL_EV_SYMLINK,
	VIGIL_EV_MKDIR,
	VIGIL_EV_RMDIR,
	VIGIL_EV_TRUNCATE,
	VIGIL_EV_MOUNT,
	VIGIL_EV_UMOUNT,
	VIGIL_EV_SETXATTR,
	VIGIL_EV_UTIMES,
	VIGIL_EV_FILE_LAST = VIGIL_EV_UTIMES,
};

/* hdr.flags of a file record */
#define VIGIL_FILE_PATH_TRUNCATED   (1 << 0)
#define VIGIL_FILE_TARGET_TRUNCATED (1 << 1)
/*
 * The path was built from a directory the kernel resolved (the dirfd's file, or the cwd) and
 * the name the caller passed, because no hook here shows the object the kernel looked up (no
 * LSM or fentry on this host). User space normalises it; intermediate symlinks are resolved
 * when the event is read.
 */
#define VIGIL_FILE_PATH_FROM_NAME   (1 << 2)
#define VIGIL_FILE_TARGET_FROM_NAME (1 << 3)
#define VIGIL_FILE_HAS_INODE	    (1 << 4) /* inode and dev are the object's own */
#define VIGIL_FILE_TARGET_IS_XATTR  (1 << 5) /* target holds an xattr name */
#define VIGIL_FILE_TARGET_IS_SOURCE (1 << 6) /* target holds a mount source */
/* Set by user space on the copy it reports for opens folded after the last reported one. */
#define VIGIL_FILE_SUMMARY (1 << 7)
/* The kernel sent SIGKILL to the process at the open's return (a kill rule, VIGIL_WATCH_KILL_*) */
#define VIGIL_FILE_KILLED (1 << 8)
/*
 * Refused by vigil's BPF LSM program before it happened (the syscall failed with EPERM); sent
 * by that program, with the object the kernel resolved.
 */
#define VIGIL_FILE_DENIED (1 << 9)
/*
 * The kernel found a watch of the --path filter (VIGIL_WATCH_PATH) on the opened object or,
 * as VIGIL_WATCH_BELOW_PATH, on a directory above it: the open is under a --path even when its
 * name is not (a hard link, a bind mount). The kernel's watch list also holds the rules' own
 * watches, so an open without this flag is matched to --path by its name.
 */
#define VIGIL_FILE_ON_PATH (1 << 10)
/* utimes: the caller gave the modification time (in size), not "now" (a NULL times argument) */
#define VIGIL_FILE_MTIME_GIVEN (1 << 11)

/* access, from the opened file's f_mode */
#define VIGIL_FILE_ACCESS_READ	(1 << 0)
#define VIGIL_FILE_ACCESS_WRITE (1 << 1)

/* Followed by path_len bytes of path, then target_len bytes of target (no NULs). */
struct vigil_file_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result; /* the syscall's return: an fd, 0, or -errno */
	__u64 inode;  /* with VIGIL_FILE_HAS_INODE */
	__u64 size;   /* truncate: the new length; utimes: the mtime set, s since the epoch */
	__u32 dev;    /* the kernel's dev_t: major << 20 | minor */
	__u32 flags;  /* open: O_* flags as asked; mount: MS_*; unlinkat, *xattr: flags */
	__u32 mode;   /* open/mkdir: create mode; chmod: new mode; open: i_mode of the file */
	__u32 uid;    /* chown: new owner, (u32)-1 for unchanged */
	__u32 gid;
	__u16 access;  /* VIGIL_FILE_ACCESS_* */
	__u16 syscall; /* enum vigil_file_syscall: which syscall it was */
	__u16 path_len;
	__u16 target_len;
	__u32 deny_rule; /* with VIGIL_FILE_DENIED: the rule's index (user space keeps the list) */
	/*
	 * Aggregation of repeated identical opens (same process, file and flags): the kernel
	 * counts them in `total` and reports at most one a window; `reported` is the total at
	 * its previous report. 0 when opens are not aggregated.
	 */
	__u64 agg_key;
	__u64 agg_total;
	__u64 agg_reported;
	/* another key's counts, left in the slot this open took over (see vigil_file_agg) */
	__u64 agg_evicted_key;
	__u64 agg_evicted_total;
	__u64 agg_evicted_reported;
};
VIGIL_ASSERT_SIZE(struct vigil_file_event, 184);
VIGIL_ASSERT_OFFSET(struct vigil_file_event, result, 80);
VIGIL_ASSERT_OFFSET(struct vigil_file_event, dev, 104);
VIGIL_ASSERT_OFFSET(struct vigil_file_event, access, 124);
VIGIL_ASSERT_OFFSET(struct vigil_file_event, path_len, 128);

/* The syscalls the file sensor follows; names in the same order in file_syscall_names. */
enum vigil_file_syscall {
	FSC_OPEN,
	FSC_OPENAT,
	FSC_OPENAT2,
	FSC_CREAT,
	FSC_UNLINK,
	FSC_UNLINKAT,
	FSC_RENAME,
	FSC_RENAMEAT,
	FSC_RENAMEAT2,
	FSC_CHMOD,
	FSC_FCHMOD,
	FSC_FCHMODAT,
	FSC_FCHMODAT2,
	FSC_CHOWN,
	FSC_LCHOWN,
	FSC_FCHOWN,
	FSC_FCHOWNAT,
	FSC_LINK,
	FSC_LINKAT,
	FSC_SYMLINK,
	FSC_SYMLINKAT,
	FSC_MKDIR,
	FSC_MKDIRAT,
	FSC_RMDIR,
	FSC_TRUNCATE,
	FSC_FTRUNCATE,
	FSC_MOUNT,
	FSC_UMOUNT2,
	FSC_SETXATTR,
	FSC_LSETXATTR,
	FSC_FSETXATTR,
	FSC_UTIMENSAT,
	FSC_FUTIMESAT,
	FSC_UTIMES,
	FSC_UTIME,
	FSC_OPEN_BY_HANDLE_AT,
	FSC_IO_URING_OPENAT, /* io_uring requests, not syscalls */
	FSC_IO_URING_OPENAT2,
	FSC_COUNT,
};

/*
 * The kernel's aggregation state: map open_agg, per CPU, one slot for each (process and its
 * image: an exec starts anew, file, flags, CPU), the slot VIGIL_OPEN_AGG_SLOT(agg_key). An open
 * that finds its slot held by another key takes it over, and its record carries what that key
 * leaves (agg_evicted_*). The key is written at both ends, last when a slot is taken over, first
 * cleared: a reader that finds the same key at both ends has read that key's counts (x86 keeps
 * stores in order).
 */
#define VIGIL_OPEN_AGG_SLOTS	 4096
#define VIGIL_OPEN_AGG_SLOT(key) ((__u32)((key) >> 4) & (VIGIL_OPEN_AGG_SLOTS - 1))

struct vigil_file_agg {
	__u64 key;	    /* agg_key of the opens counted here; 0: free */
	__u64 window_start; /* coarse_ns() of the last reported open: the kernel's own clock */
	__u64 total;	    /* opens folded in since the key took the slot */
	__u64 reported;	    /* total at the last report */
	__u64 key_end;	    /* key again */
};
VIGIL_ASSERT_SIZE(struct vigil_file_agg, 40);

/*
 * Interest filter for opens: watched objects, by the kernel's (dev, inode), each with the
 * accesses wanted of it and of what lies beneath it (map value: a __u16 mask of VIGIL_WATCH_*).
 */
#define VIGIL_WATCH_READ	(1 << 0) /* this object opened for reading */
#define VIGIL_WATCH_WRITE	(1 << 1)
#define VIGIL_WATCH_BELOW_READ	(1 << 2) /* anything beneath this directory */
#define VIGIL_WATCH_BELOW_WRITE (1 << 3)
#define VIGIL_WATCH_ALL		0xf
/* SIGKILL the opener, for the same four cases shifted by 4 (an enforced kill rule) */
#define VIGIL_WATCH_KILL_SHIFT 4
/* A --path of the user's, reported on the event (VIGIL_FILE_ON_PATH); "below" is "this" << 2 */
#define VIGIL_WATCH_PATH       (1 << 8)
#define VIGIL_WATCH_BELOW_PATH (1 << 10)
/* Opens that may create (O_CREAT), whatever their access: for rules on file.flags: O_CREAT */
#define VIGIL_WATCH_CREATE	 (1 << 12)
#define VIGIL_WATCH_BELOW_CREATE (1 << 14)
/* A directory on the way to watched paths that do not exist: see vigil_file_missing_key */
#define VIGIL_WATCH_MISSING (1 << 15)
/*
 * Beneath a file system mounted over this directory (in another mount namespace, say): the
 * directories a glob's wildcards were listed in (watched for what the listing could not see).
 */
#define VIGIL_WATCH_STACKED_READ   (1 << 9)
#define VIGIL_WATCH_STACKED_WRITE  (1 << 11)
#define VIGIL_WATCH_STACKED_CREATE (1 << 13)

struct vigil_file_watch_key {
	__u64 inode;
	__u32 dev;
	__u32 pad;
};
VIGIL_ASSERT_SIZE(struct vigil_file_watch_key, 16);

/*
 * A watched path that does not exist (yet), by its nearest existing directory (a
 * VIGIL_WATCH_MISSING entry of the watch map) and the next component's name: its length and
 * first 16 bytes, zero-padded. An open at or beneath that name is wanted for the accesses of
 * the value (VIGIL_WATCH_READ, _WRITE, _CREATE); others in the directory send nothing.
 */
struct vigil_file_missing_key {
	__u64 inode; /* the directory's */
	__u32 dev;
	__u32 len;
	__u8 name[16];
};
VIGIL_ASSERT_SIZE(struct vigil_file_missing_key, 32);

#endif
