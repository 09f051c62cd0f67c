/* SPDX-License-Identifier: GPL-2.0 */
/* Writing JSON that stays valid whatever bytes a process put in its names and arguments. */
#ifndef VIGIL_EVENTS_JSON_H
#define VIGIL_EVENTS_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write @len bytes of @s as a JSON string, quotes included. Valid UTF-8 is kept; control
 * characters (C0, DEL, C1) and bidi overrides are escaped as \uNNNN; each byte that is not part
 * of valid UTF-8 is written as the four characters \xNN (so the JSON text reads "\\xNN").
 */
void json_string(FILE *f, const char *s, size_t len);
/* The same for a NUL-terminated string. */
void json_cstring(FILE *f, const char *s);

/* Length of the valid UTF-8 sequence at @s (1-4), or 0 when the bytes there are not one. */
size_t utf8_sequence_len(const unsigned char *s, size_t len);
/*
 * The code point of the valid @n-byte sequence at @s, when it is one a terminal acts on or that
 * reorders the text around it: a C1 control (U+0080-U+009F: U+009B is CSI) or a bidi embedding,
 * override or isolate (U+202A-U+202E, U+2066-U+2069). 0 for any other.
 */
unsigned int utf8_format_control(const unsigned char *s, size_t n);

#endif
