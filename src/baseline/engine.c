// SPDX-License-Identifier: GPL-2.0
/* Baselines at work: learning, anomalies, saving (engine.h). */
#include "baseline/engine.h"
#include "core/sha256.h"
#include "policy/fields.h"
#include "vigil/ev_file.h"
#include "vigil/ev_kernel.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <json-c/json.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HASH_CACHE 256
#define TTY_CACHE  1024
/* Each (program, kind, value) is reported once a run; beyond this many, every time. */
#define REPORTED_MAX 65536
/* Live learning writes what it learned this often, so that a crash loses little. */
#define SAVE_EVERY_S 30

struct hash_entry {
	char *path;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	char hex[65];
};

struct tty_entry {
	int pid;
	unsigned long long start;
	bool tty;
};

struct bl_engine {
	struct bl_engine_opts o;
	struct baseline **v;
	size_t n, cap;
	struct hash_entry hashes[HASH_CACHE];
	size_t next_hash;
	struct tty_entry ttys[TTY_CACHE];
	char **reported; /* open addressing by FNV-1a */
	size_t n_reported;
	struct bl_engine_stats st;
	time_t last_save;
	char field_buf[FIELD_BUF_SIZE]; /* the judge's, for field_get() */
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bl_load_dir(const char *dir, struct baseline ***out, size_t *n, char *err, size_t errlen)
{
	struct baseline **v = NULL;
	char **names = NULL;
	size_t nn = 0, i;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* nothing learned yet */
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **grown;

		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
			continue;
		grown = realloc(names, (nn + 1) * sizeof(*names));
		if (!grown || !(grown[nn] = strdup(de->d_name))) {
			names = grown ?: names;
			ret = -ENOMEM;
			break;
		}
		names = grown;
		nn++;
	}
	closedir(d);
	if (!ret && nn) {
		qsort(names, nn, sizeof(*names), name_cmp);
		v = calloc(nn, sizeof(*v));
		if (!v)
			ret = -ENOMEM;
	}
	for (i = 0; !ret && i < nn; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ret = baseline_load(path, &v[i], err, errlen);
	}
	for (size_t j = 0; j < nn; j++)
		free(names[j]);
	free(names);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		for (size_t j = 0; v && j < nn; j++)
			baseline_free(v[j]);
		free(v);
		return ret;
	}
	*out = v;
	*n = nn;
	return 0;
}

static void quiet_check(struct bl_engine *e, struct baseline *b, time_t now)
{
	if (b->mode != BL_LEARN || e->o.quiet_s <= 0 || difftime(now, b->grown) < e->o.quiet_s)
		return;
	b->mode = BL_MONITOR;
	b->dirty = true;
	e->st.to_monitor++;
	fprintf(stderr, "vigil: %s: %s (sha256 %.12s): nothing new for %.0f s: learn -> monitor\n",
		e->o.name, b->program, b->sha256, difftime(now, b->grown));
}

int bl_engine_new(struct bl_engine **out, const struct bl_engine_opts *opts, char *err,
		  size_t errlen)
{
	struct bl_engine *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	e->o = *opts;
	if (!e->o.name)
		e->o.name = "baseline";
	e->reported = calloc(REPORTED_MAX, sizeof(*e->reported));
	if (!e->reported) {
		free(e);
		return -ENOMEM;
	}
	ret = bl_load_dir(opts->dir, &e->v, &e->n, err, errlen);
	if (ret) {
		bl_engine_free(e);
		return ret;
	}
	e->cap = e->n;
	e->last_save = time(NULL);
	for (size_t i = 0; i < e->n; i++)
		quiet_check(e, e->v[i], e->last_save);
	*out = e;
	return 0;
}

void bl_engine_free(struct bl_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		baseline_free(e->v[i]);
	for (size_t i = 0; i < HASH_CACHE; i++)
		free(e->hashes[i].path);
	for (size_t i = 0; e->reported && i < REPORTED_MAX; i++)
		free(e->reported[i]);
	free(e->reported);
	free(e->v);
	free(e);
}

