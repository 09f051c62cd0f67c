// SPDX-License-Identifier: GPL-2.0
#include "enforce/netdeny.h"
#include "core/bpfmap.h"
#include "core/log.h"
#include "core/mounts.h"
#include "core/pins.h"
#include "vigil/enforce.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netdeny.skel.h"

struct netdeny {
	struct netdeny_bpf *skel;
	int links[2];
	int stale[2];		/* pinned links we could not adopt: kept until the first set */
	char pin_dir[PATH_MAX]; /* "": not pinned */
	bool pin_pending;	/* pin at the first set, once the maps hold the policies */
};

static const char *const link_names[2] = { "connect4", "connect6" };
static const enum bpf_attach_type attach_types[2] = { BPF_CGROUP_INET4_CONNECT,
						      BPF_CGROUP_INET6_CONNECT };

static int prog_fd(const struct netdeny *n, int i)
{
	return bpf_program__fd(i ? n->skel->progs.deny_connect6 : n->skel->progs.deny_connect4);
}

static struct bpf_map *map_at(const struct netdeny *n, int i)
{
	return i ? n->skel->maps.net_deny_any : n->skel->maps.net_deny;
}

static void close_fds(int *fd, int count)
{
	for (int i = 0; i < count; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		fd[i] = -1;
	}
}

/* The pinned links into @old; 0 when both are there. */
static int open_pinned_links(const char *dir, int old[2])
{
	for (int i = 0; i < 2; i++) {
		old[i] = pin_get(dir, link_names[i]);
		if (old[i] < 0)
			return old[i];
	}
	return 0;
}

/* Load over the pinned maps (their entries stay in force): 0, or -errno (loaded afresh). */
static int load_reusing(struct netdeny *n)
{
	int err = 0;

	for (int i = 0; i < 2 && !err; i++)
		err = pin_reuse_map(map_at(n, i), n->pin_dir);
	if (!err && !netdeny_bpf__load(n->skel))
		return 0;
	err = err ?: -errno;
	/* the pinned maps do not fit this program (another vigil): start afresh */
	netdeny_bpf__destroy(n->skel);
	n->skel = netdeny_bpf__open();
	return n->skel ? err : -errno;
}

static size_t count_keys(int fd, size_t size)
{
	char key[64], next[64];
	size_t n = 0;

	for (int r = bpf_map_get_next_key(fd, NULL, next); !r;
	     r = bpf_map_get_next_key(fd, key, next), n++)
		memcpy(key, next, size);
	return n;
}

/* Put this run's programs on the pinned links: the maps were the old run's, nothing changes. */
static int adopt(struct netdeny *n, int old[2])
{
	for (int i = 0; i < 2; i++)
		if (bpf_link_update(old[i], prog_fd(n, i), NULL))
			return -errno;
	memcpy(n->links, old, sizeof(n->links));
	old[0] = old[1] = -1;
	pr_info("enforce",
		"adopted the connect deny hooks pinned under %s: %zu denied destinations stay "
		"refused while the policies are brought in force",
		n->pin_dir,
		count_keys(bpf_map__fd(n->skel->maps.net_deny), sizeof(struct vigil_net_deny_key)) +
			count_keys(bpf_map__fd(n->skel->maps.net_deny_any),
				   sizeof(struct vigil_net_deny_any_key)));
	return 0;
}

int netdeny_start(struct netdeny **out, const char *cgroup, const char *pin_dir)
{
	struct netdeny *n = calloc(1, sizeof(*n));
	char root[PATH_MAX * 2];
	int old[2] = { -1, -1 };
	bool loaded = false;
	int fd = -1, err;

	if (!n)
		return -ENOMEM;
	n->links[0] = n->links[1] = n->stale[0] = n->stale[1] = -1;
	err = cgroup2_mount_point(root, PATH_MAX);
	if (err)
		goto fail;
	if (cgroup)
		strncat(root, cgroup, sizeof(root) - strlen(root) - 1);
	n->skel = netdeny_bpf__open();
	if (!n->skel) {
		err = -errno;
		goto fail;
	}
	if (pin_dir) {
		snprintf(n->pin_dir, sizeof(n->pin_dir), "%s", pin_dir);
		if (!open_pinned_links(pin_dir, old)) {
			err = load_reusing(n);
			loaded = !err;
			err = err ?: adopt(n, old);
			if (!err) {
				*out = n;
				return 0;
			}
			if (!n->skel) {
				err = -ENOMEM;
				goto fail;
			}
			pr_warn("enforce",
				"cannot adopt the connect deny hooks pinned under %s (%s): "
				"replacing them once the policies are in force",
				pin_dir, strerror(-err));
		}
		n->pin_pending = true;
	}
	err = loaded ? 0 : netdeny_bpf__load(n->skel);
	if (err)
		goto fail;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Links on the cgroup: every cgroup below runs them, whatever other programs it has. */
	for (int i = 0; i < 2; i++) {
		n->links[i] = bpf_link_create(prog_fd(n, i), fd, attach_types[i], NULL);
		if (n->links[i] < 0) {
			err = -errno;
			goto fail;
		}
	}
	close(fd);
	/* the old links refuse what they refused until this run's maps are filled */
	memcpy(n->stale, old, sizeof(old));
	*out = n;
	return 0;
fail:
	close_fds(old, 2);
	if (fd >= 0)
		close(fd);
	n->pin_pending = false;
	netdeny_stop(n, false);
	return err;
}

/* Pin maps, then links (their pins mark the hooks as pinned), over any old run's pins. */
static void pin_now(struct netdeny *n)
{
	int err = 0;

	n->pin_pending = false;
	for (int i = 0; i < 2 && !err; i++)
		err = pin_put(bpf_map__fd(map_at(n, i)), n->pin_dir, bpf_map__name(map_at(n, i)));
	for (int i = 0; i < 2 && !err; i++)
		err = pin_put(n->links[i], n->pin_dir, link_names[i]);
	close_fds(n->stale, 2);
	if (err) {
		pr_warn("enforce",
			"cannot pin the connect deny hooks under %s (%s): they end with this run",
			n->pin_dir, strerror(-err));
		n->pin_dir[0] = '\0';
	}
}

void netdeny_stop(struct netdeny *n, bool keep_pins)
{
	if (!n)
		return;
	if (n->pin_dir[0] && !n->pin_pending && keep_pins)
		pr_info("enforce",
			"the connect deny hooks stay in force, pinned under %s, for the next "
			"start to adopt ('vigil unload' removes them)",
			n->pin_dir);
	else if (n->pin_dir[0] && !n->pin_pending) {
		for (int i = 0; i < 2; i++) {
			pin_drop(n->pin_dir, link_names[i]);
			pin_drop(n->pin_dir, bpf_map__name(map_at(n, i)));
		}
		pin_prune(n->pin_dir);
	}
	/* the last reference to a link gone, the kernel detaches it */
	close_fds(n->links, 2);
	close_fds(n->stale, 2);
	netdeny_bpf__destroy(n->skel);
	free(n);
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
	bpf_map_delete_unwanted(port_fd, sizeof(struct vigil_net_deny_key), keep_port_key, &w);
	bpf_map_delete_unwanted(any_fd, sizeof(struct vigil_net_deny_any_key), keep_any_key, &w);
	if (n->pin_pending)
		pin_now(n);
	return 0;
}
