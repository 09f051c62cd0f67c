/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream's output to a file, pipe or terminal, written by a thread of its own. A
 * write that fails (a full disk, a file size limit, a reader gone) does not stop the stream: the
 * events it held are counted as not written, and the next ones are tried again. Only whole lines
 * are written, and a line a short write cut is taken back from a regular file, so the file
 * never holds a partial line.
 */
#ifndef VIGIL_SINKS_OUTPUT_H
#define VIGIL_SINKS_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct output;

/*
 * Open @path to append events, refusing what cannot take them or is not safe to write as root
 * (docs/output.md): a symbolic link, a hard-linked file, another user's file or one others may
 * write, a directory, a block device, a file of procfs, sysfs and the like. A new file is
 * created 0600. The fd, or -errno with the reason in @why (-EINVAL: refused by a check).
 */
int output_file_open(const char *path, char *why, size_t len);

/*
 * A stdio stream to @fd with 1 MiB buffers that a writer thread writes while the next one fills.
 * @path: the file @fd was opened from (output_file_open), reopened by output_reopen() and closed
 * at the end; NULL: @fd (standard output) stays the caller's.
 */
int output_new(struct output **out, int fd, const char *path);
FILE *output_stream(struct output *o);
/* Write what is buffered and wait until the writer has tried it. */
void output_sync(struct output *o);
/* Write what is buffered, close the file and stop the writer. */
void output_close(struct output *o);

/*
 * Reopen the file at its path (log rotation: it was moved or removed), checked as at start.
 * 0 or -errno; either way @msg says what happened, in a sentence.
 */
int output_reopen(struct output *o, char *msg, size_t len);

struct output_stats {
	const char *path;   /* NULL: standard output */
	uint64_t unwritten; /* lines (events) a write failed to take, since the start */
	int error;	    /* the errno of the last write, 0 when it succeeded */
	size_t queued;	    /* bytes waiting for the writer, or being written */
	size_t capacity;    /* what can wait before the stream waits for the writer */
};

void output_stats(struct output *o, struct output_stats *st);
/*
 * From the main loop: say once that writing fails, and once that it works again, when no event
 * was lost for a few seconds (a disk all but full fails, works and fails again).
 */
void output_report(struct output *o, const char *who);

#endif
