// SPDX-License-Identifier: GPL-2.0
/* vigil shield: attach/detach/reload the XDP shield, show its status and live traffic. */
#include "cli/cli.h"
#include "core/log.h"
#include "shield/shield.h"
#include "cli/shield_lb.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CMD "shield"

enum { OPT_LIMIT = 256 };

static const struct cli_option shield_options[] = {
	OPTION("mode", 'm', "M",
	       "native, generic, tc or auto (default auto: native XDP if the\n"
	       "driver supports it, else generic XDP, else tc); the result is\n"
	       "printed and shown by status"),
	OPTION("rules", 'r', "FILE", "a rules file: YAML with a 'shield:' section (see below)"),
	OPTION("json", 'j', NULL, "JSON output (status, top)"),
	OPTION("interval", 'i', "S", "top: seconds between samples (default 1)"),
	OPTION("count", 'n', "N", "top: samples to print, then exit (default: until Ctrl-C)"),
	OPTION("limit", OPT_LIMIT, "N", "top: rows per table (default 10)"),
	OPTION("verbose", 'v', NULL, "debug messages, including libbpf's"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void shield_usage(FILE *out)
{
	fputs("usage: vigil shield <action> [options]\n"
	      "\n"
	      "XDP/tc packet filter against floods: CIDR block/allow lists, protocol and port\n"
	      "rules, per-source rate limits (packets/s, bytes/s, SYN budget, ICMP), a\n"
	      "management allowlist that is never blocked, shadow mode, counters and live\n"
	      "traffic. Behind the filter, in XDP: a Maglev L4 load balancer that forwards\n"
	      "to backends by IP-in-IP or IPv6-in-IPv6 (they answer clients directly), with\n"
	      "health checks.\n"
	      "\n"
	      "actions:\n"
	      "  attach IFACE [--mode M] [--rules FILE]   load and attach; pinned under\n"
	      "                                           " SHIELD_PIN_ROOT "/IFACE\n"
	      "  reload IFACE --rules FILE                replace the rule set atomically\n"
	      "  detach IFACE                             detach and remove the pins; exit 1\n"
	      "                                           when there is no shield on IFACE\n"
	      "  status [IFACE] [--json]                  mode, rule set, counters per\n"
	      "                                           reason/rule\n"
	      "  top [IFACE] [--json] [-i SEC] [-n COUNT] [--limit N]\n"
	      "                                           live traffic by source, protocol,\n"
	      "                                           port past the block list (its\n"
	      "                                           drops: one line) (IFACE: the only\n"
	      "                                           one it is on)\n"
	      "  health IFACE                             check the balancer's backends (tcp,\n"
	      "                                           http) and take failed ones out, until\n"
	      "                                           stopped (the agent does this for its\n"
	      "                                           policies' shields)\n"
	      "  check FILE                               check a rules file without loading\n"
	      "                                           anything: errors as file:line:col,\n"
	      "                                           exit 78; warnings as policy check's\n"
	      "\n"
	      "options:\n",
	      out);
	options_help(out, shield_options, 0);
	fputs("\n"
	      "rules file (the same keys as a policy's shield: section, docs/policy.md):\n"
	      "  shield:\n"
	      "    interfaces: [eth0]             # in a rules file optional: attach and\n"
	      "                                   # reload refuse other interfaces\n"
	      "    attach: auto                   # the mode when --mode is not given\n"
	      "    shadow: false                  # true: count what would be dropped, drop\n"
	      "                                   # nothing\n"
	      "    management: [10.0.0.0/8]       # never blocked or limited (no lock-out)\n"
	      "    allow: [192.0.2.0/24]          # exceptions inside block ranges\n"
	      "    block:                         # longest prefix wins; up to 1,000,000 per\n"
	      "      - 198.51.100.0/24            # family\n"
	      "      - {name: bogons, file: /etc/vigil/bogons.txt}   # one CIDR per line\n"
	      "    ports:\n"
	      "      - {proto: tcp, port: 23, action: block}\n"
	      "      - {proto: udp, src_port: 19, action: block, name: chargen-reflection}\n"
	      "      - {proto: tcp, port: 8000-8100, action: allow}  # allow = skip rate limits\n"
	      "      - {proto: gre, action: block}\n"
	      "    rate_limit: {packets_per_sec: 10k, bytes_per_sec: 50M, prefix_v4: 24,\n"
	      "                 prefix_v6: 64}     # per source prefix; optional *_burst\n"
	      "    syn_limit: {per_sec: 100, burst: 200}   # TCP SYN budget per source prefix\n"
	      "    icmp_limit: {per_sec: 20}\n"
	      "    fragments: inspect             # or drop\n"
	      "    drop_sample: 64                # one net_drop event per 64 drops\n"
	      "    balance:                       # Maglev L4 balancer, after the filter (XDP)\n"
	      "      tunnel_source: [10.0.0.2, 2001:db8::2]   # outer sources, one per family\n"
	      "      table_size: 65537            # entries per service, a prime\n"
	      "      decapsulate: [10.0.0.2]      # on a backend: strip IP-in-IP (or 6-in-6)\n"
	      "      services:\n"
	      "        - name: web\n"
	      "          address: 192.0.2.10      # the virtual address (IPv4 or IPv6; the\n"
	      "                                   # backends of the same family)\n"
	      "          port: 80\n"
	      "          proto: tcp               # or udp\n"
	      "          check: {type: http, path: /healthz, expect: 200, interval: 2s,\n"
	      "                  timeout: 1s, fall: 3, rise: 2}   # or tcp, or none\n"
	      "          backends:\n"
	      "            - {address: 10.0.1.1, weight: 2}   # weight 0: drain\n"
	      "            - 10.0.1.2\n"
	      "\n"
	      "In a policy (vigil run --policy) the section must name its interfaces: the agent\n"
	      "attaches it when it starts, reloads it atomically on edits, and detaches it when\n"
	      "it stops.\n"
	      "\n"
	      "examples:\n"
	      "  vigil shield check /etc/vigil/shield.yaml\n"
	      "  vigil shield attach eth0 --rules /etc/vigil/shield.yaml\n"
	      "  vigil shield attach veth0 --mode generic\n"
	      "  vigil shield reload eth0 --rules /etc/vigil/shield.yaml\n"
	      "  vigil shield status --json\n"
	      "  vigil shield top eth0 -n 1 --json\n"
	      "  vigil shield detach eth0\n",
	      out);
}

struct opts {
	enum shield_mode mode;
	const char *rules;
	const char *ifname;
	bool json;
	double interval;
	long count;
	long limit;
};

static int parse_opts(const char *action, int argc, char **argv, struct opts *o)
{
	struct getopt_spec spec;
	char *end;
	int c;

	*o = (struct opts){ .interval = 1, .count = -1, .limit = 10 };
	options_getopt(shield_options, 0, false, &spec);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (shield_parse_mode(optarg, &o->mode))
				return usage_error(CMD,
						   "--mode must be native, generic, tc or auto, "
						   "got '%s'",
						   optarg);
			break;
		case 'r':
			o->rules = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'i':
			o->interval = strtod(optarg, &end);
			if (*end || end == optarg || !(o->interval >= 0.1 && o->interval <= 3600))
				return usage_error(CMD,
						   "--interval must be 0.1..3600 seconds, got '%s'",
						   optarg);
			break;
		case 'n':
			o->count = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->count < 1)
				return usage_error(
					CMD, "--count must be a positive number, got '%s'", optarg);
			break;
		case OPT_LIMIT:
			o->limit = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->limit < 1 || o->limit > 100000)
				return usage_error(CMD, "--limit must be 1..100000, got '%s'",
						   optarg);
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'h':
			shield_usage(stdout);
			return -1;
		default:
			return options_error(CMD, c, argv);
		}
	}
	if (optind < argc)
		o->ifname = argv[optind++];
	if (optind < argc)
		return usage_error(CMD, "%s: unexpected argument '%s'", action, argv[optind]);
	return 0;
}

