// SPDX-License-Identifier: GPL-2.0
#include "enforce/fanotify.h"
#include "core/log.h"
#include "core/procstat.h"
#include "vigil/enforce.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* Refusals kept for the event stream until it takes them; beyond, they are counted only. */
#define QUEUE_LEN 256
/* Refusals reported lately, whose file sensor records may still come (a busy stream). */
#define RECENT_LEN 64
#define RECENT_NS  (10 * 1000000000ull)

/* One rule object, as the answering thread matches it. */
struct target {
	__u32 dev; /* the kernel's dev_t; 0 when pending */
	__u64 ino;
	char *path; /* canonical; a pending target is matched by it */
	size_t path_len;
	bool below;   /* also everything beneath it */
	bool pending; /* did not exist when resolved: matched by name */
	__u32 ops;    /* FANDENY_OPS it refuses */
	__u32 rule;
	char *cgroup; /* the scope's cgroup path without a trailing '/'; NULL: every process */
};

struct table {
	struct target *t;
	size_t n;
	bool has_below; /* any target that needs the walk up through the directories */
};

/* A mark the group holds; fd (O_PATH) names the object to remove it from. */
struct mark {
	unsigned int kind; /* FAN_MARK_INODE or FAN_MARK_FILESYSTEM */
	__u32 dev;
	__u64 ino; /* 0 for a file system */
	__u64 mask;
	bool dir; /* a directory watched for its children */
	int fd;
};

struct fandeny {
	int group;
	int stop[2];
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* the table, the queue, the stats */
	struct table table;
	struct mark *marks;
	size_t n_marks;
	struct fandeny_refusal *queue;
	size_t head, len;
	struct {
		__u32 tid;
		__u64 time_ns;
	} recent[RECENT_LEN];
	size_t recent_next;
	struct fandeny_stats stats;
	pid_t self;
	bool proc_warned; /* said once that a dir/ rule under /proc is left to the kill */
};

static __u32 kdev(dev_t d)
{
	return major(d) << 20 | minor(d);
}

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->t[i].path);
		free(t->t[i].cgroup);
	}
	free(t->t);
	memset(t, 0, sizeof(*t));
}

/* Is thread @tid one of this process's? */
static bool is_self(const struct fandeny *f, __u32 tid)
{
	char path[64];

	if (tid == (__u32)f->self)
		return true;
	snprintf(path, sizeof(path), "/proc/self/task/%u", tid);
	return !access(path, F_OK);
}

/* The cgroup of @tid ("/a/b"), into @buf; false when unknown. */
static bool task_cgroup(__u32 tid, char *buf, size_t len)
{
	char path[64], line[PATH_MAX + 8];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", tid);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			size_t n = strcspn(line + 3, "\n");

			found = n < len;
			if (found) {
				memcpy(buf, line + 3, n);
				buf[n] = '\0';
			}
			break;
		}
	if (f)
		fclose(f);
	return found;
}

/* Is @path @dir or beneath it (by whole components)? */
static bool path_within(const char *path, const char *dir, size_t dir_len)
{
	if (dir_len == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, dir_len) && (path[dir_len] == '\0' || path[dir_len] == '/');
}

/*
 * The access an open asks for, from the syscall the thread waits in (its flags argument):
 * VIGIL_FILE_ACCESS_*, or both when unknown (an openat2, an io_uring request), so that a
 * read-only or write-only rule refuses in the safe direction.
 */
static __u16 open_access(__u32 tid)
{
	const __u16 both = VIGIL_FILE_ACCESS_READ | VIGIL_FILE_ACCESS_WRITE;
	unsigned long long nr, a[3];
	char path[64], line[256];
	int flags_arg = -1;
	bool got = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/syscall", tid);
	f = fopen(path, "re");
	if (!f)
		return both;
	/* EAGAIN while the kernel waits for the task to be off its CPU: ask again */
	for (int tries = 0; tries < 3 && !got; tries++) {
		rewind(f);
		got = fgets(line, sizeof(line), f) != NULL;
	}
	if (!got || sscanf(line, "%llu %llx %llx %llx", &nr, &a[0], &a[1], &a[2]) != 4) {
		fclose(f);
		return both;
	}
	fclose(f);
#ifdef SYS_open
	if (nr == SYS_open)
		flags_arg = 1;
#endif
#ifdef SYS_creat
	if (nr == SYS_creat)
		return VIGIL_FILE_ACCESS_WRITE;
#endif
	if (nr == SYS_openat || nr == SYS_open_by_handle_at)
		flags_arg = 2;
	if (flags_arg < 0)
		return both;
	switch (a[flags_arg] & O_ACCMODE) {
	case O_RDONLY:
		return VIGIL_FILE_ACCESS_READ;
	case O_WRONLY:
		return VIGIL_FILE_ACCESS_WRITE;
	default:
		return both;
	}
}

