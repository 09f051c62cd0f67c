// SPDX-License-Identifier: GPL-2.0
/* Glob watches expanded against a real directory tree (sensors/watch_list.c). */
#include "harness.h"
#include "sensors/watch_list.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

/* A tree under a fresh directory: home/{alice,bob,.hidden}/, a file and a symlink beside them. */
static bool make_tree(void)
{
	char p[1024];

	snprintf(root, sizeof(root), "/tmp/vigil-glob-XXXXXX");
	if (!mkdtemp(root))
		return false;
	snprintf(p, sizeof(p),
		 "mkdir -p %s/home/alice/.ssh %s/home/bob %s/home/.hidden && "
		 "touch %s/home/notes %s/home/alice/.ssh/id_rsa && "
		 "ln -s %s/home/alice %s/home/link",
		 root, root, root, root, root, root, root);
	return !system(p);
}

static void remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (root[0] && system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
}

/* The bits of @suffix (under root) in the expanded list, or -1 when it is not there. */
static int bits_of(const struct watch_list *w, const char *suffix)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", root, suffix);
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->entries[i].path, path))
			return w->entries[i].bits;
	return -1;
}

/* ROOT + @suffix, read wanted, expanded with @remote (NULL: no remote mounts). */
static int expand_remote(const char *suffix, bool glob, const struct remote_mounts *remote,
			 struct watch_list *out)
{
	char path[256];
	struct watch_entry in;

	snprintf(path, sizeof(path), "%s%s", root, suffix);
	in = (struct watch_entry){ .path = path, .bits = VIGIL_WATCH_READ, .glob = glob };
	return watch_list_expand(&in, 1, remote, WATCH_GLOB_MAX_MATCHES, out);
}

static int expand_one(const char *suffix, bool glob, struct watch_list *out)
{
	return expand_remote(suffix, glob, NULL, out);
}

TEST(a_glob_becomes_the_paths_its_wildcard_directories_lead_to)
{
	struct watch_list w;

	if (!ASSERT_TRUE(make_tree(), "test tree"))
		return;
	if (ASSERT_OK(expand_one("/home/*/.ssh/id_*", true, &w), "expand")) {
		/* alice, bob and .hidden: '*' takes a leading dot, as the rule matcher does */
		ASSERT_EQ(w.n, 4, "one entry per directory, and the one listed");
		ASSERT_EQ(bits_of(&w, "/home/"), VIGIL_WATCH_STACKED_READ,
			  "the listed directory: what is mounted over it elsewhere");
		ASSERT_EQ(bits_of(&w, "/home/alice/.ssh/"), VIGIL_WATCH_BELOW_READ,
			  "a wildcard in the last name: its directory and beneath");
		ASSERT_EQ(bits_of(&w, "/home/bob/.ssh/"), VIGIL_WATCH_BELOW_READ,
			  "a directory that does not exist yet is still listed");
		ASSERT_EQ(bits_of(&w, "/home/.hidden/.ssh/"), VIGIL_WATCH_BELOW_READ, "dot dirs");
		ASSERT_EQ(bits_of(&w, "/home/link/.ssh/"), -1, "not through a symlink");
		ASSERT_EQ(bits_of(&w, "/home/notes/.ssh/"), -1, "not through a file");
		watch_list_free(&w);
	}
	if (ASSERT_OK(expand_one("/home/a*/.netrc", true, &w), "expand")) {
		ASSERT_EQ(w.n, 2, "only alice matches a*, and the listed directory");
		ASSERT_EQ(bits_of(&w, "/home/alice/.netrc"), VIGIL_WATCH_READ,
			  "no wildcard left: the path itself, with the file's own bits");
		watch_list_free(&w);
	}
	remove_tree();
}

TEST(a_glob_falls_back_to_its_literal_directory)
{
	struct watch_list w;
	char p[160];

	if (!ASSERT_TRUE(make_tree(), "test tree"))
		return;
	if (ASSERT_OK(expand_one("/nowhere/*/x", true, &w), "expand")) {
		ASSERT_EQ(w.n, 1, "one entry");
		ASSERT_EQ(bits_of(&w, "/nowhere/"), VIGIL_WATCH_BELOW_READ,
			  "a directory that cannot be listed: watched, and beneath");
		watch_list_free(&w);
	}
	for (int i = 0; i <= WATCH_GLOB_MAX_MATCHES; i++) {
		snprintf(p, sizeof(p), "%s/home/u%d", root, i);
		if (mkdir(p, 0700))
			break;
	}
	if (ASSERT_OK(expand_one("/home/*/.netrc", true, &w), "expand")) {
		ASSERT_EQ(w.n, 1, "too many matches: one entry");
		ASSERT_EQ(bits_of(&w, "/home/"), VIGIL_WATCH_BELOW_READ,
			  "the literal directory, and beneath");
		watch_list_free(&w);
	}
	if (ASSERT_OK(expand_one("/home/*/.netrc", false, &w), "expand")) {
		ASSERT_EQ(w.n, 1, "not a glob: copied");
		ASSERT_EQ(bits_of(&w, "/home/*/.netrc"), VIGIL_WATCH_READ, "as it was");
		watch_list_free(&w);
	}
	remove_tree();
}

