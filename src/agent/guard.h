/* SPDX-License-Identifier: GPL-2.0 */
/* `vigil run`'s tamper protection (enforce/guard.h): started, refreshed, and told to the user. */
#ifndef VIGIL_AGENT_GUARD_H
#define VIGIL_AGENT_GUARD_H

#include <stdbool.h>

#include "enforce/guard.h"

struct agent_guard {
	struct guard *guard; /* NULL: the agent is not protected */
	char state[256];     /* what protects the agent, or why nothing does (vigil status) */
	double next_scan;    /* CLOCK_MONOTONIC seconds */
};

/* Protect this process unless !@enabled (--no-guard), and log one line saying what holds. */
void agent_guard_start(struct agent_guard *ag, bool enabled);
/* From the main loop: protect BPF objects made since (links made on a reload). */
void agent_guard_tick(struct agent_guard *ag);
void agent_guard_stop(struct agent_guard *ag);

#endif
