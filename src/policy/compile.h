/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What of a policy set runs in the kernel: the event types its rules need and the watch list
 * of the file sensor's open filter. The rest of every rule is matched in user space.
 */
#ifndef VIGIL_POLICY_COMPILE_H
#define VIGIL_POLICY_COMPILE_H

#include "sensors/sensor.h"
#include "sensors/sensors.h"
#include "sensors/watch_list.h"
#include "enforce/lsmdeny.h"
#include "enforce/netdeny.h"
#include "policy/policy.h"

/* The watch list for the set's open rules. 0 or -ENOMEM. */
int policy_compile_watches(const struct policy_set *s, struct watch_list *out);

/* Network destinations the kernel refuses (enforce/netdeny.h), from enforced deny rules. */
struct net_deny_list {
	struct net_deny *entries;
	size_t n;
};

/* Most ports one rule may deny in the kernel (ranges are expanded); beyond: kill instead. */
#define NET_DENY_MAX_PORTS 1024

/* Does the kernel itself refuse what @r denies (a connect rule on net.daddr / net.dport)? */
bool policy_kernel_denies(const struct rule *r);
int policy_compile_net_denies(const struct policy_set *s, struct net_deny_list *out);
void net_deny_list_free(struct net_deny_list *l);

/* Does the kernel itself SIGKILL for @r (an enforced kill of exact or subtree paths)? */
bool policy_kernel_kills(const struct rule *r);

/*
 * What BPF LSM refuses by itself (compile_lsm.c): enforced deny rules on exec (process.exe)
 * or file events (file.path, file.access) by exact or subtree paths, optionally only in cgroup
 * subtrees (process.cgroup "dir/" values), with no except. Entries point into the set's rules;
 * rules[entry.rule] is the rule each refusal reports.
 */
struct lsm_deny_list {
	struct lsm_deny *entries;
	size_t n;
	const struct rule **rules;
	size_t n_rules;
};

bool policy_lsm_denies(const struct rule *r);
int policy_compile_lsm_denies(const struct policy_set *s, struct lsm_deny_list *out);
void lsm_deny_list_free(struct lsm_deny_list *l);

/*
 * What fanotify refuses where BPF LSM is missing (enforce/fanotify.h): the rules BPF LSM would
 * refuse whose operations are all opens and execs; the same list form.
 */
bool policy_fanotify_denies(const struct rule *r);
int policy_compile_fanotify_denies(const struct policy_set *s, struct lsm_deny_list *out);

/* The process sensor's kills at exec (compile_lsm.c): rules[entry.rule] for each. */
struct exec_kill_list {
	struct exec_kill *entries; /* paths point into the set's rules */
	size_t n;
	const struct rule **rules;
	size_t n_rules;
};

bool policy_exec_kills(const struct rule *r, bool lsm);
int policy_compile_exec_kills(const struct policy_set *s, bool lsm, struct exec_kill_list *out);
void exec_kill_list_free(struct exec_kill_list *l);

/* How one open rule is filtered in the kernel, in words, for `vigil policy explain`. */
void policy_explain_rule(const struct rule *r, FILE *out);

#endif
