// SPDX-License-Identifier: GPL-2.0
/*
 * vigil policy: check, explain and list policies without loading anything; apply or remove them
 * in the running agent.
 */
#include "cli/cli.h"
#include "agent/agent.h"
#include "core/control.h"
#include "policy/compile.h"
#include "policy/fields.h"
#include "policy/policy.h"
#include "vigil/ev_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct cli_option policy_options[] = {
	OPTION("builtin", 'b', NULL, "check, explain or list the built-in ruleset too"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void policy_usage(FILE *out)
{
	fputs("usage: vigil policy <check|explain|list> [options] [FILE|DIR...]\n"
	      "       vigil policy apply FILE\n"
	      "       vigil policy remove NAME\n\n"
	      "Policies are YAML files of rules (docs/policy.md).\n\n"
	      "  check FILE|DIR...     parse and check without loading anything: every problem\n"
	      "                        as file:line:col; exit 78 when any is an error, 1 when\n"
	      "                        there was no policy to check (an empty directory)\n"
	      "  explain FILE|DIR...   what each rule matches, and which part of it the kernel\n"
	      "                        decides and which part vigil finishes in user space\n"
	      "  list [FILE|DIR...]    the rules: id, severity, ATT&CK ids, action, events;\n"
	      "                        the built-in ruleset when no file is named\n"
	      "  apply FILE            put FILE in force in the running agent (vigil run):\n"
	      "                        checked with all its policies, then written to its\n"
	      "                        policy directory as NAME.yaml (" AGENT_POLICY_DIR ");\n"
	      "                        exit 3 when no agent is running\n"
	      "  remove NAME           take the policy NAME out of the policy directory and\n"
	      "                        out of force (only what apply put there)\n\n"
	      "Options:\n",
	      out);
	options_help(out, policy_options, 0);
	fputs("\nExamples:\n"
	      "  vigil policy check /etc/vigil/policies/\n"
	      "  vigil policy explain my-rules.yaml\n"
	      "  vigil policy list\n"
	      "  sudo vigil policy apply ssh.yaml\n"
	      "  sudo vigil policy remove ssh\n",
	      out);
}

static struct policy_set *load(int argc, char **argv, bool builtin, struct diags *d)
{
	return policy_set_load((const char *const *)argv, argc, builtin, d);
}

static void print_shield_ifaces(const struct policy_shield *sh)
{
	printf("shield on ");
	for (size_t i = 0; i < sh->targets.n; i++)
		printf("%s%s", i ? ", " : "", sh->targets.ifaces[i].name);
}

/* What a shield section does, in a few lines. */
static void explain_shield(const struct policy_shield *sh)
{
	const struct shield_ruleset *rs = &sh->rules;
	size_t n[4] = { 0 }, ports = 0;

	for (size_t i = 0; i < rs->n_prefixes; i++)
		n[rs->prefixes[i].action & 3]++;
	for (size_t i = 0; i < SHIELD_PT_SLOTS; i++)
		ports += rs->ports[i].action != SHIELD_ACT_NONE;
	printf("  ");
	print_shield_ifaces(sh);
	printf(" (attach: %s)%s\n",
	       sh->targets.mode == SHIELD_MODE_NONE ? "auto" : shield_mode_name(sh->targets.mode),
	       rs->cfg.flags & SHIELD_CFG_SHADOW ? ", SHADOW: counts what it would drop, drops "
						   "nothing"
						 : "");
	printf("    prefixes: %zu block, %zu allow, %zu management; %zu port/protocol slots with "
	       "a rule\n",
	       n[SHIELD_ACT_BLOCK], n[SHIELD_ACT_ALLOW], n[SHIELD_ACT_MGMT], ports);
	printf("    per-source limits:%s%s%s%s%s\n", rs->cfg.pps.cost_ns ? " packets/s" : "",
	       rs->cfg.bps.cost_ns ? " bytes/s" : "", rs->cfg.syn.cost_ns ? " SYN" : "",
	       rs->cfg.icmp.cost_ns ? " ICMP" : "",
	       rs->cfg.pps.cost_ns || rs->cfg.bps.cost_ns || rs->cfg.syn.cost_ns ||
			       rs->cfg.icmp.cost_ns
		       ? ""
		       : " none");
	for (unsigned int i = 0; i < rs->lb.n_svc; i++) {
		const struct lb_service_spec *svc = &rs->lb.svc[i];
		char addr[INET6_ADDRSTRLEN];
		bool v4 = lb_addr_is_v4(svc->info.addr);

		printf("    balances %s %s%s%s:%u/%s over %u backends (Maglev, %s), %s health "
		       "check\n",
		       svc->info.name, v4 ? "" : "[", lb_addr_str(svc->info.addr, addr),
		       v4 ? "" : "]", svc->info.port,
		       svc->info.proto == IPPROTO_TCP ? "tcp" : "udp", svc->n_be,
		       v4 ? "IP-in-IP" : "IPv6-in-IPv6",
		       svc->info.check == LB_CHECK_HTTP	 ? "http"
		       : svc->info.check == LB_CHECK_TCP ? "tcp"
							 : "no");
	}
	if (rs->lb.cfg.n_decap)
		printf("    decapsulates IP-in-IP from %u balancer%s\n", rs->lb.cfg.n_decap,
		       rs->lb.cfg.n_decap > 1 ? "s" : "");
	printf("    kernel: XDP (or tc) on the interfaces, every packet, before the network "
	       "stack\n");
}

/*
 * A shield section's interfaces that this host lacks: a warning, not an error (a policy may be
 * written for other hosts), but `vigil run` here would refuse it.
 */
static void warn_missing_ifaces(const struct policy_set *s, struct diags *d)
{
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct policy *p = s->policies[i];

		for (size_t k = 0; p->shield && k < p->shield->targets.n; k++)
			if (!if_nametoindex(p->shield->targets.ifaces[k].name))
				diags_add(
					d, DIAG_WARNING, p->file, p->shield->targets.ifaces[k].line,
					p->shield->targets.ifaces[k].col,
					"shield on %s: this host has no such interface (vigil run "
					"here would refuse the policy)",
					p->shield->targets.ifaces[k].name);
	}
}

