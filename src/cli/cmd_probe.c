// SPDX-License-Identifier: GPL-2.0
/* vigil probe: the kernel capability matrix, as text or one JSON object. */
#include "cli/cli.h"
#include "core/elfsym.h"
#include "core/log.h"
#include "core/mounts.h"
#include "core/probe.h"
#include "events/json.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOPERM_MSG                                                                                 \
	"vigil: probe: needs root (CAP_BPF/CAP_SYS_ADMIN) to load test programs; "                 \
	"try: sudo vigil probe"

enum { OPT_USDT = 256 };

static const struct cli_option probe_options[] = {
	OPTION("usdt", OPT_USDT, "PATH",
	       "list the USDT probes of program or library PATH instead\n"
	       "(its .note.stapsdt notes; a library's name is looked up\n"
	       "with ldconfig); needs no root"),
	OPTION("json", 'j', NULL, "print one JSON object instead of the table"),
	OPTION("verbose", 'v', NULL, "show libbpf's and the verifier's messages (on stderr)"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void probe_usage(FILE *out)
{
	enum vigil_feature f;

	fprintf(out,
		"usage: vigil probe [--json] [-v]\n"
		"       vigil probe --usdt PATH [--json]\n"
		"\n"
		"Find out what this kernel can do for vigil by really doing it: every map is\n"
		"created, every program loaded and, where attaching is what can fail, attached\n"
		"(to a temporary cgroup, or to lo in a private network namespace) and removed\n"
		"again. Nothing is left behind. Other vigil commands use the same probes to\n"
		"switch off what the kernel lacks.\n"
		"\n"
		"options:\n");
	options_help(out, probe_options, 0);
	fprintf(out,
		"\n"
		"The system section shows the facts the answers depend on: kernel release,\n"
		"lockdown mode and the active LSMs (both read from securityfs, which may need\n"
		"mounting: mount -t securityfs securityfs /sys/kernel/security), whether the\n"
		"kernel has the BPF LSM built in, the cgroup2 mount used for cgroup hooks,\n"
		"tracefs (needed to attach tp/ tracepoints), and two sysctls.\n"
		"\n"
		"Each feature line reads: NAME  yes|no  what was done (and the mode it runs in).\n"
		"A 'no' line says ERRNO at STEP: why (STEP is open, load, attach, create, run, "
		"...),\n"
		"then 'without it:' what vigil does instead.\n"
		"\n"
		"features:\n");
	probe_for_each_feature(f)
		fprintf(out, "  %-19s %s\n", probe_feature_name(f), probe_feature_summary(f));
	fprintf(out, "\n"
		     "--usdt PATH lists the statically defined probes (USDT, as DTrace and\n"
		     "SystemTap name them) a program or library carries: provider, name, address,\n"
		     "file offset, semaphore (0: none) and the argument spec, as readelf -n shows\n"
		     "them. Example: vigil probe --usdt /usr/bin/python3\n"
		     "\n"
		     "exit: 0 when the probe ran (even with features missing), 64 bad arguments\n"
		     "(or a PATH that is missing or not ELF), 77 not root.\n");
}

/* ---------------------------------------------------------------- JSON */

/* A string, or null when it is empty (unknown). */
static void json_str_or_null(FILE *out, const char *s)
{
	if (s[0])
		json_cstring(out, s);
	else
		fputs("null", out);
}

static void json_tristate(FILE *out, int v)
{
	fputs(v < 0 ? "null" : v ? "true" : "false", out);
}

static void json_int_or_null(FILE *out, int v)
{
	if (v < 0)
		fputs("null", out);
	else
		fprintf(out, "%d", v);
}

static void print_json(FILE *out, const struct probe_system *s,
		       const struct probe_result res[FEAT__COUNT])
{
	enum vigil_feature f;
	int avail = 0;

	fputs("{\"kernel\":", out);
	json_cstring(out, s->kernel);
	fputs(",\"machine\":", out);
	json_cstring(out, s->machine);
	fprintf(out, ",\"securityfs\":%s,\"lockdown\":", s->securityfs ? "true" : "false");
	json_str_or_null(out, s->lockdown);
	fputs(",\"lsm\":", out);
	json_str_or_null(out, s->lsm);
	fputs(",\"bpf_lsm_active\":", out);
	json_tristate(out, s->bpf_lsm_active);
	fputs(",\"bpf_lsm_built\":", out);
	json_tristate(out, s->bpf_lsm_built);
	fprintf(out, ",\"tracefs\":%s,\"tracefs_own_namespace\":%s,\"cgroup2\":",
		s->tracefs ? "true" : "false", s->tracefs_own_ns ? "true" : "false");
	json_str_or_null(out, s->cgroup2);
	fputs(",\"unprivileged_bpf_disabled\":", out);
	json_int_or_null(out, s->unprivileged_bpf_disabled);
	fputs(",\"bpf_jit_enable\":", out);
	json_int_or_null(out, s->bpf_jit_enable);
	fputs(",\"features\":{", out);
	probe_for_each_feature(f)
	{
		const struct probe_result *r = &res[f];

		avail += r->supported;
		fprintf(out, "%s", f ? "," : "");
		json_cstring(out, probe_feature_name(f));
		fprintf(out, ":{\"supported\":%s,\"how\":", r->supported ? "true" : "false");
		json_cstring(out, r->how);
		if (r->supported) {
			fputs(",\"errno\":null,\"step\":null,\"reason\":null", out);
		} else {
			fputs(",\"errno\":", out);
			json_cstring(out, probe_errno_name(r->err));
			fputs(",\"step\":", out);
			json_cstring(out, r->step);
			fputs(",\"reason\":", out);
			json_cstring(out, r->reason);
		}
		fputs(",\"summary\":", out);
		json_cstring(out, probe_feature_summary(f));
		fputs(",\"without\":", out);
		json_cstring(out, probe_feature_fallback(f));
		fputc('}', out);
	}
	/* vigil run's guard (enforce/guard.h) needs BPF LSM and nothing else. */
	fprintf(out, "},\"tamper_protection\":%s,\"available\":%d,\"total\":%d}\n",
		res[FEAT_BPF_LSM].supported ? "true" : "false", avail, FEAT__COUNT);
}

/* ---------------------------------------------------------------- text */

struct colours {
	const char *yes, *no, *dim, *bold, *off;
};

static void sys_line(FILE *out, const struct colours *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void sys_line(FILE *out, const struct colours *c, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "  %s%-26s%s ", c->bold, key, c->off);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static const char *jit_meaning(int v)
{
	switch (v) {
	case 0:
		return "interpreter only";
	case 1:
		return "JIT on";
	case 2:
		return "JIT on, with debug output";
	default:
		return "unknown";
	}
}

static const char *unpriv_meaning(int v)
{
	switch (v) {
	case 0:
		return "unprivileged users may load BPF";
	case 1:
		return "unprivileged BPF off until reboot";
	case 2:
		return "unprivileged BPF off; an admin may turn it on";
	default:
		return "unknown";
	}
}

static void print_text(FILE *out, const struct probe_system *s,
		       const struct probe_result res[FEAT__COUNT], bool colour)
{
	static const struct colours plain = { "", "", "", "", "" };
	static const struct colours ansi = { "\033[32m", "\033[31m", "\033[2m", "\033[1m",
					     "\033[0m" };
	const struct colours *c = colour ? &ansi : &plain;
	const char *secfs_hint = "securityfs not mounted: mount -t securityfs securityfs "
				 "/sys/kernel/security";
	enum vigil_feature f;
	int avail = 0;

	fprintf(out, "%ssystem%s\n", c->bold, c->off);
	sys_line(out, c, "kernel", "%s (%s)", s->kernel, s->machine);
	if (s->lockdown[0])
		sys_line(out, c, "lockdown", "%s", s->lockdown);
	else
		sys_line(out, c, "lockdown", "unknown (%s)",
			 s->securityfs ? "/sys/kernel/security/lockdown unreadable" : secfs_hint);
	if (s->lsm[0])
		sys_line(out, c, "lsm", "%s ('bpf' %s)", s->lsm,
			 s->bpf_lsm_active ? "active" : "not active");
	else
		sys_line(out, c, "lsm", "unknown (%s)",
			 s->securityfs ? "/sys/kernel/security/lsm unreadable" : secfs_hint);
	sys_line(out, c, "bpf lsm built in", "%s",
		 s->bpf_lsm_built > 0	 ? "yes (bpf_lsm_* hooks in kernel BTF)"
		 : s->bpf_lsm_built == 0 ? "no (no bpf_lsm_* hooks in kernel BTF)"
					 : "unknown (no kernel BTF)");
	sys_line(out, c, "tamper protection", "%s",
		 res[FEAT_BPF_LSM].supported
			 ? "available: vigil run refuses ptrace, signals and BPF access (BPF LSM)"
			 : "not available (no BPF LSM): root can kill, ptrace or detach vigil run");
	sys_line(out, c, "cgroup2", "%s", s->cgroup2[0] ? s->cgroup2 : "not mounted");
	sys_line(out, c, "tracefs", "%s",
		 !s->tracefs ? "not mounted (mount -t tracefs tracefs /sys/kernel/tracing)"
		 : !s->tracefs_own_ns
			 ? "mounted"
			 : "not mounted on the host: vigil mounts it in its own mount namespace");
	sys_line(out, c, "unprivileged_bpf_disabled", "%d (%s)", s->unprivileged_bpf_disabled,
		 unpriv_meaning(s->unprivileged_bpf_disabled));
	sys_line(out, c, "bpf_jit_enable", "%d (%s)", s->bpf_jit_enable,
		 jit_meaning(s->bpf_jit_enable));

	fprintf(out, "\n%sfeatures%s\n", c->bold, c->off);
	probe_for_each_feature(f)
	{
		const struct probe_result *r = &res[f];

		avail += r->supported;
		fprintf(out, "  %-19s %s%-3s%s  %s\n", probe_feature_name(f),
			r->supported ? c->yes : c->no, r->supported ? "yes" : "no", c->off,
			r->supported ? r->how : r->reason);
		if (!r->supported)
			fprintf(out, "  %-19s      %swithout it: %s%s\n", "", c->dim,
				probe_feature_fallback(f), c->off);
	}
	fprintf(out, "\n%d of %d features available", avail, FEAT__COUNT);
	if (avail < FEAT__COUNT) {
		const char *sep = "; missing: ";

		probe_for_each_feature(f)
		{
			if (res[f].supported)
				continue;
			fprintf(out, "%s%s", sep, probe_feature_name(f));
			sep = ", ";
		}
	}
	fputs(".\n", out);
}

/* ---------------------------------------------------------------- USDT */

static int list_usdt(const char *arg, bool json)
{
	char path[PATH_MAX];
	struct elf_usdt *u = NULL;
	size_t n = 0;
	int err;

	snprintf(path, sizeof(path), "%s", arg);
	if (!strchr(arg, '/') && elf_library_find(arg, path, sizeof(path)))
		return usage_error("probe", "no library %s known to ldconfig; give its path", arg);
	err = elf_usdt_list(path, &u, &n);
	if (err)
		return usage_error("probe", "--usdt %s: %s", path, elf_strerror(err));
	if (json) {
		fputs("{\"path\":", stdout);
		json_cstring(stdout, path);
		fputs(",\"probes\":[", stdout);
	} else if (n) {
		printf("%-16s %-28s %-18s %-10s %-18s %s\n", "PROVIDER", "NAME", "ADDRESS",
		       "OFFSET", "SEMAPHORE", "ARGUMENTS");
	}
	for (size_t i = 0; i < n; i++) {
		if (json) {
			printf("%s{\"provider\":", i ? "," : "");
			json_cstring(stdout, u[i].provider);
			fputs(",\"name\":", stdout);
			json_cstring(stdout, u[i].name);
			printf(",\"address\":\"0x%" PRIx64 "\",\"offset\":\"0x%" PRIx64
			       "\",\"semaphore\":\"0x%" PRIx64 "\",\"args\":",
			       u[i].pc, u[i].offset, u[i].semaphore);
			json_cstring(stdout, u[i].args);
			fputc('}', stdout);
		} else {
			printf("%-16s %-28s 0x%-16" PRIx64 " 0x%-8" PRIx64 " 0x%-16" PRIx64 " %s\n",
			       u[i].provider, u[i].name, u[i].pc, u[i].offset, u[i].semaphore,
			       u[i].args);
		}
	}
	if (json)
		fputs("]}\n", stdout);
	else if (!n)
		fprintf(stderr, "vigil: probe: %s has no USDT probes (no .note.stapsdt notes)\n",
			path);
	free(u);
	return fflush(stdout) ? EXIT_RUNTIME : 0;
}

/* ---------------------------------------------------------------- the command */

static int probe_run(int argc, char **argv)
{
	struct getopt_spec spec;
	struct probe_result res[FEAT__COUNT];
	struct probe_system sys;
	enum vigil_feature f;
	bool json = false, host_tracefs;
	const char *usdt = NULL;
	int opt, err;

	options_getopt(probe_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case OPT_USDT:
			usdt = optarg;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'h':
			probe_usage(stdout);
			return 0;
		default:
			return options_error("probe", opt, argv);
		}
	}
	if (optind < argc)
		return usage_error("probe", "unexpected argument '%s'", argv[optind]);
	if (usdt)
		return list_usdt(usdt, json);

	if (probe_check_privilege()) {
		fprintf(stderr, "%s\n", NOPERM_MSG);
		if (json)
			printf("{\"error\":\"needs root (CAP_BPF/CAP_SYS_ADMIN)\",\"exit\":%d}\n",
			       EXIT_NO_PRIVILEGE);
		return EXIT_NO_PRIVILEGE;
	}
	/* As the sensors do: tracefs, when the host has none, in vigil's own mount namespace. */
	host_tracefs = tracefs_mounted();
	if (!host_tracefs && tracefs_ensure())
		pr_debug("probe", "could not mount tracefs for the probes");
	probe_system_info(&sys);
	sys.tracefs_own_ns = sys.tracefs && !host_tracefs;
	probe_for_each_feature(f)
	{
		err = probe_feature(f, &res[f]);
		if (err) {
			pr_err("probe", "%s: cannot probe: %s", probe_feature_name(f),
			       strerror(-err));
			return err == -EPERM ? EXIT_NO_PRIVILEGE : EXIT_RUNTIME;
		}
	}

	if (json)
		print_json(stdout, &sys, res);
	else
		print_text(stdout, &sys, res, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	if (!res[FEAT_BTF].supported)
		fprintf(stderr,
			"vigil: probe: this kernel has no usable BTF (%s); vigil's sensors "
			"need a kernel built with CONFIG_DEBUG_INFO_BTF=y\n",
			res[FEAT_BTF].reason);
	return fflush(stdout) ? EXIT_RUNTIME : 0;
}

const struct command cmd_probe = {
	.name = "probe",
	.summary = "show what this kernel supports (really loads and attaches test programs)",
	.run = probe_run,
	.usage = probe_usage,
	.options = probe_options,
};
