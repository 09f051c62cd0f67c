// SPDX-License-Identifier: GPL-2.0
/*
 * vigil probe: every answer is checked against an independent attempt made here (raw
 * bpf_prog_load/bpf_prog_attach instead of the skeleton and links, libbpf's own helper
 * probes, securityfs/tracefs mounted in a private mount namespace), never against what this
 * host is expected to have. The CLI is checked through the built ./vigil (VIGIL_BIN).
 */
#include "harness.h"

#include "core/log.h"
#include "core/probe.h"
#include "core/mounts.h"
#include "probe_btf.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534
#define NOPERM_LINE                                                                                \
	"vigil: probe: needs root (CAP_BPF/CAP_SYS_ADMIN) to load test programs; "                 \
	"try: sudo vigil probe\n"

/* libbpf's messages go through vigil's logger (hidden unless debug), as in vigil itself. */
__attribute__((constructor)) static void quiet_libbpf(void)
{
	log_bridge_libbpf();
}

static struct probe_result get(enum vigil_feature f)
{
	struct probe_result r = {};

	probe_feature(f, &r);
	return r;
}

/* ---------------------------------------------------------------- independent loads */

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static const struct bpf_insn ret1[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static const struct bpf_insn ret_xdp_pass[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
	{ .code = BPF_JMP | BPF_EXIT },
};

/* A trampoline program (fentry, lsm) on a kernel function, by hand: -errno of load or link. */
static int raw_btf_attach(enum bpf_prog_type type, enum bpf_attach_type at, const char *func)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = at);
	struct btf *btf = btf__load_vmlinux_btf();
	int id, fd, link, err = 0;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	btf__free(btf);
	if (id <= 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(type, "indep", "GPL", ret0, 2, &opts);
	if (fd < 0)
		return fd;
	link = bpf_link_create(fd, 0, at, NULL);
	if (link < 0)
		err = link;
	else
		close(link);
	close(fd);
	return err;
}