/* What one event is judged on, gathered as needed. */
struct subject {
	__u32 tid;
	int fd;
	bool exec;
	__u32 dev;
	__u64 ino;
	char path[PATH_MAX];
	bool have_path, path_failed;
	char cgroup[PATH_MAX];
	int cgroup_known; /* -1 unknown yet, 0 unknowable, 1 in cgroup[] */
	int access;	  /* -1 unknown yet, else VIGIL_FILE_ACCESS_* */
};

static const char *subject_path(struct subject *s)
{
	char link[64];
	ssize_t n;

	if (s->have_path || s->path_failed)
		return s->have_path ? s->path : NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", s->fd);
	n = readlink(link, s->path, sizeof(s->path) - 1);
	if (n <= 0 || n >= (ssize_t)sizeof(s->path) - 1 || s->path[0] != '/') {
		s->path_failed = true;
		return NULL;
	}
	s->path[n] = '\0';
	s->have_path = true;
	return s->path;
}

/* Is the subject's process in @t's scope? Unknowable: yes (fail closed). */
static bool in_scope(struct subject *s, const struct target *t)
{
	if (!t->cgroup)
		return true;
	if (s->cgroup_known < 0)
		s->cgroup_known = task_cgroup(s->tid, s->cgroup, sizeof(s->cgroup));
	return !s->cgroup_known || path_within(s->cgroup, t->cgroup, strlen(t->cgroup));
}

/* Does @t refuse the subject's operation? */
static bool refuses(struct subject *s, const struct target *t)
{
	__u32 op;

	if (s->exec) {
		op = VIGIL_DENY_EXEC;
	} else {
		if ((t->ops & (VIGIL_DENY_READ | VIGIL_DENY_WRITE)) !=
			    (VIGIL_DENY_READ | VIGIL_DENY_WRITE) &&
		    s->access < 0)
			s->access = open_access(s->tid);
		op = s->access < 0
			     ? VIGIL_DENY_READ | VIGIL_DENY_WRITE
			     : (s->access & VIGIL_FILE_ACCESS_READ ? VIGIL_DENY_READ : 0) |
				       (s->access & VIGIL_FILE_ACCESS_WRITE ? VIGIL_DENY_WRITE : 0);
	}
	return (t->ops & op) && in_scope(s, t);
}

/* Is (@dev, @ino) the object of @t, or (@self false) a directory it refuses beneath? */
static const struct target *match_inode(const struct table *tb, struct subject *s, __u32 dev,
					__u64 ino, bool self)
{
	for (size_t i = 0; i < tb->n; i++) {
		const struct target *t = &tb->t[i];

		if (!t->pending && t->dev == dev && t->ino == ino && (self || t->below) &&
		    refuses(s, t))
			return t;
	}
	return NULL;
}

/*
 * The directories above the subject, by the path its fd resolves to in this namespace: each
 * one's (dev, inode), as BPF LSM walks the dentries. A path that cannot be resolved (longer
 * than PATH_MAX) cannot be cleared: any directory rule in scope refuses it (fail closed).
 */
static const struct target *match_above(const struct table *tb, struct subject *s)
{
	char dir[PATH_MAX];
	const char *path = subject_path(s);
	char *slash;

	if (!path) {
		for (size_t i = 0; i < tb->n; i++)
			if (tb->t[i].below && refuses(s, &tb->t[i]))
				return &tb->t[i];
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/'))) {
		const struct target *t;
		struct stat st;

		slash[slash == dir] = '\0';
		if (!stat(dir, &st) && (t = match_inode(tb, s, kdev(st.st_dev), st.st_ino, false)))
			return t;
		if (slash == dir)
			break;
	}
	return NULL;
}

