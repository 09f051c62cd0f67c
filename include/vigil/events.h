/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records the kernel sensors send to user space through the ring buffer.
 *
 * Every record starts with struct vigil_event_hdr; hdr.size is the whole record, including
 * the variable-length strings some types carry after their fixed part. Strings are raw bytes
 * (no NUL), their lengths are in the fixed part, and user space checks every length against
 * hdr.size before reading.
 */
#ifndef VIGIL_EVENTS_H
#define VIGIL_EVENTS_H

#include "vigil/types.h"

#define VIGIL_COMM_LEN 16
/*
 * Longest path a sensor resolves, in bytes and in components; a longer or deeper one keeps only
 * its tail (cut at a '/') and its record flags it (VIGIL_EXEC_EXE_TRUNCATED,
 * VIGIL_FILE_PATH_TRUNCATED, ...). User space never shows such a tail as a whole path: it puts
 * VIGIL_PATH_TRUNCATED_MARK in front, which no absolute path starts with, and rules treat it
 * as unknown (docs/events.md, "Truncated paths").
 */
#define VIGIL_PATH_MAX		  4096
#define VIGIL_PATH_DEPTH_MAX	  128
#define VIGIL_PATH_TRUNCATED_MARK "..."
/* Bytes of argv captured at exec; more is flagged as truncated. */
#define VIGIL_ARGS_MAX 4096
/*
 * exec: the dynamic loader's variables that load code into the new image (LD_PRELOAD,
 * LD_LIBRARY_PATH, LD_AUDIT), each cut at VIGIL_LD_VALUE_MAX bytes with its name.
 */
#define VIGIL_LD_VALUE_MAX 256
#define VIGIL_LD_ENV_MAX   (3 * VIGIL_LD_VALUE_MAX)

enum vigil_event_type {
	VIGIL_EV_EXEC = 1,
	VIGIL_EV_EXIT = 2,
	VIGIL_EV_FORK = 3,
	VIGIL_EV_NET_DROP = 4, /* shield: struct vigil_net_drop_event (vigil/shield.h) */
	/*
	 * Each sensor family owns a range and names its types in its own header. Their records
	 * start with struct vigil_event_hdr and struct vigil_task, like the process records.
	 */
	VIGIL_EV_FILE_FIRST = 8,    /* vigil/ev_file.h */
	VIGIL_EV_NET_FIRST = 24,    /* vigil/ev_net.h */
	VIGIL_EV_PRIV_FIRST = 32,   /* vigil/ev_priv.h */
	VIGIL_EV_KERNEL_FIRST = 40, /* vigil/ev_kernel.h */
	VIGIL_EV_APP_FIRST = 48,    /* vigil/ev_app.h */
	VIGIL_EV_TYPE_MAX = 64,	    /* types fit a 64-bit mask */
};

struct vigil_event_hdr {
	__u16 type;    /* enum vigil_event_type */
	__u16 flags;   /* per type: VIGIL_EXEC_* */
	__u32 size;    /* bytes in the whole record */
	__u64 time_ns; /* CLOCK_BOOTTIME when it happened */
};
VIGIL_ASSERT_SIZE(struct vigil_event_hdr, 16);
VIGIL_ASSERT_OFFSET(struct vigil_event_hdr, time_ns, 8);

/* The task an event is about. pid is the thread-group id, as user space means it. */
struct vigil_task {
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 euid;
	__u32 gid;
	__u64 cgroup_id;       /* cgroup v2 id (inode of its directory) */
	__u64 start_ns;	       /* group leader's start, CLOCK_BOOTTIME */
	__u64 parent_start_ns; /* the parent's, so its identity is known even if never seen */
	char comm[VIGIL_COMM_LEN];
};
VIGIL_ASSERT_SIZE(struct vigil_task, 64);
VIGIL_ASSERT_OFFSET(struct vigil_task, cgroup_id, 24);
VIGIL_ASSERT_OFFSET(struct vigil_task, comm, 48);

