// SPDX-License-Identifier: GPL-2.0
/* Folded stacks: counting, sorting, and the folded and top-N outputs. */
#include "profile/stacks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int stack_table_init(struct stack_table *t)
{
	memset(t, 0, sizeof(*t));
	t->size = 1024;
	t->slots = calloc(t->size, sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

static struct stack_count *slot_of(struct stack_count *slots, size_t size, const char *folded)
{
	size_t i = hash_str(folded) & (size - 1);

	while (slots[i].folded && strcmp(slots[i].folded, folded))
		i = (i + 1) & (size - 1);
	return &slots[i];
}

static int grow(struct stack_table *t)
{
	size_t size = t->size * 2;
	struct stack_count *slots = calloc(size, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->size; i++)
		if (t->slots[i].folded)
			*slot_of(slots, size, t->slots[i].folded) = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->size = size;
	return 0;
}

int stack_table_add(struct stack_table *t, const char *folded, uint64_t value)
{
	struct stack_count *c;
	int ret;

	t->total += value;
	c = slot_of(t->slots, t->size, folded);
	if (c->folded) {
		c->value += value;
		return 0;
	}
	if (t->used >= STACKS_MAX) {
		t->dropped += value;
		return -ENOSPC;
	}
	if ((t->used + 1) * 2 > t->size) {
		ret = grow(t);
		if (ret)
			return ret;
		c = slot_of(t->slots, t->size, folded);
	}
	c->folded = strdup(folded);
	if (!c->folded)
		return -ENOMEM;
	c->value = value;
	t->used++;
	return 0;
}

static int by_value(const void *a, const void *b)
{
	const struct stack_count *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->folded, y->folded);
}

int stack_table_sorted(const struct stack_table *t, struct stack_count **out, size_t *n)
{
	struct stack_count *s = malloc((t->used ? t->used : 1) * sizeof(*s));
	size_t k = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->size; i++)
		if (t->slots[i].folded)
			s[k++] = t->slots[i];
	qsort(s, k, sizeof(*s), by_value);
	*out = s;
	*n = k;
	return 0;
}

void stack_table_free(struct stack_table *t)
{
	for (size_t i = 0; i < t->size; i++)
		free(t->slots[i].folded);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

void stacks_write_folded(FILE *out, const struct stack_count *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s %llu\n", s[i].folded, (unsigned long long)s[i].value);
}

/* ------------------------------------------------------------------ top-N */

struct func_count {
	const char *name; /* into a folded line, up to ';' or its end */
	size_t len;
	uint64_t self, total, seen; /* seen: the stack index that last added to total */
};

static struct func_count *func_find(struct stack_table *names, struct func_count **funcs, size_t *n,
				    size_t *cap, const char *name, size_t len)
{
	char key[512];
	struct stack_count *c;

	snprintf(key, sizeof(key), "%.*s", (int)(len < 511 ? len : 511), name);
	c = slot_of(names->slots, names->size, key);
	if (c->folded)
		return &(*funcs)[c->value];
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct func_count *f = realloc(*funcs, ncap * sizeof(*f));

		if (!f)
			return NULL;
		*funcs = f;
		*cap = ncap;
	}
	if (stack_table_add(names, key, *n))
		return NULL;
	(*funcs)[*n] = (struct func_count){ .name = name, .len = len, .seen = SIZE_MAX };
	return &(*funcs)[(*n)++];
}

/* Ties by name: the same profile prints the same way. */
static int by_name(const struct func_count *x, const struct func_count *y)
{
	int c = strncmp(x->name, y->name, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int by_self(const void *a, const void *b)
{
	const struct func_count *x = a, *y = b;

	return x->self != y->self ? (x->self < y->self ? 1 : -1) : by_name(x, y);
}

static int by_total(const void *a, const void *b)
{
	const struct func_count *x = a, *y = b;

	return x->total != y->total ? (x->total < y->total ? 1 : -1) : by_name(x, y);
}

static void print_row(FILE *out, const struct func_count *f, uint64_t v, uint64_t total, bool ns)
{
	double pct = total ? 100.0 * (double)v / (double)total : 0;

	if (ns)
		fprintf(out, "  %6.2f%%  %12.3f ms  %.*s\n", pct, (double)v / 1e6, (int)f->len,
			f->name);
	else
		fprintf(out, "  %6.2f%%  %10llu  %.*s\n", pct, (unsigned long long)v, (int)f->len,
			f->name);
}

int stacks_write_top(FILE *out, const struct stack_count *s, size_t n, uint64_t total,
		     unsigned int top, bool ns)
{
	struct func_count *funcs = NULL, *f;
	size_t nfuncs = 0, cap = 0;
	struct stack_table names;
	int ret = stack_table_init(&names);

	if (ret)
		return ret;
	/* the process name (the first frame) is not a function */
	for (size_t i = 0; i < n; i++) {
		const char *p = strchr(s[i].folded, ';');

		while (p) {
			const char *name = p + 1, *end = strchr(name, ';');
			size_t len = end ? (size_t)(end - name) : strlen(name);

			f = func_find(&names, &funcs, &nfuncs, &cap, name, len);
			if (!f) {
				ret = -ENOMEM;
				goto out;
			}
			/* recursion: a function counts once per stack in total */
			if (f->seen != i)
				f->total += s[i].value;
			f->seen = i;
			if (!end)
				f->self += s[i].value;
			p = end;
		}
	}
	if (!top || top > nfuncs)
		top = (unsigned int)nfuncs;
	fprintf(out, "Self (where the time was spent):\n");
	qsort(funcs, nfuncs, sizeof(*funcs), by_self);
	for (size_t i = 0; i < top && funcs[i].self; i++)
		print_row(out, &funcs[i], funcs[i].self, total, ns);
	fprintf(out, "\nTotal (the function and what it called):\n");
	qsort(funcs, nfuncs, sizeof(*funcs), by_total);
	for (size_t i = 0; i < top; i++)
		print_row(out, &funcs[i], funcs[i].total, total, ns);
out:
	free(funcs);
	stack_table_free(&names);
	return ret;
}
