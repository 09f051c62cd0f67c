/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Enforcement maps: what the kernel refuses by itself. Network: connect() to addresses (and
 * ports) that an enforced deny rule names, refused by cgroup connect4/connect6 hooks with EPERM.
 * Addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d, so one entry covers both kinds of socket.
 */
#ifndef VIGIL_ENFORCE_H
#define VIGIL_ENFORCE_H

#include "vigil/types.h"

/*
 * LPM trie keys. net_deny: a port (network order), then the address; prefixlen counts both,
 * so it is 16 plus the address's prefix. net_deny_any (rules on any port): the address alone.
 */
struct vigil_net_deny_key {
	__u32 prefixlen;
	__u16 port; /* network byte order */
	__u8 addr[16];
} __attribute__((packed));
VIGIL_ASSERT_SIZE(struct vigil_net_deny_key, 22);

struct vigil_net_deny_any_key {
	__u32 prefixlen;
	__u8 addr[16];
};
VIGIL_ASSERT_SIZE(struct vigil_net_deny_any_key, 20);

/*
 * BPF LSM denials (bpf/lsm.bpf.c): operations refused with EPERM before they happen, on objects
 * named by the kernel's (dev, inode). An entry applies to the object itself (`self`) and to
 * everything beneath a directory (`below`); creating ops (mkdir, a new file, symlink, link) are
 * judged by the `below` bits of the directories above the new name.
 */
#define VIGIL_DENY_EXEC	    (1 << 0)
#define VIGIL_DENY_READ	    (1 << 1) /* open for reading */
#define VIGIL_DENY_WRITE    (1 << 2) /* open for writing; creating a file (below) */
#define VIGIL_DENY_UNLINK   (1 << 3)
#define VIGIL_DENY_RMDIR    (1 << 4)
#define VIGIL_DENY_RENAME   (1 << 5) /* renaming it (or anything beneath) away */
#define VIGIL_DENY_LINK	    (1 << 6) /* a hard link created beneath */
#define VIGIL_DENY_SYMLINK  (1 << 7) /* a symlink created beneath */
#define VIGIL_DENY_MKDIR    (1 << 8) /* a directory created beneath */
#define VIGIL_DENY_CHMOD    (1 << 9)
#define VIGIL_DENY_CHOWN    (1 << 10)
#define VIGIL_DENY_TRUNCATE (1 << 11)
/* Refused whatever the object: deny_global holds these per scope slot. */
#define VIGIL_DENY_MODULE   (1 << 12) /* loading a kernel module */
#define VIGIL_DENY_BPF_PROG (1 << 13) /* bpf(BPF_PROG_LOAD) */
#define VIGIL_DENY_BPF_MAP  (1 << 14) /* bpf(BPF_MAP_CREATE) */
#define VIGIL_DENY_PTRACE   (1 << 15) /* attaching to a process: ptrace, its memory */
#define VIGIL_DENY_RAW_SOCK (1 << 16) /* creating a raw (SOCK_RAW) or packet (AF_PACKET) socket */
#define VIGIL_DENY_GLOBAL                                                                          \
	(VIGIL_DENY_MODULE | VIGIL_DENY_BPF_PROG | VIGIL_DENY_BPF_MAP | VIGIL_DENY_PTRACE |        \
	 VIGIL_DENY_RAW_SOCK)

/* Scope slots: 0 is every process; 1.. are cgroup subtrees (rules on process.cgroup). */
#define VIGIL_DENY_SCOPES 8

struct vigil_deny_key {
	__u64 inode;
	__u32 dev; /* the kernel's dev_t: major << 20 | minor */
	__u32 scope;
};
VIGIL_ASSERT_SIZE(struct vigil_deny_key, 16);

struct vigil_deny_value {
	__u32 self;  /* VIGIL_DENY_* refused on this object */
	__u32 below; /* VIGIL_DENY_* refused on everything beneath it */
	__u32 rule;  /* which rule (an index user space keeps), for the report */
	__u32 pad;
};
VIGIL_ASSERT_SIZE(struct vigil_deny_value, 16);

struct vigil_deny_scope {
	__u64 cgroup_id; /* 0: the slot is free */
	__u32 level;	 /* the cgroup's depth below the root (the root is 0) */
	__u32 pad;
};
VIGIL_ASSERT_SIZE(struct vigil_deny_scope, 16);

#endif