/* Run fn in a child with its own mount namespace; returns the child's exit code or -1. */
static int in_child(int (*fn)(void *), void *arg, int ns_flags)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (ns_flags && unshare(ns_flags))
			_exit(100);
		if ((ns_flags & CLONE_NEWNS) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(101);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Child: is "bpf" in the LSM list? 1 yes, 0 no, 2 unknown. */
static int child_bpf_lsm_active(void *arg)
{
	char buf[512] = "";
	FILE *f;

	(void)arg;
	mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
	f = fopen("/sys/kernel/security/lsm", "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		return 2;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
		if (!strcmp(tok, "bpf"))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- API */

TEST(feature_table_complete)
{
	enum vigil_feature f, g;

	probe_for_each_feature(f)
	{
		ASSERT_TRUE(probe_feature_name(f)[0], "every feature has a name");
		ASSERT_TRUE(probe_feature_summary(f)[0], "every feature has a summary");
		ASSERT_TRUE(probe_feature_fallback(f)[0], "every feature says what vigil does");
		ASSERT_EQ(probe_feature_by_name(probe_feature_name(f)), f, "name round-trips");
		for (g = f + 1; g < FEAT__COUNT; g++)
			ASSERT_TRUE(strcmp(probe_feature_name(f), probe_feature_name(g)),
				    "names are unique");
	}
	ASSERT_EQ(probe_feature_by_name("no-such-feature"), -ENOENT, "unknown name");
	ASSERT_EQ(probe_feature(FEAT__COUNT, &(struct probe_result){}), -EINVAL,
		  "out-of-range feature");
}

TEST(every_answer_has_a_reason)
{
	enum vigil_feature f;

	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_OK(probe_all(), "probe_all");
	probe_for_each_feature(f)
	{
		struct probe_result r = get(f);

		ASSERT_TRUE(r.how[0], probe_feature_name(f));
		if (r.supported) {
			ASSERT_EQ(r.err, 0, "supported means no error");
		} else {
			ASSERT_TRUE(r.err < 0, "a missing feature has a -errno");
			ASSERT_TRUE(r.reason[0] && r.step[0], "and a step and a reason");
			ASSERT_TRUE(!strncmp(r.reason, probe_errno_name(r.err),
					     strlen(probe_errno_name(r.err))),
				    "the reason starts with the errno name");
		}
	}
}

TEST(answers_are_cached)
{
	struct probe_result a, b;

	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_OK(probe_feature(FEAT_XDP, &a), "first probe");
	ASSERT_OK(probe_feature(FEAT_XDP, &b), "second probe");
	ASSERT_TRUE(!memcmp(&a, &b, sizeof(a)), "same answer from the cache");
	ASSERT_EQ(probe_has(FEAT_XDP), a.supported, "probe_has agrees with probe_feature");
}

static int child_api_unprivileged(void *arg)
{
	struct probe_result r;

	(void)arg;
	if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		return 10;
	probe_cache_reset();
	if (probe_check_privilege() != -EPERM)
		return 11;
	if (probe_feature(FEAT_RINGBUF, &r) != -EPERM || r.supported)
		return 12;
	return probe_has(FEAT_RINGBUF) ? 13 : 0;
}

TEST(api_refuses_without_privilege)
{
	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_EQ(in_child(child_api_unprivileged, NULL, 0), 0, "-EPERM, nothing cached");
}

/* ---------------------------------------------------------------- answers vs independent checks */

TEST(btf_agrees)
{
	bool present = access("/sys/kernel/btf/vmlinux", R_OK) == 0;

	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_EQ(probe_has(FEAT_BTF), present, "btf vs /sys/kernel/btf/vmlinux");
}

TEST(maps_agree)
{
	static const struct {
		enum vigil_feature f;
		enum bpf_map_type type;
		__u32 key, val, max, flags;
	} maps[] = {
		{ FEAT_RINGBUF, BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0 },
		{ FEAT_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0 },
		{ FEAT_LPM_TRIE, BPF_MAP_TYPE_LPM_TRIE, 8, 4, 1, BPF_F_NO_PREALLOC },
		{ FEAT_LRU_HASH, BPF_MAP_TYPE_LRU_HASH, 4, 8, 1, 0 },
	};

	if (SKIP_UNLESS_ROOT())
		return;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = maps[i].flags);
		int fd = bpf_map_create(maps[i].type, "indep", maps[i].key, maps[i].val,
					maps[i].max, &opts);

		ASSERT_EQ(probe_has(maps[i].f), fd >= 0, probe_feature_name(maps[i].f));
		if (fd >= 0)
			close(fd);
	}
	ASSERT_EQ(probe_has(FEAT_HASH_OF_MAPS),
		  libbpf_probe_bpf_map_type(BPF_MAP_TYPE_HASH_OF_MAPS, NULL) == 1,
		  "hash_of_maps vs libbpf_probe_bpf_map_type");
}

/*
 * Load a tracepoint program calling helper id with harmless arguments (r1 = 0, r2 = 8 zero
 * bytes on the stack, r3 = 1), by hand. Not libbpf_probe_bpf_helper(): libbpf 1.1 only knows
 * the verifier's old "unknown func" wording, so on newer kernels it calls a withheld helper
 * (bpf_probe_write_user under lockdown: "cannot use helper") supported.
 */
static bool raw_helper_loads(int id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X,
		  .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = 1 },
		{ .code = BPF_JMP | BPF_CALL, .imm = id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "indep", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

TEST(helpers_agree)
{
	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_EQ(probe_has(FEAT_SEND_SIGNAL), raw_helper_loads(BPF_FUNC_send_signal),
		  "send_signal vs a hand-made program calling it");
	ASSERT_EQ(probe_has(FEAT_PROBE_WRITE_USER), raw_helper_loads(BPF_FUNC_probe_write_user),
		  "probe_write_user vs a hand-made program calling it");
	ASSERT_EQ(probe_has(FEAT_BPF_LOOP),
		  libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop, NULL) == 1,
		  "bpf_loop vs libbpf_probe_bpf_helper");
}

TEST(tp_btf_agrees)
{
	struct probe_btf_bpf *skel;
	struct bpf_program *p;
	struct bpf_link *link;
	bool works = false;

	if (SKIP_UNLESS_ROOT())
		return;
	skel = probe_btf_bpf__open();
	if (!ASSERT_NOT_NULL(skel, "open probe_btf skeleton"))
		return;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.probe_tp_btf);
	if (!probe_btf_bpf__load(skel)) {
		link = bpf_program__attach(skel->progs.probe_tp_btf);
		works = link != NULL;
		bpf_link__destroy(link);
	}
	probe_btf_bpf__destroy(skel);
	ASSERT_EQ(probe_has(FEAT_TP_BTF), works, "tp_btf vs attaching it here");
}

