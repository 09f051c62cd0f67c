// SPDX-License-Identifier: GPL-2.0
/*
 * Sinks with real servers: Debian's rsyslog, started here on loopback with a configuration,
 * pid file and work directory of its own, receives alerts over TCP (RFC 6587), TLS (RFC 5425,
 * certificates made here with certtool) and UDP; each message is checked as RFC 5424 (header,
 * structured data, severity) and its JSON against the agent's file. A peer that never reads
 * blocks nothing: the file has every event and the blocked sink's losses are counted. The
 * journald sink is tested where a journald runs (the booted Debian suite runs it too).
 */
#include "harness.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FACILITY 10 /* authpriv, the default */

struct rsyslog {
	char dir[64];
	int tcp, tls, udp; /* ports */
	pid_t pid;
};

/* A free loopback port of @type (another process could take it before rsyslog: unlikely). */
static int free_port(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A CA and a server certificate for localhost and 127.0.0.1, signed by it. */
static bool make_certificates(const char *dir)
{
	return !shf("(cd %s && printf 'cn = vigil test CA\\nca\\ncert_signing_key\\n"
		    "expiration_days = 2\\n' >ca.tmpl && "
		    "printf 'cn = localhost\\ndns_name = localhost\\nip_address = 127.0.0.1\\n"
		    "tls_www_server\\nencryption_key\\nsigning_key\\nexpiration_days = 2\\n' "
		    ">server.tmpl && "
		    "certtool --generate-privkey --outfile ca.key && "
		    "certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl "
		    "--outfile ca.pem && "
		    "certtool --generate-privkey --outfile server.key && "
		    "certtool --generate-certificate --load-privkey server.key "
		    "--load-ca-certificate ca.pem --load-ca-privkey ca.key --template server.tmpl "
		    "--outfile server.pem && "
		    "certtool --generate-privkey --outfile other.key && "
		    "certtool --generate-self-signed --load-privkey other.key --template ca.tmpl "
		    "--outfile other.pem) >/dev/null 2>&1",
		    dir);
}

/*
 * rsyslog with a TCP, a TLS and a UDP input, each into a file of its own (tcp.log, ...): per
 * line the protocol version and severity rsyslog parsed, then the message as received.
 */
static bool rsyslog_start(struct rsyslog *r)
{
	char conf[PATH_MAX], pidfile[PATH_MAX];
	FILE *f;

	snprintf(r->dir, sizeof(r->dir), "/tmp/vigil-sinks-XXXXXX");
	if (!mkdtemp(r->dir) || !make_certificates(r->dir))
		return false;
	r->tcp = free_port(SOCK_STREAM);
	r->tls = free_port(SOCK_STREAM);
	r->udp = free_port(SOCK_DGRAM);
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", r->dir);
	snprintf(pidfile, sizeof(pidfile), "%s/rsyslog.pid", r->dir);
	f = fopen(conf, "w");
	if (!f)
		return false;
	fprintf(f,
		"global(workDirectory=\"%1$s\" maxMessageSize=\"256k\"\n"
		"       defaultNetstreamDriverCAFile=\"%1$s/ca.pem\"\n"
		"       defaultNetstreamDriverCertFile=\"%1$s/server.pem\"\n"
		"       defaultNetstreamDriverKeyFile=\"%1$s/server.key\")\n"
		"module(load=\"imtcp\")\nmodule(load=\"imudp\")\n"
		"template(name=\"t\" type=\"string\" "
		"string=\"%%protocol-version%%\\t%%syslogseverity%%\\t%%rawmsg%%\\n\")\n"
		"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%2$d\" ruleset=\"tcp\")\n"
		"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%3$d\" ruleset=\"tls\"\n"
		"      streamDriver.name=\"gtls\" streamDriver.mode=\"1\"\n"
		"      streamDriver.authMode=\"anon\")\n"
		"input(type=\"imudp\" address=\"127.0.0.1\" port=\"%4$d\" ruleset=\"udp\")\n"
		"ruleset(name=\"tcp\") { action(type=\"omfile\" file=\"%1$s/tcp.log\" "
		"template=\"t\") }\n"
		"ruleset(name=\"tls\") { action(type=\"omfile\" file=\"%1$s/tls.log\" "
		"template=\"t\") }\n"
		"ruleset(name=\"udp\") { action(type=\"omfile\" file=\"%1$s/udp.log\" "
		"template=\"t\") }\n",
		r->dir, r->tcp, r->tls, r->udp);
	fclose(f);
	r->pid = fork();
	if (r->pid == 0) {
		char log[PATH_MAX];
		int fd;

		/* its complaints (the refused handshakes, the probes of the ports) stay there */
		snprintf(log, sizeof(log), "%s/rsyslogd.log", r->dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execlp("rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", pidfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && r->pid > 0; i++) {
		if (port_open(r->tcp) && port_open(r->tls))
			return true;
		usleep(100 * 1000);
	}
	return false;
}

static void rsyslog_stop(struct rsyslog *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
	if (r->dir[0])
		shf("rm -rf %s", r->dir);
}

/* The lines of @dir/@name that hold @text (at least @want of them, waiting up to 15 s). */
static size_t lines_with(const char *dir, const char *name, const char *text, size_t want,
			 char ***out)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0, n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int tries = 0; tries < 150; tries++) {
		FILE *f = fopen(path, "r");

		for (size_t i = 0; i < n; i++)
			free((*out)[i]);
		n = 0;
		while (f && getline(&line, &cap, f) > 0)
			if (strstr(line, text)) {
				*out = realloc(*out, (n + 1) * sizeof(**out));
				(*out)[n++] = strdup(line);
			}
		if (f)
			fclose(f);
		if (n >= want)
			break;
		usleep(100 * 1000);
	}
	free(line);
	return n;
}

/* One RFC 5424 message, cut into its fields (pointers into the line, changed in place). */
struct msg5424 {
	int pri;
	const char *timestamp, *hostname, *app, *procid, *msgid, *msg;
	char sd_id[64];
	char params[8][2][256]; /* name, unescaped value */
	size_t n_params;
};

static char *token(char **p)
{
	char *t = *p, *sp = strchr(t, ' ');

	if (!sp)
		return NULL;
	*sp = '\0';
	*p = sp + 1;
	return t;
}

/* RFC 5424 section 6: HEADER SP STRUCTURED-DATA [SP MSG], with one SD-ELEMENT here. */
static bool parse_5424(char *line, struct msg5424 *m)
{
	char *p = line, *end;
	struct tm tm = { 0 };

	memset(m, 0, sizeof(*m));
	if (*p++ != '<')
		return false;
	m->pri = strtol(p, &end, 10);
	if (end == p || *end != '>' || m->pri < 0 || m->pri > 191)
		return false;
	p = end + 1;
	if (strncmp(p, "1 ", 2))
		return false;
	p += 2;
	m->timestamp = token(&p);
	m->hostname = token(&p);
	m->app = token(&p);
	m->procid = token(&p);
	m->msgid = token(&p);
	if (!m->msgid)
		return false;
	/* TIMESTAMP: FULL-DATE "T" FULL-TIME, up to 6 digits of fraction, here in UTC */
	end = strptime(m->timestamp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || *end != '.' || strspn(end + 1, "0123456789") < 1 ||
	    strspn(end + 1, "0123456789") > 6 || strcmp(end + 1 + strspn(end + 1, "0123456789"), "Z"))
		return false;
	if (*p++ != '[')
		return false;
	end = p + strcspn(p, " ]");
	if ((size_t)(end - p) >= sizeof(m->sd_id))
		return false;
	memcpy(m->sd_id, p, end - p);
	p = end;
	while (*p == ' ' && m->n_params < 8) {
		char *name = ++p, *v;
		size_t k = 0;

		p += strcspn(p, "=");
		if (p[0] != '=' || p[1] != '"')
			return false;
		snprintf(m->params[m->n_params][0], 256, "%.*s", (int)(p - name), name);
		v = m->params[m->n_params][1];
		for (p += 2; *p && *p != '"'; p++) {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
				p++;
			if (k < 255)
				v[k++] = *p;
		}
		if (*p++ != '"')
			return false;
		v[k] = '\0';
		m->n_params++;
	}
	if (*p++ != ']' || *p++ != ' ')
		return false;
	m->msg = p;
	return true;
}

static const char *sd_param(const struct msg5424 *m, const char *name)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (!strcmp(m->params[i][0], name))
			return m->params[i][1];
	return NULL;
}

