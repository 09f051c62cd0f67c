/* SPDX-License-Identifier: GPL-2.0 */
/* Turning events, with what the process table knows, into JSON lines or text columns. */
#ifndef VIGIL_EVENTS_FORMAT_H
#define VIGIL_EVENTS_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "events/clock.h"
#include "events/event.h"
#include "events/identity.h"
#include "events/idnames.h"
#include "events/losses.h"
#include "events/proctab.h"

/* Bounds of "ancestors" (docs/events.md): how deep, each one's argv, exe and argv of all. */
#define VIEW_MAX_ANCESTORS  32
#define ANCESTOR_ARGS_MAX   256
#define ANCESTORS_BYTES_MAX 8192

/* The rule an event matched and what was done about it, as the formatters print it. */
struct event_verdict {
	const char *rule_id, *severity, *policy;
	const char *description; /* the rule's, for the message; NULL: none */
	char *const *mitre;
	size_t n_mitre;
	const char *action; /* "alert", "killed", "would_kill", ... */
	/* what refused a "denied" operation: "bpf_lsm", "fanotify", ... (static); NULL: none */
	const char *mechanism;
	const char *reason; /* why it matched when not for sure (a truncated path); NULL: none */
};

/* A copy that owns its strings (NULL without memory), and its release. */
struct event_verdict *verdict_dup(const struct event_verdict *v);
void verdict_free(struct event_verdict *v);

/* One event and its context, as the formatters print it. */
struct event_view {
	const struct event *ev;
	const struct proc *proc;   /* the process, NULL when unknown */
	const struct proc *parent; /* its parent, NULL when unknown */
	const struct proc *stdin;  /* exec: the process writing into its stdin pipe, or NULL */
	struct proctab *procs;	   /* for the ancestors, looked up only when written */
	const char *cgroup;	   /* path below the cgroup2 root, NULL when unknown */
	__u64 proctab_gen;	   /* the process table's generation when the view was made */
	const struct event_verdict *verdict; /* NULL: it matched no rule */
};

enum output_format {
	FORMAT_TEXT,
	FORMAT_JSON,
};

struct json_context_cache;

struct formatter {
	enum output_format format;
	FILE *out;
	bool colour;
	bool header_done;
	struct wallclock clock;
	/* JSON: who writes (host, boot, agent instance), as members ready to copy */
	char identity_json[512];
	size_t identity_len;
	__u64 seq;			/* lines written, events and lost records */
	struct idnames *users, *groups; /* NULL without memory: ids without names */
	/* JSON: the last second's time prefix, and the last process context written */
	__s64 time_sec;
	char time_prefix[32];
	struct json_context_cache *context;
};

void formatter_init(struct formatter *f, enum output_format format, FILE *out, bool colour);
void formatter_free(struct formatter *f);
void format_event(struct formatter *f, const struct event_view *v);
/* The name of a user or group (NULL: none), from the formatter's cache; @now_ns: the event's. */
const char *formatter_user(struct formatter *f, __u32 uid, __u64 now_ns);
const char *formatter_group(struct formatter *f, __u32 gid, __u64 now_ns);
/* Records the kernel dropped since the last report, by type and uid (@since), @total in all. */
void format_lost(struct formatter *f, __u64 boot_ns, const struct losses *since, __u64 total);

void format_json_event(struct formatter *f, const struct event_view *v);
/* Keep @id as the members every JSON line carries (f->identity_json). */
void format_json_identity(struct formatter *f, const struct agent_identity *id);
/* "throttled":..,"ring_full":..,"types":{..},"uids":[..] of @l; user names from @f (or none). */
void json_losses(FILE *out, const struct losses *l, struct formatter *f, __u64 now_ns);
void format_json_lost(struct formatter *f, __u64 boot_ns, const struct losses *since, __u64 total);
void format_text_event(struct formatter *f, const struct event_view *v);
void format_text_lost(struct formatter *f, __u64 boot_ns, const struct losses *since, __u64 total);

#endif
