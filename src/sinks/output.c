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
 *
 * stdio hands over its buffer wherever it is full, mid-line too: whole lines go to the writer,
 * the start of an unfinished one waits for its end. A write that fails is never fatal here: the
 * agent must go on enforcing with a full disk; its lines are counted, and the next block is
 * tried again.
 */
#include "sinks/output.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_BYTES (1 << 20)
/* What waits for the writer: an unfinished line shorter than a block, then a block. */
#define FILL_BYTES (2 * BLOCK_BYTES)
/* A disk all but full lets a small batch through now and then: "works again" needs this long. */
#define RECOVERED_AFTER_S 5

struct output {
	FILE *stream;
	int fd;
	char *path;   /* NULL: standard output, not ours to close or reopen */
	bool regular; /* a line cut short can be taken back */
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a block was handed over or written, or the end came */
	char *stdio_buf;	/* stdio formats into it */
	char *fill;		/* whole lines and an unfinished one, waiting for the writer */
	size_t fill_len;
	char *block; /* the writer writes it */
	size_t len;  /* > 0: handed over, not yet written */
	uint64_t unwritten;
	int error; /* of the last write */
	bool closing;
	/* the main thread's (output_report): said writing fails; when a loss was last seen */
	bool said_failing;
	uint64_t seen_unwritten;
	time_t loss_at;
};

static size_t count_lines(const char *p, size_t n)
{
	size_t lines = 0;

	for (const char *end = p + n; (p = memchr(p, '\n', end - p)); p++)
		lines++;
	return lines;
}

/*
 * Write @n bytes of whole lines; on a failure, the lines not written are added to *@unwritten
 * and a line the file got only part of is cut off again. Returns 0 or an errno.
 */
static int write_lines(int fd, bool regular, const char *p, size_t n, uint64_t *unwritten)
{
	size_t done = 0, kept;
	const char *nl;
	struct stat st;
	int err = 0;

	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : EIO;
			break;
		}
		done += w;
	}
	if (!err)
		return 0;
	nl = done ? memrchr(p, '\n', done) : NULL;
	kept = nl ? (size_t)(nl - p) + 1 : 0;
	if (kept < done && regular && !fstat(fd, &st) && st.st_size >= (off_t)(done - kept) &&
	    ftruncate(fd, st.st_size - (done - kept)))
		pr_debug("output", "cannot cut a partial line off: %s", strerror(errno));
	*unwritten += count_lines(p + kept, n - kept);
	return err;
}

static void *writer_main(void *arg)
{
	struct output *o = arg;
	uint64_t unwritten;
	const char *block;
	bool regular;
	int fd, err;
	size_t len;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		while (!o->len && !o->closing)
			pthread_cond_wait(&o->changed, &o->lock);
		if (!o->len)
			break;
		/* the block and the file change only while no block is in flight */
		block = o->block;
		len = o->len;
		fd = o->fd;
		regular = o->regular;
		unwritten = 0;
		pthread_mutex_unlock(&o->lock);
		err = write_lines(fd, regular, block, len, &unwritten);
		pthread_mutex_lock(&o->lock);
		o->error = err;
		o->unwritten += unwritten;
		o->len = 0;
		pthread_cond_broadcast(&o->changed);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* With o->lock: hand the writer the whole lines filled so far (@all: everything). */
static void submit(struct output *o, bool all)
{
	const char *nl = memrchr(o->fill, '\n', o->fill_len);
	size_t whole = nl ? (size_t)(nl - o->fill) + 1 : 0;
	char *t;

	/* a line longer than a block cannot wait for its end */
	if (all || o->fill_len - whole >= BLOCK_BYTES)
		whole = o->fill_len;
	if (!whole)
		return;
	while (o->len)
		pthread_cond_wait(&o->changed, &o->lock);
	t = o->block;
	o->block = o->fill;
	o->fill = t;
	o->len = whole;
	o->fill_len -= whole;
	memcpy(o->fill, o->block + whole, o->fill_len);
	pthread_cond_broadcast(&o->changed);
}

/* stdio's write: every byte is taken; what the writer cannot write, it counts. */
static ssize_t hand_over(void *cookie, const char *buf, size_t size)
{
	struct output *o = cookie;
	size_t done = 0, n;

	pthread_mutex_lock(&o->lock);
	while (done < size) {
		/* fill_len < BLOCK_BYTES here: submit() leaves no more */
		n = size - done < BLOCK_BYTES ? size - done : BLOCK_BYTES;
		memcpy(o->fill + o->fill_len, buf + done, n);
		o->fill_len += n;
		done += n;
		submit(o, false);
	}
	pthread_mutex_unlock(&o->lock);
	return size;
}

static void output_free(struct output *o)
{
	pthread_cond_destroy(&o->changed);
	pthread_mutex_destroy(&o->lock);
	free(o->stdio_buf);
	free(o->fill);
	free(o->block);
	free(o->path);
	free(o);
}

/* Let the writer finish what it was handed, and stop it. */
static void writer_stop(struct output *o)
{
	pthread_mutex_lock(&o->lock);
	o->closing = true;
	pthread_cond_broadcast(&o->changed);
	pthread_mutex_unlock(&o->lock);
	pthread_join(o->writer, NULL);
}

static int finish(void *cookie)
{
	struct output *o = cookie;

	pthread_mutex_lock(&o->lock);
	submit(o, true);
	pthread_mutex_unlock(&o->lock);
	writer_stop(o);
	if (o->path)
		close(o->fd);
	output_free(o);
	return 0;
}

static bool is_regular(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode);
}

