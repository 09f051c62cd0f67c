// SPDX-License-Identifier: GPL-2.0
#include "events/format.h"
#include "core/log.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void formatter_init(struct formatter *f, enum output_format format, FILE *out, bool colour)
{
	struct agent_identity id;
	int err;

	f->format = format;
	f->out = out;
	f->colour = colour;
	f->header_done = false;
	f->time_sec = -1;
	f->context = NULL;
	f->seq = 0;
	wallclock_init(&f->clock);
	f->identity_len = 0;
	if (format == FORMAT_JSON) {
		err = agent_identity_init(&id, "/proc");
		if (err)
			pr_warn("output",
				"no random agent instance id (%s): agent_instance is null",
				strerror(-err));
		format_json_identity(f, &id);
	}
	f->users = idnames_new(IDNAMES_USERS);
	f->groups = idnames_new(IDNAMES_GROUPS);
	/* One thread writes: no stdio locking. */
	__fsetlocking(out, FSETLOCKING_BYCALLER);
}

void formatter_free(struct formatter *f)
{
	free(f->context);
	f->context = NULL;
	idnames_free(f->users);
	idnames_free(f->groups);
	f->users = f->groups = NULL;
}

const char *formatter_user(struct formatter *f, __u32 uid, __u64 now_ns)
{
	return f->users ? idnames_get(f->users, uid, now_ns) : NULL;
}

const char *formatter_group(struct formatter *f, __u32 gid, __u64 now_ns)
{
	return f->groups ? idnames_get(f->groups, gid, now_ns) : NULL;
}

void format_event(struct formatter *f, const struct event_view *v)
{
	f->seq++;
	if (f->format == FORMAT_JSON)
		format_json_event(f, v);
	else
		format_text_event(f, v);
}

void format_lost(struct formatter *f, __u64 boot_ns, __u64 count, __u64 total)
{
	f->seq++;
	if (f->format == FORMAT_JSON)
		format_json_lost(f, boot_ns, count, total);
	else
		format_text_lost(f, boot_ns, count, total);
}

struct event_verdict *verdict_dup(const struct event_verdict *v)
{
	struct event_verdict *d = calloc(1, sizeof(*d));
	char **mitre;
	bool ok;

	if (!d)
		return NULL;
	d->rule_id = strdup(v->rule_id);
	d->severity = strdup(v->severity);
	d->policy = strdup(v->policy);
	d->description = v->description ? strdup(v->description) : NULL;
	d->action = strdup(v->action);
	d->reason = v->reason ? strdup(v->reason) : NULL;
	d->mitre = mitre = calloc(v->n_mitre + 1, sizeof(*mitre));
	ok = d->rule_id && d->severity && d->policy && d->action && mitre &&
	     (d->description || !v->description) && (d->reason || !v->reason);
	for (size_t i = 0; ok && i < v->n_mitre; i++, d->n_mitre++)
		ok = (mitre[i] = strdup(v->mitre[i])) != NULL;
	if (!ok) {
		verdict_free(d);
		return NULL;
	}
	return d;
}

void verdict_free(struct event_verdict *v)
{
	if (!v)
		return;
	free((char *)v->rule_id);
	free((char *)v->severity);
	free((char *)v->reason);
	free((char *)v->policy);
	free((char *)v->description);
	free((char *)v->action);
	for (size_t i = 0; i < v->n_mitre; i++)
		free(v->mitre[i]);
	free((char **)v->mitre);
	free(v);
}
