// SPDX-License-Identifier: GPL-2.0
#include "core/control.h"
#include "core/log.h"
#include "core/procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
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

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* When a client call started now gives up (CLOCK_MONOTONIC ms). */
static double client_deadline(void)
{
	const char *env = getenv(CONTROL_TIMEOUT_ENV);
	char *end = NULL;
	double s = env && *env ? strtod(env, &end) : 0;

	if (!end || *end || !(s > 0 && s <= 3600))
		s = CONTROL_TIMEOUT_S;
	return now_ms() + s * 1e3;
}

/* Wait until @fd is ready for @events, at most until @deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		double left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left + 1);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/*
 * Connect to the socket at @path and learn who listens there (@peer), sending nothing. Returns
 * the connected fd (non-blocking), or -errno: -ENOTSOCK when no socket is there, -ETIMEDOUT
 * when its backlog stays full (the listener accepts nothing: stopped).
 */
static int connect_peer(const char *path, struct ucred *peer, double deadline)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	socklen_t plen = sizeof(*peer);
	struct sockaddr_un sa;
	struct stat st;
	int fd, err = address(path, &sa);

	if (err)
		return err;
	if (lstat(path, &st))
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (err != -ETIMEDOUT || now_ms() >= deadline)
			goto fail;
		nanosleep(&pause, NULL);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, peer, &plen)) {
		err = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

/* Is process @pid a vigil agent: this very program, or one called vigil? */
static bool is_vigil(pid_t pid)
{
	char link[64], exe[PATH_MAX], *base;
	struct stat peer, self;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (!stat(link, &peer) && !stat("/proc/self/exe", &self) && peer.st_dev == self.st_dev &&
	    peer.st_ino == self.st_ino)
		return true;
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	/* a package upgrade replaced the running binary */
	if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
		exe[n - 10] = '\0';
	base = strrchr(exe, '/');
	return !strcmp(base ? base + 1 : exe, "vigil");
}

/* The socket's directory: made 0700 when missing; it must be root's and writable by root only. */
static int check_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_err("control", "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st)) {
		pr_err("control", "cannot look at %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_err("control", "%s is not a directory: the control socket cannot go there", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || st.st_mode & 022) {
		pr_err("control",
		       "%s (owner uid %u, mode %04o) is not safe for the control socket: "
		       "another user could replace it; it must be root's and writable by root only",
		       dir, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/*
 * Is @pid on its way out (exiting, a zombie, or gone)? A killed agent's listening socket
 * outlives it while the kernel tears the process down (closing its BPF links takes seconds).
 */
static bool exiting(pid_t pid)
{
	struct proc_stat st;

	return proc_stat_read(pid, &st) || st.state == 'Z' || st.state == 'X' ||
	       st.flags & PF_EXITING;
}

/*
 * What is at @path already: nothing, or a dead agent's socket (removed), is 0; a vigil agent,
 * answering or stopped, -EADDRINUSE; anything else is left alone and refused.
 */
static int check_holder(const char *path)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	struct ucred peer;
	struct stat st;
	int fd;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("control", "%s is there and is not a socket (%s): remove it by hand", path,
		       S_ISDIR(st.st_mode)   ? "a directory"
		       : S_ISLNK(st.st_mode) ? "a symbolic link"
					     : "a file");
		return -ENOTSOCK;
	}
	fd = connect_peer(path, &peer, client_deadline());
	/* a holder being torn down: its socket refuses connections once it is gone (10 s) */
	for (int i = 0; i < 100 && fd >= 0 && exiting(peer.pid); i++) {
		close(fd);
		nanosleep(&pause, NULL);
		fd = connect_peer(path, &peer, client_deadline());
	}
	if (fd == -ECONNREFUSED)
		return unlink(path) && errno != ENOENT ? -errno : 0;
	if (fd == -ETIMEDOUT) {
		pr_err("control", "%s is held by a process that accepts nothing (stopped?)", path);
		return -EADDRINUSE;
	}
	if (fd < 0)
		return fd;
	close(fd);
	if (peer.uid == 0 && is_vigil(peer.pid)) {
		pr_err("control", "another vigil agent (pid %d) holds %s", (int)peer.pid, path);
		return -EADDRINUSE;
	}
	pr_err("control", "%s is held by pid %d (uid %u), which is not a vigil agent: not replaced",
	       path, (int)peer.pid, (unsigned int)peer.uid);
	return -EPERM;
}

int control_open(struct control **out, const char *path, control_handler fn, void *ctx)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa;
	int err;

	if (!c)
		return -ENOMEM;
	c->fd = -1;
	err = address(path, &sa) ?: check_dir(path) ?: check_holder(path);
	if (err)
		goto fail;
	snprintf(c->path, sizeof(c->path), "%s", path);
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

/* Has the client closed its end (given up waiting)? Its request is then not carried out. */
static bool client_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && p.revents & (POLLHUP | POLLERR);
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
	if (client_gone(fd)) {
		if (*req)
			pr_warn("control",
				"'%s' request dropped: its client gave up waiting before it was "
				"read",
				req);
		free(req);
		return;
	}
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
		ssize_t w = send(fd, resp + off, resp_len - off, MSG_NOSIGNAL);

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

/* Send all of @buf before @deadline. */
static int send_all(int fd, const char *buf, size_t len, double deadline)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		int err;

		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (w > 0) {
			buf += w;
			len -= w;
			continue;
		}
		err = wait_fd(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

/* The whole response, until the agent closes, before @deadline; NUL-terminated. */
static int read_all(int fd, char **out, size_t *len, double deadline)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	int err = 0;

	while (buf && !err) {
		ssize_t got = read(fd, buf + n, cap - n);

		if (got == 0)
			break;
		if (got < 0) {
			err = errno == EAGAIN || errno == EINTR ? wait_fd(fd, POLLIN, deadline)
								: -errno;
			continue;
		}
		n += got;
		if (n == cap) {
			char *more = cap >= CONTROL_BODY_MAX ? NULL : realloc(buf, 2 * cap + 1);

			if (!more) {
				err = -ENOMEM;
				break;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (!buf)
		return -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int control_request(const char *path, const char *cmd, const char *body, size_t len, char **resp)
{
	double deadline = client_deadline();
	struct ucred peer;
	char *buf = NULL;
	size_t n;
	int fd, err;

	fd = connect_peer(path, &peer, deadline);
	if (fd < 0)
		return fd;
	/* not the agent: whoever made that socket gets nothing, not even the command */
	if (peer.uid != 0) {
		err = -EKEYREJECTED;
		goto out;
	}
	err = send_all(fd, cmd, strlen(cmd), deadline) ?: send_all(fd, "\n", 1, deadline)
		?: send_all(fd, body, len, deadline);
	if (err)
		goto out;
	shutdown(fd, SHUT_WR);
	err = read_all(fd, &buf, &n, deadline);
	if (err)
		goto out;
	err = -EPROTO;
	if (n >= 2 && (buf[0] == '0' || buf[0] == '1') && buf[1] == '\n') {
		err = buf[0] - '0';
		memmove(buf, buf + 2, n - 1);
	}
	if (resp && err >= 0) {
		*resp = buf;
		buf = NULL;
	}
out:
	free(buf);
	close(fd);
	return err;
}

void control_strerror(int err, const char *path, char *buf, size_t len)
{
	switch (-err) {
	case ENOENT:
	case ECONNREFUSED:
		snprintf(buf, len, "no agent is running (nothing answers at %s)", path);
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len, "permission denied: run it as root");
		break;
	case ETIMEDOUT:
		snprintf(buf, len, "the agent at %s does not answer (stopped?)", path);
		break;
	case ENOTSOCK:
		snprintf(buf, len, "%s is not a socket: no agent made it", path);
		break;
	case EKEYREJECTED:
		snprintf(buf, len,
			 "what listens at %s does not run as root: it is not a vigil agent, and "
			 "nothing was sent to it",
			 path);
		break;
	default:
		snprintf(buf, len, "cannot talk to the agent at %s: %s", path, strerror(-err));
	}
}
