// SPDX-License-Identifier: GPL-2.0
/* vigil baseline: learn what programs do, show and compare it, check events, export a policy. */
#include "agent/run.h"
#include "baseline/engine.h"
#include "cli/cli.h"
#include "core/sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_DIR = 256,
	OPT_EXE,
	OPT_CGROUP,
	OPT_UNIT,
	OPT_ALL,
	OPT_QUIET,
	OPT_FOLD,
	OPT_EVENTS,
	OPT_SINCE,
	OPT_NETWORK,
	OPT_KEYS,
};

static const struct cli_option baseline_options[] = {
	OPTION("dir", OPT_DIR, "DIR", "where the baselines are (default " BASELINE_DIR ")"),
	{ .help = "learn:" },
	OPTION("duration", 'd', "TIME", "stop after TIME (30, 30s, 10m, 2h; default: Ctrl-C)"),
	OPTION("exe", OPT_EXE, "PATH", "learn the program at PATH (repeatable)"),
	OPTION("cgroup", OPT_CGROUP, "PATH",
	       "learn every program in the cgroup subtree PATH, like\n"
	       "/system.slice/nginx.service (repeatable)"),
	OPTION("unit", OPT_UNIT, "NAME",
	       "learn a systemd unit's programs: --cgroup\n"
	       "/system.slice/NAME (.service added without a dot)"),
	OPTION("all", OPT_ALL, NULL, "learn every program (also: the operand all)"),
	OPTION("quiet-period", OPT_QUIET, "TIME",
	       "a learning baseline that has not grown for TIME moves\n"
	       "to monitor (default 1h; 0: never)"),
	OPTION("fold", OPT_FOLD, "N",
	       "keep DIR/* instead of N or more files of one directory\n"
	       "(default 8; 0: never fold)"),
	{ .help = "check:" },
	OPTION("events", OPT_EVENTS, "FILE", "the JSON events to judge (what vigil run -o wrote)"),
	OPTION("since", OPT_SINCE, "TIME", "only events of the last TIME (e.g. 24h)"),
	OPTION("network", OPT_NETWORK, NULL,
	       "check, export: network behaviour counts too (it is\n"
	       "reported apart, and enforced only when asked)"),
	{ .help = "all:" },
	OPTION("output", 'o', "FILE", "write to FILE instead of standard output"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void baseline_usage(FILE *out)
{
	fputs("usage: vigil baseline <learn|show|diff|export|check|mode> [options] [args]\n\n"
	      "Behaviour baselines (docs/baseline.md): what each program does (programs it runs,\n"
	      "files it reads and writes, peers and ports, privileged operations), keyed by its\n"
	      "executable's path and sha256, so that a replaced binary is a new program. One\n"
	      "YAML file per program, with counts and first/last seen, editable by hand.\n\n"
	      "  learn [all]             watch live events (--exe, --cgroup, --unit or all):\n"
	      "                          baselines in learn mode grow, and move to monitor once\n"
	      "                          they stop growing for the quiet period; for those in\n"
	      "                          monitor or enforce mode, what they never saw is an\n"
	      "                          anomaly line (JSON). Interactive sessions (a\n"
	      "                          controlling tty, sshd's descendants) are never learned\n"
	      "  show [PROGRAM|FILE...]  the baselines as a table, or the named ones in full\n"
	      "  diff FILE FILE          what one has and the other not (exit 1 when any)\n"
	      "  export PROGRAM|FILE     a vigil policy: deny rules whose exceptions are what\n"
	      "                          was learned, for vigil run to load (audit unless the\n"
	      "                          baseline is in enforce mode): how baselines enforce\n"
	      "  check\n"
	      "                          what enforcing the baselines would have denied in the\n"
	      "                          events file --events names (would_deny; exit 1 when\n"
	      "                          anything would be)\n"
	      "  mode PROGRAM|FILE learn|monitor|enforce\n"
	      "                          set a baseline's mode: none goes to enforce by itself\n\n",
	      out);
	options_help(out, baseline_options, 0);
	fputs("\nExamples:\n"
	      "  sudo vigil baseline learn --unit nginx --duration 2h\n"
	      "  vigil baseline show /usr/sbin/nginx\n"
	      "  vigil baseline check --events /var/log/vigil/events.json --since 24h\n"
	      "  vigil baseline export /usr/sbin/nginx -o /etc/vigil/policies.d/nginx.yaml\n\n"
	      "Exit status: 0, 1 for check when enforcing would have denied something and\n"
	      "for diff when the baselines differ, 64 bad usage, 78 a baseline with errors.\n",
	      out);
}

struct args {
	const char *dir, *output, *events;
	double duration, quiet_s, since_s;
	size_t fold;
	bool network;
	struct bl_scope scope;
	char *units[BL_SCOPE_MAX];
	size_t n_units;
	char **operands;
	int n_operands;
	bool given[OPT_KEYS]; /* by option key */
};

/* "30", "30s", "10m", "2h", "1d": seconds; -1 when it is none of them. */
static double parse_time(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return v;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!strcmp(end, "h"))
		return v * 3600;
	return !strcmp(end, "d") ? v * 86400 : -1;
}

static int parse(int argc, char **argv, struct args *a)
{
	struct getopt_spec spec;
	char *end;
	int opt;

	if (options_getopt(baseline_options, 0, false, &spec))
		return usage_error("baseline", "too many options for the parser");
	opterr = 0;
	optind = 2;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt > 0 && opt < OPT_KEYS)
			a->given[opt] = true;
		switch (opt) {
		case 'h':
			baseline_usage(stdout);
			exit(EXIT_OK);
		case OPT_DIR:
			a->dir = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_EVENTS:
			a->events = optarg;
			break;
		case OPT_NETWORK:
			a->network = true;
			break;
		case OPT_ALL:
			a->scope.all = true;
			break;
		case 'd':
		case OPT_QUIET:
		case OPT_SINCE: {
			double t = parse_time(optarg);

			if (t < 0 || (opt == 'd' && t == 0))
				return usage_error(
					"baseline", "--%s: '%s' is not a time (30s, 10m, 2h)",
					options_find(baseline_options, opt)->name, optarg);
			*(opt == 'd'	     ? &a->duration
			  : opt == OPT_QUIET ? &a->quiet_s
					     : &a->since_s) = t;
			break;
		}
		case OPT_FOLD:
			errno = 0;
			a->fold = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || a->fold == 1)
				return usage_error("baseline",
						   "--fold: '%s': a number, 0 or 2 and more",
						   optarg);
			break;
		case OPT_EXE:
		case OPT_CGROUP:
		case OPT_UNIT:
			if (a->scope.n_exes + a->scope.n_cgroups >= BL_SCOPE_MAX)
				return usage_error("baseline", "at most %d --exe, --cgroup, --unit",
						   BL_SCOPE_MAX);
			if (opt == OPT_EXE) {
				if (*optarg != '/')
					return usage_error("baseline",
							   "--exe: '%s': an absolute path", optarg);
				a->scope.exes[a->scope.n_exes++] = optarg;
			} else if (opt == OPT_CGROUP) {
				if (*optarg != '/')
					return usage_error("baseline",
							   "--cgroup: '%s': a path below the "
							   "cgroup2 root, like /system.slice/x",
							   optarg);
				a->scope.cgroups[a->scope.n_cgroups++] = optarg;
			} else {
				char *c;

				if (!*optarg || strchr(optarg, '/') ||
				    asprintf(&c, "/system.slice/%s%s", optarg,
					     strchr(optarg, '.') ? "" : ".service") < 0)
					return usage_error("baseline",
							   "--unit: '%s': a unit's name", optarg);
				a->units[a->n_units++] = c;
				a->scope.cgroups[a->scope.n_cgroups++] = c;
			}
			break;
		default:
			return options_error("baseline", opt, argv);
		}
	}
	a->operands = argv + optind;
	a->n_operands = argc - optind;
	return 0;
}

