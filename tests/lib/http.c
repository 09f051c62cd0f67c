// SPDX-License-Identifier: GPL-2.0
#include "http.h"
#include "sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int free_port(void)
{
	struct server s;
	int port = listen_on(&s, AF_INET, 0) ? s.port : -1;

	if (s.fd >= 0)
		close(s.fd);
	return port;
}

static int connect_port(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval timeout = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

int http_get(int port, const char *target, char *body, size_t len, char *headers, size_t hlen)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *end, req[1024];
	int fd = connect_port(port), status = -1;
	ssize_t r;

	body[0] = '\0';
	if (fd < 0 || !buf)
		goto out;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", target, port);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	/* HTTP/1.0: the server closes the connection after the answer */
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += r;
		if (n == cap - 1) {
			char *more = realloc(buf, cap * 2);

			if (!more)
				goto out;
			buf = more;
			cap *= 2;
		}
	}
	buf[n] = '\0';
	end = strstr(buf, "\r\n\r\n");
	if (!end || sscanf(buf, "HTTP/%*s %d", &status) != 1)
		goto out;
	snprintf(body, len, "%s", end + 4);
	if (headers)
		snprintf(headers, hlen, "%.*s", (int)(end - buf), buf);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return status;
}
