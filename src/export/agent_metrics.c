// SPDX-License-Identifier: GPL-2.0
/* The agent's own counters as metrics: what it saw, judged, enforced, lost and holds. */
#include "agent/control.h"
#include "core/version.h"
#include "export/collectors.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <sys/utsname.h>

static void info(struct metrics_batch *b, const struct agent_status_ctx *c)
{
	struct utsname u;

	metrics_gauge(b, "vigil_build_info",
		      "vigil's version and the libbpf it runs with (always 1)", 1, "version",
		      vigil_version(), "libbpf", libbpf_version_string(), NULL);
	if (!uname(&u))
		metrics_gauge(b, "vigil_kernel_info", "The running kernel (always 1)", 1, "release",
			      u.release, "version", u.version, "machine", u.machine, NULL);
	metrics_gauge(b, "vigil_start_time_seconds", "When the agent started (Unix time)",
		      c->started_wall_s, NULL);
}

static void events(struct metrics_batch *b, const struct stream_stats *st)
{
	for (unsigned int t = 1; t < VIGIL_EV_TYPE_MAX; t++) {
		const char *name = event_type_name(t);

		if (name)
			metrics_counter(b, "vigil_events_total",
					"Events read from the kernel's ring buffer, by type",
					st->by_type[t], "type", name, NULL);
	}
	metrics_counter(b, "vigil_events_written_total",
			"Events written to the output: those that matched a rule, and those a "
			"trace filter asked for",
			st->written, NULL);
	metrics_counter(b, "vigil_file_opens_folded_total",
			"Repeated identical opens the kernel counted instead of sending "
			"(--aggregate; written as file.repeats)",
			st->folded, NULL);
	metrics_counter(b, "vigil_ringbuf_lost_events_total",
			"Events the kernel dropped: over a uid's --event-budget, or no room in the "
			"ring buffer",
			st->lost, NULL);
	metrics_drops(b, "decode", NULL, st->malformed);
}

/* The kernel's drops by type and by uid (at most LOSSES_UIDS_MAX uids: bounded labels). */
static void kernel_losses(struct metrics_batch *b, const struct losses *l)
{
	static const char by_type[] = "vigil_kernel_dropped_events_total";
	static const char by_uid[] = "vigil_kernel_dropped_events_by_uid_total";
	static const char type_help[] = "Events the kernel dropped, by event type and reason: "
					"budget (over the uid's --event-budget), ring_full";
	static const char uid_help[] = "Events the kernel dropped, by the uid that made them and "
				       "reason; uid=\"other\": the uids past the first 64";
	char uid[16];

	for (unsigned int t = 1; t < VIGIL_EV_TYPE_MAX; t++) {
		const char *name = event_type_name(t);

		if (!name || (!l->throttled[t] && !l->ring_full[t]))
			continue;
		metrics_counter(b, by_type, type_help, l->throttled[t], "type", name, "reason",
				"budget", NULL);
		metrics_counter(b, by_type, type_help, l->ring_full[t], "type", name, "reason",
				"ring_full", NULL);
	}
	for (size_t i = 0; i < l->n_uids; i++) {
		const struct uid_losses *u = &l->uids[i];

		if (u->uid == LOSSES_OTHER_UIDS)
			snprintf(uid, sizeof(uid), "other");
		else
			snprintf(uid, sizeof(uid), "%u", u->uid);
		metrics_counter(b, by_uid, uid_help, u->throttled, "uid", uid, "reason", "budget",
				NULL);
		metrics_counter(b, by_uid, uid_help, u->ring_full, "uid", uid, "reason",
				"ring_full", NULL);
	}
}

static void alerts(struct metrics_batch *b, const struct policy_set *s)
{
	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules; j++) {
			const struct rule *r = &s->policies[i]->rules[j];

			metrics_counter(b, "vigil_alerts_total",
					"Events that matched each rule in force, by its severity",
					r->hits, "rule", r->id, "severity",
					severity_name(r->severity), NULL);
		}
	metrics_gauge(b, "vigil_policies", "Policies in force", s->n_policies, NULL);
	metrics_gauge(b, "vigil_rules", "Rules in force", s->n_rules, NULL);
}

