// SPDX-License-Identifier: GPL-2.0
#include "events/ldenv.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static bool in_temp_dir(const char *dir)
{
	static const char *const temp[] = { "/tmp", "/var/tmp", "/dev/shm" };

	for (size_t i = 0; i < sizeof(temp) / sizeof(temp[0]); i++) {
		size_t n = strlen(temp[i]);

		if (!strncmp(dir, temp[i], n) && (dir[n] == '/' || !dir[n]))
			return true;
	}
	return false;
}

/* @entry (@n bytes): a library (LD_PRELOAD, LD_AUDIT) or a directory (LD_LIBRARY_PATH). */
static bool entry_writable(const char *entry, size_t n, bool is_dir, const char *cwd,
			   size_t cwd_len)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (entry[0] == '/')
		snprintf(dir, sizeof(dir), "%.*s", (int)n, entry);
	else
		snprintf(dir, sizeof(dir), "%.*s/%.*s", (int)cwd_len, cwd, (int)n, entry);
	/* a bare name in LD_PRELOAD is looked up in the system's library path */
	if (!is_dir && !memchr(entry, '/', n))
		return false;
	if (!is_dir && (slash = strrchr(dir, '/')))
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(dir, &st))
		return in_temp_dir(dir);
	return S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH);
}

bool ld_env_writable(const char *env, size_t len, const char *cwd, size_t cwd_len)
{
	for (const char *s = env, *end = env + len; s < end; s += strnlen(s, end - s) + 1) {
		size_t n = strnlen(s, end - s);
		const char *v = memchr(s, '=', n), *e;
		bool is_dir = !strncmp(s, "LD_LIBRARY_PATH=", 16);

		if (!v)
			continue;
		/* entries split by ':' (LD_PRELOAD's also by spaces) */
		for (v++; v <= s + n; v = e + 1) {
			for (e = v; e < s + n && *e != ':' && (is_dir || *e != ' '); e++)
				;
			/* an empty directory entry is the cwd */
			if (e == v ? is_dir && entry_writable(".", 1, true, cwd, cwd_len)
				   : entry_writable(v, e - v, is_dir, cwd, cwd_len))
				return true;
		}
	}
	return false;
}
