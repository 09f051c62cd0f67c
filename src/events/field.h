/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fields of an event that policy conditions test (docs/policy.md), and their values.
 * Families give their own fields (struct event_family.field); policy/fields.c names them all
 * and gives the process ones.
 */
#ifndef VIGIL_EVENTS_FIELD_H
#define VIGIL_EVENTS_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "vigil/types.h"

enum field_id {
	FIELD_PROCESS_EXE,
	FIELD_PROCESS_COMM,
	FIELD_PROCESS_ARGS,
	FIELD_PROCESS_CWD,
	FIELD_PROCESS_UID,
	FIELD_PROCESS_EUID,
	FIELD_PROCESS_GID,
	FIELD_PROCESS_CGROUP,
	FIELD_PROCESS_EXE_FLAGS,
	FIELD_PARENT_EXE,
	FIELD_PARENT_COMM,
	FIELD_PROCESS_ANCESTORS,
	FIELD_TARGET_EXE,
	FIELD_TARGET_RELATION,
	FIELD_STDIN_EXE,
	FIELD_STDIN_ARGS,
	/* the families' */
	FIELD_RESULT,
	FIELD_FILE_PATH,
	FIELD_FILE_TARGET,
	FIELD_FILE_ACCESS,
	FIELD_FILE_FLAGS,
	FIELD_FILE_MODE,
	FIELD_FILE_XATTR,
	FIELD_FILE_TIMES,
	FIELD_NET_DADDR,
	FIELD_NET_SADDR,
	FIELD_NET_DPORT,
	FIELD_NET_SPORT,
	FIELD_NET_PROTO,
	FIELD_NET_FAMILY,
	FIELD_NET_DIRECTION,
	FIELD_DNS_NAME,
	FIELD_CRED_UID,
	FIELD_CRED_EUID,
	FIELD_CRED_GID,
	FIELD_CRED_EGID,
	FIELD_CRED_BEFORE_UID,
	FIELD_CRED_BEFORE_EUID,
	FIELD_CRED_BEFORE_GID,
	FIELD_CRED_BEFORE_EGID,
	FIELD_MODULE_NAME,
	FIELD_MODULE_PATH,
	FIELD_BPF_CMD,
	FIELD_BPF_PROG_TYPE,
	FIELD_PTRACE_REQUEST,
	FIELD_NS_CHANGED,
	FIELD_NS_INTO_HOST,
	FIELD_SHELL_LINE,
	FIELD_TLS_SNI,
	FIELD_FILE_SYSCALL,
	/* not conditions: what target.exe and hard-link matching look up */
	FIELD_TARGET_PID,
	FIELD_FILE_INODE, /* num: the inode; bits: the kernel's dev_t (major << 20 | minor) */
	FIELD_COUNT,
};

/* net.direction */
#define FIELD_DIR_OUT (1 << 0)
#define FIELD_DIR_IN  (1 << 1)

/*
 * One value: a string (str, len), a number, an address (IPv4 as ::ffff:a.b.c.d) or bits. A path
 * that was truncated is str = VIGIL_PATH_TRUNCATED_MARK and its tail, with truncated set.
 */
struct field_value {
	const char *str;
	size_t len;
	bool truncated;
	long long num;
	__u8 addr[16];
	__u64 bits;
};

/*
 * Room a family may use for a string it has to build (a normalised path, a DNS name): two
 * paths' worth and VIGIL_PATH_TRUNCATED_MARK.
 */
#define FIELD_BUF_SIZE (2 * 4096 + 4)

#endif
