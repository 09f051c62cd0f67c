// SPDX-License-Identifier: GPL-2.0
/*
 * What each kind of fanotify permission mark costs the opens of files it does not protect
 * (docs/enforcement.md, "fanotify"): an open+close loop on an unrelated file, in a directory of
 * its own on the same file system as the marked object, under each condition in the same run,
 * interleaved, medians. A listener thread answers every permission event FAN_ALLOW at once, so
 * the figures are the least each mark kind costs:
 *
 *   none        no fanotify group
 *   inode       FAN_OPEN_PERM on another file
 *   dir         FAN_OPEN_PERM | FAN_EVENT_ON_CHILD on another directory
 *   mount       FAN_MARK_MOUNT on the mount both files are on
 *   filesystem  FAN_MARK_FILESYSTEM on their file system
 *
 * usage: fanotify_bench [rounds] [iterations]
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchlib.h"

enum cond { NONE, INODE, DIR_CHILD, MOUNT, FILESYSTEM, N_COND };
static const char *const cond_names[N_COND] = { "none", "inode mark", "directory mark",
						"mount mark", "filesystem mark" };

#define MAX_ROUNDS 32
#define PERM_MASK  (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)

static char base[64], plain[96], marked_dir[96], marked[128];
static int group_fd = -1, stop_pipe[2] = { -1, -1 };

static double open_loop(const char *path, int iterations)
{
	double start = now_ns();

	for (int i = 0; i < iterations; i++)
		close(open(path, O_RDONLY));
	return (now_ns() - start) / iterations;
}

/* Allow every permission event; end when the stop pipe is written. */
static void *answer(void *arg)
{
	struct pollfd p[2] = { { .fd = group_fd, .events = POLLIN },
			       { .fd = stop_pipe[0], .events = POLLIN } };
	char buf[4096] __attribute__((aligned(8)));

	(void)arg;
	while (poll(p, 2, -1) >= 0 && !p[1].revents) {
		ssize_t n = read(group_fd, buf, sizeof(buf));
		struct fanotify_event_metadata *m = (void *)buf;

		for (; n > 0 && FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			struct fanotify_response r = { .fd = m->fd, .response = FAN_ALLOW };

			if (m->mask & PERM_MASK && write(group_fd, &r, sizeof(r)) < 0)
				perror("fanotify answer");
			if (m->fd >= 0)
				close(m->fd);
		}
	}
	return NULL;
}

/* A group with one mark of @c, and its answering thread; 0 or -1. */
static int set_up(enum cond c, pthread_t *thread)
{
	static const unsigned int kinds[N_COND] = {
		[INODE] = FAN_MARK_INODE,
		[DIR_CHILD] = FAN_MARK_INODE,
		[MOUNT] = FAN_MARK_MOUNT,
		[FILESYSTEM] = FAN_MARK_FILESYSTEM,
	};
	const char *object = c == INODE ? marked : marked_dir;
	__u64 mask = PERM_MASK | (c == DIR_CHILD ? FAN_EVENT_ON_CHILD : 0);

	if (c == NONE)
		return 0;
	group_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY);
	if (group_fd < 0 || pipe(stop_pipe) ||
	    fanotify_mark(group_fd, FAN_MARK_ADD | kinds[c], mask, AT_FDCWD, object)) {
		perror(cond_names[c]);
		return -1;
	}
	return pthread_create(thread, NULL, answer, NULL) ? -1 : 0;
}

static void tear_down(enum cond c, pthread_t thread)
{
	if (c == NONE)
		return;
	if (write(stop_pipe[1], "", 1) == 1)
		pthread_join(thread, NULL);
	close(group_fd);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	group_fd = stop_pipe[0] = stop_pipe[1] = -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7, iterations = argc > 2 ? atoi(argv[2]) : 100000;
	double ns[N_COND][MAX_ROUNDS], diff[N_COND][MAX_ROUNDS];
	int status = 1;

	if (rounds < 1 || rounds > MAX_ROUNDS || iterations < 1) {
		fprintf(stderr, "usage: fanotify_bench [rounds 1-%d] [iterations]\n", MAX_ROUNDS);
		return 2;
	}
	snprintf(base, sizeof(base), "/var/tmp/vigil-fanbench.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(plain, sizeof(plain), "%s/plain", base);
	snprintf(marked_dir, sizeof(marked_dir), "%s/marked", base);
	snprintf(marked, sizeof(marked), "%s/secret", marked_dir);
	if (mkdir(marked_dir, 0700) || close(open(plain, O_CREAT | O_WRONLY, 0600)) ||
	    close(open(marked, O_CREAT | O_WRONLY, 0600))) {
		perror(base);
		goto out;
	}
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < N_COND; c++) {
			pthread_t thread = 0;

			if (set_up(c, &thread))
				goto out;
			ns[c][r] = open_loop(plain, iterations);
			tear_down(c, thread);
		}
	printf("open+close of an unrelated file on the same file system (%d rounds x %d)\n", rounds,
	       iterations);
	printf("%-16s %10s %10s\n", "mark", "ns/open", "added");
	for (int c = 0; c < N_COND; c++) {
		for (int r = 0; r < rounds; r++)
			diff[c][r] = ns[c][r] - ns[NONE][r];
		printf("%-16s %10.0f %+10.0f\n", cond_names[c], median(ns[c], rounds),
		       median(diff[c], rounds));
	}
	status = 0;
out:
	unlink(marked);
	unlink(plain);
	rmdir(marked_dir);
	rmdir(base);
	return status;
}
