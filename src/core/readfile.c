// SPDX-License-Identifier: GPL-2.0
#include "core/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int read_regular_file(const char *path, size_t max, char **buf, size_t *len)
{
	size_t got = 0, cap;
	struct stat st;
	char *b = NULL, *nb;
	ssize_t n;
	int fd, ret = 0;

	/* non-blocking: opening a FIFO that has no writer would wait for one */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	/* to the end, whatever the size said (/proc's files say 0), and one byte past @max */
	cap = ((size_t)st.st_size < max ? (size_t)st.st_size : max) + 1;
	for (;;) {
		if (!b || got == cap) {
			if (b)
				cap = cap > max / 2 ? max + 1 : 2 * cap;
			nb = got > max ? NULL : realloc(b, cap + 1);
			if (!nb) {
				ret = got > max ? -EFBIG : -ENOMEM;
				goto out;
			}
			b = nb;
		}
		n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (!n)
			break;
		got += n;
	}
	if (got > max) {
		ret = -EFBIG;
		goto out;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return ret;
}
