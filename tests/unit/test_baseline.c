// SPDX-License-Identifier: GPL-2.0
/* src/baseline without BPF: the sketch, glob folding, what covers what, the YAML round trip. */
#include "harness.h"
#include "testlib.h"
#include "baseline/baseline.h"
#include "core/sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

TEST(sha256_known_vectors)
{
	struct sha256 s;
	char hex[65], million[1000];

	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_final_hex(&s, hex);
	ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		     "abc");
	sha256_init(&s);
	sha256_final_hex(&s, hex);
	ASSERT_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		     "empty");
	/* a million 'a', fed in pieces that cross block boundaries */
	memset(million, 'a', sizeof(million));
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, million, sizeof(million));
	sha256_final_hex(&s, hex);
	ASSERT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		     "a million a");
}

TEST(sketch_never_underestimates_and_stays_small)
{
	struct sketch *s = calloc(1, sizeof(*s));
	char v[64];
	unsigned int over = 0;

	/* 2,000 values seen once, one seen 500 times: a noisy dimension in 2 KiB */
	for (int i = 0; i < 2000; i++) {
		snprintf(v, sizeof(v), "/var/cache/app/%d", i);
		sketch_add(s, v, 1);
	}
	sketch_add(s, "/etc/app.conf", 500);
	ASSERT_EQ(s->total, 2500, "total");
	ASSERT_GE(sketch_estimate(s, "/etc/app.conf"), 500,
		  "a frequent value is not below its count");
	for (int i = 0; i < 2000; i++) {
		snprintf(v, sizeof(v), "/var/cache/app/%d", i);
		ASSERT_GE(sketch_estimate(s, v), 1, "never below the true count");
	}
	/* never seen: the error bound is total * e / width, about 53 here */
	for (int i = 0; i < 100; i++) {
		snprintf(v, sizeof(v), "/never/seen/%d", i);
		over += sketch_estimate(s, v) > 60;
	}
	ASSERT_TRUE(over <= 5, "unseen values estimate within the bound (about 98% of them)");
	ASSERT_TRUE(sketch_estimate(s, "/etc/shadow") < 500, "rare next to the frequent one");
	ASSERT_EQ(sizeof(s->count), 2048, "bounded memory whatever the number of values");
	free(s);
}

TEST(sketch_hex_round_trip)
{
	struct sketch *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char *hex = malloc(SKETCH_HEX_LEN + 1);

	sketch_add(a, "x", 3);
	sketch_add(a, "y", 70000);
	sketch_to_hex(a, hex);
	ASSERT_OK(sketch_from_hex(b, hex), "read back");
	ASSERT_TRUE(!memcmp(a->count, b->count, sizeof(a->count)), "same counters");
	ASSERT_EQ(b->total, 70003, "total from row 0");
	hex[5] = 'g';
	ASSERT_EQ(sketch_from_hex(b, hex), -EINVAL, "not hex");
	ASSERT_EQ(sketch_from_hex(b, "00"), -EINVAL, "too short");
	free(a);
	free(b);
	free(hex);
}

static struct baseline *with_files(const char *dir, int n)
{
	struct baseline *b = baseline_new("/usr/sbin/app", "00", 1000);
	char v[256];

	for (int i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%s/f%d", dir, i);
		baseline_add(b, BL_READ, v, 1, 1000 + i);
	}
	return b;
}