/* -ENOENT: no shield there, nothing to do (a runtime outcome, not a usage error). */
static int errno_exit(int err)
{
	if (err == -EPERM || err == -EACCES)
		return EXIT_NO_PRIVILEGE;
	if (err == -EINVAL || err == -ENODEV || err == -EEXIST || err == -EBUSY)
		return EXIT_USAGE;
	return EXIT_RUNTIME;
}

static int fail(int err, const char *msg)
{
	pr_err("shield", "%s", msg);
	if (err == -EPERM || err == -EACCES)
		fprintf(stderr, "vigil: shield: this needs root (CAP_BPF and CAP_NET_ADMIN)\n");
	return errno_exit(err);
}

static int load_rules(struct shield_ruleset *rs, const char *path, struct shield_targets *targets)
{
	char err[SHIELD_ERR_LEN];
	int ret = shield_rules_init(rs);

	if (ret) {
		pr_err(CMD, "out of memory");
		return EXIT_RUNTIME;
	}
	ret = shield_rules_load_file(rs, path, targets, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		shield_rules_free(rs);
		return ret == -EPERM || ret == -EACCES ? EXIT_NO_PRIVILEGE : EXIT_CONFIG;
	}
	return 0;
}

/* The rules file @o->rules, for @o->ifname: one of the interfaces it names, if it names any. */
static int load_rules_for(struct opts *o, struct shield_ruleset *rs)
{
	struct shield_targets t;
	int ret = load_rules(rs, o->rules, &t);
	bool named = !t.n;

	if (ret)
		return ret;
	for (size_t i = 0; i < t.n; i++)
		named |= !strcmp(t.ifaces[i].name, o->ifname);
	if (!named) {
		fprintf(stderr, "%s:%u:%u: error: these rules are for %s%s (interfaces:), not %s\n",
			o->rules, t.ifaces[0].line, t.ifaces[0].col, t.ifaces[0].name,
			t.n > 1 ? " and others" : "", o->ifname);
		shield_rules_free(rs);
		return EXIT_USAGE;
	}
	if (o->mode == SHIELD_MODE_NONE)
		o->mode = t.mode;
	return 0;
}

