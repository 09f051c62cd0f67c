// SPDX-License-Identifier: GPL-2.0
/*
 * The policy checker as `vigil policy check` runs it, without root: every error class of
 * docs/policy.md "Checking" with its exact file:line:col and message, what must not be an
 * error, and the fuzzer's corpus and regressions through the fuzz target (built without
 * sanitizers here, so that make test keeps running them).
 */
#include "harness.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events/event.h"
#include "events/field.h"
#include "policy/compile.h"
#include "policy/match.h"
#include "policy/policy.h"
#include "sensors/watch_list.h"
#include "vigil/ev_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEAD	  "policy: t\nrules:\n  - id: r\n    description: d\n    severity: low\n"
#define HEAD_RULE "rules:\n  - id: r\n    description: d\n    severity: low\n    on: exec\n"

/* What `vigil policy check` prints for @yaml (named t.yaml); the set, if it loaded, is freed. */
static char *check(const char *yaml, bool *ok, size_t *n_diags)
{
	struct diags d = { 0 };
	struct policy *p = policy_parse(yaml, strlen(yaml), "t.yaml", &d);
	struct policy_set *s;
	char *out = NULL;
	size_t len;
	FILE *f;

	*ok = p != NULL;
	s = policy_set_load_with(NULL, 0, false, p ? &p : NULL, p ? 1 : 0, &d);
	*ok = *ok && s;
	*n_diags = d.n;
	f = open_memstream(&out, &len);
	if (f) {
		diags_print(&d, f);
		fclose(f);
	}
	policy_set_free(s);
	diags_free(&d);
	return out;
}

struct error_case {
	const char *what, *yaml, *want;
};

