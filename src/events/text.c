// SPDX-License-Identifier: GPL-2.0
#include "events/text.h"
#include "events/json.h"

#include <stdbool.h>
#include <string.h>

void text_bytes(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = p[i] >= 0x80 ? utf8_sequence_len(p + i, len - i) : 1;
		unsigned int cp = n > 1 ? utf8_format_control(p + i, n) : 0;

		if (cp) {
			fprintf(out, "\\u%04x", cp);
			i += n;
		} else if (p[i] >= 0x20 && p[i] != 0x7f && n) {
			fwrite(p + i, 1, n, out);
			i += n;
		} else {
			fprintf(out, "\\x%02x", p[i]);
			i++;
		}
	}
}

void text_arg(FILE *out, const char *s, size_t len)
{
	bool quote = len == 0 || strcspn(s, " \t'\"$`\\*?;&|<>()") < len;

	if (quote)
		fputc('\'', out);
	text_bytes(out, s, len);
	if (quote)
		fputc('\'', out);
}

void text_result(FILE *out, long long result)
{
	fprintf(out, " = %lld", result);
	if (result < 0 && result > -4096 && strerrorname_np(-result))
		fprintf(out, " (%s)", strerrorname_np(-result));
}
