/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policies in force: judges each event the stream decodes, and carries out the rule's
 * action (docs/policy.md, "What happens on a match").
 */
#ifndef VIGIL_POLICY_ENGINE_H
#define VIGIL_POLICY_ENGINE_H

#include "events/format.h"
#include "policy/policy.h"

struct policy_engine;

int policy_engine_new(struct policy_engine **out);
void policy_engine_free(struct policy_engine *e);

/*
 * Put @s in force in one step (the engine owns it from now on; the old set is freed). Its rules
 * keep the hits of the old set's rules of the same id.
 */
void policy_engine_replace(struct policy_engine *e, struct policy_set *s);
const struct policy_set *policy_engine_set(const struct policy_engine *e);
/* Files named by rules may have been replaced (new inodes): look them up again. */
void policy_engine_refresh(struct policy_engine *e);

/* Are the kernel's connect hooks refusing what kernel-deniable rules name? */
void policy_engine_set_net_deny(struct policy_engine *e, bool active);

/* What BPF LSM refuses (the agent's list, kept in step with the set); NULL: not running. */
struct lsm_deny_list;
void policy_engine_set_lsm(struct policy_engine *e, const struct lsm_deny_list *l);
/* What the process sensor kills at exec (the agent's list); NULL: nothing. */
struct exec_kill_list;
void policy_engine_set_exec_kills(struct policy_engine *e, const struct exec_kill_list *l);

/* The verdict on @v, after acting on it; NULL when no rule matched. A stream_config judge. */
const struct event_verdict *policy_engine_judge(void *engine, const struct event_view *v);

struct policy_engine_stats {
	__u64 alerts;	    /* events that matched a rule */
	__u64 denied;	    /* operations the kernel refused */
	__u64 denied_lsm;   /* of those, by BPF LSM (the others: the cgroup connect hooks) */
	__u64 kills;	    /* processes the kernel killed before they could act ("killed") */
	__u64 kills_after;  /* killed from user space after the operation ("killed_after") */
	__u64 kills_failed; /* kills that could not be sent ("kill_failed") */
};
const struct policy_engine_stats *policy_engine_stats(const struct policy_engine *e);

#endif