static const struct error_case errors[] = {
	{ "bad YAML", "policy: t\nrules: [\n",
	  "t.yaml:3:1: error: bad YAML: did not find expected node content while parsing a flow "
	  "node\n" },
	{ "empty file", "",
	  "t.yaml:1:1: error: the file is empty: a policy needs policy: and rules:\n" },
	{ "empty rules", "policy: t\nrules: []\n",
	  "t.yaml:2:8: error: 'rules' must be a non-empty list of rules\n" },
	{ "unknown key", HEAD "    on: exec\n    excpet:\n      process.uid: 0\n",
	  "t.yaml:7:5: error: unknown key 'excpet' in rule; known keys: id, description, severity, "
	  "mitre, on, match, except, action\n" },
	{ "unknown policy key", "policy: t\nrule: []\n" HEAD_RULE,
	  "t.yaml:2:1: error: unknown key 'rule' in policy; known keys: policy, mode, lists, "
	  "rules, shield\n" },
	{ "missing description", "policy: t\nrules:\n  - id: r\n    severity: low\n    on: exec\n",
	  "t.yaml:3:5: error: rule 'r' needs a description: one line saying what it catches\n" },
	{ "missing on", HEAD,
	  "t.yaml:3:5: error: rule 'r' needs 'on:', the event types it applies to\n" },
	{ "missing policy name",
	  "rules:\n  - id: r\n    description: d\n    severity: low\n"
	  "    on: exec\n",
	  "t.yaml:1:1: error: the policy has no name: add 'policy: <name>'\n" },
	{ "duplicate id",
	  HEAD "    on: exec\n  - id: r\n    description: d\n    severity: low\n"
	       "    on: exec\n",
	  "t.yaml:7:5: error: rule id 'r' is used twice (first at line 3)\n" },
	{ "bad severity",
	  "policy: t\nrules:\n  - id: r\n    description: d\n    severity: hgih\n"
	  "    on: exec\n",
	  "t.yaml:5:15: error: severity 'hgih' is not one of info, low, medium, high, critical\n" },
	{ "unknown event type", HEAD "    on: [exec, opne]\n",
	  "t.yaml:6:16: error: unknown event type 'opne' (see docs/events.md: exec, open, connect, "
	  "...)\n" },
	{ "unknown field", HEAD "    on: exec\n    match:\n      process.exe_path: /bin/sh\n",
	  "t.yaml:8:7: error: unknown field 'process.exe_path' (docs/policy.md lists them: "
	  "process.exe, file.path, net.dport, ...)\n" },
	{ "unknown operator", HEAD "    on: exec\n    match:\n      process.exe is: /bin/sh\n",
	  "t.yaml:8:7: error: unknown operator 'is' after process.exe; use 'not' or 'contains'\n" },
	{ "unknown name",
	  HEAD "    on: open\n    match:\n      file.path: /a\n      file.access: x\n",
	  "t.yaml:9:20: error: file.access: 'x' is not one of read, write\n" },
	{ "bad glob", HEAD "    on: open\n    match:\n      file.path: /etc/[ab\n",
	  "t.yaml:8:18: error: file.path: '/etc/[ab' opens a '[' class that is never closed\n" },
	{ "glob ending in /", HEAD "    on: open\n    match:\n      file.path: /etc/*/\n",
	  "t.yaml:8:18: error: file.path: '/etc/*/' can never match: a glob is matched against "
	  "resolved paths, which never end with '/'; drop the final '/'\n" },
	{ "relative path", HEAD "    on: open\n    match:\n      file.path: etc/shadow\n",
	  "t.yaml:8:18: error: file.path: 'etc/shadow' is not an absolute path; paths start with "
	  "'/'\n" },
	{ "bad CIDR", HEAD "    on: connect\n    match:\n      net.daddr: 10.0.0.1/8\n",
	  "t.yaml:8:18: error: net.daddr: '10.0.0.1/8' has bits set beyond its /8 prefix; write "
	  "10.0.0.0/8\n" },
	{ "bad IPv6 CIDR", HEAD "    on: connect\n    match:\n      net.daddr: fd00::1/8\n",
	  "t.yaml:8:18: error: net.daddr: 'fd00::1/8' has bits set beyond its /8 prefix; write "
	  "fd00::/8\n" },
	{ "bad address", HEAD "    on: connect\n    match:\n      net.daddr: 10.0.0/33\n",
	  "t.yaml:8:18: error: net.daddr: '10.0.0/33' is not an address or CIDR (10.0.0.0/8, "
	  "fd00::/8)\n" },
	{ "bad number", HEAD "    on: exec\n    match:\n      process.uid: root\n",
	  "t.yaml:8:20: error: process.uid: 'root' is not a number or a range like 1024-65535\n" },
	{ "bad range", HEAD "    on: connect\n    match:\n      net.dport: 80-20\n",
	  "t.yaml:8:18: error: net.dport: '80-20' is not a range low-high with low <= high\n" },
	{ "port out of range", HEAD "    on: connect\n    match:\n      net.dport: 70000\n",
	  "t.yaml:8:18: error: net.dport: '70000' can never match: the field is a number from 0 to "
	  "65535\n" },
	{ "negative uid", HEAD "    on: exec\n    match:\n      process.uid: -1\n",
	  "t.yaml:8:20: error: process.uid: '-1' can never match: the field is a number from 0 to "
	  "4294967295\n" },
	{ "field the events lack", HEAD "    on: [exec, open]\n    match:\n      file.path: /a\n",
	  "t.yaml:8:7: error: file.path is not a field of exec events; name only event types that "
	  "have it in 'on:'\n" },
	{ "undefined list", HEAD "    on: exec\n    match:\n      process.exe: $shells\n",
	  "t.yaml:8:20: error: no list named 'shells'; define it under 'lists:'\n" },
	{ "recursive list",
	  "policy: t\nlists:\n  a: [/bin/sh, $b]\n  b: [/bin/bash]\nrules:\n  - id: r\n"
	  "    description: d\n    severity: low\n    on: exec\n    match:\n      process.exe: "
	  "$a\n",
	  "t.yaml:3:16: error: a list cannot name another list ('$b')\n" },
	{ "empty value list", HEAD "    on: exec\n    match:\n      process.exe: []\n",
	  "t.yaml:8:20: error: process.exe has no values: an empty list matches nothing\n" },
	{ "condition given twice",
	  HEAD "    on: exec\n    match:\n      process.uid: 0\n"
	       "      process.uid: 1000\n",
	  "t.yaml:9:7: error: 'process.uid' is given twice in this match; put all its values in "
	  "one list\n" },
	{ "contradiction: exact and not",
	  HEAD "    on: open\n    match:\n      file.path: /a\n"
	       "      file.path not: /a\n",
	  "t.yaml:9:7: error: rule 'r' can never match: 'file.path not:' excludes every value that "
	  "'file.path:' (line 8) allows; remove one of them\n" },
	{ "contradiction: paths beneath an excluded directory",
	  HEAD "    on: open\n    match:\n      file.path: [/etc/shadow, /etc/ssh/]\n"
	       "      file.path not: /etc/\n",
	  "t.yaml:9:7: error: rule 'r' can never match: 'file.path not:' excludes every value that "
	  "'file.path:' (line 8) allows; remove one of them\n" },
	{ "contradiction: ports inside an excluded range",
	  HEAD "    on: connect\n    match:\n      net.dport: [22, 80]\n"
	       "      net.dport not: 1-1024\n",
	  "t.yaml:9:7: error: rule 'r' can never match: 'net.dport not:' excludes every value that "
	  "'net.dport:' (line 8) allows; remove one of them\n" },
	{ "contradiction: address inside an excluded CIDR",
	  HEAD "    on: connect\n    match:\n      net.daddr: 10.1.2.3\n"
	       "      net.daddr not: 10.0.0.0/8\n",
	  "t.yaml:9:7: error: rule 'r' can never match: 'net.daddr not:' excludes every value that "
	  "'net.daddr:' (line 8) allows; remove one of them\n" },
	{ "contradiction: a name excluded",
	  HEAD "    on: open\n    match:\n      file.path: /a\n      file.access: read\n"
	       "      file.access not: [read, write]\n",
	  "t.yaml:10:7: error: rule 'r' can never match: 'file.access not:' excludes every value "
	  "that 'file.access:' (line 9) allows; remove one of them\n" },
	{ "contradiction: a glob excludes the exact name",
	  HEAD
	  "    on: exec\n    match:\n      process.comm: sshd\n      process.comm not: \"ssh*\"\n",
	  "t.yaml:9:7: error: rule 'r' can never match: 'process.comm not:' excludes every value "
	  "that 'process.comm:' (line 8) allows; remove one of them\n" },
	{ "exception swallowing the match",
	  HEAD "    on: open\n    match:\n      file.path: /etc/shadow\n    except:\n"
	       "      - file.path: /etc/\n",
	  "t.yaml:10:9: error: rule 'r' can never match: this exception holds for every event its "
	  "match does\n" },
	{ "exception repeating a substring",
	  HEAD "    on: exec\n    match:\n      process.args contains: --password=x\n    except:\n"
	       "      process.args contains: --pass\n",
	  "t.yaml:10:7: error: rule 'r' can never match: this exception holds for every event its "
	  "match does\n" },
	{ "empty exception", HEAD "    on: exec\n    except:\n      - {}\n",
	  "t.yaml:8:9: error: rule 'r' can never match: an empty exception holds for every event; "
	  "give it conditions or remove it\n" },
	{ "process name longer than the kernel keeps",
	  HEAD "    on: exec\n    match:\n      process.comm: packet_socket_user\n",
	  "t.yaml:8:21: error: process.comm: 'packet_socket_user' can never match: the kernel "
	  "keeps "
	  "only the first 15 characters of a process name; write 'packet_socket_u'\n" },
	{ "rule not a map", "policy: t\nrules: [a, b]\n",
	  "t.yaml:2:9: error: a rule must be a map (id:, description:, on:, ...), not a value\n"
	  "t.yaml:2:12: error: a rule must be a map (id:, description:, on:, ...), not a value\n" },
};