/*
 * Check every line rsyslog wrote for @rule: RFC 5424 as rsyslog parsed it (version 1) and as
 * parsed here, with @severity mapped, vigil's structured data, and the JSON the agent wrote
 * with the same seq. Returns how many.
 */
static size_t check_received(const char *dir, const char *file, const char *rule,
			     const char *severity, int syslog_sev, pid_t agent,
			     struct json_object **ev, size_t n_ev)
{
	char **lines = NULL, want[128], host[256], procid[16];
	size_t n, ok = 0;

	snprintf(want, sizeof(want), "rule=\"%s\"", rule);
	gethostname(host, sizeof(host));
	snprintf(procid, sizeof(procid), "%d", (int)agent);
	n = lines_with(dir, file, want, 1, &lines);
	ASSERT_GE(n, 1, file);
	for (size_t i = 0; i < n; i++) {
		char *line = lines[i], *raw = strchr(strchr(line, '\t') + 1, '\t') + 1;
		struct json_object *j, *mine = NULL;
		struct msg5424 m;

		line[strcspn(line, "\n")] = '\0';
		ASSERT_TRUE(!strncmp(line, "1\t", 2), "rsyslog parsed RFC 5424 (version 1)");
		ASSERT_EQ(atoi(line + 2), syslog_sev, "the severity rsyslog parsed");
		if (!ASSERT_TRUE(parse_5424(raw, &m), "an RFC 5424 message"))
			continue;
		ASSERT_EQ(m.pri, FACILITY * 8 + syslog_sev, "PRI: authpriv and the severity");
		ASSERT_STREQ(m.hostname, host, "HOSTNAME");
		ASSERT_STREQ(m.app, "vigil", "APP-NAME");
		ASSERT_STREQ(m.procid, procid, "PROCID: the agent");
		ASSERT_STREQ(m.sd_id, "vigil@32473", "SD-ID");
		ASSERT_STREQ(sd_param(&m, "rule"), rule, "SD rule");
		ASSERT_STREQ(sd_param(&m, "severity"), severity, "SD severity");
		ASSERT_STREQ(sd_param(&m, "type"), m.msgid, "SD type is the MSGID");
		j = json_tokener_parse(m.msg);
		if (!ASSERT_NOT_NULL(j, "the message is the event's JSON"))
			continue;
		ASSERT_EQ(jint(j, "seq"), atoll(sd_param(&m, "seq") ?: "-1"), "SD seq");
		ASSERT_EQ(jint(j, "process.pid"), atoll(sd_param(&m, "pid") ?: "-1"), "SD pid");
		ASSERT_STREQ(jstr(j, "rule.id"), rule, "rule.id in the JSON");
		for (size_t k = 0; k < n_ev && !mine; k++)
			if (jint(ev[k], "seq") == jint(j, "seq"))
				mine = ev[k];
		if (ASSERT_NOT_NULL(mine, "the same seq in the agent's file"))
			ASSERT_STREQ(json_object_to_json_string(mine), json_object_to_json_string(j),
				     "the same event as in the file");
		json_object_put(j);
		ok++;
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return ok;
}

/*
 * The test's own rules, so that what other processes on the host do matches none: running
 * @dir/x (medium) and reading @dir/secret (high). Written to @dir/policy.yaml.
 */
static bool write_policy(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f,
		"policy: sinks-test\nmode: audit\nrules:\n"
		"  - id: sinks-test-exec\n    description: the test's program ran\n"
		"    severity: medium\n    on: exec\n    action: alert\n    match:\n"
		"      process.exe: %1$s/x\n"
		"  - id: sinks-test-secret\n    description: the test's secret was read\n"
		"    severity: high\n    on: open\n    action: alert\n    match:\n"
		"      file.path: %1$s/secret\n      file.access: read\n",
		dir);
	return !fclose(f) && !shf("cp /bin/true %1$s/x && echo s >%1$s/secret", dir);
}

