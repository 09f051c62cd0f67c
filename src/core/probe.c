// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel capability probes (see probe.h). Every answer comes from really doing the thing:
 * maps are created and used, programs are loaded one at a time from the probe skeletons and
 * attached where attaching is what can fail. Anything a probe creates (temporary cgroup,
 * network namespace, links) is torn down before the probe returns.
 */
#include "core/probe.h"
#include "core/mounts.h"
#include "core/log.h"

#include "probe.skel.h"
#include "probe_btf.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/perf_event.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SUBSYS "probe"

#define SECURITYFS_MAGIC 0x73636673
#define TRACEFS_MAGIC	 0x74726163
#define ENOTSUPP_KERNEL	 524 /* kernel-internal ENOTSUPP; leaks out of some bpf() commands */

#define VERIFIER_LOG_SIZE (64 * 1024)
#define RINGBUF_MAGIC	  0x76696769UL /* the record probe_ringbuf writes (bpf/probe.bpf.c) */

struct feature_def {
	const char *name;
	const char *summary;
	const char *fallback;
	bool needs_btf;
	int (*probe)(enum vigil_feature f, struct probe_result *res);
	const char *prog; /* the probe program, for probes that share code */
};

static pthread_mutex_t probe_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct probe_result cache[FEAT__COUNT];
static bool cached[FEAT__COUNT];
static struct probe_system sys_cache;
static bool sys_cached;

/* ---------------------------------------------------------------- results and reasons */

const char *probe_errno_name(int err)
{
	const char *name;

	if (err < 0)
		err = -err;
	if (err == ENOTSUPP_KERNEL)
		return "ENOTSUPP";
	name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

static const char *generic_hint(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return "refused by the kernel although we are privileged (security policy)";
	case EINVAL:
		return "rejected by the kernel or the verifier (-v shows the log)";
	case ENOENT:
		return "not found in this kernel";
	case EOPNOTSUPP:
	case ENOTSUPP_KERNEL:
		return "not supported by this kernel";
	case E2BIG:
		return "this kernel is too old for the request";
	case ENOMEM:
		return "out of memory (or the locked-memory limit)";
	case EBUSY:
		return "busy: something else is attached there";
	default:
		return strerror(-err);
	}
}

static void set_how(struct probe_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_how(struct probe_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->how, sizeof(res->how), fmt, ap);
	va_end(ap);
}

/* Record a failure; hint NULL means the errno's generic explanation. Returns the -errno. */
static int fail(struct probe_result *res, int err, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct probe_result *res, int err, const char *step, const char *fmt, ...)
{
	char hint[200];
	va_list ap;

	if (err > 0)
		err = -err;
	if (!err)
		err = -EINVAL;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(hint, sizeof(hint), fmt, ap);
		va_end(ap);
	} else {
		snprintf(hint, sizeof(hint), "%s", generic_hint(err));
	}
	res->supported = false;
	res->err = err;
	snprintf(res->step, sizeof(res->step), "%s", step);
	snprintf(res->reason, sizeof(res->reason), "%s at %s: %s", probe_errno_name(err), step,
		 hint);
	return err;
}

/* ---------------------------------------------------------------- system facts */

static int read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		err = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return err;
}

