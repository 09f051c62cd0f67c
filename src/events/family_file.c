// SPDX-License-Identifier: GPL-2.0
#include "events/family.h"
#include "events/clock.h"
#include "events/family_file.h"
#include "events/json.h"
#include "events/pathmark.h"
#include "events/text.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

static const char *const type_names[] = {
	"open",	 "unlink", "rename",   "chmod", "chown",  "link",     "symlink",
	"mkdir", "rmdir",  "truncate", "mount", "umount", "setxattr", "utimes",
};

static const char *const syscall_names[FSC_COUNT] = {
	[FSC_OPEN] = "open",
	[FSC_OPENAT] = "openat",
	[FSC_OPENAT2] = "openat2",
	[FSC_CREAT] = "creat",
	[FSC_UNLINK] = "unlink",
	[FSC_UNLINKAT] = "unlinkat",
	[FSC_RENAME] = "rename",
	[FSC_RENAMEAT] = "renameat",
	[FSC_RENAMEAT2] = "renameat2",
	[FSC_CHMOD] = "chmod",
	[FSC_FCHMOD] = "fchmod",
	[FSC_FCHMODAT] = "fchmodat",
	[FSC_FCHMODAT2] = "fchmodat2",
	[FSC_CHOWN] = "chown",
	[FSC_LCHOWN] = "lchown",
	[FSC_FCHOWN] = "fchown",
	[FSC_FCHOWNAT] = "fchownat",
	[FSC_LINK] = "link",
	[FSC_LINKAT] = "linkat",
	[FSC_SYMLINK] = "symlink",
	[FSC_SYMLINKAT] = "symlinkat",
	[FSC_MKDIR] = "mkdir",
	[FSC_MKDIRAT] = "mkdirat",
	[FSC_RMDIR] = "rmdir",
	[FSC_TRUNCATE] = "truncate",
	[FSC_FTRUNCATE] = "ftruncate",
	[FSC_MOUNT] = "mount",
	[FSC_UMOUNT2] = "umount2",
	[FSC_SETXATTR] = "setxattr",
	[FSC_LSETXATTR] = "lsetxattr",
	[FSC_FSETXATTR] = "fsetxattr",
	[FSC_UTIMENSAT] = "utimensat",
	[FSC_FUTIMESAT] = "futimesat",
	[FSC_UTIMES] = "utimes",
	[FSC_UTIME] = "utime",
	[FSC_OPEN_BY_HANDLE_AT] = "open_by_handle_at",
	[FSC_IO_URING_OPENAT] = "io_uring_openat",
	[FSC_IO_URING_OPENAT2] = "io_uring_openat2",
};

static const struct vigil_file_event *rec(const struct event *ev)
{
	return ev->raw;
}

bool is_file_event(const struct event *ev)
{
	return ev->type >= VIGIL_EV_FILE_FIRST && ev->type <= VIGIL_EV_FILE_LAST;
}

static int file_decode(struct event *ev)
{
	const struct vigil_file_event *r = ev->raw;

	if (ev->raw_size < sizeof(*r) ||
	    sizeof(*r) + (size_t)r->path_len + r->target_len > ev->raw_size ||
	    r->syscall >= FSC_COUNT)
		return -EINVAL;
	return 0;
}

/* Fold "//", "/./" and "/../" of an absolute path, in place. */
static void normalise(char *path)
{
	char *out = path, *p = path;

	while (*p) {
		if (*p == '/') {
			while (*p == '/')
				p++;
			if (p[0] == '.' && (p[1] == '/' || !p[1])) {
				p++;
				continue;
			}
			if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2])) {
				p += 2;
				while (out > path && *--out != '/')
					;
				continue;
			}
			*out++ = '/';
			continue;
		}
		*out++ = *p++;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* Resolve symlinks in the directory part, which the kernel followed when it looked up. */
