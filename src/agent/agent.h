/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policies of a running `vigil run`. Files are their one source of truth: the built-in
 * ruleset, the --policy files and directories, and the policy directory, where `vigil policy
 * apply` writes (and `remove` removes) a file before the set is reloaded from files. Also:
 * compiling them into the kernel's watch list, and reloading (SIGHUP, edits seen by inotify).
 */
#ifndef VIGIL_AGENT_AGENT_H
#define VIGIL_AGENT_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "sensors/sensors.h"
#include "policy/engine.h"

#define AGENT_MAX_PATHS 64

/* Where `vigil policy apply` puts policies; $VIGIL_POLICY_DIR names another (tests). */
#define AGENT_POLICY_DIR     "/etc/vigil/policies.d"
#define AGENT_POLICY_DIR_ENV "VIGIL_POLICY_DIR"

struct agent_config {
	const char *paths[AGENT_MAX_PATHS];
	size_t n_paths;
	bool no_defaults;
	/*
	 * Loaded when it exists (its *.yaml and *.yml), where apply writes: root's, writable by
	 * root only. NULL: none (a sandbox's policies are its --policy files only).
	 */
	const char *policy_dir;
	/* watched by --path (trace), kept in the watch list whatever the policies */
	const struct watch_entry *trace_watches;
	size_t n_trace_watches;
	/* judge and enforce only in this cgroup subtree ("/a/b/"; vigil sandbox); NULL: all */
	const char *scope;
	/* at exit, leave the pinned enforcement and shields for the next start to adopt */
	bool keep_enforcement;
};

struct agent;

/* Load the policies (errors printed, -EINVAL when any); nothing is attached yet. */
int agent_new(struct agent **out, const struct agent_config *cfg);
void agent_free(struct agent *a);

struct policy_engine *agent_engine(struct agent *a);
/* The shields the policies put on interfaces (agent/shields.h). */
struct agent_shields *agent_shields(struct agent *a);
/* The watch list for sensors_start(): the policies' and the trace's. */
void agent_watches(const struct agent *a, const struct watch_entry **w, size_t *n);

/* The sensors are running: reload and watch-list refreshes go to them from now on. */
void agent_attach(struct agent *a, struct sensors *sensors);

/* Are exec and file deny rules refused by BPF LSM (rather than killed)? */
bool agent_lsm_active(const struct agent *a);
/* What carries out @r's action on this kernel, in words (docs/policy.md). */
const char *agent_enforced_by(const struct agent *a, const struct rule *r);

/* $VIGIL_POLICY_DIR, else AGENT_POLICY_DIR. */
const char *agent_default_policy_dir(void);

/*
 * Reload the set from its files. On success the new set is in force and 0 is returned; on any
 * error the old one stays, the problems are in @diags, and -EINVAL is returned.
 */
int agent_reload(struct agent *a, struct diags *diags);
/*
 * `vigil policy apply`: @text (read from @from by the client) checked with every other source
 * and, when the whole set is accepted, written to the policy directory as NAME.yaml (replacing
 * the file there) and put in force. Nothing is written when anything is wrong (-EINVAL, @diags).
 * The file written in @written.
 */
int agent_apply(struct agent *a, const char *text, size_t len, const char *from, char *written,
		size_t written_len, struct diags *diags);
/* `vigil policy remove`: the policy directory's file that defines @name removed, in force. */
int agent_remove(struct agent *a, const char *name, char *removed, size_t removed_len,
		 struct diags *diags);
/* The policy in force called @name, or NULL. */
const struct policy *agent_policy(const struct agent *a, const char *name);
/* Where @p comes from: "built-in", "policy directory" or "--policy". */
const char *agent_policy_source(const struct agent *a, const struct policy *p);
/* The policy directory, or NULL. */
const char *agent_policy_dir(const struct agent *a);

/* Reloads: on SIGHUP, on edits, and by `vigil policy apply` and `remove`. */
struct agent_reload_stats {
	__u64 ok, failed; /* failed: rejected, the set in force stayed */
	double last_ok_s; /* when a set was last put in force, the first included (Unix time) */
};

const struct agent_reload_stats *agent_reload_stats(const struct agent *a);

/* Called from the main loop: reload on SIGHUP or edits, refresh the watched inodes. */
void agent_tick(struct agent *a, bool sighup);

#endif
