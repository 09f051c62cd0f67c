// SPDX-License-Identifier: GPL-2.0
/* What the running agent answers on its control socket: status, apply and stop. */
#include "agent/agent.h"
#include "agent/control.h"
#include "agent/shields.h"
#include "enforce/fanotify.h"
#include "core/log.h"
#include "events/json.h"
#include "core/log.h"
#include "policy/compile.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct shield_out {
	FILE *out;
	size_t n;
};

static void shield_json(void *ctx, const char *ifname, const char *mode, const char *policy)
{
	struct shield_out *so = ctx;

	fputs(so->n++ ? ",{\"ifname\":" : "{\"ifname\":", so->out);
	json_cstring(so->out, ifname);
	fprintf(so->out, ",\"mode\":\"%s\",\"policy\":", mode);
	json_cstring(so->out, policy);
	fputc('}', so->out);
}

static void shield_text(void *ctx, const char *ifname, const char *mode, const char *policy)
{
	struct shield_out *so = ctx;

	fprintf(so->out, "%s%s (%s, policy %s)", so->n++ ? ", " : "shields: ", ifname, mode,
		policy);
}

/* The guard's refusals so far; false when the agent is not protected. */
static bool guard_refusals(const struct agent_status_ctx *c, struct guard_stats *st)
{
	return c->guard && c->guard->guard && !guard_stats(c->guard->guard, st);
}

static void guard_json(const struct agent_status_ctx *c, FILE *out)
{
	struct guard_stats st;
	bool on = guard_refusals(c, &st);

	fprintf(out, ",\"tamper_protection\":{\"active\":%s,\"state\":", on ? "true" : "false");
	json_cstring(out, c->guard ? c->guard->state : "not started");
	if (on)
		fprintf(out,
			",\"protected_bpf_objects\":%zu,\"refused\":{\"ptrace\":%" PRIu64
			",\"signal\":%" PRIu64 ",\"bpf_fd\":%" PRIu64 ",\"unpin\":%" PRIu64 "}",
			st.protected_ids, (uint64_t)st.refused[VIGIL_GUARD_DENY_PTRACE],
			(uint64_t)st.refused[VIGIL_GUARD_DENY_SIGNAL],
			(uint64_t)st.refused[VIGIL_GUARD_DENY_BPF_FD],
			(uint64_t)st.refused[VIGIL_GUARD_DENY_UNPIN]);
	fputc('}', out);
}

/* Where BPF LSM is missing: what fanotify holds and has answered. */
static void fanotify_text(const struct agent_status_ctx *c, FILE *out)
{
	struct fandeny_stats st;

	if (!agent_fanotify_stats(c->agent, &st))
		return;
	fprintf(out,
		"fanotify: %zu files, %zu directories, %zu file systems marked; %" PRIu64
		" opens and execs answered, %" PRIu64 " refused, %" PRIu64 " answers failed\n",
		st.files, st.dirs, st.filesystems, (uint64_t)st.events, (uint64_t)st.denied,
		(uint64_t)st.failed);
}

static void fanotify_json(const struct agent_status_ctx *c, FILE *out)
{
	struct fandeny_stats st;

	if (!agent_fanotify_stats(c->agent, &st)) {
		fputs(",\"fanotify\":null", out);
		return;
	}
	fprintf(out,
		",\"fanotify\":{\"files\":%zu,\"directories\":%zu,\"filesystems\":%zu,"
		"\"answered\":%" PRIu64 ",\"refused\":%" PRIu64 ",\"failed\":%" PRIu64 "}",
		st.files, st.dirs, st.filesystems, (uint64_t)st.events, (uint64_t)st.denied,
		(uint64_t)st.failed);
}

static void guard_text(const struct agent_status_ctx *c, FILE *out)
{
	struct guard_stats st;

	if (!guard_refusals(c, &st)) {
		fprintf(out, "tamper protection: none (%s)\n",
			c->guard ? c->guard->state : "not started");
		return;
	}
	fprintf(out,
		"tamper protection: active (BPF LSM), %zu BPF objects protected; refused: %" PRIu64
		" ptrace, %" PRIu64 " signals, %" PRIu64 " BPF fds, %" PRIu64 " unpins\n",
		st.protected_ids, (uint64_t)st.refused[VIGIL_GUARD_DENY_PTRACE],
		(uint64_t)st.refused[VIGIL_GUARD_DENY_SIGNAL],
		(uint64_t)st.refused[VIGIL_GUARD_DENY_BPF_FD],
		(uint64_t)st.refused[VIGIL_GUARD_DENY_UNPIN]);
}

