/* SPDX-License-Identifier: GPL-2.0 */
/* Writing a configuration file (an applied policy) whole or not at all. */
#ifndef VIGIL_CORE_WRITEFILE_H
#define VIGIL_CORE_WRITEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* @dir, made with its missing parents (those 0755, itself @mode) when it does not exist. */
int make_dir_path(const char *dir, mode_t mode);

/*
 * @text as @dir/@name, mode 0600: written to a hidden temporary file in @dir, flushed, then
 * renamed over @name, so that a reader sees the old file or the new one, whole. 0 or -errno.
 */
int write_file_atomic(const char *dir, const char *name, const char *text, size_t len);

#endif
