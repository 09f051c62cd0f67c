// SPDX-License-Identifier: GPL-2.0
/* Privilege events (vigil/ev_priv.h): setuid, setgid, capset, setns, unshare. */
#include "events/family.h"
#include "events/text.h"
#include "vigil/ev_priv.h"

#include <errno.h>
#include <inttypes.h>

static const char *const priv_type_names[] = {
	[VIGIL_EV_SETUID - VIGIL_EV_PRIV_FIRST] = "setuid",
	[VIGIL_EV_SETGID - VIGIL_EV_PRIV_FIRST] = "setgid",
	[VIGIL_EV_CAPSET - VIGIL_EV_PRIV_FIRST] = "capset",
	[VIGIL_EV_SETNS - VIGIL_EV_PRIV_FIRST] = "setns",
	[VIGIL_EV_UNSHARE - VIGIL_EV_PRIV_FIRST] = "unshare",
};

/* As /proc/PID/ns/ names them (pid and time: the *_for_children a call changes) */
static const char *const ns_names[VIGIL_NS_COUNT] = {
	[VIGIL_NS_MNT] = "mnt",	  [VIGIL_NS_UTS] = "uts",   [VIGIL_NS_IPC] = "ipc",
	[VIGIL_NS_NET] = "net",	  [VIGIL_NS_PID] = "pid",   [VIGIL_NS_CGROUP] = "cgroup",
	[VIGIL_NS_USER] = "user", [VIGIL_NS_TIME] = "time",
};

static const char *const setid_syscalls[VIGIL_SYS_SETID_MAX] = {
	[VIGIL_SYS_SETUID] = "setuid",	     [VIGIL_SYS_SETREUID] = "setreuid",
	[VIGIL_SYS_SETRESUID] = "setresuid", [VIGIL_SYS_SETFSUID] = "setfsuid",
	[VIGIL_SYS_SETGID] = "setgid",	     [VIGIL_SYS_SETREGID] = "setregid",
	[VIGIL_SYS_SETRESGID] = "setresgid", [VIGIL_SYS_SETFSGID] = "setfsgid",
};

