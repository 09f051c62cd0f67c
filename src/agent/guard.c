// SPDX-License-Identifier: GPL-2.0
#include "agent/guard.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Seconds between scans for new links (maps and programs are protected as they are made). */
#define SCAN_S 5

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void agent_guard_start(struct agent_guard *ag, bool enabled)
{
	struct guard_stats st;
	char why[200];
	int err;

	ag->guard = NULL;
	ag->next_scan = now_s() + SCAN_S;
	if (!enabled) {
		snprintf(ag->state, sizeof(ag->state), "not tamper-protected (--no-guard)");
		pr_warn("run", "not tamper-protected (--no-guard): root can kill, ptrace or detach "
			       "this agent");
		return;
	}
	err = guard_start(&ag->guard);
	if (err == -EOPNOTSUPP) {
		if (guard_available(why, sizeof(why)))
			snprintf(why, sizeof(why), "BPF LSM unavailable");
		snprintf(ag->state, sizeof(ag->state), "not tamper-protected: %s", why);
		pr_warn("run",
			"not tamper-protected: %s; root can kill, ptrace or detach this agent "
			"(docs/enforcement.md)",
			why);
		return;
	}
	if (err) {
		snprintf(ag->state, sizeof(ag->state), "not tamper-protected: the guard failed: %s",
			 strerror(-err));
		pr_warn("run", "not tamper-protected: the guard did not start: %s", strerror(-err));
		return;
	}
	snprintf(ag->state, sizeof(ag->state), "tamper-protected by BPF LSM");
	if (guard_stats(ag->guard, &st))
		st.protected_ids = 0;
	pr_info("run",
		"tamper-protected by BPF LSM: no ptrace, no signal to stop it but from pid 1, no "
		"fd "
		"to its %zu BPF objects, pins under /sys/fs/bpf/vigil kept; 'vigil stop' stops it",
		st.protected_ids);
}

void agent_guard_tick(struct agent_guard *ag)
{
	if (!ag->guard || now_s() < ag->next_scan)
		return;
	guard_protect(ag->guard);
	ag->next_scan = now_s() + SCAN_S;
}

void agent_guard_stop(struct agent_guard *ag)
{
	guard_stop(ag->guard);
	ag->guard = NULL;
}
