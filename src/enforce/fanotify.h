/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synchronous denial of opens and execs with fanotify permission events, where BPF LSM is
 * missing: the opener waits in the kernel until the agent answers, and a refused open or exec
 * fails with EPERM before any byte is read. Files are marked by inode, directory trees by a
 * mark on their file system; a thread of its own answers each event, with the rule semantics of
 * enforce/lsmdeny.h (by inode, up through the directories, per cgroup scope, never vigil
 * itself). The refusals end with the agent: a mark lives as long as the fanotify group.
 */
#ifndef VIGIL_ENFORCE_FANOTIFY_H
#define VIGIL_ENFORCE_FANOTIFY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "enforce/lsmdeny.h"
#include "vigil/events.h"

/* The operations a fanotify permission event can refuse (VIGIL_DENY_*). */
#define FANDENY_OPS (VIGIL_DENY_READ | VIGIL_DENY_WRITE | VIGIL_DENY_EXEC)

struct fandeny;

/* One refusal, as the event stream reports it. */
struct fandeny_refusal {
	struct vigil_task task; /* as far as /proc told (no cgroup id) */
	__u32 rule;		/* the entry's rule index (lsm_deny.rule) */
	bool exec;		/* an exec refused, else an open */
	__u16 access;		/* VIGIL_FILE_ACCESS_* the open asked for, as far as known */
	__u32 dev;		/* the kernel's dev_t (major << 20 | minor) */
	__u64 inode;
	__u64 time_ns;	     /* CLOCK_BOOTTIME */
	char path[PATH_MAX]; /* the object as the agent resolved it */
};

/* Start the group and its answering thread. 0, -EOPNOTSUPP (no fanotify) or -errno. */
int fandeny_start(struct fandeny **out);
/* Stop answering: the marks go with the group, and nothing is refused any more. */
void fandeny_stop(struct fandeny *f);
/*
 * Refuse exactly the FANDENY_OPS of @d from now on: new marks first, stale ones last, so that
 * meanwhile at least what either list refuses is refused. A path that does not exist is watched
 * in its parent directory (a file created there later is refused by name) or, with no parent
 * either, left out until the next set. The agent calls it again when files or mounts change.
 */
int fandeny_set(struct fandeny *f, const struct lsm_deny *d, size_t count);
/*
 * The oldest refusal for thread @tid not yet reported, taken: the file sensor's record of the
 * failed syscall stands for it. 0; -EALREADY when a refusal of @tid's was reported (taken)
 * lately and its record is the one arriving now (then forgotten); -ENOENT.
 */
int fandeny_claim(struct fandeny *f, __u32 tid, struct fandeny_refusal *out);
/* The oldest refusal older than @min_age_ns, taken; 0 or -ENOENT. */
int fandeny_take(struct fandeny *f, __u64 min_age_ns, struct fandeny_refusal *out);

struct fandeny_stats {
	size_t files, dirs, filesystems; /* marks by kind */
	__u64 events, denied;
	__u64 failed;	  /* answers the kernel did not take */
	__u64 unreported; /* refusals beyond the queue the stream takes them from */
};
void fandeny_stats(struct fandeny *f, struct fandeny_stats *out);

#endif