/* A rules file checked as attach would read it, without loading anything. */
static int do_check(struct opts *o)
{
	struct shield_ruleset rs;
	struct shield_targets t;
	unsigned int warnings = 0;
	int ret;

	if (!o->ifname)
		return usage_error(CMD, "check: which file? e.g. vigil shield check rules.yaml");
	ret = load_rules(&rs, o->ifname, &t);
	if (ret)
		return ret;
	/* as policy check: written for another host, maybe, but attach here would fail */
	for (size_t i = 0; i < t.n; i++)
		if (!if_nametoindex(t.ifaces[i].name)) {
			fprintf(stderr,
				"%s:%u:%u: warning: this host has no interface %s (attach here "
				"would refuse it)\n",
				o->ifname, t.ifaces[i].line, t.ifaces[i].col, t.ifaces[i].name);
			warnings++;
		}
	shield_rules_finalize(&rs);
	printf("ok: %s: %zu prefixes, %u rules", o->ifname, rs.n_prefixes, rs.n_rules);
	if (rs.lb.n_svc)
		printf(", %u balanced service%s", rs.lb.n_svc, rs.lb.n_svc > 1 ? "s" : "");
	for (size_t i = 0; i < t.n; i++)
		printf("%s%s", i ? ", " : "; for ", t.ifaces[i].name);
	printf("%s\n", warnings ? " (see the warnings above)" : "");
	shield_rules_free(&rs);
	return EXIT_OK;
}

