// SPDX-License-Identifier: GPL-2.0
/*
 * vigil collect nats://HOST:PORT: the fleet view. Reads the JetStream stream that the agents'
 * NATS sinks write (sinks/nats.c) and prints the events, filtered, as JSON lines (as the agents
 * wrote them) or text. Host, type and severity are in the subject, so the server filters on
 * them when one of each is asked for; the rest is filtered here, event by event (a message of
 * the sink's batch=N holds several; the reader hands them over one at a time).
 */
#include "cli/cli.h"
#include "events/filter.h"
#include "events/text.h"
#include "sinks/nats_reader.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD	      "collect"
#define MAX_VALUES    16
#define SEVERITY_LIST "info, low, medium, high, critical, none (matched no rule)"

enum {
	OPT_HOST = 256,
	OPT_SEVERITY,
	OPT_FOLLOW,
	OPT_SINCE,
};

static const struct cli_option collect_options[] = {
	{ .help = "Output:" },
	OPTION("format", 'f', "FORMAT",
	       "json (the events as the agents wrote them), text, or\n"
	       "auto (the default): text on a terminal, json otherwise"),
	{ .help = "Filters (comma-separated lists; repeat an option to add more):" },
	OPTION("host", OPT_HOST, "HOSTS", "events of these hosts only"),
	OPTION("events", 'e', "TYPES", "event types to show (default: all)"),
	OPTION("severity", OPT_SEVERITY, "LEVELS",
	       "events that matched a rule of this severity: " SEVERITY_LIST),
	OPTION("pid", 'p', "PIDS", "only events of these processes"),
	OPTION("comm", 'c', "NAMES", "only events of processes with these command names"),
	{ .help = "Reading:" },
	OPTION("since", OPT_SINCE, "TIME",
	       "events stored since TIME: an age (30s, 10m, 2h, 1d) or\n"
	       "a UTC time (2026-12-07T10:00:00Z); default: all"),
	OPTION("follow", OPT_FOLLOW, NULL, "keep printing new events until Ctrl-C"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

struct collect {
	struct filter filter;
	char hosts[MAX_VALUES][HOST_NAME_MAX + 1];
	size_t n_hosts;
	char severities[MAX_VALUES][16];
	size_t n_severities;
	int format; /* 'j', 't' or 'a' */
	struct nats_read_opts read;
	struct nats_url url;
	unsigned long long shown;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void collect_usage(FILE *out)
{
	fputs("usage: vigil collect nats://HOST:PORT[?OPTIONS] [options]\n\n"
	      "Print the events that vigil agents sent to a NATS JetStream stream\n"
	      "('vigil run --sink nats://...'): the view of a whole fleet, from one place.\n"
	      "Reads from the start of the stream (or --since) to its end, or on with\n"
	      "--follow. Subjects are PREFIX.HOST.TYPE.SEVERITY (docs/nats.md); the URL\n"
	      "takes the sink's options: stream=, prefix=, tls=, ca=, cert=, key=,\n"
	      "tls-name=, creds=. A message holds one event, or several as JSON lines\n"
	      "(the sink's batch=N): each event is filtered and printed on its own.\n\n",
	      out);
	options_help(out, collect_options, 0);
	fputs("\nExamples:\n"
	      "  vigil collect nats://bus:4222 --severity high,critical --follow\n"
	      "  vigil collect nats://bus:4222 --host web-1 -e exec --since 1h -f json\n"
	      "  vigil collect 'nats://bus:4222?ca=/etc/vigil/ca.pem&creds=/etc/vigil/ops.creds'\n",
	      out);
}

/* A comma-separated list into @dst (subject tokens: the sinks' spelling of host names). */
static int add_values(char *dst, size_t *n, size_t width, const char *list, const char *what)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_VALUES) {
			free(copy);
			return usage_error(CMD, "at most %d values of %s", MAX_VALUES, what);
		}
		nats_subject_token(dst + (*n)++ * width, width, t);
	}
	free(copy);
	return 0;
}

static bool valid_severity(const char *s)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical", "none" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(s, names[i]))
			return true;
	return false;
}

/* "30s", "10m", "2h", "1d" ago, or an RFC 3339 UTC time: nanoseconds since the epoch. */
static int parse_since(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	char *end;
	double n = strtod(s, &end);

	if (end != s && isdigit((unsigned char)*s) && strlen(end) == 1 && strchr("smhd", *end)) {
		static const struct {
			char unit;
			double secs;
		} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		for (size_t i = 0; i < 4; i++)
			if (units[i].unit == *end)
				n *= units[i].secs;
		*ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - (int64_t)(n * 1e9);
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (strcmp(end, "Z") && *end))
		return -EINVAL;
	*ns = (int64_t)timegm(&tm) * 1000000000;
	return 0;
}