/* Where events go, and what could not be written there. */
static void output_json(const struct agent_status_ctx *c, FILE *out)
{
	struct output_stats os;

	output_stats(c->output, &os);
	fputs(",\"output\":{\"path\":", out);
	if (os.path)
		json_cstring(out, os.path);
	else
		fputs("null", out);
	fprintf(out, ",\"unwritten\":%" PRIu64 ",\"error\":", os.unwritten);
	if (os.error)
		json_cstring(out, strerror(os.error));
	else
		fputs("null", out);
	fputc('}', out);
}

static void output_text(const struct agent_status_ctx *c, FILE *out)
{
	struct output_stats os;

	output_stats(c->output, &os);
	fprintf(out, "output: %s, %" PRIu64 " events not written%s%s\n",
		os.path ? os.path : "standard output", os.unwritten,
		os.error ? "; writing fails: " : "", os.error ? strerror(os.error) : "");
}

/* Each sink: what it took, delivered and missed (sinks/sink.h). */
static void sinks_json(const struct agent_status_ctx *c, FILE *out)
{
	struct sink_stats ss;

	fputs(",\"sinks\":[", out);
	for (size_t i = 0; i < sinks_count(c->sinks); i++) {
		sinks_stats(c->sinks, i, &ss);
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		json_cstring(out, ss.name);
		fputs(",\"scheme\":", out);
		json_cstring(out, ss.scheme);
		fprintf(out,
			",\"queued\":%" PRIu64 ",\"sent\":%" PRIu64
			",\"dropped_queue_full\":%" PRIu64 ",\"failed\":%" PRIu64
			",\"depth\":%" PRIu64 ",\"capacity\":%" PRIu64 ",\"error\":",
			ss.queued, ss.sent, ss.dropped_queue_full, ss.failed, ss.depth,
			ss.capacity);
		if (ss.error)
			json_cstring(out, strerror(ss.error));
		else
			fputs("null", out);
		fputs(",\"counters\":{", out);
		for (size_t j = 0; j < ss.n_counters; j++) {
			if (j)
				fputc(',', out);
			json_cstring(out, ss.counters[j].name);
			fprintf(out, ":%" PRIu64, ss.counters[j].value);
		}
		fputs("}}", out);
	}
	fputc(']', out);
}

static void sinks_text(const struct agent_status_ctx *c, FILE *out)
{
	struct sink_stats ss;

	for (size_t i = 0; i < sinks_count(c->sinks); i++) {
		sinks_stats(c->sinks, i, &ss);
		fprintf(out,
			"sink %s: %" PRIu64 " sent, %" PRIu64 " dropped (queue full), %" PRIu64
			" failed, %" PRIu64 "/%" PRIu64 " queued",
			ss.name, ss.sent, ss.dropped_queue_full, ss.failed, ss.depth, ss.capacity);
		for (size_t j = 0; j < ss.n_counters; j++)
			fprintf(out, ", %" PRIu64 " %s", ss.counters[j].value, ss.counters[j].name);
		fprintf(out, "%s%s\n", ss.error ? "; failing: " : "",
			ss.error ? strerror(ss.error) : "");
	}
}

/* What `vigil status` asked to see: the request's body, a line per option. */
struct status_filter {
	bool all;	    /* every rule, not only those with hits or enforced */
	const char *policy; /* only this policy; NULL: all */
	const char *rule;   /* only rules whose id contains this; NULL: all */
};

/* @body (changed in place): lines "all", "policy NAME", "rule TEXT". */
static void parse_filter(char *body, struct status_filter *f)
{
	for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strcmp(line, "all"))
			f->all = true;
		else if (!strncmp(line, "policy ", 7))
			f->policy = line + 7;
		else if (!strncmp(line, "rule ", 5))
			f->rule = line + 5;
	}
}

