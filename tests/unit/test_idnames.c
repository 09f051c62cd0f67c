// SPDX-License-Identifier: GPL-2.0
/* User and group names: looked up once, failures kept, the table bounded, entries aged out. */
#include "harness.h"
#include "events/idnames.h"

#include <grp.h>
#include <pwd.h>

#define SEC 1000000000ull

/* An id this host has no user or group for, or 0 when every one tried exists. */
static __u32 unnamed_id(bool group)
{
	for (__u32 id = 3999999999u; id > 3999999000u; id--)
		if (group ? !getgrgid(id) : !getpwuid(id))
			return id;
	return 0;
}

TEST(names_from_nss)
{
	struct idnames *users = idnames_new(IDNAMES_USERS);
	struct idnames *groups = idnames_new(IDNAMES_GROUPS);
	struct passwd *nobody = getpwnam("nobody");

	if (!ASSERT_NOT_NULL(users, "users") || !ASSERT_NOT_NULL(groups, "groups"))
		goto out;
	ASSERT_STREQ(idnames_get(users, 0, 1), "root", "uid 0");
	ASSERT_STREQ(idnames_get(groups, 0, 1), getgrgid(0)->gr_name, "gid 0");
	if (nobody)
		ASSERT_STREQ(idnames_get(users, nobody->pw_uid, 1), "nobody", "nobody");
out:
	idnames_free(users);
	idnames_free(groups);
}

TEST(hits_and_failures_are_cached)
{
	struct idnames *users = idnames_new(IDNAMES_USERS);
	__u32 none = unnamed_id(false);

	if (!ASSERT_NOT_NULL(users, "users"))
		return;
	idnames_get(users, 0, 1);
	idnames_get(users, 0, 2);
	ASSERT_EQ(idnames_lookups(users), 1, "one lookup for two gets");
	if (none) {
		ASSERT_TRUE(idnames_get(users, none, 3) == NULL, "no such user: no name");
		ASSERT_TRUE(idnames_get(users, none, 4) == NULL, "still none");
		ASSERT_EQ(idnames_lookups(users), 2, "the failure is cached too");
	}
	idnames_free(users);
}

TEST(entries_are_looked_up_again_after_the_ttl)
{
	struct idnames *users = idnames_new(IDNAMES_USERS);

	if (!ASSERT_NOT_NULL(users, "users"))
		return;
	idnames_get(users, 0, 10 * SEC);
	idnames_get(users, 0, 10 * SEC + IDNAMES_TTL_NS - 1);
	ASSERT_EQ(idnames_lookups(users), 1, "fresh within the ttl");
	ASSERT_STREQ(idnames_get(users, 0, 10 * SEC + IDNAMES_TTL_NS), "root", "after it");
	ASSERT_EQ(idnames_lookups(users), 2, "looked up again");
	idnames_free(users);
}

TEST(the_table_is_bounded_and_evicts_the_least_recently_used)
{
	struct idnames *groups = idnames_new(IDNAMES_GROUPS);
	__u64 before;

	if (!ASSERT_NOT_NULL(groups, "groups"))
		return;
	/* Many more ids than slots: every one is a lookup, and memory does not grow. */
	for (__u32 id = 100000; id < 100000 + 4 * IDNAMES_SLOTS; id++)
		idnames_get(groups, id, 1);
	ASSERT_EQ(idnames_lookups(groups), 4 * IDNAMES_SLOTS, "each new id looked up once");
	/* gid 0 kept in use while others pass through its set stays cached */
	idnames_get(groups, 0, 1);
	before = idnames_lookups(groups);
	for (__u32 id = 200000; id < 200000 + 4 * IDNAMES_SLOTS; id++) {
		idnames_get(groups, id, 1);
		idnames_get(groups, 0, 1);
	}
	ASSERT_EQ(idnames_lookups(groups) - before, 4 * IDNAMES_SLOTS,
		  "the recently used entry was never evicted");
	idnames_free(groups);
}
