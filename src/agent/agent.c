// SPDX-License-Identifier: GPL-2.0
#include "agent/agent.h"
#include "agent/notify.h"
#include "agent/refusals.h"
#include "agent/shields.h"
#include "agent/lb_health.h"
#include "core/log.h"
#include "core/mounts.h"
#include "core/pins.h"
#include "core/writefile.h"
#include "enforce/fanotify.h"
#include "policy/compile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Edits come in bursts (an editor's write, rename, chmod): reload once they settle. */
#define SETTLE_MS	   300
#define MAX_SOURCE_WATCHES (AGENT_MAX_PATHS + 1)

/* An inotify watch on a directory, and which of its files are policy sources. */
struct source_watch {
	int wd;
	char *file; /* a --policy file's name; NULL: every *.yaml / *.yml (a directory) */
};

struct agent {
	struct agent_config cfg;
	char *policy_dir; /* cfg.policy_dir without a trailing '/' */
	struct policy_engine *engine;
	struct sensors *sensors;
	struct watch_list watches; /* the policies' and the trace's */
	struct netdeny *netdeny;   /* NULL: connect denials fall back to kill */
	struct net_deny_list denies;
	struct agent_shields *shields;	   /* the policies' shield: sections, attached */
	struct agent_lb_health *lb_health; /* their balancers' health checks */
	struct lsmdeny *lsmdeny;	   /* NULL: exec and file denials fall back to kill */
	struct lsm_deny_list lsm_denies;
	struct exec_kill_list exec_kills; /* compiled once it is known whether LSM runs */
	struct fandeny *fandeny;	  /* without BPF LSM: opens and execs refused by fanotify */
	struct lsm_deny_list fan_denies;
	int mountinfo_fd; /* POLLPRI when the mount table changes; -1: not followed */
	int inotify_fd;
	struct source_watch sources[MAX_SOURCE_WATCHES];
	size_t n_sources;
	int policy_dir_wd;	    /* -1: not watched */
	char edited[NAME_MAX + 1];  /* the first file edited since the last reload */
	double edit_at, refresh_at; /* CLOCK_MONOTONIC seconds; 0: none pending */
	struct agent_reload_stats reloads;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The balancers' health checks follow the shields in force. */
static void health_follow(struct agent *a)
{
	int err = agent_lb_health_set(a->lb_health, a->shields);

	if (err)
		pr_warn("shield", "cannot start the balancers' health checks: %s", strerror(-err));
}

/* A set was put in force (@err 0), or rejected. */
static int count_reload(struct agent *a, int err)
{
	struct timespec ts;

	if (err) {
		a->reloads.failed++;
		return err;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	a->reloads.last_ok_s = ts.tv_sec + ts.tv_nsec / 1e9;
	a->reloads.ok++;
	return 0;
}

const struct agent_reload_stats *agent_reload_stats(const struct agent *a)
{
	return &a->reloads;
}

const char *agent_default_policy_dir(void)
{
	const char *env = getenv(AGENT_POLICY_DIR_ENV);

	return env && *env ? env : AGENT_POLICY_DIR;
}

const char *agent_policy_dir(const struct agent *a)
{
	return a->policy_dir;
}

static bool same_file(const char *x, const char *y)
{
	struct stat a, b;

	return !stat(x, &a) && !stat(y, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A --policy path that the policy directory loads anyway: the directory, or a policy file of it. */
static bool in_policy_dir(const struct agent *a, const char *path)
{
	const char *base = strrchr(path, '/');
	char dir[PATH_MAX];

	if (same_file(path, a->policy_dir))
		return true;
	if (!base || !policy_file_name(base + 1))
		return false;
	snprintf(dir, sizeof(dir), "%.*s", base == path ? 1 : (int)(base - path), path);
	return same_file(dir, a->policy_dir);
}

/* The policy directory's policies, but its file @skip; none when it does not exist. */
static int add_policy_dir(struct agent *a, struct policy_set *s, const char *skip, struct diags *d)
{
	struct stat st;

	if (stat(a->policy_dir, &st)) {
		if (errno == ENOENT)
			return 0;
		diags_add(d, DIAG_ERROR, a->policy_dir, 0, 0, "cannot open it: %s",
			  strerror(errno));
		return -EINVAL;
	}
	/* what is there is enforced as root: only root may put it there */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || st.st_mode & 022) {
		diags_add(d, DIAG_ERROR, a->policy_dir, 0, 0,
			  "the policy directory must be a directory of root's that only root "
			  "can write to (it is owner uid %u, mode %04o)",
			  (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EINVAL;
	}
	return policy_set_add_dir(s, a->policy_dir, skip, d);
}

/*
 * The set from every source: the built-in ruleset, the --policy paths, and the policy
 * directory without its file @skip (a name) and with @extra (taken): what an apply or a remove
 * would make. NULL on any error (in @d).
 */
static struct policy_set *build(struct agent *a, const char *skip, struct policy *extra,
				struct diags *d)
{
	struct policy_set *s = calloc(1, sizeof(*s));
	int err = 0;

	if (!s) {
		policy_free(extra);
		diags_add(d, DIAG_ERROR, "vigil", 0, 0, "out of memory");
		return NULL;
	}
	if (!a->cfg.no_defaults)
		err = policy_set_add_builtin(s, d);
	for (size_t i = 0; i < a->cfg.n_paths; i++)
		/* named with --policy too: loaded once, as the directory's */
		if (!a->policy_dir || !in_policy_dir(a, a->cfg.paths[i]))
			err = policy_set_add_path(s, a->cfg.paths[i], d) ?: err;
	if (a->policy_dir)
		err = add_policy_dir(a, s, skip, d) ?: err;
	/* last: a clash of names is reported at the new policy, naming the file it clashes with */
	if (extra)
		err = policy_set_add(s, extra) ?: err;
	if (!err)
		err = policy_set_finish(s, d);
	for (size_t i = 0; !err && a->cfg.scope && i < s->n_policies; i++)
		if (s->policies[i]->shield) {
			diags_add(d, DIAG_ERROR, s->policies[i]->file, s->policies[i]->shield->line,
				  s->policies[i]->shield->col,
				  "a sandbox's policies cannot carry a shield: section (a "
				  "shield filters a whole interface, not one command)");
			err = -EINVAL;
		}
	if (err) {
		policy_set_free(s);
		return NULL;
	}
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

static void add_source_watch(struct agent *a, const char *dir, const char *file)
{
	const __u32 mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;
	int wd = inotify_add_watch(a->inotify_fd, dir, mask);
	struct source_watch *w = &a->sources[a->n_sources];

	if (wd < 0) {
		pr_warn("policy", "cannot follow edits of %s: %s", dir, strerror(errno));
		return;
	}
	if (a->n_sources == MAX_SOURCE_WATCHES)
		return;
	w->wd = wd;
	w->file = file ? strdup(file) : NULL;
	if (!file || w->file)
		a->n_sources++;
}

/*
 * Follow each source's edits: a --policy file's own (in its directory: editors replace files),
 * a directory's *.yaml / *.yml. Again after each reload: the policy directory may be new, a
 * directory replaced.
 */
static void watch_sources(struct agent *a)
{
	struct stat st;

	if (a->inotify_fd < 0)
		return;
	for (size_t i = 0; i < a->n_sources; i++)
		free(a->sources[i].file);
	a->n_sources = 0;
	for (size_t i = 0; i < a->cfg.n_paths; i++) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", a->cfg.paths[i]);
		if (stat(dir, &st) || S_ISDIR(st.st_mode)) {
			add_source_watch(a, dir, NULL);
			continue;
		}
		slash = strrchr(dir, '/');
		if (!slash) {
			add_source_watch(a, ".", dir);
			continue;
		}
		*slash = '\0';
		add_source_watch(a, slash == dir ? "/" : dir, slash + 1);
	}
	a->policy_dir_wd = -1;
	if (a->policy_dir && !stat(a->policy_dir, &st)) {
		add_source_watch(a, a->policy_dir, NULL);
		if (a->n_sources)
			a->policy_dir_wd = a->sources[a->n_sources - 1].wd;
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
	a->mountinfo_fd = -1;
	/* before the sensors may make a mount namespace of their own (core/mounts.h) */
	if (!cfg->scope)
		bpffs_ensure();
	a->policy_dir_wd = -1;
	if (cfg->policy_dir) {
		size_t n = strlen(cfg->policy_dir);

		while (n > 1 && cfg->policy_dir[n - 1] == '/')
			n--;
		a->policy_dir = strndup(cfg->policy_dir, n);
	}
	err = policy_engine_new(&a->engine) ?: agent_shields_new(&a->shields)
		?: agent_lb_health_new(&a->lb_health);
	if (!err && cfg->policy_dir && !a->policy_dir)
		err = -ENOMEM;
	if (err)
		goto fail;
	s = build(a, NULL, NULL, &d);
	if (!s) {
		err = -EINVAL;
		goto fail;
	}
	err = compile_watches(a, s, &a->watches) ?: policy_compile_net_denies(s, &a->denies)
		?: policy_compile_lsm_denies(s, &a->lsm_denies)
		?: policy_compile_fanotify_denies(s, &a->fan_denies);
	if (!err)
		err = agent_shields_apply(a->shields, s, &d);
	if (err) {
		policy_set_free(s);
		goto fail;
	}
	diags_print(&d, stderr);
	policy_engine_replace(a->engine, s);
	agent_shields_commit(a->shields);
	health_follow(a);
	/* the first set in force: its time, but no reload */
	count_reload(a, 0);
	a->reloads.ok = 0;
	a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
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
	agent_lb_health_free(a->lb_health); /* before the shields it checks go */
	agent_shields_free(a->shields, a->cfg.keep_enforcement);
	policy_engine_free(a->engine);
	netdeny_stop(a->netdeny, a->cfg.keep_enforcement);
	lsmdeny_stop(a->lsmdeny, a->cfg.keep_enforcement);
	fandeny_stop(a->fandeny);
	watch_list_free(&a->watches);
	net_deny_list_free(&a->denies);
	lsm_deny_list_free(&a->lsm_denies);
	lsm_deny_list_free(&a->fan_denies);
	exec_kill_list_free(&a->exec_kills);
	for (size_t i = 0; i < a->n_sources; i++)
		free(a->sources[i].file);
	free(a->policy_dir);
	if (a->inotify_fd >= 0)
		close(a->inotify_fd);
	if (a->mountinfo_fd >= 0)
		close(a->mountinfo_fd);
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
	err = bpffs_ensure() ?: pin_enforce_dir(what, buf, len) ?: pin_dirs_check(buf);
	if (err) {
		pr_warn("policy", "cannot pin under %s (%s): enforcement ends with this agent",
			pin_root(), strerror(-err));
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

/* Where BPF LSM is missing: opens and execs refused by fanotify, the rest killed. */
static void start_fanotify(struct agent *a)
{
	int err = fandeny_start(&a->fandeny);

	if (!err)
		err = fandeny_set(a->fandeny, a->fan_denies.entries, a->fan_denies.n);
	if (err) {
		pr_warn("policy",
			"no fanotify permission events (%s): open and exec deny rules "
			"kill instead",
			strerror(-err));
		fandeny_stop(a->fandeny);
		a->fandeny = NULL;
	} else {
		pr_info("policy", "open and exec deny rules are refused by fanotify (EPERM before "
				  "the open or exec); the other file deny rules kill instead");
	}
	policy_engine_set_fanotify(a->engine, a->fandeny, a->fandeny ? &a->fan_denies : NULL);
}

void agent_attach(struct agent *a, struct sensors *sensors)
{
	struct sensor_ctx shared = { 0 };
	char dir[PATH_MAX];
	int err = netdeny_start(&a->netdeny, a->cfg.scope, pin_dir(a, "netdeny", dir, sizeof(dir)));

	a->sensors = sensors;
	a->refresh_at = now_s() + WATCH_REFRESH_S;
	/* rules follow mounts made from now on: the kernel's maps and marks are redone at once */
	a->mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (!err)
		err = netdeny_set(a->netdeny, a->denies.entries, a->denies.n);
	if (err) {
		pr_warn("policy", "no cgroup connect hooks (%s): connect deny rules kill instead",
			strerror(-err));
		netdeny_stop(a->netdeny, false);
		a->netdeny = NULL;
	}
	policy_engine_set_net_deny(a->engine, a->netdeny != NULL);

	sensors_shared(sensors, &shared);
	err = lsmdeny_start(&a->lsmdeny, &shared, pin_dir(a, "lsm", dir, sizeof(dir)));
	if (!err)
		err = lsmdeny_set(a->lsmdeny, a->lsm_denies.entries, a->lsm_denies.n);
	if (err) {
		if (err == -EOPNOTSUPP)
			pr_info("policy",
				"no BPF LSM on this kernel (vigil probe says why): exec "
				"and file deny rules fall back to fanotify or a kill (below)");
		else
			pr_warn("policy",
				"BPF LSM programs did not start (%s): exec and file "
				"deny rules fall back to fanotify or a kill (below)",
				strerror(-err));
		lsmdeny_stop(a->lsmdeny, false);
		a->lsmdeny = NULL;
	}
	policy_engine_set_lsm(a->engine, a->lsmdeny ? &a->lsm_denies : NULL);
	if (!a->lsmdeny)
		start_fanotify(a);

	/* the kernel's kills stay beside fanotify: where it refuses, they never come */
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
	if (a->fandeny && policy_fanotify_denies(r))
		return "fanotify (EPERM before the open or exec)";
	if (policy_kernel_denies(r))
		return "cgroup connect hook (EPERM)";
	if (policy_kernel_kills(r))
		return "SIGKILL in the kernel at the open";
	if (policy_exec_kills(r, agent_lsm_active(a)))
		return "SIGKILL in the kernel at exec, before the image runs";
	return "SIGKILL from user space after the event";
}

bool agent_fanotify_stats(const struct agent *a, struct fandeny_stats *out)
{
	if (a->fandeny)
		fandeny_stats(a->fandeny, out);
	return a->fandeny != NULL;
}

bool agent_lsm_active(const struct agent *a)
{
	return a->lsmdeny != NULL;
}

/* Put @s (taken) in force: the kernel's maps, the engine, the shields; or keep the old set. */
static int commit(struct agent *a, struct policy_set *s, struct diags *d)
{
	struct watch_list watches;
	struct net_deny_list denies = { 0 };
	struct lsm_deny_list lsm_denies = { 0 }, fan_denies = { 0 };
	struct exec_kill_list exec_kills = { 0 };
	int err, shield_err;

	err = compile_watches(a, s, &watches);
	if (!err)
		err = policy_compile_net_denies(s, &denies);
	if (!err)
		err = policy_compile_lsm_denies(s, &lsm_denies);
	if (!err)
		err = policy_compile_fanotify_denies(s, &fan_denies);
	if (!err)
		err = policy_compile_exec_kills(s, a->lsmdeny != NULL, &exec_kills);
	if (err) {
		watch_list_free(&watches);
		net_deny_list_free(&denies);
		lsm_deny_list_free(&lsm_denies);
		lsm_deny_list_free(&fan_denies);
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
	if (!err && a->fandeny)
		err = fandeny_set(a->fandeny, fan_denies.entries, fan_denies.n);
	if (!err && a->sensors)
		err = sensors_set_exec_kills(a->sensors, exec_kills.entries, exec_kills.n);
	/* the shields last: a failure there undoes itself, and says where */
	shield_err = err ? 0 : agent_shields_apply(a->shields, s, d);
	if (err || shield_err) {
		if (err)
			diags_add(d, DIAG_ERROR, "reload", 0, 0,
				  "cannot update the kernel's maps: %s", strerror(-err));
		if (a->sensors)
			sensors_set_watches(a->sensors, a->watches.entries, a->watches.n);
		if (a->netdeny)
			netdeny_set(a->netdeny, a->denies.entries, a->denies.n);
		if (a->lsmdeny)
			lsmdeny_set(a->lsmdeny, a->lsm_denies.entries, a->lsm_denies.n);
		if (a->fandeny)
			fandeny_set(a->fandeny, a->fan_denies.entries, a->fan_denies.n);
		if (a->sensors)
			sensors_set_exec_kills(a->sensors, a->exec_kills.entries, a->exec_kills.n);
		watch_list_free(&watches);
		net_deny_list_free(&denies);
		lsm_deny_list_free(&lsm_denies);
		lsm_deny_list_free(&fan_denies);
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
	health_follow(a);
	lsm_deny_list_free(&a->lsm_denies);
	a->lsm_denies = lsm_denies;
	policy_engine_set_lsm(a->engine, a->lsmdeny ? &a->lsm_denies : NULL);
	lsm_deny_list_free(&a->fan_denies);
	a->fan_denies = fan_denies;
	policy_engine_set_fanotify(a->engine, a->fandeny, a->fandeny ? &a->fan_denies : NULL);
	exec_kill_list_free(&a->exec_kills);
	a->exec_kills = exec_kills;
	pr_info("policy", "%zu policies, %zu rules in force", s->n_policies, s->n_rules);
	return 0;
}

int agent_reload(struct agent *a, struct diags *d)
{
	struct policy_set *s = build(a, NULL, NULL, d);
	int err = s ? commit(a, s, d) : -EINVAL;

	/* the edits seen until now are in force; a new directory gets followed */
	a->edit_at = 0;
	a->edited[0] = '\0';
	watch_sources(a);
	return count_reload(a, err);
}

const struct policy *agent_policy(const struct agent *a, const char *name)
{
	const struct policy_set *s = policy_engine_set(a->engine);

	for (size_t i = 0; i < s->n_policies; i++)
		if (!strcmp(s->policies[i]->name, name))
			return s->policies[i];
	return NULL;
}

/* Was @p loaded from the policy directory? */
static bool from_policy_dir(const struct agent *a, const struct policy *p)
{
	size_t n = a->policy_dir ? strlen(a->policy_dir) : 0;

	return n && !strncmp(p->file, a->policy_dir, n) && p->file[n] == '/';
}

const char *agent_policy_source(const struct agent *a, const struct policy *p)
{
	if (!strncmp(p->file, "<built-in>/", 11))
		return "built-in";
	return from_policy_dir(a, p) ? "policy directory" : "--policy";
}

/*
 * Read the pending edits; one of @ignore in the policy directory (what apply or remove just
 * did) is not one. A relevant edit schedules a reload once edits settle.
 */
static void read_edits(struct agent *a, const char *ignore)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while (a->inotify_fd >= 0 && (n = read(a->inotify_fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ie = (const struct inotify_event *)p;
			bool hit = ie->mask & IN_Q_OVERFLOW;

			p += sizeof(*ie) + ie->len;
			for (size_t i = 0; !hit && ie->len && i < a->n_sources; i++)
				hit = a->sources[i].wd == ie->wd &&
				      (a->sources[i].file ? !strcmp(a->sources[i].file, ie->name)
							  : policy_file_name(ie->name));
			if (!hit || (ignore && ie->wd == a->policy_dir_wd && ie->len &&
				     !strcmp(ie->name, ignore)))
				continue;
			if (!a->edited[0])
				snprintf(a->edited, sizeof(a->edited), "%s",
					 ie->len ? ie->name : "many files");
			a->edit_at = now_s() + SETTLE_MS / 1e3;
		}
}

/*
 * Change the policy directory's file @name to @text (NULL: remove it) and put @s (taken, the
 * set checked with that change) in force; on any failure the file is as it was.
 */
static int change_policy_file(struct agent *a, const char *name, const char *text, size_t len,
			      struct policy_set *s, struct diags *d)
{
	char path[PATH_MAX], saved[PATH_MAX];
	bool had = true;
	int err;

	snprintf(path, sizeof(path), "%s/%s", a->policy_dir, name);
	snprintf(saved, sizeof(saved), "%s/.%s.previous", a->policy_dir, name);
	unlink(saved);
	/* what is enforced is root's: the directory 0700, the file 0600 */
	err = make_dir_path(a->policy_dir, 0700);
	/* the file in force until the new set is, kept aside (hidden) to put back */
	if (!err && (text ? link(path, saved) : rename(path, saved))) {
		had = false;
		err = errno == ENOENT && text ? 0 : -errno;
	}
	if (!err && text)
		err = write_file_atomic(a->policy_dir, name, text, len);
	if (err) {
		diags_add(d, DIAG_ERROR, path, 0, 0, "cannot %s it: %s", text ? "write" : "remove",
			  strerror(-err));
		if (had && !text)
			rename(saved, path);
		unlink(saved);
		policy_set_free(s);
		return -EINVAL;
	}
	err = commit(a, s, d);
	if (err && had)
		rename(saved, path);
	else if (err)
		unlink(path);
	unlink(saved);
	/* its own change is no edit to reload for; other edits are */
	read_edits(a, name);
	watch_sources(a);
	return err ? -EINVAL : 0;
}

static int apply_policy(struct agent *a, const char *text, size_t len, const char *from,
			char *written, size_t written_len, struct diags *d)
{
	char name[NAME_MAX + 1];
	struct policy_set *s;
	struct policy *p;

	if (!a->policy_dir) {
		diags_add(d, DIAG_ERROR, from, 0, 0, "this agent has no policy directory");
		return -EINVAL;
	}
	p = policy_parse(text, len, from, d);
	if (!p)
		return -EINVAL;
	if (p->name[0] == '.') {
		diags_add(d, DIAG_ERROR, from, p->line, p->col,
			  "an applied policy is kept as NAME.yaml: a name that starts with '.' "
			  "would be a hidden file, never loaded");
		policy_free(p);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%s.yaml", p->name);
	snprintf(written, written_len, "%s/%s", a->policy_dir, name);
	s = build(a, name, p, d);
	if (!s)
		return -EINVAL;
	/* in force, it is the file it is written to */
	free(p->file);
	p->file = strdup(written);
	if (!p->file) {
		policy_set_free(s);
		return -ENOMEM;
	}
	return change_policy_file(a, name, text, len, s, d);
}

int agent_apply(struct agent *a, const char *text, size_t len, const char *from, char *written,
		size_t written_len, struct diags *d)
{
	return count_reload(a, apply_policy(a, text, len, from, written, written_len, d));
}

static int remove_policy(struct agent *a, const char *name, char *removed, size_t removed_len,
			 struct diags *d)
{
	const struct policy *p = agent_policy(a, name);
	struct policy_set *s;
	const char *base;

	if (!p) {
		diags_add(d, DIAG_ERROR, a->policy_dir ? a->policy_dir : "remove", 0, 0,
			  "no policy named '%s' is in force", name);
		return -EINVAL;
	}
	if (!from_policy_dir(a, p)) {
		diags_add(d, DIAG_ERROR, p->file, 0, 0,
			  "policy '%s' is not one of the policy directory's (%s): remove takes out "
			  "only what apply put in",
			  name, a->policy_dir ? a->policy_dir : "none");
		return -EINVAL;
	}
	snprintf(removed, removed_len, "%s", p->file);
	base = strrchr(removed, '/') + 1;
	s = build(a, base, NULL, d);
	return s ? change_policy_file(a, base, NULL, 0, s, d) : -EINVAL;
}

int agent_remove(struct agent *a, const char *name, char *removed, size_t removed_len,
		 struct diags *d)
{
	return count_reload(a, remove_policy(a, name, removed, removed_len, d));
}

static void reload_logged(struct agent *a, const char *why)
{
	const struct policy_set *s;
	struct diags d = { 0 };
	bool rejected;

	pr_info("policy", "reloading (%s)", why);
	notify_reloading();
	rejected = agent_reload(a, &d);
	if (rejected) {
		diags_print(&d, stderr);
		pr_warn("policy", "the new policies were rejected: the old ones stay in force");
	}
	diags_free(&d);
	s = policy_engine_set(a->engine);
	notify_ready("%zu policies, %zu rules in force (reloaded: %s%s)", s->n_policies, s->n_rules,
		     why, rejected ? "; the new policies were rejected" : "");
}

void agent_report_refusals(struct agent *a, struct stream *s, bool all)
{
	if (a->fandeny)
		refusals_report(a->fandeny, s, all);
}

/* Has the mount table changed since the last look (a mount or umount, here or propagated)? */
static bool mounts_changed(struct agent *a)
{
	struct pollfd p = { .fd = a->mountinfo_fd, .events = POLLPRI };

	return a->mountinfo_fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR));
}

void agent_tick(struct agent *a, bool sighup)
{
	double now = now_s();
	char why[NAME_MAX + 32];

	if (sighup)
		reload_logged(a, "SIGHUP");
	read_edits(a, NULL);
	if (a->edit_at && now >= a->edit_at) {
		snprintf(why, sizeof(why), "%s changed", a->edited);
		reload_logged(a, why);
	}
	if (a->sensors && (now >= a->refresh_at || mounts_changed(a))) {
		/* files replaced (new inodes), created or mounted since: the kernel follows them */
		sensors_set_watches(a->sensors, a->watches.entries, a->watches.n);
		sensors_set_exec_kills(a->sensors, a->exec_kills.entries, a->exec_kills.n);
		if (a->lsmdeny)
			lsmdeny_set(a->lsmdeny, a->lsm_denies.entries, a->lsm_denies.n);
		if (a->fandeny)
			fandeny_set(a->fandeny, a->fan_denies.entries, a->fan_denies.n);
		policy_engine_refresh(a->engine);
		a->refresh_at = now + WATCH_REFRESH_S;
	}
}