static int do_attach(struct opts *o)
{
	char err[SHIELD_ERR_LEN];
	struct shield_ruleset rs;
	struct shield_handle h;
	int ret, lock;

	if (!o->ifname)
		return usage_error(CMD, "attach: which interface? e.g. vigil shield attach eth0");
	if (o->rules) {
		ret = load_rules_for(o, &rs);
		if (ret)
			return ret;
	}
	lock = shield_lock();
	ret = shield_attach(&h, o->ifname, o->mode, o->rules ? &rs : NULL, true, err, sizeof(err));
	shield_unlock(lock);
	if (o->rules)
		shield_rules_free(&rs);
	if (ret)
		return fail(ret, err);
	printf("shield attached to %s in %s mode%s%s\n", o->ifname, shield_mode_name(h.mode),
	       o->mode != SHIELD_MODE_NONE || h.mode == SHIELD_MODE_NATIVE
		       ? ""
		       : " (native XDP unavailable)",
	       o->rules ? "" : " with no rules (everything passes; use reload --rules)");
	shield_close(&h);
	return 0;
}

static int do_reload(struct opts *o)
{
	char err[SHIELD_ERR_LEN];
	struct shield_ruleset rs;
	struct shield_handle h;
	struct shield_state st;
	int ret, lock;

	if (!o->ifname || !o->rules)
		return usage_error(CMD, "reload: give an interface and --rules FILE");
	ret = load_rules_for(o, &rs);
	if (ret)
		return ret;
	lock = shield_lock();
	ret = shield_open_pinned(&h, o->ifname, err, sizeof(err));
	if (!ret) {
		ret = shield_install(&h.maps, &rs, err, sizeof(err));
		if (!ret && !shield_read_state(&h.maps, &st))
			printf("rule set %u installed on %s: %llu prefixes, %u rules\n",
			       st.rules_seq, o->ifname, (unsigned long long)st.n_prefixes,
			       rs.n_rules);
		shield_close(&h);
	}
	shield_unlock(lock);
	shield_rules_free(&rs);
	return ret ? fail(ret, err) : 0;
}

static int do_detach(struct opts *o)
{
	char err[SHIELD_ERR_LEN];
	int ret, lock;

	if (!o->ifname)
		return usage_error(CMD, "detach: which interface?");
	lock = shield_lock();
	ret = shield_detach_pinned(o->ifname, err, sizeof(err));
	shield_unlock(lock);
	if (ret == -ENOENT) {
		fprintf(stderr, "vigil: shield: no shield on %s: nothing to detach\n", o->ifname);
		return EXIT_RUNTIME;
	}
	if (ret)
		return fail(ret, err);
	printf("shield detached from %s\n", o->ifname);
	return 0;
}

static const char *kind_names[] = { "none", "allow", "block", "management" };

