// SPDX-License-Identifier: GPL-2.0
/* Glob watches expanded against a real directory tree (core/watch_list.c). */
#include "harness.h"
#include "core/watch_list.h"
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

static int expand_one(const char *suffix, bool glob, struct watch_list *out)
{
	char path[256];
	struct watch_entry in;

	snprintf(path, sizeof(path), "%s%s", root, suffix);
	in = (struct watch_entry){ .path = path, .bits = VIGIL_WATCH_READ, .glob = glob };
	return watch_list_expand(&in, 1, out);
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