static int check(int argc, char **argv, bool builtin)
{
	struct diags d = { 0 };
	struct policy_set *s;
	int ret;

	if (!argc && !builtin)
		return usage_error("policy", "check needs a file or directory");
	s = load(argc, argv, builtin, &d);
	if (s)
		warn_missing_ifaces(s, &d);
	diags_print(&d, stderr);
	if (s && s->n_policies) {
		printf("ok: %zu %s, %zu %s", s->n_policies,
		       s->n_policies == 1 ? "policy" : "policies", s->n_rules,
		       s->n_rules == 1 ? "rule" : "rules");
		for (size_t i = 0; i < s->n_policies; i++)
			if (s->policies[i]->shield) {
				fputs("; ", stdout);
				print_shield_ifaces(s->policies[i]->shield);
			}
		printf("%s\n", d.n ? " (see the warnings above)" : "");
	}
	ret = s ? EXIT_OK : EXIT_CONFIG;
	/* a check of nothing must not pass for a check: a wrong path, an empty directory */
	if (s && !s->n_policies) {
		fprintf(stderr, "vigil: policy: nothing to check: no policy files (.yaml, .yml) "
				"in what was named\n");
		ret = EXIT_RUNTIME;
	}
	policy_set_free(s);
	diags_free(&d);
	return ret;
}

static void print_types(FILE *out, __u64 types)
{
	const char *sep = "";

	for (unsigned int t = 0; t < 64; t++)
		if (types & (1ull << t)) {
			fprintf(out, "%s%s", sep, event_type_name(t));
			sep = ",";
		}
}

static void print_group(FILE *out, const char *what, const struct cond_group *g)
{
	static const char *const ops[] = { "", " not", " contains" };

	for (size_t i = 0; i < g->n_conds; i++) {
		const struct cond *c = &g->conds[i];

		fprintf(out, "    %s %s%s:", what, field_def(c->field)->name, ops[c->op]);
		for (size_t j = 0; j < c->n_values && j < 8; j++)
			fprintf(out, "%s %s", j ? "," : "", c->values[j].str);
		if (c->n_values > 8)
			fprintf(out, ", ... (%zu in all)", c->n_values);
		fputc('\n', out);
		what = "and";
	}
}

