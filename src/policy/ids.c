// SPDX-License-Identifier: GPL-2.0
#include "policy/ids.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct id_ref {
	const struct rule *r;
	size_t i; /* its place in the caller's order */
};

static int by_id_then_place(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;
	int c = strcmp(x->r->id, y->r->id);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

int rules_first_same_id(struct rule *const *rules, size_t n, const struct rule **first)
{
	struct id_ref *refs = calloc(n ? n : 1, sizeof(*refs));
	size_t m = 0;

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		first[i] = NULL;
		if (rules[i]->id && strcmp(rules[i]->id, "?"))
			refs[m++] = (struct id_ref){ rules[i], i };
	}
	qsort(refs, m, sizeof(*refs), by_id_then_place);
	for (size_t i = 1, g = 0; i < m; i++) {
		if (strcmp(refs[i].r->id, refs[g].r->id))
			g = i; /* a new id: its first place */
		else
			first[refs[i].i] = refs[g].r;
	}
	free(refs);
	return 0;
}