TEST(every_error_class_has_its_place_and_message)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		const struct error_case *c = &errors[i];
		size_t n;
		bool ok;
		char *out = check(c->yaml, &ok, &n);

		ASSERT_FALSE(ok, c->what);
		ASSERT_STREQ(out, c->want, c->what);
		free(out);
	}
}

static const struct error_case warnings[] = {
	{ "open rule without paths", HEAD "    on: open\n",
	  "t.yaml:3:5: warning: rule 'r' is on every open of every file: name paths with file.path "
	  "to keep it cheap\n" },
	{ "empty match", HEAD "    on: exec\n    match: {}\n",
	  "t.yaml:7:12: warning: rule 'r' has an empty 'match:', so it matches every event of its "
	  "types; remove 'match:' if that is meant\n" },
};

TEST(warnings_leave_the_policy_loadable)
{
	for (size_t i = 0; i < sizeof(warnings) / sizeof(warnings[0]); i++) {
		size_t n;
		bool ok;
		char *out = check(warnings[i].yaml, &ok, &n);

		ASSERT_TRUE(ok, warnings[i].what);
		ASSERT_STREQ(out, warnings[i].want, warnings[i].what);
		free(out);
	}
}

/* Look-alikes of the contradictions above that can match, and must load without a word. */
TEST(what_can_match_is_not_called_a_contradiction)
{
	static const char *const fine[] = {
		HEAD "    on: open\n    match:\n      file.path: /etc/\n      file.path not: "
		     "/etc/shadow\n",
		HEAD "    on: open\n    match:\n      file.path: [/etc/shadow, /var/x]\n"
		     "      file.path not: /etc/\n",
		HEAD
		"    on: open\n    match:\n      file.path: /etcx\n      file.path not: /etc/\n",
		HEAD "    on: connect\n    match:\n      net.dport: 1000-2000\n"
		     "      net.dport not: 1-1024\n",
		HEAD "    on: connect\n    match:\n      net.daddr: 10.0.0.0/8\n"
		     "      net.daddr not: 10.1.0.0/16\n",
		HEAD
		"    on: open\n    match:\n      file.path: /a\n      file.access: [read, write]\n"
		"      file.access not: write\n",
		HEAD "    on: open\n    match:\n      file.path: /etc/\n    except:\n"
		     "      - file.path: /etc/shadow\n",
		HEAD "    on: open\n    match:\n      file.path: /etc/shadow\n    except:\n"
		     "      - file.path: /etc/\n        process.uid: 0\n",
		HEAD "    on: exec\n    match:\n      process.args contains: --pass\n    except:\n"
		     "      process.args contains: --password=x\n",
		HEAD "    on: exec\n    match:\n      process.comm: \"packet_socket_u*\"\n",
	};

	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		size_t n;
		bool ok;
		char *out = check(fine[i], &ok, &n);

		ASSERT_TRUE(ok, fine[i]);
		ASSERT_EQ(n, 0, out);
		free(out);
	}
}

