/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VIGIL_CORE_WATCH_GLOB_H
#define VIGIL_CORE_WATCH_GLOB_H

#include "core/sensor.h"

#include <stddef.h>

/* Most entries one glob's expansion may take (about one per directory it matches); beyond:
 * its literal directory, everything beneath. */
#define WATCH_GLOB_MAX_MATCHES 128

/*
 * The watch list with its globs expanded against the file system as it is now: each glob
 * becomes the paths its wildcard directories lead to (`/home/ * /.netrc`, written with no
 * spaces: `/home/alice/.netrc`, `/home/bob/.netrc`), which may not exist yet, and a wildcard
 * in the last name becomes its directory, for everything beneath. A directory listed is
 * watched beneath for a file system mounted over it (VIGIL_WATCH_STACKED_*). A glob whose
 * literal directory cannot be listed, or that matches too many, is watched through that
 * directory, for everything beneath.
 * The other entries are copied. *@out and its paths are the caller's (watch_glob_free).
 * 0 or -ENOMEM.
 */
int watch_glob_expand(const struct watch_entry *w, size_t n, struct watch_entry **out,
		      size_t *n_out);
void watch_glob_free(struct watch_entry *w, size_t n);

/* The literal directory of a glob, with its final '/' ("/home/" for `/home/ * /.netrc`). */
size_t watch_glob_dir_len(const char *glob);

#endif
