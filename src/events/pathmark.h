/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Truncated paths as vigil shows them: a path the kernel could only resolve in part (longer than
 * VIGIL_PATH_MAX or deeper than VIGIL_PATH_DEPTH_MAX) is its tail with VIGIL_PATH_TRUNCATED_MARK
 * in front, so that it never looks like a whole absolute path (vigil/events.h).
 */
#ifndef VIGIL_EVENTS_PATHMARK_H
#define VIGIL_EVENTS_PATHMARK_H

#include <stdbool.h>
#include <stddef.h>

#include "vigil/events.h"

#define PATH_MARK_LEN (sizeof(VIGIL_PATH_TRUNCATED_MARK) - 1)

/*
 * @len bytes of @path into @buf (@size bytes, NUL-terminated; cut to fit), the mark first when
 * @truncated. Returns the length written.
 */
size_t path_mark(char *buf, size_t size, const char *path, size_t len, bool truncated);
/* The same in a new string; NULL without memory. */
char *path_mark_dup(const char *path, size_t len, bool truncated);

#endif
