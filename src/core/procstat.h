/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/PID/stat, read and parsed in one place (the process table, kills, the control socket). */
#ifndef VIGIL_CORE_PROCSTAT_H
#define VIGIL_CORE_PROCSTAT_H

#include <sys/types.h>

#include "vigil/events.h"

/* The kernel's PF_EXITING and PF_KTHREAD (include/linux/sched.h). */
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000

struct proc_stat {
	char comm[VIGIL_COMM_LEN];
	char state; /* 'R', 'S', 'D', 'Z', ... */
	__u32 ppid;
	unsigned long flags;	      /* PF_* */
	unsigned long long starttime; /* clock ticks since boot (CLOCK_BOOTTIME) */
};

/*
 * One line of /proc/PID/stat: "pid (comm) state ppid ... flags(9) ... starttime(22)". comm may
 * hold spaces and parentheses, so fields are counted from the last ')'. 0 or -EINVAL.
 */
int proc_stat_parse(const char *line, struct proc_stat *st);
/* /proc/@pid/stat: 0, -ESRCH when there is no such process, or -errno. */
int proc_stat_read(pid_t pid, struct proc_stat *st);

#endif
