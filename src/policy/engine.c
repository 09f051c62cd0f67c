// SPDX-License-Identifier: GPL-2.0
#include "policy/engine.h"
#include "core/log.h"
#include "enforce/kill.h"
#include "policy/match.h"
#include "events/family_file.h"
#include "policy/compile.h"
#include "policy/fields.h"
#include "vigil/ev_file.h"
#include "vigil/ev_kernel.h"
#include "vigil/ev_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct policy_engine {
	struct policy_set *set;
	struct match_cache *cache;
	struct event_verdict verdict;
	char reason[96]; /* the verdict's */
	struct policy_engine_stats stats;
	bool net_deny;				 /* enforce/netdeny.h hooks are attached */
	const struct lsm_deny_list *lsm;	 /* what BPF LSM refuses; NULL: not running */
	const struct exec_kill_list *exec_kills; /* what the kernel kills at exec, or NULL */
};

int policy_engine_new(struct policy_engine **out)
{
	struct policy_engine *e = calloc(1, sizeof(*e));

	if (!e || !(e->cache = match_cache_new())) {
		free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

void policy_engine_free(struct policy_engine *e)
{
	if (!e)
		return;
	policy_set_free(e->set);
	match_cache_free(e->cache);
	free(e);
}

static int rule_id_cmp(const void *a, const void *b)
{
	const struct rule *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* A rule's hits count from the agent's start: a reload keeps them, by rule id. */
static void carry_hits(const struct policy_set *old, struct policy_set *s)
{
	const struct rule **rules = old ? malloc((old->n_rules + 1) * sizeof(*rules)) : NULL;
	size_t n = 0;

	if (!rules)
		return;
	for (size_t i = 0; i < old->n_policies; i++)
		for (size_t j = 0; j < old->policies[i]->n_rules; j++)
			rules[n++] = &old->policies[i]->rules[j];
	qsort(rules, n, sizeof(*rules), rule_id_cmp);
	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules; j++) {
			const struct rule *key = &s->policies[i]->rules[j];
			const struct rule **was =
				n ? bsearch(&key, rules, n, sizeof(*rules), rule_id_cmp) : NULL;

			if (was)
				s->policies[i]->rules[j].hits = (*was)->hits;
		}
	free(rules);
}

void policy_engine_replace(struct policy_engine *e, struct policy_set *s)
{
	struct policy_set *old = e->set;

	carry_hits(old, s);
	e->set = s;
	policy_set_free(old);
}

const struct policy_set *policy_engine_set(const struct policy_engine *e)
{
	return e->set;
}

void policy_engine_set_net_deny(struct policy_engine *e, bool active)
{
	e->net_deny = active;
}

void policy_engine_set_lsm(struct policy_engine *e, const struct lsm_deny_list *l)
{
	e->lsm = l;
}

void policy_engine_set_exec_kills(struct policy_engine *e, const struct exec_kill_list *l)
{
	e->exec_kills = l;
}

/* Did the process sensor kill the new image before it ran? */
static bool killed_at_exec(const struct event *ev)
{
	return ev->type == VIGIL_EV_EXEC && (ev->flags & VIGIL_EXEC_KILLED);
}

/* Did vigil's BPF LSM program refuse the operation (and send this record itself)? */
static bool lsm_denied(const struct event *ev)
{
	if (ev->type == VIGIL_EV_EXEC)
		return ev->flags & VIGIL_EXEC_DENIED;
	return is_file_event(ev) && (ev->flags & VIGIL_FILE_DENIED);
}

/*
 * Did a BPF LSM hook with no object (module loads, bpf, ptrace) refuse @ev for @r? The kernel
 * sensor reported it; the syscall failed with EPERM.
 */
static bool lsm_refused(const struct policy_engine *e, const struct rule *r, const struct event *ev)
{
	__s64 result;

	if (!e->lsm || !policy_lsm_denies(r))
		return false;
	switch (ev->type) {
	case VIGIL_EV_MODULE_LOAD:
		result = ((const struct vigil_module_event *)ev->raw)->result;
		break;
	case VIGIL_EV_BPF:
		result = ((const struct vigil_bpf_event *)ev->raw)->result;
		break;
	case VIGIL_EV_PTRACE:
		result = ((const struct vigil_ptrace_event *)ev->raw)->result;
		break;
	case VIGIL_EV_SOCKET:
		result = ((const struct vigil_net_event *)ev->raw)->result;
		break;
	default:
		return false;
	}
	return result == -EPERM;
}

/* The rule the kernel named for a refusal or a kill at exec, when it is still loaded. */
static struct rule *kernel_rule(const struct policy_engine *e, const struct event *ev)
{
	__u32 index = ev->type == VIGIL_EV_EXEC
			      ? ((const struct vigil_exec_event *)ev->raw)->deny_rule
			      : ((const struct vigil_file_event *)ev->raw)->deny_rule;

	if (killed_at_exec(ev))
		return e->exec_kills && index < e->exec_kills->n_rules
			       ? (struct rule *)e->exec_kills->rules[index]
			       : NULL;
	if (!e->lsm || index >= e->lsm->n_rules)
		return NULL;
	return (struct rule *)e->lsm->rules[index];
}

void policy_engine_refresh(struct policy_engine *e)
{
	if (e->set)
		policy_set_resolve_aliases(e->set);
}

/*
 * SIGKILL from user space, after the event: the operation completed and the process may have
 * acted on it before it dies, so "killed_after"; "kill_failed" when no signal could be sent.
 */
static const char *kill_after(struct policy_engine *e, const struct rule *r,
			      const struct vigil_task *t)
{
	bool refused = t->pid <= 1 || t->pid == (__u32)getpid();
	int err = refused ? -EPERM : kill_after_event(t->pid, t->start_ns);

	if (err) {
		/* a short-lived process may be gone already: no fault of anyone's */
		if (err != -ESRCH)
			pr_warn("policy", "rule %s: cannot kill pid %u: %s", r->id, t->pid,
				refused ? "it is init or vigil itself" : strerror(-err));
		e->stats.kills_failed++;
		return "kill_failed";
	}
	e->stats.kills_after++;
	return "killed_after";
}

/* Did the kernel SIGKILL the process before the operation returned to it (or the image ran)? */
static bool killed_in_kernel(const struct event *ev)
{
	return killed_at_exec(ev) || (is_file_event(ev) && (ev->flags & VIGIL_FILE_KILLED));
}

/*
 * The outcome of @r on the event's process, as it happened: "killed" only when the kernel
 * killed before the process could act, "denied" only when the kernel refused the operation.
 * Without either, an enforced kill or deny is a kill from user space after the event.
 */
static const char *carry_out(struct policy_engine *e, const struct rule *r, const struct event *ev)
{
	bool enforce = r->policy->mode == MODE_ENFORCE;

	if (killed_in_kernel(ev)) {
		e->stats.kills++;
		return "killed";
	}
	if (lsm_denied(ev) || lsm_refused(e, r, ev)) {
		e->stats.denied++;
		e->stats.denied_lsm++;
		return "denied"; /* refused by the kernel before it happened */
	}
	/* refused by the connect hook: the syscall failed with EPERM */
	if (e->net_deny && ev->type == VIGIL_EV_CONNECT && policy_kernel_denies(r) &&
	    ((const struct vigil_net_event *)ev->raw)->result == -EPERM) {
		e->stats.denied++;
		return "denied";
	}
	switch (r->action) {
	case ACTION_KILL:
		return enforce ? kill_after(e, r, ev->task) : "would_kill";
	case ACTION_DENY:
		return enforce ? kill_after(e, r, ev->task) : "would_deny";
	default:
		return "alert";
	}
}

const struct event_verdict *policy_engine_judge(void *engine, const struct event_view *v)
{
	struct policy_engine *e = engine;
	int unsure = -1;
	struct rule *r = policy_match(e->set, e->cache, v, &unsure);

	/* a refusal or kill is reported under the rule that caused it, whatever else matched */
	if ((lsm_denied(v->ev) || killed_at_exec(v->ev)) && (!r || r->action == ACTION_ALERT)) {
		struct rule *denier = kernel_rule(e, v->ev);

		if (denier) {
			if (denier != r)
				denier->hits++;
			r = denier;
			unsure = -1;
		}
	}
	/* BPF LSM walked the whole path (refusing beyond its walk) and let it be: no doubt left */
	if (!r || (unsure >= 0 && e->lsm && policy_lsm_denies(r) && !lsm_denied(v->ev)))
		return NULL;
	e->stats.alerts++;
	e->verdict = (struct event_verdict){
		.rule_id = r->id,
		.severity = severity_name(r->severity),
		.policy = r->policy->name,
		.description = r->description,
		.mitre = r->mitre,
		.n_mitre = r->n_mitre,
		.action = carry_out(e, r, v->ev),
	};
	if (unsure >= 0) {
		snprintf(e->reason, sizeof(e->reason), "%s truncated, taken as matching",
			 field_def(unsure)->name);
		e->verdict.reason = e->reason;
	}
	return &e->verdict;
}

const struct policy_engine_stats *policy_engine_stats(const struct policy_engine *e)
{
	return &e->stats;
}
