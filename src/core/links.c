// SPDX-License-Identifier: GPL-2.0
#include "core/links.h"

#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

static void *destroy_one(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void links_destroy_all(struct bpf_object_skeleton *s)
{
	pthread_t *threads;
	bool *started;
	int n = s->prog_cnt;

	threads = calloc(n ? n : 1, sizeof(*threads));
	started = calloc(n ? n : 1, sizeof(*started));
	for (int i = 0; i < n; i++) {
		/* the skeleton says how big its entries are: the header may be older than libbpf */
		struct bpf_prog_skeleton *prog = (void *)((char *)s->progs + i * s->prog_skel_sz);
		struct bpf_link **link = prog->link;

		if (!link || !*link)
			continue;
		/* without memory or a thread, this one the slow way */
		if (threads && started && !pthread_create(&threads[i], NULL, destroy_one, *link))
			started[i] = true;
		else
			bpf_link__destroy(*link);
		*link = NULL;
	}
	for (int i = 0; started && i < n; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	free(threads);
	free(started);
}