static int read_int(const char *path)
{
	char buf[32];

	if (read_first_line(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

static bool is_fs(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == magic;
}

static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static const struct probe_system *sysinfo(void)
{
	struct probe_system *s = &sys_cache;
	struct utsname u;
	struct btf *btf;
	char buf[256];

	if (sys_cached)
		return s;
	memset(s, 0, sizeof(*s));
	if (!uname(&u)) {
		snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
		snprintf(s->machine, sizeof(s->machine), "%s", u.machine);
	}
	s->securityfs = is_fs("/sys/kernel/security", SECURITYFS_MAGIC);
	/* "none [integrity] confidentiality": the bracketed word is the mode in force. */
	if (!read_first_line("/sys/kernel/security/lockdown", buf, sizeof(buf))) {
		char *open = strchr(buf, '['), *close = open ? strchr(open, ']') : NULL;

		if (open && close) {
			*close = '\0';
			snprintf(s->lockdown, sizeof(s->lockdown), "%s", open + 1);
		}
	}
	s->bpf_lsm_active = -1;
	if (!read_first_line("/sys/kernel/security/lsm", s->lsm, sizeof(s->lsm)))
		s->bpf_lsm_active = list_has(s->lsm, "bpf");
	s->bpf_lsm_built = -1;
	btf = btf__load_vmlinux_btf();
	if (btf) {
		s->bpf_lsm_built = btf__find_by_name_kind(btf, "bpf_lsm_bprm_check_security",
							  BTF_KIND_FUNC) > 0;
		btf__free(btf);
	}
	s->tracefs = is_fs("/sys/kernel/tracing", TRACEFS_MAGIC) ||
		     is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC);
	if (cgroup2_mount_point(s->cgroup2, sizeof(s->cgroup2)))
		s->cgroup2[0] = '\0';
	s->unprivileged_bpf_disabled = read_int("/proc/sys/kernel/unprivileged_bpf_disabled");
	s->bpf_jit_enable = read_int("/proc/sys/net/core/bpf_jit_enable");
	sys_cached = true;
	return s;
}

void probe_system_info(struct probe_system *sys)
{
	pthread_mutex_lock(&probe_lock);
	*sys = *sysinfo();
	pthread_mutex_unlock(&probe_lock);
}

static const char *lockdown_str(void)
{
	const struct probe_system *s = sysinfo();

	if (s->lockdown[0])
		return s->lockdown;
	return s->securityfs ? "unknown" : "unknown (securityfs not mounted)";
}

int probe_check_privilege(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	/* Loading, attaching to cgroups and private network namespaces all need CAP_SYS_ADMIN. */
	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0 ? 0 : -EPERM;
	if (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

/* ---------------------------------------------------------------- loading one program */

struct loaded {
	struct probe_bpf *skel;
	struct probe_btf_bpf *bskel;
	struct bpf_object *obj;
	struct bpf_program *prog;
	char verifier[120]; /* the verifier's last useful line when the load failed */
};

/* The last line of a verifier log that says something (not the statistics). */
static void verifier_summary(const char *log, char *out, size_t len)
{
	const char *line = log, *best = NULL;
	size_t best_len = 0;

	out[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (n && strncmp(line, "processed ", 10) &&
		    strncmp(line, "verification time", 17) && strncmp(line, "stack depth", 11) &&
		    strncmp(line, "-- ", 3)) {
			best = line;
			best_len = n;
		}
		line = end ? end + 1 : NULL;
	}
	if (best)
		snprintf(out, len, "%.*s", (int)best_len, best);
}

static void unload(struct loaded *l)
{
	probe_bpf__destroy(l->skel);
	probe_btf_bpf__destroy(l->bskel);
	memset(l, 0, sizeof(*l));
}

/*
 * Open a probe skeleton and load only the program called name (maps only when with_maps):
 * one program the kernel rejects must not fail the others. 0 or a failure in res.
 */
static int load_one(const char *name, bool btf_obj, bool with_maps, struct loaded *l,
		    struct probe_result *res)
{
	struct bpf_program *p;
	struct bpf_map *m;
	char *log;
	int err;

	memset(l, 0, sizeof(*l));
	if (btf_obj) {
		l->bskel = probe_btf_bpf__open();
		l->obj = l->bskel ? l->bskel->obj : NULL;
	} else {
		l->skel = probe_bpf__open();
		l->obj = l->skel ? l->skel->obj : NULL;
	}
	if (!l->obj)
		return fail(res, -errno, "open", "cannot open the probe object: %s",
			    strerror(errno));
	l->prog = bpf_object__find_program_by_name(l->obj, name);
	if (!l->prog) {
		unload(l);
		return fail(res, -ENOENT, "open", "no program %s in the probe object", name);
	}
	bpf_object__for_each_program(p, l->obj) bpf_program__set_autoload(p, p == l->prog);
	bpf_object__for_each_map(m, l->obj) bpf_map__set_autocreate(m, with_maps);

	log = calloc(1, VERIFIER_LOG_SIZE);
	if (log)
		bpf_program__set_log_buf(l->prog, log, VERIFIER_LOG_SIZE);
	err = bpf_object__load(l->obj);
	if (err && log) {
		verifier_summary(log, l->verifier, sizeof(l->verifier));
		if (l->verifier[0])
			pr_debug(SUBSYS, "%s: verifier: %s", name, l->verifier);
	}
	if (l->prog)
		bpf_program__set_log_buf(l->prog, NULL, 0);
	free(log);
	if (err) {
		char v[sizeof(l->verifier)];

		snprintf(v, sizeof(v), "%s", l->verifier);
		unload(l);
		/* Keep the verifier's word: it usually names the helper or type it refused. */
		snprintf(l->verifier, sizeof(l->verifier), "%s", v);
		if (v[0])
			return fail(res, err, "load", "verifier: %s", v);
		return fail(res, err, "load", NULL);
	}
	return 0;
}

static int attach_err(struct bpf_link *link)
{
	return link ? 0 : (errno ? -errno : -EINVAL);
}

/* ---------------------------------------------------------------- map probes */

static int map_fail(struct probe_result *res, int err, const char *step)
{
	return fail(res, err, step, NULL);
}

static int probe_vmlinux_btf(enum vigil_feature f, struct probe_result *res)
{
	struct btf *btf;
	__u32 n;

	(void)f;
	set_how(res, "load /sys/kernel/btf/vmlinux with libbpf");
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		int err = -errno;

		if (access("/sys/kernel/btf/vmlinux", F_OK))
			return fail(res, err, "load",
				    "no /sys/kernel/btf/vmlinux: kernel built without "
				    "CONFIG_DEBUG_INFO_BTF; use a kernel with BTF");
		return fail(res, err, "load", NULL);
	}
	n = btf__type_cnt(btf);
	btf__free(btf);
	set_how(res, "/sys/kernel/btf/vmlinux loaded, %u types", n);
	return 0;
}

struct rb_ctx {
	int records;
	__u64 value;
};

static int rb_record(void *ctx, void *data, size_t size)
{
	struct rb_ctx *c = ctx;

	c->records++;
	if (size >= sizeof(c->value))
		memcpy(&c->value, data, sizeof(c->value));
	return 0;
}

static int probe_ringbuf(enum vigil_feature f, struct probe_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct ring_buffer *rb = NULL;
	struct rb_ctx c = {};
	struct loaded l;
	int err;

	(void)f;
	set_how(res, "create a ring buffer, load a program writing to it, run it, read it");
	err = load_one("probe_ringbuf", false, true, &l, res);
	if (err)
		return err;
	rb = ring_buffer__new(bpf_map__fd(l.skel->maps.probe_rb), rb_record, &c, NULL);
	if (!rb) {
		err = fail(res, -errno, "mmap", NULL);
		goto out;
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(l.prog), &topts);
	if (err) {
		/* Old kernels cannot test-run raw_tp; map and helper loading is still the answer.
		 */
		set_how(res, "created, program using it loaded (not run: %s)",
			probe_errno_name(err));
		err = 0;
		goto out;
	}
	ring_buffer__consume(rb);
	if (c.records != 1 || c.value != RINGBUF_MAGIC) {
		err = fail(res, -EIO, "read", "wrote one record, read back %d", c.records);
		goto out;
	}
	set_how(res, "created; a record written by a program was read back");
out:
	ring_buffer__free(rb);
	unload(&l);
	return err;
}

static int probe_percpu_array(enum vigil_feature f, struct probe_result *res)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err = 0;
	__u32 key = 0;
	__u64 *vals;

	(void)f;
	set_how(res, "create a per-CPU array, write and read every CPU's slot");
	if (ncpu <= 0)
		return fail(res, ncpu ? ncpu : -EINVAL, "cpus", "cannot count possible CPUs");
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return fail(res, -ENOMEM, "alloc", NULL);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "vigil_probe", 4, 8, 1, NULL);
	if (fd < 0) {
		err = map_fail(res, fd, "create");
		goto out;
	}
	for (int i = 0; i < ncpu; i++)
		vals[i] = i + 1;
	if (bpf_map_update_elem(fd, &key, vals, BPF_ANY)) {
		err = map_fail(res, -errno, "update");
		goto out;
	}
	memset(vals, 0, ncpu * sizeof(*vals));
	if (bpf_map_lookup_elem(fd, &key, vals)) {
		err = map_fail(res, -errno, "lookup");
		goto out;
	}
	if (vals[ncpu - 1] != (__u64)ncpu) {
		err = fail(res, -EIO, "lookup", "per-CPU values did not read back");
		goto out;
	}
	set_how(res, "created; %d per-CPU slots written and read back", ncpu);
out:
	if (fd >= 0)
		close(fd);
	free(vals);
	return err;
}

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

static int probe_lpm_trie(enum vigil_feature f, struct probe_result *res)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	struct lpm_v4_key net = { 8, { 10, 0, 0, 0 } }, host = { 32, { 10, 1, 2, 3 } };
	__u32 val = 7, got = 0;
	int fd, err = 0;

	(void)f;
	set_how(res, "create an LPM trie, insert 10.0.0.0/8, look up 10.1.2.3");
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "vigil_probe", sizeof(net), 4, 16, &opts);
	if (fd < 0)
		return map_fail(res, fd, "create");
	if (bpf_map_update_elem(fd, &net, &val, BPF_ANY))
		err = map_fail(res, -errno, "update");
	else if (bpf_map_lookup_elem(fd, &host, &got) || got != val)
		err = fail(res, -EIO, "lookup", "10.1.2.3 did not match 10.0.0.0/8");
	else
		set_how(res, "created; 10.1.2.3 matched 10.0.0.0/8");
	close(fd);
	return err;
}

