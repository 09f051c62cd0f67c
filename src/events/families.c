// SPDX-License-Identifier: GPL-2.0
#include "events/family.h"

#include <stddef.h>

extern const struct event_family file_family, family_net, priv_family, kernel_family, app_family;

static const struct event_family *const families[] = {
	&file_family,	/* open, unlink, rename, chmod, ... */
	&family_net,	/* connect, accept, listen, bind, socket, dns */
	&priv_family,	/* setuid, setgid, capset */
	&kernel_family, /* module_load, bpf, ptrace, process_vm_write, memfd, proc_mem_write,
			   proc_read */
	&app_family,	/* shell, tls */
	NULL,		/* families are listed above this line */
};

const struct event_family *event_family_of(unsigned int type)
{
	for (size_t i = 0; families[i]; i++)
		if (type >= families[i]->first && type <= families[i]->last)
			return families[i];
	return NULL;
}
