// SPDX-License-Identifier: GPL-2.0
#include "agent/agent.h"
#include "agent/notify.h"
#include "agent/shields.h"
#include "core/log.h"
#include "core/mounts.h"
#include "core/pins.h"
#include "policy/compile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Edits come in bursts (an editor's write, rename, chmod): reload once they settle. */
#define SETTLE_MS 300

struct applied {
	char *name; /* the policy's name */
	char *text;
	size_t len;
};

struct agent {
	struct agent_config cfg;
	struct policy_engine *engine;
	struct sensors *sensors;
	struct watch_list watches; /* the policies' and the trace's */
	struct netdeny *netdeny;   /* NULL: connect denials fall back to kill */
	struct net_deny_list denies;
	struct agent_shields *shields; /* the policies' shield: sections, attached */
	struct lsmdeny *lsmdeny;       /* NULL: exec and file denials fall back to kill */
	struct lsm_deny_list lsm_denies;
	struct exec_kill_list exec_kills; /* compiled once it is known whether LSM runs */
	struct applied *applied;
	size_t n_applied;
	int inotify_fd;
	double edit_at, refresh_at; /* CLOCK_MONOTONIC seconds; 0: none pending */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every source, plus @extra (parsed, not yet applied); NULL on any error. */
static struct policy_set *build(struct agent *a, struct policy *extra, struct diags *d)
{
	struct policy **applied = calloc(a->n_applied + 1, sizeof(*applied));
	struct policy_set *s;
	size_t n = 0;
	int err = 0;

	if (!applied) {
		policy_free(extra);
		return NULL;
	}
	for (size_t i = 0; i < a->n_applied; i++) {
		const struct applied *ap = &a->applied[i];

		if (extra && !strcmp(ap->name, extra->name))
			continue; /* its new version */
		applied[n] = policy_parse(ap->text, ap->len, ap->name, d);
		if (!applied[n++])
			err = -EINVAL;
	}
	if (extra)
		applied[n++] = extra;
	for (size_t i = 0; err && i < n; i++)
		policy_free(applied[i]);
	s = err ? NULL
		: policy_set_load_with(a->cfg.paths, a->cfg.n_paths, !a->cfg.no_defaults, applied,
				       n, d);
	free(applied);
	if (s && a->cfg.scope)
		for (size_t i = 0; i < s->n_policies; i++)
			if (s->policies[i]->shield) {
				diags_add(d, DIAG_ERROR, s->policies[i]->file,
					  s->policies[i]->shield->line, s->policies[i]->shield->col,
					  "a sandbox's policies cannot carry a shield: section (a "
					  "shield filters a whole interface, not one command)");
				policy_set_free(s);
				return NULL;
			}
	if (s)
		s->scope = a->cfg.scope;
	return s;
}

static int compile_watches(struct agent *a, const struct policy_set *s, struct watch_list *out)
{
	int err = policy_compile_watches(s, out);

	for (size_t i = 0; !err && i < a->cfg.n_trace_watches; i++) {
		const struct watch_entry *t = &a->cfg.trace_watches[i];

		err = watch_list_add(out, t->path, strlen(t->path), t->bits, false);
	}
	if (err)
		watch_list_free(out);
	return err;
}

/* Watch each policy path (a directory, or a file's directory) for edits. */
static void watch_sources(struct agent *a)
{
	const __u32 mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;

	a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->inotify_fd < 0)
		return;
	for (size_t i = 0; i < a->cfg.n_paths; i++) {
		char dir[PATH_MAX];
		struct stat st;

		snprintf(dir, sizeof(dir), "%s", a->cfg.paths[i]);
		if (!stat(dir, &st) && !S_ISDIR(st.st_mode)) {
			char *slash = strrchr(dir, '/');

			if (slash)
				*(slash == dir ? slash + 1 : slash) = '\0';
			else
				strcpy(dir, ".");
		}
		if (inotify_add_watch(a->inotify_fd, dir, mask) < 0)
			pr_warn("policy", "cannot follow edits of %s: %s", dir, strerror(errno));
	}
}

