// SPDX-License-Identifier: GPL-2.0
/* The privilege and kernel family decoders trust no length; their output is always JSON. */
#include "harness.h"
#include "events/event.h"
#include "events/family.h"
#include "vigil/ev_kernel.h"
#include "vigil/ev_priv.h"

#include <errno.h>
#include <json-c/json.h>
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

static void family_text(const struct event *ev)
{
	FILE *out = fopen("/dev/null", "w");

	event_family_of(ev->type)->text(out, ev);
	fclose(out);
}

TEST(setid_record_decodes_and_prints)
{
	struct vigil_setid_event r = {
		.hdr = { .type = VIGIL_EV_SETUID, .size = sizeof(r) },
		.result = 0,
		.syscall = VIGIL_SYS_SETRESUID,
		.before = { 0, 0, 0, 0 },
		.after = { 65534, 65534, 0, 65534 },
	};
	struct json_object *o;
	struct event ev;

	if (!ASSERT_OK(event_decode(&r, sizeof(r), &ev), "decode"))
		return;
	ASSERT_STREQ(event_type_name(ev.type), "setuid", "type name");
	o = family_json(&ev);
	if (ASSERT_NOT_NULL(o, "valid JSON")) {
		struct json_object *c;

		ASSERT_TRUE(json_object_object_get_ex(o, "cred", &c), "cred");
		ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "syscall")),
			     "setresuid", "syscall");
		ASSERT_EQ(json_object_get_int(json_object_object_get(
				  json_object_object_get(c, "after"), "suid")),
			  0, "after.suid");
		json_object_put(o);
	}
	r.syscall = VIGIL_SYS_SETRESGID;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "a gid syscall in a setuid record");
	r.syscall = 0;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "syscall 0");
	r.syscall = 999;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "syscall out of range");
	r.syscall = VIGIL_SYS_SETUID;
	r.hdr.size = sizeof(r) - 1;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "truncated by one byte");
}

TEST(capset_and_unused_priv_types)
{
	struct vigil_capset_event r = { .hdr = { .type = VIGIL_EV_CAPSET, .size = sizeof(r) } };
	struct event ev;

	ASSERT_OK(event_decode(&r, sizeof(r), &ev), "capset decodes");
	r.hdr.size = sizeof(r) - 8;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "short capset");
	r.hdr.size = sizeof(r);
	r.hdr.type = VIGIL_EV_PRIV_LAST + 1;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "unused type in the priv range");
	r.hdr.type = VIGIL_EV_KERNEL_LAST + 1;
	ASSERT_EQ(event_decode(&r, sizeof(r), &ev), -EINVAL, "unused type in the kernel range");
}

TEST(module_path_and_memfd_name_lengths_are_checked)
{
	unsigned char buf[512] = { 0 };
	struct vigil_module_event *m = (void *)buf;
	struct vigil_memfd_event *f = (void *)buf;
	struct json_object *o;
	struct event ev;

	m->hdr.type = VIGIL_EV_MODULE_LOAD;
	m->syscall = VIGIL_SYS_FINIT_MODULE;
	m->path_len = 9;
	memcpy(m + 1, "/tmp/x.ko", 9);
	m->hdr.size = sizeof(*m) + 9;
	if (ASSERT_OK(event_decode(buf, m->hdr.size, &ev), "module decodes")) {
		o = family_json(&ev);
		if (ASSERT_NOT_NULL(o, "module JSON")) {
			ASSERT_STREQ(json_object_get_string(json_object_object_get(
					     json_object_object_get(o, "module"), "path")),
				     "/tmp/x.ko", "path");
			json_object_put(o);
		}
	}
	m->path_len = 10;
	ASSERT_EQ(event_decode(buf, m->hdr.size, &ev), -EINVAL, "path past the end");
	m->path_len = 9;
	m->syscall = 3;
	ASSERT_EQ(event_decode(buf, m->hdr.size, &ev), -EINVAL, "unknown module syscall");

	memset(buf, 0, sizeof(buf));
	f->hdr.type = VIGIL_EV_MEMFD;
	f->name_len = 4;
	memcpy(f + 1, "\x1b[2J", 4); /* a name a process chose */
	f->hdr.size = sizeof(*f) + 4;
	if (ASSERT_OK(event_decode(buf, f->hdr.size, &ev), "memfd decodes")) {
		o = family_json(&ev);
		ASSERT_NOT_NULL(o, "an escape sequence in the name still makes valid JSON");
		json_object_put(o);
	}
	f->name_len = 200;
	ASSERT_EQ(event_decode(buf, f->hdr.size, &ev), -EINVAL, "name past the end");
}

TEST(exec_exe_flags_decode)
{
	struct vigil_exec_event r = { .hdr = { .type = VIGIL_EV_EXEC, .size = sizeof(r) },
				      .exe_flags = VIGIL_EXE_MEMFD | VIGIL_EXE_SHM |
						   VIGIL_EXE_STDIO_SOCKET };
	struct event ev;

	if (ASSERT_OK(event_decode(&r, sizeof(r), &ev), "exec decodes"))
		ASSERT_EQ(ev.exe_flags, VIGIL_EXE_MEMFD | VIGIL_EXE_SHM | VIGIL_EXE_STDIO_SOCKET,
			  "exe_flags");
}

TEST(random_priv_and_kernel_records_never_break)
{
	unsigned int seed = 11;
	int decoded = 0;
	struct event ev;

	for (int i = 0; i < 30000; i++) {
		size_t size = rand_r(&seed) % 512;
		unsigned char *buf = malloc(size ? size : 1);
		struct vigil_event_hdr *hdr = (void *)buf;

		for (size_t j = 0; j < size; j++)
			buf[j] = rand_r(&seed);
		if (size >= sizeof(*hdr)) {
			hdr->type = VIGIL_EV_PRIV_FIRST + rand_r(&seed) % 24;
			if (rand_r(&seed) & 1)
				hdr->size = size;
		}
		if (size > 100 && (rand_r(&seed) & 1)) {
			/* plausible lengths, so that some records pass and get printed */
			buf[96] = rand_r(&seed) & 1 ? 1 : 2;
			memset(buf + 97, 0, 3);
			buf[108] = buf[109] = buf[84] = buf[85] = 0;
		}
		if (!event_decode(buf, size, &ev)) {
			struct json_object *o = family_json(&ev);

			decoded++;
			if (!o)
				ASSERT_NOT_NULL(o, "a record that decodes prints valid JSON");
			json_object_put(o);
			family_text(&ev);
		}
		free(buf);
	}
	ASSERT_GE(decoded, 1, "some random records decoded (the printers were exercised)");
}