/* What the rules of write_policy() catch, @n times each. */
static void trigger(const char *dir, int n)
{
	shf("for i in $(seq %2$d); do %1$s/x; cat %1$s/secret >/dev/null; done", dir, n);
}

TEST(syslog_tcp_tls_udp_to_rsyslog)
{
	struct rsyslog r = { 0 };
	struct vigil_child v;
	struct json_object **ev;
	char tcp[64], tls[PATH_MAX], udp[64], wrong[PATH_MAX], out[4096], policy[PATH_MAX];
	size_t n = 0;
	pid_t agent;

	if (SKIP_UNLESS_ROOT())
		return;
	if (shf("command -v rsyslogd certtool >/dev/null")) {
		SKIP("no rsyslogd or certtool (make deps installs rsyslog, rsyslog-gnutls, "
		     "gnutls-bin)");
		return;
	}
	if (!ASSERT_TRUE(rsyslog_start(&r), "rsyslogd listens on loopback")) {
		rsyslog_stop(&r);
		return;
	}
	snprintf(tcp, sizeof(tcp), "syslog+tcp://127.0.0.1:%d", r.tcp);
	snprintf(udp, sizeof(udp), "syslog+udp://127.0.0.1:%d", r.udp);
	snprintf(tls, sizeof(tls), "syslog+tls://127.0.0.1:%d?ca=%s/ca.pem", r.tls, r.dir);
	/* a server whose certificate does not hold the name asked for is refused */
	snprintf(wrong, sizeof(wrong), "syslog+tls://127.0.0.1:%d?ca=%s/ca.pem&name=wrong.example",
		 r.tls, r.dir);
	snprintf(policy, sizeof(policy), "%s/policy.yaml", r.dir);
	if (!ASSERT_TRUE(write_policy(r.dir), "the test's policy") ||
	    !vigil_start_checked(&v, (const char *[]){ "run", "--no-default-rules", "--policy",
						       policy, "--sink", tcp, "--sink", tls,
						       "--sink", udp, "--sink", wrong, NULL })) {
		rsyslog_stop(&r);
		return;
	}
	agent = v.pid;
	trigger(r.dir, 3);
	sleep(1);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status", vigil_bin()), 0, "vigil status");
	ASSERT_TRUE(strstr(out, "sink syslog+tls://127.0.0.1") != NULL, "status lists the sinks");
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_TRUE(strstr(v.err, "certificate is refused") != NULL,
		    "the wrong name is refused, and said");
	/* medium is warning (4), high is err (3) */
	check_received(r.dir, "tcp.log", "sinks-test-exec", "medium", 4, agent, ev, n);
	check_received(r.dir, "tls.log", "sinks-test-exec", "medium", 4, agent, ev, n);
	check_received(r.dir, "udp.log", "sinks-test-exec", "medium", 4, agent, ev, n);
	check_received(r.dir, "tcp.log", "sinks-test-secret", "high", 3, agent, ev, n);
	check_received(r.dir, "tls.log", "sinks-test-secret", "high", 3, agent, ev, n);
	check_received(r.dir, "udp.log", "sinks-test-secret", "high", 3, agent, ev, n);
	/* nothing lost over the streams: every line of the file came, once */
	{
		char **all = NULL;
		size_t got = lines_with(r.dir, "tcp.log", "vigil@32473", n, &all);

		ASSERT_EQ(got, n, "TCP: as many messages as lines in the file");
		for (size_t i = 0; i < got; i++)
			free(all[i]);
		free(all);
		all = NULL;
		got = lines_with(r.dir, "tls.log", "vigil@32473", n, &all);
		ASSERT_EQ(got, n, "TLS: as many messages as lines in the file");
		for (size_t i = 0; i < got; i++)
			free(all[i]);
		free(all);
	}
	events_free(ev, n);
	vigil_cleanup(&v);
	rsyslog_stop(&r);
}

