/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel kills: SIGKILL to the current task from a hook that runs before it returns to user
 * space (an open's syscall exit, exec), so it dies before it can act. Host-wide, or only in one
 * cgroup subtree (vigil sandbox) when user space sets the scope before load.
 */
#ifndef VIGIL_KILL_BPF_H
#define VIGIL_KILL_BPF_H

#include "vigil.bpf.h"

#define SIGKILL 9

/* Kill only tasks in this cgroup subtree (its id, level: vigil/enforce.h); id 0: any task. */
const volatile __u64 kill_cgroup_id = 0;
const volatile __u32 kill_cgroup_level = 0;

/*
 * SIGKILL the current task if it is in the kill scope. True only when the signal was sent: it
 * is then pending before the return to user space. The scope costs one helper call, made only
 * where a kill is due, and nothing when unscoped (the branch is pruned at load).
 */
static __always_inline bool kill_current(void)
{
	if (kill_cgroup_id &&
	    bpf_get_current_ancestor_cgroup_id(kill_cgroup_level) != kill_cgroup_id)
		return false;
	return bpf_send_signal(SIGKILL) == 0;
}

#endif
