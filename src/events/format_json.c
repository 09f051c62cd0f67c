// SPDX-License-Identifier: GPL-2.0
/* JSON Lines. The field names are a contract with SIEMs: add fields, never rename them. */
#include "events/format.h"
#include "events/family.h"
#include "events/json.h"
#include "events/message.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void json_key(FILE *out, const char *key)
{
	fprintf(out, "\"%s\":", key);
}

/* A string, or null when it is unknown (NULL or empty). */
static void json_opt_string(FILE *out, const char *s)
{
	if (s && *s)
		json_cstring(out, s);
	else
		fputs("null", out);
}

/* NUL-separated argv as a JSON array; a cut last argument is still printed. */
static void json_args(FILE *out, const char *args, size_t len)
{
	size_t i = 0;
	bool first = true;

	fputc('[', out);
	while (i < len) {
		const char *end = memchr(args + i, '\0', len - i);
		size_t n = end ? (size_t)(end - (args + i)) : len - i;

		if (!first)
			fputc(',', out);
		json_string(out, args + i, n);
		first = false;
		i += n + 1;
	}
	fputc(']', out);
}

static void json_exec_id(FILE *out, __u32 pid, __u64 exec_time)
{
	char id[48];

	proc_exec_id(id, sizeof(id), pid, exec_time);
	json_cstring(out, id);
}

/* exec: process.exe_flags (where the file lives, stdio on the network), only when set */
static void json_exe_flags(FILE *out, __u16 flags)
{
	static const char *const names[] = VIGIL_EXE_FLAG_NAMES;
	const char *sep = "";

	fputs(",\"exe_flags\":[", out);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & (1u << i)) {
			fprintf(out, "%s\"%s\"", sep, names[i]);
			sep = ",";
		}
	}
	fputc(']', out);
}

/* "key":id,"name_key":"name" (null when the id has none) */
static void json_id_name(FILE *out, const char *key, __u32 id, const char *name_key,
			 const char *name)
{
	fprintf(out, "\"%s\":%" PRIu32 ",", key, id);
	json_key(out, name_key);
	json_opt_string(out, name);
	fputc(',', out);
}

static void json_process(FILE *out, struct formatter *f, const struct event_view *v)
{
	const struct vigil_task *t = v->ev->task;
	const struct proc *p = v->proc;
	__u64 now = v->ev->time_ns;

	fprintf(out, "{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"ppid\":%" PRIu32 ",", t->pid,
		t->tid, t->ppid);
	json_id_name(out, "uid", t->uid, "user", formatter_user(f, t->uid, now));
	json_id_name(out, "euid", t->euid, "euser", formatter_user(f, t->euid, now));
	json_id_name(out, "gid", t->gid, "group", formatter_group(f, t->gid, now));
	json_key(out, "comm");
	json_string(out, t->comm, strnlen(t->comm, sizeof(t->comm)));
	fputc(',', out);
	json_key(out, "exe");
	json_opt_string(out, p ? p->exe : NULL);
	fputc(',', out);
	json_key(out, "args");
	if (p)
		json_args(out, p->args, p->args_len);
	else
		fputs("[]", out);
	if (p && p->args_truncated)
		fputs(",\"args_truncated\":true", out);
	if (p && p->exe_truncated)
		fputs(",\"exe_truncated\":true", out);
	if (v->ev->type == VIGIL_EV_EXEC && v->ev->exe_flags)
		json_exe_flags(out, v->ev->exe_flags);
	if (v->ev->type == VIGIL_EV_EXEC && v->ev->env_len) {
		fputs(",\"ld_env\":", out);
		json_args(out, v->ev->env, v->ev->env_len);
	}
	fputc(',', out);
	json_key(out, "cwd");
	json_opt_string(out, p ? p->cwd : NULL);
	if (p && p->cwd_truncated)
		fputs(",\"cwd_truncated\":true", out);
	fputc(',', out);
	json_key(out, "cgroup");
	json_opt_string(out, v->cgroup);
	fprintf(out, ",\"cgroup_id\":%" PRIu64 ",", (uint64_t)t->cgroup_id);
	json_key(out, "exec_id");
	json_exec_id(out, t->pid, p ? p->exec_time : t->start_ns);
	if (p && p->from_procfs)
		fputs(",\"from_procfs\":true", out);
	fputc('}', out);
}

