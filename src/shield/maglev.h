/* SPDX-License-Identifier: GPL-2.0 */
/* Maglev lookup tables (maglev.c): pure, no BPF, unit-tested. */
#ifndef VIGIL_SRC_SHIELD_MAGLEV_H
#define VIGIL_SRC_SHIELD_MAGLEV_H

#include <linux/types.h>

#define MAGLEV_NONE 0xffffffffu

/*
 * Fill ring[0..m) (m prime) with indices 0..n-1 of the backends, each identified by keys[i]
 * and taking a share weights[i] / sum(weights). Backends of weight 0 get nothing; with no
 * weight at all every entry is MAGLEV_NONE. 0 or -errno.
 */
int maglev_build(__u32 *ring, __u32 m, const __u32 *keys, const __u32 *weights, unsigned int n);

#endif