/* hdr.flags of an exec record */
#define VIGIL_EXEC_ARGS_TRUNCATED (1 << 0) /* argv was longer than VIGIL_ARGS_MAX */
#define VIGIL_EXEC_EXE_TRUNCATED  (1 << 1) /* exe path deeper or longer than resolvable */
#define VIGIL_EXEC_CWD_TRUNCATED  (1 << 2)
#define VIGIL_EXEC_ARGS_FAULT	  (1 << 3) /* argv could not be read from the new image */
/*
 * Refused by vigil's BPF LSM program (execve failed with EPERM): the task is the caller, still
 * running its old image; exe is the file it tried to run; no argv.
 */
#define VIGIL_EXEC_DENIED (1 << 4)
/*
 * The kernel sent SIGKILL to the new image before it ran an instruction (an enforced exec kill
 * rule, or a deny rule where BPF LSM is missing); deny_rule holds the rule's index.
 */
#define VIGIL_EXEC_KILLED (1 << 5)

/* vigil_exec_event.exe_flags: where the executed file lives, and what the new image holds */
#define VIGIL_EXE_MEMFD	       (1 << 0) /* a memfd (memfd_create), not a file in any directory */
#define VIGIL_EXE_DELETED      (1 << 1) /* unlinked from its directory */
#define VIGIL_EXE_SHM	       (1 << 2) /* under /dev/shm */
#define VIGIL_EXE_STDIO_SOCKET (1 << 3) /* fd 0 or 1 is an AF_INET/AF_INET6 socket */
/* Set by user space: the loader's variables name a world-writable directory (see env_len) */
#define VIGIL_EXE_LD_WRITABLE (1 << 4)
/* Their names by bit, as JSON and text show them. */
/* clang-format off */
#define VIGIL_EXE_FLAG_NAMES { "memfd", "deleted", "shm", "stdio_socket", "ld_writable" }
/* clang-format on */

/* exec: followed by exe_len bytes of exe, cwd_len of cwd, args_len of NUL-separated argv. */
struct vigil_exec_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__u32 argc;
	__u16 exe_len;
	__u16 cwd_len;
	__u16 args_len;
	__u16 exe_flags; /* VIGIL_EXE_* */
	__u32 deny_rule; /* with VIGIL_EXEC_DENIED or _KILLED: the rule's index (user space's list)
			  */
	__u16 env_len;	 /* the loader's variables: "LD_PRELOAD=..." strings, NUL-terminated */
	__u16 pad[3];
	/*
	 * fd 0 and fd 1 of the new image when they are pipes or FIFOs: the inode's device (the
	 * kernel's dev_t) and number, which both ends share; all zero otherwise.
	 */
	__u32 stdin_dev, stdout_dev;
	__u64 stdin_ino, stdout_ino;
	/* the strings follow here: exe, cwd, args, env */
};
VIGIL_ASSERT_SIZE(struct vigil_exec_event, 128);
VIGIL_ASSERT_OFFSET(struct vigil_exec_event, argc, 80);
VIGIL_ASSERT_OFFSET(struct vigil_exec_event, exe_flags, 90);
VIGIL_ASSERT_OFFSET(struct vigil_exec_event, stdin_dev, 104);
VIGIL_ASSERT_OFFSET(struct vigil_exec_event, stdin_ino, 112);
VIGIL_ASSERT_OFFSET(struct vigil_exec_event, stdout_ino, 120);

/* fork: a new process (not a thread); task is the child. */
struct vigil_fork_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
};
VIGIL_ASSERT_SIZE(struct vigil_fork_event, 80);

/* exit: the last thread of a process is gone. */
struct vigil_exit_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__u32 status; /* wait(2) status: code in bits 8..15, signal in bits 0..6 */
	__u32 pad;
	__u64 duration_ns; /* since the process was created */
};
VIGIL_ASSERT_SIZE(struct vigil_exit_event, 96);
VIGIL_ASSERT_OFFSET(struct vigil_exit_event, duration_ns, 88);

/* Largest record any sensor emits (bounds the decoder and the BPF scratch buffers). */
#define VIGIL_EVENT_MAX                                                                            \
	(sizeof(struct vigil_exec_event) + 2 * VIGIL_PATH_MAX + VIGIL_ARGS_MAX + VIGIL_LD_ENV_MAX)

#endif