static void resolve_dir(char *path, size_t size)
{
	char *slash = strrchr(path, '/'), real[PATH_MAX];
	int n;

	if (!slash || slash == path)
		return;
	*slash = '\0';
	if (!realpath(path, real)) {
		*slash = '/';
		return;
	}
	n = snprintf(NULL, 0, "%s/%s", real, slash + 1);
	if (n > 0 && (size_t)n < size) {
		char base[NAME_MAX + 1];

		snprintf(base, sizeof(base), "%s", slash + 1);
		snprintf(path, size, "%s/%s", strcmp(real, "/") ? real : "", base);
	} else {
		*slash = '/';
	}
}

bool file_event_path_truncated(const struct event *ev, bool target)
{
	if (!target)
		return ev->flags & VIGIL_FILE_PATH_TRUNCATED;
	return (ev->flags & VIGIL_FILE_TARGET_TRUNCATED) && ev->type != VIGIL_EV_SYMLINK &&
	       !(ev->flags & (VIGIL_FILE_TARGET_IS_XATTR | VIGIL_FILE_TARGET_IS_SOURCE));
}

size_t file_event_path(const struct event *ev, bool target, char *buf, size_t size)
{
	const struct vigil_file_event *r = rec(ev);
	const char *src = (const char *)r + sizeof(*r) + (target ? r->path_len : 0);
	size_t len = target ? r->target_len : r->path_len;
	__u16 from_name = target ? VIGIL_FILE_TARGET_FROM_NAME : VIGIL_FILE_PATH_FROM_NAME;

	/* a tail: whatever ".." climbs to lies above it, unknown, so it is left as it came */
	if (file_event_path_truncated(ev, target))
		return path_mark(buf, size, src, len, true);
	len = path_mark(buf, size, src, len, false);
	if ((ev->flags & from_name) && buf[0] == '/' && !memchr(src, '\0', len)) {
		normalise(buf);
		resolve_dir(buf, size);
		len = strlen(buf);
	}
	return len;
}

void file_open_flags(char *buf, size_t size, unsigned int flags)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ O_CREAT, "O_CREAT" },		{ O_EXCL, "O_EXCL" },
		{ O_NOCTTY, "O_NOCTTY" },	{ O_TRUNC, "O_TRUNC" },
		{ O_APPEND, "O_APPEND" },	{ O_NONBLOCK, "O_NONBLOCK" },
		{ O_SYNC, "O_SYNC" },		{ O_DSYNC, "O_DSYNC" },
		{ O_DIRECT, "O_DIRECT" },	{ O_TMPFILE, "O_TMPFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_NOATIME, "O_NOATIME" },	{ O_CLOEXEC, "O_CLOEXEC" },
		{ O_PATH, "O_PATH" },		{ 0100000, "O_LARGEFILE" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	size_t n = snprintf(buf, size, "%s", acc[flags & O_ACCMODE]);

	flags &= ~O_ACCMODE;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < size; i++) {
		/* multi-bit flags (O_SYNC, O_TMPFILE) first take their whole mask */
		if ((flags & names[i].bit) == names[i].bit && names[i].bit) {
			n += snprintf(buf + n, size - n, "|%s", names[i].name);
			flags &= ~names[i].bit;
		}
	}
	if (flags && n < size)
		snprintf(buf + n, size - n, "|0x%x", flags);
}

static const char *access_name(__u16 access)
{
	switch (access) {
	case VIGIL_FILE_ACCESS_READ:
		return "read";
	case VIGIL_FILE_ACCESS_WRITE:
		return "write";
	case VIGIL_FILE_ACCESS_READ | VIGIL_FILE_ACCESS_WRITE:
		return "read_write";
	default:
		return "none";
	}
}

