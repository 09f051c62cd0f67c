// SPDX-License-Identifier: GPL-2.0
#include "events/pipes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pipe_writer {
	__u32 dev;
	__u64 ino;	  /* 0: a free slot */
	struct proc proc; /* a copy: pid, exec_time, comm, exe, args */
};

struct held_reader {
	__u32 dev;
	__u64 ino;
	__u64 exec_ns; /* the reader's exec */
	void *record;  /* NULL: a free slot */
	size_t size;
};

struct pipes {
	struct pipe_writer writers[PIPE_WRITERS];
	struct held_reader readers[PIPE_READERS];
};

struct pipes *pipes_new(void)
{
	return calloc(1, sizeof(struct pipes));
}

static void writer_clear(struct pipe_writer *w)
{
	free(w->proc.exe);
	free(w->proc.args);
	memset(w, 0, sizeof(*w));
}

void pipes_free(struct pipes *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < PIPE_WRITERS; i++)
		writer_clear(&p->writers[i]);
	for (size_t i = 0; i < PIPE_READERS; i++)
		free(p->readers[i].record);
	free(p);
}

static struct pipe_writer *writer_slot(struct pipes *p, __u32 dev, __u64 ino)
{
	__u64 h = (ino ^ ((__u64)dev << 32)) * 0x9e3779b97f4a7c15ull;

	return &p->writers[(h >> 32) & (PIPE_WRITERS - 1)];
}

int pipes_note_writer(struct pipes *p, const struct event *ev, const struct proc *proc)
{
	struct pipe_writer *w;

	if (!ev->stdout_ino || !proc)
		return 0;
	w = writer_slot(p, ev->stdout_dev, ev->stdout_ino);
	writer_clear(w);
	w->proc = (struct proc){ .pid = proc->pid,
				 .ppid = proc->ppid,
				 .exec_time = proc->exec_time,
				 .exe_truncated = proc->exe_truncated,
				 .args_len = proc->args_len,
				 .args_truncated = proc->args_truncated,
				 .exe_flags = proc->exe_flags };
	memcpy(w->proc.comm, proc->comm, sizeof(w->proc.comm));
	w->proc.exe = strdup(proc->exe);
	w->proc.args = proc->args_len ? malloc(proc->args_len) : NULL;
	if (!w->proc.exe || (proc->args_len && !w->proc.args)) {
		writer_clear(w);
		return -ENOMEM;
	}
	memcpy(w->proc.args, proc->args, proc->args_len);
	w->dev = ev->stdout_dev;
	w->ino = ev->stdout_ino;
	return 0;
}

const struct proc *pipes_writer(struct pipes *p, struct proctab *procs, const struct event *ev)
{
	const struct pipe_writer *w;
	const struct proc *live;

	if (!ev->stdin_ino)
		return NULL;
	w = writer_slot(p, ev->stdin_dev, ev->stdin_ino);
	if (w->ino != ev->stdin_ino || w->dev != ev->stdin_dev || w->proc.pid == ev->task->pid)
		return NULL;
	/* a FIFO outlives its writers: one gone long ago feeds nothing now */
	live = proctab_lookup(procs, w->proc.pid);
	if ((!live || live->exec_time != w->proc.exec_time) &&
	    (__s64)(ev->time_ns - w->proc.exec_time) > (__s64)PIPE_LINK_WINDOW_NS)
		return NULL;
	return &w->proc;
}

/* Readers held for longer than the window are let go: their writer is not coming. */
static void expire_readers(struct pipes *p, __u64 now_ns)
{
	for (size_t i = 0; i < PIPE_READERS; i++) {
		struct held_reader *r = &p->readers[i];

		if (r->record && (__s64)(now_ns - r->exec_ns) > (__s64)PIPE_LINK_WINDOW_NS) {
			free(r->record);
			r->record = NULL;
		}
	}
}

int pipes_hold_reader(struct pipes *p, const struct event *ev)
{
	struct held_reader *slot = &p->readers[0];

	expire_readers(p, ev->time_ns);
	for (size_t i = 0; i < PIPE_READERS; i++) {
		struct held_reader *r = &p->readers[i];

		if (!r->record) {
			slot = r;
			break;
		}
		if (r->exec_ns < slot->exec_ns)
			slot = r;
	}
	free(slot->record);
	slot->record = malloc(ev->raw_size);
	if (!slot->record)
		return -ENOMEM;
	memcpy(slot->record, ev->raw, ev->raw_size);
	*slot = (struct held_reader){ .dev = ev->stdin_dev,
				      .ino = ev->stdin_ino,
				      .exec_ns = ev->time_ns,
				      .record = slot->record,
				      .size = ev->raw_size };
	return 0;
}

const void *pipes_held_reader(struct pipes *p, const struct event *writer, size_t *cursor,
			      size_t *size)
{
	if (!writer->stdout_ino)
		return NULL;
	if (!*cursor)
		expire_readers(p, writer->time_ns);
	for (size_t i = *cursor; i < PIPE_READERS; i++) {
		const struct held_reader *r = &p->readers[i];

		if (!r->record || r->ino != writer->stdout_ino || r->dev != writer->stdout_dev)
			continue;
		*cursor = i + 1;
		*size = r->size;
		return r->record;
	}
	*cursor = PIPE_READERS;
	return NULL;
}

void pipes_drop_reader(struct pipes *p, size_t cursor)
{
	if (!cursor || cursor > PIPE_READERS)
		return;
	free(p->readers[cursor - 1].record);
	p->readers[cursor - 1].record = NULL;
}
