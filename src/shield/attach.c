// SPDX-License-Identifier: GPL-2.0
/*
 * Load the shield, attach it through a bpf_link (native XDP, generic XDP or tcx), and pin
 * link and maps under SHIELD_PIN_ROOT/<ifname>/ so later invocations find them.
 */
#include "shield/shield.h"
#include "core/log.h"
#include "core/mounts.h"
#include "core/pins.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shield.skel.h"

/* tcx (kernel 6.6+); libbpf 1.1's headers predate it, the kernel's numbers are stable ABI */
#define SHIELD_BPF_TCX_INGRESS 46

#define BPFFS "/sys/fs/bpf"

/* name: of the pin (and of the map, unless obj_name says otherwise: the globals' sections) */
static const struct {
	const char *name;
	const char *obj_name;
	size_t off;
} map_slots[] = {
	{ "table_v4", NULL, offsetof(struct shield_maps, table_v4) },
	{ "deep_v4", NULL, offsetof(struct shield_maps, deep_v4) },
	{ "rules_v4", NULL, offsetof(struct shield_maps, rules_v4) },
	{ "rules_v6", NULL, offsetof(struct shield_maps, rules_v6) },
	{ "port_rules", NULL, offsetof(struct shield_maps, port_rules) },
	{ "shield_cfg", ".data.cfg", offsetof(struct shield_maps, cfg) },
	{ "shield_state", ".data.state", offsetof(struct shield_maps, state) },
	{ "stats", NULL, offsetof(struct shield_maps, stats) },
	{ "rule_info", NULL, offsetof(struct shield_maps, rule_info) },
	{ "l4_stats", NULL, offsetof(struct shield_maps, l4_stats) },
	{ "sources", NULL, offsetof(struct shield_maps, sources) },
	{ "events", NULL, offsetof(struct shield_maps, events) },
	{ "lb_cfg", ".data.lb", offsetof(struct shield_maps, lb_cfg) },
	{ "lb_ring", NULL, offsetof(struct shield_maps, lb_ring) },
	{ "lb_services", NULL, offsetof(struct shield_maps, lb_services) },
	{ "lb_services6", NULL, offsetof(struct shield_maps, lb_services6) },
	{ "lb_backends", NULL, offsetof(struct shield_maps, lb_backends) },
	{ "lb_svc_info", NULL, offsetof(struct shield_maps, lb_svc_info) },
	{ "lb_flows", NULL, offsetof(struct shield_maps, lb_flows) },
	{ "lb_flows6", NULL, offsetof(struct shield_maps, lb_flows6) },
	{ "lb_svc_stats", NULL, offsetof(struct shield_maps, lb_svc_stats) },
	{ "lb_be_stats", NULL, offsetof(struct shield_maps, lb_be_stats) },
	{ "lb_misc", NULL, offsetof(struct shield_maps, lb_misc) },
};

#define N_MAPS (sizeof(map_slots) / sizeof(map_slots[0]))

static int *map_slot(struct shield_maps *m, size_t i)
{
	return (int *)((char *)m + map_slots[i].off);
}

const char *shield_mode_name(enum shield_mode mode)
{
	switch (mode) {
	case SHIELD_MODE_NATIVE:
		return "native";
	case SHIELD_MODE_GENERIC:
		return "generic";
	case SHIELD_MODE_TC:
		return "tc";
	default:
		return "none";
	}
}

int shield_parse_mode(const char *s, enum shield_mode *mode)
{
	if (!strcmp(s, "native") || !strcmp(s, "drv"))
		*mode = SHIELD_MODE_NATIVE;
	else if (!strcmp(s, "generic") || !strcmp(s, "skb"))
		*mode = SHIELD_MODE_GENERIC;
	else if (!strcmp(s, "tc"))
		*mode = SHIELD_MODE_TC;
	else if (!strcmp(s, "auto"))
		*mode = SHIELD_MODE_NONE;
	else
		return -EINVAL;
	return 0;
}

int shield_check_ifname(const char *ifname, int *ifindex, char *err, size_t errlen)
{
	unsigned int idx;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE || strchr(ifname, '/') ||
	    !strcmp(ifname, ".") || !strcmp(ifname, "..")) {
		snprintf(err, errlen,
			 "'%.32s' is not a valid interface name (1-%d characters, no '/')",
			 ifname ? ifname : "", IF_NAMESIZE - 1);
		return -EINVAL;
	}
	idx = if_nametoindex(ifname);
	if (!idx) {
		snprintf(err, errlen, "no interface named '%s' (see 'ip link')", ifname);
		return -ENODEV;
	}
	if (ifindex)
		*ifindex = idx;
	return 0;
}

