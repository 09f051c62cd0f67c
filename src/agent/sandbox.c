// SPDX-License-Identifier: GPL-2.0
#include "agent/sandbox.h"
#include "core/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int sandbox_create(struct sandbox *sb)
{
	char root[PATH_MAX];
	int err = cgroup2_mount_point(root, sizeof(root));

	if (err)
		return err;
	snprintf(sb->scope, sizeof(sb->scope), "/vigil-sandbox-%d/", getpid());
	snprintf(sb->dir, sizeof(sb->dir), "%s/vigil-sandbox-%d", root, getpid());
	sb->pid = 0;
	return mkdir(sb->dir, 0755) ? -errno : 0;
}

/* Write @text into @dir/@file. 0 or -errno. */
static int write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 32];
	ssize_t len = strlen(text);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		err = -errno;
	close(fd);
	return err;
}

int sandbox_spawn(struct sandbox *sb, char *const argv[])
{
	int pipefd[2], child_err = 0;
	pid_t pid;

	/* the child reports a failed move or exec through a close-on-exec pipe */
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		int err = write_file(sb->dir, "cgroup.procs", "0");

		/* what the agent ignores, an exec keeps ignored */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGXFSZ, SIG_DFL);
		if (!err) {
			execvp(argv[0], argv);
			err = -errno;
		}
		if (write(pipefd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &child_err, sizeof(child_err)) != sizeof(child_err))
		child_err = 0; /* closed by the exec: the command runs */
	close(pipefd[0]);
	if (child_err) {
		waitpid(pid, NULL, 0);
		return child_err;
	}
	sb->pid = pid;
	return 0;
}

void sandbox_destroy(struct sandbox *sb)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	if (!sb->dir[0])
		return;
	/* cgroup.kill (Linux 5.14) ends every process left behind; then the cgroup can go */
	for (int i = 0; i < 100 && rmdir(sb->dir) && errno == EBUSY; i++) {
		write_file(sb->dir, "cgroup.kill", "1");
		nanosleep(&pause, NULL);
	}
	sb->dir[0] = '\0';
}