static void explain_rule(const struct rule *r)
{
	printf("  %s (%s, %s%s): %s\n", r->id, severity_name(r->severity), action_name(r->action),
	       r->action != ACTION_ALERT && r->policy->mode == MODE_AUDIT ? ", audit: reported as "
									    "would_"
									  : "",
	       r->description);
	printf("    on: ");
	print_types(stdout, r->types);
	putchar('\n');
	print_group(stdout, "match", &r->match);
	for (size_t i = 0; i < r->n_excepts; i++)
		print_group(stdout, "except", &r->excepts[i]);
	policy_explain_rule(r, stdout);
	if (r->types & ~(1ull << VIGIL_EV_OPEN))
		printf("    kernel: every event of its types but open is sent%s\n",
		       r->types & (1ull << VIGIL_EV_EXEC) ? " (exec: the process table needs them)"
							  : "");
	printf("    user space: %s\n", r->match.n_conds || r->n_excepts
					       ? "the conditions above, on what the kernel sent"
					       : "nothing more: every event sent matches");
	if (policy_kernel_denies(r))
		printf("    action: the kernel refuses the connect with EPERM (cgroup connect4/6 "
		       "hooks on the cgroup2 root)\n");
	else if (policy_lsm_denies(r))
		printf("    action: refused with EPERM before it happens by BPF LSM, by inode%s; "
		       "where the kernel has no BPF LSM (vigil probe): %s\n",
		       r->types == (1ull << VIGIL_EV_EXEC) ? " of the executed file" : "",
		       policy_fanotify_denies(r)
			       ? "refused with EPERM before it happens by fanotify (the agent "
				 "answers each open or exec; docs/enforcement.md)"
		       : policy_kernel_kills(r) ? "SIGKILL in the kernel before the open returns"
		       : policy_exec_kills(r, false) ? "SIGKILL in the kernel at exec, before the "
						       "new image runs"
						     : "SIGKILL from user space after the event");
	else if (policy_exec_kills(r, false))
		printf("    action: SIGKILL in the kernel at exec (by inode), before the new image "
		       "runs an instruction\n");
	else if (r->action != ACTION_ALERT && !policy_kernel_kills(r))
		printf("    action: %s in user space after the event (SIGKILL); it may come after "
		       "the operation completed\n",
		       r->policy->mode == MODE_ENFORCE ? "kill" : "none (audit mode)");
}

static int explain(int argc, char **argv, bool builtin)
{
	struct diags d = { 0 };
	struct policy_set *s;

	if (!argc && !builtin)
		return usage_error("policy", "explain needs a file or directory");
	s = load(argc, argv, builtin, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	if (!s)
		return EXIT_CONFIG;
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct policy *p = s->policies[i];

		printf("policy %s (%s, %s mode): %zu rules%s\n", p->name, p->file,
		       p->mode == MODE_ENFORCE ? "enforce" : "audit", p->n_rules,
		       p->shield ? ", a shield section" : "");
		for (size_t j = 0; j < p->n_rules; j++)
			explain_rule(&p->rules[j]);
		if (p->shield)
			explain_shield(p->shield);
	}
	policy_set_free(s);
	return 0;
}

static int list(int argc, char **argv, bool builtin)
{
	struct diags d = { 0 };
	struct policy_set *s = load(argc, argv, builtin || !argc, &d);

	diags_print(&d, stderr);
	diags_free(&d);
	if (!s)
		return EXIT_CONFIG;
	printf("%-36s %-9s %-7s %-22s %s\n", "RULE", "SEVERITY", "ACTION", "ATT&CK", "EVENTS");
	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules; j++) {
			const struct rule *r = &s->policies[i]->rules[j];
			char mitre[128] = "";
			size_t n = 0;

			for (size_t k = 0; k < r->n_mitre && n < sizeof(mitre); k++)
				n += snprintf(mitre + n, sizeof(mitre) - n, "%s%s", k ? "," : "",
					      r->mitre[k]);
			printf("%-36s %-9s %-7s %-22s ", r->id, severity_name(r->severity),
			       action_name(r->action), mitre);
			print_types(stdout, r->types);
			putchar('\n');
		}
	printf("%zu rules in %zu policies\n", s->n_rules, s->n_policies);
	policy_set_free(s);
	return 0;
}