int output_new(struct output **out, int fd, const char *path)
{
	static const cookie_io_functions_t io = { .write = hand_over, .close = finish };
	struct output *o = calloc(1, sizeof(*o));
	sigset_t all, old;
	int err;

	if (!o)
		return -ENOMEM;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->changed, NULL);
	o->block = malloc(FILL_BYTES);
	o->fill = malloc(FILL_BYTES);
	o->stdio_buf = malloc(BLOCK_BYTES);
	o->path = path ? strdup(path) : NULL;
	if (!o->block || !o->fill || !o->stdio_buf || (path && !o->path)) {
		output_free(o);
		return -ENOMEM;
	}
	o->fd = fd;
	o->regular = is_regular(fd);
	/* Signals are the main thread's; a write to a closed pipe fails with EPIPE. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&o->writer, NULL, writer_main, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		output_free(o);
		return -err;
	}
	o->stream = fopencookie(o, "w", io);
	if (!o->stream) {
		err = -errno;
		writer_stop(o);
		output_free(o);
		return err;
	}
	/* stdio does not touch a buffer of the caller's after the close: finish() frees it */
	setvbuf(o->stream, o->stdio_buf, _IOFBF, BLOCK_BYTES);
	*out = o;
	return 0;
}

FILE *output_stream(struct output *o)
{
	return o->stream;
}

void output_sync(struct output *o)
{
	fflush(o->stream);
	pthread_mutex_lock(&o->lock);
	while (o->len)
		pthread_cond_wait(&o->changed, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

void output_close(struct output *o)
{
	if (o)
		fclose(o->stream);
}

int output_reopen(struct output *o, char *msg, size_t len)
{
	char why[256];
	int fd, old;

	if (!o->path) {
		snprintf(msg, len, "events go to standard output: there is no file to reopen");
		return -EINVAL;
	}
	fd = output_file_open(o->path, why, sizeof(why));
	if (fd < 0) {
		snprintf(msg, len,
			 "cannot reopen %s: %s; events still go to the file opened before", o->path,
			 why);
		return fd;
	}
	/* what was formatted for the old file goes there */
	output_sync(o);
	pthread_mutex_lock(&o->lock);
	old = o->fd;
	o->fd = fd;
	o->regular = is_regular(fd);
	pthread_mutex_unlock(&o->lock);
	close(old);
	snprintf(msg, len, "reopened %s", o->path);
	return 0;
}

void output_stats(struct output *o, struct output_stats *st)
{
	pthread_mutex_lock(&o->lock);
	st->path = o->path;
	st->unwritten = o->unwritten;
	st->error = o->error;
	st->queued = o->fill_len + o->len;
	st->capacity = FILL_BYTES + BLOCK_BYTES;
	pthread_mutex_unlock(&o->lock);
}

void output_report(struct output *o, const char *who)
{
	struct timespec now;
	struct output_stats st;
	const char *path;

	output_stats(o, &st);
	clock_gettime(CLOCK_MONOTONIC, &now);
	path = st.path ? st.path : "standard output";
	if (st.unwritten != o->seen_unwritten) {
		o->seen_unwritten = st.unwritten;
		o->loss_at = now.tv_sec;
	}
	if (st.error && !o->said_failing) {
		pr_warn(who,
			"cannot write events to %s: %s; vigil goes on and counts the events not "
			"written (vigil status)",
			path, strerror(st.error));
		o->said_failing = true;
	} else if (!st.error && o->said_failing && now.tv_sec - o->loss_at >= RECOVERED_AFTER_S) {
		pr_info(who, "writing events to %s again; %llu events could not be written so far",
			path, (unsigned long long)st.unwritten);
		o->said_failing = false;
	}
}