/* utimes: the modification time set, "2020-01-01T00:00:00Z", or "now". */
static void mtime_string(const struct event *ev, char *buf, size_t size)
{
	const struct vigil_file_event *r = rec(ev);
	size_t n;

	if (!(ev->flags & VIGIL_FILE_MTIME_GIVEN)) {
		snprintf(buf, size, "now");
		return;
	}
	wallclock_utc_seconds((__s64)r->size, buf, size);
	n = strlen(buf);
	snprintf(buf + n, size - n, "Z");
}

static void file_json(FILE *out, const struct event *ev)
{
	const struct vigil_file_event *r = rec(ev);
	char path[FILE_PATH_BUF], flags[256];
	size_t len = file_event_path(ev, false, path, sizeof(path));

	fputs(",\"file\":{\"path\":", out);
	json_string(out, path, len);
	if (ev->flags & VIGIL_FILE_HAS_INODE)
		fprintf(out, ",\"inode\":%" PRIu64 ",\"dev\":%" PRIu64, (uint64_t)r->inode,
			(uint64_t)makedev(r->dev >> 20, r->dev & 0xfffff));
	if (ev->flags & VIGIL_FILE_PATH_FROM_NAME)
		fputs(",\"path_from_name\":true", out);
	if (ev->flags & VIGIL_FILE_PATH_TRUNCATED)
		fputs(",\"path_truncated\":true", out);
	switch (ev->type) {
	case VIGIL_EV_OPEN:
		file_open_flags(flags, sizeof(flags), r->flags);
		fprintf(out, ",\"flags\":\"%s\",\"access\":\"%s\"", flags, access_name(r->access));
		if (r->flags & (O_CREAT | __O_TMPFILE))
			fprintf(out, ",\"mode\":\"%04o\"", r->mode & 07777);
		break;
	case VIGIL_EV_CHMOD:
	case VIGIL_EV_MKDIR:
		fprintf(out, ",\"mode\":\"%04o\"", r->mode & 07777);
		break;
	case VIGIL_EV_CHOWN:
		fprintf(out, ",\"uid\":%d,\"gid\":%d", (int)r->uid, (int)r->gid);
		break;
	case VIGIL_EV_TRUNCATE:
		fprintf(out, ",\"size\":%" PRId64, (int64_t)r->size);
		break;
	case VIGIL_EV_UTIMES:
		mtime_string(ev, flags, sizeof(flags));
		fprintf(out, ",\"mtime\":\"%s\"", flags);
		break;
	case VIGIL_EV_MOUNT:
	case VIGIL_EV_UMOUNT:
	case VIGIL_EV_UNLINK:
	case VIGIL_EV_RENAME:
	case VIGIL_EV_SETXATTR:
		if (r->flags)
			fprintf(out, ",\"flags\":%" PRIu32, r->flags);
		break;
	default:
		break;
	}
	if (r->target_len) {
		len = file_event_path(ev, true, path, sizeof(path));
		fputs(ev->flags & VIGIL_FILE_TARGET_IS_XATTR	? ",\"xattr\":"
		      : ev->flags & VIGIL_FILE_TARGET_IS_SOURCE ? ",\"source\":"
								: ",\"target\":",
		      out);
		json_string(out, path, len);
		if (ev->flags & VIGIL_FILE_TARGET_TRUNCATED)
			fprintf(out, ",\"%s_truncated\":true",
				ev->flags & VIGIL_FILE_TARGET_IS_XATTR	  ? "xattr"
				: ev->flags & VIGIL_FILE_TARGET_IS_SOURCE ? "source"
									  : "target");
	}
	if (ev->repeats || (ev->flags & VIGIL_FILE_SUMMARY))
		fprintf(out, ",\"repeats\":%" PRIu64, (uint64_t)ev->repeats);
	if (ev->flags & VIGIL_FILE_SUMMARY)
		fputs(",\"summary\":true", out);
	fprintf(out, "},\"syscall\":\"%s\",\"result\":%" PRId64, syscall_names[r->syscall],
		(int64_t)r->result);
}

