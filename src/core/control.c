// SPDX-License-Identifier: GPL-2.0
#include "core/control.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A client gets this long to send its request: a stalled one cannot stall the agent. */
#define CLIENT_TIMEOUT_MS 2000

struct control {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	control_handler fn;
	void *ctx;
};

static int address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

const char *control_path(void)
{
	const char *env = getenv(CONTROL_ENV);

	return env && *env ? env : CONTROL_PATH;
}

int control_open(struct control **out, const char *path, control_handler fn, void *ctx)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)], *slash;
	int err;

	if (!c)
		return -ENOMEM;
	c->fd = -1;
	err = address(path, &sa);
	if (err)
		goto fail;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			err = -errno;
			goto fail;
		}
	}
	/*
	 * Something listening there owns it, even if the ping failed on the way (a signal); a dead
	 * agent's socket, where nothing listens, is replaced.
	 */
	err = control_request(path, "ping", NULL, 0, NULL);
	if (err != -ECONNREFUSED && err != -ENOENT) {
		err = -EADDRINUSE;
		goto fail;
	}
	unlink(path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(c->fd, 16)) {
		err = -errno;
		goto fail;
	}
	c->fn = fn;
	c->ctx = ctx;
	*out = c;
	return 0;
fail:
	if (c->fd >= 0) {
		close(c->fd);
		unlink(path);
	}
	free(c);
	return err;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}

/* The whole request: read until the client shuts down its side, at most the body limit. */
static char *read_request(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;

	while (buf) {
		if (n == cap) {
			char *more = cap >= CONTROL_BODY_MAX ? NULL : realloc(buf, 2 * cap + 1);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (!got) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += got;
	}
	free(buf);
	return NULL;
}

static void serve_one(struct control *c, int fd)
{
	struct timeval tv = { CLIENT_TIMEOUT_MS / 1000, CLIENT_TIMEOUT_MS % 1000 * 1000 };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char *req, *nl, *resp = NULL;
	size_t len, resp_len = 0;
	FILE *out;
	int status;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The socket is 0600 root's; the peer's credentials are checked all the same. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || cred.uid != 0) {
		dprintf(fd, "1\nonly root may control vigil\n");
		return;
	}
	req = read_request(fd, &len);
	if (!req) {
		dprintf(fd, "1\nthe request was too large or did not arrive in time\n");
		return;
	}
	nl = memchr(req, '\n', len);
	if (nl)
		*nl = '\0';
	out = open_memstream(&resp, &resp_len);
	if (!out) {
		free(req);
		return;
	}
	status = !strcmp(req, "ping")
			 ? 0
			 : c->fn(c->ctx, req, nl ? nl + 1 : "", nl ? len - (nl + 1 - req) : 0, out);
	fclose(out);
	dprintf(fd, "%d\n", status ? 1 : 0);
	for (size_t off = 0; resp && off < resp_len;) {
		ssize_t w = write(fd, resp + off, resp_len - off);

		if (w <= 0)
			break;
		off += w;
	}
	free(resp);
	free(req);
}

void control_serve(struct control *c)
{
	int fd;

	while ((fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		serve_one(c, fd);
		close(fd);
	}
}

int control_request(const char *path, const char *cmd, const char *body, size_t len, char **resp)
{
	struct sockaddr_un sa;
	size_t n = 0, cap = 4096;
	char *buf = NULL;
	int fd, err, status = -EPROTO;
	ssize_t got;

	err = address(path, &sa);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto out;
	}
	if (dprintf(fd, "%s\n", cmd) < 0 || (len && write(fd, body, len) != (ssize_t)len)) {
		err = -errno;
		goto out;
	}
	shutdown(fd, SHUT_WR);
	buf = malloc(cap + 1);
	while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
		n += got;
		if (n == cap) {
			char *more = realloc(buf, 2 * cap + 1);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	buf[n] = '\0';
	if (n >= 2 && (buf[0] == '0' || buf[0] == '1') && buf[1] == '\n') {
		status = buf[0] - '0';
		memmove(buf, buf + 2, n - 1);
	}
	err = status;
	if (resp) {
		*resp = buf;
		buf = NULL;
	}
out:
	free(buf);
	close(fd);
	return err;
}