int shield_lock(void)
{
	int fd;

	if (pin_mkdir(SHIELD_PIN_ROOT))
		return -1; /* said why; pinning will fail the same way */
	fd = open(SHIELD_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	return fd;
}

void shield_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int shield_pin_dir(const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", SHIELD_PIN_ROOT, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int ensure_bpffs(char *err, size_t errlen)
{
	int ret = bpffs_ensure();

	if (ret)
		snprintf(err, errlen, "%s is not a bpf filesystem and mounting one failed: %s",
			 BPFFS, strerror(-ret));
	return ret;
}

static void maps_reset(struct shield_maps *m)
{
	for (size_t i = 0; i < N_MAPS; i++)
		*map_slot(m, i) = -1;
}

/*
 * libbpf reads CONFIG_HZ from the kernel config and fails the load when it finds none. Then
 * say 0: the program falls back from jiffies to bpf_ktime_get_coarse_ns (slower, as exact).
 */
static const char *kconfig_fallback(void)
{
	char path[PATH_MAX];
	struct utsname u;

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		if (!access(path, R_OK))
			return NULL;
	}
	if (!access("/proc/config.gz", R_OK))
		return NULL;
	pr_debug("shield", "no kernel config found: rate limits use bpf_ktime_get_coarse_ns");
	return "CONFIG_HZ=0\n";
}

int shield_load(struct shield_handle *h, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .kconfig = kconfig_fallback());
	struct shield_bpf *skel;
	__u32 seed = 0;
	int ret;

	memset(h, 0, sizeof(*h));
	maps_reset(&h->maps);
	h->link_fd = -1;
	skel = shield_bpf__open_opts(&opts);
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the shield BPF object: %s", strerror(errno));
		return ret;
	}
	/* a weak seed still works, it only makes collisions predictable */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (__u32)getpid() * 2654435761u;
	skel->rodata->src_hash_seed = seed;
	ret = shield_bpf__load(skel);
	if (ret) {
		snprintf(
			err, errlen,
			"cannot load the shield BPF program: %s (run with -v for the verifier log)",
			strerror(-ret));
		shield_bpf__destroy(skel);
		return ret;
	}
	h->skel = skel;
	for (size_t i = 0; i < N_MAPS; i++) {
		const char *name =
			map_slots[i].obj_name ? map_slots[i].obj_name : map_slots[i].name;
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, name);

		*map_slot(&h->maps, i) = map ? bpf_map__fd(map) : -1;
	}
	return 0;
}

int shield_prog_fd(const struct shield_handle *h, bool tc)
{
	const struct shield_bpf *skel = h->skel;

	if (!skel)
		return -ENOENT;
	return bpf_program__fd(tc ? skel->progs.shield_tc : skel->progs.shield_xdp);
}

/* Is someone else's XDP program on the interface? Fills a description when so. */
static bool foreign_xdp(int ifindex, char *desc, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	__u32 id;
	int fd;

	if (bpf_xdp_query(ifindex, 0, &q))
		return false;
	id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	if (!id)
		return false;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(desc, len, "program id %u ('%s', %s mode)", id, info.name,
			 q.drv_prog_id	 ? "native"
			 : q.skb_prog_id ? "generic"
					 : "offload");
	else
		snprintf(desc, len, "program id %u", id);
	if (fd >= 0)
		close(fd);
	return true;
}

