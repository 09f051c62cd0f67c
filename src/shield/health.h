/* SPDX-License-Identifier: GPL-2.0 */
/* Backend health checks for the shield's balancer (health.c). */
#ifndef VIGIL_SRC_SHIELD_HEALTH_H
#define VIGIL_SRC_SHIELD_HEALTH_H

#include "shield/shield.h"

struct lb_health_be {
	bool known, up, ok;
	int fd, state;
	__u32 addr[4], svc_slot; /* as lb_backend's */
	unsigned int ok_run, fail_run;
	long long next_due, deadline; /* CLOCK_MONOTONIC ms */
	char buf[64];		      /* an HTTP status line */
	size_t got;
};

/* The checker's state: one entry per backend slot. Large: allocate it. */
struct lb_health {
	struct lb_svc_info svc[LB_MAX_SERVICES]; /* as read this round */
	struct lb_health_be be[LB_MAX_BACKENDS];
};

void lb_health_init(struct lb_health *h);
void lb_health_free(struct lb_health *h);
/*
 * One round: start the checks that are due, wait for them (at most the longest timeout), mark
 * backends down or up. *next_ms: how long until the next check is due. 0 or -errno.
 */
int lb_health_round(struct lb_health *h, const struct shield_maps *m, int *next_ms);

#endif
