// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, section 3.4), with weights.
 *
 * Each backend has a permutation of the table's M positions (M prime): it starts at
 * offset = h1(key) mod M and steps by skip = h2(key) mod (M - 1) + 1, which visits every
 * position once because M is prime. The backends take turns; on its turn a backend claims the
 * next position of its permutation that is still free, until the table is full. Weights: on
 * each round a backend earns its weight in credit and claims one position per max-weight of
 * credit, so its share of the table is weight / sum of weights. The key is the backend's
 * address, not its place in the list: adding or removing one backend moves about 1/N of the
 * positions, and the same set always gives the same table.
 */
#include "shield/maglev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static __u64 mix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int maglev_build(__u32 *ring, __u32 m, const __u32 *keys, const __u32 *weights, unsigned int n)
{
	__u32 *offset = NULL, *skip = NULL, *next = NULL, wmax = 0, filled = 0;
	__u64 *credit = NULL;
	int ret = 0;

	if (m < 2)
		return -EINVAL;
	for (__u32 i = 0; i < m; i++)
		ring[i] = MAGLEV_NONE;
	for (unsigned int i = 0; i < n; i++)
		if (weights[i] > wmax)
			wmax = weights[i];
	if (!wmax)
		return 0; /* nobody to send to: every position stays MAGLEV_NONE */
	offset = calloc(n, sizeof(*offset));
	skip = calloc(n, sizeof(*skip));
	next = calloc(n, sizeof(*next));
	credit = calloc(n, sizeof(*credit));
	if (!offset || !skip || !next || !credit) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		offset[i] = mix64(keys[i]) % m;
		skip[i] = mix64((__u64)keys[i] << 32 | 0x5bd1e995u) % (m - 1) + 1;
	}
	while (filled < m) {
		for (unsigned int i = 0; i < n && filled < m; i++) {
			if (!weights[i])
				continue;
			credit[i] += weights[i];
			while (credit[i] >= wmax && filled < m) {
				__u32 pos;

				do {
					pos = (offset[i] + (__u64)next[i] * skip[i]) % m;
					next[i]++;
				} while (ring[pos] != MAGLEV_NONE);
				ring[pos] = i;
				filled++;
				credit[i] -= wmax;
			}
		}
	}
out:
	free(offset);
	free(skip);
	free(next);
	free(credit);
	return ret;
}