static int link_xdp(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

static int link_tc(int prog_fd, int ifindex)
{
	int fd = bpf_link_create(prog_fd, ifindex, SHIELD_BPF_TCX_INGRESS, NULL);

	return fd < 0 ? -errno : fd;
}

static int do_attach(struct shield_handle *h, enum shield_mode want, char *err, size_t errlen)
{
	int xdp_fd = shield_prog_fd(h, false), tc_fd = shield_prog_fd(h, true);
	int fd = -EOPNOTSUPP, e_native = 0, e_generic = 0, e_tc = 0;

	if (want == SHIELD_MODE_NONE || want == SHIELD_MODE_NATIVE) {
		fd = link_xdp(xdp_fd, h->ifindex, XDP_FLAGS_DRV_MODE);
		if (fd >= 0) {
			h->mode = SHIELD_MODE_NATIVE;
			goto done;
		}
		e_native = fd;
		pr_debug("shield", "native XDP on %s: %s", h->ifname, strerror(-fd));
	}
	if (want == SHIELD_MODE_NONE || want == SHIELD_MODE_GENERIC) {
		fd = link_xdp(xdp_fd, h->ifindex, XDP_FLAGS_SKB_MODE);
		if (fd >= 0) {
			h->mode = SHIELD_MODE_GENERIC;
			goto done;
		}
		e_generic = fd;
		pr_debug("shield", "generic XDP on %s: %s", h->ifname, strerror(-fd));
	}
	if (want == SHIELD_MODE_NONE || want == SHIELD_MODE_TC) {
		fd = link_tc(tc_fd, h->ifindex);
		if (fd >= 0) {
			h->mode = SHIELD_MODE_TC;
			goto done;
		}
		e_tc = fd;
	}
	if (want != SHIELD_MODE_NONE)
		snprintf(err, errlen, "cannot attach in %s mode to %s: %s%s",
			 shield_mode_name(want), h->ifname, strerror(-fd),
			 want == SHIELD_MODE_NATIVE
				 ? " (driver lacks native XDP? try --mode generic)"
			 : want == SHIELD_MODE_TC ? " (tcx needs kernel 6.6+)"
						  : "");
	else
		snprintf(err, errlen, "cannot attach to %s: native: %s; generic: %s; tc: %s",
			 h->ifname, strerror(-e_native), strerror(-e_generic), strerror(-e_tc));
	return fd;
done:
	h->link_fd = fd;
	return 0;
}

static void unpin_all(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/link", dir);
	unlink(path);
	for (size_t i = 0; i < N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_slots[i].name);
		unlink(path);
	}
	rmdir(dir);
}

static int pin_all(struct shield_handle *h, const char *dir)
{
	char path[PATH_MAX];
	int ret;

	ret = pin_mkdir(dir);
	if (ret)
		return ret;
	for (size_t i = 0; i < N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_slots[i].name);
		if (bpf_obj_pin(*map_slot(&h->maps, i), path))
			return -errno;
	}
	/* the link last: its pin is what marks the interface as attached */
	snprintf(path, sizeof(path), "%s/link", dir);
	if (bpf_obj_pin(h->link_fd, path))
		return -errno;
	return 0;
}

int shield_attach(struct shield_handle *h, const char *ifname, enum shield_mode want,
		  struct shield_ruleset *rs, bool pin, char *err, size_t errlen)
{
	char dir[128], path[PATH_MAX], desc[128];
	struct shield_ruleset empty;
	struct shield_state st;
	__u32 zero = 0;
	int ifindex, ret;

