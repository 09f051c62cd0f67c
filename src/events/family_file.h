/* SPDX-License-Identifier: GPL-2.0 */
/* File events (vigil/ev_file.h): their paths, as user space reports and filters them. */
#ifndef VIGIL_EVENTS_FAMILY_FILE_H
#define VIGIL_EVENTS_FAMILY_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "events/event.h"

/* a directory and a name, each up to VIGIL_PATH_MAX, and VIGIL_PATH_TRUNCATED_MARK */
#define FILE_PATH_BUF (2 * 4096 + 4)

bool is_file_event(const struct event *ev);

/*
 * The event's path (@target false) or target (true) into @buf, NUL-terminated; returns its
 * length. Paths built from a name (VIGIL_FILE_*_FROM_NAME) are normalised: "//", "." and ".."
 * folded, and the directory part resolved through symlinks if it still exists. A truncated
 * path is its tail, as the kernel sent it, after VIGIL_PATH_TRUNCATED_MARK.
 */
size_t file_event_path(const struct event *ev, bool target, char *buf, size_t size);
/*
 * Is that path only the tail of a longer one? Not for targets that are strings rather than
 * paths (a symlink's content, an xattr name, a mount source): those are cut at their end.
 */
bool file_event_path_truncated(const struct event *ev, bool target);

/* "O_WRONLY|O_CREAT|O_TRUNC" */
void file_open_flags(char *buf, size_t size, unsigned int flags);

#endif