static bool policy_shown(const struct status_filter *f, const struct policy *p)
{
	return !f->policy || !strcmp(f->policy, p->name);
}

/* By default: the rules with hits, and those that act (a filter or --all: every one). */
static bool rule_shown(const struct agent_status_ctx *c, const struct status_filter *f,
		       const struct rule *r)
{
	if (!policy_shown(f, r->policy) || (f->rule && !strstr(r->id, f->rule)))
		return false;
	return f->all || f->policy || f->rule || r->hits ||
	       strncmp(agent_enforced_by(c->agent, r), "none", 4);
}

static const char *source_text(const struct agent_status_ctx *c, const struct policy *p)
{
	const char *src = agent_policy_source(c->agent, p);

	return strcmp(src, "built-in") ? p->file : src;
}

static void status_json(const struct agent_status_ctx *c, const struct status_filter *f, FILE *out)
{
	const struct policy_set *s = policy_engine_set(agent_engine(c->agent));
	const struct policy_engine_stats *ps = policy_engine_stats(agent_engine(c->agent));
	const struct stream_stats *st = stream_stats(c->stream);
	const char *dir = agent_policy_dir(c->agent);
	struct timespec now;
	size_t shown = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(out,
		"{\"pid\":%d,\"uptime_s\":%.0f,\"events\":{\"seen\":%" PRIu64 ",\"shown\":%" PRIu64
		",\"lost\":%" PRIu64 ",\"malformed\":%" PRIu64 "},\"matched\":%" PRIu64
		",\"denied\":%" PRIu64 ",\"killed\":%" PRIu64 ",\"killed_after\":%" PRIu64
		",\"kill_failed\":%" PRIu64 ",\"policy_dir\":",
		c->pid, now.tv_sec + now.tv_nsec / 1e9 - c->started_s, (uint64_t)st->records,
		(uint64_t)st->written, (uint64_t)st->lost, (uint64_t)st->malformed,
		(uint64_t)ps->alerts, (uint64_t)ps->denied, (uint64_t)ps->kills,
		(uint64_t)ps->kills_after, (uint64_t)ps->kills_failed);
	if (dir)
		json_cstring(out, dir);
	else
		fputs("null", out);
	/* events.lost, by type and uid */
	fputs(",\"losses\":{", out);
	json_losses(out, stream_losses(c->stream), NULL, 0);
	fputc('}', out);
	fanotify_json(c, out);
	fputs(",\"policies\":[", out);
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct policy *p = s->policies[i];
		size_t n = 0;

		if (!policy_shown(f, p))
			continue;
		fputs(shown++ ? ",{\"name\":" : "{\"name\":", out);
		json_cstring(out, p->name);
		fputs(",\"file\":", out);
		json_cstring(out, p->file);
		fprintf(out, ",\"source\":\"%s\",\"mode\":\"%s\",\"rules\":[",
			agent_policy_source(c->agent, p),
			p->mode == MODE_ENFORCE ? "enforce" : "audit");
		for (size_t j = 0; j < p->n_rules; j++) {
			const struct rule *r = &p->rules[j];

			if (!rule_shown(c, f, r))
				continue;
			fputs(n++ ? ",{\"id\":" : "{\"id\":", out);
			json_cstring(out, r->id);
			fprintf(out,
				",\"severity\":\"%s\",\"action\":\"%s\",\"enforced_by\":\"%s\","
				"\"hits\":%" PRIu64 "}",
				severity_name(r->severity), action_name(r->action),
				agent_enforced_by(c->agent, r), (uint64_t)r->hits);
		}
		fputs("]}", out);
	}
	fputs("],\"shields\":[", out);
	agent_shields_each(agent_shields(c->agent), shield_json, &(struct shield_out){ out, 0 });
	fputc(']', out);
	guard_json(c, out);
	output_json(c, out);
	sinks_json(c, out);
	fputs("}\n", out);
}

static int widen(int w, const char *s)
{
	int n = (int)strlen(s);

	return n > w ? n : w;
}

/* @w, or the width of @v printed if wider */
static int widen_u64(int w, uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n > w ? n : w;
}

