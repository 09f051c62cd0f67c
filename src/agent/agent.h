/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policies of a running `vigil run`: where they come from (files, directories, the
 * built-in ruleset, `vigil policy apply`), loading them, compiling them into the kernel's
 * watch list, and live reload (SIGHUP, edits seen by inotify, apply).
 */
#ifndef VIGIL_AGENT_AGENT_H
#define VIGIL_AGENT_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "sensors/sensors.h"
#include "policy/engine.h"

#define AGENT_MAX_PATHS 64

struct agent_config {
	const char *paths[AGENT_MAX_PATHS];
	size_t n_paths;
	bool no_defaults;
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

/*
 * Rebuild the set from its sources, plus @text (a policy sent by `vigil policy apply`, named
 * @name in messages) when not NULL. On success the new set is in force and 0 is returned; on
 * any error the old one stays, the problems are in @diags, and -EINVAL is returned.
 */
int agent_reload(struct agent *a, const char *text, size_t len, const char *name,
		 struct diags *diags);

/* Called from the main loop: reload on SIGHUP or edits, refresh the watched inodes. */
void agent_tick(struct agent *a, bool sighup);
/* An fd to poll for policy file edits, or -1. */
int agent_inotify_fd(const struct agent *a);

#endif
