/* SPDX-License-Identifier: GPL-2.0 */
/* A ring-buffer record, checked and decoded: pointers into the record, lengths verified. */
#ifndef VIGIL_EVENTS_EVENT_H
#define VIGIL_EVENTS_EVENT_H

#include <stddef.h>

#include "vigil/events.h"

struct event {
	unsigned int type; /* enum vigil_event_type, or a family's type */
	__u16 flags;
	__u64 time_ns; /* CLOCK_BOOTTIME */
	const struct vigil_task *task;

	/* exec: raw bytes, not NUL-terminated */
	const char *exe, *cwd, *args, *env;
	__u32 exe_len, cwd_len, args_len, env_len, argc;
	__u16 exe_flags; /* VIGIL_EXE_* */
	/* the pipe or FIFO inode of stdin and stdout; ino 0: not one */
	__u32 stdin_dev, stdout_dev;
	__u64 stdin_ino, stdout_ino;

	/* exit */
	__u32 status;
	__u64 duration_ns;

	/* opens folded into this one by aggregation (events/aggregate.h) */
	__u64 repeats;

	/* the whole record, for the family that owns the type (events/family.h) */
	const void *raw;
	size_t raw_size;
};

/* Decode @size bytes from the ring buffer. Returns 0, or -EINVAL for a malformed record. */
int event_decode(const void *data, size_t size, struct event *ev);

/* "exec", "exit", ...; NULL for an unknown type. */
const char *event_type_name(unsigned int type);
/* The type named @name, or 0 when there is none. */
unsigned int event_type_from_name(const char *name);

#endif