static FILE *open_out(const char *path)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return stdout;
	f = fopen(path, "we");
	if (!f)
		fprintf(stderr, "vigil: baseline: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static int engine_error(int err, const char *why)
{
	fprintf(stderr, "vigil: baseline: %s\n", why);
	return err == -EINVAL ? EXIT_CONFIG : EXIT_RUNTIME;
}

static int learn(struct args *a)
{
	struct bl_engine_opts eo = { .dir = a->dir,
				     .scope = a->scope,
				     .learn = true,
				     .quiet_s = a->quiet_s,
				     .fold_min = a->fold,
				     .check_tty = true };
	struct run_options o = { .name = "baseline",
				 .colour = 0,
				 .aggregate_s = 1,
				 .budget_rate = 2000,
				 .budget_burst = 20000,
				 .format_set = true,
				 .duration = a->duration,
				 .output = "/dev/null" };
	const struct bl_engine_stats *st;
	struct bl_engine *e;
	char err[512];
	int ret;

	for (int i = 0; i < a->n_operands; i++) {
		if (strcmp(a->operands[i], "all"))
			return usage_error("baseline", "learn: unexpected argument '%s'",
					   a->operands[i]);
		eo.scope.all = true;
	}
	if (!eo.scope.all && !eo.scope.n_exes && !eo.scope.n_cgroups)
		return usage_error("baseline",
				   "learn what? --exe PATH, --cgroup PATH, --unit NAME or all");
	if (geteuid()) {
		fprintf(stderr, "vigil: baseline: permission denied: learning needs root\n");
		return EXIT_NO_PRIVILEGE;
	}
	eo.out = open_out(a->output);
	if (!eo.out)
		return EXIT_RUNTIME;
	ret = bl_engine_new(&e, &eo, err, sizeof(err));
	if (ret) {
		if (eo.out != stdout)
			fclose(eo.out);
		return engine_error(ret, err);
	}
	o.cfg.filter.type_mask = bl_event_mask();
	o.cfg.judge = bl_engine_judge;
	o.cfg.judge_ctx = e;
	ret = run_main(&o);
	if (bl_engine_save(e) && !ret)
		ret = EXIT_RUNTIME;
	st = bl_engine_stats(e);
	fprintf(stderr,
		"vigil: baseline: %llu observations in scope: %llu new items learned, %zu "
		"baselines started (%zu for changed binaries), %zu moved to monitor, %llu "
		"anomalies; %llu from interactive sessions ignored\n",
		st->observed, st->learned, st->started, st->changed, st->to_monitor, st->anomalies,
		st->interactive);
	bl_engine_free(e);
	filter_free(&o.cfg.filter);
	if (eo.out != stdout)
		fclose(eo.out);
	return ret;
}

static int check(struct args *a)
{
	struct bl_engine_opts eo = {
		.dir = a->dir, .shadow = true, .network = a->network, .scope = { .all = true }
	};
	time_t since = a->since_s ? time(NULL) - (time_t)a->since_s : 0;
	const struct bl_engine_stats *st;
	size_t lineno = 0, bad = 0, cap = 0;
	struct bl_engine *e;
	char err[512], *line = NULL;
	unsigned long long denied;
	ssize_t len;
	FILE *in;
	int ret;

	if (!a->events)
		return usage_error("baseline", "check: which events? --events FILE");
	if (a->n_operands)
		return usage_error("baseline", "check: unexpected argument '%s'", a->operands[0]);
	in = strcmp(a->events, "-") ? fopen(a->events, "re") : stdin;
	if (!in) {
		fprintf(stderr, "vigil: baseline: %s: %s\n", a->events, strerror(errno));
		return EXIT_RUNTIME;
	}
	eo.out = open_out(a->output);
	ret = eo.out ? bl_engine_new(&e, &eo, err, sizeof(err)) : -EIO;
	if (ret) {
		if (in != stdin)
			fclose(in);
		if (eo.out && eo.out != stdout)
			fclose(eo.out);
		return eo.out ? engine_error(ret, err) : EXIT_RUNTIME;
	}
	if (!bl_engine_count(e))
		fprintf(stderr, "vigil: baseline: no baselines in %s: nothing to check against\n",
			a->dir);
	while ((len = getline(&line, &cap, in)) > 0) {
		lineno++;
		if (bl_engine_observe_json(e, line, since) && bad++ < 3)
			fprintf(stderr, "vigil: baseline: %s:%zu: not an event (JSON), skipped\n",
				a->events, lineno);
	}
	free(line);
	st = bl_engine_stats(e);
	denied = st->would_deny;
	fprintf(stderr,
		"vigil: baseline: %zu lines (%zu not events), %llu observations of baselined "
		"programs: %llu anomalies, %llu would be denied%s\n",
		lineno, bad, st->observed - st->unknown_program, st->anomalies, st->would_deny,
		a->network ? "" : " (network left out: --network)");
	bl_engine_free(e);
	if (in != stdin)
		fclose(in);
	if (eo.out != stdout)
		fclose(eo.out);
	return denied ? 1 : 0;
}

static void free_list(struct baseline **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		baseline_free(v[i]);
	free(v);
}

/* The baselines @name stands for: a baseline file, or a program's (every content of it). */
static int select_baselines(const struct args *a, const char *name, struct baseline ***out,
			    size_t *n)
{
	size_t len = strlen(name), all_n, k = 0;
	struct baseline **all;
	char err[512];
	int ret;

	if (len > 5 && !strcmp(name + len - 5, ".yaml")) {
		*out = calloc(1, sizeof(**out));
		if (!*out)
			return EXIT_RUNTIME;
		ret = baseline_load(name, &(*out)[0], err, sizeof(err));
		if (ret) {
			free(*out);
			return engine_error(ret, err);
		}
		*n = 1;
		return 0;
	}
	ret = bl_load_dir(a->dir, &all, &all_n, err, sizeof(err));
	if (ret)
		return engine_error(ret, err);
	for (size_t i = 0; i < all_n; i++) {
		if (!strcmp(all[i]->program, name))
			all[k++] = all[i];
		else
			baseline_free(all[i]);
	}
	if (!k) {
		free(all);
		fprintf(stderr, "vigil: baseline: no baseline of %s in %s\n", name, a->dir);
		return EXIT_RUNTIME;
	}
	*out = all;
	*n = k;
	return 0;
}

/* Of a program's baselines, the one for the content on disk now, else the newest. */
static struct baseline *current(struct baseline **v, size_t n)
{
	struct baseline *best = v[0];
	char hex[65];

	if (!sha256_file_hex(v[0]->program, hex))
		for (size_t i = 0; i < n; i++)
			if (!strcmp(v[i]->sha256, hex))
				return v[i];
	for (size_t i = 1; i < n; i++)
		if (v[i]->created > best->created)
			best = v[i];
	return best;
}

static int show(struct args *a)
{
	struct baseline **v;
	size_t n;
	char err[512], grown[32];
	int ret;
	FILE *out = open_out(a->output);

	if (!out)
		return EXIT_RUNTIME;
	if (a->n_operands) {
		for (int i = 0; i < a->n_operands; i++) {
			ret = select_baselines(a, a->operands[i], &v, &n);
			if (ret)
				goto done;
			for (size_t j = 0; j < n; j++) {
				fprintf(out, "%s# %s\n", i || j ? "---\n" : "", v[j]->file);
				baseline_write(v[j], out);
			}
			free_list(v, n);
		}
		ret = 0;
		goto done;
	}
	ret = bl_load_dir(a->dir, &v, &n, err, sizeof(err));
	if (ret) {
		ret = engine_error(ret, err);
		goto done;
	}
	if (!n)
		fprintf(stderr, "vigil: baseline: no baselines in %s\n", a->dir);
	else
		fprintf(out, "%-8s %-12s %5s %5s %5s %7s %6s %4s %-20s %s\n", "MODE", "SHA256",
			"EXEC", "READ", "WRITE", "CONNECT", "LISTEN", "PRIV", "GROWN", "PROGRAM");
	for (size_t i = 0; i < n; i++) {
		bl_time_format(v[i]->grown, grown, sizeof(grown));
		fprintf(out, "%-8s %.12s %5zu %5zu %5zu %7zu %6zu %4zu %-20s %s\n",
			bl_mode_name(v[i]->mode), v[i]->sha256, v[i]->items[BL_EXEC].n,
			v[i]->items[BL_READ].n, v[i]->items[BL_WRITE].n, v[i]->items[BL_CONNECT].n,
			v[i]->items[BL_LISTEN].n, v[i]->items[BL_PRIV].n, grown, v[i]->program);
	}
	free_list(v, n);
done:
	if (out != stdout)
		fclose(out);
	return ret;
}

/* Items of @a that @b does not have, as "SIGN kind value" lines; how many. */
static size_t diff_side(FILE *out, struct baseline *a, struct baseline *b, char sign)
{
	size_t n = 0;

	for (int k = 0; k < BL_KINDS; k++)
		for (size_t i = 0; i < a->items[k].n; i++)
			if (!baseline_find(b, k, a->items[k].v[i].value)) {
				fprintf(out, "%c %-7s %s\n", sign, bl_kind_name(k),
					a->items[k].v[i].value);
				n++;
			}
	return n;
}

static int diff(struct args *a)
{
	struct baseline **x = NULL, **y = NULL;
	size_t nx = 0, ny = 0, n;
	int ret;
	FILE *out;

	if (a->n_operands != 2)
		return usage_error("baseline", "diff: two baselines: FILE FILE");
	ret = select_baselines(a, a->operands[0], &x, &nx);
	if (!ret)
		ret = select_baselines(a, a->operands[1], &y, &ny);
	out = ret ? NULL : open_out(a->output);
	if (out) {
		struct baseline *p = current(x, nx), *q = current(y, ny);

		fprintf(out, "--- %s (%s %.12s, %s)\n+++ %s (%s %.12s, %s)\n", p->file, p->program,
			p->sha256, bl_mode_name(p->mode), q->file, q->program, q->sha256,
			bl_mode_name(q->mode));
		n = diff_side(out, p, q, '-') + diff_side(out, q, p, '+');
		ret = n ? 1 : 0;
		if (out != stdout)
			fclose(out);
	} else if (!ret) {
		ret = EXIT_RUNTIME;
	}
	if (x)
		free_list(x, nx);
	if (y)
		free_list(y, ny);
	return ret;
}

static int export(struct args *a)
{
	struct baseline **v;
	size_t n;
	int ret;
	FILE *out;

	if (a->n_operands != 1)
		return usage_error("baseline", "export: one program or baseline file");
	ret = select_baselines(a, a->operands[0], &v, &n);
	if (ret)
		return ret;
	out = open_out(a->output);
	if (out) {
		baseline_export(current(v, n), a->network, out);
		if (out != stdout && fclose(out)) {
			fprintf(stderr, "vigil: baseline: %s: %s\n", a->output, strerror(errno));
			ret = EXIT_RUNTIME;
		}
	} else {
		ret = EXIT_RUNTIME;
	}
	free_list(v, n);
	return ret;
}

static int set_mode(struct args *a)
{
	struct baseline **v, *b;
	char dir[4096], *slash;
	size_t n;
	int mode, ret;

	if (a->n_operands != 2)
		return usage_error("baseline", "mode: PROGRAM|FILE learn|monitor|enforce");
	mode = bl_mode_from_name(a->operands[1]);
	if (mode < 0)
		return usage_error("baseline",
				   "mode: unknown mode '%s' (learn, monitor or enforce)",
				   a->operands[1]);
	ret = select_baselines(a, a->operands[0], &v, &n);
	if (ret)
		return ret;
	b = current(v, n);
	b->mode = mode;
	if (mode == BL_LEARN)
		b->grown = time(NULL); /* the quiet period starts again */
	snprintf(dir, sizeof(dir), "%s", b->file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	/* saved where it was found, under its own name */
	ret = baseline_save(b, slash ? dir : ".");
	if (ret)
		fprintf(stderr, "vigil: baseline: cannot write %s: %s\n", b->file, strerror(-ret));
	else
		printf("%s (sha256 %.12s): mode %s (%s)\n", b->program, b->sha256,
		       bl_mode_name(b->mode), b->file);
	free_list(v, n);
	return ret ? EXIT_RUNTIME : 0;
}

static int baseline_run(int argc, char **argv)
{
	/* each subcommand with the options it takes (--dir and --help: all) */
	static const struct {
		const char *name;
		int (*run)(struct args *a);
		int takes[9];
	} subs[] = {
		{ "learn",
		  learn,
		  { 'd', OPT_EXE, OPT_CGROUP, OPT_UNIT, OPT_ALL, OPT_QUIET, OPT_FOLD, 'o' } },
		{ "show", show, { 'o' } },
		{ "diff", diff, { 'o' } },
		{ "export", export, { OPT_NETWORK, 'o' } },
		{ "check", check, { OPT_EVENTS, OPT_SINCE, OPT_NETWORK, 'o' } },
		{ "mode", set_mode, { 0 } },
	};
	struct args a = { .dir = BASELINE_DIR,
			  .quiet_s = BASELINE_QUIET_S,
			  .fold = BASELINE_FOLD_MIN };
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		baseline_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		ret = parse(argc, argv, &a);
		for (int key = 1; !ret && key < OPT_KEYS; key++) {
			bool takes = key == OPT_DIR;

			for (size_t t = 0; t < 9 && subs[i].takes[t]; t++)
				takes |= subs[i].takes[t] == key;
			if (a.given[key] && !takes)
				ret = usage_error("baseline", "%s does not take --%s", subs[i].name,
						  options_find(baseline_options, key)->name);
		}
		if (!ret)
			ret = subs[i].run(&a);
		for (size_t u = 0; u < a.n_units; u++)
			free(a.units[u]);
		return ret;
	}
	return usage_error("baseline",
			   "unknown subcommand '%s' (learn, show, diff, export, "
			   "check, mode)",
			   argv[1]);
}

const struct command cmd_baseline = {
	.name = "baseline",
	.summary = "learn what programs do; anomalies, shadow checks, policies from it",
	.run = baseline_run,
	.usage = baseline_usage,
	.options = baseline_options,
};