/* The network and automount mount points, from mountinfo text; by whole components. */
TEST(remote_mounts_from_mountinfo)
{
	static const char info[] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
				   "40 22 0:40 / /home/al rw shared:20 - nfs4 srv:/al rw,vers=4.2\n"
				   "41 22 0:41 / /mnt/my\\040share rw - cifs //srv/s rw\n"
				   "42 22 0:42 / /srv/ssh rw - fuse.sshfs u@h: rw\n"
				   "43 22 8:17 / /media/usb rw - fuseblk /dev/sdb1 rw\n"
				   "44 22 0:44 / /net rw - autofs /etc/auto.net rw,fd=7\n"
				   "45 22 0:45 / /tmp rw - tmpfs tmpfs rw\n";
	struct remote_mounts r;
	FILE *f = fmemopen((void *)info, sizeof(info) - 1, "r");

	if (!ASSERT_TRUE(f != NULL, "fmemopen"))
		return;
	ASSERT_OK(remote_mounts_load(&r, f), "parse");
	fclose(f);
	ASSERT_EQ(r.n, 4, "nfs4, cifs, fuse.sshfs and autofs; not ext4, fuseblk or tmpfs");
	ASSERT_TRUE(remote_mounts_cover(&r, "/home/al"), "the mount point itself");
	ASSERT_TRUE(remote_mounts_cover(&r, "/home/al/.netrc"), "beneath it");
	ASSERT_TRUE(!remote_mounts_cover(&r, "/home/alice/.netrc"), "by whole components");
	ASSERT_TRUE(!remote_mounts_cover(&r, "/home/"), "above it");
	ASSERT_TRUE(remote_mounts_cover(&r, "/mnt/my share/x"), "octal escapes undone");
	ASSERT_TRUE(remote_mounts_cover(&r, "/net/host/etc"), "autofs");
	ASSERT_TRUE(!remote_mounts_cover(&r, "/media/usb/x"), "fuseblk is a local disk");
	remote_mounts_free(&r);
}

/* `ROOT/home/ * /.netrc` (no spaces) expanded with the one mount of @mountinfo, a line. */
static int expand_with_mount(const char *mountinfo, struct watch_list *w)
{
	struct remote_mounts r;
	FILE *f = fmemopen((void *)mountinfo, strlen(mountinfo), "r");
	int err;

	if (!f)
		return -errno;
	err = remote_mounts_load(&r, f);
	fclose(f);
	if (err)
		return err;
	err = expand_remote("/home/*/.netrc", true, &r, w);
	remote_mounts_free(&r);
	return err;
}

/* A glob that leads onto NFS or autofs is not listed into: its literal directory instead. */
TEST(a_glob_over_remote_homes_is_not_listed)
{
	struct watch_list w;
	char info[512];

	if (!ASSERT_TRUE(make_tree(), "test tree"))
		return;
	/* bob's home is an NFS mount: the glob would walk into it */
	snprintf(info, sizeof(info), "50 22 0:50 / %s/home/bob rw - nfs srv:/bob rw\n", root);
	if (ASSERT_OK(expand_with_mount(info, &w), "expand")) {
		ASSERT_EQ(w.n, 1, "one entry");
		ASSERT_EQ(bits_of(&w, "/home/"), VIGIL_WATCH_BELOW_READ,
			  "the literal directory, and beneath");
		watch_list_free(&w);
	}
	/* /home itself is autofs: not even listed */
	snprintf(info, sizeof(info), "51 22 0:51 / %s/home rw - autofs auto.home rw\n", root);
	if (ASSERT_OK(expand_with_mount(info, &w), "expand")) {
		ASSERT_EQ(bits_of(&w, "/home/"), VIGIL_WATCH_BELOW_READ, "autofs home");
		watch_list_free(&w);
	}
	/* a remote mount elsewhere changes nothing */
	if (ASSERT_OK(expand_with_mount("52 22 0:52 / /mnt/nfs rw - nfs s:/x rw\n", &w),
		      "expand")) {
		ASSERT_EQ(bits_of(&w, "/home/alice/.netrc"), VIGIL_WATCH_READ, "listed as before");
		watch_list_free(&w);
	}
	remove_tree();
}
