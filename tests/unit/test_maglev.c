// SPDX-License-Identifier: GPL-2.0
/* Maglev tables (src/shield/maglev.c) without BPF: shares by weight, stability, 1/N moved. */
#include "harness.h"
#include "shield/maglev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define M 65537

static __u32 keys[8] = { 0x0b00000a, 0x0c00000a, 0x0d00000a, 0x0e00000a,
			 0x0f00000a, 0x1000000a, 0x1100000a, 0x1200000a };

static void shares(const __u32 *ring, unsigned int n, unsigned int *count)
{
	for (unsigned int i = 0; i < n; i++)
		count[i] = 0;
	for (__u32 j = 0; j < M; j++)
		if (ring[j] < n)
			count[ring[j]]++;
}

TEST(equal_weights_equal_shares)
{
	__u32 *ring = malloc(M * sizeof(*ring)), w[5] = { 1, 1, 1, 1, 1 };
	unsigned int c[5];

	ASSERT_OK(maglev_build(ring, M, keys, w, 5), "build");
	shares(ring, 5, c);
	for (int i = 0; i < 5; i++)
		ASSERT_TRUE(c[i] >= M / 5 - 1 && c[i] <= M / 5 + 1, "each 1/5 of the table");
	free(ring);
}

TEST(shares_follow_weights)
{
	__u32 *ring = malloc(M * sizeof(*ring)), w[4] = { 1, 2, 0, 5 };
	unsigned int c[4];

	ASSERT_OK(maglev_build(ring, M, keys, w, 4), "build");
	shares(ring, 4, c);
	printf("  weights 1:2:0:5 -> %u %u %u %u entries\n", c[0], c[1], c[2], c[3]);
	ASSERT_EQ(c[2], 0, "weight 0 gets nothing");
	ASSERT_TRUE(abs((int)c[0] - M / 8) < M / 100, "1/8");
	ASSERT_TRUE(abs((int)c[1] - M / 4) < M / 100, "2/8");
	ASSERT_TRUE(abs((int)c[3] - M * 5 / 8) < M / 100, "5/8");
	free(ring);
}

TEST(no_weight_no_backend)
{
	__u32 ring[7], w[2] = { 0, 0 };

	ASSERT_OK(maglev_build(ring, 7, keys, w, 2), "build");
	for (int j = 0; j < 7; j++)
		ASSERT_EQ(ring[j], MAGLEV_NONE, "empty");
	ASSERT_EQ(maglev_build(ring, 1, keys, w, 2), -EINVAL, "a table of 1 is refused");
}

/* Adding a backend to N moves about 1/(N+1) of the table, and (almost) only to it. */
TEST(adding_one_moves_about_one_nth)
{
	__u32 *a = malloc(M * sizeof(*a)), *b = malloc(M * sizeof(*b));
	__u32 w[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

	for (unsigned int n = 2; n < 8; n++) {
		unsigned int moved = 0, to_new = 0;

		ASSERT_OK(maglev_build(a, M, keys, w, n), "build N");
		ASSERT_OK(maglev_build(b, M, keys, w, n + 1), "build N+1");
		for (__u32 j = 0; j < M; j++) {
			moved += a[j] != b[j];
			to_new += a[j] != b[j] && b[j] == n;
		}
		printf("  %u -> %u backends: %.1f%% of the table moved (ideal %.1f%%), %.1f%% of "
		       "that to the new one\n",
		       n, n + 1, 100.0 * moved / M, 100.0 / (n + 1), 100.0 * to_new / moved);
		ASSERT_TRUE(moved < M / (n + 1) * 1.25, "moved at most ~1/(N+1) (+25%)");
		ASSERT_TRUE(to_new > moved * 0.8, "most of it to the new backend");
	}
	free(a);
	free(b);
}

TEST(same_set_same_table_whatever_the_order)
{
	__u32 *a = malloc(M * sizeof(*a)), *b = malloc(M * sizeof(*b));
	__u32 w[3] = { 1, 1, 1 }, rev[3] = { keys[2], keys[1], keys[0] };
	unsigned int differ = 0;

	ASSERT_OK(maglev_build(a, M, keys, w, 3), "build");
	ASSERT_OK(maglev_build(b, M, rev, w, 3), "build reversed");
	for (__u32 j = 0; j < M; j++)
		differ += keys[a[j]] != rev[b[j]];
	printf("  listing the backends in reverse changes %.2f%% of the entries\n",
	       100.0 * differ / M);
	ASSERT_TRUE(differ < M / 50, "the order of the list hardly matters");
	free(a);
	free(b);
}