int agent_new(struct agent **out, const struct agent_config *cfg)
{
	struct diags d = { 0 };
	struct policy_set *s;
	struct agent *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	a->inotify_fd = -1;
	err = policy_engine_new(&a->engine) ?: agent_shields_new(&a->shields);
	if (err)
		goto fail;
	s = build(a, NULL, &d);
	if (!s) {
		err = -EINVAL;
		goto fail;
	}
	err = compile_watches(a, s, &a->watches) ?: policy_compile_net_denies(s, &a->denies)
		?: policy_compile_lsm_denies(s, &a->lsm_denies);
	if (!err)
		err = agent_shields_apply(a->shields, s, &d);
	if (err) {
		policy_set_free(s);
		goto fail;
	}
	diags_print(&d, stderr);
	policy_engine_replace(a->engine, s);
	agent_shields_commit(a->shields);
	watch_sources(a);
	diags_free(&d);
	*out = a;
	return 0;
fail:
	diags_print(&d, stderr);
	diags_free(&d);
	agent_free(a);
	return err;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	agent_shields_free(a->shields, a->cfg.keep_enforcement);
	policy_engine_free(a->engine);
	netdeny_stop(a->netdeny, a->cfg.keep_enforcement);
	lsmdeny_stop(a->lsmdeny, a->cfg.keep_enforcement);
	watch_list_free(&a->watches);
	net_deny_list_free(&a->denies);
	lsm_deny_list_free(&a->lsm_denies);
	exec_kill_list_free(&a->exec_kills);
	for (size_t i = 0; i < a->n_applied; i++) {
		free(a->applied[i].name);
		free(a->applied[i].text);
	}
	free(a->applied);
	if (a->inotify_fd >= 0)
		close(a->inotify_fd);
	free(a);
}

struct policy_engine *agent_engine(struct agent *a)
{
	return a->engine;
}

struct agent_shields *agent_shields(struct agent *a)
{
	return a->shields;
}

void agent_watches(const struct agent *a, const struct watch_entry **w, size_t *n)
{
	*w = a->watches.entries;
	*n = a->watches.n;
}

/* Where enforcement pins go (a sandbox does not pin: its cgroup ends with it); NULL: none. */
static const char *pin_dir(const struct agent *a, const char *what, char *buf, size_t len)
{
	int err;

	if (a->cfg.scope)
		return NULL;
	err = bpffs_ensure() ?: pin_enforce_dir(what, buf, len);
	if (err) {
		pr_warn("policy", "no bpf filesystem (%s): enforcement ends with this agent",
			strerror(-err));
		return NULL;
	}
	return buf;
}

/*
 * What carries out the enforced rules' actions on this kernel: one line per mechanism, with
 * how many rules and the first of them (vigil status lists every rule).
 */
static void log_enforcement(const struct agent *a)
{
	const struct policy_set *s = policy_engine_set(a->engine);
	struct {
		const char *how, *first;
		size_t n;
	} seen[8] = { 0 };

	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules; j++) {
			const struct rule *r = &s->policies[i]->rules[j];
			const char *how = agent_enforced_by(a, r);
			size_t k = 0;

			if (r->action == ACTION_ALERT || r->policy->mode != MODE_ENFORCE)
				continue;
			while (k < 8 && seen[k].how && strcmp(seen[k].how, how))
				k++;
			if (k == 8)
				continue;
			if (!seen[k].how)
				seen[k] = (typeof(seen[k])){ how, r->id, 0 };
			seen[k].n++;
		}
	for (size_t k = 0; k < 8 && seen[k].how; k++)
		pr_info("policy", "%zu enforced rule%s (%s%s): %s", seen[k].n,
			seen[k].n == 1 ? "" : "s", seen[k].first, seen[k].n == 1 ? "" : ", ...",
			seen[k].how);
}