/* The content hash of @path, cached while its inode, size and mtime stay; NULL: unreadable. */
static const char *exe_hash(struct bl_engine *e, const char *path)
{
	struct hash_entry *h;
	struct stat st;

	if (stat(path, &st))
		return NULL;
	for (size_t i = 0; i < HASH_CACHE; i++) {
		h = &e->hashes[i];
		if (h->path && !strcmp(h->path, path) && h->dev == st.st_dev &&
		    h->ino == st.st_ino && h->size == st.st_size &&
		    h->mtime.tv_sec == st.st_mtim.tv_sec && h->mtime.tv_nsec == st.st_mtim.tv_nsec)
			return h->hex;
	}
	h = &e->hashes[e->next_hash++ % HASH_CACHE];
	free(h->path);
	h->path = strdup(path);
	if (!h->path || sha256_file_hex(path, h->hex)) {
		free(h->path);
		h->path = NULL;
		return NULL;
	}
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	h->size = st.st_size;
	h->mtime = st.st_mtim;
	return h->hex;
}

/*
 * Whether @pid has a controlling terminal: 1 or 0, or -1 when it is gone (its /proc entry, or
 * another process's now). Cached by pid and start time.
 */
static int has_tty(struct bl_engine *e, int pid)
{
	unsigned long long start = 0;
	struct tty_entry *t;
	char path[64], buf[1024], *p;
	int tty_nr = 0;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* after comm: state ppid pgrp session tty_nr ... starttime is the 22nd field */
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu",
			 &tty_nr, &start) != 2)
		return -1;
	t = &e->ttys[pid % TTY_CACHE];
	if (t->pid == pid && t->start == start)
		return t->tty;
	*t = (struct tty_entry){ .pid = pid, .start = start, .tty = tty_nr != 0 };
	return t->tty;
}

/* A process that exited before its events were read is judged by its parent's terminal. */
static bool interactive(struct bl_engine *e, const struct bl_obs *o)
{
	int tty;

	if (o->interactive)
		return true;
	if (!e->o.check_tty)
		return false;
	tty = has_tty(e, o->pid);
	return tty < 0 ? has_tty(e, o->ppid) == 1 : tty;
}

static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	return !strncmp(path, prefix, n) && (!path[n] || path[n] == '/' || n == 1);
}

static bool in_scope(const struct bl_scope *s, const struct bl_obs *o)
{
	if (s->all)
		return true;
	for (size_t i = 0; i < s->n_exes; i++)
		if (!strcmp(s->exes[i], o->exe))
			return true;
	for (size_t i = 0; o->cgroup && i < s->n_cgroups; i++)
		if (under(o->cgroup, s->cgroups[i]))
			return true;
	return false;
}

