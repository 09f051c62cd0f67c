/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF objects vigil pins so that they outlive it: links and maps under the pin root, each
 * subsystem in a directory of its own (enforce/netdeny, enforce/lsm, shield/<ifname>).
 */
#ifndef VIGIL_CORE_PINS_H
#define VIGIL_CORE_PINS_H

#include <linux/types.h>
#include <stddef.h>

#define BPFFS_ROOT   "/sys/fs/bpf"
#define PIN_ROOT     BPFFS_ROOT "/vigil"
#define PIN_ROOT_ENV "VIGIL_BPF_ROOT"

/* $VIGIL_BPF_ROOT (tests, a second agent), else PIN_ROOT. */
const char *pin_root(void);
/* <root>/enforce/<what> into @buf: 0 or -ENAMETOOLONG. */
int pin_enforce_dir(const char *what, char *buf, size_t len);

/* An fd for <dir>/<name>, or -errno (-ENOENT: not pinned). */
int pin_get(const char *dir, const char *name);
struct bpf_map;
/*
 * Make @map (opened, not loaded) use the map pinned as <dir>/<its name>, when that one has the
 * same type, key, value, size and flags: 0, -ENOENT, -EINVAL (another map), or -errno.
 */
int pin_reuse_map(struct bpf_map *map, const char *dir);
/*
 * Make @dir and its parents below the bpffs mount point (0700), checking each that exists: a
 * directory of this user's that nobody else can write (repaired when only its mode is wrong),
 * else -EPERM, said in the log. 0 or -errno.
 */
int pin_mkdir(const char *dir);
/* The same checks of the directories of @dir that exist, making none. 0 or -errno. */
int pin_dirs_check(const char *dir);
/* Pin @fd as <dir>/<name> (directories made), replacing atomically what is there. */
int pin_put(int fd, const char *dir, const char *name);
/* Remove the pin <dir>/<name>, then @dir and its parents up to the root once empty. */
void pin_drop(const char *dir, const char *name);
void pin_prune(const char *dir);

#define PIN_PROGS_MAX 64

struct pin_count {
	unsigned int links, maps, progs;
	/*
	 * Links the kernel would not detach on request (BPF LSM): their programs run until it
	 * releases them, some time after the last pin went (from a work queue; seconds later on
	 * 6.12). Their program ids, the first PIN_PROGS_MAX of them, for the caller to disarm.
	 */
	unsigned int attached, n_prog_ids;
	__u32 prog_ids[PIN_PROGS_MAX];
};

/*
 * Detach every link pinned below @dir, remove every pin and directory there and add what it
 * removed to @c: 0, -ENOENT when @dir does not exist, or -errno (what it could not remove).
 */
int pin_remove_tree(const char *dir, struct pin_count *c);

#endif
