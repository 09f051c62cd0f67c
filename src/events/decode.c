// SPDX-License-Identifier: GPL-2.0
#include "events/event.h"
#include "events/family.h"
#include "events/ldenv.h"

#include <errno.h>
#include <string.h>

static const char *const type_names[VIGIL_EV_TYPE_MAX] = {
	[VIGIL_EV_EXEC] = "exec",
	[VIGIL_EV_EXIT] = "exit",
	[VIGIL_EV_FORK] = "fork",
};

const char *event_type_name(unsigned int type)
{
	const struct event_family *fam;

	if ((unsigned int)type >= VIGIL_EV_TYPE_MAX)
		return NULL;
	fam = event_family_of(type);
	return fam ? fam->type_names[type - fam->first] : type_names[type];
}

unsigned int event_type_from_name(const char *name)
{
	for (int t = 1; t < VIGIL_EV_TYPE_MAX; t++)
		if (event_type_name(t) && !strcmp(event_type_name(t), name))
			return t;
	return 0;
}

static int decode_exec(const void *data, size_t size, struct event *ev)
{
	const struct vigil_exec_event *r = data;
	const char *strings = (const char *)data + sizeof(*r);
	size_t need;

	if (size < sizeof(*r))
		return -EINVAL;
	need = sizeof(*r) + (size_t)r->exe_len + r->cwd_len + r->args_len + r->env_len;
	if (need > size)
		return -EINVAL;
	ev->exe = strings;
	ev->exe_len = r->exe_len;
	ev->cwd = strings + r->exe_len;
	ev->cwd_len = r->cwd_len;
	ev->args = ev->cwd + r->cwd_len;
	ev->args_len = r->args_len;
	ev->env = ev->args + r->args_len;
	ev->env_len = r->env_len;
	ev->argc = r->argc;
	ev->stdin_dev = r->stdin_dev;
	ev->stdin_ino = r->stdin_ino;
	ev->stdout_dev = r->stdout_dev;
	ev->stdout_ino = r->stdout_ino;
	ev->exe_flags = r->exe_flags & ~VIGIL_EXE_LD_WRITABLE; /* the kernel does not set it */
	if (ev->env_len && ld_env_writable(ev->env, ev->env_len, ev->cwd, ev->cwd_len))
		ev->exe_flags |= VIGIL_EXE_LD_WRITABLE;
	return 0;
}

int event_decode(const void *data, size_t size, struct event *ev)
{
	const struct vigil_event_hdr *hdr = data;

	memset(ev, 0, sizeof(*ev));
	if (size < sizeof(*hdr) || hdr->size > size || hdr->size < sizeof(*hdr))
		return -EINVAL;
	size = hdr->size;
	ev->type = hdr->type;
	ev->flags = hdr->flags;
	ev->time_ns = hdr->time_ns;

	switch (hdr->type) {
	case VIGIL_EV_EXEC:
		if (decode_exec(data, size, ev))
			return -EINVAL;
		break;
	case VIGIL_EV_FORK:
		if (size < sizeof(struct vigil_fork_event))
			return -EINVAL;
		break;
	case VIGIL_EV_EXIT: {
		const struct vigil_exit_event *r = data;

		if (size < sizeof(*r))
			return -EINVAL;
		ev->status = r->status;
		ev->duration_ns = r->duration_ns;
		break;
	}
	default:
		if (size < sizeof(*hdr) + sizeof(struct vigil_task) || !event_family_of(ev->type))
			return -EINVAL;
		break;
	}
	/* Every record type starts with the header and the task. */
	ev->task = (const struct vigil_task *)((const char *)data + sizeof(*hdr));
	ev->raw = data;
	ev->raw_size = size;
	if (event_family_of(ev->type))
		return event_family_of(ev->type)->decode(ev);
	return 0;
}
