/* SPDX-License-Identifier: GPL-2.0 */
/* exec: the dynamic loader's variables (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT) of a new image. */
#ifndef VIGIL_EVENTS_LDENV_H
#define VIGIL_EVENTS_LDENV_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether @env (@len bytes of NUL-terminated "NAME=value" strings) makes the loader read a
 * library from a world-writable directory: where any user can plant one. Relative entries
 * are resolved against @cwd (@cwd_len bytes, not NUL-terminated). A directory that cannot be
 * examined counts when it is under /tmp, /var/tmp or /dev/shm.
 */
bool ld_env_writable(const char *env, size_t len, const char *cwd, size_t cwd_len);

#endif
