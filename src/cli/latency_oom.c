// SPDX-License-Identifier: GPL-2.0
/* `vigil latency oom`: OOM kills, each with its victim and memory, as text or JSON. */
#include "cli/latency_oom.h"
#include "cli/cli.h"
#include "events/cgroup.h"
#include "events/json.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1234567 -> "1.2M" */
static const char *bytes(char *buf, size_t size, unsigned long long b)
{
	static const char units[] = "KMGT";
	double v = (double)b;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu", b);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
	return buf;
}

/* The memory cgroup: its path where it is on the cgroup2 mount, else its directory name. */
static const char *memcg_of(struct cgroup_names *cg, const struct vigil_oom_kill *k)
{
	const char *path = cg && k->memcg ? cgroup_names_get(cg, k->memcg) : NULL;

	if (path)
		return path;
	return k->memcg_name[0] ? k->memcg_name : "/";
}

static const char *cgroup_of(struct cgroup_names *cg, const struct vigil_oom_kill *k)
{
	const char *path = cg && k->cgroup ? cgroup_names_get(cg, k->cgroup) : NULL;

	return path ? path : "?";
}

static void print_text(const struct vigil_oom_kill *k, double wall, struct cgroup_names *cg)
{
	unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
	char anon[16], file[16], shmem[16], vm[16], pgt[16], hms[16];
	time_t t = (time_t)wall;

	strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&t));
	printf("%s oom kill: pid %u (%.16s) uid %u: anon-rss %s, file-rss %s, shmem-rss %s, "
	       "vm %s, page tables %s, oom_score_adj %d\n",
	       hms, k->pid, k->comm, k->uid, bytes(anon, sizeof(anon), k->anon_rss * page),
	       bytes(file, sizeof(file), k->file_rss * page),
	       bytes(shmem, sizeof(shmem), k->shmem_rss * page),
	       bytes(vm, sizeof(vm), k->total_vm * page), bytes(pgt, sizeof(pgt), k->pgtables),
	       k->oom_score_adj);
	printf("         memory cgroup %s, cgroup %s, triggered by pid %u (%.16s)\n",
	       memcg_of(cg, k), cgroup_of(cg, k), k->trigger_pid, k->trigger_comm);
}

static void print_json_kill(const struct vigil_oom_kill *k, double wall, struct cgroup_names *cg)
{
	unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);

	printf("{\"time\":%.3f,\"pid\":%u,\"comm\":", wall, k->pid);
	json_string(stdout, k->comm, strnlen(k->comm, sizeof(k->comm)));
	printf(",\"uid\":%u,\"anon_rss_bytes\":%llu,\"file_rss_bytes\":%llu,"
	       "\"shmem_rss_bytes\":%llu,\"total_vm_bytes\":%llu,\"pgtables_bytes\":%llu,"
	       "\"oom_score_adj\":%d,\"memcg\":",
	       k->uid, (unsigned long long)k->anon_rss * page,
	       (unsigned long long)k->file_rss * page, (unsigned long long)k->shmem_rss * page,
	       (unsigned long long)k->total_vm * page, (unsigned long long)k->pgtables,
	       k->oom_score_adj);
	json_cstring(stdout, memcg_of(cg, k));
	fputs(",\"cgroup\":", stdout);
	json_cstring(stdout, cgroup_of(cg, k));
	printf(",\"trigger_pid\":%u,\"trigger_comm\":", k->trigger_pid);
	json_string(stdout, k->trigger_comm, strnlen(k->trigger_comm, sizeof(k->trigger_comm)));
	putchar('}');
}

/* What was recorded since the last report; *@total counts the kills. 0 or -errno. */
static int report(struct oom_session *s, bool json, double seconds, struct cgroup_names *cg,
		  unsigned long long *total)
{
	double mono = clock_s(CLOCK_MONOTONIC), real = clock_s(CLOCK_REALTIME);
	struct vigil_oom_kill *kills;
	size_t n;
	int ret = oom_read(s, &kills, &n);

	if (ret)
		return ret;
	*total += n;
	if (json)
		printf("{\"target\":\"oom\",\"mode\":\"%s\",\"seconds\":%.3f,\"lost\":%llu,"
		       "\"kills\":[",
		       oom_mode(s), seconds, (unsigned long long)oom_lost(s));
	for (size_t i = 0; i < n; i++) {
		double wall = real - (mono - (double)kills[i].ktime_ns / 1e9);

		if (json) {
			if (i)
				putchar(',');
			print_json_kill(&kills[i], wall, cg);
		} else {
			print_text(&kills[i], wall, cg);
		}
	}
	if (json)
		puts("]}");
	fflush(stdout);
	free(kills);
	return 0;
}

static int open_error(const struct oom_config *cfg, int err)
{
	if (err == -ENOENT && cfg->cgroup) {
		fprintf(stderr, "vigil: latency: no cgroup %s on the cgroup2 mount\n", cfg->cgroup);
		return EXIT_USAGE;
	}
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "vigil: latency: this kernel's oom:mark_victim tracepoint does not "
				"pass the victim (kernel 6.8 and later do)\n");
		return EXIT_NO_FEATURE;
	}
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr,
			"vigil: latency: the kernel refused the program (%s); needs root "
			"(CAP_BPF and CAP_PERFMON)\n",
			strerror(-err));
		return EXIT_NO_PRIVILEGE;
	}
	fprintf(stderr,
		"vigil: latency: cannot trace oom: %s (neither tp_btf nor raw_tp loaded; -v "
		"shows the verifier's log)\n",
		strerror(-err));
	return EXIT_NO_FEATURE;
}

int latency_oom(const struct oom_config *cfg, double duration, double interval, bool json)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long long total = 0;
	struct oom_session *s = NULL;
	struct cgroup_names *cg;
	double start, last, end;
	int ret = oom_open(cfg, &s);

	if (ret)
		return open_error(cfg, ret);
	cg = cgroup_names_new();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "vigil: latency: tracing OOM kills (%s); Ctrl-C to stop\n", oom_mode(s));
	start = last = clock_s(CLOCK_MONOTONIC);
	end = duration ? start + duration : INFINITY;
	while (!stop_requested && clock_s(CLOCK_MONOTONIC) < end) {
		double now = clock_s(CLOCK_MONOTONIC);

		/* a kill is printed within 0.2 s in text mode; JSON waits for the interval */
		usleep(200 * 1000);
		if (!json && (ret = report(s, false, now - last, cg, &total)))
			break;
		if (json && interval && now - last >= interval) {
			ret = report(s, true, now - last, cg, &total);
			if (ret)
				break;
			last = now;
		}
	}
	if (!ret)
		ret = report(s, json, clock_s(CLOCK_MONOTONIC) - last, cg, &total);
	if (!ret && !json)
		printf("%llu OOM kills in %.1f s%s\n", total, clock_s(CLOCK_MONOTONIC) - start,
		       oom_lost(s) ? " (some lost: the ring buffer was full)" : "");
	if (ret) {
		fprintf(stderr, "vigil: latency: reading the OOM kills: %s\n", strerror(-ret));
		ret = EXIT_RUNTIME;
	}
	cgroup_names_free(cg);
	oom_close(s);
	return ret;
}