/* Report (program, kind, value) once a run: true when it was not yet. */
static bool first_report(struct bl_engine *e, const struct baseline *b, enum bl_kind kind,
			 const char *value)
{
	char *key = NULL;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	if (e->n_reported >= REPORTED_MAX / 2 ||
	    asprintf(&key, "%s\n%s\n%d\n%s", b->program, b->sha256, kind, value) < 0)
		return true;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	for (i = h % REPORTED_MAX; e->reported[i]; i = (i + 1) % REPORTED_MAX)
		if (!strcmp(e->reported[i], key)) {
			free(key);
			return false;
		}
	e->reported[i] = key;
	e->n_reported++;
	return true;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ?: ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/*
 * An anomaly line: what was new (@kind, @o->value) for @b, how far from what was learned
 * (@seen: the sketch's estimate of how often the value was seen; rarity 1 - seen/total), the
 * nearest learned item, and what enforcing the baseline would do.
 */
static void report(struct bl_engine *e, struct baseline *b, const struct bl_obs *o,
		   const char *reason, const char *severity, const char *covered_by)
{
	const struct bl_item *near = baseline_nearest(b, o->kind, o->value);
	unsigned long long seen = 0, total = b->sketch.total;
	bool deny = e->o.shadow && (e->o.network || strcmp(bl_kind_category(o->kind), "network"));
	char when[32], policy[128];
	size_t learned = 0;

	if (!first_report(e, b, o->kind, o->value))
		return;
	e->st.anomalies++;
	e->st.would_deny += deny;
	if (!e->o.out)
		return;
	if (o->kind == BL_READ || o->kind == BL_WRITE || o->kind == BL_CONNECT)
		seen = sketch_estimate(&b->sketch, o->value);
	for (int k = 0; k < BL_KINDS; k++)
		learned += b->items[k].n;
	bl_time_format(o->when, when, sizeof(when));
	baseline_policy_name(b, policy, sizeof(policy));
	fprintf(e->o.out, "{\"type\":\"anomaly\",\"time\":\"%s\",\"program\":", when);
	json_str(e->o.out, b->program);
	fprintf(e->o.out, ",\"sha256\":\"%s\",\"baseline\":", b->sha256);
	json_str(e->o.out, b->file);
	fprintf(e->o.out, ",\"mode\":\"%s\",\"kind\":\"%s\",\"category\":\"%s\",\"value\":",
		bl_mode_name(b->mode), bl_kind_name(o->kind), bl_kind_category(o->kind));
	json_str(e->o.out, o->value);
	fprintf(e->o.out, ",\"reason\":");
	json_str(e->o.out, reason);
	fprintf(e->o.out, ",\"seen\":%llu,\"total\":%llu,\"rarity\":%.3f,\"learned_items\":%zu",
		seen, total, total ? 1.0 - (double)seen / (double)total : 1.0, learned);
	fprintf(e->o.out, ",\"nearest\":");
	if (near)
		json_str(e->o.out, near->value);
	else
		fputs("null", e->o.out);
	if (covered_by) {
		fprintf(e->o.out, ",\"covered_by\":");
		json_str(e->o.out, covered_by);
	}
	fprintf(e->o.out, ",\"process\":{\"pid\":%d,\"exe\":", o->pid);
	json_str(e->o.out, o->exe);
	fprintf(e->o.out, ",\"cgroup\":");
	if (o->cgroup)
		json_str(e->o.out, o->cgroup);
	else
		fputs("null", e->o.out);
	fprintf(e->o.out,
		"},\"rule\":{\"id\":\"%s-%s\",\"severity\":\"%s\",\"policy\":\"%s\"},"
		"\"action\":\"%s\"}\n",
		policy, bl_kind_name(o->kind), severity, policy, deny ? "would_deny" : "alert");
	fflush(e->o.out);
}

static struct baseline *find(struct bl_engine *e, const char *exe, const char *sha,
			     struct baseline **same_path)
{
	*same_path = NULL;
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->v[i]->program, exe))
			continue;
		if (!strcmp(e->v[i]->sha256, sha))
			return e->v[i];
		/* the newest other content: the one this replaces */
		if (!*same_path || e->v[i]->created >= (*same_path)->created)
			*same_path = e->v[i];
	}
	return NULL;
}

