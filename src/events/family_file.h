/* SPDX-License-Identifier: GPL-2.0 */
/* File events (vigil/ev_file.h): their paths, as user space reports and filters them. */
#ifndef VIGIL_EVENTS_FAMILY_FILE_H
#define VIGIL_EVENTS_FAMILY_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "events/event.h"

#define FILE_PATH_BUF (2 * 4096 + 1)

bool is_file_event(const struct event *ev);

/*
 * The event's path (@target false) or target (true) into @buf, NUL-terminated; returns its
 * length. Paths built from a name (VIGIL_FILE_*_FROM_NAME) are normalised: "//", "." and ".."
 * folded, and the directory part resolved through symlinks if it still exists.
 */
size_t file_event_path(const struct event *ev, bool target, char *buf, size_t size);

/* "O_WRONLY|O_CREAT|O_TRUNC" */
void file_open_flags(char *buf, size_t size, unsigned int flags);

#endif