/* A target that did not exist when resolved, matched by the name the object has now. */
static const struct target *match_pending(const struct table *tb, struct subject *s)
{
	for (size_t i = 0; i < tb->n; i++) {
		const struct target *t = &tb->t[i];
		const char *path;

		if (!t->pending || !(path = subject_path(s)))
			continue;
		if ((t->below ? path_within(path, t->path, t->path_len) : !strcmp(path, t->path)) &&
		    refuses(s, t))
			return t;
	}
	return NULL;
}

static const struct target *judge(const struct table *tb, struct subject *s)
{
	struct stat st;
	const struct target *t;
	bool any_pending = false;

	if (fstat(s->fd, &st))
		return NULL;
	s->dev = kdev(st.st_dev);
	s->ino = st.st_ino;
	t = match_inode(tb, s, s->dev, s->ino, true);
	if (!t && tb->has_below)
		t = match_above(tb, s);
	for (size_t i = 0; !t && !any_pending && i < tb->n; i++)
		any_pending = tb->t[i].pending;
	if (!t && any_pending)
		t = match_pending(tb, s);
	return t;
}

/* The process a refusal names, for its record; what cannot be read stays 0. */
static void fill_task(struct vigil_task *task, __u32 tid)
{
	long hz = sysconf(_SC_CLK_TCK);
	char path[64], line[256];
	struct proc_stat st;
	FILE *f;

	task->tid = tid;
	task->pid = tid;
	snprintf(path, sizeof(path), "/proc/%u/status", tid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "Tgid: %u", &task->pid);
		sscanf(line, "Uid: %u %u", &task->uid, &task->euid);
		sscanf(line, "Gid: %u", &task->gid);
	}
	if (f)
		fclose(f);
	if (!proc_stat_read(task->pid, &st)) {
		task->ppid = st.ppid;
		memcpy(task->comm, st.comm, sizeof(task->comm));
		if (hz > 0)
			task->start_ns = st.starttime * (1000000000ull / hz);
	}
}

static void queue_refusal(struct fandeny *f, const struct subject *s, __u32 rule,
			  const struct vigil_task *task)
{
	struct fandeny_refusal *r;

	pthread_mutex_lock(&f->lock);
	f->stats.denied++;
	if (f->len == QUEUE_LEN) {
		f->stats.unreported++;
		pthread_mutex_unlock(&f->lock);
		return;
	}
	r = &f->queue[(f->head + f->len++) % QUEUE_LEN];
	memset(r, 0, sizeof(*r));
	r->task = *task;
	r->rule = rule;
	r->exec = s->exec;
	/* an exec reads the file; an open whose flags are unknown may do either */
	r->access = s->exec	    ? VIGIL_FILE_ACCESS_READ
		    : s->access < 0 ? VIGIL_FILE_ACCESS_READ | VIGIL_FILE_ACCESS_WRITE
				    : s->access;
	r->dev = s->dev;
	r->inode = s->ino;
	r->time_ns = boot_ns();
	snprintf(r->path, sizeof(r->path), "%s", s->path);
	pthread_mutex_unlock(&f->lock);
}

/* Answer one permission event: refuse what a target refuses, allow the rest. */
static void answer(struct fandeny *f, const struct fanotify_event_metadata *m)
{
	struct subject s = { .tid = m->pid,
			     .fd = m->fd,
			     .exec = m->mask & FAN_OPEN_EXEC_PERM,
			     .cgroup_known = -1,
			     .access = -1 };
	struct fanotify_response resp = { .fd = m->fd, .response = FAN_ALLOW };
	const struct target *t = NULL;
	struct vigil_task task = { 0 };
	__u32 rule = 0;

	pthread_mutex_lock(&f->lock);
	f->stats.events++;
	if (!is_self(f, s.tid))
		t = judge(&f->table, &s);
	if (t) {
		rule = t->rule;
		resp.response = FAN_DENY;
		if (!subject_path(&s))
			snprintf(s.path, sizeof(s.path), "%s", t->path);
	}
	pthread_mutex_unlock(&f->lock);
	if (write(f->group, &resp, sizeof(resp)) != sizeof(resp)) {
		pthread_mutex_lock(&f->lock);
		f->stats.failed++;
		pthread_mutex_unlock(&f->lock);
	}
	/* after the answer: the opener waits for nothing else */
	if (resp.response == FAN_DENY) {
		fill_task(&task, s.tid);
		queue_refusal(f, &s, rule, &task);
	}
	close(m->fd);
}

