// SPDX-License-Identifier: GPL-2.0
/* A command run by a test with its stdout and stderr in files. */
#include "tool.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The file @path, NUL-terminated (free() it), or NULL. */
char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

bool file_has(const char *path, const char *text)
{
	char *s = slurp(path);
	bool has = s && strstr(s, text);

	free(s);
	return has;
}

/* Start @argv; wait until its stdout or stderr says @ready. 0, or -1 (it is stopped). */
int tool_start(struct tool *t, char *const argv[], const char *ready)
{
	posix_spawn_file_actions_t fa;
	double deadline = now_s() + TOOL_READY_S;
	int fd, status;

	memset(t, 0, sizeof(*t));
	snprintf(t->out, sizeof(t->out), "/tmp/vigil-lat-out-XXXXXX");
	snprintf(t->err, sizeof(t->err), "/tmp/vigil-lat-err-XXXXXX");
	fd = mkstemp(t->out);
	if (fd >= 0)
		close(fd);
	fd = mkstemp(t->err);
	if (fd >= 0)
		close(fd);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, t->out, O_WRONLY | O_TRUNC, 0);
	posix_spawn_file_actions_addopen(&fa, 2, t->err, O_WRONLY | O_TRUNC, 0);
	if (posix_spawn(&t->pid, argv[0], &fa, NULL, argv, environ))
		t->pid = 0;
	posix_spawn_file_actions_destroy(&fa);
	while (t->pid && now_s() < deadline) {
		if (file_has(t->out, ready) || file_has(t->err, ready))
			return 0;
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->pid = 0;
			break;
		}
		usleep(50 * 1000);
	}
	if (t->pid) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
	return -1;
}

/* SIGINT, as Ctrl-C, and wait for it (SIGKILL after 30 s): its exit status, or -1. */
int tool_stop(struct tool *t)
{
	double deadline = now_s() + 30;
	int status = -1;

	if (!t->pid)
		return -1;
	kill(t->pid, SIGINT);
	while (now_s() < deadline && waitpid(t->pid, &status, WNOHANG) != t->pid)
		usleep(20 * 1000);
	if (now_s() >= deadline) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		status = -1;
	}
	t->pid = 0;
	return status;
}

void tool_cleanup(struct tool *t)
{
	if (t->pid) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
	if (t->out[0])
		unlink(t->out);
	if (t->err[0])
		unlink(t->err);
}
