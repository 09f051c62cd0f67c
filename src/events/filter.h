/* SPDX-License-Identifier: GPL-2.0 */
/* What the user asked to see: --events, --pid, --comm. Empty lists match everything. */
#ifndef VIGIL_EVENTS_FILTER_H
#define VIGIL_EVENTS_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "events/event.h"

#define FILTER_MAX_ITEMS 64

struct filter {
	__u64 type_mask; /* bit (1 << type); 0 means every type */
	__u32 pids[FILTER_MAX_ITEMS];
	size_t n_pids;
	char comms[FILTER_MAX_ITEMS][VIGIL_COMM_LEN];
	size_t n_comms;
	/*
	 * file events: under these paths (absolute, normalised), with this access (0: any); with
	 * paths, other events only when type_mask names them
	 */
	char *paths[FILTER_MAX_ITEMS];
	size_t n_paths;
	__u16 access;
};

/*
 * Add a comma-separated list ("exec,exit", "1,42", "bash,sshd"). On bad input return
 * -EINVAL and put the reason, naming the bad item and what is accepted, in @err.
 */
int filter_add_types(struct filter *f, const char *list, char *err, size_t errlen);
int filter_add_pids(struct filter *f, const char *list, char *err, size_t errlen);
int filter_add_comms(struct filter *f, const char *list, char *err, size_t errlen);

/* --path: an absolute path; files under it (or it) match. */
int filter_add_path(struct filter *f, const char *path, char *err, size_t errlen);
/* --access: "read", "write" or "read,write". */
int filter_set_access(struct filter *f, const char *list, char *err, size_t errlen);
void filter_free(struct filter *f);

bool filter_match(const struct filter *f, const struct event *ev);

#endif
