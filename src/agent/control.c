// SPDX-License-Identifier: GPL-2.0
/* What the running agent answers on its control socket: status, apply and stop. */
#include "agent/agent.h"
#include "agent/control.h"
#include "agent/shields.h"
#include "events/json.h"
#include "core/log.h"
#include "policy/compile.h"

#include <inttypes.h>
#include <stdbool.h>
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

static void status_json(const struct agent_status_ctx *c, FILE *out)
{
	const struct policy_set *s = policy_engine_set(agent_engine(c->agent));
	const struct policy_engine_stats *ps = policy_engine_stats(agent_engine(c->agent));
	const struct stream_stats *st = stream_stats(c->stream);
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(out,
		"{\"pid\":%d,\"uptime_s\":%.0f,\"events\":{\"seen\":%" PRIu64 ",\"shown\":%" PRIu64
		",\"lost\":%" PRIu64 ",\"malformed\":%" PRIu64 "},\"matched\":%" PRIu64
		",\"killed\":%" PRIu64 ",\"policies\":[",
		c->pid, now.tv_sec + now.tv_nsec / 1e9 - c->started_s, (uint64_t)st->records,
		(uint64_t)st->written, (uint64_t)st->lost, (uint64_t)st->malformed,
		(uint64_t)ps->alerts, (uint64_t)ps->kills);
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct policy *p = s->policies[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		json_cstring(out, p->name);
		fputs(",\"file\":", out);
		json_cstring(out, p->file);
		fprintf(out, ",\"mode\":\"%s\",\"rules\":[",
			p->mode == MODE_ENFORCE ? "enforce" : "audit");
		for (size_t j = 0; j < p->n_rules; j++) {
			const struct rule *r = &p->rules[j];

			fputs(j ? ",{\"id\":" : "{\"id\":", out);
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
	fputs("}\n", out);
}

static void status_text(const struct agent_status_ctx *c, FILE *out)
{
	const struct policy_set *s = policy_engine_set(agent_engine(c->agent));
	const struct policy_engine_stats *ps = policy_engine_stats(agent_engine(c->agent));
	const struct stream_stats *st = stream_stats(c->stream);
	struct shield_out so;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(out,
		"agent: pid %d, up %.0f s\n"
		"events: %" PRIu64 " seen, %" PRIu64 " written, %" PRIu64 " lost\n"
		"rules: %zu in %zu policies; %" PRIu64 " events matched, %" PRIu64
		" processes killed\n",
		c->pid, now.tv_sec + now.tv_nsec / 1e9 - c->started_s, (uint64_t)st->records,
		(uint64_t)st->written, (uint64_t)st->lost, s->n_rules, s->n_policies,
		(uint64_t)ps->alerts, (uint64_t)ps->kills);
	output_text(c, out);
	guard_text(c, out);
	so = (struct shield_out){ out, 0 };
	agent_shields_each(agent_shields(c->agent), shield_text, &so);
	if (so.n)
		fputs("\n", out);
	fputc('\n', out);
	fprintf(out, "%-10s %-8s %-36s %-9s %-6s %-16s %s\n", "HITS", "MODE", "RULE", "SEVERITY",
		"ACTION", "POLICY", "ENFORCED BY");
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct policy *p = s->policies[i];

		for (size_t j = 0; j < p->n_rules; j++)
			fprintf(out, "%-10" PRIu64 " %-8s %-36s %-9s %-6s %-16s %s\n",
				(uint64_t)p->rules[j].hits,
				p->mode == MODE_ENFORCE ? "enforce" : "audit", p->rules[j].id,
				severity_name(p->rules[j].severity),
				action_name(p->rules[j].action), p->name,
				agent_enforced_by(c->agent, &p->rules[j]));
	}
}

int agent_control_handle(void *ctx, const char *cmd, const char *body, size_t len, FILE *out)
{
	struct agent_status_ctx *c = ctx;

	if (!strcmp(cmd, "status json")) {
		status_json(c, out);
		return 0;
	}
	if (!strcmp(cmd, "status")) {
		status_text(c, out);
		return 0;
	}
	if (!strncmp(cmd, "apply ", 6)) {
		struct diags d = { 0 };
		int err = agent_reload(c->agent, body, len, cmd + 6, &d);

		diags_print(&d, out);
		diags_free(&d);
		if (err)
			fputs("rejected: the policies in force are unchanged\n", out);
		else
			fprintf(out, "applied: %zu rules in force\n",
				policy_engine_set(agent_engine(c->agent))->n_rules);
		return err ? 1 : 0;
	}
	if (!strcmp(cmd, "reopen")) {
		char msg[512];
		int err = output_reopen(c->output, msg, sizeof(msg));

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
