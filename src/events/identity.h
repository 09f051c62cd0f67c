/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What identifies the agent's output to a receiver: the host, its boot, and this run of the
 * agent. With the sequence number of each line, (agent_instance, seq) names one line, and a
 * gap or a repeat in seq is visible.
 */
#ifndef VIGIL_EVENTS_IDENTITY_H
#define VIGIL_EVENTS_IDENTITY_H

#include <limits.h>

#define IDENTITY_UUID_LEN 36

struct agent_identity {
	char host[HOST_NAME_MAX + 1];	      /* "" when unknown */
	char boot_id[IDENTITY_UUID_LEN + 1];  /* the kernel's, "" when unreadable */
	char instance[IDENTITY_UUID_LEN + 1]; /* random, new at each start */
};

/*
 * Read the host name and boot id (@procfs, normally "/proc") and draw a new instance id.
 * Returns 0, or -errno when no random instance id could be made (the rest is still set).
 */
int agent_identity_init(struct agent_identity *id, const char *procfs);

#endif
