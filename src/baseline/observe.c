// SPDX-License-Identifier: GPL-2.0
/* Events, live (the stream's judge) or from an events file, as observations (engine.h). */
#include "baseline/engine_int.h"
#include "policy/fields.h"
#include "vigil/ev_file.h"
#include "vigil/ev_kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static bool sshd_ancestor(const struct event_view *v)
{
	const struct proc *anc[VIEW_MAX_ANCESTORS];
	size_t n;

	if (!v->proc || !v->procs)
		return false;
	n = proctab_ancestors(v->procs, v->proc, anc, VIEW_MAX_ANCESTORS);
	for (size_t i = 0; i < n; i++) {
		const char *s = strrchr(anc[i]->exe, '/');

		if (s && !strcmp(s, "/sshd"))
			return true;
	}
	return false;
}

/* The event types a baseline learns from, and the kind of each. */
static const struct {
	const char *type;
	enum bl_kind kind;
} learned_types[] = {
	{ "exec", BL_EXEC },	   { "open", BL_READ /* and/or BL_WRITE, by its access */ },
	{ "unlink", BL_WRITE },	   { "rename", BL_WRITE },
	{ "chmod", BL_WRITE },	   { "chown", BL_WRITE },
	{ "truncate", BL_WRITE },  { "mkdir", BL_WRITE },
	{ "rmdir", BL_WRITE },	   { "link", BL_WRITE },
	{ "symlink", BL_WRITE },   { "setxattr", BL_WRITE },
	{ "connect", BL_CONNECT }, { "listen", BL_LISTEN },
	{ "bind", BL_LISTEN },	   { "setuid", BL_PRIV },
	{ "setgid", BL_PRIV },	   { "capset", BL_PRIV },
	{ "ptrace", BL_PRIV },	   { "module_load", BL_PRIV },
	{ "bpf", BL_PRIV },
};

static int type_kind(const char *type)
{
	for (size_t i = 0; i < sizeof(learned_types) / sizeof(learned_types[0]); i++)
		if (!strcmp(type, learned_types[i].type))
			return learned_types[i].kind;
	return -1;
}

unsigned long long bl_event_mask(void)
{
	unsigned long long mask = 0;

	for (size_t i = 0; i < sizeof(learned_types) / sizeof(learned_types[0]); i++)
		mask |= 1ull << event_type_from_name(learned_types[i].type);
	return mask;
}

/* Observe an open as a read, a write or both. */
static void observe_access(struct bl_engine *e, struct bl_obs *o, bool read, bool write)
{
	if (read) {
		o->kind = BL_READ;
		bl_engine_observe(e, o);
	}
	if (write) {
		o->kind = BL_WRITE;
		bl_engine_observe(e, o);
	}
}

const struct event_verdict *bl_engine_judge(void *ctx, const struct event_view *v)
{
	struct bl_engine *e = ctx;
	const char *type = event_type_name(v->ev->type);
	struct bl_obs o = { .when = time(NULL),
			    .pid = (int)v->ev->task->pid,
			    .ppid = (int)v->ev->task->ppid,
			    .cgroup = v->cgroup,
			    .count = 1 };
	char *buf, value[160];
	struct field_value f;
	int kind = type ? type_kind(type) : -1;

	e->has_verdict = false;
	bl_engine_tick(e, o.when);
	if (kind < 0)
		return NULL;
	o.kind = kind;
	o.count += v->ev->repeats;
	o.exe = v->proc ? v->proc->exe : NULL;
	if (kind == BL_EXEC) {
		/* the program that ran it is the caller: the new image's parent */
		o.value = o.exe;
		o.exe = v->parent ? v->parent->exe : NULL;
		o.pid = o.ppid;
		o.ppid = v->parent ? (int)v->parent->ppid : 0;
		if (v->ev->flags & VIGIL_EXEC_DENIED) /* the caller runs its old image */
			return NULL;
	}
	/* most events are out of scope: leave them before any other work */
	if (!bl_engine_in_scope(e, &o))
		return NULL;
	o.interactive = sshd_ancestor(v);
	buf = e->field_buf;
	if (kind == BL_READ || kind == BL_WRITE) {
		if (field_get(v, FIELD_FILE_PATH, &f, buf) && !f.truncated) {
			char *path = strndup(f.str, f.len);

			o.value = path;
			if (path && v->ev->type == VIGIL_EV_OPEN &&
			    field_get(v, FIELD_FILE_ACCESS, &f, value))
				observe_access(e, &o, f.bits & 1, f.bits & 2);
			else if (path)
				observe_access(e, &o, false, true);
			free(path);
		}
	} else if (kind == BL_CONNECT || kind == BL_LISTEN) {
		bool c = kind == BL_CONNECT;
		struct field_value port;

		if (field_get(v, c ? FIELD_NET_DADDR : FIELD_NET_SADDR, &f, buf) &&
		    field_get(v, c ? FIELD_NET_DPORT : FIELD_NET_SPORT, &port, value) && port.num) {
			bl_net_value(value, sizeof(value), f.addr, (unsigned int)port.num);
			o.value = value;
			bl_engine_observe(e, &o);
		}
	} else if (kind == BL_PRIV) {
		if (v->ev->type == VIGIL_EV_BPF && field_get(v, FIELD_BPF_CMD, &f, buf))
			snprintf(value, sizeof(value), "bpf %.*s", (int)f.len, f.str);
		else
			snprintf(value, sizeof(value), "%s", type);
		o.value = value;
		bl_engine_observe(e, &o);
	} else {
		bl_engine_observe(e, &o);
	}
	return e->has_verdict ? &e->verdict : NULL;
}