TEST(names_and_ids_unique_across_policies)
{
	const char *a = HEAD "    on: exec\n";
	const char *b = "policy: t\nrules:\n  - id: q\n    description: d\n    severity: low\n"
			"    on: exec\n  - id: r\n    description: d\n    severity: low\n"
			"    on: exec\n";
	struct diags d = { 0 };
	struct policy *p[2] = { policy_parse(a, strlen(a), "a.yaml", &d),
				policy_parse(b, strlen(b), "b.yaml", &d) };
	struct policy_set *s;
	char *out = NULL;
	size_t len;
	FILE *f;

	ASSERT_TRUE(p[0] && p[1], "both parse alone");
	/* one policy per name, however it came (an applied one replaces nothing: it is a file) */
	s = policy_set_load_with(NULL, 0, false, p, 2, &d);
	ASSERT_TRUE(s == NULL, "the set is refused");
	f = open_memstream(&out, &len);
	diags_print(&d, f);
	fclose(f);
	ASSERT_STREQ(out,
		     "b.yaml:1:9: error: policy name 't' is also the name of a.yaml; policy names "
		     "must be unique\n"
		     "b.yaml:7:5: error: rule id 'r' is also used in a.yaml (line 3)\n",
		     "both errors with their places");
	free(out);
	policy_set_free(s);
	diags_free(&d);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		buf = realloc(buf, cap += 65536);
		*len += fread(buf + *len, 1, cap - *len, f);
		if (*len < cap)
			break;
	}
	fclose(f);
	return buf;
}