/* Send FILE to the running agent, which checks it and puts it in force, or keeps the old. */
static int policy_apply(int argc, char **argv)
{
	struct diags d = { 0 };
	char cmd[PATH_MAX + 16], path[PATH_MAX], *text = NULL, *resp = NULL;
	struct stat st;
	size_t len = 0;
	FILE *f;
	int ret;

	if (argc != 1)
		return usage_error("policy", "apply takes one policy file");
	if (!stat(argv[0], &st) && !S_ISREG(st.st_mode))
		return usage_error("policy",
				   "apply takes a policy file, and %s is %s (a directory is loaded "
				   "with vigil run --policy DIR)",
				   argv[0], S_ISDIR(st.st_mode) ? "a directory" : "not a file");
	f = fopen(argv[0], "re");
	if (!f) {
		fprintf(stderr, "vigil: policy: cannot read %s: %m\n", argv[0]);
		return EXIT_RUNTIME;
	}
	text = malloc(CONTROL_BODY_MAX + 1);
	if (text)
		len = fread(text, 1, CONTROL_BODY_MAX + 1, f);
	fclose(f);
	if (!text || len > CONTROL_BODY_MAX) {
		fprintf(stderr, "vigil: policy: %s is larger than 16 MiB\n", argv[0]);
		free(text);
		return EXIT_RUNTIME;
	}
	/* The agent checks it, and logs what it refuses (errors are sent too), by its full path. */
	snprintf(cmd, sizeof(cmd), "apply %s", realpath(argv[0], path) ? path : argv[0]);
	if (strchr(cmd, '\n')) {
		free(text);
		return usage_error("policy", "a file name with a newline cannot be sent");
	}
	ret = control_request(control_path(), cmd, text, len, &resp);
	if (ret < 0) {
		/* no agent to ask: the file's own errors are still worth showing */
		struct policy *p = policy_parse(text, len, argv[0], &d);

		diags_print(&d, stderr);
		diags_free(&d);
		free(text);
		if (!p)
			return EXIT_CONFIG;
		policy_free(p);
		return control_error("policy", ret);
	}
	free(text);
	fputs(resp, ret ? stderr : stdout);
	free(resp);
	return ret ? EXIT_CONFIG : EXIT_OK;
}

/* Ask the running agent to remove the policy it keeps in its policy directory. */
static int policy_remove(int argc, char **argv)
{
	char cmd[256];

	if (argc != 1 || strlen(argv[0]) > 200 || strchr(argv[0], '\n'))
		return usage_error("policy", "remove takes one policy name");
	snprintf(cmd, sizeof(cmd), "remove %s", argv[0]);
	return agent_request("policy", cmd, NULL, 0);
}

static int policy_run(int argc, char **argv)
{
	struct getopt_spec spec;
	bool builtin = false;
	const char *sub;
	int n, opt;

	if (argc < 2) {
		policy_usage(stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		policy_usage(stdout);
		return EXIT_OK;
	}
	options_getopt(policy_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc - 1, argv + 1, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'b')
			builtin = true;
		else if (opt == 'h') {
			policy_usage(stdout);
			return EXIT_OK;
		} else
			return options_error("policy", opt, argv + 1);
	}
	/* the operands, which getopt moved after the options */
	n = argc - 1 - optind;
	argv += 1 + optind;
	if (!strcmp(sub, "check"))
		return check(n, argv, builtin);
	if (!strcmp(sub, "explain"))
		return explain(n, argv, builtin);
	if (!strcmp(sub, "list"))
		return list(n, argv, builtin);
	if (!strcmp(sub, "apply"))
		return policy_apply(n, argv);
	if (!strcmp(sub, "remove"))
		return policy_remove(n, argv);
	return usage_error("policy",
			   "unknown subcommand '%s': use check, explain, list, apply or remove",
			   sub);
}

const struct command cmd_policy = {
	.name = "policy",
	.summary = "check, explain, list, apply or remove policies (YAML rules)",
	.run = policy_run,
	.usage = policy_usage,
	.options = policy_options,
};