static const char *jstr(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, a, &x) || (b && !json_object_object_get_ex(x, b, &x)))
		return NULL;
	return json_object_is_type(x, json_type_string) ? json_object_get_string(x) : NULL;
}

static long long jnum(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, a, &x) || (b && !json_object_object_get_ex(x, b, &x)))
		return 0;
	return json_object_get_int64(x);
}

static bool json_sshd_ancestor(struct json_object *ev)
{
	struct json_object *anc;

	if (!json_object_object_get_ex(ev, "ancestors", &anc) ||
	    !json_object_is_type(anc, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(anc); i++) {
		const char *exe = jstr(json_object_array_get_idx(anc, i), "exe", NULL);
		const char *s = exe ? strrchr(exe, '/') : NULL;

		if (s && !strcmp(s, "/sshd"))
			return true;
	}
	return false;
}

static int observe_json(struct bl_engine *e, struct json_object *ev, time_t since)
{
	const char *type = jstr(ev, "type", NULL), *t = jstr(ev, "time", NULL);
	struct bl_obs o = { .count = 1 };
	struct tm tm = { 0 };
	char value[160];
	int kind;

	if (!type || !t || !strptime(t, "%Y-%m-%dT%H:%M:%S", &tm))
		return -EINVAL;
	o.when = timegm(&tm);
	if (o.when < since)
		return 0;
	kind = type_kind(type);
	if (kind < 0 || jstr(ev, "file", "summary"))
		return 0;
	o.kind = kind;
	o.exe = jstr(ev, "process", "exe");
	o.cgroup = jstr(ev, "process", "cgroup");
	o.pid = (int)jnum(ev, "process", "pid");
	o.interactive = json_sshd_ancestor(ev);
	o.count += jnum(ev, "file", "repeats");
	if (kind == BL_EXEC) {
		o.value = o.exe;
		o.exe = jstr(ev, "parent", "exe");
	} else if (kind == BL_READ || kind == BL_WRITE) {
		const char *access = jstr(ev, "file", "access");

		o.value = jstr(ev, "file", "path");
		if (!o.value || jnum(ev, "file", "path_truncated"))
			return 0;
		if (!strcmp(type, "open"))
			observe_access(e, &o, access && strstr(access, "read"),
				       access && strstr(access, "write"));
		else
			observe_access(e, &o, false, true);
		return 0;
	} else if (kind == BL_CONNECT || kind == BL_LISTEN) {
		bool c = kind == BL_CONNECT;
		const char *addr = jstr(ev, "net", c ? "daddr" : "saddr");
		long long port = jnum(ev, "net", c ? "dport" : "sport");
		unsigned char a[16] = { [10] = 0xff, [11] = 0xff };

		if (!addr || port <= 0 || port > 65535 ||
		    (inet_pton(AF_INET, addr, a + 12) != 1 && inet_pton(AF_INET6, addr, a) != 1))
			return 0;
		bl_net_value(value, sizeof(value), a, (unsigned int)port);
		o.value = value;
	} else if (kind == BL_PRIV) {
		const char *cmd = jstr(ev, "bpf", "cmd");

		snprintf(value, sizeof(value), "%s%s%s", type, cmd ? " " : "", cmd ?: "");
		o.value = value;
	}
	bl_engine_observe(e, &o);
	return 0;
}

int bl_engine_observe_json(struct bl_engine *e, const char *line, time_t since)
{
	struct json_object *ev = json_tokener_parse(line);
	int ret;

	if (!ev || !json_object_is_type(ev, json_type_object)) {
		json_object_put(ev);
		return -EINVAL;
	}
	ret = observe_json(e, ev, since);
	json_object_put(ev);
	return ret;
}