static int probe_lru_hash(enum vigil_feature f, struct probe_result *res)
{
	__u32 key = 1;
	__u64 val = 42, got = 0;
	int fd, err = 0;

	(void)f;
	set_how(res, "create an LRU hash, insert and look up");
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "vigil_probe", 4, 8, 16, NULL);
	if (fd < 0)
		return map_fail(res, fd, "create");
	if (bpf_map_update_elem(fd, &key, &val, BPF_ANY))
		err = map_fail(res, -errno, "update");
	else if (bpf_map_lookup_elem(fd, &key, &got) || got != val)
		err = fail(res, -EIO, "lookup", "value did not read back");
	else
		set_how(res, "created; insert and lookup work");
	close(fd);
	return err;
}

static int probe_hash_of_maps(enum vigil_feature f, struct probe_result *res)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer = -1, err = 0;
	__u32 key = 1, id = 0;

	(void)f;
	set_how(res, "create a hash of maps and store an inner array in it");
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vigil_probe_in", 4, 8, 1, NULL);
	if (inner < 0)
		return map_fail(res, inner, "create");
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, "vigil_probe", 4, 4, 4, &opts);
	if (outer < 0) {
		err = map_fail(res, outer, "create");
		goto out;
	}
	if (bpf_map_update_elem(outer, &key, &inner, BPF_ANY))
		err = map_fail(res, -errno, "update");
	else if (bpf_map_lookup_elem(outer, &key, &id) || !id)
		err = fail(res, -EIO, "lookup", "inner map did not read back");
	else
		set_how(res, "created; an inner map was stored and found (id %u)", id);
out:
	if (outer >= 0)
		close(outer);
	close(inner);
	return err;
}

/* ---------------------------------------------------------------- tracing program probes */

