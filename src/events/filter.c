// SPDX-License-Identifier: GPL-2.0
#include "events/filter.h"
#include "events/family_file.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*item_fn)(struct filter *f, const char *item, char *err, size_t errlen);

/* Split @list on commas and hand each non-empty item to @add. */
static int for_each_item(struct filter *f, const char *list, item_fn add, char *err, size_t errlen)
{
	char *copy = strdup(list), *save = NULL, *item;
	int ret = 0, n = 0;

	if (!copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		ret = add(f, item, err, errlen);
		if (ret)
			break;
		n++;
	}
	if (!ret && !n) {
		snprintf(err, errlen, "empty list '%s'", list);
		ret = -EINVAL;
	}
	free(copy);
	return ret;
}

static int add_type(struct filter *f, const char *item, char *err, size_t errlen)
{
	unsigned int t = event_type_from_name(item);

	if (!t) {
		size_t n = snprintf(err, errlen, "unknown event type '%s'; known:", item);

		for (int i = 1; i < VIGIL_EV_TYPE_MAX && n < errlen; i++)
			if (event_type_name(i))
				n += snprintf(err + n, errlen - n, " %s", event_type_name(i));
		return -EINVAL;
	}
	f->type_mask |= 1ull << t;
	return 0;
}

static int add_pid(struct filter *f, const char *item, char *err, size_t errlen)
{
	char *end;
	unsigned long pid;

	errno = 0;
	pid = strtoul(item, &end, 10);
	if (errno || *end || item[0] == '-' || pid == 0 || pid > 4194304) {
		snprintf(err, errlen, "bad pid '%s': want a number from 1 to 4194304", item);
		return -EINVAL;
	}
	if (f->n_pids == FILTER_MAX_ITEMS) {
		snprintf(err, errlen, "too many pids (at most %d)", FILTER_MAX_ITEMS);
		return -EINVAL;
	}
	f->pids[f->n_pids++] = pid;
	return 0;
}

static int add_comm(struct filter *f, const char *item, char *err, size_t errlen)
{
	if (f->n_comms == FILTER_MAX_ITEMS) {
		snprintf(err, errlen, "too many comms (at most %d)", FILTER_MAX_ITEMS);
		return -EINVAL;
	}
	/* The kernel keeps 15 bytes of a command name; compare what it keeps. */
	snprintf(f->comms[f->n_comms++], VIGIL_COMM_LEN, "%s", item);
	return 0;
}

int filter_add_types(struct filter *f, const char *list, char *err, size_t errlen)
{
	return for_each_item(f, list, add_type, err, errlen);
}

int filter_add_pids(struct filter *f, const char *list, char *err, size_t errlen)
{
	return for_each_item(f, list, add_pid, err, errlen);
}

int filter_add_comms(struct filter *f, const char *list, char *err, size_t errlen)
{
	return for_each_item(f, list, add_comm, err, errlen);
}

int filter_add_path(struct filter *f, const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);

	if (path[0] != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", path);
		return -EINVAL;
	}
	if (f->n_paths == FILTER_MAX_ITEMS) {
		snprintf(err, errlen, "too many paths (at most %d)", FILTER_MAX_ITEMS);
		return -EINVAL;
	}
	f->paths[f->n_paths] = strdup(path);
	if (!f->paths[f->n_paths])
		return -ENOMEM;
	/* "/etc/" and "/etc" mean the same subtree */
	while (len > 1 && f->paths[f->n_paths][len - 1] == '/')
		f->paths[f->n_paths][--len] = '\0';
	f->n_paths++;
	return 0;
}

int filter_set_access(struct filter *f, const char *list, char *err, size_t errlen)
{
	char *copy = strdup(list), *save = NULL, *item;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save)) {
		if (!strcmp(item, "read")) {
			f->access |= VIGIL_FILE_ACCESS_READ;
		} else if (!strcmp(item, "write")) {
			f->access |= VIGIL_FILE_ACCESS_WRITE;
		} else {
			snprintf(err, errlen, "unknown access '%s': use read, write or read,write",
				 item);
			ret = -EINVAL;
		}
	}
	free(copy);
	return ret;
}

void filter_free(struct filter *f)
{
	while (f->n_paths)
		free(f->paths[--f->n_paths]);
}

static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) && (path[n] == '/' || !path[n] || n == 1);
}

/*
 * An open the kernel found under a --path by inode (VIGIL_FILE_ON_PATH: hard links, bind
 * mounts) is in, whatever its name. Everything else, including opens the kernel sent for the
 * rules' own watches, is matched here by its path or target; a truncated one is in.
 */
static bool file_match(const struct filter *f, const struct event *ev)
{
	char path[FILE_PATH_BUF];

	if (f->access && ev->type == VIGIL_EV_OPEN &&
	    !(((const struct vigil_file_event *)ev->raw)->access & f->access))
		return false;
	if (!f->n_paths || (ev->type == VIGIL_EV_OPEN && (ev->flags & VIGIL_FILE_ON_PATH)))
		return true;
	for (int target = 0; target < 2; target++) {
		if (target &&
		    (ev->flags & (VIGIL_FILE_TARGET_IS_XATTR | VIGIL_FILE_TARGET_IS_SOURCE)))
			break; /* not a path */
		/* only its tail is known: it may be under any of them */
		if (file_event_path_truncated(ev, target))
			return true;
		file_event_path(ev, target, path, sizeof(path));
		for (size_t i = 0; i < f->n_paths; i++)
			if (under(path, f->paths[i]))
				return true;
	}
	return false;
}

bool filter_match(const struct filter *f, const struct event *ev)
{
	bool ok;

	if (f->type_mask && !(f->type_mask & (1ull << ev->type)))
		return false;
	if (f->n_pids) {
		ok = false;
		for (size_t i = 0; i < f->n_pids && !ok; i++)
			ok = f->pids[i] == ev->task->pid;
		if (!ok)
			return false;
	}
	if (f->n_comms) {
		ok = false;
		for (size_t i = 0; i < f->n_comms && !ok; i++)
			ok = !strncmp(f->comms[i], ev->task->comm, VIGIL_COMM_LEN - 1);
		if (!ok)
			return false;
	}
	if (is_file_event(ev))
		return file_match(f, ev);
	/* --path alone asks for file events: others only when --events names them */
	return !f->n_paths || f->type_mask;
}
