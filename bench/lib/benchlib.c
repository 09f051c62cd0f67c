// SPDX-License-Identifier: GPL-2.0
#include "benchlib.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double minimum(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

/* Keep reading what a tool prints, so it never blocks on a full pipe (a detached cat). */
static void drain(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (fork() == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(fd, 0);
			dup2(null, 1);
			execl("/bin/cat", "cat", NULL);
			_exit(127);
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	close(fd);
}

pid_t start_until(char *const argv[], const char *ready)
{
	char buf[8192];
	size_t len = 0;
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 30000) <= 0)
			break;
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, ready)) {
			drain(p[0]);
			return pid;
		}
	}
	buf[len] = '\0';
	fprintf(stderr, "bench: %s did not get ready: %s\n", argv[0], buf);
	close(p[0]);
	stop_child(pid);
	return -1;
}

void stop_child(pid_t pid)
{
	for (int i = 0; i < 100; i++) {
		kill(pid, i ? 0 : SIGTERM);
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(100 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int quiet(const char *cmd)
{
	char line[1100];

	/* braced, so that a here-document or a trailing & in @cmd keeps its meaning */
	snprintf(line, sizeof(line), "{ %s\n} >/dev/null 2>&1", cmd);
	return system(line);
}

int quietf(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return quiet(cmd);
}

int prog_ids_of(pid_t pid, __u32 *ids, int max)
{
	char path[300], line[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "prog_id:", 8)) {
				__u32 id = (__u32)strtoul(line + 8, NULL, 10);
				bool seen = false;

				for (int i = 0; i < n; i++)
					seen |= ids[i] == id;
				if (!seen && n < max)
					ids[n++] = id;
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

double prog_time(const __u32 *ids, int n)
{
	double ns = 0;

	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			ns += (double)info.run_time_ns;
		close(fd);
	}
	return ns;
}
