/* SPDX-License-Identifier: GPL-2.0 */
/* The event stream's output to a file or pipe, written by a thread of its own. */
#ifndef VIGIL_SINKS_OUTPUT_H
#define VIGIL_SINKS_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

/*
 * A stdio stream to @fd whose 1 MiB buffers a writer thread writes while the next one fills.
 * Each buffer stdio hands over (full, or flushed) is one write. The first write error is kept: the
 * next handover fails with it (stdio's error flag, fflush's EOF and errno), and so does
 * fclose(), which waits for everything handed over and closes @fd if @own_fd. NULL and errno
 * on failure; @fd is then the caller's.
 */
FILE *output_open(int fd, bool own_fd);

#endif