/* One line per policy shown: columns as wide as their widest value. */
static void policies_table(const struct agent_status_ctx *c, const struct status_filter *f,
			   FILE *out)
{
	const struct policy_set *s = policy_engine_set(agent_engine(c->agent));
	int wname = 6, wrules = 5, whits = 4;

	for (int print = 0; print < 2; print++) {
		if (print)
			fprintf(out, "%-*s %-7s %*s %*s %s\n", wname, "POLICY", "MODE", wrules,
				"RULES", whits, "HITS", "SOURCE");
		for (size_t i = 0; i < s->n_policies; i++) {
			const struct policy *p = s->policies[i];
			uint64_t hits = 0;

			if (!policy_shown(f, p))
				continue;
			for (size_t j = 0; j < p->n_rules; j++)
				hits += p->rules[j].hits;
			if (print)
				fprintf(out, "%-*s %-7s %*zu %*" PRIu64 " %s\n", wname, p->name,
					p->mode == MODE_ENFORCE ? "enforce" : "audit", wrules,
					p->n_rules, whits, hits, source_text(c, p));
			wname = widen(wname, p->name);
			wrules = widen_u64(wrules, p->n_rules);
			whits = widen_u64(whits, hits);
		}
	}
}

/* The rules shown, columns as wide as their widest value; how many. */
static size_t rules_table(const struct agent_status_ctx *c, const struct status_filter *f,
			  FILE *out)
{
	const struct policy_set *s = policy_engine_set(agent_engine(c->agent));
	int whits = 4, wrule = 4, wsev = 8, waction = 6, wpolicy = 6;
	size_t n = 0;

	for (int print = 0; print < 2; print++) {
		if (print && !n)
			return 0;
		if (print)
			fprintf(out, "%-*s %-7s %-*s %-*s %-*s %-*s %s\n", whits, "HITS", "MODE",
				wrule, "RULE", wsev, "SEVERITY", waction, "ACTION", wpolicy,
				"POLICY", "ENFORCED BY");
		for (size_t i = 0; i < s->n_policies; i++)
			for (size_t j = 0; j < s->policies[i]->n_rules; j++) {
				const struct rule *r = &s->policies[i]->rules[j];

				if (!rule_shown(c, f, r))
					continue;
				if (print) {
					fprintf(out, "%-*" PRIu64 " %-7s %-*s %-*s %-*s %-*s %s\n",
						whits, (uint64_t)r->hits,
						r->policy->mode == MODE_ENFORCE ? "enforce"
										: "audit",
						wrule, r->id, wsev, severity_name(r->severity),
						waction, action_name(r->action), wpolicy,
						r->policy->name, agent_enforced_by(c->agent, r));
					continue;
				}
				n++;
				whits = widen_u64(whits, r->hits);
				wrule = widen(wrule, r->id);
				wsev = widen(wsev, severity_name(r->severity));
				waction = widen(waction, action_name(r->action));
				wpolicy = widen(wpolicy, r->policy->name);
			}
	}
	return n;
}

