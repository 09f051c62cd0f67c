/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup v2 subtrees as BPF programs name them: the cgroup's id and its depth. */
#ifndef VIGIL_CORE_CGROUP_H
#define VIGIL_CORE_CGROUP_H

#include "vigil/enforce.h"

/*
 * The (id, level) of @cgroup ("/a/b" or "/a/b/", below the cgroup2 root): a task is in its
 * subtree when bpf_get_current_ancestor_cgroup_id(level) == id. The id is the inode of its
 * directory on the cgroup2 mount. 0 or -errno.
 */
int cgroup_scope(const char *cgroup, struct vigil_deny_scope *s);

#endif
