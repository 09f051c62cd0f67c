// SPDX-License-Identifier: GPL-2.0
#include "enforce/kill.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

/* Fields 4 to 21 of /proc/PID/stat, between the state and the start time. */
#define SKIP_18_FIELDS " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s"

/*
 * Is process @pid the one that started at @start_ns, and not yet exited? /proc/PID/stat gives
 * its state and its start in clock ticks since boot (the kernel's start_boottime divided down).
 */
static int same_and_running(__u32 pid, __u64 start_ns)
{
	char path[32], buf[1024], state;
	unsigned long long start_ticks;
	long hz = sysconf(_SC_CLK_TCK);
	const char *after_comm;
	ssize_t len;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	err = len < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[len] = '\0';
	/* the name may hold spaces and parentheses: the fields start after the last ')' */
	after_comm = memrchr(buf, ')', len);
	if (!after_comm ||
	    sscanf(after_comm + 1, " %c" SKIP_18_FIELDS " %llu", &state, &start_ticks) != 2)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	if (hz > 0 && hz <= 1000000000 && start_ticks != start_ns / (1000000000 / hz))
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
