/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `vigil sandbox`: a command run in a fresh cgroup of its own, so that policies scoped to that
 * cgroup subtree apply to it and its descendants only.
 */
#ifndef VIGIL_AGENT_SANDBOX_H
#define VIGIL_AGENT_SANDBOX_H

#include <limits.h>
#include <sys/types.h>

struct sandbox {
	char dir[PATH_MAX + 64]; /* its directory on the cgroup2 mount */
	char scope[64];		 /* "/vigil-sandbox-PID/": the policy scope */
	pid_t pid;		 /* the command, once started */
};

/* Create the cgroup; 0 or -errno. */
int sandbox_create(struct sandbox *sb);
/* Start @argv (PATH searched) inside it; 0 or -errno (the command's exec error included). */
int sandbox_spawn(struct sandbox *sb, char *const argv[]);
/* Kill what is left in the cgroup and remove it. */
void sandbox_destroy(struct sandbox *sb);

#endif
