/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process table: what vigil knows of every live process, so that each event can name its
 * parent and ancestors. Filled from exec/fork/exit records and seeded from /proc at start-up.
 * It is bounded: when full, it drops entries of processes that are gone, then the least
 * recently started ones.
 */
#ifndef VIGIL_EVENTS_PROCTAB_H
#define VIGIL_EVENTS_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "events/event.h"

struct proc {
	__u32 pid;
	__u32 ppid;
	/* Identity: with pid, the CLOCK_BOOTTIME at which this image started (exec, or fork). */
	__u64 exec_time;
	__u64 parent_exec_time;
	char comm[VIGIL_COMM_LEN];
	char *exe; /* NUL-terminated, may be "" when unknown */
	char *cwd;
	/* only their tails are known: exe and cwd start with VIGIL_PATH_TRUNCATED_MARK */
	bool exe_truncated, cwd_truncated;
	char *args; /* NUL-separated argv, args_len bytes */
	__u32 args_len;
	bool args_truncated;
	__u16 exe_flags;  /* VIGIL_EXE_* of its exec (memfd, deleted, shm from /proc when seeded) */
	bool from_procfs; /* read from /proc at start-up: it started before vigil */

	/* table internals */
	struct proc *hash_next;
	struct proc *lru_prev, *lru_next;
};

struct proctab;

struct proctab *proctab_new(size_t capacity);
void proctab_free(struct proctab *t);

struct proc *proctab_lookup(struct proctab *t, __u32 pid);
size_t proctab_size(const struct proctab *t);
/* Changes whenever an entry is added, changed or removed. */
__u64 proctab_generation(const struct proctab *t);

/* Apply an exec/fork record; returns the (new) entry of the process, or NULL without memory. */
struct proc *proctab_exec(struct proctab *t, const struct event *ev);
struct proc *proctab_fork(struct proctab *t, const struct event *ev);
void proctab_remove(struct proctab *t, __u32 pid);

/*
 * Add every process in @procfs (normally "/proc") that the table does not know yet: exe, argv,
 * cwd and start time as /proc shows them, the exe named as the kernel's exec events name it
 * ("memfd:x" for "/memfd:x (deleted)", a deleted file without " (deleted)", with exe_flags).
 * What cannot be read stays unknown ("" exe), never guessed.
 */
int proctab_seed(struct proctab *t, const char *procfs);

/* Up to @max ancestors of @p, nearest first; stops at an unknown pid or a loop. */
size_t proctab_ancestors(struct proctab *t, const struct proc *p, const struct proc **out,
			 size_t max);

/* "pid:time", the exec_id of the process. */
void proc_exec_id(char *buf, size_t size, __u32 pid, __u64 exec_time);

#endif
