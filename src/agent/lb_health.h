/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Health checks of the balancers in the policies' shields, in a thread of the agent: the
 * same checks as `vigil shield health`, for every interface the agent holds a shield on.
 */
#ifndef VIGIL_AGENT_LB_HEALTH_H
#define VIGIL_AGENT_LB_HEALTH_H

#include "agent/shields.h"

struct agent_lb_health;

int agent_lb_health_new(struct agent_lb_health **out);
/* Check the shields in force in @sh from now on (the thread starts with the first). */
int agent_lb_health_set(struct agent_lb_health *ah, const struct agent_shields *sh);
/* Stop the thread and forget everything. */
void agent_lb_health_free(struct agent_lb_health *ah);

#endif
