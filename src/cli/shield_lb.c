// SPDX-License-Identifier: GPL-2.0
/* vigil shield: the balancer's part of status, and the health checker (`vigil shield health`). */
#include "cli/shield_lb.h"
#include "cli/cli.h"
#include "core/log.h"
#include "shield/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void shield_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static const char *ip4(__u32 a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *check_name(__u8 c)
{
	return c == LB_CHECK_TCP ? "tcp" : c == LB_CHECK_HTTP ? "http" : "none";
}

/* up, draining (weight 0: keeps its flows, gets no new ones) or down (failed its checks) */
static const char *be_state(const struct lb_backend *be)
{
	if (!(be->flags & LB_BE_UP))
		return "down";
	return be->weight ? "up" : "draining";
}

static void print_json(const struct lb_status *st, const struct lb_config *cfg)
{
	char a[INET6_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	printf(",\"balance\":{\"generation\":%u,\"table_size\":%u,\"tunnel_source\":\"%s\","
	       "\"tunnel_source6\":\"%s\",\"decapsulate\":[",
	       st->g.seq, cfg->ring_size, cfg->tunnel_src ? ip4(cfg->tunnel_src, a) : "",
	       lb_addr_set(cfg->tunnel_src6) ? lb_addr_str(cfg->tunnel_src6, a6) : "");
	for (__u32 i = 0; i < cfg->n_decap && i < LB_MAX_DECAP; i++)
		printf("%s\"%s\"", i ? "," : "", ip4(cfg->decap_src[i], a));
	for (__u32 i = 0; i < cfg->n_decap6 && i < LB_MAX_DECAP; i++)
		printf("%s\"%s\"", i || cfg->n_decap ? "," : "",
		       lb_addr_str(cfg->decap_src6[i], a));
	printf("],\"services\":[");
	for (unsigned int i = 0; i < st->n_svc; i++) {
		const struct lb_status_service *s = &st->svc[i];

		printf("%s{\"name\":", i ? "," : "");
		shield_json_str(s->info.name);
		printf(",\"address\":\"%s\",\"port\":%u,\"proto\":\"%s\",\"check\":{\"type\":\"%"
		       "s\"",
		       lb_addr_str(s->info.addr, a), s->info.port,
		       s->info.proto == IPPROTO_TCP ? "tcp" : "udp", check_name(s->info.check));
		if (s->info.check != LB_CHECK_NONE)
			printf(",\"interval_ms\":%u,\"timeout_ms\":%u,\"fall\":%u,\"rise\":%u",
			       s->info.interval_ms, s->info.timeout_ms, s->info.fall, s->info.rise);
		printf("},\"packets\":%llu,\"bytes\":%llu,\"new_flows\":%llu,\"dropped\":%llu,"
		       "\"backends\":[",
		       (unsigned long long)s->c.packets, (unsigned long long)s->c.bytes,
		       (unsigned long long)s->c.new_flows, (unsigned long long)s->c.dropped);
		for (unsigned int j = 0; j < s->n_be; j++) {
			const struct lb_status_backend *b = &s->be[j];

			printf("%s{\"address\":\"%s\",\"weight\":%u,\"state\":\"%s\",\"healthy\":%"
			       "s,"
			       "\"packets\":%llu,\"bytes\":%llu,\"new_flows\":%llu}",
			       j ? "," : "", lb_addr_str(b->be.addr, a), b->be.weight,
			       be_state(&b->be), b->be.flags & LB_BE_UP ? "true" : "false",
			       (unsigned long long)b->c.packets, (unsigned long long)b->c.bytes,
			       (unsigned long long)b->c.new_flows);
		}
		printf("]}");
	}
	printf("],\"counters\":{");
	for (int i = 0; i < LB_M_MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", shield_lb_misc_name(i),
		       (unsigned long long)st->misc[i]);
	printf("}}");
}

static void print_text(const struct lb_status *st, const struct lb_config *cfg)
{
	char a[INET6_ADDRSTRLEN];
	bool any = false;

	printf("  balancer: generation %u, %u services, Maglev table of %u entries each", st->g.seq,
	       st->n_svc, cfg->ring_size);
	if (cfg->tunnel_src)
		printf(", IP-in-IP from %s", ip4(cfg->tunnel_src, a));
	if (lb_addr_set(cfg->tunnel_src6))
		printf(", IPv6-in-IPv6 from %s", lb_addr_str(cfg->tunnel_src6, a));
	if (cfg->n_decap + cfg->n_decap6)
		printf(", decapsulates from %u source%s", cfg->n_decap + cfg->n_decap6,
		       cfg->n_decap + cfg->n_decap6 > 1 ? "s" : "");
	printf("\n");
	for (unsigned int i = 0; i < st->n_svc; i++) {
		const struct lb_status_service *s = &st->svc[i];

		/* [v6]:port, as in a URL */
		printf("  service %s %s%s%s:%u/%s, check %s", s->info.name,
		       lb_addr_is_v4(s->info.addr) ? "" : "[", lb_addr_str(s->info.addr, a),
		       lb_addr_is_v4(s->info.addr) ? "" : "]", s->info.port,
		       s->info.proto == IPPROTO_TCP ? "tcp" : "udp", check_name(s->info.check));
		if (s->info.check != LB_CHECK_NONE)
			printf(" every %ums (fall %u, rise %u)", s->info.interval_ms, s->info.fall,
			       s->info.rise);
		printf(": %llu packets, %llu bytes, %llu new flows, %llu dropped\n",
		       (unsigned long long)s->c.packets, (unsigned long long)s->c.bytes,
		       (unsigned long long)s->c.new_flows, (unsigned long long)s->c.dropped);
		printf("    %-16s %6s %-9s %14s %16s %12s\n", "backend", "weight", "state",
		       "packets", "bytes", "new flows");
		for (unsigned int j = 0; j < s->n_be; j++) {
			const struct lb_status_backend *b = &s->be[j];

			printf("    %-16s %6u %-9s %14llu %16llu %12llu\n",
			       lb_addr_str(b->be.addr, a), b->be.weight, be_state(&b->be),
			       (unsigned long long)b->c.packets, (unsigned long long)b->c.bytes,
			       (unsigned long long)b->c.new_flows);
		}
	}
	for (int i = 0; i < LB_M_MAX; i++) {
		if (!st->misc[i])
			continue;
		printf("%s%s %llu", any ? ", " : "  balancer packets: ", shield_lb_misc_name(i),
		       (unsigned long long)st->misc[i]);
		any = true;
	}
	if (any)
		printf("\n");
}

int shield_lb_status(const struct shield_maps *m, bool json)
{
	const struct lb_config *cfg;
	struct lb_status *st;
	int ret;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	ret = shield_balance_read(m, st);
	cfg = &st->g.cfg[st->g.active & 1];
	if (!ret && cfg->flags)
		json ? print_json(st, cfg) : print_text(st, cfg);
	free(st);
	return ret;
}

static volatile sig_atomic_t stop_health;

static void on_signal(int sig)
{
	(void)sig;
	stop_health = 1;
}

int shield_lb_health(const char *ifname)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char err[SHIELD_ERR_LEN];
	struct shield_handle h;
	struct lb_health *hs;
	int ret, wait, lock;

	ret = shield_open_pinned(&h, ifname, err, sizeof(err));
	if (ret) {
		pr_err("shield", "%s", err);
		return ret;
	}
	hs = malloc(sizeof(*hs));
	if (!hs) {
		shield_close(&h);
		return -ENOMEM;
	}
	lb_health_init(hs);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pr_info("shield", "checking the health of %s's backends until stopped", ifname);
	while (!stop_health) {
		/* with the lock: a reload does not rebuild the tables under us */
		lock = shield_lock();
		ret = lb_health_round(hs, &h.maps, &wait);
		shield_unlock(lock);
		if (ret) {
			pr_err("shield", "health checks on %s: %s", ifname, strerror(-ret));
			break;
		}
		poll(NULL, 0, wait < 50 ? 50 : wait);
	}
	lb_health_free(hs);
	free(hs);
	shield_close(&h);
	return ret;
}