/* The counters of the sink named @prefix... in `vigil status --json`, or NULL. */
static struct json_object *status_sink(struct json_object *status, const char *prefix)
{
	struct json_object *sinks = jget(status, "sinks");

	for (size_t i = 0; sinks && i < json_object_array_length(sinks); i++) {
		struct json_object *k = json_object_array_get_idx(sinks, i);

		if (jstr(k, "name") && !strncmp(jstr(k, "name"), prefix, strlen(prefix)))
			return k;
	}
	return NULL;
}

/* "sink NAME: S events sent, D dropped (queue full), F failed" of the stop summary. */
static bool summary_counts(const char *err, const char *name, unsigned long long *sent,
			   unsigned long long *dropped, unsigned long long *failed)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "sink %s: ", name);
	p = strstr(err, want);
	return p && sscanf(p + strlen(want),
			   "%llu events sent, %llu dropped (queue full), %llu failed", sent,
			   dropped, failed) == 3;
}

#define OPENS 20000

/*
 * A syslog server that accepts and never reads, with a small queue: its sink drops and counts,
 * while the output file and a file sink get every event, numbered without a gap.
 */
TEST(blocked_sink_blocks_nothing_else)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char dir[] = "/tmp/vigil-sinks-XXXXXX", blocked[64], file_sink[PATH_MAX], secret[PATH_MAX];
	char out[16384];
	struct json_object **ev = NULL, **fev = NULL, *status, *k;
	unsigned long long sent, dropped, failed;
	size_t n = 0, fn = 0, bad, opens = 0;
	socklen_t len = sizeof(a);
	int lfd, small = 4096, peer = -1;
	struct vigil_child v;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a temporary directory"))
		return;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (!ASSERT_OK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
			       getsockname(lfd, (struct sockaddr *)&a, &len) || listen(lfd, 4),
		       "a listener that never reads"))
		goto out;
	snprintf(blocked, sizeof(blocked), "syslog+tcp://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(file_sink, sizeof(file_sink), "file:%s/sink.json", dir);
	snprintf(secret, sizeof(secret), "%s/watched", dir);
	shf("echo x >%s", secret);
	if (!vigil_start_checked(&v, (const char *[]){ "run", "--no-default-rules", "--events",
						       "open", "--path", secret, "--aggregate", "0",
						       "--ring-buffer", "64M", "--sink", blocked,
						       "--sink", file_sink, "--sink-queue", "64",
						       NULL }))
		goto out;
	peer = accept(lfd, NULL, NULL);
	for (int i = 0; i < OPENS; i++) {
		int fd = open(secret, O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	/* the output keeps up: every open reaches the file while the blocked sink drops */
	for (int tries = 0; tries < 300 && opens < OPENS; tries++) {
		usleep(100 * 1000);
		events_free(ev, n);
		ev = events_load(v.out, &n, &bad);
		opens = 0;
		for (size_t i = 0; i < n; i++)
			opens += jstr(ev[i], "file.path") && !strcmp(jstr(ev[i], "file.path"), secret);
	}
	ASSERT_EQ(opens, OPENS, "every open in the output file");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --json", vigil_bin()), 0, "vigil status");
	status = json_tokener_parse(out);
	k = status_sink(status, "syslog+tcp://");
	if (ASSERT_NOT_NULL(k, "the blocked sink in status"))
		ASSERT_GE(jint(k, "dropped_queue_full"), 1, "its full queue's drops, counted");
	json_object_put(status);
	events_free(ev, n);
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++)
		if (!ASSERT_EQ(jint(ev[i], "seq"), i + 1, "seq without a gap in the output"))
			break;
	/* the file sink beside the blocked one: the same lines */
	snprintf(file_sink, sizeof(file_sink), "%s/sink.json", dir);
	fev = events_load(file_sink, &fn, &bad);
	ASSERT_EQ(fn, n, "the file sink has every line");
	for (size_t i = 0; i < fn && i < n; i++)
		if (!ASSERT_EQ(jint(fev[i], "seq"), i + 1, "seq without a gap in the file sink"))
			break;
	/* every line was sent, dropped by the full queue, or failed: nothing unaccounted */
	if (ASSERT_TRUE(summary_counts(v.err, blocked, &sent, &dropped, &failed),
			"the blocked sink in the stop summary")) {
		ASSERT_GE(dropped, 1, "dropped (queue full)");
		ASSERT_EQ(sent + dropped + failed, n, "sent + dropped + failed: every line");
	}
	if (ASSERT_TRUE(summary_counts(v.err, file_sink - 0, &sent, &dropped, &failed) ||
				summary_counts(v.err, strchr(file_sink, '/') - 5, &sent, &dropped,
					       &failed),
			"the file sink in the stop summary"))
		ASSERT_EQ(sent, n, "the file sink sent every line");
	events_free(fev, fn);
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (peer >= 0)
		close(peer);
	close(lfd);
	shf("rm -rf %s", dir);
}

/* Bad sink URLs: refused at start with a clear message and exit 64, from the config 78. */
TEST(bad_sink_urls_are_refused)
{
	static const struct {
		const char *url, *says;
	} cases[] = {
		{ "kafka://broker:9092", "unknown sink 'kafka://broker:9092'" },
		{ "syslog+tcp://127.0.0.1:99999", "want HOST:PORT" },
		{ "syslog+tcp://127.0.0.1:514?colour=red", "unknown parameter 'colour'" },
		{ "syslog+udp://127.0.0.1:514?facility=nope", "unknown facility 'nope'" },
		{ "syslog+tls://127.0.0.1:6514?ca=/nonexistent/ca.pem", "/nonexistent/ca.pem" },
		{ "syslog+tls://127.0.0.1:6514?cert=/etc/hostname", "both cert= and key=" },
		{ "syslog:relative/path", "want syslog: or syslog:///PATH" },
		{ "file:", "file: needs a path" },
		{ "file:/proc/self/status", "/proc" },
	};
	char out[4096], conf[] = "/tmp/vigil-sinks-conf-XXXXXX";
	int fd, rc;

	if (SKIP_UNLESS_ROOT())
		return;
	vigil_test_env();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = shf_out(out, sizeof(out), "%s run --no-default-rules --sink '%s'", vigil_bin(),
			     cases[i].url);
		if (!ASSERT_EQ(rc, 64, cases[i].url) ||
		    !ASSERT_TRUE(strstr(out, cases[i].says) != NULL, cases[i].says))
			fprintf(stderr, "    vigil said: %s\n", out);
	}
	fd = mkstemp(conf);
	if (fd >= 0) {
		dprintf(fd, "sinks:\n  - syslog+tcp://127.0.0.1:1514\n  - nope:\n");
		close(fd);
		rc = shf_out(out, sizeof(out), "%s run --config %s", vigil_bin(), conf);
		ASSERT_EQ(rc, 78, "an unknown sink in the configuration file");
		ASSERT_TRUE(strstr(out, ":3:") && strstr(out, "unknown sink 'nope:'"),
			    "the file's line and the reason");
		unlink(conf);
	}
}