TEST(fold_siblings_into_a_glob_at_the_threshold)
{
	struct baseline *b = with_files("/var/lib/app", 8);

	baseline_add(b, BL_READ, "/var/lib/app/sub/deeper", 1, 2000);
	baseline_add(b, BL_READ, "/var/lib/other", 1, 2000);
	ASSERT_EQ(baseline_fold(b, 8), 7, "8 siblings fold into one");
	ASSERT_EQ(b->items[BL_READ].n, 3, "the glob, the deeper file, the other");
	ASSERT_NOT_NULL(baseline_find(b, BL_READ, "/var/lib/app/*"), "DIR/*");
	ASSERT_EQ(baseline_find(b, BL_READ, "/var/lib/app/*")->count, 8, "counts summed");
	ASSERT_EQ(baseline_find(b, BL_READ, "/var/lib/app/*")->first, 1000,
		  "first is the earliest");
	ASSERT_EQ(baseline_find(b, BL_READ, "/var/lib/app/*")->last, 1007, "last is the latest");
	ASSERT_NOT_NULL(baseline_covers(b, BL_READ, "/var/lib/app/new"),
			"a new sibling is covered");
	ASSERT_TRUE(!baseline_covers(b, BL_READ, "/var/lib/app/sub/x"),
		    "the glob does not cross a /, as in policies");
	ASSERT_NOT_NULL(baseline_find(b, BL_READ, "/var/lib/app/sub/deeper"), "deeper kept");
	baseline_free(b);

	b = with_files("/var/lib/app", 7);
	ASSERT_EQ(baseline_fold(b, 8), 0, "7 stay apart");
	ASSERT_EQ(baseline_fold(b, 0), 0, "0: never fold");
	baseline_free(b);
}

TEST(fold_never_in_sensitive_directories)
{
	struct baseline *b = with_files("/etc", 20);

	ASSERT_EQ(baseline_fold(b, 8), 0, "/etc files stay apart");
	ASSERT_TRUE(!baseline_covers(b, BL_READ, "/etc/shadow"), "/etc/shadow is not covered");
	baseline_free(b);
	b = with_files("/home/alice/.ssh", 9);
	ASSERT_EQ(baseline_fold(b, 8), 0, "~/.ssh stays apart");
	baseline_free(b);
}

TEST(network_items_cover_by_cidr_and_port)
{
	struct baseline *b = baseline_new("/usr/sbin/app", "00", 1000);
	unsigned char a[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };
	char v[96];

	bl_net_value(v, sizeof(v), a, 5432);
	ASSERT_STREQ(v, "127.0.0.1/32 port 5432", "IPv4 value");
	baseline_add(b, BL_CONNECT, "10.1.2.0/24 port 5432", 1, 1000);
	ASSERT_NOT_NULL(baseline_covers(b, BL_CONNECT, "10.1.2.9/32 port 5432"), "in the CIDR");
	ASSERT_TRUE(!baseline_covers(b, BL_CONNECT, "10.1.3.9/32 port 5432"), "outside");
	ASSERT_TRUE(!baseline_covers(b, BL_CONNECT, "10.1.2.9/32 port 5433"), "another port");
	ASSERT_TRUE(baseline_add(b, BL_CONNECT, "::1/128 port 80", 1, 1000), "IPv6 is new");
	ASSERT_TRUE(!baseline_add(b, BL_CONNECT, "::1/128 port 80", 2, 1001), "then known");
	ASSERT_EQ(baseline_find(b, BL_CONNECT, "::1/128 port 80")->count, 3, "counted");
	baseline_free(b);
}

