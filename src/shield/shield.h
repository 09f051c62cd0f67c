/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shield control plane: rule sets (parsed, compiled to map images), their atomic install,
 * attach/detach with pinned bpf_links, and statistics.
 *
 *   rules.c    rule set in memory: CIDRs, ports, limits, list files
 *   yaml.c     the `shield:` YAML section -> rule set
 *   install.c  rule set -> idle generation of the maps, then flip (atomic reload)
 *   attach.c   load, attach (native/generic XDP or tc), pin, detach, open pinned
 *   stats.c    counters, per-source and per-port snapshots for status and top
 */
#ifndef VIGIL_SRC_SHIELD_H
#define VIGIL_SRC_SHIELD_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <yaml.h>

#include "vigil/shield.h"
#include "vigil/balance.h"

#define SHIELD_PIN_ROOT "/sys/fs/bpf/vigil/shield"
#define SHIELD_ERR_LEN	256

struct shield_prefix {
	__u8 family; /* 4 or 6 */
	__u8 len;
	__u16 action; /* enum shield_action */
	__u16 rule_id;
	__u8 addr[16];
};

#define LB_MAX_SVC_BACKENDS 64 /* backends of one service */

struct lb_backend_spec {
	__u32 addr[4]; /* as lb_backend's: IPv6, or IPv4 mapped */
	__u32 weight;
};

/* An lb address (IPv6, or IPv4 mapped as ::ffff:a.b.c.d) holds IPv4. */
static inline bool lb_addr_is_v4(const __u32 *a)
{
	return !a[0] && !a[1] && a[2] == htonl(0xffff);
}

static inline bool lb_addr_set(const __u32 *a)
{
	return a[0] | a[1] | a[2] | a[3];
}

/* The address as text ("192.0.2.1" or "2001:db8::1") in buf (INET6_ADDRSTRLEN bytes). */
const char *lb_addr_str(const __u32 *a, char *buf);

struct lb_service_spec {
	struct lb_svc_info info; /* flags, check and identity as lb_svc_info holds them */
	struct lb_backend_spec be[LB_MAX_SVC_BACKENDS];
	unsigned int n_be;
};

/* The balance: section. cfg.flags is derived at install (services, decap sources). */
struct shield_balance {
	struct lb_config cfg;
	struct lb_service_spec *svc; /* LB_MAX_SERVICES, allocated on the first service */
	unsigned int n_svc;
};

struct shield_ruleset {
	struct shield_config cfg;
	struct shield_prefix *prefixes;
	size_t n_prefixes, cap_prefixes;
	struct shield_rule_val *ports; /* SHIELD_PT_SLOTS entries */
	struct shield_rule_info rules[SHIELD_MAX_RULES];
	unsigned int n_rules;
	struct shield_balance lb;
};

/* rules.c */
int shield_rules_init(struct shield_ruleset *rs);
void shield_rules_free(struct shield_ruleset *rs);
/* A named rule; returns its id (>= 0) or -ENOSPC. */
int shield_rules_add_rule(struct shield_ruleset *rs, const char *name, enum shield_action kind);
/* Parse "a.b.c.d[/n]" or "v6[/n]"; host bits must be zero. */
int shield_parse_cidr(const char *s, struct shield_prefix *p, char *err, size_t errlen);
int shield_rules_add_cidr(struct shield_ruleset *rs, const char *cidr, enum shield_action action,
			  int rule_id, char *err, size_t errlen);
/* One CIDR per line, '#' comments; errors name file:line. */
int shield_rules_add_list_file(struct shield_ruleset *rs, const char *path,
			       enum shield_action action, int rule_id, char *err, size_t errlen);
/* proto: IPPROTO_*; ports lo..hi (ignored when whole_proto); src: match source port. */
int shield_rules_add_port(struct shield_ruleset *rs, int proto, bool whole_proto, int lo, int hi,
			  bool src, enum shield_action action, int rule_id, char *err,
			  size_t errlen);
/* Parse "10000", "10k", "1.5M", "2G" (powers of 1000) into a positive count. */
int shield_parse_rate(const char *s, __u64 *out);
/* rate per second and burst (units): a GCRA; per_byte costs are in 2^-16 ns per byte. */
int shield_set_limit(struct shield_limit *l, __u64 rate, __u64 burst, bool per_byte);
int shield_set_prefix_len(struct shield_config *cfg, int family, int len);
/* Resolve precedence (management beats nested block/allow entries); call before install. */
size_t shield_rules_finalize(struct shield_ruleset *rs);

/* yaml.c */
#define SHIELD_MAX_IFACES 16

/* Where a policy's shield section applies (its interfaces: and attach: keys). */
struct shield_targets {
	struct {
		char name[IF_NAMESIZE];
		unsigned int line, col; /* where the name is written */
	} ifaces[SHIELD_MAX_IFACES];
	size_t n;
	enum shield_mode mode; /* SHIELD_MODE_NONE: auto */
};

struct shield_yaml_error {
	unsigned int line, col; /* 1-based; 0: not tied to a place */
	char msg[SHIELD_ERR_LEN];
};

/*
 * The shield mapping @section of a policy file's loaded document: @targets receives its
 * interfaces, which it must name. 0, or -errno with the first problem in @e.
 */
int shield_rules_parse_section(struct shield_ruleset *rs, yaml_document_t *doc,
			       yaml_node_t *section, struct shield_targets *targets,
			       struct shield_yaml_error *e);
/*
 * A rules file's `shield:` section: the same keys as a policy's, where interfaces: and attach:
 * may be left out. Errors as "fname:line:col: error: what".
 */