static int parse_args(struct collect *c, int argc, char **argv)
{
	struct getopt_spec spec;
	char err[256];
	int opt, ret;

	options_getopt(collect_options, 0, false, &spec);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		switch (opt) {
		case 'h':
			collect_usage(stdout);
			exit(EXIT_OK);
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text") &&
			    strcmp(optarg, "auto"))
				return usage_error(CMD,
						   "--format must be json, text or auto, got '%s'",
						   optarg);
			c->format = optarg[0];
			break;
		case 'e':
			if (filter_add_types(&c->filter, optarg, err, sizeof(err)))
				return usage_error(CMD, "--events: %s", err);
			break;
		case 'p':
			if (filter_add_pids(&c->filter, optarg, err, sizeof(err)))
				return usage_error(CMD, "--pid: %s", err);
			break;
		case 'c':
			if (filter_add_comms(&c->filter, optarg, err, sizeof(err)))
				return usage_error(CMD, "--comm: %s", err);
			break;
		case OPT_HOST:
			ret = add_values(c->hosts[0], &c->n_hosts, sizeof(c->hosts[0]), optarg,
					 "--host");
			if (ret)
				return ret;
			break;
		case OPT_SEVERITY: {
			size_t first = c->n_severities;

			ret = add_values(c->severities[0], &c->n_severities,
					 sizeof(c->severities[0]), optarg, "--severity");
			if (ret)
				return ret;
			for (size_t i = first; i < c->n_severities; i++)
				if (!valid_severity(c->severities[i]))
					return usage_error(CMD, "--severity: '%s' is not one of %s",
							   c->severities[i], SEVERITY_LIST);
			break;
		}
		case OPT_SINCE:
			if (parse_since(optarg, &c->read.since_ns))
				return usage_error(CMD,
						   "--since: an age (30s, 10m, 2h, 1d) or a UTC "
						   "time (2026-12-07T10:00:00Z), not '%s'",
						   optarg);
			break;
		case OPT_FOLLOW:
			c->read.follow = true;
			break;
		default:
			return options_error(CMD, opt, argv);
		}
	}
	if (optind != argc - 1)
		return usage_error(CMD,
				   optind < argc ? "one URL only, got '%s' too"
						 : "which server? vigil collect nats://HOST:PORT",
				   optind < argc ? argv[optind + 1] : "");
	if (nats_url_parse(&c->url, argv[optind], err, sizeof(err)))
		return usage_error(CMD, "%s", err);
	return 0;
}

/* PREFIX.HOST.TYPE.SEVERITY, with '*' where more than one value (or any) is asked for. */
static char *subject_filter(const struct collect *c)
{
	const char *type = "*";
	char *s;

	if (c->filter.type_mask && !(c->filter.type_mask & (c->filter.type_mask - 1)))
		type = event_type_name(__builtin_ctzll(c->filter.type_mask));
	if (asprintf(&s, "%s.%s.%s.%s", c->url.prefix, c->n_hosts == 1 ? c->hosts[0] : "*",
		     type ?: "*", c->n_severities == 1 ? c->severities[0] : "*") < 0)
		return NULL;
	return s;
}

static bool in_list(const char *v, size_t vlen, const char *list, size_t n, size_t width)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list + i * width) == vlen && !strncmp(list + i * width, v, vlen))
			return true;
	return !n;
}

/* The subject's tokens after the prefix: host, type, severity. */
static bool subject_match(const struct collect *c, const char *subject)
{
	const char *p = subject + strlen(c->url.prefix) + 1, *tok[3];
	size_t len[3];

	for (int i = 0; i < 3; i++) {
		tok[i] = p;
		len[i] = strcspn(p, ".");
		p += len[i] + (p[len[i]] == '.');
	}
	if (c->filter.type_mask) {
		char type[32];

		snprintf(type, sizeof(type), "%.*s", (int)len[1], tok[1]);
		if (!(c->filter.type_mask & (1ULL << event_type_from_name(type))))
			return false;
	}
	return in_list(tok[0], len[0], c->hosts[0], c->n_hosts, sizeof(c->hosts[0])) &&
	       in_list(tok[2], len[2], c->severities[0], c->n_severities, sizeof(c->severities[0]));
}

static const char *jstring(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_is_type(v, json_type_null) ? NULL : json_object_get_string(v);
}

static bool process_match(const struct collect *c, struct json_object *ev)
{
	const char *pid = jstring(ev, "process", "pid"), *comm = jstring(ev, "process", "comm");
	bool ok = !c->filter.n_pids && !c->filter.n_comms;

	for (size_t i = 0; !ok && pid && i < c->filter.n_pids; i++)
		ok = c->filter.pids[i] == strtoul(pid, NULL, 10);
	if (c->filter.n_pids && !ok)
		return false;
	ok = !c->filter.n_comms;
	for (size_t i = 0; !ok && comm && i < c->filter.n_comms; i++)
		ok = !strcmp(c->filter.comms[i], comm);
	return ok;
}

static void text_field(const char *s)
{
	if (s)
		text_bytes(stdout, s, strlen(s));
	else
		fputc('-', stdout);
}

