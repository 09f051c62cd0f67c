// SPDX-License-Identifier: GPL-2.0
#include "events/proctab.h"
#include "core/procstat.h"
#include "events/pathmark.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

struct proctab {
	struct proc **buckets;
	size_t n_buckets; /* a power of two */
	size_t size, capacity;
	__u64 generation; /* moves on every change, so cached views of it can tell */
	/* least recently started first */
	struct proc *lru_head, *lru_tail;
};

static size_t bucket_of(const struct proctab *t, __u32 pid)
{
	return (pid * 2654435761u) & (t->n_buckets - 1);
}

struct proctab *proctab_new(size_t capacity)
{
	struct proctab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->capacity = capacity ? capacity : 1;
	t->n_buckets = 64;
	while (t->n_buckets < t->capacity)
		t->n_buckets <<= 1;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	return t;
}

static void proc_free(struct proc *p)
{
	free(p->exe);
	free(p->cwd);
	free(p->args);
	free(p);
}

void proctab_free(struct proctab *t)
{
	struct proc *p, *next;

	if (!t)
		return;
	for (p = t->lru_head; p; p = next) {
		next = p->lru_next;
		proc_free(p);
	}
	free(t->buckets);
	free(t);
}

size_t proctab_size(const struct proctab *t)
{
	return t->size;
}

__u64 proctab_generation(const struct proctab *t)
{
	return t->generation;
}

struct proc *proctab_lookup(struct proctab *t, __u32 pid)
{
	struct proc *p;

	for (p = t->buckets[bucket_of(t, pid)]; p; p = p->hash_next)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void lru_unlink(struct proctab *t, struct proc *p)
{
	if (p->lru_prev)
		p->lru_prev->lru_next = p->lru_next;
	else
		t->lru_head = p->lru_next;
	if (p->lru_next)
		p->lru_next->lru_prev = p->lru_prev;
	else
		t->lru_tail = p->lru_prev;
	p->lru_prev = p->lru_next = NULL;
}

static void lru_append(struct proctab *t, struct proc *p)
{
	p->lru_prev = t->lru_tail;
	p->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = p;
	else
		t->lru_head = p;
	t->lru_tail = p;
}

static void unlink_and_free(struct proctab *t, struct proc *p)
{
	struct proc **pp = &t->buckets[bucket_of(t, p->pid)];

	while (*pp != p)
		pp = &(*pp)->hash_next;
	*pp = p->hash_next;
	lru_unlink(t, p);
	t->size--;
	t->generation++;
	proc_free(p);
}

void proctab_remove(struct proctab *t, __u32 pid)
{
	struct proc *p = proctab_lookup(t, pid);

	if (p)
		unlink_and_free(t, p);
}

/*
 * Make room when full: forget processes that no longer exist (their exit record was lost),
 * then the least recently started, down to 7/8 of capacity so the sweep stays rare.
 */
static void make_room(struct proctab *t)
{
	struct proc *p, *next;

	if (t->size < t->capacity)
		return;
	for (p = t->lru_head; p; p = next) {
		next = p->lru_next;
		if (kill((pid_t)p->pid, 0) && errno == ESRCH)
			unlink_and_free(t, p);
	}
	while (t->size > t->capacity - t->capacity / 8 - 1 && t->lru_head)
		unlink_and_free(t, t->lru_head);
}

/* The entry for @pid, emptied for new contents and moved to the young end of the LRU. */
static struct proc *proc_reset(struct proctab *t, __u32 pid)
{
	struct proc *p = proctab_lookup(t, pid);
	size_t b;

