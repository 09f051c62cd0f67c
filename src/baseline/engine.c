// SPDX-License-Identifier: GPL-2.0
/* Baselines at work: learning, anomalies, saving (engine.h). */
#include "baseline/engine_int.h"
#include "core/sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Each (program, kind, value) is reported once a run; beyond this many, every time. */
#define REPORTED_MAX 65536
/* Live learning writes what it learned this often, so that a crash loses little. */
#define SAVE_EVERY_S 30

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
	for (size_t i = 0; e->o.learn && i < e->n; i++)
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

static bool in_scope(const struct bl_engine *e, const struct bl_obs *o)
{
	const struct bl_scope *s = &e->o.scope;

	for (size_t i = 0; e->o.baselined && i < e->n; i++)
		if (!strcmp(e->v[i]->program, o->exe))
			return true;
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

bool bl_engine_in_scope(struct bl_engine *e, const struct bl_obs *o)
{
	if (o->exe && in_scope(e, o))
		return true;
	e->st.out_of_scope++;
	return false;
}

void bl_engine_tick(struct bl_engine *e, time_t now)
{
	if (now - e->last_save < SAVE_EVERY_S)
		return;
	e->last_save = now;
	bl_engine_save(e);
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
	if (o->kind == BL_READ || o->kind == BL_WRITE || o->kind == BL_CONNECT)
		seen = sketch_estimate(&b->sketch, o->value);
	for (int k = 0; k < BL_KINDS; k++)
		learned += b->items[k].n;
	baseline_policy_name(b, policy, sizeof(policy));
	if (e->o.verdicts) {
		snprintf(e->policy, sizeof(e->policy), "%s", policy);
		snprintf(e->rule_id, sizeof(e->rule_id), "%s-%s", policy, bl_kind_name(o->kind));
		snprintf(e->reason, sizeof(e->reason),
			 "baseline %s: %s %s: %s (rarity %.3f, nearest %s)", bl_mode_name(b->mode),
			 bl_kind_name(o->kind), o->value, reason,
			 total ? 1.0 - (double)seen / (double)total : 1.0,
			 near ? near->value : "none");
		e->verdict = (struct event_verdict){
			.rule_id = e->rule_id,
			.severity = severity,
			.policy = e->policy,
			.description = "A program did what its baseline never saw",
			.action = "alert",
			.reason = e->reason,
		};
		e->has_verdict = true;
	}
	if (!e->o.out)
		return;
	bl_time_format(o->when, when, sizeof(when));
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
	if (!bl_engine_in_scope(e, o))
		return;
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
