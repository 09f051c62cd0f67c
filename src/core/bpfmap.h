/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers on BPF maps that several subsystems keep in step with a list of their own. */
#ifndef VIGIL_CORE_BPFMAP_H
#define VIGIL_CORE_BPFMAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Delete every key of the map @fd (keys of @key_size bytes, at most 64) that @keep refuses;
 * how many. The keys are gathered first: deleting while walking the map could skip some.
 */
size_t bpf_map_delete_unwanted(int fd, size_t key_size,
			       bool (*keep)(const void *key, const void *ctx), const void *ctx);

/* A sorted array of @n elements of @stride bytes, each starting with a key: for a keep(). */
struct sorted_keys {
	const void *base;
	size_t n, stride, key_size;
};

/* keep() for bpf_map_delete_unwanted: is the key in the struct sorted_keys @ctx? */
bool sorted_keys_has(const void *key, const void *ctx);

#endif
