/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What of a policy set runs in the kernel: the event types its rules need and the watch list
 * of the file sensor's open filter. The rest of every rule is matched in user space.
 */
#ifndef VIGIL_POLICY_COMPILE_H
#define VIGIL_POLICY_COMPILE_H

#include "core/sensor.h"
#include "enforce/netdeny.h"
#include "policy/policy.h"

struct watch_list {
	struct watch_entry *entries; /* the paths are the list's own */
	size_t n;
};

/* The watch list for the set's open rules. 0 or -ENOMEM. */
int policy_compile_watches(const struct policy_set *s, struct watch_list *out);
void watch_list_free(struct watch_list *w);

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

/* How one open rule is filtered in the kernel, in words, for `vigil policy explain`. */
void policy_explain_rule(const struct rule *r, FILE *out);

#endif
