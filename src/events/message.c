// SPDX-License-Identifier: GPL-2.0
#include "events/message.h"
#include "events/family.h"
#include "events/pathmark.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

/* A line being built in a fixed buffer: what does not fit is dropped, the buffer stays valid. */
struct line {
	char *buf;
	size_t size, len;
};

static void put(struct line *l, const char *s, size_t n)
{
	size_t room = l->size - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

static void putf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct line *l, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/*
 * A value, cut to MESSAGE_VALUE_MAX bytes; a truncated path (its tail after the mark) keeps the
 * mark and its end, which is what is known of it.
 */
static void put_value(struct line *l, const char *s, size_t n)
{
	if (n > MESSAGE_VALUE_MAX &&
	    !strncmp(s, VIGIL_PATH_TRUNCATED_MARK "/", PATH_MARK_LEN + 1)) {
		put(l, s, PATH_MARK_LEN);
		put(l, s + n - (MESSAGE_VALUE_MAX - PATH_MARK_LEN),
		    MESSAGE_VALUE_MAX - PATH_MARK_LEN);
		return;
	}
	put(l, s, n > MESSAGE_VALUE_MAX ? MESSAGE_VALUE_MAX : n);
	if (n > MESSAGE_VALUE_MAX)
		put(l, "...", 3);
}

/* " key=value" */
static void put_field(struct line *l, const char *key, const char *s, size_t n)
{
	putf(l, " %s=", key);
	put_value(l, s, n);
}

static void put_cfield(struct line *l, const char *key, const char *s)
{
	put_field(l, key, s, strlen(s));
}

size_t message_summary(char *buf, size_t size, const char *description)
{
	struct line l = { buf, size, 0 };
	const char *s = description;
	int depth = 0;

	buf[0] = '\0';
	for (; *s; s++) {
		if (*s == '(') {
			depth++;
			while (l.len && buf[l.len - 1] == ' ')
				buf[--l.len] = '\0';
		} else if (*s == ')' && depth) {
			depth--;
		} else if (!depth) {
			/* ": why", "; more", ". Next sentence": the first clause is enough */
			if ((*s == ':' || *s == ';') && (s[1] == ' ' || !s[1]))
				break;
			if (*s == '.' && s[1] == ' ' && s > description && s[-1] != '.')
				break; /* a full stop */
			if (*s == '.' && s[1] == ' ' && isupper((unsigned char)s[2])) {
				put(&l, s, 1);
				break; /* an ellipsis that ends a sentence */
			}
			put(&l, *s == '\n' || *s == '\t' ? " " : s, 1);
		}
	}
	while (l.len && strchr(" ,", buf[l.len - 1]))
		buf[--l.len] = '\0';
	if (l.len > 1 && buf[l.len - 1] == '.' && buf[l.len - 2] != '.')
		buf[--l.len] = '\0';
	return l.len;
}

static void put_args(struct line *l, const struct proc *p)
{
	char cmd[MESSAGE_VALUE_MAX + 1];
	size_t n = p->args_len < sizeof(cmd) - 1 ? p->args_len : sizeof(cmd) - 1;

	/* NUL-separated argv, joined with spaces */
	for (size_t i = 0; i < n; i++)
		cmd[i] = p->args[i] ? p->args[i] : ' ';
	while (n && cmd[n - 1] == ' ')
		n--;
	put_field(l, "command", cmd, n);
	if (p->args_len > sizeof(cmd) - 1 || p->args_truncated)
		put(l, "...", 3);
}

static void put_exe_flags(struct line *l, __u16 flags)
{
	static const char *const names[] = VIGIL_EXE_FLAG_NAMES;
	const char *sep = " flags=";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & (1u << i)) {
			putf(l, "%s%s", sep, names[i]);
			sep = ",";
		}
	}
}

static bool addr_is_zero(const __u8 *a)
{
	static const __u8 zero[16], mapped_zero[16] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, zero, 16) || !memcmp(a, mapped_zero, 16);
}

/* "10.0.0.1:80" or "[fe80::1]:80"; an IPv4 address comes as ::ffff:a.b.c.d */
static void put_endpoint(struct line *l, const char *key, const __u8 *addr, long long port)
{
	static const __u8 v4_prefix[12] = { [10] = 0xff, [11] = 0xff };
	char text[INET6_ADDRSTRLEN];
	bool v4 = !memcmp(addr, v4_prefix, sizeof(v4_prefix));

	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? addr + 12 : addr, text, sizeof(text)))
		return;
	putf(l, v4 ? " %s=%s:%lld" : " %s=[%s]:%lld", key, text, port);
}

