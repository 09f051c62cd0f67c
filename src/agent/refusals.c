// SPDX-License-Identifier: GPL-2.0
#include "agent/refusals.h"
#include "enforce/fanotify.h"
#include "events/stream.h"
#include "policy/engine.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Long enough for the file sensor's record of the same open to be read first (POLL_MS). */
#define REPORT_AFTER_NS (200 * 1000000ull)

/* The record of one refusal; its size, 0 when it does not fit @len. */
static size_t build(const struct fandeny_refusal *r, char *buf, size_t len)
{
	size_t path_len = strnlen(r->path, VIGIL_PATH_MAX), cwd_len = 0, size;
	char cwd_link[64], cwd[PATH_MAX];
	ssize_t n;

	if (r->exec) {
		struct vigil_exec_event *ev = (void *)buf;

		/* the caller's working directory, while it still runs */
		snprintf(cwd_link, sizeof(cwd_link), "/proc/%u/cwd", r->task.pid);
		n = readlink(cwd_link, cwd, sizeof(cwd));
		cwd_len = n > 0 && n < VIGIL_PATH_MAX ? (size_t)n : 0;
		size = sizeof(*ev) + path_len + cwd_len;
		if (size > len)
			return 0;
		memset(ev, 0, sizeof(*ev));
		ev->hdr = (struct vigil_event_hdr){ .type = VIGIL_EV_EXEC,
						    .flags = VIGIL_EXEC_DENIED,
						    .size = size,
						    .time_ns = r->time_ns };
		ev->task = r->task;
		ev->exe_len = path_len;
		ev->cwd_len = cwd_len;
		ev->deny_rule = POLICY_RULE_FANOTIFY | r->rule;
		memcpy(buf + sizeof(*ev), r->path, path_len);
		memcpy(buf + sizeof(*ev) + path_len, cwd, cwd_len);
		return size;
	}
	{
		struct vigil_file_event *ev = (void *)buf;

		size = sizeof(*ev) + path_len;
		if (size > len)
			return 0;
		memset(ev, 0, sizeof(*ev));
		ev->hdr =
			(struct vigil_event_hdr){ .type = VIGIL_EV_OPEN,
						  .flags = VIGIL_FILE_DENIED | VIGIL_FILE_HAS_INODE,
						  .size = size,
						  .time_ns = r->time_ns };
		ev->task = r->task;
		ev->result = -EPERM;
		ev->inode = r->inode;
		ev->dev = r->dev;
		ev->access = r->access;
		ev->syscall = FSC_OPENAT;
		ev->path_len = path_len;
		ev->deny_rule = POLICY_RULE_FANOTIFY | r->rule;
		memcpy(buf + sizeof(*ev), r->path, path_len);
		return size;
	}
}

void refusals_report(struct fandeny *f, struct stream *s, bool all)
{
	struct fandeny_refusal *r = malloc(sizeof(*r));
	char *buf = malloc(VIGIL_EVENT_MAX);
	size_t size;

	while (r && buf && !fandeny_take(f, all ? 0 : REPORT_AFTER_NS, r))
		if ((size = build(r, buf, VIGIL_EVENT_MAX)))
			stream_handle_record(s, buf, size);
	free(buf);
	free(r);
}