/* Per feature: the probe program, in which object, and how it attaches. */
static const struct {
	const char *prog;
	bool btf_obj;
} attach_progs[FEAT__COUNT] = {
	[FEAT_TRACEPOINT] = { "probe_tracepoint", false },
	[FEAT_RAW_TP] = { "probe_raw_tp", false },
	[FEAT_TP_BTF] = { "probe_tp_btf", true },
	[FEAT_FENTRY] = { "probe_fentry", true },
	[FEAT_BPF_LSM] = { "probe_lsm", true },
	[FEAT_KPROBE] = { "probe_kprobe", false },
};

/* Explain a failure of a tracing feature from what we know about this system. */
static int tracing_fail(enum vigil_feature f, struct probe_result *res, int err, const char *step,
			const char *verifier)
{
	const struct probe_system *s = sysinfo();

	switch (f) {
	case FEAT_TRACEPOINT:
		if (-err == ENOENT && !s->tracefs)
			return fail(res, err, step,
				    "tracefs not mounted (tracepoint ids live there); "
				    "mount -t tracefs tracefs /sys/kernel/tracing");
		break;
	case FEAT_KPROBE:
		if (access("/sys/bus/event_source/devices/kprobe", F_OK) &&
		    (!s->tracefs || access("/sys/kernel/tracing/kprobe_events", F_OK)))
			return fail(res, err, step,
				    "no kprobe PMU or kprobe_events: kernel built without "
				    "CONFIG_KPROBES/CONFIG_KPROBE_EVENTS");
		break;
	case FEAT_FENTRY:
		/* Mainline lockdown does not touch trampolines: say so rather than guess. */
		if (-err == EPERM || -err == EACCES)
			return fail(res, err, step,
				    "refused although privileged: this kernel blocks BPF "
				    "trampolines (not lockdown's doing; lockdown=%s)",
				    s->lockdown[0] ? s->lockdown : "unknown");
		break;
	case FEAT_BPF_LSM:
		if (s->bpf_lsm_built == 0)
			return fail(
				res, err, step,
				"kernel built without CONFIG_BPF_LSM (no bpf_lsm_* hooks in BTF)");
		if (s->bpf_lsm_active == 0)
			return fail(
				res, err, step,
				"'bpf' is not an active LSM (%s); boot with lsm=<that list>,bpf",
				s->lsm);
		if (-err != EPERM && -err != EACCES)
			break;
		if (s->bpf_lsm_active < 0)
			return fail(
				res, err, step,
				"refused although privileged and CONFIG_BPF_LSM=%s; is 'bpf' in "
				"lsm=? (mount securityfs to read /sys/kernel/security/lsm)",
				s->bpf_lsm_built > 0 ? "y" : "unknown");
		/* Built and active, yet refused: the same wall as fentry, when fentry hit it. */
		if (cached[FEAT_FENTRY] && !cache[FEAT_FENTRY].supported &&
		    cache[FEAT_FENTRY].err == err)
			return fail(res, err, step,
				    "refused although CONFIG_BPF_LSM=y and 'bpf' is an active "
				    "LSM: this kernel blocks BPF trampolines (as for fentry)");
		return fail(res, err, step,
			    "refused although privileged, CONFIG_BPF_LSM=y and 'bpf' is an "
			    "active LSM");
	default:
		break;
	}
	if (verifier && verifier[0])
		return fail(res, err, step, "%s (verifier: %s)", generic_hint(err), verifier);
	return fail(res, err, step, NULL);
}

static int probe_attach(enum vigil_feature f, struct probe_result *res)
{
	struct bpf_link *link;
	struct loaded l;
	int err;

	set_how(res, "load %s and attach it, then detach", attach_progs[f].prog);
	err = load_one(attach_progs[f].prog, attach_progs[f].btf_obj, false, &l, res);
	if (err)
		return tracing_fail(f, res, err, "load", l.verifier);
	errno = 0;
	link = bpf_program__attach(l.prog);
	err = attach_err(link);
	if (err) {
		err = tracing_fail(f, res, err, "attach", NULL);
	} else {
		set_how(res, "attached %s and detached", bpf_program__section_name(l.prog));
		bpf_link__destroy(link);
	}
	unload(&l);
	return err;
}

