/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel capability probes: each feature is found by really creating the map, loading the
 * program and, where attaching is what can fail, attaching it (to a temporary cgroup, to lo in
 * a private network namespace, ...) and tearing it down at once. Answers are cached for the
 * life of the process, so subsystems can ask freely:
 *
 *	if (!probe_has(FEAT_BPF_LSM))
 *		bpf_program__set_autoload(skel->progs.deny_exec, false);
 *
 * Probing needs privilege (CAP_SYS_ADMIN, or root); call probe_check_privilege() first to
 * tell "not root" from "kernel lacks it". The cache is protected by a mutex.
 */
#ifndef VIGIL_CORE_PROBE_H
#define VIGIL_CORE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* Keep in step with the table in probe.c (names, summaries, fallbacks). */
enum vigil_feature {
	FEAT_BTF,
	FEAT_RINGBUF,
	FEAT_PERCPU_ARRAY,
	FEAT_LPM_TRIE,
	FEAT_LRU_HASH,
	FEAT_HASH_OF_MAPS,
	FEAT_TRACEPOINT,
	FEAT_RAW_TP,
	FEAT_TP_BTF,
	FEAT_FENTRY,
	FEAT_BPF_LSM,
	FEAT_KPROBE,
	FEAT_ITER_TASK,
	FEAT_BPF_LOOP,
	FEAT_SEND_SIGNAL,
	FEAT_PROBE_WRITE_USER,
	FEAT_D_PATH,
	FEAT_PLAIN_READS,
	FEAT_CGROUP_CONNECT4,
	FEAT_CGROUP_CONNECT6,
	FEAT_CGROUP_BIND4,
	FEAT_CGROUP_SENDMSG4,
	FEAT_CGROUP_SOCK_CREATE,
	FEAT_CGROUP_SKB,
	FEAT_CGROUP_SYSCTL,
	FEAT_CGROUP_DEVICE,
	FEAT_XDP,
	FEAT_TC,
	FEAT_TEST_RUN,
	FEAT_XDP_LIVE_FRAMES,
	FEAT_PERF_EVENT,
	FEAT__COUNT,
};

#define probe_for_each_feature(f) for ((f) = 0; (f) < FEAT__COUNT; (f)++)

struct probe_result {
	bool supported;
	int err;	  /* 0, or the negative errno of the step that failed */
	char step[16];	  /* the step that failed: "load", "attach", "create", "run", ... */
	char how[128];	  /* what was done, and the mode it runs in ("attached to lo, generic") */
	char reason[256]; /* why not: "EPERM at load: ..."; empty when supported */
};

/* Stable short name ("tp_btf", "cgroup_connect4"): used in text, JSON and by_name. */
const char *probe_feature_name(enum vigil_feature f);
/* One line: what the feature is. */
const char *probe_feature_summary(enum vigil_feature f);
/* One line: what vigil does when the kernel lacks it. */
const char *probe_feature_fallback(enum vigil_feature f);
/* The feature called name, or -ENOENT. */
int probe_feature_by_name(const char *name);

/* 0 when this process may load BPF programs (root or CAP_SYS_ADMIN), else -EPERM. */
int probe_check_privilege(void);

/*
 * Probe f once (later calls return the cached answer) and fill res. Returns 0 when the probe
 * ran, whatever its answer (res->supported); -EPERM when not privileged, -EINVAL for an
 * unknown feature. Nothing is cached when the probe could not run.
 */
int probe_feature(enum vigil_feature f, struct probe_result *res);
/* True when f is supported; probes on first use. */
bool probe_has(enum vigil_feature f);
/* Probe every feature; returns 0 or the first -errno from probe_feature(). */
int probe_all(void);
/* Forget every cached answer (tests, or after the user mounted something). */
void probe_cache_reset(void);

/* The system facts the answers depend on. Strings are "" when unknown. */
struct probe_system {
	char kernel[65];     /* uname -r */
	char machine[65];    /* uname -m */
	bool securityfs;     /* /sys/kernel/security is mounted (lockdown, lsm readable) */
	char lockdown[32];   /* "none", "integrity", "confidentiality"; "" unknown */
	char lsm[256];	     /* the active LSM list; "" unknown */
	int bpf_lsm_active;  /* "bpf" in the LSM list: 1, 0, or -1 unknown */
	int bpf_lsm_built;   /* bpf_lsm_* hooks in kernel BTF (CONFIG_BPF_LSM): 1, 0, -1 */
	bool tracefs;	     /* tracefs mounted at /sys/kernel/tracing or debugfs/tracing */
	bool tracefs_own_ns; /* mounted by vigil in its own mount namespace, not the host\'s */
	char cgroup2[256];   /* cgroup2 mount point from /proc/self/mountinfo; "" none */
	int unprivileged_bpf_disabled; /* kernel.unprivileged_bpf_disabled, -1 unknown */
	int bpf_jit_enable;	       /* net.core.bpf_jit_enable, -1 unknown */
};

/* Fill sys; needs no privilege and never fails (unknown facts stay unknown). */
void probe_system_info(struct probe_system *sys);

/* The first cgroup2 mount point in /proc/self/mountinfo: 0, or -ENOENT when there is none. */

/* "EPERM", "ENOTSUPP", ...: the name of a positive or negative errno. */
const char *probe_errno_name(int err);

#endif