/* Run every file of @dir through the fuzz target; when @must_load, each must load too. */
static size_t run_dir(const char *dir, bool must_load)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t done = 0;

	ASSERT_TRUE(n >= 0, dir);
	for (int i = 0; i < n; i++) {
		char path[512];
		size_t len;
		char *buf;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (path[strlen(path) - 1] == '.' || !(buf = slurp(path, &len)))
			continue;
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		if (must_load) {
			struct diags d = { 0 };
			struct policy *p = policy_parse(buf, len, path, &d);

			if (!ASSERT_TRUE(p != NULL, path))
				diags_print(&d, stderr);
			policy_free(p);
			diags_free(&d);
		}
		free(buf);
		done++;
	}
	free(names);
	return done;
}

/* In a policy directory, a FIFO or a directory named *.yaml is refused, and does not hang. */
TEST(policy_files_that_are_not_files)
{
	char dir[] = "/tmp/vigil-policies-XXXXXX", fifo[64], sub[64], *out = NULL;
	const char *paths[] = { dir };
	struct policy_set *s;
	struct diags d = { 0 };
	size_t len;
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(fifo, sizeof(fifo), "%s/a.yaml", dir);
	snprintf(sub, sizeof(sub), "%s/b.yaml", dir);
	ASSERT_OK(mkfifo(fifo, 0600), "mkfifo");
	ASSERT_OK(mkdir(sub, 0700), "mkdir");
	s = policy_set_load(paths, 1, false, &d);
	ASSERT_TRUE(s == NULL, "not loaded");
	f = open_memstream(&out, &len);
	diags_print(&d, f);
	fclose(f);
	ASSERT_TRUE(strstr(out, "a.yaml: error: not a regular file") != NULL, out);
	ASSERT_TRUE(strstr(out, "b.yaml: error: not a regular file") != NULL, out);
	free(out);
	diags_free(&d);
	unlink(fifo);
	rmdir(sub);
	rmdir(dir);
}

TEST(fuzz_corpus_and_regressions_run_clean)
{
	ASSERT_GE(run_dir("fuzz/corpus", true), 2, "seeds run");
	ASSERT_GE(run_dir("fuzz/regressions", false), 2, "regressions run");
	for (size_t i = 0; i < n_builtin_policies; i++)
		LLVMFuzzerTestOneInput((const uint8_t *)builtin_policies[i].text,
				       builtin_policies[i].len);
}

/* The examples of docs/policy.md are valid policies. */
TEST(docs_examples_load)
{
	size_t len, n = 0;
	char *doc = slurp("docs/policy.md", &len), *p, *end;

	if (!ASSERT_NOT_NULL(doc, "docs/policy.md"))
		return;
	doc = realloc(doc, len + 1);
	doc[len] = '\0';
	for (p = doc; (p = strstr(p, "```yaml\n")); p = end) {
		struct diags d = { 0 };
		struct policy *pol;

		p += 8;
		end = strstr(p, "```");
		if (!end)
			break;
		pol = policy_parse(p, end - p, "docs/policy.md", &d);
		if (!ASSERT_TRUE(pol != NULL, "an example loads"))
			diags_print(&d, stderr);
		policy_free(pol);
		diags_free(&d);
		n++;
	}
	ASSERT_GE(n, 1, "examples found");
	free(doc);
}