static void status_text(const struct agent_status_ctx *c, const struct status_filter *f, FILE *out)
{
	const struct policy_set *s = policy_engine_set(agent_engine(c->agent));
	const struct policy_engine_stats *ps = policy_engine_stats(agent_engine(c->agent));
	const struct stream_stats *st = stream_stats(c->stream);
	const char *dir = agent_policy_dir(c->agent);
	struct shield_out so;
	struct timespec now;
	size_t n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(out,
		"agent: pid %d, up %.0f s\n"
		"events: %" PRIu64 " seen, %" PRIu64 " written; lost: %" PRIu64
		" in the kernel, %" PRIu64 " undecodable\n"
		"rules: %zu in %zu policies; %" PRIu64 " events matched\n"
		"enforcement: %" PRIu64 " operations denied, %" PRIu64
		" processes killed before they could act, %" PRIu64
		" killed after the fact, %" PRIu64 " kills failed\n",
		c->pid, now.tv_sec + now.tv_nsec / 1e9 - c->started_s, (uint64_t)st->records,
		(uint64_t)st->written, (uint64_t)st->lost, (uint64_t)st->malformed, s->n_rules,
		s->n_policies, (uint64_t)ps->alerts, (uint64_t)ps->denied, (uint64_t)ps->kills,
		(uint64_t)ps->kills_after, (uint64_t)ps->kills_failed);
	if (st->lost) {
		char lost[640];

		fprintf(out, "lost in the kernel: %s\n",
			losses_text(stream_losses(c->stream), lost, sizeof(lost)));
	}
	fanotify_text(c, out);
	output_text(c, out);
	sinks_text(c, out);
	fprintf(out, "policy directory: %s%s\n", dir ? dir : "none",
		dir ? " (vigil policy apply writes there)" : "");
	guard_text(c, out);
	so = (struct shield_out){ out, 0 };
	agent_shields_each(agent_shields(c->agent), shield_text, &so);
	if (so.n)
		fputs("\n", out);
	fputc('\n', out);
	policies_table(c, f, out);
	fputc('\n', out);
	n = rules_table(c, f, out);
	if (f->all || f->policy || f->rule)
		fprintf(out, "%zu rule%s shown\n", n, n == 1 ? "" : "s");
	else
		fprintf(out,
			"%zu of %zu rules shown: those with hits and those enforced (--all: every "
			"rule)\n",
			n, s->n_rules);
}

int agent_control_handle(void *ctx, const char *cmd, const char *body, size_t len, FILE *out)
{
	struct agent_status_ctx *c = ctx;

	if (!strcmp(cmd, "status") || !strcmp(cmd, "status json")) {
		struct status_filter f = { 0 };
		char *opts = strndup(body, len);

		if (!opts)
			return 1;
		parse_filter(opts, &f);
		if (f.policy && !agent_policy(c->agent, f.policy)) {
			fprintf(out, "no policy named '%s' is in force\n", f.policy);
			free(opts);
			return 1;
		}
		if (cmd[6]) {
			/* JSON has every rule; only the filters narrow it */
			f.all = true;
			status_json(c, &f, out);
		} else {
			status_text(c, &f, out);
		}
		free(opts);
		return 0;
	}
	if (!strncmp(cmd, "apply ", 6) || !strncmp(cmd, "remove ", 7)) {
		bool apply = cmd[0] == 'a';
		const char *arg = cmd + (apply ? 6 : 7);
		char file[PATH_MAX];
		struct diags d = { 0 };
		int err = apply ? agent_apply(c->agent, body, len, arg, file, sizeof(file), &d)
				: agent_remove(c->agent, arg, file, sizeof(file), &d);

		/* to the client, and to the agent's log (the journal under systemd) */
		diags_print(&d, out);
		diags_print(&d, stderr);
		diags_free(&d);
		if (err) {
			fprintf(out,
				"rejected: nothing was %s; the policies in force are unchanged\n",
				apply ? "written" : "removed");
			pr_warn("policy", "policy %s %s rejected (above): nothing %s",
				apply ? "apply of" : "remove of", arg,
				apply ? "written" : "removed");
		} else {
			fprintf(out, "%s: %s %s; %zu rules in force\n",
				apply ? "applied" : "removed", apply ? "written to" : "deleted",
				file, policy_engine_set(agent_engine(c->agent))->n_rules);
			pr_info("policy", "policy %s %s: %s %s", apply ? "apply of" : "remove of",
				arg, apply ? "written to" : "deleted", file);
		}
		return err ? 1 : 0;
	}
	if (!strcmp(cmd, "reopen")) {
		char msg[512];
		int err;

		sinks_reopen(c->sinks); /* file: sinks, by their threads */
		err = output_reopen(c->output, msg, sizeof(msg));

		if (err)
			pr_warn("run", "%s (vigil reopen)", msg);
		else
			pr_info("run", "%s (vigil reopen)", msg);
		fprintf(out, "%s\n", msg);
		return err ? 1 : 0;
	}
	if (!strcmp(cmd, "stop")) {
		/* As SIGTERM: the main loop ends, drains the stream and detaches everything. */
		c->stop = true;
		fprintf(out, "stopping the agent (pid %d)\n", c->pid);
		return 0;
	}
	fprintf(out, "unknown request '%s'\n", cmd);
	return 1;
}
