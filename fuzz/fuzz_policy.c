// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what `vigil policy check` and `explain` do, in memory, on arbitrary bytes.
 * Parse, put in a set (ids and names across policies), compile the kernel's watch list and
 * connect denies, explain, settle a shield section's prefixes as an install would, match a few
 * open and unlink events (aborting when the rule index decides otherwise than a scan of every
 * rule), free. A NUL byte splits the input into two policies, so that the checks across
 * policies are reached too. No kernel; no file is written.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined; also linked, without
 * sanitizers, into tests/unit/test_policy, which runs the corpus and the regressions through it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/event.h"
#include "policy/compile.h"
#include "policy/match.h"
#include "policy/policy.h"
#include "vigil/ev_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct file_record {
	struct vigil_file_event r;
	char path[256];
};

static int rank(const struct rule *r)
{
	int action = r->action == ACTION_KILL ? 2 : r->action == ACTION_DENY ? 1 : 0;

	return r->severity * 8 + action * 2 + (r->policy->mode == MODE_ENFORCE);
}

/* policy_match on an event of @type on @path by @comm, against every rule scanned in order. */
static void match_one(const struct policy_set *s, struct match_cache *c, unsigned int type,
		      const char *path, const char *comm)
{
	struct file_record rec = { 0 };
	struct event ev = { .type = type, .task = &rec.r.task, .raw = &rec };
	struct event_view v = { .ev = &ev };
	const struct rule *want = NULL, *got;

	rec.r.hdr.type = type;
	rec.r.access = VIGIL_FILE_ACCESS_READ;
	rec.r.path_len = strnlen(path, sizeof(rec.path));
	memcpy(rec.path, path, rec.r.path_len);
	strncpy(rec.r.task.comm, comm, sizeof(rec.r.task.comm) - 1);
	ev.raw_size = sizeof(rec.r) + rec.r.path_len;
	for (size_t i = 0; i < s->n_by_type[type]; i++) {
		const struct rule *r = s->by_type[type][i];

		if (rule_matches(r, c, &v) && (!want || rank(r) > rank(want)))
			want = r;
	}
	got = policy_match(s, c, &v, NULL);
	if (got != want)
		abort();
}

/* Events on the exact paths and names the rules give, and on some they do not. */
static void match_events(const struct policy_set *s)
{
	static const unsigned int types[] = { VIGIL_EV_OPEN, VIGIL_EV_UNLINK };
	struct match_cache *c = match_cache_new();
	const char *comm = "cat";
	size_t n = 0;

	if (!c)
		return;
	for (size_t t = 0; t < 2; t++)
		match_one(s, c, types[t], "/etc/shadow", comm);
	for (size_t i = 0; i < s->n_policies && n < 32; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules && n < 32; j++) {
			const struct cond_group *m = &s->policies[i]->rules[j].match;

			for (size_t k = 0; k < m->n_conds && n < 32; k++)
				for (size_t l = 0; l < m->conds[k].n_values && n < 32; l++, n++) {
					const char *str = m->conds[k].values[l].str;

					if (str[0] != '/')
						comm = str;
					for (size_t t = 0; t < 2; t++)
						match_one(s, c, types[t], str, comm);
				}
		}
	match_cache_free(c);
}

static void exercise_set(const struct policy_set *s, FILE *out)
{
	struct watch_list w;
	struct net_deny_list nd;
	struct lsm_deny_list ld;
	struct exec_kill_list ek;

	if (!policy_compile_watches(s, &w))
		watch_list_free(&w);
	if (!policy_compile_net_denies(s, &nd))
		net_deny_list_free(&nd);
	if (!policy_compile_lsm_denies(s, &ld))
		lsm_deny_list_free(&ld);
	for (int lsm = 0; lsm < 2; lsm++)
		if (!policy_compile_exec_kills(s, lsm, &ek))
			exec_kill_list_free(&ek);
	for (size_t i = 0; i < s->n_policies; i++)
		if (s->policies[i]->shield)
			fprintf(out, "%zu\n",
				shield_rules_finalize(&s->policies[i]->shield->rules));
	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules; j++) {
			const struct rule *r = &s->policies[i]->rules[j];

			policy_explain_rule(r, out);
			fprintf(out, "%d %d %d %d\n", policy_kernel_kills(r),
				policy_kernel_denies(r), policy_lsm_denies(r),
				policy_exec_kills(r, false));
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *nul = memchr(buf, '\0', size);
	size_t len[2] = { nul ? (size_t)(nul - buf) : size, nul ? size - (nul - buf) - 1 : 0 };
	const char *part[2] = { buf, nul ? nul + 1 : NULL };
	struct policy *p[2] = { NULL, NULL };
	struct diags d = { 0 };
	struct policy_set *s;
	size_t n = 0;
	FILE *out;

	out = fopen("/dev/null", "we");
	if (!out)
		return 0;
	for (int i = 0; i < (nul ? 2 : 1); i++) {
		struct policy *q = policy_parse(part[i], len[i], i ? "b.yaml" : "a.yaml", &d);

		if (q)
			p[n++] = q;
	}
	/* the set takes the policies, also when it fails */
	s = policy_set_load_with(NULL, 0, false, p, n, &d);
	if (s) {
		exercise_set(s, out);
		match_events(s);
	}
	diags_print(&d, out);
	policy_set_free(s);
	diags_free(&d);
	fclose(out);
	return 0;
}
