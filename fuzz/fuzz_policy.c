// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what `vigil policy check` and `explain` do, in memory, on arbitrary bytes.
 * Parse, put in a set (ids and names across policies), compile the kernel's watch list and
 * connect denies, explain, free. A NUL byte splits the input into two policies, so that the
 * checks across policies are reached too. No kernel; no file is written.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined; also linked, without
 * sanitizers, into tests/unit/test_policy, which runs the corpus and the regressions through it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise_set(const struct policy_set *s, FILE *out)
{
	struct watch_list w;
	struct net_deny_list nd;

	if (!policy_compile_watches(s, &w))
		watch_list_free(&w);
	if (!policy_compile_net_denies(s, &nd))
		net_deny_list_free(&nd);
	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules; j++) {
			const struct rule *r = &s->policies[i]->rules[j];

			policy_explain_rule(r, out);
			fprintf(out, "%d %d\n", policy_kernel_kills(r), policy_kernel_denies(r));
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
	if (s)
		exercise_set(s, out);
	diags_print(&d, out);
	policy_set_free(s);
	diags_free(&d);
	fclose(out);
	return 0;
}
