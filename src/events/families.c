// SPDX-License-Identifier: GPL-2.0
#include "events/family.h"

#include <stddef.h>

extern const struct event_family priv_family, kernel_family;

static const struct event_family *const families[] = {
	&priv_family,	/* events/family_priv.c */
	&kernel_family, /* events/family_kernel.c */
	NULL,		/* families are listed above this line */
};

const struct event_family *event_family_of(enum vigil_event_type type)
{
	for (size_t i = 0; families[i]; i++)
		if (type >= families[i]->first && type <= families[i]->last)
			return families[i];
	return NULL;
}
