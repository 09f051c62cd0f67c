/* SPDX-License-Identifier: GPL-2.0 */
/* vigil shield's balancer parts (shield_lb.c). */
#ifndef VIGIL_SRC_CLI_SHIELD_LB_H
#define VIGIL_SRC_CLI_SHIELD_LB_H

#include "shield/shield.h"

/* A JSON string, escaped, to stdout. */
void shield_json_str(const char *s);
/* The balancer of a shield: nothing when it has none; JSON: a ",\"balance\":{...}" member. */
int shield_lb_status(const struct shield_maps *m, bool json);
/* Check the health of the backends of the shield on @ifname until SIGINT/SIGTERM. */
int shield_lb_health(const char *ifname);

#endif
