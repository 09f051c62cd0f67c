// SPDX-License-Identifier: GPL-2.0
/* The agent's configuration file read and applied as `vigil run` does, without root. */
#include "harness.h"
#include "testlib.h"
#include "cli/stream_cmd.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* @text into a temporary file, read and applied to @o under @given; 0 or -errno. */
static int apply_text(const char *text, struct run_options *o, const bool *given, struct diags *d)
{
	char path[] = "/tmp/vigil-config-test-XXXXXX";
	struct config_file cf;
	int fd = mkstemp(path), err;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	close(fd);
	err = config_read(&cf, path, true, d);
	if (!err)
		err = stream_config_apply(&cf, o, given, d);
	/* the strings of @o point into the document: tests look only at numbers and flags */
	config_free(&cf);
	unlink(path);
	return err;
}

static const struct diag *first_error(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].level == DIAG_ERROR)
			return &d->items[i];
	return NULL;
}

TEST(a_good_file_sets_every_kind_of_value)
{
	struct run_options o = { .colour = -1, .aggregate_s = 1 };
	struct diags d = { 0 };

	ASSERT_OK(apply_text("# comment\n"
			     "format: json\n"
			     "color: never\n"
			     "events: [exec, open]\n"
			     "pid: 1,2\n"
			     "aggregate: 0.5\n"
			     "ring-buffer: 64K\n"
			     "policy:\n  - /a.yaml\n  - /b\n"
			     "default-rules: off\n"
			     "guard: on\n",
			     &o, NULL, &d),
		  "applied");
	ASSERT_EQ(d.n, 0, "no problems");
	ASSERT_EQ(o.cfg.format, FORMAT_JSON, "format");
	ASSERT_TRUE(o.format_set, "format set");
	ASSERT_EQ(o.colour, 0, "color");
	ASSERT_EQ(o.cfg.filter.type_mask, EVENT_BIT(VIGIL_EV_EXEC) | EVENT_BIT(VIGIL_EV_OPEN),
		  "events, a YAML list");
	ASSERT_EQ(o.cfg.filter.n_pids, 2, "pid, comma-separated");
	ASSERT_TRUE(o.aggregate_s == 0.5, "aggregate");
	ASSERT_EQ(o.ring_bytes, 65536, "ring-buffer");
	ASSERT_EQ(o.agent.n_paths, 2, "two policies");
	ASSERT_TRUE(o.agent.no_defaults, "default-rules: off is --no-default-rules");
	ASSERT_TRUE(!o.no_guard, "guard: on is the default");
	filter_free(&o.cfg.filter);
	diags_free(&d);
}

TEST(an_unknown_key_is_an_error_at_its_place)
{
	struct run_options o = { 0 };
	struct diags d = { 0 };
	const struct diag *e;

	ASSERT_EQ(apply_text("format: json\n  # indented comment\nring_buffer: 8M\n", &o, NULL, &d),
		  -EINVAL, "refused");
	e = first_error(&d);
	if (ASSERT_NOT_NULL(e, "an error")) {
		ASSERT_EQ(e->line, 3, "line");
		ASSERT_EQ(e->col, 1, "column");
		ASSERT_NOT_NULL(strstr(e->msg, "unknown key 'ring_buffer'"), e->msg);
	}
	diags_free(&d);
	filter_free(&o.cfg.filter);
}

