/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shields of a running `vigil run`: each interface a policy's shield: section names gets
 * the XDP/tc shield with that section's rules, pinned like `vigil shield attach` (so `vigil
 * shield status|top` see it). A reload changes the rules atomically (the shield's own
 * install), attaches to newly named interfaces and detaches from interfaces no longer named;
 * the agent detaches every one when it stops.
 */
#ifndef VIGIL_AGENT_SHIELDS_H
#define VIGIL_AGENT_SHIELDS_H

#include "policy/policy.h"

struct shield_maps;

struct agent_shields;

int agent_shields_new(struct agent_shields **out);
/* Detach every shield the agent holds, or with @keep_pinned leave them for the next agent. */
void agent_shields_free(struct agent_shields *sh, bool keep_pinned);

/*
 * Put the shields of @s in place: attach (or take over an attached one) where @s names a new
 * interface, reinstall the rules elsewhere. On failure what was done is undone, the problem
 * is in @d (at the interface's file:line:col) and -errno is returned. Interfaces that @s no
 * longer names keep their shield until agent_shields_commit(). @s must live until the next
 * apply.
 */
int agent_shields_apply(struct agent_shields *sh, const struct policy_set *s, struct diags *d);
/* The set applied last is in force: detach what it no longer names. */
void agent_shields_commit(struct agent_shields *sh);

/* Each shield in force: interface, attach mode, the policy that gives it. */
void agent_shields_each(const struct agent_shields *sh,
			void (*fn)(void *ctx, const char *ifname, const char *mode,
				   const char *policy),
			void *ctx);

/* Each shield in force and its maps, for its counters. */
void agent_shields_each_maps(const struct agent_shields *sh,
			     void (*fn)(void *ctx, const char *ifname, const struct shield_maps *m),
			     void *ctx);

#endif