/* What the event is about, in a few words: its command line, file, peer or message. */
static void print_details(struct json_object *ev)
{
	struct json_object *args;
	const char *path = jstring(ev, "file", "path"), *daddr = jstring(ev, "net", "daddr");
	const char *dns = jstring(ev, "dns", "name"), *code = jstring(ev, "exit", "code");

	if (path) {
		text_field(path);
	} else if (dns) {
		fputs("query ", stdout);
		text_field(dns);
	} else if (daddr) {
		text_field(daddr);
		printf(":%s", jstring(ev, "net", "dport") ?: "-");
	} else if (code) {
		printf("code %s", code);
	} else if (json_object_object_get_ex(json_object_object_get(ev, "process"), "args",
					     &args) &&
		   json_object_is_type(args, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(args); i++) {
			const char *a = json_object_get_string(json_object_array_get_idx(args, i));

			if (i)
				fputc(' ', stdout);
			text_arg(stdout, a, strlen(a));
		}
	}
}

static void print_text(struct collect *c, struct json_object *ev)
{
	const char *time = jstring(ev, "time", NULL), *rule = jstring(ev, "rule", "id");
	const char *msg = jstring(ev, "message", NULL);

	if (!c->shown)
		printf("%-12s %-16s %-10s %7s %7s %5s %-16s %s\n", "TIME", "HOST", "EVENT", "PID",
		       "PPID", "UID", "COMM", "DETAILS");
	/* the time of day of "2026-12-07T16:53:58.675451232Z", to the millisecond */
	printf("%-12.12s ", time && strlen(time) > 23 ? time + 11 : "-");
	printf("%-16.16s %-10s %7s %7s %5s ", jstring(ev, "host", NULL) ?: "-",
	       jstring(ev, "type", NULL) ?: "-", jstring(ev, "process", "pid") ?: "-",
	       jstring(ev, "process", "ppid") ?: "-", jstring(ev, "process", "uid") ?: "-");
	printf("%-16s ", jstring(ev, "process", "comm") ?: "-");
	print_details(ev);
	if (rule) {
		printf("  [alert %s ", jstring(ev, "rule", "severity") ?: "-");
		text_field(rule);
		fputc(']', stdout);
	}
	fputc('\n', stdout);
	if (rule && msg) {
		fputs("             ", stdout);
		text_field(msg);
		fputc('\n', stdout);
	}
}

static int on_message(void *ctx, const char *subject, const char *data, size_t len)
{
	struct collect *c = ctx;
	struct json_object *ev = NULL;
	bool need_json = c->format == 't' || c->filter.n_pids || c->filter.n_comms;

	if (!subject_match(c, subject))
		return 0;
	if (need_json) {
		struct json_tokener *tok = json_tokener_new();

		ev = tok ? json_tokener_parse_ex(tok, data, len) : NULL;
		json_tokener_free(tok);
		if (!ev) {
			fprintf(stderr, "vigil: collect: %s: a message that is not JSON, skipped\n",
				subject);
			return 0;
		}
		if (!process_match(c, ev)) {
			json_object_put(ev);
			return 0;
		}
	}
	if (c->format == 't')
		print_text(c, ev);
	else
		printf("%.*s\n", (int)len, data);
	json_object_put(ev);
	c->shown++;
	if (c->read.follow)
		fflush(stdout);
	return ferror(stdout) ? -EPIPE : 0;
}

static int collect_run(int argc, char **argv)
{
	struct collect c = { .format = 'a' };
	struct sigaction sa = { .sa_handler = on_stop };
	char why[512] = "";
	char *subject;
	int ret;

	ret = parse_args(&c, argc, argv);
	if (ret) {
		nats_url_free(&c.url);
		return ret;
	}
	if (c.format == 'a')
		c.format = isatty(STDOUT_FILENO) ? 't' : 'j';
	subject = subject_filter(&c);
	if (!subject) {
		nats_url_free(&c.url);
		return EXIT_RUNTIME;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	c.read.subject = subject;
	c.read.stop = &stop_requested;
	ret = nats_read(&c.url, &c.read, on_message, &c, why, sizeof(why));
	fflush(stdout);
	if (ret < 0 && ret != -EPIPE)
		fprintf(stderr, "vigil: collect: %s: %s\n", c.url.servers[0],
			*why ? why : strerror(-ret));
	else if (c.format == 't' && isatty(STDOUT_FILENO))
		fprintf(stderr, "vigil: collect: %llu events shown\n", c.shown);
	free(subject);
	nats_url_free(&c.url);
	filter_free(&c.filter);
	return ret < 0 && ret != -EPIPE ? EXIT_RUNTIME : EXIT_OK;
}

const struct command cmd_collect = {
	.name = "collect",
	.summary = "read the events many agents sent to NATS JetStream (the fleet view)",
	.run = collect_run,
	.usage = collect_usage,
	.options = collect_options,
};
