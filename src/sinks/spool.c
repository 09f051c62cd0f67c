// SPDX-License-Identifier: GPL-2.0
/*
 * The spool's files: <dir>/<16 hex digits>.spool, numbered in the order they were started, each
 * a run of records: a header (the length of the body, the body's CRC-32) and a body (the
 * subject's and id's lengths, the subject, the id, the data). A segment is closed at an eighth
 * of the limit (at most 8 MiB), so that dropping the oldest one for space frees a bounded part.
 */
#include "sinks/spool.h"
#include "core/log.h"
#include "core/writefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SPOOL_MAX_BODY	 (1U << 20)
#define SPOOL_READ_CHUNK (1U << 20)
#define SEGMENT_MIN	 (4U << 10)
#define SEGMENT_MAX	 (8U << 20)
#define NO_SEGMENT	 UINT64_MAX

struct rec_header {
	uint32_t len; /* of the body */
	uint32_t crc; /* of the body */
};

struct body_header {
	uint16_t subject_len, id_len;
};

struct segment {
	uint64_t id;
	uint64_t size;	   /* bytes in the file */
	uint64_t read_off; /* what is before was delivered */
	uint64_t events;   /* in the messages after read_off */
};

struct spool {
	int dirfd;
	uint64_t limit, segment_max;
	struct segment *segs; /* oldest first; the last one takes appends */
	size_t n_segs, cap_segs;
	int tail_fd; /* open on the last segment, -1: start a new one at the next append */
	uint64_t next_id;
	uint64_t pinned; /* the segment a peeked batch came from, or NO_SEGMENT */
	/* events: spool_msg_events() of each message */
	uint64_t bytes, events, dropped;
	char *scratch;
	size_t scratch_cap;
};