void agent_attach(struct agent *a, struct sensors *sensors)
{
	char dir[PATH_MAX];
	int err = netdeny_start(&a->netdeny, a->cfg.scope, pin_dir(a, "netdeny", dir, sizeof(dir)));

	a->sensors = sensors;
	a->refresh_at = now_s() + WATCH_REFRESH_S;
	if (!err)
		err = netdeny_set(a->netdeny, a->denies.entries, a->denies.n);
	if (err) {
		pr_warn("policy", "no cgroup connect hooks (%s): connect deny rules kill instead",
			strerror(-err));
		netdeny_stop(a->netdeny, false);
		a->netdeny = NULL;
	}
	policy_engine_set_net_deny(a->engine, a->netdeny != NULL);

	err = lsmdeny_start(&a->lsmdeny, sensors_ringbuf_fd(sensors), sensors_lost_fd(sensors),
			    pin_dir(a, "lsm", dir, sizeof(dir)));
	if (!err)
		err = lsmdeny_set(a->lsmdeny, a->lsm_denies.entries, a->lsm_denies.n);
	if (err) {
		if (err == -EOPNOTSUPP)
			pr_info("policy", "no BPF LSM on this kernel (vigil probe says why): exec "
					  "and file deny rules kill instead");
		else
			pr_warn("policy",
				"BPF LSM programs did not start (%s): exec and file "
				"deny rules kill instead",
				strerror(-err));
		lsmdeny_stop(a->lsmdeny, false);
		a->lsmdeny = NULL;
	}
	policy_engine_set_lsm(a->engine, a->lsmdeny ? &a->lsm_denies : NULL);

	err = policy_compile_exec_kills(policy_engine_set(a->engine), a->lsmdeny != NULL,
					&a->exec_kills)
		      ?: sensors_set_exec_kills(sensors, a->exec_kills.entries, a->exec_kills.n);
	if (err)
		pr_warn("policy",
			"cannot kill at exec in the kernel (%s): exec rules kill from "
			"user space",
			strerror(-err));
	policy_engine_set_exec_kills(a->engine, &a->exec_kills);
	log_enforcement(a);
}

/* What carries out @r's action on this host (docs/policy.md). */
const char *agent_enforced_by(const struct agent *a, const struct rule *r)
{
	if (r->action == ACTION_ALERT)
		return "none";
	if (r->policy->mode == MODE_AUDIT)
		return "none (audit)";
	if (agent_lsm_active(a) && policy_lsm_denies(r))
		return "BPF LSM (EPERM before the operation)";
	if (policy_kernel_denies(r))
		return "cgroup connect hook (EPERM)";
	if (policy_kernel_kills(r))
		return "SIGKILL in the kernel at the open";
	if (policy_exec_kills(r, agent_lsm_active(a)))
		return "SIGKILL in the kernel at exec, before the image runs";
	return "SIGKILL from user space after the event";
}

bool agent_lsm_active(const struct agent *a)
{
	return a->lsmdeny != NULL;
}

static int remember_applied(struct agent *a, const char *name, const char *text, size_t len)
{
	struct applied *ap = NULL;

	for (size_t i = 0; i < a->n_applied; i++)
		if (!strcmp(a->applied[i].name, name))
			ap = &a->applied[i];
	if (!ap) {
		ap = realloc(a->applied, (a->n_applied + 1) * sizeof(*ap));
		if (!ap)
			return -ENOMEM;
		a->applied = ap;
		ap = &ap[a->n_applied++];
		ap->name = strdup(name);
	} else {
		free(ap->text);
	}
	ap->text = strndup(text, len);
	ap->len = len;
	return ap->name && ap->text ? 0 : -ENOMEM;
}