static int status_one(const char *ifname, bool json, bool first)
{
	struct bpf_link_info li = {};
	__u32 li_len = sizeof(li);
	char err[SHIELD_ERR_LEN], when[64] = "";
	struct shield_config cfg = {};
	struct shield_handle h;
	struct shield_totals t;
	struct shield_state st;
	bool defunct;
	time_t secs;
	int ret;

	ret = shield_open_pinned(&h, ifname, err, sizeof(err));
	if (ret)
		return fail(ret, err);
	ret = shield_read_state(&h.maps, &st);
	if (!ret)
		ret = shield_read_counters(&h.maps, &t);
	if (ret) {
		shield_close(&h);
		return fail(ret, "cannot read the shield's maps");
	}
	shield_read_config(&h.maps, st.active, &cfg);
	bpf_obj_get_info_by_fd(h.link_fd, &li, &li_len);
	defunct = li.xdp.ifindex == 0; /* xdp and tcx keep ifindex at the same place */
	secs = st.loaded_ns / 1000000000ULL;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&secs));

	if (json) {
		printf("%s{\"ifname\":", first ? "" : ",");
		shield_json_str(ifname);
		printf(",\"ifindex\":%u,\"mode\":\"%s\",\"attached\":%s,\"link_id\":%u,"
		       "\"prog_id\":%u,\"shadow\":%s,\"rules_seq\":%u,\"loaded\":\"%s\","
		       "\"prefixes\":%llu,\"counters\":{",
		       st.ifindex, shield_mode_name(st.mode), defunct ? "false" : "true", li.id,
		       li.prog_id, cfg.flags & SHIELD_CFG_SHADOW ? "true" : "false", st.rules_seq,
		       when, (unsigned long long)st.n_prefixes);
		for (int v = 0; v < SHIELD_V_MAX; v++) {
			bool any = false;

			printf("%s\"%s\":{", v ? "," : "", shield_verdict_name(v));
			for (int r = 0; r < SHIELD_R_MAX; r++) {
				if (!t.c[v][r].packets)
					continue;
				printf("%s\"%s\":{\"packets\":%llu,\"bytes\":%llu}", any ? "," : "",
				       shield_reason_name(r), (unsigned long long)t.c[v][r].packets,
				       (unsigned long long)t.c[v][r].bytes);
				any = true;
			}
			printf("}");
		}
		printf("},\"rules\":[");
	} else {
		printf("%s: %s mode, link %u, program %u%s\n", ifname, shield_mode_name(st.mode),
		       li.id, li.prog_id,
		       defunct ? " (DEFUNCT: the interface is gone; detach)" : "");
		printf("  rule set %u installed %s: %llu prefixes, %s\n", st.rules_seq, when,
		       (unsigned long long)st.n_prefixes,
		       cfg.flags & SHIELD_CFG_SHADOW ? "SHADOW mode (nothing is dropped)"
						     : "enforcing");
		printf("  %-8s %-20s %14s %16s\n", "verdict", "reason", "packets", "bytes");
		for (int v = 0; v < SHIELD_V_MAX; v++)
			for (int r = 0; r < SHIELD_R_MAX; r++)
				if (t.c[v][r].packets)
					printf("  %-8s %-20s %14llu %16llu\n",
					       shield_verdict_name(v), shield_reason_name(r),
					       (unsigned long long)t.c[v][r].packets,
					       (unsigned long long)t.c[v][r].bytes);
	}
	for (__u32 i = 0, n = 0; i < SHIELD_MAX_RULES; i++) {
		__u32 k = st.active * SHIELD_MAX_RULES + i;
		struct shield_rule_info ri;
		struct shield_counter c;

		if (bpf_map_lookup_elem(h.maps.rule_info, &k, &ri) || !ri.name[0])
			continue;
		ri.name[sizeof(ri.name) - 1] = '\0';
		if (shield_read_rule_counter(&h.maps, st.active, i, &c))
			continue;
		if (json) {
			printf("%s{\"id\":%u,\"name\":", n ? "," : "", i);
			shield_json_str(ri.name);
			printf(",\"kind\":\"%s\",\"packets\":%llu,\"bytes\":%llu}",
			       kind_names[ri.kind & 3], (unsigned long long)c.packets,
			       (unsigned long long)c.bytes);
		} else {
			if (!n)
				printf("  %-4s %-32s %-10s %14s %16s\n", "rule", "name", "kind",
				       "packets", "bytes");
			printf("  %-4u %-32s %-10s %14llu %16llu\n", i, ri.name,
			       kind_names[ri.kind & 3], (unsigned long long)c.packets,
			       (unsigned long long)c.bytes);
		}
		n++;
	}
	if (json)
		printf("]");
	ret = shield_lb_status(&h.maps, json);
	if (json)
		printf("}");
	shield_close(&h);
	return ret ? fail(ret, "cannot read the balancer's maps") : 0;
}

static int do_status(struct opts *o)
{
	struct dirent *de;
	int ret = 0, n = 0;
	DIR *d;

	if (o->json)
		printf("{\"interfaces\":[");
	if (o->ifname) {
		ret = status_one(o->ifname, o->json, true);
		n = 1;
	} else {
		d = opendir(SHIELD_PIN_ROOT);
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			ret = status_one(de->d_name, o->json, !n);
			n++;
			if (ret)
				break;
		}
		if (d)
			closedir(d);
	}
	if (o->json)
		printf("]}\n");
	else if (!n)
		printf("the shield is not attached anywhere (vigil shield attach IFACE)\n");
	return ret;
}

