// SPDX-License-Identifier: GPL-2.0
#include "core/bpfmap.h"

#include <bpf/bpf.h>
#include <stdlib.h>
#include <string.h>

size_t bpf_map_delete_unwanted(int fd, size_t key_size,
			       bool (*keep)(const void *key, const void *ctx), const void *ctx)
{
	char key[64], next[64], *stale = NULL;
	size_t n = 0;

	if (key_size > sizeof(key))
		return 0;
	for (int r = bpf_map_get_next_key(fd, NULL, next); !r;
	     r = bpf_map_get_next_key(fd, key, next)) {
		char *more;

		memcpy(key, next, key_size);
		if (keep(key, ctx))
			continue;
		more = realloc(stale, (n + 1) * key_size);
		if (!more)
			break;
		stale = more;
		memcpy(stale + n++ * key_size, key, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, stale + i * key_size);
	free(stale);
	return n;
}

bool sorted_keys_has(const void *key, const void *ctx)
{
	const struct sorted_keys *k = ctx;
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(key, (const char *)k->base + mid * k->stride, k->key_size);

		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}
