// SPDX-License-Identifier: GPL-2.0
#include "events/format.h"
#include "events/json.h"
#include "core/log.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void json_opt_member(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":", key);
	if (*value)
		json_cstring(out, value);
	else
		fputs("null", out);
}

/* ,"host":...,"boot_id":...,"agent_instance":... once, for every line */
static void identity_members(struct formatter *f)
{
	FILE *mem = fmemopen(f->identity_json, sizeof(f->identity_json), "w");
	long len;

	f->identity_len = 0;
	if (!mem)
		return;
	json_opt_member(mem, "host", f->identity.host);
	json_opt_member(mem, "boot_id", f->identity.boot_id);
	json_opt_member(mem, "agent_instance", f->identity.instance);
	len = ftell(mem);
	if (!ferror(mem) && len > 0 && len < (long)sizeof(f->identity_json) - 1)
		f->identity_len = len;
	fclose(mem);
}

void formatter_init(struct formatter *f, enum output_format format, FILE *out, bool colour)
{
	int err;

	f->format = format;
	f->out = out;
	f->colour = colour;
	f->header_done = false;
	f->time_sec = -1;
	f->context = NULL;
	f->seq = 0;
	wallclock_init(&f->clock);
	err = agent_identity_init(&f->identity, "/proc");
	if (err)
		pr_warn("output", "no random agent instance id (%s): agent_instance is null",
			strerror(-err));
	identity_members(f);
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
	d->mitre = mitre = calloc(v->n_mitre + 1, sizeof(*mitre));
	ok = d->rule_id && d->severity && d->policy && d->action && mitre &&
	     (d->description || !v->description);
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
	free((char *)v->policy);
	free((char *)v->description);
	free((char *)v->action);
	for (size_t i = 0; i < v->n_mitre; i++)
		free(v->mitre[i]);
	free((char **)v->mitre);
	free(v);
}
