/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `vigil run --baseline DIR`: the agent learns and monitors the baselines of DIR (the programs
 * that have one) beside its rules; an anomaly is written as the event with a rule match.
 */
#ifndef VIGIL_AGENT_BASELINES_H
#define VIGIL_AGENT_BASELINES_H

#include "baseline/engine.h"

struct agent_baselines {
	struct bl_engine *engine;
	void *policy_engine; /* judged first: a rule's verdict wins */
};

/* Load the baselines of @dir; a bad one is an error (printed as @who's), and -EINVAL. */
int agent_baselines_start(struct agent_baselines *ab, const char *dir, void *policy_engine,
			  const char *who);
/* stream_config.judge: the rules' verdict, else the baseline's anomaly, else NULL. */
const struct event_verdict *agent_baselines_judge(void *ctx, const struct event_view *v);
/* Write what was learned, say what was seen, free. Nothing when not started. */
void agent_baselines_stop(struct agent_baselines *ab, const char *who);

#endif