/* journald where one runs: each alert with its native fields (journalctl -o json). */
TEST(journald_native_fields)
{
	char dir[] = "/tmp/vigil-sinks-XXXXXX", policy[PATH_MAX], out[65536];
	struct vigil_child v;
	struct json_object **ev;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	if (access("/run/systemd/journal/socket", W_OK) || shf("command -v journalctl >/dev/null")) {
		SKIP("no journald here (/run/systemd/journal/socket); the booted Debian suite "
		     "(make test-service) tests this sink");
		return;
	}
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a temporary directory"))
		return;
	snprintf(policy, sizeof(policy), "%s/policy.yaml", dir);
	if (ASSERT_TRUE(write_policy(dir), "the test's policy") &&
	    vigil_start_checked(&v, (const char *[]){ "run", "--no-default-rules", "--policy",
						      policy, "--sink", "journald:", NULL })) {
		trigger(dir, 1);
		ev = vigil_stop_and_load(&v, &n);
		sleep(1);
		shf_out(out, sizeof(out),
			"journalctl -o json VIGIL_RULE_ID=sinks-test-secret _PID=%d", (int)v.pid);
		ASSERT_TRUE(strstr(out, "\"PRIORITY\":\"3\"") != NULL, "PRIORITY 3 for high");
		ASSERT_TRUE(strstr(out, "\"SYSLOG_IDENTIFIER\":\"vigil\"") != NULL,
			    "SYSLOG_IDENTIFIER");
		ASSERT_TRUE(strstr(out, "\"MESSAGE_ID\":\"8d5910f909b94ca0bc6e6c81ed961be7\""),
			    "the MESSAGE_ID of open");
		ASSERT_TRUE(strstr(out, "\"VIGIL_SEVERITY\":\"high\"") != NULL, "VIGIL_SEVERITY");
		ASSERT_TRUE(strstr(out, "\"VIGIL_JSON\":") != NULL, "VIGIL_JSON");
		events_free(ev, n);
		vigil_cleanup(&v);
	}
	shf("rm -rf %s", dir);
}
