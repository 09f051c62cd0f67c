// SPDX-License-Identifier: GPL-2.0
/* The static build's stand-in for unwind.c: Debian ships libdw.a, not its compression libraries. */
#include "profile/unwind.h"

#include <errno.h>

int unwinder_new(struct unwinder **out)
{
	*out = NULL;
	return -EOPNOTSUPP;
}

int unwinder_stack(struct unwinder *u, const struct vigil_prof_sample *s, const void *stack,
		   struct ustack *out)
{
	(void)u;
	(void)s;
	(void)stack;
	out->n = 0;
	return -EOPNOTSUPP;
}

void unwinder_free(struct unwinder *u)
{
	(void)u;
}