/* ---- the index (policy/index.h) decides as a scan of every rule in load order would ---- */

struct file_record {
	struct vigil_file_event r;
	char path[64];
};

static void file_event(struct file_record *rec, struct event *ev, unsigned int type,
		       const char *path, const char *comm, __u16 access)
{
	memset(rec, 0, sizeof(*rec));
	rec->r.hdr.type = type;
	rec->r.access = access;
	rec->r.path_len = strlen(path);
	memcpy(rec->path, path, rec->r.path_len);
	snprintf(rec->r.task.comm, sizeof(rec->r.task.comm), "%s", comm);
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->task = &rec->r.task;
	ev->raw = rec;
	ev->raw_size = sizeof(rec->r) + rec->r.path_len;
}

static int rank(const struct rule *r)
{
	int action = r->action == ACTION_KILL ? 2 : r->action == ACTION_DENY ? 1 : 0;

	return r->severity * 8 + action * 2 + (r->policy->mode == MODE_ENFORCE);
}

/* What policy_match decided before the index: every rule of the type, the first strongest. */
static const struct rule *scan(const struct policy_set *s, struct match_cache *c,
			       const struct event_view *v, size_t *matched)
{
	const struct rule *best = NULL;

	for (size_t i = 0; i < s->n_by_type[v->ev->type]; i++) {
		const struct rule *r = s->by_type[v->ev->type][i];

		if (!rule_matches(r, c, v))
			continue;
		(*matched)++;
		if (!best || rank(r) > rank(best))
			best = r;
	}
	return best;
}

TEST(index_decides_as_a_scan_of_every_rule)
{
	static const char yaml[] =
		"policy: idx\nrules:\n"
		"  - {id: a, description: d, severity: medium, on: open,"
		"     match: {file.path: [/x/a, /x/b, /x/a]}}\n"
		"  - {id: b, description: d, severity: medium, on: [open, unlink],"
		"     match: {file.path: /x/a}}\n"
		"  - {id: c, description: d, severity: high, on: open,"
		"     match: {process.comm: [cat, bash], file.access: write}}\n"
		"  - {id: d, description: d, severity: low, on: open, match: {file.path: /x/}}\n"
		"  - {id: e, description: d, severity: high, on: [open, unlink],"
		"     match: {file.path: \"/x/*\"}, except: {process.comm: cat}}\n"
		"  - {id: f, description: d, severity: medium, on: open,"
		"     match: {file.path: /x/a, process.comm: bash}, action: kill}\n"
		"  - {id: g, description: d, severity: critical, on: unlink,"
		"     match: {process.comm: rm, file.path not: /x/b}}\n"
		"  - {id: h, description: d, severity: low, on: unlink, match: {process.comm: [rm, "
		"\"c*\"]}}\n";
	static const char *const paths[] = { "/x/a", "/x/b", "/x/c", "/x", "/etc/shadow", "/y" };
	static const char *const comms[] = { "cat", "bash", "rm", "vim" };
	static const unsigned int types[] = { VIGIL_EV_OPEN, VIGIL_EV_UNLINK };
	struct diags d = { 0 };
	struct policy *p = policy_parse(yaml, sizeof(yaml) - 1, "idx.yaml", &d);
	struct policy_set *s;
	struct match_cache *c = match_cache_new();
	size_t scanned = 0, hits = 0, events = 0, decided = 0;

	if (!ASSERT_NOT_NULL(p, "the policy parses")) {
		diags_print(&d, stderr);
		return;
	}
	s = policy_set_load_with(NULL, 0, true, &p, 1, &d); /* with the built-in ruleset too */
	if (!ASSERT_NOT_NULL(s, "the set loads") || !ASSERT_NOT_NULL(c, "cache"))
		goto out;
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			for (size_t j = 0; j < sizeof(comms) / sizeof(comms[0]); j++)
				for (__u16 access = 1; access <= 3; access++) {
					struct file_record rec;
					struct event ev;
					struct event_view v = { .ev = &ev };
					const struct rule *want, *got;
					char what[128];

					file_event(&rec, &ev, types[t], paths[i], comms[j], access);
					want = scan(s, c, &v, &scanned);
					got = policy_match(s, c, &v, NULL);
					snprintf(what, sizeof(what), "type %u %s by %s access %u",
						 types[t], paths[i], comms[j], access);
					ASSERT_STREQ(got ? got->id : "none",
						     want ? want->id : "none", what);
					events++;
					decided += want != NULL;
				}
	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t j = 0; j < s->policies[i]->n_rules; j++)
			hits += s->policies[i]->rules[j].hits;
	ASSERT_EQ(hits, scanned, "each matching rule counted once per event");
	ASSERT_GE(decided, 20, "the events exercise the rules");
	ASSERT_TRUE(decided < events, "and some match none");