TEST(fentry_agrees)
{
	int err;

	if (SKIP_UNLESS_ROOT())
		return;
	err = raw_btf_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "vfs_read");
	ASSERT_EQ(probe_has(FEAT_FENTRY), err == 0, "fentry vs a hand-made fentry attach");
	if (err)
		ASSERT_EQ(get(FEAT_FENTRY).err, err, "and the same errno");
}

TEST(bpf_lsm_agrees)
{
	int active, err;

	if (SKIP_UNLESS_ROOT())
		return;
	active = in_child(child_bpf_lsm_active, NULL, CLONE_NEWNS);
	err = raw_btf_attach(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_bprm_check_security");
	if (active == 0)
		ASSERT_FALSE(probe_has(FEAT_BPF_LSM), "'bpf' not an active LSM: must be no");
	ASSERT_EQ(probe_has(FEAT_BPF_LSM), err == 0, "bpf_lsm vs a hand-made LSM attach");
	if (err)
		ASSERT_EQ(get(FEAT_BPF_LSM).err, err, "and the same errno");
	if (active != 0 && active != 1)
		SKIP("LSM list unreadable even with securityfs mounted (got %d); load checked",
		     active);
}

TEST(kprobe_agrees)
{
	bool pmu = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;

	if (SKIP_UNLESS_ROOT())
		return;
	/* libbpf attaches kprobes through the kprobe PMU (or tracefs kprobe_events). */
	if (pmu)
		ASSERT_TRUE(probe_has(FEAT_KPROBE), "kprobe PMU present: kprobe must attach");
	else
		ASSERT_FALSE(probe_has(FEAT_KPROBE), "no kprobe PMU: kprobe must be no");
}

static int child_tracepoint_with_tracefs(void *arg)
{
	(void)arg;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return 20;
	probe_cache_reset();
	return probe_has(FEAT_TRACEPOINT) ? 0 : 21;
}

static bool tracefs_present(void)
{
	return access("/sys/kernel/tracing/events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}

TEST(tracepoint_agrees)
{
	struct probe_result r;

	if (SKIP_UNLESS_ROOT())
		return;
	r = get(FEAT_TRACEPOINT);
	if (tracefs_present()) {
		ASSERT_TRUE(r.supported, "tracefs mounted: tp/ must attach");
		return;
	}
	ASSERT_FALSE(r.supported, "tracefs not mounted: tp/ cannot attach");
	ASSERT_TRUE(strstr(r.reason, "mount -t tracefs") != NULL, "the reason says what to do");
	/* Follow the advice in a private mount namespace: the answer must turn to yes. */
	ASSERT_EQ(in_child(child_tracepoint_with_tracefs, NULL, CLONE_NEWNS), 0,
		  "with tracefs mounted the tracepoint attaches");
}

/* A task iterator by hand: raw load against bpf_iter_task, link, create, read to the end. */
static int raw_iter_task(void)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_ITER);
	struct btf *btf = btf__load_vmlinux_btf();
	int fd, link = -1, iter = -1, err = 0;
	char buf[256];

	if (!btf)
		return -errno;
	opts.attach_btf_id = btf__find_by_name_kind(btf, "bpf_iter_task", BTF_KIND_FUNC);
	btf__free(btf);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "indep", "GPL", ret0, 2, &opts);
	if (fd < 0)
		return fd;
	link = bpf_link_create(fd, 0, BPF_TRACE_ITER, NULL);
	if (link < 0)
		err = link;
	else if ((iter = bpf_iter_create(link)) < 0)
		err = iter;
	else if (read(iter, buf, sizeof(buf)) < 0)
		err = -errno;
	if (iter >= 0)
		close(iter);
	if (link >= 0)
		close(link);
	close(fd);
	return err;
}

TEST(iter_task_agrees)
{
	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_EQ(probe_has(FEAT_ITER_TASK), raw_iter_task() == 0,
		  "iter_task vs a hand-made task iterator");
}

