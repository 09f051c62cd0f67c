// SPDX-License-Identifier: GPL-2.0
#include "agent/baselines.h"
#include "core/log.h"
#include "policy/engine.h"

#include <errno.h>

int agent_baselines_start(struct agent_baselines *ab, const char *dir, void *policy_engine,
			  const char *who)
{
	struct bl_engine_opts eo = { .dir = dir,
				     .learn = true,
				     .baselined = true,
				     .verdicts = true,
				     .check_tty = true,
				     .quiet_s = BASELINE_QUIET_S, /* as vigil baseline learn */
				     .fold_min = BASELINE_FOLD_MIN,
				     .name = who };
	char err[512];
	int ret;

	ab->policy_engine = policy_engine;
	ret = bl_engine_new(&ab->engine, &eo, err, sizeof(err));
	if (ret) {
		pr_err(who, "baselines: %s", err);
		return -EINVAL;
	}
	pr_info(who, "%zu baselines from %s: learning or monitoring their programs",
		bl_engine_count(ab->engine), dir);
	return 0;
}

const struct event_verdict *agent_baselines_judge(void *ctx, const struct event_view *v)
{
	struct agent_baselines *ab = ctx;
	const struct event_verdict *rule = policy_engine_judge(ab->policy_engine, v);
	/* always: a baseline that learns sees every event of its program */
	const struct event_verdict *anomaly = bl_engine_judge(ab->engine, v);

	return rule ? rule : anomaly;
}

void agent_baselines_stop(struct agent_baselines *ab, const char *who)
{
	const struct bl_engine_stats *st;

	if (!ab->engine)
		return;
	bl_engine_save(ab->engine);
	st = bl_engine_stats(ab->engine);
	pr_info(who, "baselines: %llu observations, %llu new items learned, %llu anomalies",
		st->observed, st->learned, st->anomalies);
	bl_engine_free(ab->engine);
	ab->engine = NULL;
}