static struct baseline *start(struct bl_engine *e, const char *exe, const char *sha,
			      const struct baseline *old, time_t now)
{
	struct baseline *b = baseline_new(exe, sha, now);

	if (!b)
		return NULL;
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 16;
		struct baseline **v = realloc(e->v, cap * sizeof(*v));

		if (!v) {
			baseline_free(b);
			return NULL;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = b;
	b->dirty = true;
	e->st.started++;
	if (old) {
		b->replaces = strdup(old->sha256);
		e->st.changed++;
		fprintf(stderr,
			"vigil: %s: %s changed (sha256 %.12s, learned as %.12s in %s): a new "
			"program, learning a fresh baseline\n",
			e->o.name, exe, sha, old->sha256, old->file ? old->file : "memory");
	} else {
		fprintf(stderr, "vigil: %s: learning %s (sha256 %.12s)\n", e->o.name, exe, sha);
	}
	return b;
}

void bl_engine_observe(struct bl_engine *e, const struct bl_obs *o)
{
	struct baseline *b, *other;
	struct bl_item *cover;
	const char *sha;

	if (!o->exe || *o->exe != '/' || !o->value || !*o->value)
		return;
	if (!in_scope(&e->o.scope, o)) {
		e->st.out_of_scope++;
		return;
	}
	/* interactive sessions are nobody's service: neither learned nor judged */
	if (interactive(e, o)) {
		e->st.interactive++;
		return;
	}
	e->st.observed++;
	sha = exe_hash(e, o->exe)
		      ?: "0000000000000000000000000000000000000000000000000000000000000000";
	b = find(e, o->exe, sha, &other);
	/* new content under a baseline that judges: say so, whether or not it is learned */
	if (!b && other && (other->mode != BL_LEARN || e->o.shadow)) {
		struct bl_obs changed = *o;
		char v[96];

		snprintf(v, sizeof(v), "sha256 %s", sha);
		changed.value = v;
		changed.kind = BL_EXEC;
		report(e, other, &changed,
		       "the executable changed since its baseline was learned: nothing is known of "
		       "this content",
		       "high", NULL);
	}
	if (!b && e->o.learn)
		b = start(e, o->exe, sha, other, o->when);
	if (!b) {
		e->st.unknown_program += !other;
		return;
	}
	if (b->mode == BL_LEARN && e->o.learn) {
		e->st.learned += baseline_add(b, o->kind, o->value, o->count, o->when);
		return;
	}
	if (b->mode == BL_LEARN && !e->o.shadow)
		return;
	cover = baseline_covers(b, o->kind, o->value);
	if (!cover) {
		report(e, b, o, "new: not in the baseline", "medium", NULL);
		return;
	}
	/* known through a folded glob only: rare when the sketch never saw this value */
	if (strcmp(cover->value, o->value) && (o->kind == BL_READ || o->kind == BL_WRITE) &&
	    b->sketch.total && !sketch_estimate(&b->sketch, o->value) && !e->o.shadow)
		report(e, b, o, "rare: allowed by a folded glob, but never seen itself", "low",
		       cover->value);
}

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

/* The kind of an event type, and whether it names a file, a peer or a privilege. */
static int type_kind(const char *type)
{
	static const char *const writes[] = { "unlink", "rename", "chmod", "chown",   "truncate",
					      "mkdir",	"rmdir",  "link",  "symlink", "setxattr" };
	static const char *const privs[] = { "setuid", "setgid",      "capset",
					     "ptrace", "module_load", "bpf" };

	if (!strcmp(type, "exec"))
		return BL_EXEC;
	if (!strcmp(type, "open"))
		return BL_READ; /* and/or BL_WRITE, by its access */
	if (!strcmp(type, "connect"))
		return BL_CONNECT;
	if (!strcmp(type, "listen") || !strcmp(type, "bind"))
		return BL_LISTEN;
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (!strcmp(type, writes[i]))
			return BL_WRITE;
	for (size_t i = 0; i < sizeof(privs) / sizeof(privs[0]); i++)
		if (!strcmp(type, privs[i]))
			return BL_PRIV;
	return -1;
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

static void maybe_save(struct bl_engine *e, time_t now)
{
	if (now - e->last_save < SAVE_EVERY_S)
		return;
	e->last_save = now;
	bl_engine_save(e);
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

	maybe_save(e, o.when);
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
	if (!o.exe || !in_scope(&e->o.scope, &o)) {
		e->st.out_of_scope++;
		return NULL;
	}
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
	return NULL;
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

int bl_engine_save(struct bl_engine *e)
{
	time_t now = time(NULL);
	int ret = 0;

	for (size_t i = 0; i < e->n; i++) {
		struct baseline *b = e->v[i];
		int err;

		if (e->o.learn)
			quiet_check(e, b, now);
		if (b->mode == BL_LEARN && e->o.fold_min)
			baseline_fold(b, e->o.fold_min);
		if (!b->dirty)
			continue;
		err = baseline_save(b, e->o.dir);
		if (err) {
			fprintf(stderr, "vigil: %s: cannot write the baseline of %s in %s: %s\n",
				e->o.name, b->program, e->o.dir, strerror(-err));
			ret = ret ?: err;
		}
	}
	return ret;
}

const struct bl_engine_stats *bl_engine_stats(const struct bl_engine *e)
{
	return &e->st;
}

size_t bl_engine_count(const struct bl_engine *e)
{
	return e->n;
}

struct baseline *bl_engine_get(struct bl_engine *e, size_t i)
{
	return i < e->n ? e->v[i] : NULL;
}