TEST(cgroup_hooks_agree)
{
	static const struct {
		enum vigil_feature f;
		enum bpf_prog_type type;
		enum bpf_attach_type at;
	} hooks[] = {
		{ FEAT_CGROUP_CONNECT4, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT },
		{ FEAT_CGROUP_CONNECT6, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT },
		{ FEAT_CGROUP_BIND4, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND },
		{ FEAT_CGROUP_SENDMSG4, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG },
		{ FEAT_CGROUP_SOCK_CREATE, BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE },
		{ FEAT_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS },
		{ FEAT_CGROUP_SYSCTL, BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL },
		{ FEAT_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE },
	};
	char root[256], path[512];
	int cg;

	if (SKIP_UNLESS_ROOT())
		return;
	if (cgroup2_mount_point(root, sizeof(root))) {
		for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
			ASSERT_FALSE(probe_has(hooks[i].f), "no cgroup2 mount: must be no");
		SKIP("no cgroup2 mount to attach to");
		return;
	}
	snprintf(path, sizeof(path), "%s/vigil-test-probe.%d", root, (int)getpid());
	if (!ASSERT_OK(mkdir(path, 0755) ? -errno : 0, "mkdir test cgroup"))
		return;
	cg = open(path, O_RDONLY | O_DIRECTORY);
	for (size_t i = 0; cg >= 0 && i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = hooks[i].at);
		int fd = bpf_prog_load(hooks[i].type, "indep", "GPL", ret1, 2, &opts);
		bool works = false;

		/* The old attach API, not links: a different path to the same hook. */
		if (fd >= 0 && !bpf_prog_attach(fd, cg, hooks[i].at, 0)) {
			works = true;
			bpf_prog_detach2(fd, cg, hooks[i].at);
		}
		if (fd >= 0)
			close(fd);
		ASSERT_EQ(probe_has(hooks[i].f), works, probe_feature_name(hooks[i].f));
	}
	if (cg >= 0)
		close(cg);
	ASSERT_OK(rmdir(path) ? -errno : 0, "remove test cgroup");
}

static int child_xdp_attach(void *arg)
{
	int fd = *(int *)arg, lo = if_nametoindex("lo");

	if (!lo)
		return 30;
	/* Netlink attach in generic mode, not a link: a different path from the probe's. */
	if (bpf_xdp_attach(lo, fd, XDP_FLAGS_SKB_MODE, NULL))
		return 1;
	bpf_xdp_detach(lo, XDP_FLAGS_SKB_MODE, NULL);
	return 0;
}

static int child_tc_attach(void *arg)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = *(int *)arg);

	hook.ifindex = if_nametoindex("lo");
	if (bpf_tc_hook_create(&hook) || bpf_tc_attach(&hook, &opts))
		return 1;
	return 0; /* the namespace goes away with us */
}

TEST(xdp_tc_test_run_agree)
{
	__u8 pkt[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt));
	int xdp, tc, rc;

	if (SKIP_UNLESS_ROOT())
		return;
	xdp = bpf_prog_load(BPF_PROG_TYPE_XDP, "indep", "GPL", ret_xdp_pass, 2, NULL);
	if (!ASSERT_TRUE(xdp >= 0 || !probe_has(FEAT_XDP), "XDP loads when the probe says so"))
		return;
	if (xdp >= 0) {
		rc = bpf_prog_test_run_opts(xdp, &topts);
		ASSERT_EQ(probe_has(FEAT_TEST_RUN), rc == 0 && topts.retval == XDP_PASS,
			  "test_run vs a hand-made test run");
		rc = in_child(child_xdp_attach, &xdp, CLONE_NEWNET);
		ASSERT_TRUE(rc == 0 || rc == 1, "XDP child ran");
		ASSERT_EQ(probe_has(FEAT_XDP), rc == 0, "xdp vs generic attach on a netns lo");
		close(xdp);
	}
	tc = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "indep", "GPL", ret0, 2, NULL);
	rc = tc >= 0 ? in_child(child_tc_attach, &tc, CLONE_NEWNET) : 1;
	ASSERT_EQ(probe_has(FEAT_TC), rc == 0, "tc vs clsact egress on a netns lo");
	if (tc >= 0)
		close(tc);
}

/* ---------------------------------------------------------------- nothing left behind */

static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!prefix || !strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

static int count_links(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int n = 0;

	if (!ifs)
		return -1;
	for (i = ifs; i->if_index; i++)
		n++;
	if_freenameindex(ifs);
	return n;
}