static void file_text(FILE *out, const struct event *ev)
{
	const struct vigil_file_event *r = rec(ev);
	char path[FILE_PATH_BUF], flags[256];
	size_t len = file_event_path(ev, false, path, sizeof(path));

	text_bytes(out, path, len);
	if (ev->type == VIGIL_EV_OPEN) {
		file_open_flags(flags, sizeof(flags), r->flags);
		fprintf(out, " %s %s", access_name(r->access), flags);
	} else if (ev->type == VIGIL_EV_CHMOD) {
		fprintf(out, " %04o", r->mode & 07777);
	} else if (ev->type == VIGIL_EV_CHOWN) {
		fprintf(out, " %d:%d", (int)r->uid, (int)r->gid);
	} else if (ev->type == VIGIL_EV_UTIMES) {
		mtime_string(ev, flags, sizeof(flags));
		fprintf(out, " mtime %s", flags);
	}
	if (r->target_len) {
		len = file_event_path(ev, true, path, sizeof(path));
		fputs(ev->flags & VIGIL_FILE_TARGET_IS_XATTR ? " xattr " : " -> ", out);
		text_bytes(out, path, len);
	}
	text_result(out, r->result);
	if (ev->flags & VIGIL_FILE_SUMMARY)
		fprintf(out, " (%" PRIu64 " more like the last, folded)", (uint64_t)ev->repeats);
	else if (ev->repeats)
		fprintf(out, " (and %" PRIu64 " like it before, folded)", (uint64_t)ev->repeats);
}

static bool file_field(const struct event *ev, enum field_id id, struct field_value *out, char *buf)
{
	const struct vigil_file_event *r = rec(ev);

	switch (id) {
	case FIELD_RESULT:
		out->num = r->result;
		return true;
	case FIELD_FILE_PATH:
		out->len = file_event_path(ev, false, buf, FIELD_BUF_SIZE);
		out->str = buf;
		out->truncated = file_event_path_truncated(ev, false);
		return true;
	case FIELD_FILE_TARGET:
	case FIELD_FILE_XATTR:
		if (!r->target_len ||
		    !(ev->flags & VIGIL_FILE_TARGET_IS_XATTR) != (id == FIELD_FILE_TARGET) ||
		    (ev->flags & VIGIL_FILE_TARGET_IS_SOURCE))
			return false;
		out->len = file_event_path(ev, true, buf, FIELD_BUF_SIZE);
		out->str = buf;
		out->truncated = file_event_path_truncated(ev, true);
		return true;
	case FIELD_FILE_ACCESS:
		out->bits = r->access;
		return ev->type == VIGIL_EV_OPEN;
	case FIELD_FILE_FLAGS:
		out->bits = r->flags;
		return ev->type == VIGIL_EV_OPEN;
	case FIELD_FILE_INODE:
		out->num = r->inode;
		out->bits = r->dev;
		return ev->flags & VIGIL_FILE_HAS_INODE;
	case FIELD_FILE_SYSCALL:
		out->str = syscall_names[r->syscall];
		out->len = strlen(out->str);
		return true;
	case FIELD_FILE_TIMES:
		out->bits = ev->flags & VIGIL_FILE_MTIME_GIVEN ? 1 : 2; /* given, now */
		return ev->type == VIGIL_EV_UTIMES;
	case FIELD_FILE_MODE:
		out->num = r->mode & 07777;
		return ev->type == VIGIL_EV_CHMOD || ev->type == VIGIL_EV_MKDIR ||
		       (ev->type == VIGIL_EV_OPEN && (r->flags & (O_CREAT | __O_TMPFILE)));
	default:
		return false;
	}
}

const struct event_family file_family = {
	.name = "file",
	.first = VIGIL_EV_FILE_FIRST,
	.last = VIGIL_EV_FILE_LAST,
	.type_names = type_names,
	.decode = file_decode,
	.json = file_json,
	.text = file_text,
	.field = file_field,
};
