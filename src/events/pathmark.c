// SPDX-License-Identifier: GPL-2.0
#include "events/pathmark.h"

#include <stdlib.h>
#include <string.h>

size_t path_mark(char *buf, size_t size, const char *path, size_t len, bool truncated)
{
	size_t n = 0;

	if (!size)
		return 0;
	if (truncated && size > PATH_MARK_LEN) {
		memcpy(buf, VIGIL_PATH_TRUNCATED_MARK, PATH_MARK_LEN);
		n = PATH_MARK_LEN;
	}
	if (len > size - 1 - n)
		len = size - 1 - n;
	memcpy(buf + n, path, len);
	n += len;
	buf[n] = '\0';
	return n;
}

char *path_mark_dup(const char *path, size_t len, bool truncated)
{
	size_t size = len + PATH_MARK_LEN + 1;
	char *s = malloc(size);

	if (s)
		path_mark(s, size, path, len, truncated);
	return s;
}