static int probe_iter_task(enum vigil_feature f, struct probe_result *res)
{
	struct bpf_link *link = NULL;
	int fd = -1, err, tasks = 0;
	char buf[4096];
	ssize_t n;
	struct loaded l;

	(void)f;
	set_how(res, "create a task iterator and read it");
	err = load_one("probe_iter_task", true, false, &l, res);
	if (err)
		return err;
	errno = 0;
	link = bpf_program__attach_iter(l.prog, NULL);
	err = attach_err(link);
	if (err) {
		err = fail(res, err, "attach", NULL);
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = fail(res, fd, "create", NULL);
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		tasks += n / 4;
	if (n < 0) {
		err = fail(res, -errno, "read", NULL);
		goto out;
	}
	if (!tasks) {
		err = fail(res, -EIO, "read", "the iterator saw no tasks");
		goto out;
	}
	set_how(res, "iterator created and read: %d tasks", tasks);
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	unload(&l);
	return err;
}

/* Load a program whose only question is whether the verifier accepts a helper in it. */
static int probe_load_only(enum vigil_feature f, struct probe_result *res)
{
	static const struct {
		const char *prog;
		bool btf_obj;
		const char *how;
	} progs[FEAT__COUNT] = {
		[FEAT_SEND_SIGNAL] = { "probe_send_signal", false,
				       "a tracepoint program calling it loads (never attached)" },
		[FEAT_PROBE_WRITE_USER] = { "probe_write_user", false,
					    "a tracepoint program calling it loads (never "
					    "attached)" },
		[FEAT_D_PATH] = { "probe_d_path", true,
				  "an iter/task_file program calling it loads (vigil would "
				  "use it from fentry/LSM)" },
		[FEAT_PLAIN_READS] = { "probe_plain_reads", true,
				       "a tracepoint program reading a file through it loads "
				       "(never attached)" },
	};
	const struct probe_system *s = sysinfo();
	struct loaded l;
	int err;

	set_how(res, "%s", progs[f].how);
	err = load_one(progs[f].prog, progs[f].btf_obj, false, &l, res);
	if (!err) {
		unload(&l);
		return 0;
	}
	/* A helper the kernel withholds reads "unknown func" or "cannot use helper". */
	if (f == FEAT_PROBE_WRITE_USER &&
	    (strstr(l.verifier, "unknown func") || strstr(l.verifier, "cannot use helper"))) {
		if (s->lockdown[0] && strcmp(s->lockdown, "none"))
			return fail(res, err, "load",
				    "the kernel withholds the helper: lockdown=%s removes it",
				    s->lockdown);
		return fail(res, err, "load",
			    "the kernel withholds the helper, as lockdown=integrity or stronger "
			    "does; lockdown %s",
			    lockdown_str());
	}
	return err;
}

/* A raw_tp program run once with BPF_PROG_TEST_RUN; it must return want. */
static int probe_bpf_loop(enum vigil_feature f, struct probe_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct loaded l;
	int err;

	(void)f;
	set_how(res, "load a program calling bpf_loop(4, ...) and run it");
	err = load_one("probe_bpf_loop", false, false, &l, res);
	if (err)
		return err;
	err = bpf_prog_test_run_opts(bpf_program__fd(l.prog), &topts);
	if (err) {
		set_how(res, "a program calling it loads (not run: %s)", probe_errno_name(err));
		err = 0;
	} else if (topts.retval != 4) {
		err = fail(res, -EIO, "run", "bpf_loop ran %u times, want 4", topts.retval);
	} else {
		set_how(res, "a program calling bpf_loop(4, ...) loaded and looped 4 times");
	}
	unload(&l);
	return err;
}

static int perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
			   unsigned long flags)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

static int probe_perf_event(enum vigil_feature f, struct probe_result *res)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ULL, /* one sample per CPU-second of this thread */
	};
	struct bpf_link *link = NULL;
	struct loaded l;
	int pfd, err;

	(void)f;
	set_how(res, "open a software perf event on this thread and attach a program");
	err = load_one("probe_perf_event", false, false, &l, res);
	if (err)
		return err;
	pfd = perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = fail(res, -errno, "open",
			   "perf_event_open refused (kernel.perf_event_paranoid"
			   " or no perf events)");
		goto out;
	}
	errno = 0;
	link = bpf_program__attach_perf_event(l.prog, pfd);
	err = attach_err(link);
	if (err)
		err = fail(res, err, "attach", NULL);
	else
		set_how(res, "attached to a cpu-clock perf event and detached");
out:
	bpf_link__destroy(link); /* closes pfd when attached */
	if (!link && pfd >= 0)
		close(pfd);
	unload(&l);
	return err;
}

/* ---------------------------------------------------------------- cgroup hooks */

static const char *const cgroup_progs[FEAT__COUNT] = {
	[FEAT_CGROUP_CONNECT4] = "probe_connect4",
	[FEAT_CGROUP_CONNECT6] = "probe_connect6",
	[FEAT_CGROUP_BIND4] = "probe_bind4",
	[FEAT_CGROUP_SENDMSG4] = "probe_sendmsg4",
	[FEAT_CGROUP_SOCK_CREATE] = "probe_sock_create",
	[FEAT_CGROUP_SKB] = "probe_cgroup_skb",
	[FEAT_CGROUP_SYSCTL] = "probe_sysctl",
	[FEAT_CGROUP_DEVICE] = "probe_device",
};

/* An empty cgroup of our own: the hooks attached to it see nothing. Removed by cgroup_rm. */
static int cgroup_mk(const char *root, char *path, size_t len)
{
	snprintf(path, len, "%s/vigil-probe.%d", root, (int)getpid());
	if (!mkdir(path, 0755))
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* Left by an earlier probe of ours that died; it is empty, so it can go. */
	if (rmdir(path) || mkdir(path, 0755))
		return -errno;
	return 0;
}