TEST(yaml_round_trip_and_clear_errors)
{
	char dir[] = "/tmp/vigil-bl-unit-XXXXXX", path[256], err[512];
	struct baseline *b = baseline_new(
				"/usr/sbin/a \"b\"",
				"1111111111111111111111111111111111111111111111111111111111111111",
				1700000000),
			*c = NULL;
	FILE *f;

	ASSERT_NOT_NULL(mkdtemp(dir), "temp dir");
	baseline_add(b, BL_EXEC, "/usr/bin/helper", 4, 1700000100);
	baseline_add(b, BL_READ, "/etc/app\\conf", 2, 1700000200);
	baseline_add(b, BL_PRIV, "bpf BPF_PROG_LOAD", 1, 1700000300);
	b->mode = BL_MONITOR;
	ASSERT_OK(baseline_save(b, dir), "save");
	ASSERT_OK(baseline_load(b->file, &c, err, sizeof(err)), err);
	if (c) {
		ASSERT_STREQ(c->program, b->program, "program, quoted");
		ASSERT_EQ(c->mode, BL_MONITOR, "mode");
		ASSERT_EQ(c->created, 1700000000, "created");
		ASSERT_EQ(c->grown, 1700000300, "grown");
		ASSERT_NOT_NULL(baseline_find(c, BL_READ, "/etc/app\\conf"), "escaped value");
		ASSERT_EQ(baseline_find(c, BL_EXEC, "/usr/bin/helper")->count, 4, "count");
		ASSERT_EQ(baseline_find(c, BL_EXEC, "/usr/bin/helper")->first, 1700000100, "first");
		ASSERT_TRUE(!memcmp(&b->sketch, &c->sketch, sizeof(b->sketch)), "the sketch");
	}
	baseline_free(c);

	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	f = fopen(path, "w");
	fputs("program: /x\nsha256: "
	      "1111111111111111111111111111111111111111111111111111111111111111\n"
	      "mode: protect\n",
	      f);
	fclose(f);
	ASSERT_EQ(baseline_load(path, &c, err, sizeof(err)), -EINVAL, "unknown mode");
	ASSERT_TRUE(strstr(err, "bad.yaml:3: unknown mode 'protect'"), err);
	f = fopen(path, "w");
	fputs("program: /x\nread: [ {value: /a\n", f);
	fclose(f);
	ASSERT_EQ(baseline_load(path, &c, err, sizeof(err)), -EINVAL, "corrupt YAML");
	ASSERT_TRUE(strstr(err, "bad YAML"), err);
	f = fopen(path, "w");
	fputs("program: /x\nsha256: "
	      "1111111111111111111111111111111111111111111111111111111111111111\n"
	      "read: [/a, /a]\n",
	      f);
	fclose(f);
	ASSERT_EQ(baseline_load(path, &c, err, sizeof(err)), -EINVAL, "duplicate");
	ASSERT_TRUE(strstr(err, "listed twice"), err);
	f = fopen(path, "w");
	fputs("program: /x\nsha256: "
	      "1111111111111111111111111111111111111111111111111111111111111111\n"
	      "raed: [/a]\n",
	      f);
	fclose(f);
	ASSERT_EQ(baseline_load(path, &c, err, sizeof(err)), -EINVAL, "misspelt key");
	ASSERT_TRUE(strstr(err, "unknown key 'raed'"), err);
	shf("rm -rf %s", dir);
	baseline_free(b);
}

/* Every truncation and many byte flips of a valid file: loaded, or refused with a reason. */
TEST(damaged_files_are_refused_never_crash)
{
	char dir[] = "/tmp/vigil-bl-dmg-XXXXXX", path[256], err[512], *text = NULL;
	struct baseline *b = baseline_new("/usr/sbin/app", "", 1700000000), *c;
	size_t len = 0, loaded = 0, refused = 0;
	FILE *f = open_memstream(&text, &len);

	memset(b->sha256, 'a', 64);
	baseline_add(b, BL_READ, "/etc/app.conf", 2, 1700000100);
	baseline_add(b, BL_CONNECT, "10.0.0.0/8 port 5432", 1, 1700000100);
	baseline_write(b, f);
	fclose(f);
	ASSERT_NOT_NULL(mkdtemp(dir), "temp dir");
	snprintf(path, sizeof(path), "%s/x.yaml", dir);
	srand(1);
	for (size_t i = 0; i < 1200; i++) {
		size_t n = i < 600 ? i * len / 600 : len;
		char saved = 0;
		size_t at = (size_t)rand() % len;
		int ret;

		if (i >= 600) {
			saved = text[at];
			text[at] = "x:-[]{}\"\\\n #0"[rand() % 14];
		}
		f = fopen(path, "w");
		fwrite(text, 1, n, f);
		fclose(f);
		err[0] = 0;
		c = NULL;
		ret = baseline_load(path, &c, err, sizeof(err));
		if (!ret)
			loaded++;
		else if (!ASSERT_TRUE(ret == -EINVAL && strstr(err, "x.yaml"),
				      "refused with a place"))
			break;
		else
			refused++;
		baseline_free(c);
		if (i >= 600)
			text[at] = saved;
	}
	ASSERT_GE(refused, 100, "damage is noticed");
	ASSERT_GE(loaded, 1, "the whole file loads");
	free(text);
	baseline_free(b);
	shf("rm -rf %s", dir);
}
