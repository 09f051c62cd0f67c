// SPDX-License-Identifier: GPL-2.0
#include "enforce/netdeny.h"
#include "core/log.h"
#include "core/mounts.h"
#include "vigil/enforce.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netdeny.skel.h"

struct netdeny {
	struct netdeny_bpf *skel;
	struct bpf_link *links[2];
};

int netdeny_start(struct netdeny **out, const char *cgroup)
{
	struct netdeny *n = calloc(1, sizeof(*n));
	char root[PATH_MAX * 2];
	int fd = -1, err;

	if (!n)
		return -ENOMEM;
	err = cgroup2_mount_point(root, PATH_MAX);
	if (err)
		goto fail;
	if (cgroup)
		strncat(root, cgroup, sizeof(root) - strlen(root) - 1);
	n->skel = netdeny_bpf__open_and_load();
	if (!n->skel) {
		err = -errno;
		goto fail;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Links on the cgroup: every cgroup below runs them, whatever other programs it has. */
	n->links[0] = bpf_program__attach_cgroup(n->skel->progs.deny_connect4, fd);
	n->links[1] =
		n->links[0] ? bpf_program__attach_cgroup(n->skel->progs.deny_connect6, fd) : NULL;
	if (!n->links[1]) {
		err = -errno;
		goto fail;
	}
	close(fd);
	*out = n;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	netdeny_stop(n);
	return err;
}

void netdeny_stop(struct netdeny *n)
{
	if (!n)
		return;
	bpf_link__destroy(n->links[1]);
	bpf_link__destroy(n->links[0]);
	netdeny_bpf__destroy(n->skel);
	free(n);
}

/* Delete the keys of @fd that @keep (a predicate on a key) refuses; keys are @size bytes. */
static void delete_stale(int fd, size_t size, bool (*keep)(const void *key, const void *ctx),
			 const void *ctx)
{
	char key[64], next[64], *stale = NULL;
	size_t n = 0;
	int r;

	for (r = bpf_map_get_next_key(fd, NULL, next); !r;
	     r = bpf_map_get_next_key(fd, key, next)) {
		char *more;

		memcpy(key, next, size);
		if (keep(key, ctx))
			continue;
		more = realloc(stale, (n + 1) * size);
		if (!more)
			break;
		stale = more;
		memcpy(stale + n++ * size, key, size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, stale + i * size);
	free(stale);
}

struct wanted {
	const struct net_deny *d;
	size_t count;
};

static bool keep_port_key(const void *key, const void *ctx)
{
	const struct vigil_net_deny_key *k = key;
	const struct wanted *w = ctx;

	for (size_t i = 0; i < w->count; i++)
		if (w->d[i].port >= 0 && k->port == htons(w->d[i].port) &&
		    k->prefixlen == 16u + w->d[i].prefix_len && !memcmp(k->addr, w->d[i].addr, 16))
			return true;
	return false;
}

static bool keep_any_key(const void *key, const void *ctx)
{
	const struct vigil_net_deny_any_key *k = key;
	const struct wanted *w = ctx;

	for (size_t i = 0; i < w->count; i++)
		if (w->d[i].port < 0 && k->prefixlen == w->d[i].prefix_len &&
		    !memcmp(k->addr, w->d[i].addr, 16))
			return true;
	return false;
}

int netdeny_set(struct netdeny *n, const struct net_deny *d, size_t count)
{
	int port_fd = bpf_map__fd(n->skel->maps.net_deny);
	int any_fd = bpf_map__fd(n->skel->maps.net_deny_any);
	struct wanted w = { d, count };
	__u32 one = 1;

	for (size_t i = 0; i < count; i++) {
		int err;

		if (d[i].port >= 0) {
			struct vigil_net_deny_key k = { .prefixlen = 16 + d[i].prefix_len,
							.port = htons(d[i].port) };

			memcpy(k.addr, d[i].addr, 16);
			err = bpf_map_update_elem(port_fd, &k, &one, BPF_ANY);
		} else {
			struct vigil_net_deny_any_key k = { .prefixlen = d[i].prefix_len };

			memcpy(k.addr, d[i].addr, 16);
			err = bpf_map_update_elem(any_fd, &k, &one, BPF_ANY);
		}
		if (err) {
			pr_warn("enforce", "cannot deny a network destination: %s",
				strerror(errno));
			return -errno;
		}
	}
	delete_stale(port_fd, sizeof(struct vigil_net_deny_key), keep_port_key, &w);
	delete_stale(any_fd, sizeof(struct vigil_net_deny_any_key), keep_any_key, &w);
	return 0;
}
