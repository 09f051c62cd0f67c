/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Behaviour baselines (docs/baseline.md): what one program (its executable's path and content
 * hash) was seen doing, item by item with counts and first/last seen, and the mode it is in.
 */
#ifndef VIGIL_BASELINE_BASELINE_H
#define VIGIL_BASELINE_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "baseline/sketch.h"

#define BASELINE_DIR "/var/lib/vigil/baselines"
/* Siblings in one directory beyond which a baseline keeps a glob DIR/<star> instead of each file.
 */
#define BASELINE_FOLD_MIN 8
/* A learning baseline that has not grown for this long moves to monitor. */
#define BASELINE_QUIET_S (60 * 60)

enum bl_kind {
	BL_EXEC,    /* programs it executes (the new image's path) */
	BL_READ,    /* files it opens for reading */
	BL_WRITE,   /* files it opens for writing, creates, removes, renames, chmods... */
	BL_CONNECT, /* "ADDR/PREFIX port N": peers it connects to */
	BL_LISTEN,  /* "ADDR/PREFIX port N": where it binds and listens */
	BL_PRIV,    /* "setuid", "capset", "ptrace", "module_load", "bpf BPF_PROG_LOAD", ... */
	BL_KINDS,
};

enum bl_mode {
	BL_LEARN,
	BL_MONITOR,
	BL_ENFORCE,
};

struct bl_item {
	char *value;
	unsigned long long count;
	time_t first, last;
};

struct bl_items {
	struct bl_item *v;
	size_t n, cap;
};

struct baseline {
	char *program; /* the executable's path */
	char sha256[65];
	enum bl_mode mode;
	time_t created, grown; /* grown: when an item was last added */
	char *replaces;	       /* the sha256 of the program's previous content, or NULL */
	struct bl_items items[BL_KINDS];
	struct sketch sketch; /* how often each read/write/connect value was seen */
	char *file;	      /* where it is stored, or NULL before the first save */
	bool dirty;
};

const char *bl_kind_name(enum bl_kind k);
int bl_kind_from_name(const char *name);
/* "network" for connect and listen, "file" for read and write, "process" for the rest. */
const char *bl_kind_category(enum bl_kind k);
const char *bl_mode_name(enum bl_mode m);
int bl_mode_from_name(const char *name);

struct baseline *baseline_new(const char *program, const char *sha256, time_t now);
void baseline_free(struct baseline *b);

/* The item of @kind whose value is @value exactly, or NULL. */
struct bl_item *baseline_find(struct baseline *b, enum bl_kind kind, const char *value);
/*
 * The item of @kind that covers @value: itself, a folded a glob DIR/<star> (one level, as a policy
 * glob) or a CIDR that holds the address (same port); NULL when none does.
 */
struct bl_item *baseline_covers(struct baseline *b, enum bl_kind kind, const char *value);
/* A new item of @kind (count 0, never seen), or NULL without memory. */
struct bl_item *baseline_append(struct baseline *b, enum bl_kind kind, const char *value);
/* Count @n observations of @value at @when; true when it is a new item (the baseline grew). */
bool baseline_add(struct baseline *b, enum bl_kind kind, const char *value, unsigned long long n,
		  time_t when);
/*
 * Fold the files of one directory into a glob DIR/<star> once @min siblings are there (never in the
 * directories bl_fold_allowed() refuses); returns how many items were folded away.
 */
size_t baseline_fold(struct baseline *b, size_t min);
/* False for directories whose files are each sensitive (/etc, /root, ...): never folded. */
bool bl_fold_allowed(const char *dir);
/* The learned item closest to @value (longest common prefix), or NULL. */
const struct bl_item *baseline_nearest(const struct baseline *b, enum bl_kind kind,
				       const char *value);

/* "ADDR/PREFIX port N" of an address and port; @addr16 holds IPv4 as ::ffff:a.b.c.d. */
void bl_net_value(char *buf, size_t len, const unsigned char addr16[16], unsigned int port);

/* Store (store.c): YAML, one file per program. Errors go to @err as "FILE:LINE: why". */
int baseline_load(const char *path, struct baseline **out, char *err, size_t errlen);
int baseline_save(struct baseline *b, const char *dir);
/*
 * Every *.yaml of @dir into *@out (sorted by file name; none when @dir does not exist); the
 * first bad file is an error in @err, and nothing is returned.
 */
int bl_load_dir(const char *dir, struct baseline ***out, size_t *n, char *err, size_t errlen);
void baseline_write(const struct baseline *b, FILE *out);
/* "usr-sbin-nginx.1a2b3c4d.yaml": the file name of @b in its directory. */
void baseline_file_name(const struct baseline *b, char *buf, size_t len);
/* @s as a YAML double-quoted string. */
void bl_yaml_string(FILE *out, const char *s);
/* RFC 3339 UTC of @t into @buf (21 bytes or more). */
void bl_time_format(time_t t, char *buf, size_t len);

/* Export (export.c): a vigil policy allowing what @b learned; network rules when @network. */
void baseline_export(const struct baseline *b, bool network, FILE *out);
/* The policy's name for @b: "baseline-<exe name>-<8 hex of the hash>". */
void baseline_policy_name(const struct baseline *b, char *buf, size_t len);

#endif