static void json_parent(FILE *out, const struct event_view *v)
{
	const struct vigil_task *t = v->ev->task;
	const struct proc *pp = v->parent;

	fprintf(out, "{\"pid\":%" PRIu32 ",", t->ppid);
	json_key(out, "exe");
	json_opt_string(out, pp ? pp->exe : NULL);
	if (pp && pp->exe_truncated)
		fputs(",\"exe_truncated\":true", out);
	fputc(',', out);
	json_key(out, "comm");
	json_opt_string(out, pp ? pp->comm : NULL);
	fputc(',', out);
	json_key(out, "exec_id");
	json_exec_id(out, t->ppid,
		     pp ? pp->exec_time
			: (v->proc ? v->proc->parent_exec_time : t->parent_start_ns));
	if (pp && pp->from_procfs)
		fputs(",\"from_procfs\":true", out);
	fputc('}', out);
}

void format_json_identity(struct formatter *f, const struct agent_identity *id)
{
	FILE *mem = fmemopen(f->identity_json, sizeof(f->identity_json), "w");
	long len;

	f->identity_len = 0;
	if (!mem)
		return;
	fputs(",\"host\":", mem);
	json_opt_string(mem, id->host);
	fputs(",\"boot_id\":", mem);
	json_opt_string(mem, id->boot_id);
	fputs(",\"agent_instance\":", mem);
	json_opt_string(mem, id->instance);
	len = ftell(mem);
	if (!ferror(mem) && len > 0 && len < (long)sizeof(f->identity_json) - 1)
		f->identity_len = len;
	fclose(mem);
}

/* A number without printf: this is on every line. */
static void json_u64(FILE *out, __u64 n)
{
	char digits[20];
	int i = sizeof(digits);

	do {
		digits[--i] = '0' + n % 10;
		n /= 10;
	} while (n);
	fwrite(digits + i, 1, sizeof(digits) - i, out);
}

/* The time is formatted once a second; the nanoseconds are written digit by digit. */
static void json_header(struct formatter *f, __u64 boot_ns, const char *type)
{
	char ns[10];
	__s64 sec;
	long nsec;

	wallclock_real(&f->clock, boot_ns, &sec, &nsec);
	if (sec != f->time_sec) {
		wallclock_utc_seconds(sec, f->time_prefix, sizeof(f->time_prefix));
		f->time_sec = sec;
	}
	for (int i = 8; i >= 0; i--, nsec /= 10)
		ns[i] = '0' + nsec % 10;
	ns[9] = '\0';
	fputs("{\"time\":\"", f->out);
	fputs(f->time_prefix, f->out);
	fputc('.', f->out);
	fputs(ns, f->out);
	fputs("Z\",\"type\":\"", f->out);
	fputs(type, f->out);
	fputs("\",\"seq\":", f->out);
	json_u64(f->out, f->seq);
	fwrite(f->identity_json, 1, f->identity_len, f->out);
}

/*
 * The process, parent and ancestors of an event, as JSON. Floods of events come from one
 * process at a time, and this part is most of each line: it is kept from the last event and
 * written again while the task, its cgroup and the process table are all unchanged.
 */
#define CONTEXT_MAX 65536

struct json_context_cache {
	bool valid;
	struct vigil_task task;
	__u64 proctab_gen;
	char cgroup[256];
	size_t len;
	char text[CONTEXT_MAX];
};

/* One ancestor: its argv cut to ANCESTOR_ARGS_MAX bytes. */
static void json_ancestor(FILE *out, const struct proc *p)
{
	size_t args_len = p->args_len < ANCESTOR_ARGS_MAX ? p->args_len : ANCESTOR_ARGS_MAX;

	fprintf(out, "{\"pid\":%" PRIu32 ",", p->pid);
	json_key(out, "exe");
	json_opt_string(out, p->exe);
	if (p->exe_truncated)
		fputs(",\"exe_truncated\":true", out);
	fputs(",\"args\":", out);
	json_args(out, p->args, args_len);
	if (p->args_truncated || args_len < p->args_len)
		fputs(",\"args_truncated\":true", out);
	if (p->exe_flags)
		json_exe_flags(out, p->exe_flags);
	fputc(',', out);
	json_key(out, "exec_id");
	json_exec_id(out, p->pid, p->exec_time);
	if (p->from_procfs)
		fputs(",\"from_procfs\":true", out);
	fputc('}', out);
}

