/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kills sent from user space after an event (the fallback where the kernel cannot kill before
 * the operation returns): the operation has completed by then, and the process may have acted
 * on it before it dies. Only the process the event names is killed, and only while it runs.
 */
#ifndef VIGIL_ENFORCE_KILL_H
#define VIGIL_ENFORCE_KILL_H

#include "vigil/types.h"

/*
 * SIGKILL process @pid if it is still the one that started at @start_ns (CLOCK_BOOTTIME, its
 * group leader's start: struct vigil_task) and has not exited. 0 when the signal was sent;
 * -ESRCH when that process is gone (exited, a zombie, or its pid now another process's);
 * another -errno when it could not be sent.
 */
int kill_after_event(__u32 pid, __u64 start_ns);

#endif