static void *answer_loop(void *arg)
{
	struct fandeny *f = arg;
	struct pollfd p[2] = { { .fd = f->group, .events = POLLIN },
			       { .fd = f->stop[0], .events = POLLIN } };
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));

	while (!p[1].revents) {
		struct fanotify_event_metadata *m = (void *)buf;
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		n = read(f->group, buf, sizeof(buf));
		for (; n > 0 && FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0)
				continue;
			if (m->mask & (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM))
				answer(f, m);
			else
				close(m->fd);
		}
	}
	return NULL;
}

int fandeny_start(struct fandeny **out)
{
	struct fandeny *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -ENOMEM;
	f->stop[0] = f->stop[1] = -1;
	f->self = getpid();
	pthread_mutex_init(&f->lock, NULL);
	f->queue = calloc(QUEUE_LEN, sizeof(*f->queue));
	f->group = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
					 FAN_UNLIMITED_QUEUE | FAN_REPORT_TID,
				 O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (f->group < 0) {
		err = errno == ENOSYS || errno == EINVAL ? -EOPNOTSUPP : -errno;
		goto fail;
	}
	if (!f->queue || pipe2(f->stop, O_CLOEXEC)) {
		err = f->queue ? -errno : -ENOMEM;
		goto fail;
	}
	err = -pthread_create(&f->thread, NULL, answer_loop, f);
	if (err)
		goto fail;
	f->running = true;
	*out = f;
	return 0;
fail:
	fandeny_stop(f);
	return err;
}

void fandeny_stop(struct fandeny *f)
{
	if (!f)
		return;
	if (f->running && write(f->stop[1], "", 1) == 1)
		pthread_join(f->thread, NULL);
	/* closing the group lets every open still waiting on it through */
	if (f->group >= 0)
		close(f->group);
	for (size_t i = 0; i < f->n_marks; i++)
		close(f->marks[i].fd);
	if (f->stop[0] >= 0) {
		close(f->stop[0]);
		close(f->stop[1]);
	}
	table_free(&f->table);
	pthread_mutex_destroy(&f->lock);
	free(f->marks);
	free(f->queue);
	free(f);
}

/* The events a target needs: opens, execs, or both. */
static __u64 target_mask(__u32 ops)
{
	return (ops & (VIGIL_DENY_READ | VIGIL_DENY_WRITE) ? FAN_OPEN_PERM : 0) |
	       (ops & VIGIL_DENY_EXEC ? FAN_OPEN_EXEC_PERM : 0);
}

/* Add @m to @marks (merged with one on the same object), opening its O_PATH fd. */
static int want_mark(struct mark **marks, size_t *n, struct mark m, const char *path)
{
	struct mark *grown;
	struct stat st;

	for (size_t i = 0; i < *n; i++)
		if ((*marks)[i].kind == m.kind && (*marks)[i].dev == m.dev &&
		    (*marks)[i].ino == m.ino && (*marks)[i].dir == m.dir) {
			(*marks)[i].mask |= m.mask;
			return 0;
		}
	m.fd = open(path, O_PATH | O_CLOEXEC);
	if (m.fd < 0)
		return -errno;
	/* the object opened is the one resolved (not replaced in between) */
	if (fstat(m.fd, &st) || kdev(st.st_dev) != m.dev ||
	    (m.kind == FAN_MARK_INODE && st.st_ino != m.ino)) {
		close(m.fd);
		return -ESTALE;
	}
	grown = realloc(*marks, (*n + 1) * sizeof(*grown));
	if (!grown) {
		close(m.fd);
		return -ENOMEM;
	}
	*marks = grown;
	grown[(*n)++] = m;
	return 0;
}

/*
 * Resolve one entry into a target and the mark it needs. A missing object whose directory
 * exists is pending: matched by its canonical name, watched in that directory (its children);
 * with no directory either, -ENOENT (the next set looks again).
 */