static int probe_cgroup(enum vigil_feature f, struct probe_result *res)
{
	const struct probe_system *s = sysinfo();
	struct bpf_link *link = NULL;
	char path[512];
	struct loaded l;
	int cg = -1, err;

	set_how(res, "attach %s to a temporary cgroup, then remove both", cgroup_progs[f]);
	if (!s->cgroup2[0])
		return fail(res, -ENOENT, "cgroup",
			    "no cgroup2 mount in /proc/self/mountinfo; "
			    "mount -t cgroup2 none /sys/fs/cgroup/unified");
	err = load_one(cgroup_progs[f], false, false, &l, res);
	if (err)
		return err;
	err = cgroup_mk(s->cgroup2, path, sizeof(path));
	if (err) {
		err = fail(res, err, "mkdir", "cannot create a cgroup under %s: %s", s->cgroup2,
			   strerror(-err));
		goto out;
	}
	cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		err = fail(res, -errno, "open", NULL);
		goto out_rm;
	}
	errno = 0;
	link = bpf_program__attach_cgroup(l.prog, cg);
	err = attach_err(link);
	if (err)
		err = fail(res, err, "attach", NULL);
	else
		set_how(res, "attached %s to a temporary cgroup under %s, removed",
			bpf_program__section_name(l.prog), s->cgroup2);
	bpf_link__destroy(link);
	close(cg);
out_rm:
	if (rmdir(path))
		pr_warn(SUBSYS, "cannot remove temporary cgroup %s: %s", path, strerror(errno));
out:
	unload(&l);
	return err;
}

/* ---------------------------------------------------------------- network probes */

/*
 * Network probes run in a private network namespace on its own lo: nothing on the host's
 * interfaces changes, even for a moment, and the namespace (with anything left attached in
 * it) disappears when we switch back. Only this thread moves.
 */
static int netns_enter(int *saved, struct probe_result *res)
{
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return fail(res, -errno, "netns", "cannot open this thread's network namespace");
	if (unshare(CLONE_NEWNET)) {
		int err = -errno;

		close(*saved);
		*saved = -1;
		return fail(res, err, "netns", "cannot create a private network namespace");
	}
	return 0;
}

static void netns_leave(int saved)
{
	if (saved < 0)
		return;
	if (setns(saved, CLONE_NEWNET))
		pr_err(SUBSYS, "cannot return to the original network namespace: %s",
		       strerror(errno));
	close(saved);
}

static int probe_xdp(enum vigil_feature f, struct probe_result *res)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link *link = NULL;
	int ns = -1, ifindex, err;
	const char *mode;
	struct loaded l;

	(void)f;
	set_how(res, "attach an XDP program to lo in a private network namespace");
	err = load_one("probe_xdp", false, false, &l, res);
	if (err)
		return err;
	err = netns_enter(&ns, res);
	if (err)
		goto out;
	ifindex = if_nametoindex("lo");
	if (!ifindex) {
		err = fail(res, -errno, "netns", "no lo in the private namespace");
		goto out;
	}
	errno = 0;
	link = bpf_program__attach_xdp(l.prog, ifindex);
	err = attach_err(link);
	if (err) {
		err = fail(res, err, "attach", NULL);
		goto out;
	}
	/* The kernel picks native when the driver has it; lo has none, so this is generic. */
	mode = "unknown mode";
	if (!bpf_xdp_query(ifindex, 0, &q))
		mode = q.attach_mode == XDP_ATTACHED_DRV   ? "native"
		       : q.attach_mode == XDP_ATTACHED_SKB ? "generic"
		       : q.attach_mode == XDP_ATTACHED_HW  ? "offload"
							   : "unknown mode";
	set_how(res,
		"attached to lo in a private netns (%s), detached; native mode depends "
		"on the NIC driver",
		mode);
out:
	bpf_link__destroy(link);
	netns_leave(ns);
	unload(&l);
	return err;
}

static int probe_tc(enum vigil_feature f, struct probe_result *res)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, topts, .handle = 1, .priority = 1);
	bool hooked = false;
	int ns = -1, err;
	struct loaded l;

	(void)f;
	set_how(res, "create clsact on lo in a private netns, attach a tc program, remove both");
	err = load_one("probe_tc", false, false, &l, res);
	if (err)
		return err;
	err = netns_enter(&ns, res);
	if (err)
		goto out;
	hook.ifindex = if_nametoindex("lo");
	err = bpf_tc_hook_create(&hook);
	if (err) {
		err = fail(res, err, "clsact",
			   "cannot create the clsact qdisc (CONFIG_NET_SCH_INGRESS?)");
		goto out;
	}
	hooked = true;
	topts.prog_fd = bpf_program__fd(l.prog);
	err = bpf_tc_attach(&hook, &topts);
	if (err) {
		err = fail(res, err, "attach",
			   "cannot attach a direct-action classifier "
			   "(CONFIG_NET_CLS_BPF?)");
		goto out;
	}
	topts.prog_fd = topts.prog_id = topts.flags = 0;
	err = bpf_tc_detach(&hook, &topts);
	if (err) {
		err = fail(res, err, "detach", NULL);
		goto out;
	}
	set_how(res, "clsact ingress on lo in a private netns: attached, detached, removed");
out:
	if (hooked) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	netns_leave(ns);
	unload(&l);
	return err;
}