/* ---- top ---- */

/* The interfaces the shield is pinned on, comma-separated into @list; how many. */
static int attached_list(char *list, size_t len)
{
	struct dirent *de;
	size_t used = 0;
	int n = 0;
	DIR *d = opendir(SHIELD_PIN_ROOT);

	list[0] = '\0';
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (used < len)
			used += snprintf(list + used, len - used, "%s%s", n ? ", " : "",
					 de->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static volatile sig_atomic_t stop_top;

static void on_sigint(int sig)
{
	(void)sig;
	stop_top = 1;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct shield_source_stat *)a)->key,
		      &((const struct shield_source_stat *)b)->key, sizeof(struct shield_src_key));
}

struct row {
	char label[64];
	double pps, bps, dps;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->pps < y->pps ? 1 : x->pps > y->pps ? -1 : 0;
}

static int mask_len(const __u32 *m, int words)
{
	int n = 0;

	for (int i = 0; i < words; i++)
		n += __builtin_popcount(m[i]);
	return n;
}

static void print_rows(const char *title, const char *col, struct row *rows, size_t n, long limit,
		       bool json, bool last)
{
	qsort(rows, n, sizeof(*rows), row_cmp);
	if (json) {
		printf("\"%s\":[", title);
		for (size_t i = 0; i < n && (long)i < limit; i++) {
			printf("%s{\"%s\":", i ? "," : "", col);
			shield_json_str(rows[i].label);
			printf(",\"pps\":%.1f,\"bytes_per_sec\":%.1f", rows[i].pps, rows[i].bps);
			if (!strcmp(title, "sources"))
				printf(",\"drops_per_sec\":%.1f", rows[i].dps);
			printf("}");
		}
		printf("]%s", last ? "" : ",");
		return;
	}
	printf("%-43s %12s %14s%s\n", col, "pkts/s", "bytes/s",
	       strcmp(title, "sources") ? "" : "     drops/s");
	for (size_t i = 0; i < n && (long)i < limit; i++) {
		printf("%-43s %12.0f %14.0f", rows[i].label, rows[i].pps, rows[i].bps);
		if (!strcmp(title, "sources"))
			printf(" %12.0f", rows[i].dps);
		printf("\n");
	}
	printf("\n");
}

