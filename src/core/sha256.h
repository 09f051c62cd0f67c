/* SPDX-License-Identifier: GPL-2.0 */
/* SHA-256 (FIPS 180-4), for the content hash of executables (baselines). */
#ifndef VIGIL_CORE_SHA256_H
#define VIGIL_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t used;
	uint64_t bytes;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest as 64 lower-case hex digits and a NUL into @hex. */
void sha256_final_hex(struct sha256 *s, char hex[65]);
/* Of the whole file at @path: 0, or -errno. */
int sha256_file_hex(const char *path, char hex[65]);

#endif
