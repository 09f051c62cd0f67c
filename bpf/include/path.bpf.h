/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Absolute path of a struct path, resolved from the dentry and mount trees the kernel holds.
 * tp_btf programs may not call bpf_d_path, so we walk d_parent up to the mount root, then
 * cross to the parent mount, until the root of the mount namespace, writing names backwards
 * into a per-CPU buffer. What the caller passed as a string never enters into it.
 */
#ifndef VIGIL_PATH_BPF_H
#define VIGIL_PATH_BPF_H

#include "vigil.bpf.h"

#define PATH_NAME_MAX 255
/* Names are written downwards from VIGIL_PATH_MAX; the slack keeps the verifier's bounds easy. */
#define PATH_BUF_SIZE (VIGIL_PATH_MAX + PATH_NAME_MAX + 1)

/*
 * The walk's state lives in the map value, not on the stack: the verifier then treats pos as
 * unknown in each step and checks the step once, instead of following every value it takes.
 */
struct path_buf {
	__u64 dentry;	 /* struct dentry * */
	__u64 mnt;	 /* struct mount * */
	__s32 pos;	 /* start of the path written so far */
	__s32 truncated; /* until the root is reached */
	char buf[PATH_BUF_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

static __always_inline struct path_buf *path_buf_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&path_scratch, &zero);
}

static long path_walk_step(__u64 index, void *data)
{
	struct path_buf *pb = path_buf_get();
	struct dentry *dentry, *parent, *mnt_root;
	struct mount *mnt;
	struct qstr name;
	__u32 len;
	__s32 pos;

	if (!pb)
		return 1;
	dentry = (struct dentry *)pb->dentry;
	mnt = (struct mount *)pb->mnt;
	parent = BPF_CORE_READ(dentry, d_parent);
	mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (dentry != mnt_root || mnt == mnt_parent) {
			pb->truncated = 0;
			return 1; /* the root of the namespace (or of a detached tree) */
		}
		pb->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		pb->mnt = (__u64)mnt_parent;
		return 0;
	}
	name = BPF_CORE_READ(dentry, d_name);
	len = name.len;
	if (len > PATH_NAME_MAX)
		len = PATH_NAME_MAX;
	pos = pb->pos - (__s32)len - 1;
	if (pos < 0)
		return 1; /* too long: the tail written so far, still truncated */
	bpf_probe_read_kernel(&pb->buf[(pos + 1) & (VIGIL_PATH_MAX - 1)], len, name.name);
	pb->buf[pos & (VIGIL_PATH_MAX - 1)] = '/';
	pb->pos = pos;
	pb->dentry = (__u64)parent;
	return 0;
}

/*
 * Resolve @dentry on @vfsmnt and append it to @dst at @off; returns the bytes written (no NUL).
 * A negative dentry (a name about to be created) resolves to the path it will have.
 * @dst must have room for 2 * VIGIL_PATH_MAX + VIGIL_PATH_MAX bytes: @off is masked to keep the
 * verifier's bounds simple. Sets *truncated when the path was too deep or too long.
 */
static __always_inline __u32 append_dentry_path(char *dst, __u32 off, struct dentry *dentry,
						struct vfsmount *vfsmnt, bool *truncated)
{
	struct path_buf *pb = path_buf_get();
	__u32 len;
	__s32 pos;

	*truncated = false;
	if (!pb)
		return 0;
	pb->dentry = (__u64)dentry;
	pb->mnt = (__u64)container_of(vfsmnt, struct mount, mnt);
	pb->pos = VIGIL_PATH_MAX;
	pb->truncated = 1;
	/* too deep: the root is not reached, and the tail stays truncated */
	bpf_loop(VIGIL_PATH_DEPTH_MAX, path_walk_step, NULL, 0);
	*truncated = pb->truncated;
	pos = pb->pos;
	if (pos == VIGIL_PATH_MAX) {
		pos = VIGIL_PATH_MAX - 1; /* nothing above the root: "/" */
		pb->buf[pos] = '/';
	}
	if (pos < 0 || pos >= VIGIL_PATH_MAX)
		return 0;
	len = VIGIL_PATH_MAX - pos;
	if (len > VIGIL_PATH_MAX - 1)
		len = VIGIL_PATH_MAX - 1;
	bpf_probe_read_kernel(dst + (off & (2 * VIGIL_PATH_MAX - 1)), len, &pb->buf[pos]);
	return len;
}

/* The same for a struct path. */
static __always_inline __u32 append_path(char *dst, __u32 off, const struct path *path,
					 bool *truncated)
{
	return append_dentry_path(dst, off, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt),
				  truncated);
}

#endif
