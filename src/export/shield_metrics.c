// SPDX-License-Identifier: GPL-2.0
/* The counters of the shields the policies put on interfaces (vigil shield status shows them). */
#include "agent/shields.h"
#include "export/collectors.h"
#include "shield/shield.h"

struct shield_batch {
	struct metrics_batch *b;
	const char *ifname;
};

static void rule_counters(void *ctx, const char *name, const struct shield_counter *c)
{
	struct shield_batch *sb = ctx;

	metrics_counter(sb->b, "vigil_shield_rule_packets_total",
			"Packets each named shield rule matched since its rules were installed",
			c->packets, "interface", sb->ifname, "rule", name, NULL);
	metrics_counter(sb->b, "vigil_shield_rule_bytes_total",
			"Bytes of the packets each named shield rule matched since its rules were "
			"installed",
			c->bytes, "interface", sb->ifname, "rule", name, NULL);
}

static void shield_counters(void *ctx, const char *ifname, const struct shield_maps *m)
{
	struct shield_batch sb = { ctx, ifname };
	struct shield_totals t;

	if (!shield_read_counters(m, &t))
		for (int v = 0; v < SHIELD_V_MAX; v++)
			for (int r = 0; r < SHIELD_R_MAX; r++) {
				if (!t.c[v][r].packets)
					continue;
				metrics_counter(sb.b, "vigil_shield_packets_total",
						"Packets the shield judged, by verdict and reason",
						t.c[v][r].packets, "interface", ifname, "verdict",
						shield_verdict_name(v), "reason",
						shield_reason_name(r), NULL);
				metrics_counter(
					sb.b, "vigil_shield_bytes_total",
					"Bytes of the packets the shield judged, by verdict "
					"and reason",
					t.c[v][r].bytes, "interface", ifname, "verdict",
					shield_verdict_name(v), "reason", shield_reason_name(r),
					NULL);
			}
	shield_each_rule(m, rule_counters, &sb);
}

void shield_metrics_collect(struct metrics_batch *b, void *ctx)
{
	agent_shields_each_maps(ctx, shield_counters, b);
}
