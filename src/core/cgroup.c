// SPDX-License-Identifier: GPL-2.0
#include "core/cgroup.h"
#include "core/mounts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int cgroup_scope(const char *cgroup, struct vigil_deny_scope *s)
{
	char root[PATH_MAX], path[PATH_MAX * 2];
	struct stat st;
	int err = cgroup2_mount_point(root, sizeof(root));

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", root, cgroup);
	if (stat(path, &st))
		return -errno;
	memset(s, 0, sizeof(*s));
	s->cgroup_id = st.st_ino;
	for (const char *p = cgroup; *p; p++)
		if (*p != '/' && (p == cgroup || p[-1] == '/'))
			s->level++;
	return 0;
}