static int spool_why(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int spool_why(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

static void segment_name(char name[32], uint64_t id)
{
	snprintf(name, 32, "%016" PRIx64 ".spool", id);
}

static int segment_id(const char *name, uint64_t *id)
{
	char *end;

	if (strlen(name) != 22 || strcmp(name + 16, ".spool"))
		return -EINVAL;
	errno = 0;
	*id = strtoull(name, &end, 16);
	return end == name + 16 && !errno ? 0 : -EINVAL;
}

/* A directory of ours that nobody else may write, as for the pins (core/pins.c). */
static int check_dir(int fd, const char *dir, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return spool_why(why, len, -errno, "%s: %s", dir, strerror(errno));
	if (st.st_uid != geteuid())
		return spool_why(why, len, -EPERM, "%s: another user owns it", dir);
	if (st.st_mode & 077) {
		if (fchmod(fd, 0700))
			return spool_why(why, len, -errno, "%s: %s", dir, strerror(errno));
		pr_warn("spool", "%s was open to others: made it 0700", dir);
	}
	return 0;
}

static int segs_push(struct spool *s, const struct segment *seg)
{
	if (s->n_segs == s->cap_segs) {
		size_t cap = s->cap_segs ? 2 * s->cap_segs : 16;
		struct segment *p = realloc(s->segs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->segs = p;
		s->cap_segs = cap;
	}
	s->segs[s->n_segs++] = *seg;
	return 0;
}

static int cmp_segment(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The length of the valid record at @p (@avail bytes there), or 0. */
static size_t record_len(const char *p, size_t avail)
{
	struct rec_header h;
	struct body_header bh;

	if (avail < sizeof(h))
		return 0;
	memcpy(&h, p, sizeof(h));
	if (h.len < sizeof(bh) || h.len > SPOOL_MAX_BODY || avail - sizeof(h) < h.len)
		return 0;
	if (crc32(0, (const Bytef *)p + sizeof(h), h.len) != h.crc)
		return 0;
	memcpy(&bh, p + sizeof(h), sizeof(bh));
	if ((size_t)bh.subject_len + bh.id_len + 2 > h.len - sizeof(bh))
		return 0;
	return sizeof(h) + h.len;
}

static void parse_record(const char *p, struct spool_msg *m)
{
	struct rec_header h;
	struct body_header bh;

	memcpy(&h, p, sizeof(h));
	p += sizeof(h);
	memcpy(&bh, p, sizeof(bh));
	p += sizeof(bh);
	m->subject = p;
	m->id = p + bh.subject_len + 1;
	m->data = m->id + bh.id_len + 1;
	m->len = h.len - sizeof(bh) - bh.subject_len - bh.id_len - 2;
}

/* Count the events of a segment left by a previous run; cut it after the last valid record. */
static int scan_segment(struct spool *s, const char *name, struct segment *seg)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	int fd, err = 0;

	fd = openat(s->dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		err = -EPERM;
		goto out;
	}
	buf = malloc(st.st_size ?: 1);
	if (!buf || pread(fd, buf, st.st_size, 0) != st.st_size) {
		err = buf ? -EIO : -ENOMEM;
		goto out;
	}
	for (size_t n; (n = record_len(buf + off, st.st_size - off)); off += n) {
		struct spool_msg m;

		parse_record(buf + off, &m);
		seg->events += spool_msg_events(&m);
	}
	if (off < (size_t)st.st_size) {
		pr_warn("spool",
			"%s: %zu bytes after the last whole message dropped (cut by a crash?)",
			name, (size_t)st.st_size - off);
		if (ftruncate(fd, off))
			err = -errno;
	}
	seg->size = off;
out:
	free(buf);
	close(fd);
	return err;
}

static int load_segments(struct spool *s, const char *dir, char *why, size_t len)
{
	int fd = dup(s->dirfd), err = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return spool_why(why, len, err, "%s: %s", dir, strerror(-err));
	}
	while (!err && (de = readdir(d))) {
		struct segment seg = { 0 };

		if (segment_id(de->d_name, &seg.id))
			continue;
		err = scan_segment(s, de->d_name, &seg);
		if (err) {
			spool_why(why, len, err, "%s/%s: %s", dir, de->d_name,
				  err == -EPERM ? "not a regular file of ours" : strerror(-err));
			break;
		}
		if (!seg.events) {
			unlinkat(s->dirfd, de->d_name, 0);
			continue;
		}
		err = segs_push(s, &seg);
		s->bytes += seg.size;
		s->events += seg.events;
		if (seg.id >= s->next_id)
			s->next_id = seg.id + 1;
	}
	closedir(d);
	if (!err)
		qsort(s->segs, s->n_segs, sizeof(*s->segs), cmp_segment);
	return err;
}

int spool_open(struct spool **out, const char *dir, uint64_t limit, char *why, size_t len)
{
	struct spool *s;
	int err;

	if (limit < SPOOL_MIN_LIMIT)
		return spool_why(why, len, -EINVAL, "a spool of %" PRIu64 " bytes is too small",
				 limit);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tail_fd = -1;
	s->pinned = NO_SEGMENT;
	s->limit = limit;
	s->segment_max = limit / 8 < SEGMENT_MIN   ? SEGMENT_MIN
			 : limit / 8 > SEGMENT_MAX ? SEGMENT_MAX
						   : limit / 8;
	err = make_dir_path(dir, 0700);
	if (err) {
		spool_why(why, len, err, "%s: %s", dir, strerror(-err));
		goto fail;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd < 0) {
		err = spool_why(why, len, -errno, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	err = check_dir(s->dirfd, dir, why, len) ?: load_segments(s, dir, why, len);
	if (err)
		goto fail_dir;
	*out = s;
	return 0;
fail_dir:
	close(s->dirfd);
fail:
	free(s->segs);
	free(s);
	return err;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->tail_fd >= 0)
		close(s->tail_fd);
	close(s->dirfd);
	free(s->segs);
	free(s->scratch);
	free(s);
}

static void remove_segment(struct spool *s, size_t i)
{
	char name[32];

	if (i == s->n_segs - 1 && s->tail_fd >= 0) {
		close(s->tail_fd);
		s->tail_fd = -1;
	}
	segment_name(name, s->segs[i].id);
	unlinkat(s->dirfd, name, 0);
	s->bytes -= s->segs[i].size;
	s->events -= s->segs[i].events;
	memmove(s->segs + i, s->segs + i + 1, (s->n_segs - i - 1) * sizeof(*s->segs));
	s->n_segs--;
}

/* Drop the oldest segment that no batch is reading: false when there is none. */
static bool drop_oldest(struct spool *s)
{
	for (size_t i = 0; i < s->n_segs; i++) {
		if (s->segs[i].id == s->pinned)
			continue;
		s->dropped += s->segs[i].events;
		remove_segment(s, i);
		return true;
	}
	return false;
}

static int start_segment(struct spool *s)
{
	struct segment seg = { .id = s->next_id++ };
	char name[32];
	int err;

	segment_name(name, seg.id);
	s->tail_fd =
		openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (s->tail_fd < 0)
		return -errno;
	err = segs_push(s, &seg);
	if (err) {
		close(s->tail_fd);
		s->tail_fd = -1;
		unlinkat(s->dirfd, name, 0);
	}
	return err;
}

/* Build the record of @m in the scratch buffer; its length, or 0 without memory. */
static size_t build_record(struct spool *s, const struct spool_msg *m)
{
	struct body_header bh = { strlen(m->subject), strlen(m->id) };
	size_t body = sizeof(bh) + bh.subject_len + 1 + bh.id_len + 1 + m->len;
	struct rec_header h = { .len = body };
	size_t total = sizeof(h) + body;
	char *p;

	if (total > s->scratch_cap) {
		p = realloc(s->scratch, total);
		if (!p)
			return 0;
		s->scratch = p;
		s->scratch_cap = total;
	}
	p = s->scratch + sizeof(h);
	memcpy(p, &bh, sizeof(bh));
	p += sizeof(bh);
	memcpy(p, m->subject, bh.subject_len + 1);
	p += bh.subject_len + 1;
	memcpy(p, m->id, bh.id_len + 1);
	p += bh.id_len + 1;
	memcpy(p, m->data, m->len);
	h.crc = crc32(0, (const Bytef *)s->scratch + sizeof(h), body);
	memcpy(s->scratch, &h, sizeof(h));
	return total;
}

size_t spool_msg_events(const struct spool_msg *m)
{
	const char *p = m->data, *end = m->data + m->len;
	size_t n = 1;

	/* a newline at the very end closes the last line, it starts none */
	for (; (p = memchr(p, '\n', end - p)); p++)
		n += p + 1 < end;
	return n;
}

int spool_append(struct spool *s, const struct spool_msg *m)
{
	size_t events = spool_msg_events(m);
	struct segment *tail;
	size_t n;
	ssize_t w;
	int err;

	if (strlen(m->subject) > UINT16_MAX || strlen(m->id) > UINT16_MAX ||
	    m->len > SPOOL_MAX_BODY - 2 * UINT16_MAX - 8 || m->len > s->limit / 2) {
		s->dropped += events;
		return -EMSGSIZE;
	}
	n = build_record(s, m);
	if (!n)
		return -ENOMEM;
	while (s->bytes + n > s->limit) {
		if (!drop_oldest(s)) {
			/* only the segment being replayed is left: this message is the one that
			 * goes */
			s->dropped += events;
			return 0;
		}
	}
	tail = s->n_segs ? &s->segs[s->n_segs - 1] : NULL;
	if (s->tail_fd < 0 || tail->size + n > s->segment_max) {
		if (s->tail_fd >= 0)
			close(s->tail_fd);
		s->tail_fd = -1;
		err = start_segment(s);
		if (err)
			return err;
		tail = &s->segs[s->n_segs - 1];
	}
	w = write(s->tail_fd, s->scratch, n);
	if (w != (ssize_t)n) {
		err = w < 0 ? -errno : -ENOSPC;
		/* never leave half a record: the next one would be read as garbage */
		if (w > 0 && ftruncate(s->tail_fd, tail->size))
			pr_warn("spool", "cannot cut a partial message: %s", strerror(errno));
		return err;
	}
	tail->size += n;
	tail->events += events;
	s->bytes += n;
	s->events += events;
	return 0;
}

static int batch_reserve(struct spool_batch *b, size_t msgs, size_t bytes)
{
	if (msgs > b->cap) {
		struct spool_msg *p = realloc(b->msgs, msgs * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->msgs = p;
		b->cap = msgs;
	}
	if (bytes > b->buf_cap) {
		char *p = realloc(b->buf, bytes);

		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->buf_cap = bytes;
	}
	return 0;
}

int spool_peek(struct spool *s, struct spool_batch *b, size_t max)
{
	struct segment *head;
	size_t want, off = 0;
	char name[32];
	ssize_t r;
	int fd, err;

	b->n = 0;
	/* segments read to the end (and no longer written) are gone */
	while (s->n_segs && s->segs[0].read_off == s->segs[0].size &&
	       (s->n_segs > 1 || s->tail_fd < 0))
		remove_segment(s, 0);
	if (!s->n_segs || s->segs[0].read_off == s->segs[0].size)
		return 0;
	head = &s->segs[0];
	want = head->size - head->read_off;
	if (want > SPOOL_READ_CHUNK)
		want = SPOOL_READ_CHUNK;
	err = batch_reserve(b, max, want);
	if (err)
		return err;
	segment_name(name, head->id);
	fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, b->buf, want, head->read_off);
	close(fd);
	if (r != (ssize_t)want)
		return r < 0 ? -errno : -EIO;
	for (size_t n; b->n < max && (n = record_len(b->buf + off, want - off)); off += n)
		parse_record(b->buf + off, &b->msgs[b->n++]);
	if (!b->n)
		return -EIO; /* a record longer than a chunk cannot be: they are refused at append
			      */
	b->buf_len = off;
	b->segment = head->id;
	b->end_off = head->read_off + off;
	s->pinned = head->id;
	return 0;
}

void spool_consume(struct spool *s, const struct spool_batch *b)
{
	uint64_t events = 0;

	s->pinned = NO_SEGMENT;
	if (!b->n || !s->n_segs || s->segs[0].id != b->segment)
		return;
	for (size_t i = 0; i < b->n; i++)
		events += spool_msg_events(&b->msgs[i]);
	s->segs[0].read_off = b->end_off;
	s->segs[0].events -= events;
	s->events -= events;
	if (s->segs[0].read_off == s->segs[0].size && (s->n_segs > 1 || s->tail_fd < 0))
		remove_segment(s, 0);
}

void spool_unpin(struct spool *s)
{
	s->pinned = NO_SEGMENT;
}

void spool_batch_free(struct spool_batch *b)
{
	free(b->msgs);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

bool spool_empty(const struct spool *s)
{
	return !s->events;
}

void spool_stats(const struct spool *s, struct spool_stats *st)
{
	st->events = s->events;
	st->bytes = s->bytes;
	st->dropped = s->dropped;
}
