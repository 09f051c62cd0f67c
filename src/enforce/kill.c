// SPDX-License-Identifier: GPL-2.0
#include "enforce/kill.h"
#include "core/procstat.h"

#include <errno.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <unistd.h>

/*
 * Is process @pid the one that started at @start_ns, and not yet exited? /proc/PID/stat gives
 * its state and its start in clock ticks since boot (the kernel's start_boottime divided down).
 */
static int same_and_running(__u32 pid, __u64 start_ns)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct proc_stat st;
	int err = proc_stat_read(pid, &st);

	if (err)
		return err;
	if (st.state == 'Z' || st.state == 'X')
		return -ESRCH;
	if (hz > 0 && hz <= 1000000000 && st.starttime != start_ns / (1000000000 / hz))
		return -ESRCH;
	return 0;
}

/*
 * The pidfd is taken first: if the event's process still runs when its stat is read, it ran
 * when the pidfd was opened too (it started before the event), so the pidfd is that process's
 * and the signal reaches no other, even if the pid is reused meanwhile.
 */
int kill_after_event(__u32 pid, __u64 start_ns)
{
	int fd = pidfd_open(pid, 0), err;

	if (fd < 0)
		return -errno;
	err = same_and_running(pid, start_ns);
	if (!err && pidfd_send_signal(fd, SIGKILL, NULL, 0))
		err = -errno;
	close(fd);
	return err;
}
