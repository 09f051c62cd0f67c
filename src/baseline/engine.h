/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The baselines of a directory at work on a stream of observations: learning in the ones that
 * learn, anomaly lines (JSON) for what the others never saw. Fed by live events (the event
 * stream's judge hook) or by an events file that vigil wrote.
 */
#ifndef VIGIL_BASELINE_ENGINE_H
#define VIGIL_BASELINE_ENGINE_H

#include <stdbool.h>
#include <stdio.h>

#include "baseline/baseline.h"
#include "events/format.h"

#define BL_SCOPE_MAX 64

/* Which processes are learned and judged: by exe, by cgroup subtree, or all. */
struct bl_scope {
	const char *exes[BL_SCOPE_MAX];
	size_t n_exes;
	const char *cgroups[BL_SCOPE_MAX]; /* below the cgroup2 root, like /system.slice/x */
	size_t n_cgroups;
	bool all;
};

/* One thing a program did. */
struct bl_obs {
	const char *exe;    /* the program that did it */
	const char *cgroup; /* its cgroup, or NULL */
	enum bl_kind kind;
	const char *value;
	unsigned long long count;
	time_t when;
	int pid, ppid;	  /* the acting process and its parent, for the tty check; 0: gone */
	bool interactive; /* known already: a descendant of sshd */
};

struct bl_engine_opts {
	const char *dir;
	struct bl_scope scope;
	bool learn;	  /* learn in learning baselines, start new ones */
	bool shadow;	  /* check: every anomaly is what enforcing would deny */
	bool network;	  /* shadow: network anomalies count as denials too */
	double quiet_s;	  /* a learning baseline quiet this long moves to monitor */
	size_t fold_min;  /* BASELINE_FOLD_MIN; 0: never fold */
	bool check_tty;	  /* look up the controlling terminal in /proc (live events) */
	bool baselined;	  /* the scope is the programs that have a baseline (the agent's) */
	bool verdicts;	  /* the judge returns an anomaly as the event's verdict (the agent) */
	FILE *out;	  /* anomaly lines; NULL: none */
	const char *name; /* the prefix of messages: "baseline" */
};

struct bl_engine_stats {
	unsigned long long observed, learned, anomalies, would_deny, interactive, out_of_scope;
	unsigned long long unknown_program; /* in scope, no baseline, not learning */
	size_t started, changed;	    /* baselines started; of which for changed binaries */
	size_t to_monitor;		    /* moved to monitor */
};

struct bl_engine;

/* Loads every baseline of opts->dir; a bad file is an error (in @err) and nothing starts. */
int bl_engine_new(struct bl_engine **out, const struct bl_engine_opts *opts, char *err,
		  size_t errlen);
void bl_engine_free(struct bl_engine *e);

void bl_engine_observe(struct bl_engine *e, const struct bl_obs *o);
/* The event stream's judge (stream_config.judge): observes @v, never returns a verdict. */
const struct event_verdict *bl_engine_judge(void *ctx, const struct event_view *v);
/* The event types (bits 1 << type) baselines learn from: what to ask the sensors for. */
unsigned long long bl_event_mask(void);
/* One line of an events file (JSON, as vigil writes it); -EINVAL when it is not one. */
int bl_engine_observe_json(struct bl_engine *e, const char *line, time_t since);

/* Fold, move quiet baselines to monitor, write what changed; 0 or the first -errno. */
int bl_engine_save(struct bl_engine *e);
const struct bl_engine_stats *bl_engine_stats(const struct bl_engine *e);

/* The baselines loaded, for show/diff/export. */
size_t bl_engine_count(const struct bl_engine *e);
struct baseline *bl_engine_get(struct bl_engine *e, size_t i);

#endif