static int do_top(struct opts *o)
{
	struct shield_source_stat *prev = NULL, *cur = NULL;
	struct shield_counter *l4a = NULL, *l4b = NULL;
	struct shield_totals ta, tb;
	struct row *rows = NULL;
	char err[SHIELD_ERR_LEN];
	struct shield_handle h;
	int ret, np, nc;
	long iter = 0;
	char attached[256];

	/* on one interface only, that one: as status, top needs no name to be useful */
	if (!o->ifname) {
		int n = attached_list(attached, sizeof(attached));

		if (!n)
			return fail(-ENOENT, "top: the shield is not attached anywhere "
					     "(vigil shield attach IFACE)");
		if (n > 1)
			return usage_error(CMD, "top: which interface? the shield is on %s",
					   attached);
		o->ifname = attached;
	}
	ret = shield_open_pinned(&h, o->ifname, err, sizeof(err));
	if (ret)
		return fail(ret, err);
	prev = calloc(SHIELD_MAX_SOURCES, sizeof(*prev));
	cur = calloc(SHIELD_MAX_SOURCES, sizeof(*cur));
	l4a = calloc(SHIELD_L4_SLOTS, sizeof(*l4a));
	l4b = calloc(SHIELD_L4_SLOTS, sizeof(*l4b));
	rows = calloc(SHIELD_L4_SLOTS > SHIELD_MAX_SOURCES ? SHIELD_L4_SLOTS : SHIELD_MAX_SOURCES,
		      sizeof(*rows));
	if (!prev || !cur || !l4a || !l4b || !rows) {
		ret = fail(-ENOMEM, "out of memory");
		goto out;
	}
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	np = shield_read_sources(&h.maps, prev, SHIELD_MAX_SOURCES);
	ret = shield_read_l4(&h.maps, l4a) ?: shield_read_counters(&h.maps, &ta);
	if (np < 0 || ret) {
		ret = fail(np < 0 ? np : ret, "cannot read the shield's statistics");
		goto out;
	}
	qsort(prev, np, sizeof(*prev), key_cmp);
	while (!stop_top && (o->count < 0 || iter < o->count)) {
		struct timespec ts = { (time_t)o->interval,
				       (long)((o->interval - (time_t)o->interval) * 1e9) };
		struct shield_config cfg = {};
		struct shield_state st = {};
		double bpk, bby;
		bool shadow;
		int v;
		size_t n = 0;
		int l4v4, l4v6;

		nanosleep(&ts, NULL);
		if (stop_top)
			break;
		nc = shield_read_sources(&h.maps, cur, SHIELD_MAX_SOURCES);
		ret = shield_read_l4(&h.maps, l4b) ?: shield_read_counters(&h.maps, &tb);
		if (nc < 0 || ret) {
			ret = fail(nc < 0 ? nc : ret, "cannot read the shield's statistics");
			goto out;
		}
		shield_read_state(&h.maps, &st);
		shield_read_config(&h.maps, st.active, &cfg);
		l4v4 = mask_len(&cfg.mask_v4, 1);
		l4v6 = mask_len(cfg.mask_v6, 4);
		qsort(cur, nc, sizeof(*cur), key_cmp);

		/* the block list's drops (or would-be drops in shadow mode) are not in the
		 * tables: they are decided before */
		shadow = cfg.flags & SHIELD_CFG_SHADOW;
		v = shadow ? SHIELD_V_SHADOW : SHIELD_V_DROP;
		bpk = (tb.c[v][SHIELD_R_BLOCK_CIDR].packets -
		       ta.c[v][SHIELD_R_BLOCK_CIDR].packets) /
		      o->interval;
		bby = (tb.c[v][SHIELD_R_BLOCK_CIDR].bytes - ta.c[v][SHIELD_R_BLOCK_CIDR].bytes) /
		      o->interval;
		if (o->json)
			printf("{\"ifname\":\"%s\",\"interval_s\":%.3f,\"shadow\":%s,"
			       "\"block_list_drops\":{\"pps\":%.1f,\"bytes_per_sec\":%.1f},",
			       o->ifname, o->interval, shadow ? "true" : "false", bpk, bby);
		else
			printf("vigil shield top %s: per second over the last %.1f s\n"
			       "block list: %.0f pkts/s, %.0f bytes/s %s (not in the tables "
			       "below)\n\n",
			       o->ifname, o->interval, bpk, bby,
			       shadow ? "would be dropped (shadow mode)" : "dropped");
		for (int i = 0; i < nc; i++) {
			struct shield_source_stat *p =
				bsearch(&cur[i], prev, np, sizeof(*prev), key_cmp);
			__u64 dp = cur[i].packets - (p ? p->packets : 0);
			__u64 db = cur[i].bytes - (p ? p->bytes : 0);
			__u64 dd = cur[i].drops - (p ? p->drops : 0);
			char addr[INET6_ADDRSTRLEN];

			if (!dp && !dd)
				continue;
			inet_ntop(cur[i].key.family == 4 ? AF_INET : AF_INET6, cur[i].key.addr,
				  addr, sizeof(addr));
			snprintf(rows[n].label, sizeof(rows[n].label), "%s/%d", addr,
				 cur[i].key.family == 4 ? l4v4 : l4v6);
			rows[n].pps = dp / o->interval;
			rows[n].bps = db / o->interval;
			rows[n].dps = dd / o->interval;
			n++;
		}
		print_rows("sources", "source", rows, n, o->limit, o->json, false);

		/* protocols: sum the port slots of tcp and udp */
		n = 0;
		for (int proto = 0; proto < 256; proto++) {
			double pk = 0, by = 0;

			if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
				__u32 base = proto == IPPROTO_TCP ? SHIELD_L4_TCP : SHIELD_L4_UDP;

				for (__u32 p = 0; p < 65536; p++) {
					pk += l4b[base + p].packets - l4a[base + p].packets;
					by += l4b[base + p].bytes - l4a[base + p].bytes;
				}
			}
			pk += l4b[SHIELD_L4_PROTO + proto].packets -
			      l4a[SHIELD_L4_PROTO + proto].packets;
			by += l4b[SHIELD_L4_PROTO + proto].bytes -
			      l4a[SHIELD_L4_PROTO + proto].bytes;
			if (!pk)
				continue;
			snprintf(rows[n].label, sizeof(rows[n].label), "%s",
				 proto == IPPROTO_TCP	   ? "tcp"
				 : proto == IPPROTO_UDP	   ? "udp"
				 : proto == IPPROTO_ICMP   ? "icmp"
				 : proto == IPPROTO_ICMPV6 ? "icmpv6"
							   : "");
			if (!rows[n].label[0])
				snprintf(rows[n].label, sizeof(rows[n].label), "%d", proto);
			rows[n].pps = pk / o->interval;
			rows[n].bps = by / o->interval;
			n++;
		}
		print_rows("protocols", "protocol", rows, n, o->limit, o->json, false);

		n = 0;
		for (__u32 i = 0; i < SHIELD_L4_PROTO; i++) {
			__u64 dp = l4b[i].packets - l4a[i].packets;

			if (!dp)
				continue;
			snprintf(rows[n].label, sizeof(rows[n].label), "%s/%u",
				 i < SHIELD_L4_UDP ? "tcp" : "udp", i % 65536);
			rows[n].pps = dp / o->interval;
			rows[n].bps = (l4b[i].bytes - l4a[i].bytes) / o->interval;
			n++;
		}
		print_rows("ports", "destination port", rows, n, o->limit, o->json, true);
		if (o->json)
			printf("}\n");
		fflush(stdout);

		/* this sample becomes the baseline */
		memcpy(prev, cur, nc * sizeof(*cur));
		np = nc;
		memcpy(l4a, l4b, SHIELD_L4_SLOTS * sizeof(*l4a));
		ta = tb;
		iter++;
	}
	ret = 0;
