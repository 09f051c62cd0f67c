/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Privilege events: a task changed its user ids, group ids, capabilities or namespaces. "before" is
 * the task's credentials at syscall entry, "after" what the kernel committed by syscall exit (not
 * the arguments the caller passed).
 */
#ifndef VIGIL_EV_PRIV_H
#define VIGIL_EV_PRIV_H

#include "vigil/events.h"

/* Types (plain ints: they extend enum vigil_event_type, which C cannot do with an enum). */
#define VIGIL_EV_SETUID	   (VIGIL_EV_PRIV_FIRST + 0) /* struct vigil_setid_event */
#define VIGIL_EV_SETGID	   (VIGIL_EV_PRIV_FIRST + 1) /* struct vigil_setid_event */
#define VIGIL_EV_CAPSET	   (VIGIL_EV_PRIV_FIRST + 2) /* struct vigil_capset_event */
#define VIGIL_EV_SETNS	   (VIGIL_EV_PRIV_FIRST + 3) /* struct vigil_ns_event */
#define VIGIL_EV_UNSHARE   (VIGIL_EV_PRIV_FIRST + 4) /* struct vigil_ns_event */
#define VIGIL_EV_PRIV_LAST VIGIL_EV_UNSHARE

/* The syscall that made the change (vigil_setid_event.syscall). */
enum vigil_setid_syscall {
	VIGIL_SYS_SETUID = 1,
	VIGIL_SYS_SETREUID,
	VIGIL_SYS_SETRESUID,
	VIGIL_SYS_SETFSUID,
	VIGIL_SYS_SETGID,
	VIGIL_SYS_SETREGID,
	VIGIL_SYS_SETRESGID,
	VIGIL_SYS_SETFSGID,
	VIGIL_SYS_SETID_MAX,
};

/* Real, effective, saved and filesystem ids: uids for setuid, gids for setgid. */
struct vigil_ids {
	__u32 real;
	__u32 eff;
	__u32 saved;
	__u32 fs;
};
VIGIL_ASSERT_SIZE(struct vigil_ids, 16);

struct vigil_setid_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;  /* the syscall's return: 0 or -errno (setfs*id: the previous fs id) */
	__u32 syscall; /* enum vigil_setid_syscall */
	__u32 pad;
	struct vigil_ids before;
	struct vigil_ids after;
};
VIGIL_ASSERT_SIZE(struct vigil_setid_event, 128);
VIGIL_ASSERT_OFFSET(struct vigil_setid_event, before, 96);

/* Capability sets as 64-bit masks (bit n is capability n). */
struct vigil_caps {
	__u64 effective;
	__u64 permitted;
	__u64 inheritable;
};
VIGIL_ASSERT_SIZE(struct vigil_caps, 24);

struct vigil_capset_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;
	struct vigil_caps before;
	struct vigil_caps after;
};
VIGIL_ASSERT_SIZE(struct vigil_capset_event, 136);
VIGIL_ASSERT_OFFSET(struct vigil_capset_event, before, 88);

/* A task's namespaces, by kind: the inode numbers /proc/PID/ns/ shows. */
enum vigil_ns_kind {
	VIGIL_NS_MNT,
	VIGIL_NS_UTS,
	VIGIL_NS_IPC,
	VIGIL_NS_NET,
	VIGIL_NS_PID, /* pid_for_children: what setns and unshare change */
	VIGIL_NS_CGROUP,
	VIGIL_NS_USER,
	VIGIL_NS_TIME, /* time_for_children; 0 on a kernel without time namespaces */
	VIGIL_NS_COUNT,
};

/*
 * setns or unshare. Bit n of @changed: namespace kind n differs after the call; of @into_host:
 * it changed, and to the host's (the initial task's), which a process in a
 * container does only to escape it.
 */
struct vigil_ns_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;
	__u32 flags; /* setns: the nstype argument; unshare: its CLONE_* flags */
	__u32 changed;
	__u32 into_host;
	__u32 pad;
	__u32 before[VIGIL_NS_COUNT];
	__u32 after[VIGIL_NS_COUNT];
};
VIGIL_ASSERT_SIZE(struct vigil_ns_event, 168);
VIGIL_ASSERT_OFFSET(struct vigil_ns_event, before, 104);

#endif
