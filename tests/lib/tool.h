/* SPDX-License-Identifier: GPL-2.0 */
/* A command run by a test with its stdout and stderr in files, read while it runs. */
#ifndef VIGIL_TESTS_TOOL_H
#define VIGIL_TESTS_TOOL_H

#include <stdbool.h>
#include <sys/types.h>

/* How long a tool may take to say it is ready (bpftrace compiles first: slow when busy). */
#define TOOL_READY_S 60

struct tool {
	pid_t pid;
	char out[64], err[64];
};

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);
/* The file @path, NUL-terminated (free() it), or NULL. */
char *slurp(const char *path);
bool file_has(const char *path, const char *text);
/* Start @argv; wait until its stdout or stderr says @ready. 0, or -1 (it is stopped). */
int tool_start(struct tool *t, char *const argv[], const char *ready);
/* SIGINT, as Ctrl-C, and wait for it (SIGKILL after 30 s): its exit status, or -1. */
int tool_stop(struct tool *t);
/* Kill it if it still runs; remove its files. */
void tool_cleanup(struct tool *t);

#endif