static int probe_test_run(enum vigil_feature f, struct probe_result *res)
{
	__u8 pkt[64] = { [12] = 0x08 }; /* zeroed Ethernet frame, EtherType IPv4 */
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);
	bool live = f == FEAT_XDP_LIVE_FRAMES;
	int ns = -1, err;
	struct loaded l;

	set_how(res, live ? "run an XDP_DROP program on live frames in a private netns"
			  : "run an XDP program on a 64-byte frame");
	err = load_one(live ? "probe_xdp_drop" : "probe_xdp", false, false, &l, res);
	if (err)
		return err;
	if (live) {
		/* Live frames go to the namespace's lo; XDP_DROP keeps them from going anywhere. */
		topts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
		err = netns_enter(&ns, res);
		if (err)
			goto out;
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(l.prog), &topts);
	if (err) {
		if (live && (-err == EINVAL || -err == E2BIG))
			err = fail(res, err, "run", "live-frame mode needs Linux 5.18 or later");
		else
			err = fail(res, err, "run", NULL);
	} else if (!live && topts.retval != XDP_PASS) {
		err = fail(res, -EIO, "run", "program returned %u, want XDP_PASS", topts.retval);
	} else {
		set_how(res, live ? "XDP_DROP program run on a live frame (private netns)"
				  : "XDP program run on a 64-byte frame: returned XDP_PASS");
	}
out:
	netns_leave(ns);
	unload(&l);
	return err;
}

/* ---------------------------------------------------------------- the table */

static const struct feature_def features[FEAT__COUNT] = {
	[FEAT_BTF] = { "btf", "kernel type information (CO-RE, typed hooks)",
		       "vigil cannot load its sensors; use a kernel with CONFIG_DEBUG_INFO_BTF=y",
		       false, probe_vmlinux_btf },
	[FEAT_RINGBUF] = { "ringbuf", "ring buffer map: the event stream to user space",
			   "no event stream: vigil run and trace refuse to start (Linux 5.8+)",
			   false, probe_ringbuf },
	[FEAT_PERCPU_ARRAY] = { "percpu_array", "per-CPU array: scratch space and counters",
				"sensors cannot load (scratch space and lost-event counters)",
				false, probe_percpu_array },
	[FEAT_LPM_TRIE] = { "lpm_trie", "longest-prefix-match map: CIDR rules",
			    "CIDR rules (shield block/allow lists, network rules) are off", false,
			    probe_lpm_trie },
	[FEAT_LRU_HASH] = { "lru_hash", "self-evicting hash: per-source state",
			    "per-source rate limits and flow state are off", false,
			    probe_lru_hash },
	[FEAT_HASH_OF_MAPS] = { "hash_of_maps", "map of maps: per-cgroup policy, atomic swaps",
				"per-cgroup policies collapse to one global rule set", false,
				probe_hash_of_maps },
	[FEAT_TRACEPOINT] = { "tracepoint", "tracepoints (tp/syscalls/sys_enter_openat)",
			      "syscall sensors (open, connect) are off", false, probe_attach },
	[FEAT_RAW_TP] = { "raw_tp", "raw tracepoints (raw_tp/sched_process_exec)",
			  "raw tracepoint sensors are off; typed tp_btf is used where it works",
			  false, probe_attach },
	[FEAT_TP_BTF] = { "tp_btf", "typed BTF tracepoints (tp_btf/sched_process_exec)",
			  "process sensor falls back to plain tracepoints (no resolved exec path)",
			  true, probe_attach },
	[FEAT_FENTRY] = { "fentry", "BPF trampolines on kernel functions (fentry/vfs_read)",
			  "kernel-function sensors are off; tracepoints are used instead", true,
			  probe_attach },
	[FEAT_BPF_LSM] = { "bpf_lsm", "BPF LSM hooks (lsm/bprm_check_security): blocking",
			   "exec, file, module, bpf and ptrace deny rules kill instead: in the "
			   "kernel at exec and open (the image never runs, no fd is returned), "
			   "from user space after other operations; connect denials still hold "
			   "(cgroup hooks)",
			   true, probe_attach },
	[FEAT_KPROBE] = { "kprobe", "kprobes on kernel functions (kprobe/vfs_read)",
			  "no kprobe sensors and no bpf_override_return; tracepoints only", false,
			  probe_attach },
	[FEAT_ITER_TASK] = { "iter_task", "task iterator: walk every task from BPF",
			     "the startup process table is built from /proc instead", true,
			     probe_iter_task },
	[FEAT_BPF_LOOP] = { "bpf_loop", "bpf_loop helper: bounded loops without unrolling",
			    "loops are unrolled with fixed bounds (shorter argv and paths)", false,
			    probe_bpf_loop },
	[FEAT_SEND_SIGNAL] = { "send_signal", "bpf_send_signal helper: kill from a hook",
			       "kill actions are off: rules can only alert", false,
			       probe_load_only },
	[FEAT_PROBE_WRITE_USER] = { "probe_write_user",
				    "bpf_probe_write_user helper: write user memory",
				    "nothing: vigil never tampers with user memory", false,
				    probe_load_only },
	[FEAT_D_PATH] = { "d_path", "bpf_d_path helper: a file's full path in the kernel",
			  "paths are rebuilt by walking dentries (bounded depth)", true,
			  probe_load_only },
	[FEAT_PLAIN_READS] = { "plain_reads",
			       "bpf_rdonly_cast to void: kernel memory read with plain loads",
			       "sensors read kernel memory with bpf_probe_read_kernel (slower)",
			       true, probe_load_only },
	[FEAT_CGROUP_CONNECT4] = { "cgroup_connect4", "cgroup connect4 hook: IPv4 connect()",
				   "IPv4 connect rules alert but cannot block", false,
				   probe_cgroup },
	[FEAT_CGROUP_CONNECT6] = { "cgroup_connect6", "cgroup connect6 hook: IPv6 connect()",
				   "IPv6 connect rules alert but cannot block", false,
				   probe_cgroup },
	[FEAT_CGROUP_BIND4] = { "cgroup_bind4", "cgroup bind4 hook: IPv4 bind()",
				"bind rules alert but cannot block", false, probe_cgroup },
	[FEAT_CGROUP_SENDMSG4] = { "cgroup_sendmsg4", "cgroup sendmsg4 hook: IPv4 UDP sends",
				   "UDP send rules alert but cannot block", false, probe_cgroup },
	[FEAT_CGROUP_SOCK_CREATE] = { "cgroup_sock_create", "cgroup sock_create hook: socket()",
				      "socket-creation rules (raw sockets) cannot block", false,
				      probe_cgroup },
	[FEAT_CGROUP_SKB] = { "cgroup_skb", "cgroup_skb egress hook: per-cgroup packets",
			      "per-cgroup packet accounting and egress filtering are off", false,
			      probe_cgroup },
	[FEAT_CGROUP_SYSCTL] = { "cgroup_sysctl", "cgroup sysctl hook: /proc/sys writes",
				 "sysctl rules alert but cannot block", false, probe_cgroup },
	[FEAT_CGROUP_DEVICE] = { "cgroup_device", "cgroup device hook: device node access",
				 "device access rules cannot block", false, probe_cgroup },
	[FEAT_XDP] = { "xdp", "XDP: packet filtering at the driver",
		       "shield falls back to tc clsact (later, after skb allocation)", false,
		       probe_xdp },
	[FEAT_TC] = { "tc", "tc clsact classifier (bpf_tc_*): ingress and egress",
		      "shield runs XDP only: no egress filtering", false, probe_tc },
	[FEAT_TEST_RUN] = { "test_run", "BPF_PROG_TEST_RUN: run a program on a crafted input",
			    "self-tests and shield dry runs are off", false, probe_test_run },
	[FEAT_XDP_LIVE_FRAMES] = { "xdp_live_frames",
				   "BPF_F_TEST_XDP_LIVE_FRAMES: test runs that send frames",
				   "the built-in packet generator (bench) is off", false,
				   probe_test_run },
	[FEAT_PERF_EVENT] = { "perf_event", "programs on perf events (sampling)",
			      "sampling metrics are off", false, probe_perf_event },
};

