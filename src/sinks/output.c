// SPDX-License-Identifier: GPL-2.0
/*
 * Under a flood of events, writing them costs the consumer more than formatting them: the kernel
 * copies every byte into page-cache memory, which on a VM the host may first have to fault in.
 * Formatting one buffer while a thread writes the previous one keeps two CPUs busy instead of
 * one. Order is kept: there is one writer and one block in flight.
 *
 * Buffers of a MiB: fewer writes, and whole page-cache folios, which the kernel otherwise zeroes
 * before each small write fills them (a quarter of the consumer's time at 4 KiB). glibc's setvbuf
 * takes a size only with a buffer of the caller's own.
 */
#include "sinks/output.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_BYTES (1 << 20)

struct output {
	int fd;
	bool own_fd;
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a block was handed over or written, or the end came */
	char *stdio_buf;	/* stdio formats into it */
	char *block;		/* the writer writes it */
	size_t len;		/* > 0: handed over, not yet written */
	int error;		/* the first write's errno */
	bool closing;
};

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		n -= w;
	}
	return 0;
}

static void *writer_main(void *arg)
{
	struct output *o = arg;
	int err;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		while (!o->len && !o->closing)
			pthread_cond_wait(&o->changed, &o->lock);
		if (!o->len)
			break;
		pthread_mutex_unlock(&o->lock);
		/* after an error, what comes is not written (the caller has been told) */
		err = o->error ? 0 : write_all(o->fd, o->block, o->len);
		pthread_mutex_lock(&o->lock);
		if (err)
			o->error = err;
		o->len = 0;
		pthread_cond_broadcast(&o->changed);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* stdio's write: wait for the writer to be free, hand it a copy of @buf. */
static ssize_t hand_over(void *cookie, const char *buf, size_t size)
{
	struct output *o = cookie;
	size_t done = 0, n;
	int err;

	pthread_mutex_lock(&o->lock);
	while (done < size) {
		while (o->len && !o->error)
			pthread_cond_wait(&o->changed, &o->lock);
		if (o->error)
			break;
		n = size - done < BLOCK_BYTES ? size - done : BLOCK_BYTES;
		memcpy(o->block, buf + done, n);
		o->len = n;
		done += n;
		pthread_cond_broadcast(&o->changed);
	}
	err = o->error;
	pthread_mutex_unlock(&o->lock);
	if (err) {
		errno = err;
		return -1;
	}
	return size;
}

static void output_free(struct output *o)
{
	pthread_cond_destroy(&o->changed);
	pthread_mutex_destroy(&o->lock);
	free(o->stdio_buf);
	free(o->block);
	free(o);
}

/* Let the writer finish what it was handed, and stop it. */
static int writer_stop(struct output *o)
{
	pthread_mutex_lock(&o->lock);
	o->closing = true;
	pthread_cond_broadcast(&o->changed);
	pthread_mutex_unlock(&o->lock);
	pthread_join(o->writer, NULL);
	return o->error;
}

static int finish(void *cookie)
{
	struct output *o = cookie;
	int err = writer_stop(o);

	if (o->own_fd && close(o->fd) && !err)
		err = errno;
	output_free(o);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

FILE *output_open(int fd, bool own_fd)
{
	static const cookie_io_functions_t io = { .write = hand_over, .close = finish };
	struct output *o = calloc(1, sizeof(*o));
	sigset_t all, old;
	FILE *f;
	int err;

	if (!o)
		return NULL;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->changed, NULL);
	o->block = malloc(BLOCK_BYTES);
	o->stdio_buf = malloc(BLOCK_BYTES);
	if (!o->block || !o->stdio_buf) {
		output_free(o);
		errno = ENOMEM;
		return NULL;
	}
	o->fd = fd;
	o->own_fd = own_fd;
	/* Signals are the main thread's; a write to a closed pipe fails with EPIPE. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&o->writer, NULL, writer_main, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		output_free(o);
		errno = err;
		return NULL;
	}
	f = fopencookie(o, "w", io);
	if (!f) {
		err = errno;
		writer_stop(o);
		output_free(o);
		errno = err;
		return NULL;
	}
	/* stdio does not touch a buffer of the caller's after the close: finish() frees it */
	setvbuf(f, o->stdio_buf, _IOFBF, BLOCK_BYTES);
	return f;
}