/*
 * Parent, grandparent, ... up to VIEW_MAX_ANCESTORS of them and ANCESTORS_BYTES_MAX bytes of exe
 * and argv in all; "ancestors_truncated" when either bound cut the chain. A process vigil does not
 * know ends it as {"pid":N,"unknown":true}.
 */
static void json_ancestors(FILE *out, const struct event_view *v)
{
	const struct proc *anc[VIEW_MAX_ANCESTORS], *last = v->proc;
	size_t n = v->proc ? proctab_ancestors(v->procs, v->proc, anc, VIEW_MAX_ANCESTORS) : 0;
	size_t i, bytes = 0;
	bool cut;

	fputs(",\"ancestors\":[", out);
	for (i = 0; i < n; i++) {
		size_t args_len = anc[i]->args_len;

		bytes += strlen(anc[i]->exe) +
			 (args_len < ANCESTOR_ARGS_MAX ? args_len : ANCESTOR_ARGS_MAX);
		if (bytes > ANCESTORS_BYTES_MAX)
			break;
		if (i)
			fputc(',', out);
		json_ancestor(out, anc[i]);
		last = anc[i];
	}
	cut = i < n;
	if (!cut && last && last->ppid && last->ppid != last->pid) {
		if (n == VIEW_MAX_ANCESTORS)
			cut = true; /* more above, beyond the depth bound */
		else if (!proctab_lookup(v->procs, last->ppid))
			fprintf(out, "%s{\"pid\":%" PRIu32 ",\"unknown\":true}", n ? "," : "",
				last->ppid);
	}
	fputc(']', out);
	if (cut)
		fputs(",\"ancestors_truncated\":true", out);
}

static void json_context(FILE *out, struct formatter *f, const struct event_view *v)
{
	fputs(",\"process\":", out);
	json_process(out, f, v);
	fputs(",\"parent\":", out);
	json_parent(out, v);
	json_ancestors(out, v);
	if (v->stdin) {
		fputs(",\"stdin\":", out);
		json_ancestor(out, v->stdin);
	}
}

static bool context_cached(const struct json_context_cache *c, const struct event_view *v)
{
	return c->valid && c->proctab_gen == v->proctab_gen &&
	       !memcmp(&c->task, v->ev->task, sizeof(c->task)) &&
	       !strcmp(c->cgroup, v->cgroup ? v->cgroup : "");
}

static void write_context(struct formatter *f, const struct event_view *v)
{
	struct json_context_cache *c = f->context;
	FILE *mem;
	long len;

	/* exec and fork change the process itself: not worth keeping */
	if (v->ev->type == VIGIL_EV_EXEC || v->ev->type == VIGIL_EV_FORK ||
	    (v->cgroup && strlen(v->cgroup) >= sizeof(c->cgroup))) {
		json_context(f->out, f, v);
		return;
	}
	if (!c && !(c = f->context = calloc(1, sizeof(*c)))) {
		json_context(f->out, f, v);
		return;
	}
	if (!context_cached(c, v)) {
		c->valid = false;
		mem = fmemopen(c->text, sizeof(c->text), "w");
		if (!mem) {
			json_context(f->out, f, v);
			return;
		}
		json_context(mem, f, v);
		len = ftell(mem);
		c->valid = !ferror(mem) && len > 0 && len < (long)sizeof(c->text) - 1;
		fclose(mem);
		if (!c->valid) {
			json_context(f->out, f, v);
			return;
		}
		c->len = len;
		c->task = *v->ev->task;
		c->proctab_gen = v->proctab_gen;
		strcpy(c->cgroup, v->cgroup ? v->cgroup : "");
	}
	fwrite(c->text, 1, c->len, f->out);
}