TEST(bad_values_are_errors_at_their_place)
{
	static const struct {
		const char *text;
		unsigned int line, col;
		const char *says;
	} cases[] = {
		{ "format: xml\n", 1, 9, "format: unknown format 'xml'" },
		{ "events: [exec,\n  nosuch]\n", 2, 3, "unknown event type 'nosuch'" },
		{ "ring-buffer: 3000\n", 1, 14, "power of two" },
		{ "guard: maybe\n", 1, 8, "on or off" },
		{ "format: [json, text]\n", 1, 1, "takes one value, not a list" },
		{ "output:\n", 1, 8, "no value" },
		{ "aggregate: {a: 1}\n", 1, 12, "want a value" },
		{ "format: json\nformat: text\n", 2, 1, "set twice" },
		{ "formt: json\n", 1, 1, "did you mean format?" },
		{ "- format\n", 1, 1, "want a mapping" },
		{ "format: [json\n", 2, 1, "bad YAML" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_options o = { 0 };
		struct diags d = { 0 };
		const struct diag *e;

		ASSERT_NEQ(apply_text(cases[i].text, &o, NULL, &d), 0, cases[i].text);
		e = first_error(&d);
		if (ASSERT_NOT_NULL(e, cases[i].text)) {
			ASSERT_EQ(e->line, cases[i].line, cases[i].text);
			ASSERT_EQ(e->col, cases[i].col, cases[i].text);
			ASSERT_NOT_NULL(strstr(e->msg, cases[i].says), e->msg);
		}
		diags_free(&d);
		filter_free(&o.cfg.filter);
	}
}

/* What the command line set is not changed by the file, whose values are still checked. */
TEST(flags_override_the_file)
{
	struct run_options o = { .aggregate_s = 2 };
	bool given[STREAM_OPT_KEYS] = { 0 };
	struct diags d = { 0 };

	o.cfg.format = FORMAT_TEXT;
	o.format_set = true;
	given[stream_config_option("format")->key] = true;
	given[stream_config_option("aggregate")->key] = true;
	ASSERT_OK(apply_text("format: json\naggregate: 0\nring-buffer: 1M\n", &o, given, &d),
		  "applied");
	ASSERT_EQ(o.cfg.format, FORMAT_TEXT, "-f text on the command line wins");
	ASSERT_TRUE(o.aggregate_s == 2, "--aggregate on the command line wins");
	ASSERT_EQ(o.ring_bytes, 1 << 20, "ring-buffer from the file");
	ASSERT_NEQ(apply_text("format: xml\n", &o, given, &d), 0,
		   "an overridden key's bad value is still an error");
	diags_free(&d);
}

TEST(a_missing_file_is_fine_unless_named)
{
	struct config_file cf;
	struct diags d = { 0 };
	bool named;

	ASSERT_OK(config_read(&cf, "/nonexistent/vigil.yaml", false, &d), "the default");
	ASSERT_EQ(cf.n, 0, "no settings");
	config_free(&cf);
	ASSERT_EQ(config_read(&cf, "/nonexistent/vigil.yaml", true, &d), -ENOENT, "named");
	ASSERT_EQ(d.n_errors, 1, "an error");
	config_free(&cf);
	diags_free(&d);
	/* testlib points every test at a file of its own */
	ASSERT_STREQ(config_path(NULL, &named), vigil_test_config(), "$VIGIL_CONFIG");
	ASSERT_TRUE(named, "named by the environment: it must exist");
	ASSERT_STREQ(config_path("/x.yaml", &named), "/x.yaml", "--config wins");
}

/* packaging/vigil.yaml lists every key with its default, and the defaults are valid. */
TEST(the_shipped_file_has_every_key_and_valid_defaults)
{
	struct run_options o = { 0 };
	struct diags d = { 0 };
	char *text = NULL, line[256];
	size_t len = 0;
	FILE *f = fopen("packaging/vigil.yaml", "r"), *out;

	if (!ASSERT_NOT_NULL(f, "packaging/vigil.yaml (run from the top of the tree)"))
		return;
	out = open_memstream(&text, &len);
	/* uncommented: "# key: default" lines become settings */
	while (fgets(line, sizeof(line), f)) {
		const char *colon = strchr(line, ':');
		char key[64];
		size_t n = strspn(line + 2, "abcdefghijklmnopqrstuvwxyz-");

		if (strncmp(line, "# ", 2) || !n || line + 2 + n != colon || n >= sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(colon - line - 2), line + 2);
		ASSERT_NOT_NULL(stream_config_option(key), key);
		fputs(line + 2, out);
	}
	fclose(f);
	fclose(out);
	for (const struct cli_option *opt = stream_options; opt->name || opt->help; opt++) {
		char want[128];

		if (!opt->config)
			continue;
		snprintf(want, sizeof(want), "%s: %s\n", opt->config, opt->config_default);
		ASSERT_NOT_NULL(strstr(text, want), want);
	}
	ASSERT_OK(apply_text(text, &o, NULL, &d), "the defaults, uncommented, are valid");
	diags_print(&d, stdout);
	diags_free(&d);
	filter_free(&o.cfg.filter);
	free(text);
}

/* A new option of vigil run is a new key of its configuration file, named after it. */
TEST(every_run_option_is_a_key)
{
	for (const struct cli_option *o = stream_options; o->name || o->help; o++) {
		if (!o->name || (o->only && !(o->only & STREAM_RUN)))
			continue;
		if (!strcmp(o->name, "help") || !strcmp(o->name, "config"))
			continue;
		if (!ASSERT_NOT_NULL(o->config, o->name))
			continue;
		/* its long name, or X for a --no-X flag */
		ASSERT_STREQ(o->config, strncmp(o->name, "no-", 3) ? o->name : o->name + 3,
			     o->name);
		ASSERT_TRUE(o->config_default != NULL, o->name);
	}
	for (const struct cli_option *o = stream_options; o->name || o->help; o++)
		ASSERT_TRUE(!o->config || !o->only || (o->only & STREAM_RUN),
			    "only run's options have keys");
}
