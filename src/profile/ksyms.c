// SPDX-License-Identifier: GPL-2.0
/* /proc/kallsyms, sorted once, searched by address. */
#include "profile/ksyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int ksyms_load(struct ksyms *k)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t cap = 0;
	char line[512];
	int ret = 0;

	memset(k, 0, sizeof(*k));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (k->n == cap) {
			struct ksym *s = realloc(k->syms, (cap ? cap * 2 : 65536) * sizeof(*s));

			if (!s) {
				ret = -ENOMEM;
				break;
			}
			k->syms = s;
			cap = cap ? cap * 2 : 65536;
		}
		k->syms[k->n].addr = addr;
		k->syms[k->n].name = strdup(name);
		if (!k->syms[k->n].name) {
			ret = -ENOMEM;
			break;
		}
		k->n++;
	}
	fclose(f);
	if (!ret && k->n && !k->syms[k->n - 1].addr)
		ret = -EPERM; /* kptr_restrict shows zeros */
	if (ret) {
		ksyms_free(k);
		return ret;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), by_addr);
	return 0;
}

const char *ksyms_find(const struct ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->n;

	if (!k->n || addr < k->syms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return k->syms[lo].name;
}

void ksyms_free(struct ksyms *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->syms[i].name);
	free(k->syms);
	memset(k, 0, sizeof(*k));
}