	ret = shield_check_ifname(ifname, &ifindex, err, errlen);
	if (ret)
		return ret;
	if (pin) {
		ret = ensure_bpffs(err, errlen);
		if (ret)
			return ret;
		shield_pin_dir(ifname, dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/link", dir);
		if (!access(path, F_OK)) {
			snprintf(err, errlen,
				 "the shield is already attached to %s; use 'vigil shield reload' "
				 "to "
				 "change rules or 'vigil shield detach %s' first",
				 ifname, ifname);
			return -EEXIST;
		}
	}
	if (want != SHIELD_MODE_TC && foreign_xdp(ifindex, desc, sizeof(desc))) {
		snprintf(err, errlen,
			 "%s already has an XDP %s that vigil did not attach; not replacing it. "
			 "Remove it (ip link set dev %s xdp off) or use --mode tc",
			 ifname, desc, ifname);
		return -EBUSY;
	}
	ret = shield_load(h, err, errlen);
	if (ret)
		return ret;
	snprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
	h->ifindex = ifindex;
	if (!rs) {
		ret = shield_rules_init(&empty);
		if (ret)
			goto fail;
	}
	ret = shield_install(&h->maps, rs ? rs : &empty, err, errlen);
	if (!rs)
		shield_rules_free(&empty);
	if (ret)
		goto fail;
	ret = do_attach(h, want, err, errlen);
	if (ret)
		goto fail;
	if (!bpf_map_lookup_elem(h->maps.state, &zero, &st)) {
		st.mode = h->mode;
		st.ifindex = ifindex;
		bpf_map_update_elem(h->maps.state, &zero, &st, BPF_ANY);
	}
	if (rs)
		shield_balance_warn_tc(&h->maps, rs);
	if (pin) {
		ret = pin_all(h, dir);
		if (ret) {
			snprintf(err, errlen, "cannot pin the shield under %s: %s", dir,
				 strerror(-ret));
			unpin_all(dir);
			goto fail;
		}
	}
	return 0;
fail:
	shield_close(h);
	return ret;
}

/*
 * The configuration map's layout changed (one value holding both generations, since the
 * program reads it as a global): a shield pinned by an older vigil has one entry per
 * generation, and writing it the new way would leave the idle generation's configuration stale.
 */
static int check_cfg_layout(int fd, const char *ifname, char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int ret = -errno;

		snprintf(err, errlen, "cannot inspect the shield's configuration map: %s",
			 strerror(-ret));
		return ret;
	}
	if (info.max_entries != 1 ||
	    info.value_size != SHIELD_GENS * sizeof(struct shield_config)) {
		snprintf(err, errlen,
			 "the shield on %s was attached by another version of vigil (its "
			 "configuration map has %u entries of %u bytes); run 'vigil shield detach "
			 "%s' and attach it again",
			 ifname, info.max_entries, info.value_size, ifname);
		return -EPROTO;
	}
	return 0;
}

int shield_open_pinned(struct shield_handle *h, const char *ifname, char *err, size_t errlen)
{
	char dir[128], path[PATH_MAX];
	struct shield_state st;
	__u32 zero = 0;
	int ret;

	memset(h, 0, sizeof(*h));
	maps_reset(&h->maps);
	h->link_fd = -1;
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE || strchr(ifname, '/')) {
		snprintf(err, errlen, "'%.32s' is not a valid interface name",
			 ifname ? ifname : "");
		return -EINVAL;
	}
	snprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
	shield_pin_dir(ifname, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/link", dir);
	h->link_fd = bpf_obj_get(path);
	if (h->link_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "the shield is not attached to %s (no %s)", ifname, path);
		goto fail;
	}
	for (size_t i = 0; i < N_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_slots[i].name);
		*map_slot(&h->maps, i) = bpf_obj_get(path);
		if (*map_slot(&h->maps, i) < 0) {
			/* a missing map: pinned by a vigil without it (-EPROTO: replace it) */
			ret = errno == ENOENT ? -EPROTO : -errno;
			snprintf(err, errlen,
				 "pinned shield map %s is missing: %s; run 'vigil shield "
				 "detach %s' and attach again",
				 path, strerror(errno), ifname);
			goto fail;
		}
	}
	ret = check_cfg_layout(h->maps.cfg, ifname, err, errlen);
	if (ret)
		goto fail;
	if (!bpf_map_lookup_elem(h->maps.state, &zero, &st)) {
		h->mode = st.mode;
		h->ifindex = st.ifindex;
	}
	return 0;
fail:
	shield_close(h);
	return ret;
}

int shield_detach_pinned(const char *ifname, char *err, size_t errlen)
{
	char dir[128], path[PATH_MAX];
	int fd;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE || strchr(ifname, '/')) {
		snprintf(err, errlen, "'%.32s' is not a valid interface name",
			 ifname ? ifname : "");
		return -EINVAL;
	}
	shield_pin_dir(ifname, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/link", dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (access(dir, F_OK)) {
			snprintf(err, errlen, "the shield is not attached to %s", ifname);
			return -ENOENT;
		}
	} else {
		/* detach now, even if some other process still holds the link */
		bpf_link_detach(fd);
		close(fd);
	}
	unpin_all(dir);
	return 0;
}

void shield_close(struct shield_handle *h)
{
	if (h->link_fd >= 0)
		close(h->link_fd);
	h->link_fd = -1;
	if (h->skel) {
		/* the skeleton owns the map fds */
		shield_bpf__destroy(h->skel);
		h->skel = NULL;
	} else {
		for (size_t i = 0; i < N_MAPS; i++)
			if (*map_slot(&h->maps, i) >= 0)
				close(*map_slot(&h->maps, i));
	}
	maps_reset(&h->maps);
}