static void enforcement(struct metrics_batch *b, const struct policy_engine_stats *ps)
{
	static const char name[] = "vigil_enforcement_actions_total";
	static const char help[] =
		"Operations refused and processes killed, by outcome and the mechanism that did "
		"it: denied before it happened (bpf_lsm, fanotify, cgroup_connect), killed before "
		"the "
		"process could act (bpf_send_signal), killed after the event or failed to "
		"(user_space)";

	metrics_counter(b, name, help, ps->denied_lsm, "outcome", "denied", "mechanism", "bpf_lsm",
			NULL);
	metrics_counter(b, name, help, ps->denied_fanotify, "outcome", "denied", "mechanism",
			"fanotify", NULL);
	metrics_counter(b, name, help, ps->denied - ps->denied_lsm - ps->denied_fanotify, "outcome",
			"denied", "mechanism", "cgroup_connect", NULL);
	metrics_counter(b, name, help, ps->kills, "outcome", "killed", "mechanism",
			"bpf_send_signal", NULL);
	metrics_counter(b, name, help, ps->kills_after, "outcome", "killed_after", "mechanism",
			"user_space", NULL);
	metrics_counter(b, name, help, ps->kills_failed, "outcome", "kill_failed", "mechanism",
			"user_space", NULL);
}

static void output(struct metrics_batch *b, const struct agent_status_ctx *c)
{
	struct output_stats os;
	__u64 used, size;

	output_stats(c->output, &os);
	metrics_drops(b, "write", "output", os.unwritten);
	metrics_queue(b, "output", METRICS_BYTES, os.queued, os.capacity);
	if (c->sensors && !sensors_ringbuf_usage(c->sensors, &used, &size))
		metrics_queue(b, "ringbuf", METRICS_BYTES, used, size);
}

/* Each sink (sinks/sink.h), named by its URL without query: a label the configuration bounds. */
static void sinks(struct metrics_batch *b, struct sinks *s)
{
	struct sink_stats ss;

	for (size_t i = 0; i < sinks_count(s); i++) {
		sinks_stats(s, i, &ss);
		metrics_drops(b, "queue", ss.name, ss.dropped_queue_full);
		metrics_drops(b, "send", ss.name, ss.failed);
		metrics_queue(b, ss.name, METRICS_EVENTS, ss.depth, ss.capacity);
		metrics_counter(b, "vigil_sink_sent_events_total",
				"Events each sink delivered (or spooled), by sink", ss.sent, "sink",
				ss.name, NULL);
	}
}

static void reloads(struct metrics_batch *b, const struct agent_reload_stats *r)
{
	static const char help[] = "Policy reloads (SIGHUP, edits, vigil policy apply and remove) "
				   "by result; failed: rejected, the policies in force stayed";

	metrics_counter(b, "vigil_policy_reloads_total", help, r->ok, "result", "ok", NULL);
	metrics_counter(b, "vigil_policy_reloads_total", help, r->failed, "result", "failed", NULL);
	metrics_gauge(b, "vigil_policy_last_reload_timestamp_seconds",
		      "When policies were last put in force, at start or by a reload (Unix time)",
		      r->last_ok_s, NULL);
}

void agent_metrics_collect(struct metrics_batch *b, void *ctx)
{
	const struct agent_status_ctx *c = ctx;
	struct policy_engine *engine = agent_engine(c->agent);

	info(b, c);
	events(b, stream_stats(c->stream));
	kernel_losses(b, stream_losses(c->stream));
	alerts(b, policy_engine_set(engine));
	enforcement(b, policy_engine_stats(engine));
	output(b, c);
	sinks(b, c->sinks);
	reloads(b, agent_reload_stats(c->agent));
}