static int priv_decode(struct event *ev)
{
	switch ((unsigned int)ev->type) {
	case VIGIL_EV_SETUID:
	case VIGIL_EV_SETGID: {
		const struct vigil_setid_event *r = ev->raw;

		if (ev->raw_size < sizeof(*r) || !r->syscall || r->syscall >= VIGIL_SYS_SETID_MAX)
			return -EINVAL;
		/* The syscall must be of the record's kind: a uid syscall in a setgid record lies.
		 */
		if ((r->syscall >= VIGIL_SYS_SETGID) != (ev->type == VIGIL_EV_SETGID))
			return -EINVAL;
		return 0;
	}
	case VIGIL_EV_CAPSET:
		return ev->raw_size < sizeof(struct vigil_capset_event) ? -EINVAL : 0;
	case VIGIL_EV_SETNS:
	case VIGIL_EV_UNSHARE:
		return ev->raw_size < sizeof(struct vigil_ns_event) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static void json_ids(FILE *out, const struct vigil_ids *ids, const char *const names[4])
{
	fprintf(out,
		"{\"%s\":%" PRIu32 ",\"%s\":%" PRIu32 ",\"%s\":%" PRIu32 ",\"%s\":%" PRIu32 "}",
		names[0], ids->real, names[1], ids->eff, names[2], ids->saved, names[3], ids->fs);
}

/* Capability masks as /proc/<pid>/status prints them (capsh --decode reads them). */
static void json_caps(FILE *out, const struct vigil_caps *c)
{
	fprintf(out,
		"{\"effective\":\"%016" PRIx64 "\",\"permitted\":\"%016" PRIx64
		"\",\"inheritable\":\"%016" PRIx64 "\"}",
		(uint64_t)c->effective, (uint64_t)c->permitted, (uint64_t)c->inheritable);
}

/* ["mnt","net"]: the kinds whose bits @mask has */
static void json_ns_kinds(FILE *out, __u32 mask)
{
	const char *sep = "";

	fputc('[', out);
	for (int i = 0; i < VIGIL_NS_COUNT; i++, mask >>= 1)
		if (mask & 1) {
			fprintf(out, "%s\"%s\"", sep, ns_names[i]);
			sep = ",";
		}
	fputc(']', out);
}

static void json_ns_ids(FILE *out, const __u32 ids[VIGIL_NS_COUNT])
{
	for (int i = 0; i < VIGIL_NS_COUNT; i++)
		fprintf(out, "%c\"%s\":%" PRIu32, i ? ',' : '{', ns_names[i], ids[i]);
	fputc('}', out);
}

static void ns_json(FILE *out, const struct vigil_ns_event *r, bool setns)
{
	fprintf(out,
		",\"syscall\":\"%s\",\"result\":%" PRId64 ",\"namespace\":{\"flags\":%" PRIu32
		",\"changed\":",
		setns ? "setns" : "unshare", (int64_t)r->result, r->flags);
	json_ns_kinds(out, r->changed);
	fputs(",\"into_host\":", out);
	json_ns_kinds(out, r->into_host);
	fputs(",\"before\":", out);
	json_ns_ids(out, r->before);
	fputs(",\"after\":", out);
	json_ns_ids(out, r->after);
	fputc('}', out);
}

static void priv_json(FILE *out, const struct event *ev)
{
	static const char *const uids[4] = { "uid", "euid", "suid", "fsuid" };
	static const char *const gids[4] = { "gid", "egid", "sgid", "fsgid" };

	if (ev->type == VIGIL_EV_SETNS || ev->type == VIGIL_EV_UNSHARE) {
		ns_json(out, ev->raw, ev->type == VIGIL_EV_SETNS);
	} else if (ev->type == VIGIL_EV_CAPSET) {
		const struct vigil_capset_event *r = ev->raw;

		fprintf(out, ",\"syscall\":\"capset\",\"result\":%" PRId64 ",\"cred\":{\"before\":",
			(int64_t)r->result);
		json_caps(out, &r->before);
		fputs(",\"after\":", out);
		json_caps(out, &r->after);
		fputc('}', out);
	} else {
		const struct vigil_setid_event *r = ev->raw;
		const char *const *names = ev->type == VIGIL_EV_SETGID ? gids : uids;

		fprintf(out, ",\"syscall\":\"%s\",\"result\":%" PRId64 ",\"cred\":{\"before\":",
			setid_syscalls[r->syscall], (int64_t)r->result);
		json_ids(out, &r->before, names);
		fputs(",\"after\":", out);
		json_ids(out, &r->after, names);
		fputc('}', out);
	}
}

/* "net,mnt" or "-" */
static void text_ns_kinds(FILE *out, __u32 mask)
{
	const char *sep = "";

	if (!mask)
		fputc('-', out);
	for (int i = 0; i < VIGIL_NS_COUNT; i++, mask >>= 1)
		if (mask & 1) {
			fprintf(out, "%s%s", sep, ns_names[i]);
			sep = ",";
		}
}

static void priv_text(FILE *out, const struct event *ev)
{
	if (ev->type == VIGIL_EV_SETNS || ev->type == VIGIL_EV_UNSHARE) {
		const struct vigil_ns_event *r = ev->raw;

		fputs("changed ", out);
		text_ns_kinds(out, r->changed);
		if (r->into_host) {
			fputs(" into the host's ", out);
			text_ns_kinds(out, r->into_host);
		}
		text_result(out, r->result);
	} else if (ev->type == VIGIL_EV_CAPSET) {
		const struct vigil_capset_event *r = ev->raw;

		fprintf(out, "capset eff %" PRIx64 " -> %" PRIx64 " prm %" PRIx64 " -> %" PRIx64,
			(uint64_t)r->before.effective, (uint64_t)r->after.effective,
			(uint64_t)r->before.permitted, (uint64_t)r->after.permitted);
		fprintf(out, " inh %" PRIx64 " -> %" PRIx64, (uint64_t)r->before.inheritable,
			(uint64_t)r->after.inheritable);
		text_result(out, r->result);
	} else {
		const struct vigil_setid_event *r = ev->raw;
		const struct vigil_ids *b = &r->before, *a = &r->after;

		fprintf(out,
			"%s %" PRIu32 "/%" PRIu32 "/%" PRIu32 "/%" PRIu32 " -> %" PRIu32 "/%" PRIu32
			"/%" PRIu32 "/%" PRIu32,
			setid_syscalls[r->syscall], b->real, b->eff, b->saved, b->fs, a->real,
			a->eff, a->saved, a->fs);
		text_result(out, r->result);
	}
}

static bool priv_field(const struct event *ev, enum field_id id, struct field_value *out, char *buf)
{
	const struct vigil_setid_event *r = ev->raw;
	bool uid = ev->type == VIGIL_EV_SETUID;

	(void)buf;
	if (id == FIELD_RESULT) {
		/* result is at the same offset in setid, capset and namespace records */
		out->num = r->result;
		return true;
	}
	if (ev->type == VIGIL_EV_SETNS || ev->type == VIGIL_EV_UNSHARE) {
		const struct vigil_ns_event *ns = ev->raw;

		out->bits = id == FIELD_NS_CHANGED ? ns->changed : ns->into_host;
		return id == FIELD_NS_CHANGED || id == FIELD_NS_INTO_HOST;
	}
	if (ev->type == VIGIL_EV_CAPSET)
		return false;
	switch (id) {
	case FIELD_CRED_UID:
	case FIELD_CRED_GID:
		out->num = r->after.real;
		return uid == (id == FIELD_CRED_UID);
	case FIELD_CRED_EUID:
	case FIELD_CRED_EGID:
		out->num = r->after.eff;
		return uid == (id == FIELD_CRED_EUID);
	case FIELD_CRED_BEFORE_UID:
	case FIELD_CRED_BEFORE_GID:
		out->num = r->before.real;
		return uid == (id == FIELD_CRED_BEFORE_UID);
	case FIELD_CRED_BEFORE_EUID:
	case FIELD_CRED_BEFORE_EGID:
		out->num = r->before.eff;
		return uid == (id == FIELD_CRED_BEFORE_EUID);
	default:
		return false;
	}
}

const struct event_family priv_family = {
	.name = "priv",
	.first = VIGIL_EV_PRIV_FIRST,
	.last = (enum vigil_event_type)VIGIL_EV_PRIV_LAST,
	.type_names = priv_type_names,
	.decode = priv_decode,
	.json = priv_json,
	.text = priv_text,
	.field = priv_field,
};