TEST(nothing_left_behind)
{
	char root[256] = "", ns_before[64] = "", ns_after[64] = "";
	int links, bpffs, cgroups;

	if (SKIP_UNLESS_ROOT())
		return;
	cgroup2_mount_point(root, sizeof(root));
	readlink("/proc/thread-self/ns/net", ns_before, sizeof(ns_before) - 1);
	links = count_links();
	bpffs = count_entries("/sys/fs/bpf", NULL);
	cgroups = root[0] ? count_entries(root, NULL) : 0;

	probe_cache_reset();
	ASSERT_OK(probe_all(), "probe everything again");

	readlink("/proc/thread-self/ns/net", ns_after, sizeof(ns_after) - 1);
	ASSERT_STREQ(ns_after, ns_before, "back in the original network namespace");
	ASSERT_EQ(count_links(), links, "same network interfaces");
	ASSERT_EQ(count_entries("/sys/fs/bpf", NULL), bpffs, "no pins in /sys/fs/bpf");
	if (root[0]) {
		ASSERT_EQ(count_entries(root, "vigil-probe"), 0, "no temporary cgroup left");
		ASSERT_EQ(count_entries(root, NULL), cgroups, "same cgroups");
	}
}

/* ---------------------------------------------------------------- the command */

struct run_out {
	int status; /* exit code, or -1 */
	char out[65536];
	char err[8192];
};

static const char *vigil_bin(void)
{
	const char *bin = getenv("VIGIL_BIN");

	return bin ? bin : "./vigil";
}

/* Drain both pipes together: -v writes far more to stderr than a pipe holds. */
static void read_both(int fd_out, int fd_err, struct run_out *o)
{
	struct pollfd pfd[2] = { { fd_out, POLLIN, 0 }, { fd_err, POLLIN, 0 } };
	char *buf[2] = { o->out, o->err };
	size_t cap[2] = { sizeof(o->out), sizeof(o->err) }, used[2] = { 0, 0 };
	char sink[4096];

	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (used[i] + 1 < cap[i])
				n = read(pfd[i].fd, buf[i] + used[i], cap[i] - 1 - used[i]);
			else
				n = read(pfd[i].fd, sink, sizeof(sink)); /* keep the head only */
			if (n <= 0)
				pfd[i].fd = -1;
			else if (used[i] + 1 < cap[i])
				used[i] += n;
		}
	}
	o->out[used[0]] = '\0';
	o->err[used[1]] = '\0';
}