/* The object of the event: the file, the peer, the target, what was loaded. */
static void put_object(struct line *l, const struct event_view *v)
{
	static const struct {
		enum field_id id;
		const char *key;
	} strings[] = {
		{ FIELD_FILE_PATH, "file" },
		{ FIELD_FILE_TARGET, "target" },
		{ FIELD_FILE_XATTR, "xattr" },
		{ FIELD_NET_PROTO, "proto" },
		{ FIELD_DNS_NAME, "dns" },
		{ FIELD_MODULE_NAME, "module" },
		{ FIELD_MODULE_PATH, "module_path" },
		{ FIELD_BPF_CMD, "bpf" },
		{ FIELD_BPF_PROG_TYPE, "prog_type" },
		{ FIELD_PTRACE_REQUEST, "request" },
	};
	const struct event_family *fam = event_family_of(v->ev->type);
	struct field_value val, port;
	char buf[FIELD_BUF_SIZE];

	if (!fam || !fam->field)
		return;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		val = (struct field_value){ 0 };
		if (fam->field(v->ev, strings[i].id, &val, buf) && val.str &&
		    (val.len || (val.len = strlen(val.str))))
			put_field(l, strings[i].key, val.str, val.len);
	}
	/* the peer when there is one (connect, accept), else the local end (bind, listen) */
	if (fam->field(v->ev, FIELD_NET_DADDR, &val, buf) && !addr_is_zero(val.addr) &&
	    fam->field(v->ev, FIELD_NET_DPORT, &port, buf))
		put_endpoint(l, "peer", val.addr, port.num);
	else if (fam->field(v->ev, FIELD_NET_SADDR, &val, buf) &&
		 fam->field(v->ev, FIELD_NET_SPORT, &port, buf) &&
		 (!addr_is_zero(val.addr) || port.num))
		put_endpoint(l, "local", val.addr, port.num);
	if (fam->field(v->ev, FIELD_TARGET_PID, &val, buf)) {
		const struct proc *target = proctab_lookup(v->procs, (__u32)val.num);

		putf(l, " target_pid=%lld", val.num);
		if (target && target->exe[0])
			put_cfield(l, "target_exe", target->exe);
	}
	if (fam->field(v->ev, FIELD_CRED_BEFORE_UID, &val, buf) &&
	    fam->field(v->ev, FIELD_CRED_UID, &port, buf))
		putf(l, " uid=%lld->%lld", val.num, port.num);
	if (fam->field(v->ev, FIELD_CRED_BEFORE_GID, &val, buf) &&
	    fam->field(v->ev, FIELD_CRED_GID, &port, buf))
		putf(l, " gid=%lld->%lld", val.num, port.num);
	if (fam->field(v->ev, FIELD_RESULT, &val, buf) && val.num < 0 && val.num > -4096 &&
	    strerrorname_np(-val.num))
		putf(l, " error=%s", strerrorname_np(-val.num));
}

size_t event_message(char *buf, size_t size, const struct event_view *v, const char *user)
{
	const struct vigil_task *t = v->ev->task;
	struct line l = { buf, size, 0 };
	char summary[MESSAGE_VALUE_MAX + 2]; /* one more byte: a longer one is cut */
	size_t n = message_summary(summary, sizeof(summary),
				   v->verdict->description ? v->verdict->description : "");

	buf[0] = '\0';
	if (n)
		put_value(&l, summary, n);
	else
		put(&l, v->verdict->rule_id, strlen(v->verdict->rule_id));
	put(&l, " (process=", 10);
	if (v->proc && v->proc->exe[0])
		put_value(&l, v->proc->exe, strlen(v->proc->exe));
	else
		put_value(&l, t->comm, strnlen(t->comm, sizeof(t->comm)));
	putf(&l, " pid=%" PRIu32, t->pid);
	if (user)
		put_cfield(&l, "user", user);
	else
		putf(&l, " uid=%" PRIu32, t->uid);
	if (v->parent && v->parent->exe[0])
		put_cfield(&l, "parent", v->parent->exe);
	else if (v->parent)
		put_cfield(&l, "parent", v->parent->comm);
	if (v->ev->type == VIGIL_EV_EXEC && v->proc) {
		put_args(&l, v->proc);
		put_exe_flags(&l, v->ev->exe_flags);
	}
	put_object(&l, v);
	put_cfield(&l, "action", v->verdict->action);
	if (v->verdict->reason)
		put_cfield(&l, "reason", v->verdict->reason);
	if (l.len > l.size - 2)
		l.len = l.size - 2; /* full: the closing parenthesis still ends it */
	put(&l, ")", 1);
	return l.len;
}
