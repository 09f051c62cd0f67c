// SPDX-License-Identifier: GPL-2.0
/* JSON strings stay valid whatever bytes come in, and say what came in. */
#include "harness.h"
#include "events/json.h"

#include <json-c/json.h>
#include <stdlib.h>

/* Encode @len bytes of @in; returns a malloc'd JSON text. */
static char *encode(const char *in, size_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	json_string(f, in, len);
	fclose(f);
	return buf;
}

/* Encode, check the text parses as JSON, and compare what a reader gets back with @want. */
static void check(const char *in, size_t len, const char *want_text, const char *want_decoded)
{
	char *text = encode(in, len);
	struct json_object *o = json_tokener_parse(text);

	if (want_text)
		ASSERT_STREQ(text, want_text, "encoded text");
	if (ASSERT_NOT_NULL(o, "output parses as JSON"))
		ASSERT_STREQ(json_object_get_string(o), want_decoded, "decoded value");
	json_object_put(o);
	free(text);
}

TEST(plain_ascii)
{
	check("hello world", 11, "\"hello world\"", "hello world");
}

TEST(quotes_backslashes_and_controls)
{
	check("a\"b\\c\nd\te\rf\x01g\x7f", 14, "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u007f\"",
	      "a\"b\\c\nd\te\rf\x01g\x7f");
}

TEST(embedded_nul_is_kept)
{
	check("a\0b", 3, "\"a\\u0000b\"", "a");
}

TEST(valid_utf8_passes_through)
{
	/* 2, 3 and 4 byte sequences */
	check("\xc3\xb8 \xe2\x9c\x93 \xf0\x9f\x94\x92", 11,
	      "\"\xc3\xb8 \xe2\x9c\x93 \xf0\x9f\x94\x92\"",
	      "\xc3\xb8 \xe2\x9c\x93 \xf0\x9f\x94\x92");
}

TEST(invalid_utf8_is_escaped_byte_by_byte)
{
	check("\xff\xfe", 2, "\"\\\\xff\\\\xfe\"", "\\xff\\xfe");
	/* overlong '/', a lone continuation byte, a surrogate, beyond U+10FFFF */
	check("\xc0\xaf", 2, NULL, "\\xc0\\xaf");
	check("\x80", 1, NULL, "\\x80");
	check("\xed\xa0\x80", 3, NULL, "\\xed\\xa0\\x80");
	check("\xf4\x90\x80\x80", 4, NULL, "\\xf4\\x90\\x80\\x80");
	/* a sequence cut short by the end of the string */
	check("ok\xe2\x9c", 4, NULL, "ok\\xe2\\x9c");
}

TEST(c1_controls_and_bidi_overrides_are_escaped)
{
	/* U+009B (CSI), U+0085, U+202E (RLO), U+2066 (LRI): escaped, and read back as they were */
	check("a\xc2\x9b"
	      "2Jb\xc2\x85",
	      8, "\"a\\u009b2Jb\\u0085\"",
	      "a\xc2\x9b"
	      "2Jb\xc2\x85");
	check("x\xe2\x80\xaegnp.exe\xe2\x81\xa6", 14, "\"x\\u202egnp.exe\\u2066\"",
	      "x\xe2\x80\xaegnp.exe\xe2\x81\xa6");
	/* their neighbours are plain text: U+00A0, U+2029, U+206A */
	check("\xc2\xa0\xe2\x80\xa9\xe2\x81\xaa", 8, "\"\xc2\xa0\xe2\x80\xa9\xe2\x81\xaa\"",
	      "\xc2\xa0\xe2\x80\xa9\xe2\x81\xaa");
}

TEST(utf8_sequence_lengths)
{
	ASSERT_EQ(utf8_sequence_len((const unsigned char *)"a", 1), 1, "ascii");
	ASSERT_EQ(utf8_sequence_len((const unsigned char *)"\xc3\xb8", 2), 2, "2 bytes");
	ASSERT_EQ(utf8_sequence_len((const unsigned char *)"\xe0\x80\x80", 3), 0, "overlong 3");
	ASSERT_EQ(utf8_sequence_len((const unsigned char *)"\xf0\x80\x80\x80", 4), 0, "overlong 4");
	ASSERT_EQ(utf8_sequence_len((const unsigned char *)"\xc3", 1), 0, "truncated");
}

TEST(random_bytes_always_give_valid_json)
{
	unsigned char buf[64];
	unsigned int seed = 42;

	for (int i = 0; i < 20000; i++) {
		size_t len = rand_r(&seed) % sizeof(buf);
		struct json_object *o;
		char *text;

		for (size_t j = 0; j < len; j++)
			buf[j] = rand_r(&seed);
		text = encode((const char *)buf, len);
		o = json_tokener_parse(text);
		if (!ASSERT_NOT_NULL(o, "random input encodes to valid JSON")) {
			free(text);
			return;
		}
		json_object_put(o);
		free(text);
	}
}