static void json_verdict(FILE *out, struct formatter *f, const struct event_view *v)
{
	const struct event_verdict *vd = v->verdict;
	char message[MESSAGE_MAX];
	size_t len;

	len = event_message(message, sizeof(message), v,
			    formatter_user(f, v->ev->task->uid, v->ev->time_ns));
	fputs(",\"message\":", out);
	json_string(out, message, len);
	fputs(",\"rule\":{\"id\":", out);
	json_cstring(out, vd->rule_id);
	fputs(",\"severity\":", out);
	json_cstring(out, vd->severity);
	fputs(",\"mitre\":[", out);
	for (size_t i = 0; i < vd->n_mitre; i++) {
		if (i)
			fputc(',', out);
		json_cstring(out, vd->mitre[i]);
	}
	fputs("],\"policy\":", out);
	json_cstring(out, vd->policy);
	fputs(",\"description\":", out);
	json_opt_string(out, vd->description);
	fputs("},\"action\":", out);
	json_cstring(out, vd->action);
	if (vd->mechanism) {
		fputs(",\"mechanism\":", out);
		json_cstring(out, vd->mechanism);
	}
	if (vd->reason) {
		fputs(",\"reason\":", out);
		json_cstring(out, vd->reason);
	}
}

void format_json_event(struct formatter *f, const struct event_view *v)
{
	const struct event *ev = v->ev;
	FILE *out = f->out;

	json_header(f, ev->time_ns, event_type_name(ev->type));
	write_context(f, v);
	if (ev->type == VIGIL_EV_EXIT) {
		fprintf(out,
			",\"exit\":{\"code\":%u,\"signal\":%u,\"core_dumped\":%s,"
			"\"duration_ns\":%" PRIu64 "}",
			(ev->status >> 8) & 0xff, ev->status & 0x7f,
			(ev->status & 0x80) ? "true" : "false", (uint64_t)ev->duration_ns);
	}
	if (event_family_of(ev->type))
		event_family_of(ev->type)->json(out, ev);
	if (v->verdict)
		json_verdict(out, f, v);
	fputs("}\n", out);
}

/* ["open","connect"]: the types of @mask */
static void json_type_list(FILE *out, __u64 mask)
{
	const char *sep = "";

	fputc('[', out);
	for (unsigned int t = 1; t < VIGIL_EV_TYPE_MAX; t++)
		if (mask & 1ull << t && event_type_name(t)) {
			fprintf(out, "%s\"%s\"", sep, event_type_name(t));
			sep = ",";
		}
	fputc(']', out);
}

void json_losses(FILE *out, const struct losses *l, struct formatter *f, __u64 now_ns)
{
	const char *sep = "";

	fprintf(out, "\"throttled\":%" PRIu64 ",\"ring_full\":%" PRIu64 ",\"types\":{",
		(uint64_t)losses_throttled(l), (uint64_t)losses_ring_full(l));
	for (unsigned int t = 1; t < VIGIL_EV_TYPE_MAX; t++) {
		if (!l->throttled[t] && !l->ring_full[t])
			continue;
		fprintf(out, "%s\"%s\":{\"throttled\":%" PRIu64 ",\"ring_full\":%" PRIu64 "}", sep,
			event_type_name(t) ?: "unknown", (uint64_t)l->throttled[t],
			(uint64_t)l->ring_full[t]);
		sep = ",";
	}
	fputs("},\"uids\":[", out);
	for (size_t i = 0; i < l->n_uids; i++) {
		const struct uid_losses *u = &l->uids[i];
		const char *name = u->uid == LOSSES_OTHER_UIDS || !f
					   ? NULL
					   : formatter_user(f, u->uid, now_ns);

		fputs(i ? ",{\"uid\":" : "{\"uid\":", out);
		if (u->uid == LOSSES_OTHER_UIDS)
			fputs("null", out); /* the uids past LOSSES_UIDS_MAX, together */
		else
			fprintf(out, "%u", u->uid);
		if (name) {
			fputs(",\"user\":", out);
			json_cstring(out, name);
		}
		fprintf(out, ",\"throttled\":%" PRIu64 ",\"ring_full\":%" PRIu64 ",\"types\":",
			(uint64_t)u->throttled, (uint64_t)u->ring_full);
		json_type_list(out, u->types);
		fputc('}', out);
	}
	fputc(']', out);
}

void format_json_lost(struct formatter *f, __u64 boot_ns, const struct losses *since, __u64 total)
{
	json_header(f, boot_ns, "lost");
	fprintf(f->out, ",\"lost\":{\"count\":%" PRIu64 ",\"total\":%" PRIu64 ",",
		(uint64_t)since->total, (uint64_t)total);
	json_losses(f->out, since, f, boot_ns);
	fputs("}}\n", f->out);
}
