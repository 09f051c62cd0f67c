/* SPDX-License-Identifier: GPL-2.0 */
/* The engine's state, shared by engine.c (learning, anomalies, saving) and observe.c. */
#ifndef VIGIL_BASELINE_ENGINE_INT_H
#define VIGIL_BASELINE_ENGINE_INT_H

#include <sys/types.h>
#include <time.h>

#include "baseline/engine.h"
#include "events/field.h"
#include "events/format.h"

#define HASH_CACHE 256
#define TTY_CACHE  1024

/* An executable's sha256, good while its inode, size and mtime stay. */
struct hash_entry {
	char *path;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	char hex[65];
};

/* Whether a process (pid and start time) has a controlling terminal. */
struct tty_entry {
	int pid;
	unsigned long long start;
	bool tty;
};

struct bl_engine {
	struct bl_engine_opts o;
	struct baseline **v;
	size_t n, cap;
	struct hash_entry hashes[HASH_CACHE];
	size_t next_hash;
	struct tty_entry ttys[TTY_CACHE];
	char **reported; /* open addressing by FNV-1a */
	size_t n_reported;
	struct bl_engine_stats st;
	time_t last_save;
	char field_buf[FIELD_BUF_SIZE]; /* the judge's, for field_get() */
	/* with opts.verdicts: the anomaly of the event being judged, as a rule match */
	struct event_verdict verdict;
	bool has_verdict;
	char rule_id[160], policy[128], reason[640];
};

/* Whether @o is in the engine's scope; counted as out of it when not. */
bool bl_engine_in_scope(struct bl_engine *e, const struct bl_obs *o);
/* Called with each event: writes what was learned every SAVE_EVERY_S. */
void bl_engine_tick(struct bl_engine *e, time_t now);

#endif