/* Run vigil with args (NULL-terminated), as uid when uid != 0. */
static void run_vigil(struct run_out *o, uid_t uid, const char *const *args)
{
	int out[2], err[2], status;
	const char *argv[16] = { "vigil" };
	pid_t pid;

	for (int i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	o->status = -1;
	if (pipe(out) || pipe(err))
		return;
	pid = fork();
	if (!pid) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			_exit(126);
		execv(vigil_bin(), (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	read_both(out[0], err[0], o);
	close(out[0]);
	close(err[0]);
	if (pid > 0 && waitpid(pid, &status, 0) > 0 && WIFEXITED(status))
		o->status = WEXITSTATUS(status);
}

static bool have_vigil(void)
{
	if (access(vigil_bin(), X_OK) == 0)
		return true;
	SKIP("%s not built (make vigil, or set VIGIL_BIN)", vigil_bin());
	return false;
}

static struct run_out o;

/*
 * vigil probe mounts tracefs in a mount namespace of its own when the host has none, as the
 * sensors do; for the library in this process to answer the same, do as it does.
 */
static void same_tracefs_as_vigil(void)
{
	if (!tracefs_mounted() && !tracefs_ensure())
		probe_cache_reset();
}

TEST(cli_json_has_every_feature)
{
	struct json_object *root, *features, *feat, *v;
	enum vigil_feature f;
	struct utsname u;

	if (SKIP_UNLESS_ROOT() || !have_vigil())
		return;
	run_vigil(&o, 0, (const char *const[]){ "probe", "--json", NULL });
	ASSERT_EQ(o.status, 0, "vigil probe --json exits 0");
	same_tracefs_as_vigil();
	root = json_tokener_parse(o.out);
	if (!ASSERT_NOT_NULL(root, "output is valid JSON"))
		return;
	uname(&u);
	ASSERT_TRUE(json_object_object_get_ex(root, "kernel", &v), "has kernel");
	ASSERT_STREQ(json_object_get_string(v), u.release, "kernel is uname -r");
	ASSERT_TRUE(json_object_object_get_ex(root, "lockdown", &v), "has lockdown");
	ASSERT_TRUE(json_object_object_get_ex(root, "lsm", &v), "has lsm");
	ASSERT_TRUE(json_object_object_get_ex(root, "cgroup2", &v), "has cgroup2");
	ASSERT_TRUE(json_object_object_get_ex(root, "unprivileged_bpf_disabled", &v),
		    "has unprivileged_bpf_disabled");
	ASSERT_TRUE(json_object_object_get_ex(root, "bpf_jit_enable", &v), "has bpf_jit_enable");
	if (ASSERT_TRUE(json_object_object_get_ex(root, "features", &features), "has features")) {
		ASSERT_EQ(json_object_object_length(features), FEAT__COUNT,
			  "one entry per feature");
		probe_for_each_feature(f)
		{
			if (!ASSERT_TRUE(json_object_object_get_ex(features, probe_feature_name(f),
								   &feat),
					 probe_feature_name(f)))
				continue;
			ASSERT_TRUE(json_object_object_get_ex(feat, "supported", &v) &&
					    json_object_is_type(v, json_type_boolean),
				    "supported is a boolean");
			/* The command and the library in this process agree. */
			ASSERT_EQ(json_object_get_boolean(v), probe_has(f), probe_feature_name(f));
			ASSERT_TRUE(json_object_object_get_ex(feat, "reason", &v), "has reason");
			ASSERT_TRUE(json_object_object_get_ex(feat, "without", &v), "has without");
		}
	}
	json_object_put(root);
}

TEST(cli_text_lists_every_feature)
{
	enum vigil_feature f;
	char pat[64];

	if (SKIP_UNLESS_ROOT() || !have_vigil())
		return;
	run_vigil(&o, 0, (const char *const[]){ "probe", NULL });
	ASSERT_EQ(o.status, 0, "vigil probe exits 0");
	ASSERT_FALSE(strstr(o.out, "\033["), "no colour when stdout is not a tty");
	same_tracefs_as_vigil();
	probe_for_each_feature(f)
	{
		snprintf(pat, sizeof(pat), "\n  %-19s %s", probe_feature_name(f),
			 probe_has(f) ? "yes" : "no ");
		ASSERT_TRUE(strstr(o.out, pat) != NULL, probe_feature_name(f));
	}
	ASSERT_FALSE(strstr(o.err, "libbpf"), "no libbpf messages without -v");
}

TEST(cli_verbose_shows_libbpf)
{
	if (SKIP_UNLESS_ROOT() || !have_vigil())
		return;
	run_vigil(&o, 0, (const char *const[]){ "probe", "-v", NULL });
	ASSERT_EQ(o.status, 0, "vigil probe -v exits 0");
	ASSERT_TRUE(strstr(o.err, "vigil: libbpf: ") != NULL, "libbpf's messages via the logger");
}

TEST(cli_not_root_exits_77)
{
	if (SKIP_UNLESS_ROOT() || !have_vigil())
		return;
	run_vigil(&o, NOBODY, (const char *const[]){ "probe", NULL });
	ASSERT_EQ(o.status, 77, "EX_NOPERM as nobody");
	ASSERT_STREQ(o.err, NOPERM_LINE, "exactly one line saying what to do");
	ASSERT_STREQ(o.out, "", "nothing on stdout");
	run_vigil(&o, NOBODY, (const char *const[]){ "probe", "--json", NULL });
	ASSERT_EQ(o.status, 77, "EX_NOPERM with --json too");
	ASSERT_STREQ(o.err, NOPERM_LINE, "the same line");
	ASSERT_NOT_NULL(json_tokener_parse(o.out), "and a JSON error object on stdout");
}

TEST(cli_bad_arguments_exit_64)
{
	if (!have_vigil())
		return;
	run_vigil(&o, 0, (const char *const[]){ "probe", "--bogus", NULL });
	ASSERT_EQ(o.status, 64, "unknown long option");
	ASSERT_TRUE(strstr(o.err, "--bogus") != NULL, "names the bad option");
	run_vigil(&o, 0, (const char *const[]){ "probe", "-x", NULL });
	ASSERT_EQ(o.status, 64, "unknown short option");
	run_vigil(&o, 0, (const char *const[]){ "probe", "extra", NULL });
	ASSERT_EQ(o.status, 64, "stray argument");
	run_vigil(&o, 0, (const char *const[]){ "probe", "--help", NULL });
	ASSERT_EQ(o.status, 0, "--help");
	ASSERT_TRUE(strstr(o.out, "without it:") != NULL, "help explains the lines");
}
