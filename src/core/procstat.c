// SPDX-License-Identifier: GPL-2.0
#include "core/procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int proc_stat_parse(const char *line, struct proc_stat *st)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	size_t len;
	int n;

	if (!open || !close || close < open)
		return -EINVAL;
	len = close - open - 1;
	if (len >= VIGIL_COMM_LEN)
		len = VIGIL_COMM_LEN - 1;
	memcpy(st->comm, open + 1, len);
	st->comm[len] = '\0';
	n = sscanf(close + 1,
		   " %c %" SCNu32 " %*d %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu",
		   &st->state, &st->ppid, &st->flags, &st->starttime);
	return n == 4 ? 0 : -EINVAL;
}

int proc_stat_read(pid_t pid, struct proc_stat *st)
{
	char path[32], line[1024];
	ssize_t len;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	len = read(fd, line, sizeof(line) - 1);
	err = len < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	line[len] = '\0';
	return proc_stat_parse(line, st);
}