static int resolve_one(const struct lsm_deny *d, struct target *t, struct mark **marks, size_t *n)
{
	char canon[PATH_MAX], parent[PATH_MAX];
	const char *name = strrchr(d->path, '/');
	__u64 mask = target_mask(d->ops);
	struct statfs sfs;
	struct stat st;

	t->ops = d->ops & FANDENY_OPS;
	t->rule = d->rule;
	t->below = d->below;
	if (d->cgroup) {
		size_t len = strlen(d->cgroup);

		while (len > 1 && d->cgroup[len - 1] == '/')
			len--;
		t->cgroup = strndup(d->cgroup, len);
		if (!t->cgroup)
			return -ENOMEM;
	}
	if (!stat(d->path, &st) && realpath(d->path, canon)) {
		t->dev = kdev(st.st_dev);
		t->ino = st.st_ino;
		t->path = strdup(canon);
		if (!t->path)
			return -ENOMEM;
		t->path_len = strlen(t->path);
		/* the answering thread reads /proc: a mark there would wait on itself */
		if (d->below && !statfs(canon, &sfs) && sfs.f_type == PROC_SUPER_MAGIC)
			return -EXDEV;
		if (d->below)
			return want_mark(
				marks, n,
				(struct mark){ .kind = FAN_MARK_FILESYSTEM,
					       .dev = t->dev,
					       .mask = mask | FAN_ONDIR | FAN_EVENT_ON_CHILD },
				canon);
		return want_mark(marks, n,
				 (struct mark){ .kind = FAN_MARK_INODE,
						.dev = t->dev,
						.ino = t->ino,
						.mask = mask | FAN_ONDIR },
				 canon);
	}
	if (!name || !name[1] || name == d->path)
		return -ENOENT;
	snprintf(parent, sizeof(parent), "%.*s", (int)(name - d->path), d->path);
	if (!realpath(parent, canon) || stat(canon, &st))
		return -ENOENT;
	t->pending = true;
	if (asprintf(&t->path, "%s%s", strcmp(canon, "/") ? canon : "", name) < 0) {
		t->path = NULL;
		return -ENOMEM;
	}
	t->path_len = strlen(t->path);
	return want_mark(marks, n,
			 (struct mark){ .kind = FAN_MARK_INODE,
					.dev = kdev(st.st_dev),
					.ino = st.st_ino,
					.mask = mask | FAN_ONDIR | FAN_EVENT_ON_CHILD,
					.dir = true },
			 canon);
}

/* Mark or unmark the object @m's fd names with @mask. */
static int apply_mark(int group, const struct mark *m, unsigned int how, __u64 mask)
{
	char path[64];

	if (!(mask & ~(__u64)(FAN_ONDIR | FAN_EVENT_ON_CHILD)) && how == FAN_MARK_REMOVE)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m->fd);
	return fanotify_mark(group, how | m->kind, mask, AT_FDCWD, path) ? -errno : 0;
}

static const struct mark *find_mark(const struct mark *marks, size_t n, const struct mark *m)
{
	for (size_t i = 0; i < n; i++)
		if (marks[i].kind == m->kind && marks[i].dev == m->dev && marks[i].ino == m->ino &&
		    marks[i].dir == m->dir)
			return &marks[i];
	return NULL;
}