out:
	match_cache_free(c);
	policy_set_free(s);
	diags_free(&d);
}

/* ---- a truncated path (only its tail known) errs toward the rule ---- */

/* Does rule @id of @s match @v? */
static bool rule_id_matches(const struct policy_set *s, struct match_cache *c,
			    const struct event_view *v, const char *id)
{
	for (size_t j = 0; j < s->policies[0]->n_rules; j++)
		if (!strcmp(s->policies[0]->rules[j].id, id))
			return rule_matches(&s->policies[0]->rules[j], c, v);
	return false;
}

TEST(a_truncated_path_errs_toward_the_rule)
{
	static const char yaml[] = "policy: cut\nrules:\n"
				   "  - {id: subtree, description: d, severity: low, on: open, "
				   "match: {file.path: /etc/}}\n"
				   "  - {id: exact, description: d, severity: low, on: open, "
				   "match: {file.path: /etc/shadow}}\n"
				   "  - {id: glob3, description: d, severity: low, on: open, "
				   "match: {file.path: \"/srv/*/x\"}}\n"
				   "  - {id: not, description: d, severity: low, on: open, match: "
				   "{file.path not: /usr/}}\n"
				   "  - {id: except, description: d, severity: low, on: open, "
				   "match: {process.comm: cat},"
				   "     except: {file.path: /home/}}\n"
				   "  - {id: contains, description: d, severity: low, on: open,"
				   "     match: {file.path contains: /secret}}\n";
	struct diags d = { 0 };
	struct policy *p = policy_parse(yaml, sizeof(yaml) - 1, "cut.yaml", &d);
	struct match_cache *c = match_cache_new();
	struct policy_set *s = NULL;
	struct file_record rec;
	struct event ev;
	struct event_view v = { .ev = &ev };
	const struct rule *r;
	int unsure;

	if (!ASSERT_NOT_NULL(p, "the policy parses")) {
		diags_print(&d, stderr);
		goto out;
	}
	s = policy_set_load_with(NULL, 0, false, &p, 1, &d);
	if (!ASSERT_NOT_NULL(s, "the set loads") || !ASSERT_NOT_NULL(c, "cache"))
		goto out;

	/* the tail of a path deeper than the kernel walks: /?/.../a/x */
	file_event(&rec, &ev, VIGIL_EV_OPEN, "/a/x", "cat", VIGIL_FILE_ACCESS_READ);
	ev.flags = rec.r.hdr.flags = VIGIL_FILE_PATH_TRUNCATED;
	ASSERT_TRUE(rule_id_matches(s, c, &v, "subtree"), "a subtree may hold it: fires");
	ASSERT_FALSE(rule_id_matches(s, c, &v, "exact"), "a short path cannot end so: no");
	ASSERT_TRUE(rule_id_matches(s, c, &v, "glob3"), "a deeper glob ending in /x: fires");
	ASSERT_TRUE(rule_id_matches(s, c, &v, "not"), "`not` a subtree: not ruled out, fires");
	ASSERT_TRUE(rule_id_matches(s, c, &v, "except"), "an unsure exception spares nothing");
	ASSERT_TRUE(rule_id_matches(s, c, &v, "contains"),
		    "not in the tail, maybe the head: fires");
	r = policy_match(s, c, &v, &unsure);
	ASSERT_NOT_NULL(r, "a rule decides");
	ASSERT_EQ(unsure, FIELD_FILE_PATH, "and says file.path was not known");

	file_event(&rec, &ev, VIGIL_EV_OPEN, "/a/b/x", "vim", VIGIL_FILE_ACCESS_READ);
	ev.flags = rec.r.hdr.flags = VIGIL_FILE_PATH_TRUNCATED;
	ASSERT_FALSE(rule_id_matches(s, c, &v, "glob3"), "the glob has no more parts: no");

	file_event(&rec, &ev, VIGIL_EV_OPEN, "/a/secret", "vim", VIGIL_FILE_ACCESS_READ);
	ev.flags = rec.r.hdr.flags = VIGIL_FILE_PATH_TRUNCATED;
	ASSERT_TRUE(rule_id_matches(s, c, &v, "contains"), "in the tail: a match");

	/* the same path whole is judged as it is */
	file_event(&rec, &ev, VIGIL_EV_OPEN, "/a/x", "cat", VIGIL_FILE_ACCESS_READ);
	ASSERT_FALSE(rule_id_matches(s, c, &v, "subtree"), "whole: not under /etc/");
	ASSERT_FALSE(rule_id_matches(s, c, &v, "glob3"), "whole: not /srv/*/x");
	ASSERT_FALSE(rule_id_matches(s, c, &v, "contains"), "whole: no /secret");
	r = policy_match(s, c, &v, &unsure);
	ASSERT_EQ(unsure, -1, "a whole path leaves no doubt");
out:
	match_cache_free(c);
	policy_set_free(s);
	diags_free(&d);
}

