// SPDX-License-Identifier: GPL-2.0
/*
 * The man pages (packaging/man/) against `vigil help`, so that they cannot drift apart: every
 * command has a section in vigil(8), every option a command's help prints is described in a
 * section of vigil(8) that names the command, every event type is listed, every long option of
 * `vigil run` is a key of vigil.yaml(5), and vigil-policy(5)'s examples pass `vigil policy check`.
 */
#include "harness.h"
#include "testlib.h"

#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

#define MAN_DIR "packaging/man/"

/*
 * `vigil run` options that are not configuration keys: they act on one invocation, or they are
 * --no-X flags (and the help's "--no-X" placeholder), whose key is X.
 */
static const char *const not_config_keys[] = { "help", "verbose",	   "config",
					       "no-X", "no-default-rules", "no-guard" };

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Everything @f gives until EOF, NUL-terminated, or NULL. */
static char *read_all(FILE *f)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *p;
	size_t n;

	while (buf && (n = fread(buf + len, 1, size - len - 1, f)) > 0) {
		len += n;
		if (size - len > 1)
			continue;
		p = realloc(buf, size *= 2);
		if (!p)
			free(buf);
		buf = p;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* What `vigil help [@cmd]` prints on stdout, or NULL when it fails. */
static char *vigil_help(const char *cmd)
{
	char line[512];
	char *out;
	FILE *f;

	snprintf(line, sizeof(line), "'%s' help %s", vigil_bin(), cmd);
	f = popen(line, "r");
	if (!f)
		return NULL;
	out = read_all(f);
	if (pclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * A page's source as the reader sees its words: \- is -, font changes (\fB ...) and zero-width
 * \& are dropped, so that "\-\-ring\-buffer" is searched as "--ring-buffer".
 */
static char *read_page(const char *name)
{
	char path[256];
	char *s, *r, *w;
	FILE *f;

	snprintf(path, sizeof(path), MAN_DIR "%s", name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	s = read_all(f);
	fclose(f);
	for (r = w = s; s && *r; r++) {
		if (r[0] == '\\' && r[1] == '-') {
			*w++ = '-';
			r++;
		} else if (r[0] == '\\' && r[1] == 'f' && r[2]) {
			r += 2;
		} else if (r[0] == '\\' && r[1] == '&') {
			r++;
		} else {
			*w++ = *r;
		}
	}
	if (s)
		*w = '\0';
	return s;
}

/* Does [@s, @end) hold @tok as a whole word (not inside --ring-buffer-size, -fx, ...)? */
static bool has_token(const char *s, const char *end, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = s; (p = memmem(p, end - p, tok, n)); p++)
		if ((p == s || !is_word_char(p[-1])) && (p + n == end || !is_word_char(p[n])))
			return true;
	return false;
}

static const char *line_end(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl : p + strlen(p);
}

/* Is @name a word (or words) of the section title on the .SS/.SH line at @p? */
static bool title_names(const char *p, const char *name)
{
	return has_token(p + 3, line_end(p), name);
}

/* The .SH/.SS line after @p, or the end of the page. */
static const char *next_heading(const char *p)
{
	while (*(p = line_end(p))) {
		p++;
		if (!strncmp(p, ".SH", 3) || !strncmp(p, ".SS", 3))
			return p;
	}
	return p;
}

/* Is @tok in the body of any section of @page whose title has the word(s) @name? */
static bool in_sections_named(const char *page, const char *name, const char *tok)
{
	for (const char *h = next_heading(page), *end; *h; h = end) {
		end = next_heading(h);
		if (title_names(h, name) && has_token(line_end(h), end, tok))
			return true;
	}
	return false;
}

/*
 * Every option @help mentions: each "--long" anywhere, and each "-x" that starts an option
 * line ("  -f, --format ..."). @fn is called with each; returns how many it refused.
 */
static int for_each_option(const char *help, bool (*fn)(const char *opt, void *ctx), void *ctx)
{
	char opt[64];
	int bad = 0;

	for (const char *p = help; (p = strchr(p, '-')); p++) {
		const char *q = p;
		bool line_start = true;

		for (const char *b = p; b > help && b[-1] != '\n'; b--)
			line_start &= b[-1] == ' ';
		if (p > help && is_word_char(p[-1]))
			continue;
		if (p[1] == '-' && p[2] >= 'a' && p[2] <= 'z')
			for (q = p + 2; is_word_char(*q); q++)
				;
		else if (line_start && isalpha((unsigned char)p[1]) && !is_word_char(p[2]))
			q = p + 2;
		if (q == p || (size_t)(q - p) >= sizeof(opt))
			continue;
		snprintf(opt, sizeof(opt), "%.*s", (int)(q - p), p);
		bad += !fn(opt, ctx);
		p = q - 1;
	}
	return bad;
}

/* The commands `vigil help` lists: the first word of each line under "commands:". */
static int help_commands(char names[][32], int max)
{
	char *help = vigil_help(""), *p;
	int n = 0;

	p = help ? strstr(help, "commands:\n") : NULL;
	for (p = p ? strchr(p, '\n') + 1 : NULL; p && !strncmp(p, "  ", 2) && n < max; n++) {
		sscanf(p, "%31s", names[n]);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	free(help);
	return n;
}

struct option_check {
	const char *page, *cmd;
	bool report; /* a test failure for each option not described */
	int seen;
};

/* Is @opt of c->cmd described in a section of vigil(8) that names the command? */
static bool option_described(const char *opt, void *ctx)
{
	struct option_check *c = ctx;

	c->seen++;
	if (in_sections_named(c->page, c->cmd, opt))
		return true;
	if (c->report)
		harness_check(false, __FILE__, __LINE__,
			      "vigil.8: %s of 'vigil help %s' is in no section naming %s", opt,
			      c->cmd, c->cmd);
	return false;
}

/* Does @page have a section titled "vigil @cmd", alone or followed by its arguments? */
static bool has_command_section(const char *page, const char *cmd)
{
	char title[64];
	size_t n = snprintf(title, sizeof(title), "\n.SS \"vigil %s", cmd);

	if (n >= sizeof(title))
		return false;
	for (const char *p = page; (p = strstr(p, title)); p++)
		if (p[n] == ' ' || p[n] == '"' || p[n] == '\n')
			return true;
	return false;
}

TEST(every_command_has_a_section)
{
	char *page = read_page("vigil.8");
	char cmds[32][32];
	int n = help_commands(cmds, 32);

	if (!ASSERT_NOT_NULL(page, "read " MAN_DIR "vigil.8"))
		return;
	ASSERT_GE(n, 10, "commands listed by vigil help");
	for (int i = 0; i < n; i++)
		if (!has_command_section(page, cmds[i]))
			harness_check(false, __FILE__, __LINE__,
				      "vigil.8 has no .SS \"vigil %s ...\"", cmds[i]);
	free(page);
}

TEST(every_option_is_described)
{
	char *page = read_page("vigil.8");
	char cmds[32][32];
	int n = help_commands(cmds, 32), options = 0;

	if (!ASSERT_NOT_NULL(page, "read " MAN_DIR "vigil.8"))
		return;
	for (int i = 0; i < n; i++) {
		struct option_check c = { page, cmds[i], true, 0 };
		char *help;

		if (!strcmp(cmds[i], "help"))
			continue;
		help = vigil_help(cmds[i]);
		if (!ASSERT_NOT_NULL(help, cmds[i]))
			continue;
		for_each_option(help, option_described, &c);
		options += c.seen;
		free(help);
	}
	ASSERT_GE(options, 40, "options found in the commands' help");
	free(page);
}

/* The checker itself: an option the help gains and the page lacks is a failure. */
TEST(a_new_option_is_caught)
{
	char *page = read_page("vigil.8");
	struct option_check c = { page, "trace", false, 0 };

	if (!ASSERT_NOT_NULL(page, "read " MAN_DIR "vigil.8"))
		return;
	ASSERT_EQ(for_each_option("  -d, --duration SECONDS  stop\n", option_described, &c), 0,
		  "trace's --duration is described");
	ASSERT_EQ(for_each_option("  -X, --no-such-option  new\n", option_described, &c), 2,
		  "an undescribed -X, --no-such-option");
	ASSERT_EQ(for_each_option("  -f, --ring-buffer-size N\n", option_described, &c), 1,
		  "--ring-buffer-size is not --ring-buffer");
	c.cmd = "status";
	ASSERT_EQ(for_each_option("      --duration\n", option_described, &c), 1,
		  "trace's --duration is not status's");
	free(page);
}

/* The event types `vigil help trace` lists, in each page's EVENT TYPES section. */
TEST(every_event_type_is_listed)
{
	static const char *const pages[] = { "vigil.8", "vigil-policy.5" };
	char *help = vigil_help("trace"), *p, *end, type[32];
	int n = 0;

	p = help ? strstr(help, "Event types:") : NULL;
	if (!ASSERT_NOT_NULL(p, "vigil help trace lists event types"))
		goto out;
	end = strstr(p, "\n\n");
	end = end ? end : p + strlen(p);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char *page = read_page(pages[i]);

		if (!ASSERT_NOT_NULL(page, pages[i]))
			continue;
		n = 0;
		for (const char *q = p + strlen("Event types:"); q < end; n++) {
			int len = 0;

			if (sscanf(q, "%31s%n", type, &len) != 1 || q + len > end)
				break;
			q += len;
			if (!in_sections_named(page, "EVENT TYPES", type))
				harness_check(false, __FILE__, __LINE__,
					      "%s: event type %s (vigil help trace) is not in its "
					      "EVENT TYPES section",
					      pages[i], type);
		}
		free(page);
	}
	ASSERT_GE(n, 30, "event types listed by vigil help trace");
out:
	free(help);
}

static bool is_config_key(const char *opt, void *ctx)
{
	const char *page = ctx, *key = opt + 2;
	char tag[80];

	if (strncmp(opt, "--", 2))
		return true;
	for (size_t i = 0; i < sizeof(not_config_keys) / sizeof(not_config_keys[0]); i++)
		if (!strcmp(key, not_config_keys[i]))
			return true;
	/* A key is the tag of a .TP paragraph: ".BR ring-buffer: ..." or ".B no-guard:". */
	for (const char *macro = ".B \0.BR \0.BI "; *macro; macro += strlen(macro) + 1) {
		snprintf(tag, sizeof(tag), "\n%s%s:", macro, key);
		if (strstr(page, tag))
			return true;
	}
	return harness_check(false, __FILE__, __LINE__,
			     "vigil.yaml.5: no key %s: for %s of vigil help run (or add it to "
			     "not_config_keys)",
			     key, opt);
}

TEST(run_options_are_config_keys)
{
	char *page = read_page("vigil.yaml.5"), *help = vigil_help("run");

	if (ASSERT_NOT_NULL(page, "read " MAN_DIR "vigil.yaml.5") &&
	    ASSERT_NOT_NULL(help, "vigil help run"))
		for_each_option(help, is_config_key, page);
	free(page);
	free(help);
}

/* Write the .EX block [@body, @end) to @path as the reader sees it: \(aq is ', \e is \. */
static int write_example(const char *path, const char *body, const char *end)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	for (const char *q = body; q < end; q++) {
		if (!strncmp(q, "\\(aq", 4)) {
			fputc('\'', f);
			q += 3;
		} else if (!strncmp(q, "\\e", 2)) {
			fputc('\\', f);
			q++;
		} else {
			fputc(*q, f);
		}
	}
	fputc('\n', f);
	return fclose(f) ? -1 : 0;
}

/* Each example policy in vigil-policy(5) (an .EX block starting "policy:") passes the check. */
TEST(policy_page_examples_check)
{
	char *page = read_page("vigil-policy.5"), path[] = "/tmp/vigil-man-example-XXXXXX";
	int n = 0, fd = mkstemp(path);

	if (!ASSERT_NOT_NULL(page, "read " MAN_DIR "vigil-policy.5") ||
	    !ASSERT_TRUE(fd >= 0, "temporary file"))
		goto out;
	close(fd);
	for (char *p = page; (p = strstr(p, "\n.EX\n")); p++) {
		char *body = p + strlen("\n.EX\n"), *end = strstr(body, "\n.EE\n");

		if (!end || strncmp(body, "policy:", 7))
			continue;
		n++;
		if (!ASSERT_OK(write_example(path, body, end), "write the example"))
			break;
		if (!ASSERT_EQ(shf("'%s' policy check %s >/dev/null", vigil_bin(), path), 0,
			       "an example of vigil-policy.5 passes vigil policy check"))
			shf("sed 's/^/    /' %s; '%s' policy check %s", path, vigil_bin(), path);
	}
	ASSERT_GE(n, 3, "example policies in vigil-policy.5");
out:
	if (fd >= 0)
		unlink(path);
	free(page);
}

/* man(1) renders each page without a warning (man-db and groff from make deps). */
TEST(pages_render_cleanly)
{
	static const char *const pages[] = { "vigil.8", "vigil.yaml.5", "vigil-policy.5" };

	if (sh("command -v man >/dev/null")) {
		SKIP("man is not installed (make deps installs man-db)");
		return;
	}
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char cmd[256];
		char *out;
		FILE *f;

		snprintf(cmd, sizeof(cmd),
			 "MANWIDTH=80 man --warnings -E UTF-8 -l " MAN_DIR "%s 2>&1 >/dev/null",
			 pages[i]);
		f = popen(cmd, "r");
		out = f ? read_all(f) : NULL;
		if (f)
			pclose(f);
		if (ASSERT_NOT_NULL(out, pages[i]) && !ASSERT_STREQ(out, "", pages[i]))
			printf("    %s\n", out);
		free(out);
	}
}
