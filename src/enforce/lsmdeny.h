/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synchronous denial with BPF LSM (bpf/lsm.bpf.c): exec, opens and file-changing operations on
 * denied objects fail with EPERM before they happen. Objects are named by path here and held
 * by the kernel as (dev, inode); each refusal is reported into the shared event stream.
 */
#ifndef VIGIL_ENFORCE_LSMDENY_H
#define VIGIL_ENFORCE_LSMDENY_H

#include <stdbool.h>
#include <stddef.h>

#include "sensors/sensor.h"
#include "vigil/types.h"

struct lsm_deny {
	const char *path; /* an existing object; NULL: VIGIL_DENY_GLOBAL ops, whatever the object */
	bool below;	  /* also everything beneath it (a directory) */
	__u32 ops;	  /* VIGIL_DENY_* (vigil/enforce.h) */
	const char *cgroup; /* only processes in this cgroup subtree ("/a/b"); NULL: all */
	__u32 rule;	    /* the rule's index, reported with each refusal */
};

struct lsmdeny;

/*
 * Load and attach the LSM programs, reporting into the stream's ring buffer and loss counters
 * (@shared: sensors_shared()).
 * 0 or -errno; -EOPNOTSUPP where BPF LSM does not work (vigil probe says why). With @pin_dir,
 * links and maps are pinned there at the first lsmdeny_set and outlive a crash; the maps of a
 * run pinned there already are adopted (reused), and its links stay attached beside this
 * run's until then, so nothing is let through meanwhile.
 */
int lsmdeny_start(struct lsmdeny **out, const struct sensor_ctx *shared, const char *pin_dir);
/*
 * Detach; the pins go too (a clean stop). With @keep_pins the pinned programs stay in force,
 * as after a crash, for the next start to adopt.
 */
void lsmdeny_stop(struct lsmdeny *l, bool keep_pins);
/*
 * Make the kernel refuse exactly @d: new entries first, stale ones last, so that while it
 * changes the kernel refuses at least what either list refuses. A path that does not exist
 * cannot be held by inode and is left out (with a debug message); -E2BIG for more cgroup
 * scopes than VIGIL_DENY_SCOPES - 1.
 */
int lsmdeny_set(struct lsmdeny *l, const struct lsm_deny *d, size_t count);
/*
 * Make the programs @prog_ids (of LSM links just unpinned, which the kernel cannot detach on
 * request) refuse nothing from now on: their global data, the unions of the operations they
 * judge, is zeroed. Their links go only when the kernel puts the last reference, from a work
 * queue (seconds later on 6.12), or when a process that still holds one closes it. Programs
 * gone already are skipped. 0, or -errno for the first one that could not be disarmed.
 */
int lsmdeny_disarm(const __u32 *prog_ids, unsigned int count);

#endif
