// SPDX-License-Identifier: GPL-2.0
/* Text output: bytes a process controls never reach the terminal as controls. */
#include "harness.h"
#include "events/text.h"

#include <stdlib.h>
#include <string.h>

/* text_bytes of @len bytes of @in, compared with @want. */
static void check(const char *in, size_t len, const char *want, const char *what)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	text_bytes(f, in, len);
	fclose(f);
	ASSERT_STREQ(buf, want, what);
	free(buf);
}

TEST(printable_text_and_utf8_pass)
{
	check("/usr/bin/ls", 11, "/usr/bin/ls", "ASCII");
	check("caf\xc3\xa9 \xe2\x9c\x93", 9, "caf\xc3\xa9 \xe2\x9c\x93", "UTF-8");
}

TEST(c0_controls_and_invalid_bytes_are_escaped)
{
	check("a\033[2Jb\n\x7f\xff", 9, "a\\x1b[2Jb\\x0a\\x7f\\xff", "ESC, newline, DEL, 0xff");
}

TEST(c1_controls_are_escaped)
{
	/* U+009B is CSI: on a terminal that takes 8-bit controls, "\u009b2J" clears the screen */
	check("a\xc2\x9b"
	      "2Jb",
	      6, "a\\u009b2Jb", "U+009B");
	check("\xc2\x80\xc2\x9f", 4, "\\u0080\\u009f", "U+0080, U+009F");
	check("\xc2\xa0", 2, "\xc2\xa0", "U+00A0 is text");
}

TEST(bidi_overrides_are_escaped)
{
	/* "x<RLO>gnp.exe" shows as "xexe.png" */
	check("x\xe2\x80\xaegnp.exe", 11, "x\\u202egnp.exe", "U+202E");
	check("\xe2\x80\xaa\xe2\x80\xad", 6, "\\u202a\\u202d", "U+202A, U+202D");
	check("\xe2\x81\xa6\xe2\x81\xa9", 6, "\\u2066\\u2069", "U+2066, U+2069");
	check("\xe2\x80\xa9\xe2\x81\xaa", 6, "\xe2\x80\xa9\xe2\x81\xaa", "U+2029, U+206A are text");
}
