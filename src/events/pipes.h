/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who feeds a new image's stdin: the exec sensor gives the pipe or FIFO inode of fd 0 and fd 1
 * of every new image, and an exec whose stdin is pipe P is linked to the last exec whose
 * stdout is P (a decoder piped into a shell: docs/events.md, "stdin").
 *
 * The two ends of a pipeline exec in either order, and a fast writer may exit before its
 * reader execs. So writers are kept as copies (exe, argv), found while alive or up to
 * PIPE_LINK_WINDOW_NS after their exec; a reader no rule matched is held, as a copy of its
 * record, for as long (its pipe may have another writer next), and handed back when a writer's exec
 * arrives, to be judged again (the stream's choice: no line waits for a writer that may never
 * come). Bounded: PIPE_WRITERS writers (a newer one on the same slot replaces an older one) and
 * PIPE_READERS held readers (the oldest goes first).
 */
#ifndef VIGIL_EVENTS_PIPES_H
#define VIGIL_EVENTS_PIPES_H

#include <stddef.h>

#include "events/event.h"
#include "events/proctab.h"

#define PIPE_LINK_WINDOW_NS 2000000000ull
#define PIPE_WRITERS	    4096
#define PIPE_READERS	    64

struct pipes;

struct pipes *pipes_new(void);
void pipes_free(struct pipes *p);

/* Note @ev (an exec) as the writer of its stdout pipe, if it has one. -ENOMEM, or 0. */
int pipes_note_writer(struct pipes *p, const struct event *ev, const struct proc *proc);

/*
 * The process writing into @ev's stdin pipe (a copy: exe, args, pid, exec_time), or NULL
 * when it is not a pipe or its writer is unknown, gone for longer than the window, or @ev's
 * own process. @procs tells whether a writer is still alive.
 */
const struct proc *pipes_writer(struct pipes *p, struct proctab *procs, const struct event *ev);

/* Hold @ev (an exec reading a pipe, judged without a match): a copy of its record. */
int pipes_hold_reader(struct pipes *p, const struct event *ev);

/*
 * The held readers of the pipe that @writer (an exec) writes into, one a call: their records
 * and sizes; *cursor starts at 0. NULL when there are no more. A reader stays held until
 * pipes_drop_reader() or the end of its window: a pipeline's first writer may be `sleep`.
 */
const void *pipes_held_reader(struct pipes *p, const struct event *writer, size_t *cursor,
			      size_t *size);
/* Let go of the reader pipes_held_reader() returned last for @cursor. */
void pipes_drop_reader(struct pipes *p, size_t cursor);

#endif