TEST(rules_on_the_rare_doors_watch_nothing)
{
	/* the kernel sends opens by handle and through io_uring whatever the watch */
	static const char yaml[] =
		"policy: doors\nrules:\n"
		"  - {id: handle, description: d, severity: low, on: open, "
		"match: {file.syscall: open_by_handle_at}}\n"
		"  - {id: uring, description: d, severity: low, on: open, "
		"match: {file.syscall: [io_uring_openat, io_uring_openat2],"
		" file.path: /etc/}}\n"
		"  - {id: mixed, description: d, severity: low, on: open, "
		"match: {file.syscall: [openat, io_uring_openat], file.path: /srv/}}\n";
	struct diags d = { 0 };
	struct policy *p = policy_parse(yaml, sizeof(yaml) - 1, "doors.yaml", &d);
	struct policy_set *s = NULL;
	struct watch_list w = { 0 };

	if (!ASSERT_NOT_NULL(p, "the policy parses")) {
		diags_print(&d, stderr);
		goto out;
	}
	s = policy_set_load_with(NULL, 0, false, &p, 1, &d);
	if (!ASSERT_NOT_NULL(s, "the set loads") ||
	    !ASSERT_OK(policy_compile_watches(s, &w), "watches compile"))
		goto out;
	/* neither "/" (no path) nor /etc/ (every open beneath it): only the mixed rule's /srv/ */
	if (ASSERT_EQ(w.n, 1, "one watch"))
		ASSERT_STREQ(w.entries[0].path, "/srv/", "the rule that also looks at openat");
	watch_list_free(&w);
out:
	policy_set_free(s);
	diags_free(&d);
}
