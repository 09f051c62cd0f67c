// SPDX-License-Identifier: GPL-2.0
#include "events/json.h"

#include <string.h>

size_t utf8_sequence_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0; /* continuation byte, overlong lead (c0, c1) or beyond U+10FFFF */
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond Unicode */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

unsigned int utf8_format_control(const unsigned char *s, size_t n)
{
	unsigned int cp;

	if (n == 2)
		cp = (s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	else if (n == 3)
		cp = (s[0] & 0x0f) << 12 | (s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	else
		return 0;
	if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

void json_string(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;

	fputc('"', f);
	while (i < len) {
		unsigned char c = p[i];

		/* Copy the longest run of bytes that need no escaping in one go. */
		for (run = 0; i + run < len; run++) {
			c = p[i + run];
			if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f)
				break;
		}
		if (run) {
			fwrite(p + i, 1, run, f);
			i += run;
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (c >= 0x80) {
				size_t n = utf8_sequence_len(p + i, len - i);

				if (n) {
					unsigned int cp = utf8_format_control(p + i, n);

					if (cp)
						fprintf(f, "\\u%04x", cp);
					else
						fwrite(p + i, 1, n, f);
					i += n;
					continue;
				}
				fprintf(f, "\\\\x%c%c", hex[c >> 4], hex[c & 15]);
			} else {
				fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
			}
		}
		i++;
	}
	fputc('"', f);
}

void json_cstring(FILE *f, const char *s)
{
	json_string(f, s, strlen(s));
}