out:
	free(prev);
	free(cur);
	free(l4a);
	free(l4b);
	free(rows);
	shield_close(&h);
	return ret;
}

static int do_health(struct opts *o)
{
	int ret;

	if (!o->ifname)
		return usage_error(CMD, "health: which interface? e.g. vigil shield health eth0");
	ret = shield_lb_health(o->ifname);
	return ret ? errno_exit(ret) : 0;
}

static int shield_run(int argc, char **argv)
{
	const char *action;
	struct opts o;
	int ret;

	if (argc < 2) {
		shield_usage(stderr);
		return EXIT_USAGE;
	}
	action = argv[1];
	if (!strcmp(action, "--help") || !strcmp(action, "-h") || !strcmp(action, "help")) {
		shield_usage(stdout);
		return 0;
	}
	ret = parse_opts(action, argc - 1, argv + 1, &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (!strcmp(action, "attach"))
		return do_attach(&o);
	if (!strcmp(action, "reload"))
		return do_reload(&o);
	if (!strcmp(action, "detach"))
		return do_detach(&o);
	if (!strcmp(action, "status"))
		return do_status(&o);
	if (!strcmp(action, "top"))
		return do_top(&o);
	if (!strcmp(action, "check"))
		return do_check(&o);
	if (!strcmp(action, "health"))
		return do_health(&o);
	return usage_error(CMD,
			   "unknown action '%s' (attach, reload, detach, status, top, check, "
			   "health)",
			   action);
}

const struct command cmd_shield = {
	.name = "shield",
	.summary = "XDP/tc firewall, flood defence and L4 balancer: attach, reload, status, top",
	.run = shield_run,
	.usage = shield_usage,
	.options = shield_options,
};