int fandeny_set(struct fandeny *f, const struct lsm_deny *d, size_t count)
{
	struct table next = { .t = calloc(count ? count : 1, sizeof(*next.t)) };
	struct mark *marks = NULL;
	size_t n_marks = 0;
	struct table old;
	int err = next.t ? 0 : -ENOMEM;

	for (size_t i = 0; i < count && !err; i++) {
		if (!d[i].path || !(d[i].ops & FANDENY_OPS))
			continue;
		err = resolve_one(&d[i], &next.t[next.n], &marks, &n_marks);
		if (err == -EXDEV && !f->proc_warned)
			pr_warn("enforce",
				"%s: a directory of /proc is not refused by fanotify: its rule "
				"kills instead",
				d[i].path);
		f->proc_warned |= err == -EXDEV;
		if (err && err != -ENOMEM) {
			/* as BPF LSM: a path that cannot be resolved is looked up again later */
			pr_debug("enforce", "%s: %s: not refused by fanotify until it resolves",
				 d[i].path, strerror(-err));
			free(next.t[next.n].path);
			free(next.t[next.n].cgroup);
			memset(&next.t[next.n], 0, sizeof(next.t[next.n]));
			err = 0;
			continue;
		}
		next.has_below |= next.t[next.n].below;
		next.n++;
	}
	/* widen: every new mark (and new bits of a kept one) before the table uses them */
	for (size_t i = 0; i < n_marks && !err; i++) {
		err = apply_mark(f->group, &marks[i], FAN_MARK_ADD, marks[i].mask);
		if (err)
			pr_warn("enforce", "cannot place a fanotify mark: %s", strerror(-err));
	}
	if (err) {
		/* undo the marks the old list does not hold */
		for (size_t i = 0; i < n_marks; i++) {
			const struct mark *was = find_mark(f->marks, f->n_marks, &marks[i]);

			apply_mark(f->group, &marks[i], FAN_MARK_REMOVE,
				   marks[i].mask & ~(was ? was->mask : 0));
			close(marks[i].fd);
		}
		free(marks);
		table_free(&next);
		return err;
	}
	pthread_mutex_lock(&f->lock);
	old = f->table;
	f->table = next;
	pthread_mutex_unlock(&f->lock);
	table_free(&old);
	/* narrow: what only the old list held */
	for (size_t i = 0; i < f->n_marks; i++) {
		const struct mark *now = find_mark(marks, n_marks, &f->marks[i]);

		apply_mark(f->group, &f->marks[i], FAN_MARK_REMOVE,
			   f->marks[i].mask & ~(now ? now->mask : 0));
		close(f->marks[i].fd);
	}
	pthread_mutex_lock(&f->lock);
	free(f->marks);
	f->marks = marks;
	f->n_marks = n_marks;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

/* Take the queued refusal at @i (the queue keeps its order). */
static void take_at(struct fandeny *f, size_t i, struct fandeny_refusal *out)
{
	*out = f->queue[(f->head + i) % QUEUE_LEN];
	for (size_t j = i; j > 0; j--)
		f->queue[(f->head + j) % QUEUE_LEN] = f->queue[(f->head + j - 1) % QUEUE_LEN];
	f->head = (f->head + 1) % QUEUE_LEN;
	f->len--;
}

int fandeny_claim(struct fandeny *f, __u32 tid, struct fandeny_refusal *out)
{
	__u64 now = boot_ns();
	int err = -ENOENT;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->len && err; i++)
		if (f->queue[(f->head + i) % QUEUE_LEN].task.tid == tid &&
		    !f->queue[(f->head + i) % QUEUE_LEN].exec) {
			take_at(f, i, out);
			err = 0;
		}
	for (size_t i = 0; i < RECENT_LEN && err; i++)
		if (f->recent[i].tid == tid && now - f->recent[i].time_ns < RECENT_NS) {
			f->recent[i].tid = 0;
			err = -EALREADY;
		}
	pthread_mutex_unlock(&f->lock);
	return err;
}

int fandeny_take(struct fandeny *f, __u64 min_age_ns, struct fandeny_refusal *out)
{
	__u64 now = boot_ns();
	int err = -ENOENT;

	pthread_mutex_lock(&f->lock);
	if (f->len && now - f->queue[f->head].time_ns >= min_age_ns) {
		take_at(f, 0, out);
		if (!out->exec) {
			f->recent[f->recent_next].tid = out->task.tid;
			f->recent[f->recent_next].time_ns = now;
			f->recent_next = (f->recent_next + 1) % RECENT_LEN;
		}
		err = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return err;
}

void fandeny_stats(struct fandeny *f, struct fandeny_stats *out)
{
	pthread_mutex_lock(&f->lock);
	*out = f->stats;
	out->files = out->dirs = out->filesystems = 0;
	for (size_t i = 0; i < f->n_marks; i++) {
		if (f->marks[i].kind == FAN_MARK_FILESYSTEM)
			out->filesystems++;
		else if (f->marks[i].dir)
			out->dirs++;
		else
			out->files++;
	}
	pthread_mutex_unlock(&f->lock);
}
