/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup v2 ids (what the sensors see) to paths (what people read), cached. */
#ifndef VIGIL_EVENTS_CGROUP_H
#define VIGIL_EVENTS_CGROUP_H

#include <stddef.h>

#include "vigil/types.h"

struct cgroup_names;

/* Finds the cgroup2 mount; returns NULL (and sets errno) when there is none. */
struct cgroup_names *cgroup_names_new(void);
void cgroup_names_free(struct cgroup_names *c);

/* The path of cgroup @id below the cgroup2 root ("/" for the root), or NULL when the cgroup
 * is gone or unknown. The string lives until the next call. */
const char *cgroup_names_get(struct cgroup_names *c, __u64 id);

#endif