	t->generation++;
	if (p) {
		free(p->exe);
		free(p->cwd);
		free(p->args);
		p->exe = p->cwd = p->args = NULL;
		p->args_len = 0;
		p->args_truncated = false;
		p->exe_truncated = p->cwd_truncated = false;
		p->exe_flags = 0;
		p->from_procfs = false;
		lru_unlink(t, p);
		lru_append(t, p);
		return p;
	}
	make_room(t);
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	b = bucket_of(t, pid);
	p->hash_next = t->buckets[b];
	t->buckets[b] = p;
	lru_append(t, p);
	t->size++;
	return p;
}

static char *dup_bytes(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static bool proc_strings_ok(const struct proc *p)
{
	return p->exe && p->cwd && (p->args || !p->args_len);
}

static void proc_set_task(struct proctab *t, struct proc *p, const struct vigil_task *task)
{
	struct proc *parent = proctab_lookup(t, task->ppid);

	p->ppid = task->ppid;
	memcpy(p->comm, task->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	/* The parent's identity as we know it; its start time if we never saw it. */
	p->parent_exec_time = parent ? parent->exec_time : task->parent_start_ns;
}

struct proc *proctab_exec(struct proctab *t, const struct event *ev)
{
	struct proc *p = proc_reset(t, ev->task->pid);

	if (!p)
		return NULL;
	proc_set_task(t, p, ev->task);
	p->exec_time = ev->time_ns;
	p->exe_truncated = ev->flags & VIGIL_EXEC_EXE_TRUNCATED;
	p->cwd_truncated = ev->flags & VIGIL_EXEC_CWD_TRUNCATED;
	p->exe = path_mark_dup(ev->exe, ev->exe_len, p->exe_truncated);
	p->cwd = path_mark_dup(ev->cwd, ev->cwd_len, p->cwd_truncated);
	p->args_len = ev->args_len;
	p->args = ev->args_len ? dup_bytes(ev->args, ev->args_len) : NULL;
	p->args_truncated = ev->flags & VIGIL_EXEC_ARGS_TRUNCATED;
	p->exe_flags = ev->exe_flags;
	if (!proc_strings_ok(p)) {
		unlink_and_free(t, p);
		return NULL;
	}
	return p;
}

struct proc *proctab_fork(struct proctab *t, const struct event *ev)
{
	struct proc *parent, *p;

	p = proc_reset(t, ev->task->pid);
	if (!p)
		return NULL;
	proc_set_task(t, p, ev->task);
	p->exec_time = ev->task->start_ns;
	/* The child runs its parent's image until it execs. */
	parent = proctab_lookup(t, ev->task->ppid);
	p->exe = strdup(parent ? parent->exe : "");
	p->cwd = strdup(parent ? parent->cwd : "");
	p->exe_flags = parent ? parent->exe_flags : 0;
	p->exe_truncated = parent && parent->exe_truncated;
	p->cwd_truncated = parent && parent->cwd_truncated;
	if (parent && parent->args_len) {
		p->args = dup_bytes(parent->args, parent->args_len);
		p->args_len = parent->args_len;
		p->args_truncated = parent->args_truncated;
	}
	if (!proc_strings_ok(p)) {
		unlink_and_free(t, p);
		return NULL;
	}
	return p;
}

size_t proctab_ancestors(struct proctab *t, const struct proc *p, const struct proc **out,
			 size_t max)
{
	size_t n = 0;

	while (n < max && p->ppid && p->ppid != p->pid) {
		p = proctab_lookup(t, p->ppid);
		if (!p)
			break;
		for (size_t i = 0; i < n; i++)
			if (out[i] == p)
				return n; /* a loop through stale entries */
		out[n++] = p;
	}
	return n;
}

void proc_exec_id(char *buf, size_t size, __u32 pid, __u64 exec_time)
{
	snprintf(buf, size, "%" PRIu32 ":%" PRIu64, pid, (uint64_t)exec_time);
}

/* Seeding from /proc: what started before vigil gets ancestry too. */

static ssize_t read_file(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

static char *read_link(int dirfd, const char *name)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

	return dup_bytes(buf, n > 0 ? (size_t)n : 0);
}

#define DELETED_SUFFIX " (deleted)"

/*
 * /proc/PID/exe names a deleted file "PATH (deleted)" and a memfd "/memfd:NAME (deleted)"; exec
 * events name them PATH and "memfd:NAME", with exe_flags. The file itself says which it is: no
 * links left, and for a memfd the kernel's internal tmpfs or hugetlbfs mount.
 */
static void seed_exe(int dirfd, struct proc *p)
{
	size_t len = strlen(p->exe), suffix = strlen(DELETED_SUFFIX);
	struct statfs sfs;
	struct stat st;
	int fd;

	if (len > suffix && !strcmp(p->exe + len - suffix, DELETED_SUFFIX) &&
	    (fd = openat(dirfd, "exe", O_PATH | O_CLOEXEC)) >= 0) {
		if (!fstat(fd, &st) && st.st_nlink == 0) {
			p->exe[len - suffix] = '\0';
			if (!strncmp(p->exe, "/memfd:", 7) && !fstatfs(fd, &sfs) &&
			    (sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC)) {
				memmove(p->exe, p->exe + 1, len - suffix);
				p->exe_flags |= VIGIL_EXE_MEMFD;
			} else {
				p->exe_flags |= VIGIL_EXE_DELETED;
			}
		}
		close(fd);
	}
	if (!strncmp(p->exe, "/dev/shm/", 9))
		p->exe_flags |= VIGIL_EXE_SHM;
}

static void seed_one(struct proctab *t, int procfd, const char *name, long ticks)
{
	char stat[1024], args[VIGIL_ARGS_MAX];
	struct proc_stat ps;
	struct proc *p;
	__u32 pid = strtoul(name, NULL, 10);
	ssize_t n;
	int dirfd;

	if (!pid || proctab_lookup(t, pid))
		return;
	dirfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	n = read_file(dirfd, "stat", stat, sizeof(stat) - 1);
	if (n <= 0)
		goto out;
	stat[n] = '\0';
	if (proc_stat_parse(stat, &ps) || (ps.flags & PF_KTHREAD))
		goto out;
	p = proc_reset(t, pid);
	if (!p)
		goto out;
	p->ppid = ps.ppid;
	memcpy(p->comm, ps.comm, sizeof(ps.comm));
	/* starttime is in clock ticks since boot, the same clock as CLOCK_BOOTTIME. */
	p->exec_time = ps.starttime * (1000000000ull / (unsigned long long)ticks);
	p->from_procfs = true;
	p->exe = read_link(dirfd, "exe");
	if (p->exe)
		seed_exe(dirfd, p);
	p->cwd = read_link(dirfd, "cwd");
	n = read_file(dirfd, "cmdline", args, sizeof(args));
	if (n > 0) {
		p->args = dup_bytes(args, n);
		p->args_len = n;
		p->args_truncated = n == sizeof(args);
	}
	if (!proc_strings_ok(p))
		unlink_and_free(t, p);
out:
	close(dirfd);
}

int proctab_seed(struct proctab *t, const char *procfs)
{
	long ticks = sysconf(_SC_CLK_TCK);
	struct dirent *de;
	int procfd, err = 0;
	DIR *dir;

	procfd = open(procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	dir = fdopendir(dup(procfd));
	if (!dir) {
		err = -errno;
		goto out;
	}
	if (ticks <= 0)
		ticks = 100;
	while ((de = readdir(dir)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			seed_one(t, procfd, de->d_name, ticks);
	/* Parents are known now: give each seeded process its parent's identity. */
	for (struct proc *p = t->lru_head; p; p = p->lru_next) {
		struct proc *parent = proctab_lookup(t, p->ppid);

		if (parent && !p->parent_exec_time)
			p->parent_exec_time = parent->exec_time;
	}
	closedir(dir);
out:
	close(procfd);
	return err;
}