const char *probe_feature_name(enum vigil_feature f)
{
	return (unsigned)f < FEAT__COUNT ? features[f].name : "unknown";
}

const char *probe_feature_summary(enum vigil_feature f)
{
	return (unsigned)f < FEAT__COUNT ? features[f].summary : "";
}

const char *probe_feature_fallback(enum vigil_feature f)
{
	return (unsigned)f < FEAT__COUNT ? features[f].fallback : "";
}

int probe_feature_by_name(const char *name)
{
	for (int f = 0; f < FEAT__COUNT; f++)
		if (!strcmp(features[f].name, name))
			return f;
	return -ENOENT;
}

/* ---------------------------------------------------------------- the cache */

int probe_feature(enum vigil_feature f, struct probe_result *res)
{
	struct probe_result r = {};
	int err;

	if ((unsigned)f >= FEAT__COUNT)
		return -EINVAL;
	pthread_mutex_lock(&probe_lock);
	if (cached[f]) {
		*res = cache[f];
		pthread_mutex_unlock(&probe_lock);
		return 0;
	}
	err = probe_check_privilege();
	if (err) {
		pthread_mutex_unlock(&probe_lock);
		memset(res, 0, sizeof(*res));
		fail(res, err, "privilege", "needs root (CAP_BPF/CAP_SYS_ADMIN)");
		return err;
	}
	if (features[f].needs_btf && !probe_has(FEAT_BTF)) {
		set_how(&r, "not tried: needs kernel BTF");
		fail(&r, -ENOENT, "btf", "needs kernel BTF (see btf)");
	} else {
		r.supported = !features[f].probe(f, &r);
	}
	if (r.supported) {
		r.err = 0;
		r.step[0] = r.reason[0] = '\0';
	}
	pr_debug(SUBSYS, "%s: %s: %s", features[f].name, r.supported ? "yes" : "no",
		 r.supported ? r.how : r.reason);
	cache[f] = r;
	cached[f] = true;
	*res = r;
	pthread_mutex_unlock(&probe_lock);
	return 0;
}

bool probe_has(enum vigil_feature f)
{
	struct probe_result r;

	return !probe_feature(f, &r) && r.supported;
}

int probe_all(void)
{
	struct probe_result r;
	enum vigil_feature f;
	int err;

	probe_for_each_feature(f)
	{
		err = probe_feature(f, &r);
		if (err)
			return err;
	}
	return 0;
}

void probe_cache_reset(void)
{
	pthread_mutex_lock(&probe_lock);
	memset(cached, 0, sizeof(cached));
	sys_cached = false;
	pthread_mutex_unlock(&probe_lock);
}
