/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file sensor's watch list: built from the policies (policy/compile.c) and `trace --path`,
 * its globs expanded by the sensor each time it resolves the list.
 */
#ifndef VIGIL_SENSORS_WATCH_LIST_H
#define VIGIL_SENSORS_WATCH_LIST_H

#include "core/mounts.h"
#include "sensors/sensor.h"

#include <stddef.h>

struct watch_list {
	struct watch_entry *entries; /* the paths are the list's own */
	size_t n;
};

/* Add the first @len bytes of @path (the list owns a copy), a glob or not. 0 or -ENOMEM. */
int watch_list_add(struct watch_list *w, const char *path, size_t len, __u16 bits, bool glob);
void watch_list_free(struct watch_list *w);

/* Most entries one glob's expansion takes (about one per directory it matches); beyond: its
 * literal directory, everything beneath. */
#define WATCH_GLOB_MAX_MATCHES 128

/*
 * @w with its globs expanded against the file system as it is now, into @out: each glob
 * becomes the paths its wildcard directories lead to (`/home/ * /.netrc`, written with no
 * spaces: `/home/alice/.netrc`, `/home/bob/.netrc`), which may not exist yet, and a wildcard
 * in the last name becomes its directory, for everything beneath. A directory listed is
 * watched beneath for a file system mounted over it (VIGIL_WATCH_STACKED_*). A glob whose
 * literal directory cannot be listed, that would take more than @per_glob entries (normally
 * WATCH_GLOB_MAX_MATCHES; 0: none expands), or that leads onto one of
 * @remote (NULL: none) is watched through that directory, for everything beneath: listing
 * NFS or autofs homes every few seconds would load the servers, keep every home mounted, and
 * hang with a server. The other entries are copied. @out is the caller's (watch_list_free).
 * 0 or -ENOMEM.
 */
int watch_list_expand(const struct watch_entry *w, size_t n, const struct remote_mounts *remote,
		      size_t per_glob, struct watch_list *out);

#endif
