/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a configuration file (a policy, a shield rule set, a prefix list) whole. */
#ifndef VIGIL_CORE_READFILE_H
#define VIGIL_CORE_READFILE_H

#include <stddef.h>

/*
 * The whole of the regular file @path, at most @max bytes, into *@buf (NUL-terminated; *@len
 * without the NUL; free() it). Anything else is refused before a byte is read: a directory
 * would read as empty, a FIFO or a device could hang the load or never end. 0, or -errno:
 * -EINVAL not a regular file, -EFBIG larger than @max, or what open() or read() said.
 */
int read_regular_file(const char *path, size_t max, char **buf, size_t *len);

#endif
