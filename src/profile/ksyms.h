/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbols from /proc/kallsyms, for the kernel part of a stack. */
#ifndef VIGIL_PROFILE_KSYMS_H
#define VIGIL_PROFILE_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *syms; /* sorted by address */
	size_t n;
};

/* Read /proc/kallsyms's text symbols. 0, or -errno (-EPERM: addresses hidden, not root). */
int ksyms_load(struct ksyms *k);
/* The function holding @addr, or NULL. */
const char *ksyms_find(const struct ksyms *k, uint64_t addr);
void ksyms_free(struct ksyms *k);

#endif
