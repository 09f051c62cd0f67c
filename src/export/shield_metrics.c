// SPDX-License-Identifier: GPL-2.0
/* The counters of the shields the policies put on interfaces (vigil shield status shows them). */
#include "agent/shields.h"
#include "export/collectors.h"
#include "shield/shield.h"

#include <arpa/inet.h>
#include <stdlib.h>

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

/* The balancer's services and backends: bounded by the configuration, not by traffic. */
static void balancer_counters(struct metrics_batch *b, const char *ifname,
			      const struct shield_maps *m)
{
	struct lb_status *st = calloc(1, sizeof(*st));
	char addr[INET6_ADDRSTRLEN];

	if (!st || shield_balance_read(m, st)) {
		free(st);
		return;
	}
	for (unsigned int i = 0; i < st->n_svc; i++) {
		const struct lb_status_service *s = &st->svc[i];
		const char *svc = s->info.name;

		metrics_counter(b, "vigil_shield_lb_service_packets_total",
				"Packets the balancer forwarded for each service", s->c.packets,
				"interface", ifname, "service", svc, NULL);
		metrics_counter(b, "vigil_shield_lb_service_bytes_total",
				"Bytes the balancer forwarded for each service", s->c.bytes,
				"interface", ifname, "service", svc, NULL);
		metrics_counter(b, "vigil_shield_lb_service_new_flows_total",
				"New flows each service's Maglev table placed", s->c.new_flows,
				"interface", ifname, "service", svc, NULL);
		metrics_counter(
			b, "vigil_shield_lb_service_dropped_total",
			"Packets to each service the balancer dropped (fragments, no usable "
			"backend, no route)",
			s->c.dropped, "interface", ifname, "service", svc, NULL);
		for (unsigned int j = 0; j < s->n_be; j++) {
			const struct lb_status_backend *be = &s->be[j];

			lb_addr_str(be->be.addr, addr);
			metrics_counter(b, "vigil_shield_lb_backend_packets_total",
					"Packets the balancer forwarded to each backend",
					be->c.packets, "interface", ifname, "service", svc,
					"backend", addr, NULL);
			metrics_counter(b, "vigil_shield_lb_backend_bytes_total",
					"Bytes the balancer forwarded to each backend", be->c.bytes,
					"interface", ifname, "service", svc, "backend", addr, NULL);
			metrics_counter(b, "vigil_shield_lb_backend_new_flows_total",
					"New flows the balancer sent to each backend",
					be->c.new_flows, "interface", ifname, "service", svc,
					"backend", addr, NULL);
			metrics_gauge(b, "vigil_shield_lb_backend_up",
				      "1 while a backend passes its health checks (or has none)",
				      !!(be->be.flags & LB_BE_UP), "interface", ifname, "service",
				      svc, "backend", addr, NULL);
			metrics_gauge(b, "vigil_shield_lb_backend_weight",
				      "A backend's weight (0: draining)", be->be.weight,
				      "interface", ifname, "service", svc, "backend", addr, NULL);
		}
	}
	for (int i = 0; i < LB_M_MAX; i++)
		if (st->misc[i])
			metrics_counter(b, "vigil_shield_lb_packets_total",
					"The balancer's packets by outcome", st->misc[i],
					"interface", ifname, "outcome", shield_lb_misc_name(i),
					NULL);
	free(st);
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
	balancer_counters(sb.b, ifname, m);
}

void shield_metrics_collect(struct metrics_batch *b, void *ctx)
{
	agent_shields_each_maps(ctx, shield_counters, b);
}