int agent_reload(struct agent *a, const char *text, size_t len, const char *name, struct diags *d)
{
	struct watch_list watches;
	struct net_deny_list denies = { 0 };
	struct lsm_deny_list lsm_denies = { 0 };
	struct exec_kill_list exec_kills = { 0 };
	struct policy *extra = NULL;
	struct policy_set *s;
	int err, shield_err;

	if (text) {
		extra = policy_parse(text, len, name, d);
		if (!extra)
			return -EINVAL;
		name = extra->name;
	}
	s = build(a, extra, d);
	if (!s)
		return -EINVAL;
	err = compile_watches(a, s, &watches);
	if (!err)
		err = policy_compile_net_denies(s, &denies);
	if (!err)
		err = policy_compile_lsm_denies(s, &lsm_denies);
	if (!err)
		err = policy_compile_exec_kills(s, a->lsmdeny != NULL, &exec_kills);
	if (err) {
		watch_list_free(&watches);
		net_deny_list_free(&denies);
		lsm_deny_list_free(&lsm_denies);
		policy_set_free(s);
		return err;
	}
	/* Widen the kernel's watch list first: the new rules never miss an open it filters. */
	if (a->sensors)
		err = sensors_set_watches(a->sensors, watches.entries, watches.n);
	if (!err && a->netdeny)
		err = netdeny_set(a->netdeny, denies.entries, denies.n);
	if (!err && a->lsmdeny)
		err = lsmdeny_set(a->lsmdeny, lsm_denies.entries, lsm_denies.n);
	if (!err && a->sensors)
		err = sensors_set_exec_kills(a->sensors, exec_kills.entries, exec_kills.n);
	/* the shields last: a failure there undoes itself, and says where */
	shield_err = err ? 0 : agent_shields_apply(a->shields, s, d);
	if (!err && !shield_err && text) {
		err = remember_applied(a, name, text, len);
		if (err)
			agent_shields_rollback(a->shields);
	}
	if (err || shield_err) {
		if (err)
			diags_add(d, DIAG_ERROR, name ? name : "reload", 0, 0,
				  "cannot update the kernel's maps: %s", strerror(-err));
		if (a->sensors)
			sensors_set_watches(a->sensors, a->watches.entries, a->watches.n);
		if (a->netdeny)
			netdeny_set(a->netdeny, a->denies.entries, a->denies.n);
		if (a->lsmdeny)
			lsmdeny_set(a->lsmdeny, a->lsm_denies.entries, a->lsm_denies.n);
		if (a->sensors)
			sensors_set_exec_kills(a->sensors, a->exec_kills.entries, a->exec_kills.n);
		watch_list_free(&watches);
		net_deny_list_free(&denies);
		lsm_deny_list_free(&lsm_denies);
		exec_kill_list_free(&exec_kills);
		policy_set_free(s);
		return -EINVAL;
	}
	watch_list_free(&a->watches);
	a->watches = watches;
	net_deny_list_free(&a->denies);
	a->denies = denies;
	/* the engine's view of the LSM list and its rules change together */
	policy_engine_replace(a->engine, s);
	agent_shields_commit(a->shields);
	lsm_deny_list_free(&a->lsm_denies);
	a->lsm_denies = lsm_denies;
	policy_engine_set_lsm(a->engine, a->lsmdeny ? &a->lsm_denies : NULL);
	exec_kill_list_free(&a->exec_kills);
	a->exec_kills = exec_kills;
	pr_info("policy", "%zu policies, %zu rules in force", s->n_policies, s->n_rules);
	return 0;
}

static void reload_logged(struct agent *a, const char *why)
{
	const struct policy_set *s;
	struct diags d = { 0 };
	bool rejected;

	pr_info("policy", "reloading (%s)", why);
	notify_reloading();
	rejected = agent_reload(a, NULL, 0, NULL, &d);
	if (rejected) {
		diags_print(&d, stderr);
		pr_warn("policy", "the new policies were rejected: the old ones stay in force");
	}
	diags_free(&d);
	s = policy_engine_set(a->engine);
	notify_ready("%zu policies, %zu rules in force (reloaded: %s%s)", s->n_policies, s->n_rules,
		     why, rejected ? "; the new policies were rejected" : "");
}

void agent_tick(struct agent *a, bool sighup)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	double now = now_s();

	if (sighup)
		reload_logged(a, "SIGHUP");
	for (ssize_t n; a->inotify_fd >= 0 && (n = read(a->inotify_fd, buf, sizeof(buf))) > 0;) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ie = (const struct inotify_event *)p;

			/* not an editor's swap file or a log in the same directory */
			if (ie->len && policy_file_name(ie->name))
				a->edit_at = now + SETTLE_MS / 1e3;
			p += sizeof(*ie) + ie->len;
		}
	}
	if (a->edit_at && now >= a->edit_at) {
		a->edit_at = 0;
		reload_logged(a, "policy files changed");
	}
	if (a->sensors && now >= a->refresh_at) {
		/* files replaced (new inodes) or created since: the kernel follows them */
		sensors_set_watches(a->sensors, a->watches.entries, a->watches.n);
		sensors_set_exec_kills(a->sensors, a->exec_kills.entries, a->exec_kills.n);
		if (a->lsmdeny)
			lsmdeny_set(a->lsmdeny, a->lsm_denies.entries, a->lsm_denies.n);
		policy_engine_refresh(a->engine);
		a->refresh_at = now + WATCH_REFRESH_S;
	}
}

int agent_inotify_fd(const struct agent *a)
{
	return a->inotify_fd;
}