int shield_rules_parse_yaml(struct shield_ruleset *rs, const char *buf, size_t len,
			    const char *fname, char *err, size_t errlen);
/* The same from the file @path; @targets (may be NULL) receives its interfaces: and attach:. */
int shield_rules_load_file(struct shield_ruleset *rs, const char *path,
			   struct shield_targets *targets, char *err, size_t errlen);

/* File descriptors of the shield's maps, from a fresh load or from the pins. */
struct shield_maps {
	int table_v4, deep_v4, rules_v4, rules_v6, port_rules, cfg, state, stats, rule_info,
		l4_stats, sources, events;
	int lb_cfg, lb_ring, lb_services, lb_services6, lb_backends, lb_svc_info, lb_flows,
		lb_flows6, lb_svc_stats, lb_be_stats, lb_misc;
};

/* install.c */
/* Wait until no BPF program still runs with what it read before (an RCU grace period). */
int shield_rcu_sync(void);
int shield_install(const struct shield_maps *m, struct shield_ruleset *rs, char *err,
		   size_t errlen);

/* balance.c */
/* The rule set's balance: part into the maps: stable slots, fresh tables, flip. */
int shield_balance_install(const struct shield_maps *m, const struct shield_ruleset *rs, char *err,
			   size_t errlen);
/*
 * New tables from what the maps hold (services, backends with their weight and health) into
 * the idle generation, then flip: after a health change. 0 or -errno.
 */
int shield_balance_rebuild(const struct shield_maps *m);
/* Warn when the shield is attached in tc mode and @rs balances or decapsulates (XDP only). */
void shield_balance_warn_tc(const struct shield_maps *m, const struct shield_ruleset *rs);
/* Set a backend slot's health; rebuilds the tables when it changed. 1: changed, 0, -errno. */
int shield_balance_set_up(const struct shield_maps *m, __u32 slot, bool up);

struct lb_status_backend {
	__u32 slot;
	struct lb_backend be;
	struct lb_counter c;
};

struct lb_status_service {
	__u32 slot;
	struct lb_svc_info info;
	struct lb_counter c;
	struct lb_status_backend be[LB_MAX_SVC_BACKENDS];
	unsigned int n_be;
};

struct lb_status {
	struct lb_globals g;
	struct lb_status_service svc[LB_MAX_SERVICES];
	unsigned int n_svc;
	__u64 misc[LB_M_MAX];
};

/* Services, backends, health and counters (summed over CPUs), by slot. 0 or -errno. */
int shield_balance_read(const struct shield_maps *m, struct lb_status *st);
const char *shield_lb_misc_name(enum lb_misc i);

/* attach.c */
struct bpf_object;

struct shield_handle {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum shield_mode mode;
	struct shield_maps maps;
	int link_fd;
	void *skel; /* struct shield_bpf *, when we loaded it */
};

const char *shield_mode_name(enum shield_mode mode);
int shield_parse_mode(const char *s, enum shield_mode *mode);
int shield_pin_dir(const char *ifname, char *buf, size_t len);
/* Serialise attach, reload and detach between vigil processes: an fd to unlock, or -1. */
int shield_lock(void);
void shield_unlock(int fd);
int shield_check_ifname(const char *ifname, int *ifindex, char *err, size_t errlen);
/* Load, install rs, attach (SHIELD_MODE_NONE = best available), optionally pin. */
int shield_attach(struct shield_handle *h, const char *ifname, enum shield_mode want,
		  struct shield_ruleset *rs, bool pin, char *err, size_t errlen);
/* Open the pinned maps and link of an attached interface. */
int shield_open_pinned(struct shield_handle *h, const char *ifname, char *err, size_t errlen);
/* Detach and remove the pins (pinned) or just detach (our own link). */
int shield_detach_pinned(const char *ifname, char *err, size_t errlen);
void shield_close(struct shield_handle *h);
/* Load the program without attaching (tests, benchmarks). */
int shield_load(struct shield_handle *h, char *err, size_t errlen);
int shield_prog_fd(const struct shield_handle *h, bool tc);

/* stats.c */
struct shield_totals {
	struct shield_counter c[SHIELD_V_MAX][SHIELD_R_MAX];
};

const char *shield_reason_name(enum shield_reason r);
const char *shield_verdict_name(enum shield_verdict v);
int shield_read_counters(const struct shield_maps *m, struct shield_totals *t);
int shield_read_rule_counter(const struct shield_maps *m, __u32 gen, __u32 rule_id,
			     struct shield_counter *out);
/*
 * Each named rule of the generation in force with its counters (since that generation was
 * installed: a reload starts them again). 0 or -errno.
 */
int shield_each_rule(const struct shield_maps *m,
		     void (*fn)(void *ctx, const char *name, const struct shield_counter *c),
		     void *ctx);
int shield_read_state(const struct shield_maps *m, struct shield_state *st);
/* The configuration of generation @gen (st.active: the one in force). */
int shield_read_config(const struct shield_maps *m, __u32 gen, struct shield_config *cfg);

struct shield_source_stat {
	struct shield_src_key key;
	__u64 packets, bytes, drops;
};

/* Up to max sources from the source table (unsorted); returns how many or -errno. */
int shield_read_sources(const struct shield_maps *m, struct shield_source_stat *out, size_t max);
/* l4_stats summed over CPUs: SHIELD_L4_SLOTS entries into out. */
int shield_read_l4(const struct shield_maps *m, struct shield_counter *out);

#endif
