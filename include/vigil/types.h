/* SPDX-License-Identifier: GPL-2.0 */
/* Fixed-size integer types on both sides of the kernel/user boundary. */
#ifndef VIGIL_TYPES_H
#define VIGIL_TYPES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Layout checks compiled on both sides: the BPF object and vigil must agree byte for byte. */
#define VIGIL_ASSERT_SIZE(type, size)                                                              \
	_Static_assert(sizeof(type) == (size), "ABI: sizeof(" #type ") changed")
#define VIGIL_ASSERT_OFFSET(type, member, off)                                                     \
	_Static_assert(__builtin_offsetof(type, member) == (off),                                  \
		       "ABI: offset of " #type "." #member " changed")

#endif
